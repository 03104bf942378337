"""A task (source → target) ready to run: split tables, model inputs, and each run's datasets.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from torch import Tensor

from serlib.data import fold_protocol_split, label_set_classes, speaker_folds, split_id
from serlib.errors import SplitError
from serlib.experiments.backbones import Backbone, make_backbone
from serlib.experiments.config import ResolvedExperiment
from serlib.experiments.domains import (
    Domain,
    cap_per_speaker_emotion,
    label_target,
    load_domain,
)
from serlib.experiments.grid import RunSpec, target_folds
from serlib.experiments.protocols import get_protocol
from serlib.experiments.training import TrainingData
from serlib.features import UtteranceDataset, table_dataset

__all__ = ["Task", "TaskCache", "prepare_task", "run_datasets", "run_target_table"]


@dataclass
class Task:
    """A source → target pair with everything its runs share.

    Attributes:
        source: the source domain's name.
        target: the target domain's name.
        source_table: source utterances with ``split``.
        target_table: target utterances with ``split``.
        backbone: the backbone (statistics from source train).
        labels: class names in output order.
        source_inputs: model inputs of ``source_table``'s rows.
        target_inputs: model inputs of ``target_table``'s rows.
        n_dropped: audio files screening dropped from the two domains.
        target_folds: the target table with its ``fold`` column (``speaker_folds``
            protocol; None for the paper split).
    """

    source: str
    target: str
    source_table: pd.DataFrame
    target_table: pd.DataFrame
    backbone: Backbone
    labels: tuple[str, ...]
    source_inputs: list[Tensor]
    target_inputs: list[Tensor]
    n_dropped: int = 0
    target_folds: pd.DataFrame | None = None


@dataclass
class TaskCache:
    """What the tasks of one experiment share, loaded once: domains, backbones, inputs.

    Attributes:
        domains: domains (split tables, dropped files) by name.
        backbones: backbones by ``(source domain, frames, normalize)``.
        inputs: model inputs by ``(source domain, frames, normalize, domain)``.
    """

    domains: dict[str, Domain] = field(default_factory=dict)
    backbones: dict[tuple[str, ...], Backbone] = field(default_factory=dict)
    inputs: dict[tuple[str, ...], list[Tensor]] = field(default_factory=dict)


#: the test-time settings that change a backbone's inputs (the others act after training)
INPUT_SETTINGS = ("frames", "normalize")


def prepare_task(source: str, target: str, plan: ResolvedExperiment, cache: TaskCache, *,
                 progress: bool = False, log: Callable[[str], None] | None = None,
                 test_time: Mapping[str, Any] | None = None) -> Task:
    """Load both domains, make the backbone of the source, compute the inputs (all once).

    Args:
        test_time: the run's test-time settings (``RunSpec.test_time``); None: the
            config's. ``frames`` and ``normalize`` choose the backbone and its inputs.

    Raises:
        CorpusNotFoundError: a corpus of either domain is not on disk.
    """
    config = plan.config
    if test_time:
        config = dataclasses.replace(config, **{k: test_time[k] for k in INPUT_SETTINGS
                                                if k in test_time})
    protocol = get_protocol(config.protocol)
    for name in (source, target):
        if name not in cache.domains:
            try:
                cache.domains[name] = load_domain(name, config, plan.profile,
                                                  progress=progress, log=log)
            except SplitError:
                if name != target or name == source or protocol.target_train:
                    raise
                # too few speakers for a split: a test-only protocol does not need one
                cache.domains[name] = _test_only_domain(name, config, plan, progress)
    which = (source, *(str(getattr(config, k)) for k in INPUT_SETTINGS))
    if which not in cache.backbones:
        cache.backbones[which] = make_backbone(config, cache.domains[source].table)
    backbone = cache.backbones[which]
    for name in (source, target):
        if (*which, name) not in cache.inputs:
            cache.inputs[(*which, name)] = backbone.inputs(cache.domains[name].table,
                                                           progress=progress)
    dropped = len(cache.domains[source].dropped) + (
        len(cache.domains[target].dropped) if target != source else 0)
    target_table = cache.domains[target].table
    folds = None
    if protocol.folds:
        folds = speaker_folds(target_table, n_folds=len(target_folds(plan, target)),
                              seed=config.split_seed)
    if not protocol.target_train:  # every target utterance is a test utterance
        target_table = target_table.assign(split="test")
    return Task(source, target, cache.domains[source].table, target_table, backbone,
                label_set_classes(config.label_set), cache.inputs[(*which, source)],
                cache.inputs[(*which, target)], dropped, folds)


def _test_only_domain(name: str, config: Any, plan: ResolvedExperiment,
                      progress: bool) -> Domain:
    """A target domain without a speaker split (every utterance tested; ``all_test``), for
    a corpus with too few speakers to split (the rest as :func:`load_domain`)."""
    from serlib.data import apply_label_set, load_corpus, screen_audio

    table = pd.concat([load_corpus(c.rstrip("?"), progress=progress) for c in name.split("+")],
                      ignore_index=True)
    screened = screen_audio(table, progress=progress)
    table = apply_label_set(screened.kept, config.label_set, merges=config.merges)
    table = cap_per_speaker_emotion(table, plan.profile.max_per_speaker_emotion)
    return Domain(name, table.assign(split="test").reset_index(drop=True), screened.dropped)


def run_target_table(task: Task, run: RunSpec) -> pd.DataFrame:
    """The run's target table: ``split`` of its fold (``speaker_folds``) or of the paper
    split, and ``labelled`` for its label budget and seed (rows in the task's order)."""
    target = task.target_table if run.fold is None else \
        fold_protocol_split(task.target_folds, run.fold)  # type: ignore[arg-type]
    return label_target(target, run.n_labels, run.seed)


def run_datasets(task: Task, run: RunSpec) -> tuple[TrainingData, dict[str, UtteranceDataset],
                                                    dict[str, Any]]:
    """The datasets of one run: training data, test splits, and facts for its results row.

    Under the ``speaker_folds`` protocol the target's train/dev/test parts are those of
    the run's fold. The labelled target utterances come from target **train** only (see
    :func:`serlib.experiments.domains.label_target`); the remaining target train
    utterances form the unlabelled pool, whose labels are hidden here (``y = -1``).

    Returns:
        ``(training, tests, info)`` with ``tests = {"target": ..., "source": ...}`` and
        ``info`` holding the split ids and the sizes of the training sets.
    """
    s, t = task.source_table, run_target_table(task, run)
    si, ti, labels = task.source_inputs, task.target_inputs, task.labels
    train_t = t["split"] == "train"
    training = TrainingData(
        source_train=table_dataset(s, si, labels=labels, rows=s["split"] == "train"),
        source_dev=table_dataset(s, si, labels=labels, rows=s["split"] == "dev"),
        target_labelled=table_dataset(t, ti, labels=labels, rows=train_t & t["labelled"]),
        target_unlabelled=table_dataset(t, ti, labels=labels, rows=train_t & ~t["labelled"],
                                        hide_labels=True),
        target_dev=table_dataset(t, ti, labels=labels, rows=t["split"] == "dev"))
    tests = {"target": table_dataset(t, ti, labels=labels, rows=t["split"] == "test"),
             "source": table_dataset(s, si, labels=labels, rows=s["split"] == "test")}
    info = {"source_split_id": split_id(s), "target_split_id": split_id(t),
            "n_dropped": task.n_dropped,
            "n_source_train": len(training.source_train),
            "n_target_labelled": len(training.target_labelled),
            "n_target_unlabelled": len(training.target_unlabelled)}
    return training, tests, info
