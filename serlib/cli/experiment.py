"""``serlib experiment``: run a grid of experiments from a YAML config, summarise results.

::

    serlib experiment run smoke                                   # a shipped config, by name
    serlib experiment run configs/cpu_ravdess_emodb.yaml --profile cpu --seeds 0 1 2
    serlib experiment plan agarla_sweeps --profile full           # list the runs only
    serlib experiment summary ~/.cache/serlib/cache/results/smoke-smoke.csv
    serlib experiment summary cross_lingual --profile cpu         # a config's own results
    serlib experiment run agarla_sweeps --profile full --shard 2/4  # part 2 of 4 of the grid
    torchrun --nproc-per-node 4 -m serlib experiment run smoke --distributed  # 4 GPUs, 1 run

``run`` exits with 1 when a run failed (its error row is in the results file; rerun to
retry it) or when nothing could run. ``plan`` imports no torch.

``summary`` takes results CSVs or experiment configs (a shipped name or a YAML file, whose
results file for ``--profile`` is summarised). A results file's predictions folder beside
it (``<results>-predictions``) adds the pooled UAR, its 95 % interval and the pooled chance
level. A file that does not exist is an error, never "(no results yet)"; rows of different
configurations are never pooled (:mod:`serlib.experiments.summary`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]

#: the profiles (kept here so that ``--help`` imports nothing heavy; a test checks them)
PROFILE_NAMES = ("cpu", "full", "smoke")


def _shard(args: argparse.Namespace) -> tuple[int, int] | None:
    from serlib.experiments.grid import parse_shard

    return None if args.shard is None else parse_shard(args.shard)


def _run(args: argparse.Namespace) -> int:
    import os

    from serlib.errors import ConfigError
    from serlib.experiments import run_experiment

    shard = _shard(args)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not args.distributed:
        raise ConfigError("torchrun started several processes but --distributed is not given: "
                          "each would run the whole grid and write the same files; add "
                          "--distributed (or use --shard K/N for independent parts)")
    if args.distributed:
        from serlib.experiments.config import load_experiment
        from serlib.train.distributed import close_distributed, init_distributed

        init_distributed(load_experiment(args.config).device)
    try:
        result = run_experiment(args.config, profile=args.profile, seeds=args.seeds,
                                results_path=args.results, progress=not args.no_progress,
                                shard=shard)
    finally:
        if args.distributed:
            close_distributed()
    if result.errors:
        return 1
    return 0 if result.ran or not result.skipped else 1


def _plan(args: argparse.Namespace) -> int:
    from serlib.experiments.classes import target_class_notes
    from serlib.experiments.config import load_experiment, resolve_experiment
    from serlib.experiments.grid import expand_grid

    shard = _shard(args)
    plan = resolve_experiment(load_experiment(args.config), args.profile, args.seeds)
    runs, notes = expand_grid(plan)
    total = len(runs)
    if shard is not None:
        from serlib.experiments.grid import shard_runs

        runs = shard_runs(runs, *shard)
    print(f"{plan.config.name} [{args.profile}]: backbone {plan.config.backbone}, "
          f"recipe {plan.recipe}\nprofile {plan.profile}")
    done: set[str] = set()
    if args.results or args.check_done:
        from serlib.experiments.results import read_results
        from serlib.experiments.runner import ResultPaths

        paths = ResultPaths.for_experiment(plan.config.name, args.profile, args.results)
        table = read_results(paths.results)
        done = set(table.loc[table["status"].astype(str) == "ok", "run_key"].astype(str))
    for run in runs:
        status = "done" if run.key in done else "todo"
        print(f"  [{status}] {run.key} {run.describe()}")
    for line in target_class_notes(plan):
        print(f"  classes: {line}")
    for note in notes:
        print(f"  note: {note}")
    print(f"{len(runs)} runs" + ("" if shard is None else
                                 f" (shard {shard[0]}/{shard[1]} of {total})"))
    return 0


def _summary_inputs(items: list[str], profile: str) -> list[tuple[Path, Path]]:
    """``(results CSV, predictions folder)`` of each argument (a CSV, or a config)."""
    from serlib.errors import ConfigError, ResultsError
    from serlib.experiments.runner import ResultPaths

    found = []
    for item in items:
        path = Path(item).expanduser()
        is_config = path.suffix.lower() in (".yaml", ".yml") or not path.exists()
        if path.suffix.lower() == ".csv" or not is_config:
            if not path.exists():
                raise ResultsError(f"results file {path} does not exist; check the path, or "
                                   "run the experiment first (serlib experiment run CONFIG)")
            found.append((path, ResultPaths.for_experiment("", "", path).predictions))
            continue
        from serlib.experiments.config import load_experiment

        try:
            name = load_experiment(item).name
        except ConfigError as err:
            raise ResultsError(f"{item!r} is neither a results CSV nor an experiment config "
                               f"({err})") from None
        paths = ResultPaths.for_experiment(name, profile)
        if not paths.results.is_file():
            raise ResultsError(f"experiment {name!r} has no results for profile {profile!r} "
                               f"yet ({paths.results} does not exist); run `serlib experiment "
                               f"run {item} --profile {profile}` first")
        found.append((paths.results, paths.predictions))
    return found


def _num_classes(table: Any) -> int | None:
    """Classes of the rows' label set when they share one (for the pooled metrics)."""
    from serlib.data.labels import label_set_classes

    sets = set(table["label_set"].dropna().astype(str)) if "label_set" in table else set()
    if len(sets) != 1:
        return None
    try:
        return len(label_set_classes(sets.pop()))
    except Exception:  # a label set this version does not know: from the predictions
        return None


