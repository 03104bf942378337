"""The real-data sweep, end to end, with its wall time: RAVDESS → EmoDB and RAVDESS → EMOVO.

    SERLIB_DATA=../shared/data SERLIB_BYOLS_CHECKPOINT=../shared/weights/byol-s/...pth \\
        python benchmarks/cross_lingual.py [--protocol speaker_folds|paper] [--json FILE]

Runs the shipped config ``cross_lingual`` (every method, 0/25/50/100 target labels, three
seeds; cpu profile) into a fresh results folder — with ``--cold`` also a fresh feature
cache, so that the BYOL-S features are computed too — and prints, per task and method, UAR
and WA as mean ± std over folds × seeds, the UAR pooled over every target utterance with
its 95 % bootstrap interval, the chance level, and the papers' published numbers beside
them. ``--json FILE`` writes one record per row with at least ``source``, ``target``,
``method``, ``n_labels``, ``protocol``, ``uar_mean``, ``uar_std``, ``wa_mean``, ``wa_std``,
``seeds``. It also reports seconds per run and the peak memory of each process.

``--jobs N`` (default: 2, or the CPU count if lower) runs the grid in N processes, one CPU
thread each, into the same results file: the grid is cut into :data:`SHARDS_PER_JOB` × N
blocks (``serlib experiment run --shard K/M`` does the same by hand) and a process takes
the next block when it finishes one, so that the processes finish together (one block
each left them idle for a minute: a task's runs do not all cost the same); a process keeps
the features it loaded for its next block. The features are computed once, before the
blocks start. The rows do not depend on N: every run is seeded and trains on one thread.
``CONFIG`` (default ``cross_lingual``) is any experiment: a shipped name or a YAML path.

``--test-time {inductive,adapted,both}`` (default ``both``) picks the column(s). A column is a
point of the config's ``test_time`` axis (:mod:`serlib.experiments.test_time`), classed by the
information it reads at test time:

- ``inductive``: the points whose ``test_time_info`` is ``inductive`` (the shipped config:
  ``frames: none, normalize: source, refine: none``: one recording at a time, source
  statistics only: the frame and embedding statistics that ``benchmarks/inductive.py``
  chose on source dev; that benchmark's classifier, a logistic regression, is not the
  runner's head, so its numbers differ from this column's). Only this column compares with
  the papers' zero-shot, which is inductive;
- ``adapted``: every other point (the shipped config: each test speaker's unlabelled
  utterances correct its frames and embeddings, and speaker-centroid refinement re-labels
  them: ``target speaker``).

A config without a ``test_time`` axis gets one: its own settings, and for ``inductive`` the
overrides :data:`INDUCTIVE`. Every row of the printed table and of the JSON says its
``test_time_info`` and ``labels_used`` (every target label the run touched, selection
included).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

#: the settings of the inductive column for a config that has no ``test_time`` axis
INDUCTIVE: dict[str, object] = {"frames": "none", "normalize": "source", "refine": "none",
                                "adabn": False}


def test_time_config(config, test_time: str, profile: str):
    """The config restricted to the ``test_time`` points of the requested column(s)
    (``inductive``, ``adapted`` or ``both``; see the module docstring), after the profile's
    own overrides; returns it and each kept point's test-time information."""
    from serlib.experiments import resolve_experiment, test_time_info
    from serlib.experiments.config_checks import test_time_points

    resolved = resolve_experiment(config, profile, None).config  # the profile's axis
    points = [dict(p) for p in resolved.test_time] or [
        {k: getattr(resolved, k) for k in ("frames", "normalize", "adabn", "refine")}]
    if not any(test_time_info(p) == "inductive" for p in test_time_points(
            dataclasses.replace(resolved, test_time=tuple(points)))):
        points = [INDUCTIVE, *points]
    full = test_time_points(dataclasses.replace(resolved, test_time=tuple(points)))
    keep = tuple(p for p, f in zip(points, full, strict=True)
                 if test_time == "both"
                 or (test_time_info(f) == "inductive") == (test_time == "inductive"))
    overrides = {name: {**values, **({"test_time": keep} if name == profile else {})}
                 for name, values in config.profiles.items()}
    config = dataclasses.replace(config, test_time=keep, profiles=overrides)
    kept = resolve_experiment(config, profile, None).config  # checks them on the backbone
    return config, [test_time_info(p) for p in test_time_points(kept)]


