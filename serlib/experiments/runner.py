"""The experiment runner: every run of a grid, resumable, one results row per run.

``run_experiment("smoke", profile="smoke")`` (or ``serlib experiment run smoke``)

1. resolves the config for the profile and expands the grid (:mod:`.grid`), and checks
   that the backbone's pre-trained weights fit it (before any data is prepared);
2. reads the results file and skips the runs it already holds (their key is a hash of
   the run's fully resolved settings), so an interrupted experiment continues where it
   stopped (an interrupted *training* resumes from its checkpoint);
3. per task (source → target), loads the domains, splits them by speaker, computes the
   inputs once (:mod:`.task`); a task whose corpora are not on disk is skipped with a
   message;
4. per run: trains (or reuses, :mod:`.source_models`) the source model of its source and
   seed, trains the method, applies its test-time settings (:mod:`.test_time`), scores it
   on the target and source test splits, saves a model bundle and appends a row to the
   results CSV (atomically, after every run). Every row says what the run knew: its
   ``test_time_info``, ``labels_used`` (every target label, selection included) and the
   ``config_digest`` of its configuration (equal across seeds and folds);
5. summarises mean ± std over seeds with the chance levels (Markdown + CSV).

Only an *expected* skip is a skip: a corpus that is not on disk (the whole task) or a
split the data cannot make (:class:`~serlib.errors.SplitError`). Any other failure of a
run is that run's **error row** (``status = "error"``, the message, and ``retry``: False
when the same settings will fail the same way again, e.g. a ConfigError); the other runs
go on, the error rows are retried next time, and ``serlib experiment run`` exits non-zero.

Results go to ``$SERLIB_CACHE/results/<name>-<profile>.csv`` unless a path is given.

``shard=(K, N)`` runs part K of N of the grid (:func:`~serlib.experiments.grid.shard_runs`);
N shards (machines, GPUs, SLURM array tasks) can share one results file. Inside a
``torchrun`` process group (``serlib experiment run --distributed``) every process trains
every run together (:func:`serlib.train.fit` is data-parallel) and only rank 0 writes
results, models, checkpoints and messages.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import ConcatDataset

import serlib
from serlib.data import cache_root, ensure_writable
from serlib.data.labels import target_classes
from serlib.errors import ConfigError, CorpusNotFoundError, SplitError
from serlib.evaluate import save_table_csv, score_predictions, score_split
from serlib.experiments.bundles import save_model_bundle
from serlib.experiments.classes import restrict_to_classes
from serlib.experiments.config import (
    ExperimentConfig,
    ResolvedExperiment,
    load_experiment,
    resolve_experiment,
)
from serlib.experiments.grid import RunSpec, expand_grid, shard_runs
from serlib.experiments.profiles import Profile
from serlib.experiments.refinement import REFINERS
from serlib.experiments.results import append_result, read_results
from serlib.experiments.selection import labels_used
from serlib.experiments.source_models import load_or_train_source_model
from serlib.experiments.speaker_predict import bundle_test_time
from serlib.experiments.summary import render_summary, save_summary, summarize_results
from serlib.experiments.task import Task, TaskCache, prepare_task, run_datasets
from serlib.experiments.training import Trained, TrainingData, train_method
from serlib.experiments.weights import check_weights, resolve_weights
from serlib.features import eval_loader
from serlib.train import (
    Predictions,
    Probe,
    predict,
    reestimate_batchnorm,
    remove_checkpoint,
    resolve_device,
)
from serlib.train.distributed import barrier, is_main_process, main_process_first

__all__ = ["ExperimentResult", "ResultPaths", "RunOutcome", "run_experiment", "run_one",
           "save_run_bundle", "train_run"]


@dataclass(frozen=True)
class ResultPaths:
    """Where an experiment writes: results CSV, summary CSV, model bundles, checkpoints, and
    each run's target-test predictions (pooled over folds by the summary)."""

    results: Path
    summary: Path
    models: Path
    checkpoints: Path
    predictions: Path

    @classmethod
    def for_experiment(cls, name: str, profile: str,
                       results: str | os.PathLike[str] | None = None) -> ResultPaths:
        """Default ``$SERLIB_CACHE/results/<name>-<profile>.csv`` and siblings."""
        path = Path(results) if results else cache_root() / "results" / f"{name}-{profile}.csv"
        stem = path.with_suffix("")
        return cls(path, stem.with_name(f"{stem.name}-summary.csv"),
                   stem.with_name(f"{stem.name}-models"),
                   stem.with_name(f"{stem.name}-checkpoints"),
                   stem.with_name(f"{stem.name}-predictions"))


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns.

    Attributes:
        results: one row per run of this grid that is done (new or from before).
        summary: mean ± std over seeds per condition.
        paths: where everything was written.
        ran: runs executed now (successfully).
        skipped: messages about tasks or grid points that could not run (expected).
        errors: messages of runs that failed (their error rows are in the results file).
    """

    results: pd.DataFrame
    summary: pd.DataFrame
    paths: ResultPaths
    ran: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


#: errors that the same settings raise again (their error rows say so, not "rerun")
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (ConfigError,)


def _row(run: RunSpec, plan: ResolvedExperiment) -> dict[str, Any]:
    """The columns of a results row that describe the run (not its outcome)."""
    return {"run_key": run.key, "config_digest": run.config_digest,
            "experiment": run.experiment, "method": run.method.name,
            "source": run.source, "target": run.target, "n_labels": str(run.n_labels),
            "threshold": run.threshold, "trade_off": run.trade_off,
            "hyper": json.dumps(run.hyper, sort_keys=True), "seed": run.seed,
            "profile": run.profile, "profile_note": plan.profile.note,
            "backbone": plan.config.backbone,
            **run.test_time, "test_time_info": run.test_time_info,
            "selection": plan.config.selection,
            "protocol": plan.config.protocol,
            "fold": run.fold,
            "recipe": plan.recipe.name, "label_set": plan.config.label_set,
            "restrict_to_target_classes": plan.config.restrict_to_target_classes,
            "serlib_version": serlib.__version__}


@dataclass
class RunOutcome:
    """A trained and scored run: the model, how it was trained, and its results row.

    Attributes:
        run: the run.
        model: the model (on the training device), holding the selected weights.
        trained: the method's training (history, epochs, selection); None for zero-shot,
            which is the source model.
        row: the results row (without the bundle's path).
        target_predictions: the model's outputs on the target test split.
    """

    run: RunSpec
    model: torch.nn.Module
    trained: Trained | None
    row: dict[str, Any]
    target_predictions: Predictions


def _adabn(model: torch.nn.Module, training: TrainingData, plan: ResolvedExperiment) -> None:
    """AdaBN: BatchNorm statistics from every target training utterance (labels unused).

    The source test split is then scored by the same re-estimated model: what the source
    language pays for the target's statistics.
    """
    pool = ConcatDataset([training.target_labelled, training.target_unlabelled])
    if len(pool) == 0:
        raise ConfigError("adabn: the target has no training utterance to estimate BatchNorm "
                          "statistics on")
    if not reestimate_batchnorm(model, eval_loader(pool)):
        raise ConfigError(f"adabn: the {plan.config.backbone} model runs no BatchNorm layer "
                          "(its trunk is frozen and cached, or it has none); use "
                          "small_cnn or byols, or set adabn: false")


def train_run(run: RunSpec, task: Task, plan: ResolvedExperiment, paths: ResultPaths, *,
              progress: bool = False, probes: Mapping[str, Probe] | None = None) -> RunOutcome:
    """Train and score one run: the source model (trained once per source and seed, then
    read from disk), the method, and the scores on the target and source test splits."""
    start = time.perf_counter()
    training, tests, info = run_datasets(task, run)
    num_classes = len(task.labels)
    state, source_info = load_or_train_source_model(run, task, training, plan,
                                                    progress=progress)
    method = run.method
    if method.unlabelled == "none":  # the pool exists, but this method does not train on it
        info["n_target_unlabelled"] = 0
    trained = None
    if method.start == "source_model":
        model = task.backbone.new_model(num_classes, run.seed)
        model.load_state_dict(state)
        model.to(resolve_device(plan.config.device))
        selection = {k: source_info[k] for k in ("selected_on", "best_epoch", "dev_uar",
                                                 "epochs")}
    else:
        checkpoint = paths.checkpoints / f"{run.key}.ckpt"
        trained = train_method(method, training, task.backbone, plan.recipe, state,
                               hyper=run.hyper, num_classes=num_classes, seed=run.seed,
                               device=plan.config.device, checkpoint=checkpoint,
                               progress=progress, probes=probes,
                               selection=plan.config.selection,
                               n_cv_folds=plan.config.cv_folds)
        model, selection = trained.model, trained.selection()
        if is_main_process():
            remove_checkpoint(checkpoint)  # and its digest
    if run.test_time.get("adabn", False):
        _adabn(model, training, plan)
    refiner = REFINERS[run.test_time.get("refine", "none")]
    target_pred = predict(model, eval_loader(tests["target"]), with_feats=refiner is not None)
    if refiner is not None:  # one pass: the logits come from the same features
        target_pred = refiner(target_pred, task, run, tests["target"])
    present = target_classes(task.target_table, task.labels)
    if plan.config.restrict_to_target_classes:
        target_pred = restrict_to_classes(target_pred, task.labels, present)
    used = labels_used(selection["selected_on"], info["n_target_labelled"],
                       len(training.target_dev))
    scores = {**score_predictions(target_pred, labels=range(num_classes)),
              **score_split(model, tests["source"], num_classes=num_classes,
                            prefix="source_")}
    row = {**_row(run, plan), "status": "ok", "target_classes": " ".join(present), **info,
           "labels_used": used, **selection,
           **scores, "wall_time": time.perf_counter() - start}
    return RunOutcome(run, model, trained, row, target_pred)


def save_run_bundle(outcome: RunOutcome, task: Task, plan: ResolvedExperiment,
                    paths: ResultPaths) -> Path:
    """Save the run's model as a bundle (for ``serlib predict``) with its training facts."""
    row = outcome.row
    exported, spec = task.backbone.export(outcome.model.cpu(), len(task.labels),
                                          target_table=task.target_table)
    metadata = {k: row[k] for k in ("run_key", "experiment", "method", "source", "target",
                                     "n_labels", "seed", "selected_on", "best_epoch",
                                     "target_split_id", "source_split_id", "hyper")}
    metadata.update(data=plan.config.data, label_set=plan.config.label_set,
                    profile=plan.profile.name, backbone=plan.config.backbone,
                    source_corpora=sorted(set(task.source_table["corpus"])),
                    source_languages=sorted(set(task.source_table["language"])),
                    target_corpora=sorted(set(task.target_table["corpus"])),
                    target_languages=sorted(set(task.target_table["language"])),
                    target_uar=row["uar"], source_uar=row["source_uar"],
                    test_time=bundle_test_time(task.backbone, row, task.source_table))
    return save_model_bundle(
        paths.models / f"{outcome.run.method.name}-{outcome.run.key}.pt", exported,
        labels=task.labels, mel_config=task.backbone.mel_config, model_spec=spec,
        norm_stats=task.backbone.norm_stats, metadata=metadata)


def run_one(run: RunSpec, task: Task, plan: ResolvedExperiment, paths: ResultPaths, *,
            progress: bool = False) -> dict[str, Any]:
    """Train, score and (if the config says so) bundle one run; returns its results row."""
    outcome = train_run(run, task, plan, paths, progress=progress)
    row = outcome.row
    if is_main_process():
        pred = outcome.target_predictions
        save_table_csv(pd.DataFrame({"y_true": pred.y.numpy(), "y_pred": pred.y_pred}),
                       paths.predictions / f"{run.key}.csv")
    if plan.config.save_models and is_main_process():
        row["model_path"] = str(save_run_bundle(outcome, task, plan, paths))
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def _error_row(run: RunSpec, plan: ResolvedExperiment, err: BaseException,
               task: Task | None = None) -> dict[str, Any]:
    message = " | ".join(f"{type(err).__name__}: {err}".splitlines())
    classes = None if task is None else " ".join(target_classes(task.target_table,
                                                                task.labels))
    return {**_row(run, plan), "status": "error", "error": message,
            "target_classes": classes,
            "retry": not isinstance(err, PERMANENT_ERRORS),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _debug() -> bool:
    """``SERLIB_DEBUG=1``: print each failed run's traceback (else one line per run)."""
    return os.environ.get("SERLIB_DEBUG", "") not in ("", "0")


def _plan(config: str | os.PathLike[str] | ExperimentConfig, profile: str | Profile,
          seeds: Sequence[int] | None) -> ResolvedExperiment:
    loaded = config if isinstance(config, ExperimentConfig) else load_experiment(config)
    return resolve_experiment(loaded, profile, seeds)


def run_experiment(config: str | os.PathLike[str] | ExperimentConfig,
                   profile: str | Profile = "smoke", seeds: Sequence[int] | None = None,
                   results_path: str | os.PathLike[str] | None = None, *,
                   progress: bool = True,
                   log: Callable[[str], None] | None = print,
                   shard: tuple[int, int] | None = None,
                   cache: TaskCache | None = None) -> ExperimentResult:
    """Run (or continue) the grid of an experiment config (see the module docstring).

    Args:
        config: the experiment: a YAML file, the name of a shipped config (e.g.
            ``"cpu_ravdess_emodb"``), or an :class:`ExperimentConfig`.
        profile: ``"smoke"``, ``"cpu"``, ``"full"`` or a :class:`Profile` (e.g. a dry run).
        seeds: replace the config's seeds.
        results_path: the results CSV (default under ``$SERLIB_CACHE/results``).
        progress: show training progress bars.
        log: where progress messages go (None: silent; under torchrun only rank 0 logs).
        cache: prepared domains, backbones and inputs to reuse (a ``Study``'s, when its
            grid has the same data and backbone settings); None: a fresh one.
        shard: ``(K, N)``: run part K of N of the grid (the summary covers the whole grid:
            every part's rows in the results file so far).

    Returns:
        The rows of this grid, their summary, the paths written, what was skipped and
        what failed.

    Raises:
        ConfigError: the config is invalid, or the weights do not fit the backbone.
    """
    log = log if is_main_process() else None
    progress = progress and is_main_process()
    say = log or (lambda message: None)
    plan = _plan(config, profile, seeds)
    c = plan.config
    check_weights(c.backbone, resolve_weights(c.backbone, c.weights, c.backbone_options))
    grid, skipped = expand_grid(plan)
    runs = grid if shard is None else shard_runs(grid, *shard)
    label = plan.profile.name + ("-dry-run" if plan.profile.dry_run else "")
    paths = ResultPaths.for_experiment(c.name, label, results_path)
    ensure_writable(paths.results.parent, what="the experiment's results, models and "
                                                "checkpoints")
    results = read_results(paths.results)
    done = set(results.loc[results["status"].astype(str) == "ok", "run_key"].astype(str))
    todo = [r for r in runs if r.key not in done]
    part = "" if shard is None else f" (shard {shard[0]}/{shard[1]} of {len(grid)})"
    say(f"{c.name} [{label}]: {len(runs)} runs{part}, {len(runs) - len(todo)} already in "
        f"{paths.results}")
    for note in skipped:  # what the plan leaves out, said once (never silently absent)
        say(f"note: {note}")
    if not grid:
        say("nothing to run: the grid has no run (the notes above say why)")
    cache = TaskCache() if cache is None else cache
    ran, dead_tasks, errors = 0, set(), []
    for number, run in enumerate(todo, start=1):
        if run.task in dead_tasks:
            continue
        task = None
        try:
            with main_process_first():  # under torchrun: rank 0 caches the features first
                task = prepare_task(run.source, run.target, plan, cache, progress=progress,
                                    log=log, test_time=run.test_time)
            row = run_one(run, task, plan, paths, progress=progress)
        except CorpusNotFoundError as err:
            dead_tasks.add(run.task)
            skipped.append(f"{run.task}: skipped, a corpus could not be loaded ({err})")
            say(skipped[-1])
            continue
        except SplitError as err:
            skipped.append(f"{run.describe()}: skipped ({err})")
            say(skipped[-1])
            continue
        except Exception as err:  # a failed run is its error row; the grid goes on
            again = (" (fails the same way again: fix the config)"
                     if isinstance(err, PERMANENT_ERRORS) else "")
            what = " | ".join(f"{type(err).__name__}: {err}{again}".splitlines())
            errors.append(f"{run.describe()}: {what}")
            say(f"[{number}/{len(todo)}] {run.describe()}: FAILED: {what}"
                + ("\n" + "".join(traceback.format_exception(err)).rstrip() if _debug() else ""))
            if is_main_process():
                append_result(paths.results, _error_row(run, plan, err, task))
            barrier()
            continue
        if is_main_process():
            append_result(paths.results, row)
        barrier()  # under torchrun: every process sees rank 0's files before the next run
        ran += 1
        say(f"[{number}/{len(todo)}] {run.describe()}: UAR {100 * row['uar']:.1f} % "
            f"(WA {100 * row['wa']:.1f} %, chance {100 * row['chance_uar']:.1f} %) "
            f"selected on {row['selected_on']} [{row['wall_time']:.0f} s]")
    position = {r.key: i for i, r in enumerate(grid)}  # the grid's order: task, seed, method
    results = read_results(paths.results) if todo else results  # every writer's rows
    mine = results[results["run_key"].astype(str).isin(position)
                   & (results["status"].astype(str) == "ok")]
    # rows in grid order, whatever order they were appended in (shards, resumed runs), so
    # the summary lists conditions as the config does
    mine = mine.iloc[mine["run_key"].astype(str).map(position).argsort(kind="stable")]
    summary = summarize_results(mine, predictions=paths.predictions)
    if is_main_process():
        save_summary(summary, paths.summary)
    say("\n" + render_summary(summary) + f"\n\nresults: {paths.results}\nsummary: {paths.summary}")
    if errors:
        retry = "; rerun to retry the others" if any("fails the same way" not in e
                                                      for e in errors) else ""
        say(f"{len(errors)} run(s) FAILED (error rows in {paths.results}{retry}):\n"
            + "\n".join(f"  {e}" for e in errors))
    return ExperimentResult(mine.reset_index(drop=True), summary, paths, ran, skipped, errors)
