"""The training engine: one flat loop that every method of the book runs in.

A *method* is a step function: given the model and one batch from each loader, it returns
its named loss terms, one of which is ``"loss"`` (what is minimised). The engine owns
everything else, the same way for every method: seeding, the device, the optimiser and its
schedule, mixed precision on CUDA, cycling loaders of different lengths, a fixed number of
steps per epoch, recording every term at every step, model selection on a labelled dev
split, early stopping, and a checkpoint after every epoch to resume from.

Methods that need state of their own (a domain discriminator, a memory of soft
pseudo-labels) receive it as explicit objects from the caller, who also hands them to
:func:`fit` as ``extras`` so that they are trained, moved and checkpointed with the model.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from serlib.adapt.checkpoint import TrainState, load_checkpoint, save_checkpoint
from serlib.adapt.cycling import Cycler, cycle
from serlib.adapt.inference import Predictions, dev_uar, predict
from serlib.adapt.runtime import resolve_device, seed_everything
from serlib.adapt.train_config import FitResult, TrainConfig
from serlib.features.batching import Batch

__all__ = [
    "FitResult",
    "Predictions",
    "StepFn",
    "TrainConfig",
    "cycle",
    "dev_uar",
    "fit",
    "predict",
    "resolve_device",
    "seed_everything",
]

#: ``step_fn(model, batches, progress=...) -> {"loss": ..., other named terms}``
StepFn = Callable[..., Mapping[str, Tensor]]


def _train_step(model: nn.Module, step_fn: StepFn, batches: dict[str, Batch], *,
                progress: float, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                device: torch.device) -> dict[str, float]:
    """One optimisation step; returns the step's terms as floats."""
    with torch.autocast(device_type=device.type, dtype=torch.float16,
                        enabled=scaler.is_enabled()):
        terms = step_fn(model, batches, progress=progress)
    if "loss" not in terms:
        raise ValueError(f"the step function returned {sorted(terms)}; one term must be 'loss'")
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(terms["loss"]).backward()
    scaler.step(optimizer)
    scaler.update()
    return {k: float(v.detach()) if isinstance(v, Tensor) else float(v) for k, v in terms.items()}


def _select(model: nn.Module, dev_loader: DataLoader, device: torch.device,
            state: TrainState, epoch: int, patience: int | None) -> float:
    """Score the epoch on the dev split, keep the best weights, update early stopping."""
    score = dev_uar(model, dev_loader, device)
    if score > state.best_score:
        state.best_score, state.best_epoch, state.stale = score, epoch, 0
        state.best_state = copy.deepcopy({k: v.cpu() for k, v in model.state_dict().items()})
    else:
        state.stale += 1
    state.stopped = patience is not None and state.stale >= patience
    return score


def fit(model: nn.Module, step_fn: StepFn, loaders: Mapping[str, DataLoader], *,
        config: TrainConfig, dev_loader: DataLoader | None = None,
        selected_on: str = "source_dev", progress: bool = True,
        checkpoint_path: str | os.PathLike[str] | None = None,
        extras: Mapping[str, nn.Module] | None = None) -> FitResult:
    """Train ``model`` by minimising ``step_fn``'s ``"loss"``; keep the best dev epoch.

    Args:
        model: the model to train (moved to the configured device). Parameters with
            ``requires_grad=False`` (a frozen trunk) are left out of the optimiser.
        step_fn: the method, called as ``step_fn(model, batches, progress=p)`` where
            ``batches`` maps each loader's name to its next :class:`Batch` and ``p`` in
            [0, 1) is the fraction of training done. Returns named scalar terms, one of
            them ``"loss"``.
        loaders: named training loaders, e.g. ``{"source": ..., "target": ...}``; each is
            cycled, so loaders of different lengths pair up.
        config: the optimisation settings.
        dev_loader: a labelled loader for model selection and early stopping; never the
            test split (the engine sees no test data at all).
        selected_on: the name recorded for the split behind ``dev_loader``.
        progress: show a progress bar.
        checkpoint_path: write a checkpoint there after every epoch; if the file exists
            when ``fit`` starts, continue from it (a finished run just returns its result).
        extras: auxiliary modules the step function uses (e.g. ``{"adversary": ...}``):
            trained with the model (their trainable parameters join the optimiser), moved
            to the device, switched to train mode, and checkpointed.

    Returns:
        The per-step history, the per-epoch summary and which epoch (on which split)
        selected the weights the model now holds.

    Raises:
        CheckpointError: if ``checkpoint_path`` holds a checkpoint of another run.
    """
    if not loaders:
        raise ValueError("fit needs at least one training loader")
    extras = dict(extras or {})
    if "model" in extras:
        raise ValueError("'model' is a reserved name; give the extra module another name")
    seed_everything(config.seed)
    device = resolve_device(config.device)
    modules = {"model": model, **extras}
    for module in modules.values():
        module.to(device)
    params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_decay_every,
                                                gamma=config.lr_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp and device.type == "cuda")
    cyclers = {name: Cycler(loader) for name, loader in loaders.items()}
    steps = config.steps_per_epoch or len(next(iter(loaders.values())))
    total = config.num_epochs * steps
    saved = dict(config=config, modules=modules, optimizer=optimizer, scheduler=scheduler,
                 scaler=scaler, cyclers=cyclers)
    state, resumed_from = TrainState(), None
    if checkpoint_path is not None and Path(checkpoint_path).is_file():
        state = load_checkpoint(checkpoint_path, **saved)
        resumed_from = state.epoch

    bar = tqdm(total=total, initial=state.epoch * steps, desc="training",
               disable=not progress, leave=False)
    while state.epoch < config.num_epochs and not state.stopped:
        epoch = state.epoch + 1
        for module in modules.values():
            module.train()
        for step in range(steps):
            done = (epoch - 1) * steps + step
            batches = {name: next(c).to(device) for name, c in cyclers.items()}
            terms = _train_step(model, step_fn, batches, progress=done / total,
                                optimizer=optimizer, scaler=scaler, device=device)
            state.rows.append({"epoch": epoch, "step": done,
                               "lr": optimizer.param_groups[0]["lr"], **terms})
            bar.update()
        scheduler.step()
        means = pd.DataFrame(state.rows[-steps:]).drop(columns=["epoch", "step", "lr"]).mean()
        summary = {"epoch": epoch, **means.to_dict()}
        if dev_loader is not None:
            summary["dev_uar"] = _select(model, dev_loader, device, state, epoch,
                                         config.patience)
            bar.set_postfix(dev_uar=f"{summary['dev_uar']:.3f}", best=state.best_epoch)
        state.epoch_rows.append(summary)
        state.epoch = epoch
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, state=state, **saved)
    bar.close()

    if state.best_state is not None:
        model.load_state_dict(state.best_state)
    return FitResult(history=pd.DataFrame(state.rows), epochs=pd.DataFrame(state.epoch_rows),
                     best_epoch=state.best_epoch,
                     best_score=None if state.best_epoch is None else float(state.best_score),
                     selected_on=selected_on if dev_loader is not None else None,
                     stopped_early=state.stopped, resumed_from=resumed_from)
