"""The training engine: one flat loop that every method of the book runs in.

A *method* is a step function: given the model and one batch from each loader, it returns
its named loss terms, one of which is ``"loss"`` (what is minimised). The engine owns
everything else, the same way for every method: seeding, the device, the optimiser and its
schedule, cycling loaders of different lengths, a fixed number of steps per epoch, recording
every term at every step, and model selection on a labelled dev split.

Chapter: book/01_cross_lingual_gap.md
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from serlib.errors import ConfigError
from serlib.features.batching import UNLABELLED, Batch

__all__ = [
    "FitResult",
    "Predictions",
    "StepFn",
    "TrainConfig",
    "cycle",
    "fit",
    "predict",
    "resolve_device",
    "seed_everything",
]

#: ``step_fn(model, batches, progress=...) -> {"loss": ..., other named terms}``
StepFn = Callable[..., Mapping[str, Tensor]]


@dataclass(frozen=True)
class TrainConfig:
    """How to optimise (what to optimise is the step function's business).

    Attributes:
        num_epochs: passes of ``steps_per_epoch`` steps.
        steps_per_epoch: steps per epoch; ``None`` = the length of the first loader.
        lr: Adam's initial learning rate.
        lr_decay: factor applied to the learning rate every ``lr_decay_every`` epochs.
        lr_decay_every: epochs between two decays.
        weight_decay: Adam's L2 penalty.
        seed: seeds Python, NumPy and torch; same seed, same run on CPU.
        device: ``"auto"`` (cuda, then mps, then cpu) or a torch device string.
        patience: stop when the dev score has not improved for this many epochs
            (``None``: train all epochs, still keep the best epoch's weights).
    """

    num_epochs: int = 30
    steps_per_epoch: int | None = None
    lr: float = 1e-3
    lr_decay: float = 1.0
    lr_decay_every: int = 10
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    patience: int | None = None

    def __post_init__(self) -> None:
        if self.num_epochs < 1:
            raise ConfigError(f"num_epochs={self.num_epochs}: must be at least 1")
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: must be positive")


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        history: one row per step: ``epoch``, ``step``, ``lr`` and every named term.
        epochs: one row per epoch: the mean of every term and ``dev_uar`` (when a dev
            loader was given).
        best_epoch: the epoch whose weights the model holds at the end (None: the last).
        best_score: its dev UAR.
        selected_on: the name of the split that selected it (e.g. ``"source_dev"``).
    """

    history: pd.DataFrame
    epochs: pd.DataFrame
    best_epoch: int | None
    best_score: float | None
    selected_on: str | None


@dataclass
class Predictions:
    """Model outputs over a loader, in the loader's order.

    Shape:
        logits: (n, num_classes); y: (n,) (``-1`` where unknown); feats: (n, dim) or None;
        index: (n,).
    """

    logits: Tensor
    y: Tensor
    feats: Tensor | None
    index: Tensor

    @property
    def y_pred(self) -> np.ndarray:
        """Predicted class ids."""
        return self.logits.argmax(dim=1).numpy()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - third-party code may still use the global state
    torch.manual_seed(seed)


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks cuda, then mps, then cpu; anything else is passed to ``torch.device``."""
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def cycle(loader: DataLoader) -> Iterator[Batch]:
    """Iterate over ``loader`` forever, starting a new (reshuffled) pass when one ends.

    Used to pair loaders of different lengths: the shorter one simply starts again.
    """
    while True:
        yield from loader


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, *, device: str | torch.device = "cpu",
            with_feats: bool = False) -> Predictions:
    """Run ``model`` in eval mode over ``loader``.

    Args:
        model: a serlib model (``forward`` and, if ``with_feats``, ``forward_features``).
        loader: yields :class:`~serlib.features.batching.Batch`.
        device: where to run.
        with_feats: also return the features of ``forward_features`` (for MMD, t-SNE).
    """
    model.eval()
    logits, ys, feats, index = [], [], [], []
    for batch in loader:
        batch = batch.to(device)
        if with_feats:
            f = model.forward_features(batch.x, batch.lengths)
            feats.append(f.float().cpu())
            logits.append(model.head(f).float().cpu())
        else:
            logits.append(model(batch.x, batch.lengths).float().cpu())
        ys.append(batch.y.cpu())
        index.append(batch.index.cpu())
    return Predictions(torch.cat(logits), torch.cat(ys), torch.cat(feats) if with_feats else None,
                       torch.cat(index))


def dev_uar(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    """Unweighted average recall on a labelled loader (the engine's selection score)."""
    pred = predict(model, loader, device=device)
    known = pred.y != UNLABELLED
    if not bool(known.any()):
        raise ValueError("the dev loader has no labelled utterances: model selection needs labels")
    return float(balanced_accuracy_score(pred.y[known].numpy(), pred.y_pred[known.numpy()]))


def fit(model: nn.Module, step_fn: StepFn, loaders: Mapping[str, DataLoader], *,
        config: TrainConfig, dev_loader: DataLoader | None = None,
        selected_on: str = "source_dev", progress: bool = True) -> FitResult:
    """Train ``model`` by minimising ``step_fn``'s ``"loss"``; keep the best dev epoch.

    Args:
        model: the model to train (moved to the configured device).
        step_fn: the method, called as ``step_fn(model, batches, progress=p)`` where
            ``batches`` maps each loader's name to its next :class:`Batch` and ``p`` in
            [0, 1) is the fraction of training done. Returns named scalar terms, one of
            them ``"loss"``.
        loaders: named training loaders, e.g. ``{"source": ..., "target": ...}``; shorter
            ones are cycled.
        config: the optimisation settings.
        dev_loader: a labelled loader for model selection; never the test split.
        selected_on: the name recorded for the split behind ``dev_loader``.
        progress: show a progress bar.
    """
    if not loaders:
        raise ValueError("fit needs at least one training loader")
    seed_everything(config.seed)
    device = resolve_device(config.device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                 weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_decay_every,
                                                gamma=config.lr_decay)
    iterators = {name: cycle(loader) for name, loader in loaders.items()}
    steps = config.steps_per_epoch or len(next(iter(loaders.values())))
    total = config.num_epochs * steps
    rows, epoch_rows = [], []
    best_score, best_epoch, best_state, stale = -np.inf, None, None, 0
    bar = tqdm(total=total, desc="training", disable=not progress, leave=False)
    for epoch in range(1, config.num_epochs + 1):
        model.train()
        for step in range(steps):
            batches = {name: next(it).to(device) for name, it in iterators.items()}
            terms = step_fn(model, batches, progress=((epoch - 1) * steps + step) / total)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            rows.append({"epoch": epoch, "step": (epoch - 1) * steps + step,
                         "lr": optimizer.param_groups[0]["lr"],
                         **{k: float(v.detach()) for k, v in terms.items()}})
            bar.update()
        scheduler.step()
        summary = pd.DataFrame(rows[-steps:]).drop(columns=["step", "lr"]).mean().to_dict()
        if dev_loader is not None:
            score = dev_uar(model, dev_loader, device)
            summary["dev_uar"] = score
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy({k: v.cpu() for k, v in model.state_dict().items()})
            else:
                stale += 1
            bar.set_postfix(dev_uar=f"{score:.3f}", best=best_epoch)
        epoch_rows.append(summary)
        if config.patience is not None and dev_loader is not None and stale >= config.patience:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return FitResult(history=pd.DataFrame(rows), epochs=pd.DataFrame(epoch_rows),
                     best_epoch=best_epoch,
                     best_score=None if best_epoch is None else float(best_score),
                     selected_on=selected_on if dev_loader is not None else None)