def _paper(row: pd.Series, published: pd.DataFrame) -> str:
    """The papers' numbers for this task, method and label budget, e.g.
    'Agarla Table 3, UA→UAR 60.56' (metric as the paper names it, then ours)."""
    from serlib.experiments.published import paper_label

    rows = published[(published["target"] == row["target"])
                     & (published["method"] == row["method"])
                     & (published["n_labels"] == str(row["n_labels"]))
                     & published["metric"].isin(["uar", "wa"])]
    rows = rows[~rows["table"].str.contains("0.65|0.85", regex=True)]  # τ = 0.5 only
    return "; ".join(paper_label(r) for _, r in rows.iterrows()) or "–"


def _peak_mb() -> float:
    """This process's peak resident memory in MB (Linux: VmHWM, which a spawned process
    does not inherit from its parent; elsewhere ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: blocks of the grid per process (--jobs): finer blocks balance the processes better
SHARDS_PER_JOB = 4
#: a worker process's loaded domains, backbones and inputs, kept for its next block
_WORKER_CACHE: dict[str, object] = {}


def _shard(config, profile: str, seeds, results: Path, k: int, n: int
           ) -> tuple[int, float, int]:
    """Run part ``k`` of ``n`` of the grid in a worker process: runs done, peak MB, pid."""
    import torch

    from serlib.experiments import TaskCache, run_experiment

    torch.set_num_threads(1)
    cache = _WORKER_CACHE.setdefault("tasks", TaskCache())
    result = run_experiment(config, profile, seeds=seeds, results_path=results,
                            progress=False, log=None, shard=(k, n), cache=cache)
    return result.ran, _peak_mb(), os.getpid()


def _prepare(config, profile: str, seeds) -> float:
    """Compute (or read) every task's features once, before the shards start; peak MB."""
    from serlib.experiments import TaskCache, parse_task, prepare_task, resolve_experiment

    plan, cache = resolve_experiment(config, profile, seeds), TaskCache()
    for task in plan.config.tasks:  # the profile's tasks
        prepare_task(*parse_task(task), plan, cache)
    return _peak_mb()


