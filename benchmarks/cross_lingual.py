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
``seeds``. It also reports seconds per run and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def _paper(row: pd.Series, published: pd.DataFrame) -> str:
    """The papers' numbers for this task, method and label budget, e.g. 'Agarla WA 75.6'."""
    rows = published[(published["target"] == row["target"])
                     & (published["method"] == row["method"])
                     & (published["n_labels"] == str(row["n_labels"]))
                     & published["metric"].isin(["uar", "wa"])]
    rows = rows[~rows["table"].str.contains("0.65|0.85", regex=True)]  # τ = 0.5 only
    return "; ".join(f"{r.paper.replace('2024', '')} {r.metric.upper()} {r.value:.1f}"
                     for r in rows.itertuples()) or "–"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "full"])
    parser.add_argument("--protocol", default="speaker_folds", choices=["speaker_folds", "paper"])
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--cold", action="store_true",
                        help="a fresh SERLIB_CACHE too (features computed from scratch)")
    parser.add_argument("--json", type=Path, help="write the table as JSON records here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serlib-cross-lingual-"))
    if args.cold:
        os.environ["SERLIB_CACHE"] = str(work / "cache")
    from serlib.experiments import load_experiment, published_table, run_experiment

    config = dataclasses.replace(load_experiment("cross_lingual"), protocol=args.protocol)
    start = time.perf_counter()
    result = run_experiment(config, args.profile, seeds=args.seeds,
                            results_path=work / "cross_lingual.csv", progress=False, log=None)
    wall = time.perf_counter() - start
    summary, published = result.summary, published_table()
    if summary.empty:
        print("no results: " + "; ".join(result.skipped + result.errors))
        return 1
    shown = pd.DataFrame({
        "task": summary["source"] + " → " + summary["target"], "method": summary["method"],
        "labels": summary["n_labels"], "UAR %": summary["uar"], "WA %": summary["wa"],
        "pooled UAR % [95 % CI]": [
            f"{100 * u:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]" for u, lo, hi in
            zip(summary["pooled_uar"], summary["pooled_uar_low"], summary["pooled_uar_high"],
                strict=True)],
        "chance UAR %": (100 * summary["chance_uar"]).round(1),
        "runs": summary["runs"], "papers (their protocol)": [
            _paper(r, published) for _, r in summary.iterrows()]})
    print(shown.to_markdown(index=False))
    runs = len(result.results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{runs} runs ({result.ran} run now, {len(result.errors)} failed) in {wall:.0f} s: "
          f"{wall / max(result.ran, 1):.2f} s per run; peak memory {peak:.0f} MB; "
          f"profile {args.profile}, protocol {args.protocol}, "
          f"{'cold' if args.cold else 'warm'} feature cache; results {result.paths.results}")
    if args.json:
        records = [{"source": r["source"], "target": r["target"], "method": r["method"],
                    "n_labels": str(r["n_labels"]), "protocol": args.protocol,
                    "uar_mean": r["uar_mean"], "uar_std": r["uar_std"],
                    "wa_mean": r["wa_mean"], "wa_std": r["wa_std"], "seeds": int(r["seeds"]),
                    "folds": int(r["folds"]), "pooled_uar": r["pooled_uar"],
                    "pooled_uar_low": r["pooled_uar_low"],
                    "pooled_uar_high": r["pooled_uar_high"], "chance_uar": r["chance_uar"]}
                   for _, r in summary.iterrows()]
        args.json.write_text(json.dumps({"wall_s": wall, "runs": runs, "rows": records},
                                        indent=2, default=float))
        print(f"json: {args.json}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
