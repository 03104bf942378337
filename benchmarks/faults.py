"""Kill an experiment at random points, N times, and check every rerun ends where an
uninterrupted run ends: the same rows, the same metrics, bit for bit.

    python benchmarks/faults.py --kills 20            # ~10 min on 2 CPU cores

Each trial starts ``serlib experiment run`` on a tiny synthetic grid (every method family)
in a fresh results folder, sends SIGKILL after a random delay (during corpus generation,
feature caching, training, checkpointing or a results write), then runs the same command
again until it finishes, and compares the finished results file with the reference run's.
It prints one line per trial and a summary; the exit code is 1 if any trial differs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

CONFIG = {
    "name": "faults", "data": "synthetic",
    "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 2},
    "tasks": ["lang_a -> lang_b"],
    "methods": ["zero_shot", "transfer", "mmd", "hard_pl", "soft_pl", "dann"],
    "n_labels": [4], "seeds": [0], "backbone": "small_cnn",
    "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8}, "train": {"batch_size": 8},
    "profiles": {"smoke": {"source_epochs": 3, "adapt_epochs": 3, "steps_per_epoch": 3}},
    "device": "cpu",
}
COMPARED = ["run_key", "method", "status", "best_epoch", "dev_uar", "wa", "uar", "macro_f1",
            "uar_low", "uar_high", "source_wa", "source_uar", "n_target_labelled",
            "n_target_unlabelled"]


def _command(config: Path, results: Path) -> list[str]:
    return [sys.executable, "-m", "serlib", "experiment", "run", str(config), "--results",
            str(results), "--no-progress"]


def _run(config: Path, results: Path, env: dict[str, str], kill_after: float | None) -> bool:
    """Run once; kill it after ``kill_after`` s. True if it finished by itself."""
    proc = subprocess.Popen(_command(config, results), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=kill_after)
        return proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def _table(results: Path) -> pd.DataFrame:
    table = pd.read_csv(results)[COMPARED]
    return table.sort_values("run_key").reset_index(drop=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="trials (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the kill times")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serlib-faults-"))
    config = work / "faults.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    env = {**os.environ, "SERLIB_CACHE": str(work / "reference" / "cache"), "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    reference = work / "reference" / "r.csv"
    assert _run(config, reference, env, None), "the uninterrupted run failed"
    span = time.perf_counter() - start
    expected = _table(reference)
    print(f"reference: {len(expected)} rows in {span:.1f} s, from an empty cache (every trial "
          "starts from an empty cache too: corpus, features, models, results)")
    rng, failures = random.Random(args.seed), 0
    for trial in range(1, args.kills + 1):
        folder = work / f"trial{trial}"
        results = folder / "r.csv"
        env = {**env, "SERLIB_CACHE": str(folder / "cache")}
        delay = rng.uniform(0.5, span * 0.9)
        finished = _run(config, results, env, delay)
        reruns = 0
        while not finished:
            reruns += 1
            finished = _run(config, results, env, None)
        same = _table(results).equals(expected)
        failures += not same
        print(f"trial {trial:2d}: killed after {delay:5.1f} s, {reruns} rerun(s): "
              f"{'identical' if same else 'DIFFERENT'}", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.kills - failures}/{args.kills} trials ended with identical rows and metrics")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
