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

``--jobs N`` (default: 2, or the CPU count if lower) runs the grid as N shards in N
processes, one CPU thread each, into the same results file (``serlib experiment run
--shard K/N`` does the same by hand); the features are computed once, before the shards
start. The rows do not depend on N: every run is seeded and trains on one thread.
``--refine none`` runs the grid without test-time speaker-centroid refinement (the
config's ``refine``), for the ablation.

``CONFIG`` (default ``cross_lingual``) is any experiment: a shipped name or a YAML path.

``--test-time {inductive,adapted,both}`` (default ``adapted``) picks the column(s). Each is
the config with these overrides (:data:`TEST_TIME`), run into its own results file:

- ``adapted``: the config as it is (the cpu profile: each test speaker's frames and
  embeddings standardised by that speaker's own unlabelled utterances, plus the config's
  ``refine``): test-time information ``target speaker``;
- ``inductive``: ``frames: none`` (trunk frames with the source training statistics only),
  ``normalize: source`` (embeddings standardised by the source training embeddings),
  ``refine: none``, ``adabn: false``: one recording at a time, nothing of the target:
  test-time information ``inductive``. This is the recipe ``benchmarks/inductive.py``
  measured best among the strictly inductive ones (source-dev choice).

An override whose field the config does not have (``frames`` and ``adabn`` until the
test-time settings table lands) is reported and left out, and the column's
``test_time_info`` then says ``target speaker`` rather than claiming ``inductive``: the
``byols_embed`` backbone still corrects frames per speaker without the ``frames`` option.
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

#: the config overrides of each test-time column (see the module docstring)
TEST_TIME: dict[str, dict[str, object]] = {
    "adapted": {},
    "inductive": {"frames": "none", "normalize": "source", "refine": "none", "adabn": False},
}


def test_time_config(config, test_time: str, profile: str) -> tuple[object, list[str], str]:
    """The config of one test-time column, the overrides it lacks, and its
    ``test_time_info`` (``inductive`` only when nothing of the target is read)."""
    from serlib.experiments import resolve_experiment

    fields = {f.name for f in dataclasses.fields(config)}
    wanted = TEST_TIME[test_time]
    missing = [k for k in wanted if k not in fields]
    config = dataclasses.replace(config, **{k: v for k, v in wanted.items() if k in fields})
    backbone = resolve_experiment(config, profile, None).config.backbone
    speaker_frames = backbone == "byols_embed" and "frames" in missing  # still per speaker
    info = "inductive" if test_time == "inductive" and not speaker_frames else "target speaker"
    return config, missing, info


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


def _shard(config, profile: str, seeds, results: Path, k: int, n: int) -> tuple[int, float]:
    """Run part ``k`` of ``n`` of the grid in a worker process: runs done, peak MB."""
    import torch

    from serlib.experiments import run_experiment

    torch.set_num_threads(1)
    result = run_experiment(config, profile, seeds=seeds, results_path=results,
                            progress=False, log=None, shard=(k, n))
    return result.ran, _peak_mb()


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
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
            parts = [pool.submit(_shard, config, args.profile, args.seeds, results, k,
                                 args.jobs) for k in range(1, args.jobs + 1)]
            for k, part in enumerate(parts, start=1):
                peaks[f"shard {k}"] = part.result()[1]
    result = run_experiment(config, args.profile, seeds=args.seeds, results_path=results,
                            progress=False, log=None)  # one process: the rest, and the summary
    return result, time.perf_counter() - start, peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", nargs="?", default="cross_lingual",
                        help="an experiment name or YAML path (default: cross_lingual)")
    parser.add_argument("--test-time", choices=["inductive", "adapted", "both"],
                        default="adapted", help="which test-time column(s) to run")
    parser.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "full"])
    parser.add_argument("--protocol", default="speaker_folds", choices=["speaker_folds", "paper"])
    parser.add_argument("--refine", choices=["none", "speaker_centroids"], default=None,
                        help="replace the config's test-time refinement (the ablation)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes, each running one shard of the grid on one thread")
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
    base = dataclasses.replace(base, protocol=args.protocol, refine=args.refine or base.refine)
    columns = ["inductive", "adapted"] if args.test_time == "both" else [args.test_time]
    published, shown, records, walls, errors = published_table(), [], [], {}, 0
    runs, peaks_all = 0, {}
    for column in columns:
        config, missing, info = test_time_config(base, column, args.profile)
        if missing:
            print(f"{column}: the config has no {', '.join(missing)} field(s) on this "
                  f"branch; left out (test-time information: {info})")
        result, wall, peaks = _run(config, args, work, column)
        walls[column] = wall
        summary = result.summary
        if summary.empty:
            print(f"{column}: no results: " + "; ".join(result.skipped + result.errors))
            return 1
        infos = (summary["test_time_info"].astype(str) if "test_time_info" in summary
                 else pd.Series(info, index=summary.index))
        labels_used = (summary["labels_used"] if "labels_used" in summary
                       else pd.Series("–", index=summary.index))
        shown.append(pd.DataFrame({
            "task": summary["source"] + " → " + summary["target"],
            "method": summary["method"], "labels": summary["n_labels"],
            "labels used": labels_used, "test-time information": infos,
            "UAR %": summary["uar"], "WA %": summary["wa"],
            "pooled UAR % [95 % CI]": [
                f"{100 * u:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]" for u, lo, hi in
                zip(summary["pooled_uar"], summary["pooled_uar_low"],
                    summary["pooled_uar_high"], strict=True)],
            "chance UAR %": (100 * summary["chance_uar"]).round(1),
            "runs": summary["runs"], "papers (their protocol; test-time inductive)": [
                _paper(r, published) for _, r in summary.iterrows()]}))
        runs += len(result.results)
        errors += len(result.errors)
        peaks_all.update({f"{column} {k}": v for k, v in peaks.items()})
        records += [{"source": r["source"], "target": r["target"], "method": r["method"],
                     "n_labels": str(r["n_labels"]), "protocol": args.protocol,
                     "test_time": column, "test_time_info": str(i),
                     "labels_used": None if lu == "–" else lu, "refine": config.refine,
                     "uar_mean": r["uar_mean"], "uar_std": r["uar_std"],
                     "wa_mean": r["wa_mean"], "wa_std": r["wa_std"], "seeds": int(r["seeds"]),
                     "folds": int(r["folds"]), "pooled_uar": r["pooled_uar"],
                     "pooled_uar_low": r["pooled_uar_low"],
                     "pooled_uar_high": r["pooled_uar_high"], "chance_uar": r["chance_uar"]}
                    for (_, r), i, lu in zip(summary.iterrows(), infos, labels_used,
                                             strict=True)]
        print(f"{column}: {len(result.results)} runs ({len(result.errors)} failed) in "
              f"{wall:.0f} s; results {result.paths.results}", flush=True)
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
                                         "refine": base.refine, "peak_mb": peaks_all,
                                         "rows": records}, indent=2, default=float))
        print(f"json: {args.json}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