def _summary(args: argparse.Namespace) -> int:
    import pandas as pd

    from serlib.errors import StorageError
    from serlib.evaluate import save_table_csv
    from serlib.experiments.results import read_results
    from serlib.experiments.summary import render_summary, summarize_results

    inputs = _summary_inputs(args.results, args.profile)
    tables = [read_results(path) for path, _ in inputs]
    merged = pd.concat([t for t in tables if len(t)] or tables[:1], ignore_index=True)
    if len(tables) > 1:  # the same run (same configuration) in two files: its last ok row
        ok = merged["status"].astype(str) == "ok"
        merged = merged[ok].drop_duplicates(["run_key", "config_digest"], keep="last")
    folders = [folder for _, folder in inputs if folder.is_dir()]
    summary = summarize_results(merged, predictions=folders or None,
                                num_classes=_num_classes(merged))
    print(render_summary(summary))
    if args.out:
        try:
            save_table_csv(summary, args.out)
        except OSError as err:
            raise StorageError(f"cannot write the summary to {args.out} "
                               f"({err.strerror or err}); choose a path in a writable folder "
                               "(every folder on the way must be a folder, not a file)") from err
        print(f"summary: {args.out}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib experiment`` and its sub-commands."""
    parser = subparsers.add_parser("experiment", help="run experiment grids, summarise results")
    sub = parser.add_subparsers(dest="experiment_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("config", help="experiment YAML file, or the name of a shipped "
                                      "config (smoke, cpu_ravdess_emodb, ...)")
        p.add_argument("--profile", default="smoke", choices=PROFILE_NAMES,
                       help="how much to run (default: smoke)")
        p.add_argument("--seeds", type=int, nargs="+", help="replace the config's seeds")
        p.add_argument("--results", help="results CSV (default: under $SERLIB_CACHE/results)")
        p.add_argument("--shard", metavar="K/N",
                       help="only part K of N of the grid (1 <= K <= N; N machines or GPUs "
                            "share one results file)")

    p = sub.add_parser("run", help="run the grid (resumable: finished runs are skipped)")
    common(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--distributed", action="store_true",
                   help="train every run data-parallel on the processes of a torchrun job "
                        "(torchrun --nproc-per-node N -m serlib experiment run ...)")
    p.set_defaults(func=_run)

    p = sub.add_parser("plan", help="list the runs of the grid (and, with --check-done, "
                                    "which are done)")
    common(p)
    p.add_argument("--check-done", action="store_true",
                   help="read the results file and mark the runs it holds")
    p.set_defaults(func=_plan)

    p = sub.add_parser("summary", help="mean ± std over seeds of results CSVs (merged)")
    p.add_argument("results", nargs="+", metavar="RESULTS_OR_CONFIG",
                   help="results CSVs written by `serlib experiment run` (shards that wrote "
                        "to separate files are merged), or experiment configs (a shipped "
                        "name or a YAML file) whose results for --profile are summarised")
    p.add_argument("--profile", default="smoke", choices=PROFILE_NAMES,
                   help="the profile whose results a config names (default: smoke)")
    p.add_argument("--out", help="also write the summary as CSV here")
    p.set_defaults(func=_summary)
