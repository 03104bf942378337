"""Training one run: the source model, then the method, with model selection on a dev split.

:class:`TrainingData` is everything training and model selection may see; it has **no
test split**, so no code path of training can touch one. Selection rules:

- the source model (and zero-shot, which is the source model) is selected on the
  **source dev** split;
- a method that trains on target labels (``n_labels > 0``) is selected on the labelled,
  speaker-disjoint **target dev** split; a method without target labels on source dev.

Each result records which split selected it (``selected_on``).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader

from serlib.adapt import (
    Recipe,
    StepFn,
    build_step,
    fit,
    get_method,
    supervised_step,
    train_loader,
)
from serlib.adapt.train_config import FitResult
from serlib.experiments.backbones import Backbone
from serlib.experiments.grid import RunSpec
from serlib.features.batching import UtteranceDataset, make_loader

__all__ = ["EVAL_BATCH", "Trained", "TrainingData", "eval_loader", "train_method",
           "train_source_model"]

#: batch size of evaluation loaders
EVAL_BATCH = 64


@dataclass
class TrainingData:
    """The datasets training and model selection may use (no test split, by design).

    Attributes:
        source_train: labelled source training utterances.
        source_dev: labelled source dev utterances.
        target_labelled: the labelled target training utterances (empty when n = 0).
        target_unlabelled: the other target training utterances, labels hidden (empty
            when every one is labelled).
        target_dev: labelled target dev utterances (speaker-disjoint from train and test).
    """

    source_train: UtteranceDataset
    source_dev: UtteranceDataset
    target_labelled: UtteranceDataset | None
    target_unlabelled: UtteranceDataset | None
    target_dev: UtteranceDataset


@dataclass
class Trained:
    """A trained model and how it was selected.

    Attributes:
        model: the model, holding the selected epoch's weights.
        selected_on: ``"source_dev"`` or ``"target_dev"``.
        best_epoch: the selected epoch.
        best_score: its dev UAR.
        epochs: epochs trained.
    """

    model: nn.Module
    selected_on: str | None
    best_epoch: int | None
    best_score: float | None
    epochs: int

    @classmethod
    def from_fit(cls, model: nn.Module, result: FitResult) -> Trained:
        """Wrap what :func:`serlib.adapt.fit` returned."""
        return cls(model, result.selected_on, result.best_epoch, result.best_score,
                   len(result.epochs))


def eval_loader(dataset: UtteranceDataset) -> DataLoader:
    """An unshuffled loader over whole utterances (dev, test, memory initialisation)."""
    return make_loader(dataset, batch_size=EVAL_BATCH, shuffle=False)


def _train_loader(dataset: UtteranceDataset, backbone: Backbone, recipe: Recipe,
                  seed: int) -> DataLoader:
    """Shuffled, with the recipe's random crops (in the backbone's input frames)."""
    crop = None if recipe.crop_seconds is None else max(
        1, round(recipe.crop_seconds * backbone.frames_per_second))
    return train_loader(dataset, batch_size=recipe.batch_size, seed=seed, max_frames=crop)


def _fit(model: nn.Module, step_fn: StepFn, loaders: dict[str, DataLoader], *, recipe: Recipe,
         stage: str, seed: int, dev: UtteranceDataset, selected_on: str, device: str,
         checkpoint: str | os.PathLike[str] | None, progress: bool,
         extras: dict[str, nn.Module] | None = None) -> Trained:
    """Fit with the recipe's config for ``stage``; select on ``dev``."""
    config = recipe.train_config(stage, seed=seed, device=device)
    if config.steps_per_epoch is None:  # one pass over the largest training set
        config = dataclasses.replace(config,
                                     steps_per_epoch=max(len(x) for x in loaders.values()))
    result = fit(model, step_fn, loaders, config=config, dev_loader=eval_loader(dev),
                 selected_on=selected_on, progress=progress, checkpoint_path=checkpoint,
                 extras=extras)
    return Trained.from_fit(model, result)


def train_source_model(data: TrainingData, backbone: Backbone, recipe: Recipe, *,
                       num_classes: int, seed: int, device: str = "auto",
                       checkpoint: str | os.PathLike[str] | None = None,
                       progress: bool = False) -> Trained:
    """Train on the labelled source data; select on source dev (Baklouti's and Agarla's
    first step; evaluated as is, the zero-shot lower bound)."""
    model = backbone.new_model(num_classes, seed)
    loaders = {"source": _train_loader(data.source_train, backbone, recipe, seed)}
    return _fit(model, supervised_step, loaders, recipe=recipe, stage="source", seed=seed,
                dev=data.source_dev, selected_on="source_dev", device=device,
                checkpoint=checkpoint, progress=progress)


def train_method(run: RunSpec, data: TrainingData, backbone: Backbone, recipe: Recipe,
                 source_state: dict[str, torch.Tensor] | None, *, num_classes: int,
                 device: str = "auto", checkpoint: str | os.PathLike[str] | None = None,
                 progress: bool = False) -> Trained:
    """Train ``run.method`` (not zero-shot) from its starting point (see ``METHODS``).

    Args:
        run: the run (method, τ, trade-off, seed).
        data: the training and dev data.
        backbone: builds the model.
        recipe: the resolved recipe.
        source_state: the source model's weights (methods that start from it).
        num_classes: number of emotions.
        device: where to train.
        checkpoint: the fit checkpoint (resume after a crash).
        progress: show progress bars.

    Raises:
        ValueError: when the method's data is missing (e.g. no unlabelled utterances).
    """
    method = get_method(run.method)
    model = backbone.new_model(num_classes, run.seed)
    if method.start == "source":
        if source_state is None:
            raise ValueError(f"{run.method} starts from the source model: pass source_state")
        model.load_state_dict(source_state)
    seed = run.seed
    loaders: dict[str, DataLoader] = {}
    if method.uses_source:
        loaders["source"] = _train_loader(data.source_train, backbone, recipe, seed * 1000 + 1)
    if data.target_labelled is not None and len(data.target_labelled):
        loaders["target"] = _train_loader(data.target_labelled, backbone, recipe,
                                          seed * 1000 + 2)
    has_unlabelled = data.target_unlabelled is not None and len(data.target_unlabelled) > 1
    if method.unlabelled != "none" and has_unlabelled:
        loaders["unlabelled"] = _train_loader(data.target_unlabelled, backbone, recipe,
                                              seed * 1000 + 3)
    if method.unlabelled == "required" and "unlabelled" not in loaders:
        raise ValueError(f"{run.method} needs unlabelled target utterances; n_labels="
                         f"{run.n_labels} leaves none")
    if not loaders:
        raise ValueError(f"{run.method} with n_labels={run.n_labels} has no training data")
    step, extras = build_step(
        run.method, model, recipe, threshold=run.threshold, trade_off=run.trade_off,
        source_loader=loaders.get("source"),
        unlabelled_eval_loader=eval_loader(data.target_unlabelled) if has_unlabelled else None)
    uses_labels = "target" in loaders
    stage = "source" if method.start == "pretrained" else "adapt"
    return _fit(model, step, loaders, recipe=recipe, stage=stage, seed=seed,
                dev=data.target_dev if uses_labels else data.source_dev,
                selected_on="target_dev" if uses_labels else "source_dev", device=device,
                checkpoint=checkpoint, progress=progress, extras=extras)
