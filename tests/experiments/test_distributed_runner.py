"""The runner on several processes: a grid trained data-parallel, shards sharing one file.

Both start 2 CPU processes (the ``run_ranks`` fixture of ``tests/conftest.py``) that call
the command line as ``torchrun`` would make them call it.
"""

from __future__ import annotations

import os

import pytest

from serlib.cli import main
from serlib.experiments import read_results

pytestmark = pytest.mark.slow  # each trains a tiny grid on 2 processes


def _run(*args: str) -> int:
    return main(["experiment", "run", *args, "--no-progress"])


def _shard(config: str, results: str) -> int:
    """One of N independent workers (e.g. a SLURM array task): no process group."""
    shard = f"{int(os.environ['RANK']) + 1}/{os.environ['WORLD_SIZE']}"
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        del os.environ[key]
    return _run(config, "--results", results, "--shard", shard)


def test_a_grid_trains_data_parallel_on_two_processes(write_config, run_ranks, tmp_path):
    config, results = write_config(), tmp_path / "results.csv"
    codes = run_ranks(_run, str(config), "--results", str(results), "--distributed",
                      init=False)
    assert codes == [0, 0]
    table = read_results(results)
    assert sorted(table["method"]) == ["hard_pl", "transfer", "zero_shot"]  # each once
    assert (table["status"] == "ok").all()
    assert not list((tmp_path / "results-checkpoints").glob("*.ckpt"))  # none left behind
    assert (tmp_path / "results-summary.csv").is_file()


def test_shards_share_one_results_file(write_config, run_ranks, tmp_path, capsys):
    config, results = write_config(seeds=[0, 1]), tmp_path / "results.csv"
    assert run_ranks(_shard, str(config), str(results), init=False) == [0, 0]
    table = read_results(results)
    assert len(table) == 6 and table["run_key"].is_unique  # 3 methods x 2 seeds, once each
    assert main(["experiment", "plan", str(config), "--results", str(results)]) == 0
    assert capsys.readouterr().out.count("[done]") == 6
