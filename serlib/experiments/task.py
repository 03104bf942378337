"""A task (source → target) ready to run: split tables, model inputs, and each run's datasets.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from torch import Tensor

from serlib.data import encode_labels, label_set_classes, split_id
from serlib.experiments.backbones import Backbone, make_backbone
from serlib.experiments.config import ResolvedExperiment
from serlib.experiments.domains import label_target, load_domain
from serlib.experiments.grid import RunSpec
from serlib.experiments.training import TrainingData
from serlib.features.batching import UtteranceDataset

__all__ = ["Task", "TaskCache", "prepare_task", "run_datasets"]


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
    """

    source: str
    target: str
    source_table: pd.DataFrame
    target_table: pd.DataFrame
    backbone: Backbone
    labels: tuple[str, ...]
    source_inputs: list[Tensor]
    target_inputs: list[Tensor]


class TaskCache:
    """Domains and backbones loaded once per experiment (shared by its tasks)."""

    def __init__(self) -> None:
        self.domains: dict[str, pd.DataFrame] = {}
        self.backbones: dict[str, Backbone] = {}


def prepare_task(source: str, target: str, plan: ResolvedExperiment, cache: TaskCache, *,
                 progress: bool = False, log: Callable[[str], None] | None = None) -> Task:
    """Load both domains (cached), make the backbone of the source, compute the inputs.

    Raises:
        CorpusNotFoundError: a corpus of either domain is not on disk.
    """
    for name in (source, target):
        if name not in cache.domains:
            cache.domains[name] = load_domain(name, plan.config, plan.profile,
                                              progress=progress, log=log)
    source_table, target_table = cache.domains[source], cache.domains[target]
    if source not in cache.backbones:
        cache.backbones[source] = make_backbone(plan.config, source_table)
    backbone = cache.backbones[source]
    return Task(source, target, source_table, target_table, backbone,
                label_set_classes(plan.config.label_set),
                backbone.inputs(source_table, progress=progress),
                backbone.inputs(target_table, progress=progress))


def _dataset(table: pd.DataFrame, inputs: list[Tensor], rows: pd.Series, labels: tuple[str, ...],
             *, hide_labels: bool = False) -> UtteranceDataset:
    index = [i for i, keep in enumerate(rows.to_numpy()) if keep]
    y = encode_labels(table["emotion"].iloc[index], labels)
    return UtteranceDataset([inputs[i] for i in index], None if hide_labels else y.tolist())


def run_datasets(task: Task, run: RunSpec) -> tuple[TrainingData, dict[str, UtteranceDataset],
                                                    dict[str, Any]]:
    """The datasets of one run: training data, test splits, and facts for its results row.

    The labelled target utterances come from target **train** only (see
    :func:`serlib.experiments.domains.label_target`); the remaining target train
    utterances form the unlabelled pool, whose labels are hidden here (``y = -1``).

    Returns:
        ``(training, tests, info)`` with ``tests = {"target": ..., "source": ...}`` and
        ``info`` holding the split ids and the sizes of the training sets.
    """
    s, t, labels = task.source_table, label_target(task.target_table, run.n_labels, run.seed), \
        task.labels
    si, ti = task.source_inputs, task.target_inputs
    train_t = t["split"] == "train"
    training = TrainingData(
        source_train=_dataset(s, si, s["split"] == "train", labels),
        source_dev=_dataset(s, si, s["split"] == "dev", labels),
        target_labelled=_dataset(t, ti, train_t & t["labelled"], labels),
        target_unlabelled=_dataset(t, ti, train_t & ~t["labelled"], labels, hide_labels=True),
        target_dev=_dataset(t, ti, t["split"] == "dev", labels))
    tests = {"target": _dataset(t, ti, t["split"] == "test", labels),
             "source": _dataset(s, si, s["split"] == "test", labels)}
    info = {"source_split_id": split_id(s), "target_split_id": split_id(t),
            "n_source_train": len(training.source_train),
            "n_target_labelled": len(training.target_labelled),
            "n_target_unlabelled": len(training.target_unlabelled)}
    return training, tests, info
