"""A chapter's experiments: one profile, the runner's splits, seeds, caches and results.

A :class:`Study` is what a chapter holds instead of a settings table of its own. It builds
:class:`~serlib.experiments.ExperimentConfig` s from its profile (data, tasks, backbone,
epochs), so that a model a chapter trains by hand and the grid it runs through the runner
use the same speaker-independent splits, label subsets, seeds and model selection::

    study = Study(get_profile(PROFILE, dry_run=DRY_RUN), name="ch07")
    task = study.task()                                   # source -> first target
    zero = study.train("zero_shot", seed=0)               # the source model, scored
    mmd = study.train("mmd", n_labels=100, seed=0, hyper={"trade_off": 0.3})
    grid = study.grid(methods=["transfer", "mmd"], n_labels=[25, 100])   # every seed

Source models are trained once per source and seed and kept on disk in the shared
source-model cache (``$SERLIB_CACHE/source-models``, :mod:`.source_models`), keyed by the
settings that determine them, so a chapter (or another chapter, or a grid) that asks for
the same source model twice pays once.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serlib.experiments.config import ExperimentConfig, ResolvedExperiment, resolve_experiment
from serlib.experiments.cuts import Cut, grid_weight
from serlib.experiments.grid import RunSpec, expand_grid
from serlib.experiments.profiles import Profile
from serlib.experiments.runner import (
    ExperimentResult,
    ResultPaths,
    RunOutcome,
    run_experiment,
    train_run,
)
from serlib.experiments.task import Task, TaskCache, prepare_task
from serlib.train import Probe
from serlib.train.costs import weighted_fits

__all__ = ["Study"]


@dataclass
class Study:
    """The experiments of one chapter under one profile (see the module docstring).

    Attributes:
        profile: the profile (``get_profile(PROFILE, dry_run=DRY_RUN)``).
        name: names the results files (e.g. ``"ch07_mmd"``).
        recipe: ``"agarla"`` or ``"baklouti"``.
        label_set: the label set of every task.
        backbone: None: the profile's backbone for the recipe.
        options: any other :class:`ExperimentConfig` field (e.g. ``backbone_options``).
    """

    profile: Profile
    name: str = "book"
    recipe: str = "agarla"
    label_set: str = "agarla5"
    backbone: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    _cache: TaskCache = field(default_factory=TaskCache, repr=False)
    # dry run: the keys of the capped and the uncapped runs of the grids run so far
    _seen: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()),
                                             repr=False)

    def config(self, *, methods: Sequence[str] = ("zero_shot",),
               targets: Sequence[str] | None = None, **changes: Any) -> ExperimentConfig:
        """An experiment config on the profile's data (``changes``: any config field)."""
        p = self.profile
        tasks = tuple(f"{p.source} -> {t}" for t in (targets or p.targets))
        values: dict[str, Any] = {
            "name": self.name, "tasks": tasks, "methods": tuple(methods), "data": p.data,
            "synthetic": p.synthetic, "label_set": self.label_set, "seeds": p.seeds,
            "backbone": self.backbone, "recipe": self.recipe, **self.options, **changes}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return ExperimentConfig(**values)

    def plan(self, **changes: Any) -> ResolvedExperiment:
        """The config resolved for the profile (what the runner executes)."""
        return resolve_experiment(self.config(**changes), self.profile)

    @property
    def paths(self) -> ResultPaths:
        """Where the study's runs write (results, source models, bundles)."""
        label = self.profile.name + ("-dry-run" if self.profile.dry_run else "")
        return ResultPaths.for_experiment(self.name, label)

    def task(self, target: str | None = None, *,
             test_time: Mapping[str, Any] | None = None) -> Task:
        """The task ``source -> target`` (default: the profile's first target), loaded once
        (``test_time``: a run's test-time settings; None: the study's)."""
        plan = self.plan()
        target = target or self.profile.targets[0]
        return prepare_task(self.profile.source, target, plan, self._cache,
                            test_time=test_time)

    @property
    def columns(self) -> tuple[dict[str, Any], ...]:
        """The profile's test-time columns, the inductive one first
        (:attr:`Profile.test_time_columns`): pass one to :meth:`train` (``test_time=``), or
        all of them to :meth:`grid` (``test_time=study.columns``)."""
        return tuple(dict(c) for c in self.profile.test_time_columns)

    def run_spec(self, method: str, *, target: str | None = None, n_labels: int | str = 0,
                 seed: int = 0, hyper: Mapping[str, Any] | None = None,
                 test_time: Mapping[str, Any] | None = None) -> RunSpec:
        """The run of ``method`` with these settings, exactly as the grid would make it
        (``test_time``: one test-time column, e.g. ``study.columns[0]``; None: the
        study's own settings)."""
        target = target or self.profile.targets[0]
        axis = {} if test_time is None else {"test_time": (dict(test_time),)}
        plan = self.plan(methods=[method], targets=[target], n_labels=(n_labels,),
                         seeds=(seed,), hyper={method: dict(hyper or {})}, **axis)
        runs, notes = expand_grid(dataclasses.replace(plan, seeds=(seed,)))
        if not runs:
            raise ValueError(f"{method} cannot run with n_labels={n_labels}: {notes}")
        return runs[0]

    def train(self, method: str, *, target: str | None = None, n_labels: int | str = 0,
              seed: int = 0, hyper: Mapping[str, Any] | None = None,
              probes: Mapping[str, Probe] | None = None,
              test_time: Mapping[str, Any] | None = None) -> RunOutcome:
        """Train and score one run (the source model comes from disk when it exists;
        ``test_time``: one of :attr:`columns`, None: the study's own settings).

        Returns:
            The model, its training history (``outcome.trained.result``) and its results
            row (``outcome.row``: UAR, WA, interval, chance, ...).
        """
        run = self.run_spec(method, target=target, n_labels=n_labels, seed=seed, hyper=hyper,
                            test_time=test_time)
        plan = self.plan(methods=[method], targets=[run.target])
        task = self.task(run.target, test_time=run.test_time)
        return train_run(run, task, plan, self.paths, probes=probes)

    def grid(self, *, methods: Sequence[str], n_labels: Sequence[int | str] = (0,),
             targets: Sequence[str] | None = None, seeds: Sequence[int] | None = None,
             **changes: Any) -> ExperimentResult:
        """Run a grid through the experiment runner (resumable; every seed of the profile).

        ``changes``: other config fields, e.g. ``thresholds``, ``trade_offs``, ``hyper``.
        An axis given as a :class:`~serlib.experiments.cuts.Cut` (``dry_run_cut``) that a
        dry run shortened weighs the grid's fits by the uncapped grid's new runs over the
        capped grid's (:func:`~serlib.experiments.cuts.grid_weight`), for the cost estimate.
        """
        config = self.config(methods=methods, targets=targets, n_labels=tuple(n_labels),
                             save_models=False, **changes)
        weight = self._cut_weight(config, seeds, methods=methods, targets=targets,
                                  n_labels=n_labels, **changes)
        label = self.profile.name + ("-dry-run" if self.profile.dry_run else "")
        # the study's prepared tasks serve the grid unless a change alters data or backbone
        # (the cache keeps one backbone per input test-time setting)
        same_inputs = not set(changes) - {"thresholds", "trade_offs", "hyper", "frames",
                                          "normalize", "adabn", "refine", "test_time",
                                          "selection", "cv_folds"}
        with weighted_fits(weight):
            return run_experiment(config, self.profile, seeds=seeds,
                                  results_path=ResultPaths.for_experiment(self.name,
                                                                          label).results,
                                  progress=False, log=None,
                                  cache=self._cache if same_inputs else None)

    def _cut_weight(self, config: ExperimentConfig, seeds: Sequence[int] | None,
                    **axes: Any) -> float:
        """Dry run: uncapped runs per capped run of this grid (1.0 otherwise)."""
        if not self.profile.dry_run:
            return 1.0
        capped = resolve_experiment(config, self.profile, seeds)
        if not any(isinstance(v, Cut) and v.is_cut for v in (*axes.values(), seeds)):
            return grid_weight(capped, capped, seen=self._seen)
        full = {k: v.full if isinstance(v, Cut) else v for k, v in axes.items()}
        full_config = self.config(methods=full.pop("methods"), targets=full.pop("targets"),
                                  n_labels=tuple(full.pop("n_labels")), save_models=False,
                                  **full)
        full_seeds = seeds.full if isinstance(seeds, Cut) else seeds
        return grid_weight(capped, resolve_experiment(full_config, self.profile, full_seeds),
                           seen=self._seen)
