"""The experiment runner: every run of a grid, resumable, one results row per run.

``run_experiment("configs/smoke.yaml", profile="smoke")`` (or ``serlib experiment run``)

1. resolves the config for the profile and expands the grid (:mod:`.grid`);
2. reads the results file and skips the runs it already holds (their key is a hash of
   the run's fully resolved settings), so an interrupted experiment continues where it
   stopped (an interrupted *training* resumes from its per-epoch checkpoint);
3. per task (source → target), loads the domains, splits them by speaker, computes the
   inputs once (:mod:`.task`); a task whose corpora are not on disk is skipped with a
   message;
4. per run: trains (or reuses) the source model of its source and seed, trains the
   method, scores it on the target and source test splits, saves a model bundle and
   appends a row to the results CSV (atomically, after every run);
5. summarises mean ± std over seeds with the chance levels (Markdown + CSV).

Results go to ``$SERLIB_CACHE/results/<name>-<profile>.csv`` unless a path is given.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import serlib
from serlib.adapt import get_method, resolve_device, save_model_bundle
from serlib.atomic import atomic_path
from serlib.config import config_hash
from serlib.data import cache_root
from serlib.errors import CorpusNotFoundError, SplitError
from serlib.experiments.config import ResolvedExperiment, load_experiment, resolve_experiment
from serlib.experiments.evaluation import score_split
from serlib.experiments.grid import RUN_FORMAT, RunSpec, expand_grid
from serlib.experiments.results import (
    append_result,
    read_results,
    render_summary,
    save_summary,
    summarize_results,
)
from serlib.experiments.task import Task, TaskCache, prepare_task, run_datasets
from serlib.experiments.training import TrainingData, train_method, train_source_model

__all__ = ["ExperimentResult", "ResultPaths", "run_experiment", "run_one"]


@dataclass(frozen=True)
class ResultPaths:
    """Where an experiment writes: results CSV, summary CSV, model bundles, checkpoints."""

    results: Path
    summary: Path
    models: Path
    checkpoints: Path

    @classmethod
    def for_experiment(cls, name: str, profile: str,
                       results: str | os.PathLike[str] | None = None) -> ResultPaths:
        """Default ``$SERLIB_CACHE/results/<name>-<profile>.csv`` and siblings."""
        path = Path(results) if results else cache_root() / "results" / f"{name}-{profile}.csv"
        stem = path.with_suffix("")
        return cls(path, stem.with_name(f"{stem.name}-summary.csv"),
                   stem.with_name(f"{stem.name}-models"),
                   stem.with_name(f"{stem.name}-checkpoints"))


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns.

    Attributes:
        results: one row per run of this grid that is done (new or from before).
        summary: mean ± std over seeds per condition.
        paths: where everything was written.
        ran: runs executed now.
        skipped: messages about tasks or grid points that could not run.
    """

    results: pd.DataFrame
    summary: pd.DataFrame
    paths: ResultPaths
    ran: int = 0
    skipped: list[str] = field(default_factory=list)


def _source_model(run: RunSpec, task: Task, training: TrainingData, plan: ResolvedExperiment,
                  paths: ResultPaths, *, progress: bool) -> tuple[dict[str, torch.Tensor],
                                                                  dict[str, Any]]:
    """The source model of the run's source and seed: trained once, then read from disk."""
    key = config_hash(run.settings, run.source, run.seed, run.profile, RUN_FORMAT)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", run.source)
    file = paths.models / f"source-{name}-seed{run.seed}-{key}.state.pt"
    if file.is_file():
        payload = torch.load(file, map_location="cpu", weights_only=True)
        return payload["state"], payload["info"]
    start = time.perf_counter()
    checkpoint = paths.checkpoints / f"source-{key}.ckpt"
    trained = train_source_model(training, task.backbone, plan.recipe,
                                 num_classes=len(task.labels), seed=run.seed,
                                 device=plan.config.device, checkpoint=checkpoint,
                                 progress=progress)
    info = {"selected_on": trained.selected_on, "best_epoch": trained.best_epoch,
            "best_score": trained.best_score, "epochs": trained.epochs,
            "wall_time": time.perf_counter() - start}
    state = {k: v.detach().cpu() for k, v in trained.model.state_dict().items()}
    with atomic_path(file) as tmp:
        torch.save({"state": state, "info": info}, tmp)
    checkpoint.unlink(missing_ok=True)
    return state, info


