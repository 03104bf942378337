"""Training one run: the source model, then the method, with model selection on a dev split.

:class:`TrainingData` is everything training and model selection may see; it has **no
test split**, so no code path of training can touch one. Selection rules (each method's
row of :data:`serlib.adapt.METHODS` says which applies):

- the source model (and zero-shot, which is the source model) is selected on the
  **source dev** split;
- a method without target labels is selected on source dev;
- a method that trains on target labels (``n_labels > 0``) is selected by the experiment's
  ``selection`` (:mod:`.selection`): ``cv`` (cross-validation inside the labelled
  utterances, then a refit on all of them), ``source_dev`` or ``target_dev`` (a labelled,
  speaker-disjoint target dev split, whose labels then count).

Each result records how it was selected (``selected_on``).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from serlib.adapt import Method, build_step, supervised_step
from serlib.errors import ConfigError, SplitError
from serlib.evaluate import uar_selection
from serlib.experiments.backbones import Backbone
from serlib.experiments.recipes import Recipe
from serlib.experiments.selection import get_selection
from serlib.features import UtteranceDataset, eval_loader, make_loader
from serlib.train import FitResult, Probe, StepFn, fit

__all__ = ["Trained", "TrainingData", "cv_folds", "train_loaders", "train_method",
           "train_source_model"]


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
    target_labelled: UtteranceDataset
    target_unlabelled: UtteranceDataset
    target_dev: UtteranceDataset


@dataclass
class Trained:
    """A trained model and how it was trained and selected.

    Attributes:
        model: the model, holding the selected epoch's weights (on the training device).
        result: what :func:`serlib.train.fit` returned (history, epochs, selection).
    """

    model: nn.Module
    result: FitResult
    chosen: dict[str, Any] | None = None

    def selection(self) -> dict[str, Any]:
        """``selected_on``, ``best_epoch``, ``dev_uar`` (the best score) and ``epochs``
        (cross-validation: the chosen epoch count and the mean fold score)."""
        if self.chosen is not None:
            return dict(self.chosen)
        r = self.result
        return {"selected_on": r.selected_on, "best_epoch": r.best_epoch,
                "dev_uar": r.best_score, "epochs": len(r.epochs)}


def _loader(dataset: UtteranceDataset, backbone: Backbone, recipe: Recipe,
            seed: int) -> DataLoader:
    """Shuffled, full batches, with the recipe's random crops (in the backbone's frames)."""
    crop = None if recipe.crop_seconds is None or not backbone.supports_crops else max(
        1, round(recipe.crop_seconds * backbone.frames_per_second))
    return make_loader(dataset, batch_size=recipe.batch_size, shuffle=True, seed=seed,
                       drop_last=True, max_frames=crop)


def train_loaders(method: Method, data: TrainingData, backbone: Backbone, recipe: Recipe,
                  seed: int) -> dict[str, DataLoader]:
    """The training loaders of ``method``: ``"source"``, ``"target"``, ``"unlabelled"``.

    Each loader has its own seed (``seed * 1000 + 1, 2, 3``), so adding one does not change
    the batches of the others.

    Raises:
        SplitError: the method's data is missing (e.g. no unlabelled utterance is left).
    """
    loaders: dict[str, DataLoader] = {}
    if method.uses_source:
        loaders["source"] = _loader(data.source_train, backbone, recipe, seed * 1000 + 1)
    if len(data.target_labelled):
        loaders["target"] = _loader(data.target_labelled, backbone, recipe, seed * 1000 + 2)
    if method.unlabelled != "none" and len(data.target_unlabelled) > 1:
        loaders["unlabelled"] = _loader(data.target_unlabelled, backbone, recipe,
                                        seed * 1000 + 3)
    if method.unlabelled == "required" and "unlabelled" not in loaders:
        raise SplitError(f"{method.name} needs unlabelled target utterances, but the labelled "
                         "subset leaves fewer than two in target train; use fewer n_labels")
    if not loaders:
        raise SplitError(f"{method.name} has no training data: no target labels and it does "
                         "not train on the source")
    return loaders


def _fit(model: nn.Module, step_fn: StepFn, loaders: dict[str, DataLoader], *, recipe: Recipe,
         backbone: Backbone, stage: str, seed: int, dev: UtteranceDataset | None,
         selected_on: str, device: str,
         checkpoint: str | os.PathLike[str] | None, progress: bool,
         extras: Mapping[str, nn.Module] | None = None,
         probes: Mapping[str, Probe] | None = None,
         num_epochs: int | None = None, patience: bool = True) -> Trained:
    """Fit with the recipe's config for ``stage``; select on ``dev`` (None: keep the last
    epoch of ``num_epochs``)."""
    config = dataclasses.replace(recipe.train_config(stage, seed=seed, device=device),
                                 threads=backbone.train_threads)
    if num_epochs is not None:
        config = dataclasses.replace(config, num_epochs=num_epochs)
    if not patience:
        config = dataclasses.replace(config, patience=None)
    if config.steps_per_epoch is None:  # one pass over the largest training set
        config = dataclasses.replace(config,
                                     steps_per_epoch=max(len(x) for x in loaders.values()))
    result = fit(model, step_fn, loaders, config=config,
                 selection=None if dev is None else uar_selection(dev, selected_on),
                 progress=progress, checkpoint_path=checkpoint, extras=extras, probes=probes)
    return Trained(model, result)


def _subset(dataset: UtteranceDataset, rows: np.ndarray) -> UtteranceDataset:
    return UtteranceDataset([dataset.feats[i] for i in rows], dataset.labels[rows].tolist())


def cv_folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    """``k`` disjoint validation folds of ``n`` utterances (seeded; sizes differ by one).

    Example:
        >>> [len(f) for f in cv_folds(10, 3, seed=0)]
        [4, 3, 3]
    """
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(order[i::k]) for i in range(k)]


def _cross_validated(build: Callable[[TrainingData, UtteranceDataset | None, int | None,
                                      bool], Trained],
                     data: TrainingData, *, k: int, seed: int, max_epochs: int) -> Trained:
    """Pick the epoch count by k-fold cross-validation inside ``data.target_labelled``
    (every fold trains on the others, scores each epoch on its own), then train on all
    of them for that many epochs. Labels outside the labelled subset are never read."""
    labelled = data.target_labelled
    k = min(k, len(labelled))
    if k < 2:
        raise SplitError(f"selection cv needs at least 2 labelled target utterances, got "
                         f"{len(labelled)}; use more n_labels or selection: source_dev")
    curves = []
    for rows in cv_folds(len(labelled), k, seed):
        rest = np.setdiff1d(np.arange(len(labelled)), rows)
        fold = dataclasses.replace(data, target_labelled=_subset(labelled, rest))
        trained = build(fold, _subset(labelled, rows), None, True)
        curves.append(trained.result.epochs["dev_score"].to_numpy(dtype=float))
    length = min(len(c) for c in curves)
    mean = np.mean([c[:length] for c in curves], axis=0)  # (epochs,)
    best = int(np.argmax(mean)) + 1
    final = build(data, None, min(best, max_epochs), False)
    final.chosen = {"selected_on": "cv", "best_epoch": best, "dev_uar": float(mean[best - 1]),
                    "epochs": best}
    # the selection curve a plot shows: the cross-validated score of each epoch (the final
    # fit on every labelled utterance has no held-out data of its own)
    epochs = final.result.epochs.copy()
    scores = dict(enumerate(mean.tolist(), start=1))
    epochs["dev_score"] = [scores.get(int(e), np.nan) for e in epochs["epoch"]]
    final.result = dataclasses.replace(final.result, epochs=epochs, best_epoch=best,
                                       best_score=float(mean[best - 1]), selected_on="cv")
    return final


def train_source_model(data: TrainingData, backbone: Backbone, recipe: Recipe, *,
                       num_classes: int, seed: int, device: str = "auto",
                       checkpoint: str | os.PathLike[str] | None = None,
                       progress: bool = False,
                       probes: Mapping[str, Probe] | None = None) -> Trained:
    """Train on the labelled source data; select on source dev (Baklouti's and Agarla's
    first step; evaluated as is, the zero-shot lower bound)."""
    model = backbone.new_model(num_classes, seed)
    loaders = {"source": _loader(data.source_train, backbone, recipe, seed)}
    return _fit(model, supervised_step, loaders, recipe=recipe, backbone=backbone,
                stage="source", seed=seed,
                dev=data.source_dev, selected_on="source_dev", device=device,
                checkpoint=checkpoint, progress=progress, probes=probes)


def train_method(method: Method, data: TrainingData, backbone: Backbone, recipe: Recipe,
                 source_state: dict[str, torch.Tensor] | None, *, hyper: Mapping[str, Any],
                 num_classes: int, seed: int, device: str = "auto",
                 checkpoint: str | os.PathLike[str] | None = None, progress: bool = False,
                 probes: Mapping[str, Probe] | None = None, selection: str = "cv",
                 n_cv_folds: int = 3) -> Trained:
    """Train ``method`` (not zero-shot) from its starting point (see ``METHODS``).

    Args:
        method: the method's row of ``METHODS``.
        data: the training and dev data.
        backbone: builds the model.
        recipe: the resolved recipe.
        source_state: the source model's weights (methods that start from it).
        hyper: the method's hyper-parameters (see ``serlib.adapt.resolve_hyper``).
        num_classes: number of emotions.
        seed: the training seed.
        device: where to train.
        checkpoint: the fit checkpoint (resume after a crash).
        progress: show progress bars.
        probes: per-epoch probes handed to ``fit`` (e.g. pseudo-label quality).
        selection: how a run with target labels is selected (:mod:`.selection`).
        n_cv_folds: folds of ``selection="cv"``.

    Raises:
        SplitError: the method's data is missing (e.g. no unlabelled utterances).
    """
    mode = get_selection(selection)
    if method.start == "source" and source_state is None:
        raise ValueError(f"{method.name} starts from the source model: pass source_state")
    stage = "source" if method.start == "pretrained" else "adapt"

    def build(part: TrainingData, dev: UtteranceDataset | None, epochs: int | None,
              fold: bool, selected_on: str = "cv") -> Trained:
        """One fit; ``fold``: a cross-validation fold (no checkpoint, no early stopping,
        no probes: its whole curve is wanted)."""
        model = backbone.new_model(num_classes, seed)
        if method.start == "source":
            model.load_state_dict(source_state)  # type: ignore[arg-type]
        loaders = train_loaders(method, part, backbone, recipe, seed)
        unlabelled = eval_loader(part.target_unlabelled) if "unlabelled" in loaders else None
        step = build_step(method, model, hyper=hyper, unlabelled_loader=unlabelled,
                          device=device)
        return _fit(model, step, loaders, recipe=recipe, backbone=backbone, stage=stage,
                    seed=seed, dev=dev, selected_on=selected_on, device=device,
                    checkpoint=None if fold else checkpoint, progress=progress and not fold,
                    extras=step.state, probes=None if fold else probes,
                    num_epochs=epochs, patience=not fold)

    if len(data.target_labelled) == 0:  # no target label: the source dev split selects
        return build(data, data.source_dev, None, False, "source_dev")
    if mode.retrains:
        if n_cv_folds < 2:
            raise ConfigError(f"cv_folds={n_cv_folds}; use 2 or more")
        max_epochs = recipe.train_config(stage, seed=seed).num_epochs
        return _cross_validated(build, data, k=n_cv_folds, seed=seed, max_epochs=max_epochs)
    dev = data.target_dev if mode.target_dev_labels else data.source_dev
    return build(data, dev, None, False, mode.name)