def _run(config, args, work: Path, name: str) -> tuple[object, float, dict[str, float]]:
    """Run one column's grid into its own results file: (result, wall s, peak MB)."""
    from serlib.experiments import run_experiment

    results = work / f"{name}.csv"
    start = time.perf_counter()
    peaks: dict[str, float] = {}
    if args.jobs > 1:  # the main process loads no data: features, then the shards, elsewhere
        spawn = multiprocessing.get_context("spawn")  # no fork of a process running torch
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
            peaks["features"] = pool.submit(_prepare, config, args.profile, args.seeds).result()
        blocks = SHARDS_PER_JOB * args.jobs
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
            parts = [pool.submit(_shard, config, args.profile, args.seeds, results, k, blocks)
                     for k in range(1, blocks + 1)]
            workers: dict[int, float] = {}
            for part in parts:
                _, peak, pid = part.result()
                workers[pid] = max(peak, workers.get(pid, 0.0))
        peaks.update({f"worker {i}": peak for i, peak in enumerate(workers.values(), start=1)})
    result = run_experiment(config, args.profile, seeds=args.seeds, results_path=results,
                            progress=False, log=None)  # one process: the rest, and the summary
    return result, time.perf_counter() - start, peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", nargs="?", default="cross_lingual",
                        help="an experiment name or YAML path (default: cross_lingual)")
    parser.add_argument("--test-time", choices=["inductive", "adapted", "both"],
                        default="both", help="which test-time column(s) to run")
    parser.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "full"])
    parser.add_argument("--protocol", default="speaker_folds", choices=["speaker_folds", "paper"])
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes, each running blocks of the grid on one thread")
    parser.add_argument("--cold", action="store_true",
                        help="a fresh SERLIB_CACHE too (features computed from scratch)")
    parser.add_argument("--json", type=Path, help="write the table as JSON records here")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: use 1 or more")
    work = Path(tempfile.mkdtemp(prefix="serlib-cross-lingual-"))
    if args.cold:
        os.environ["SERLIB_CACHE"] = str(work / "cache")
    from serlib.experiments import load_experiment, published_table

    base = load_experiment(args.config)
    base = dataclasses.replace(base, protocol=args.protocol)
    config, infos = test_time_config(base, args.test_time, args.profile)
    print(f"test-time column(s) {args.test_time}: {len(config.test_time)} point(s) of the "
          f"test_time axis ({', '.join(infos)})", flush=True)
    published, shown, records, walls, errors = published_table(), [], [], {}, 0
    result, wall, peaks_all = _run(config, args, work, args.test_time)
    walls[args.test_time] = wall
    summary = result.summary
    if summary.empty:
        print("no results: " + "; ".join(result.skipped + result.errors))
        return 1
    runs, errors = len(result.results), len(result.errors)
    shown.append(pd.DataFrame({
        "task": summary["source"] + " → " + summary["target"],
        "method": summary["method"], "labels": summary["n_labels"],
        "labels used": summary["labels_used"],
        "test-time information": summary["test_time_info"],
        "frames / embeddings / refine": (summary["frames"].astype(str) + " / "
                                         + summary["normalize"].astype(str) + " / "
                                         + summary["refine"].astype(str)),
        "UAR %": summary["uar"], "WA %": summary["wa"],
        "pooled UAR % [95 % CI]": [
            f"{100 * u:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]" for u, lo, hi in
            zip(summary["pooled_uar"], summary["pooled_uar_low"],
                summary["pooled_uar_high"], strict=True)],
        "chance UAR %": (100 * summary["chance_uar"]).round(1),
        "runs": summary["runs"], "papers (their protocol; test-time inductive)": [
            _paper(r, published) if r["test_time_info"] == "inductive" else "(not like for like)"
            for _, r in summary.iterrows()]}))
    records += [{"source": r["source"], "target": r["target"], "method": r["method"],
                 "n_labels": str(r["n_labels"]), "protocol": args.protocol,
                 "test_time": "inductive" if r["test_time_info"] == "inductive"
                 else "adapted", "test_time_info": str(r["test_time_info"]),
                 **{k: str(r[k]) for k in ("frames", "normalize", "refine") if k in r},
                 "labels_used": r["labels_used"],
                 "uar_mean": r["uar_mean"], "uar_std": r["uar_std"],
                 "wa_mean": r["wa_mean"], "wa_std": r["wa_std"], "seeds": int(r["seeds"]),
                 "folds": int(r["folds"]), "pooled_uar": r["pooled_uar"],
                 "pooled_uar_low": r["pooled_uar_low"],
                 "pooled_uar_high": r["pooled_uar_high"], "chance_uar": r["chance_uar"]}
                for _, r in summary.iterrows()]
    print(f"{runs} runs ({errors} failed) in {wall:.0f} s; results {result.paths.results}",
          flush=True)
    table = pd.concat(shown, ignore_index=True)
    print(table.to_markdown(index=False))
    wall = sum(walls.values())
    peaks_all["main"] = _peak_mb()
    memory = ", ".join(f"{k} {v:.0f}" for k, v in peaks_all.items())
    print(f"\n{runs} runs ({errors} failed) in {wall:.0f} s with {args.jobs} process(es): "
          f"{wall / max(runs, 1):.2f} s per run (wall); peak memory (MB) {memory}; "
          f"config {args.config}, profile {args.profile}, protocol {args.protocol}, "
          f"test time {args.test_time}, {'cold' if args.cold else 'warm'} feature cache")
    if args.json:
        args.json.write_text(json.dumps({"wall_s": wall, "wall_s_by_column": walls,
                                         "runs": runs, "jobs": args.jobs,
                                         "config": str(args.config),
                                         "test_time": args.test_time,
                                         "peak_mb": peaks_all,
                                         "rows": records}, indent=2, default=float))
        print(f"json: {args.json}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
