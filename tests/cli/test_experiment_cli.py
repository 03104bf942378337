"""``serlib experiment`` and ``serlib predict`` on a tiny synthetic experiment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from serlib.cli import main
from serlib.experiments import read_results

TINY = {
    "name": "tiny_cli",
    "data": "synthetic",
    "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 2},
    "tasks": ["lang_a -> lang_b"],
    "methods": ["zero_shot", "hard_pl"],
    "n_labels": [4],
    "seeds": [0],
    "backbone": "small_cnn",
    "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8},
    "train": {"batch_size": 8},
    "profiles": {"smoke": {"source_epochs": 1, "adapt_epochs": 1, "steps_per_epoch": 2}},
    "device": "cpu",
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> dict[str, Path]:
    """The tiny experiment, run once through the command line."""
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    results = folder / "results.csv"
    cache = folder / "serlib-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERLIB_CACHE", str(cache))
        assert main(["experiment", "run", str(config), "--results", str(results),
                     "--no-progress"]) == 0
    wav = next(cache.rglob("*.wav"))  # a synthetic utterance, for predict
    return {"config": config, "results": results, "cache": cache, "wav": wav}


def test_run_writes_results_and_summary(finished, capsys):
    table = read_results(finished["results"])
    assert sorted(table["method"]) == ["hard_pl", "zero_shot"]
    assert finished["results"].with_name("results-summary.csv").is_file()
    assert main(["experiment", "summary", str(finished["results"])]) == 0
    out = capsys.readouterr().out
    assert "| task" in out and "chance_uar" in out and "hard_pl" in out


def test_plan_lists_runs_and_what_is_done(finished, capsys):
    assert main(["experiment", "plan", str(finished["config"]), "--results",
                 str(finished["results"]), "--seeds", "0", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("[done]") == 2 and out.count("[todo]") == 2


def test_predict_prints_probabilities(finished, capsys):
    table = read_results(finished["results"])
    model = table.loc[table["method"] == "hard_pl", "model_path"].iloc[0]
    wav = next((finished["cache"] / "synthetic").rglob("*.wav"))  # a recording of the run
    assert main(["predict", model, str(wav)]) == 0
    out = capsys.readouterr().out
    assert "prediction" in out and "sadness" in out
    assert main(["predict", model, str(wav), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    probs = payload["predictions"][0]
    assert payload["labels"] == ["anger", "fear", "happiness", "neutral", "sadness"]
    assert sum(probs[label] for label in payload["labels"]) == pytest.approx(1.0, abs=1e-5)


def test_predict_errors_name_the_file(finished, tmp_path, capsys):
    table = read_results(finished["results"])
    model = table["model_path"].iloc[0]
    assert main(["predict", model, str(tmp_path / "missing.wav")]) == 1  # per-file error
    assert "missing.wav" in capsys.readouterr().err
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    assert main(["predict", model, str(bad)]) == 1
    assert "bad.wav" in capsys.readouterr().err
    good = finished["wav"]  # one bad file among good ones: the good ones are still predicted
    assert main(["predict", model, str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert "bad.wav" in captured.err and good.name in captured.out
    assert main(["predict", str(bad), str(bad)]) == 2
    assert "not a readable serlib model bundle" in capsys.readouterr().err


def test_run_with_a_bad_config_is_a_clear_error(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({**TINY, "methods": ["magic"]}))
    assert main(["experiment", "run", str(config)]) == 2
    assert "unknown method 'magic'" in capsys.readouterr().err


def _planned_keys(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if line.startswith("  [")]


def test_plan_shards_cover_the_grid_exactly_once(finished, capsys):
    grid = ["experiment", "plan", str(finished["config"]), "--seeds", "0", "1", "2"]
    assert main(grid) == 0
    everything = _planned_keys(capsys.readouterr().out)
    parts = []
    for k in (1, 2):
        assert main([*grid, "--shard", f"{k}/2"]) == 0
        out = capsys.readouterr().out
        assert f"(shard {k}/2 of {len(everything)})" in out
        parts.append(_planned_keys(out))
    assert parts[0] + parts[1] == everything  # disjoint, complete, in the grid's order
    assert abs(len(parts[0]) - len(parts[1])) <= 1


def test_a_bad_shard_is_a_clear_error(finished, capsys):
    for shard in ("0/2", "3/2", "2", "a/b"):
        assert main(["experiment", "plan", str(finished["config"]), "--shard", shard]) == 2
        assert "K/N" in capsys.readouterr().err


def test_summary_merges_the_results_files_of_shards(finished, tmp_path, capsys):
    table = read_results(finished["results"])
    first, second = tmp_path / "shard1.csv", tmp_path / "shard2.csv"
    whole = tmp_path / "whole.csv"  # beside no predictions folder, as the shards
    table.iloc[:1].to_csv(first, index=False)
    table.iloc[1:].to_csv(second, index=False)
    table.to_csv(whole, index=False)
    assert main(["experiment", "summary", str(first), str(second)]) == 0
    merged = capsys.readouterr().out
    assert main(["experiment", "summary", str(whole)]) == 0
    assert merged == capsys.readouterr().out


def test_several_processes_without_distributed_are_refused(finished, monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["experiment", "run", str(finished["config"]), "--results",
                 str(finished["results"])]) == 2
    assert "--distributed" in capsys.readouterr().err
