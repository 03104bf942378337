"""``serlib experiment``: run a grid of experiments from a YAML config, summarise results.

::

    serlib experiment run configs/smoke.yaml                      # smoke profile, its seeds
    serlib experiment run configs/cpu_ravdess_emodb.yaml --profile cpu --seeds 0 1 2
    serlib experiment plan configs/agarla_sweeps.yaml --profile full  # list the runs only
    serlib experiment summary ~/.cache/serlib/cache/results/smoke-smoke.csv

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import argparse

from serlib.adapt.recipes import PROFILES
from serlib.evaluate import save_table_csv
from serlib.experiments import (
    expand_grid,
    load_experiment,
    read_results,
    render_summary,
    resolve_experiment,
    run_experiment,
    summarize_results,
)
from serlib.experiments.runner import ResultPaths

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    result = run_experiment(args.config, profile=args.profile, seeds=args.seeds,
                            results_path=args.results, progress=not args.no_progress)
    return 0 if result.ran or not result.skipped else 1


def _plan(args: argparse.Namespace) -> int:
    plan = resolve_experiment(load_experiment(args.config), args.profile, args.seeds)
    runs, notes = expand_grid(plan)
    paths = ResultPaths.for_experiment(plan.config.name, args.profile, args.results)
    done = set(read_results(paths.results)["run_key"].astype(str))
    print(f"{plan.config.name} [{args.profile}]: recipe {plan.recipe}\nprofile {plan.profile}")
    for run in runs:
        extra = f" τ={run.threshold}" if run.threshold is not None else ""
        extra += f" trade_off={run.trade_off}" if run.trade_off is not None else ""
        status = "done" if run.key in done else "todo"
        print(f"  [{status}] {run.key} {run.method} {run.task} n={run.n_labels}{extra} "
              f"seed={run.seed}")
    for note in notes:
        print(f"  note: {note}")
    print(f"{len(runs)} runs; results file: {paths.results}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    summary = summarize_results(read_results(args.results))
    print(render_summary(summary))
    if args.out:
        save_table_csv(summary, args.out)
        print(f"summary: {args.out}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib experiment`` and its sub-commands."""
    parser = subparsers.add_parser("experiment", help="run experiment grids, summarise results")
    sub = parser.add_subparsers(dest="experiment_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("config", help="experiment YAML file (see configs/)")
        p.add_argument("--profile", default="smoke", choices=sorted(PROFILES),
                       help="how much to run (default: smoke)")
        p.add_argument("--seeds", type=int, nargs="+", help="replace the config's seeds")
        p.add_argument("--results", help="results CSV (default: under $SERLIB_CACHE/results)")

    p = sub.add_parser("run", help="run the grid (resumable: finished runs are skipped)")
    common(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)

    p = sub.add_parser("plan", help="list the runs of the grid and which are done")
    common(p)
    p.set_defaults(func=_plan)

    p = sub.add_parser("summary", help="mean ± std over seeds of a results CSV")
    p.add_argument("results", help="a results CSV written by `serlib experiment run`")
    p.add_argument("--out", help="also write the summary as CSV here")
    p.set_defaults(func=_summary)