def run_one(run: RunSpec, task: Task, plan: ResolvedExperiment, paths: ResultPaths, *,
            progress: bool = False) -> dict[str, Any]:
    """Train and score one run; returns its results row (see ``RESULT_COLUMNS``)."""
    start = time.perf_counter()
    training, tests, info = run_datasets(task, run)
    num_classes = len(task.labels)
    state, source_info = _source_model(run, task, training, plan, paths, progress=progress)
    method = get_method(run.method)
    if method.unlabelled == "none":  # the pool exists, but this method does not train on it
        info["n_target_unlabelled"] = 0
    if method.start == "source_model":
        model = task.backbone.new_model(num_classes, run.seed)
        model.load_state_dict(state)
        selection = source_info
    else:
        checkpoint = paths.checkpoints / f"{run.key}.ckpt"
        trained = train_method(run, training, task.backbone, plan.recipe, state,
                               num_classes=num_classes, device=plan.config.device,
                               checkpoint=checkpoint, progress=progress)
        model = trained.model
        selection = {"selected_on": trained.selected_on, "best_epoch": trained.best_epoch,
                     "best_score": trained.best_score, "epochs": trained.epochs}
        checkpoint.unlink(missing_ok=True)
    device = resolve_device(plan.config.device)
    model.to(device)
    scores = {**score_split(model, tests["target"], num_classes=num_classes, device=device),
              **score_split(model, tests["source"], num_classes=num_classes, device=device,
                            prefix="source_")}
    row = {"run_key": run.key, "experiment": run.experiment, "method": run.method,
           "source": run.source, "target": run.target, "n_labels": str(run.n_labels),
           "threshold": run.threshold, "trade_off": run.trade_off, "seed": run.seed,
           "profile": run.profile, "backbone": plan.config.backbone,
           "recipe": plan.recipe.name, "label_set": plan.config.label_set, **info,
           "selected_on": selection["selected_on"], "best_epoch": selection["best_epoch"],
           "dev_uar": selection["best_score"], "epochs": selection["epochs"], **scores,
           "serlib_version": serlib.__version__}
    if plan.config.save_models:
        exported, spec = task.backbone.export(model.cpu(), num_classes)
        metadata = {k: row[k] for k in ("run_key", "experiment", "method", "source", "target",
                                         "n_labels", "seed", "selected_on", "best_epoch",
                                         "target_split_id", "source_split_id")}
        row["model_path"] = str(save_model_bundle(
            paths.models / f"{run.method}-{run.key}.pt", exported, labels=task.labels,
            mel_config=task.backbone.mel_config, model_spec=spec,
            norm_stats=task.backbone.norm_stats, metadata=metadata))
    row["wall_time"] = time.perf_counter() - start
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def _describe(run: RunSpec) -> str:
    extra = "".join(f" {k}={v}" for k, v in (("τ", run.threshold), ("trade_off", run.trade_off))
                    if v is not None)
    return f"{run.method} {run.task} n={run.n_labels}{extra} seed={run.seed}"


def run_experiment(config_path: str | os.PathLike[str], profile: str = "smoke",
                   seeds: Sequence[int] | None = None,
                   results_path: str | os.PathLike[str] | None = None, *,
                   progress: bool = True,
                   log: Callable[[str], None] | None = print) -> ExperimentResult:
    """Run (or continue) the grid of an experiment config (see the module docstring).

    Args:
        config_path: the experiment YAML file.
        profile: ``smoke``, ``cpu`` or ``full``.
        seeds: replace the config's seeds.
        results_path: the results CSV (default under ``$SERLIB_CACHE/results``).
        progress: show training progress bars.
        log: where progress messages go (None: silent).

    Returns:
        The rows of this grid, their summary, the paths written, and what was skipped.
    """
    say = log or (lambda message: None)
    plan = resolve_experiment(load_experiment(config_path), profile, seeds)
    runs, skipped = expand_grid(plan)
    paths = ResultPaths.for_experiment(plan.config.name, profile, results_path)
    results = read_results(paths.results)
    done = set(results["run_key"].astype(str))
    todo = [r for r in runs if r.key not in done]
    say(f"{plan.config.name} [{profile}]: {len(runs)} runs, {len(runs) - len(todo)} already "
        f"in {paths.results}")
    cache, ran, dead_tasks = TaskCache(), 0, set()
    for number, run in enumerate(todo, start=1):
        if run.task in dead_tasks:
            continue
        try:
            task = prepare_task(run.source, run.target, plan, cache, progress=progress,
                                log=log)
            row = run_one(run, task, plan, paths, progress=progress)
        except CorpusNotFoundError as err:
            dead_tasks.add(run.task)
            skipped.append(f"{run.task}: skipped, a corpus is not on disk ({err})")
            say(skipped[-1])
            continue
        except (SplitError, ValueError) as err:
            skipped.append(f"{_describe(run)}: skipped ({err})")
            say(skipped[-1])
            continue
        results = append_result(paths.results, results, row)
        ran += 1
        say(f"[{number}/{len(todo)}] {_describe(run)}: UAR {100 * row['uar']:.1f} % "
            f"(WA {100 * row['wa']:.1f} %, chance {100 * row['chance_uar']:.1f} %) "
            f"selected on {row['selected_on']} [{row['wall_time']:.0f} s]")
    mine = results[results["run_key"].astype(str).isin({r.key for r in runs})]
    summary = summarize_results(mine)
    save_summary(summary, paths.summary)
    say("\n" + render_summary(summary) + f"\n\nresults: {paths.results}\nsummary: {paths.summary}")
    return ExperimentResult(mine.reset_index(drop=True), summary, paths, ran, skipped)
