"""The training engine: one flat loop that every method of the book runs in.

A *method* is a step function: given the model and one batch from each loader, it returns
its named loss terms, one of which is ``"loss"`` (what is minimised). The engine owns
everything else, the same way for every method: seeding, the device, the optimiser and its
schedule, mixed precision on CUDA, cycling loaders of different lengths, a fixed number of
steps per epoch, recording every term at every step, model selection on a labelled dev
split, early stopping, and a checkpoint to resume from, written within a budget (every
``$SERLIB_CHECKPOINT_EVERY`` seconds, 600 by default, and after the last epoch).

Methods that need state of their own (a domain discriminator, a memory of soft
pseudo-labels) receive it as explicit objects from the caller, who also hands them to
:func:`fit` as ``extras`` so that they are trained, moved and checkpointed with the model.

Under ``torchrun`` (a process group of more than one process) the same call trains
data-parallel: each loader is split over the processes, the step runs behind
DistributedDataParallel, the recorded terms are averaged over the processes, the dev
selection and the probes run on rank 0 (their results are broadcast), and only rank 0
writes the checkpoint and shows progress (see :mod:`serlib.train.parallel`).

Read :func:`fit` from top to bottom: set-up, (resume), the epochs, the selected weights.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from serlib.errors import CacheWarning, CheckpointError, NonFiniteError
from serlib.train.checkpoint import (
    TrainState,
    read_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)
from serlib.train.config import FitResult, TrainConfig
from serlib.train.costs import CostRecorder
from serlib.train.cycling import Cycler
from serlib.train.distributed import (
    barrier,
    is_distributed,
    is_main_process,
    mean_over_processes,
    on_main_process,
    rank,
    sync_buffers,
    world_size,
)
from serlib.train.parallel import ParallelStep, shard_loader
from serlib.train.runtime import autocast, resolve_device, seed_everything, torch_threads
from serlib.train.selection import ModelSelection, select_epoch
from serlib.train.sim_device import training_step

__all__ = ["CHECKPOINT_EVERY_ENV", "MAX_SKIPPED_STEPS", "Probe", "StepFn", "checkpoint_every",
           "fit"]

#: ``SERLIB_CHECKPOINT_EVERY``: seconds between two checkpoints of a run (default 600)
CHECKPOINT_EVERY_ENV = "SERLIB_CHECKPOINT_EVERY"

#: ``step_fn(model, batches, frac_done=...) -> {"loss": ..., other named terms}``
StepFn = Callable[..., Mapping[str, Tensor]]
#: ``probe(model) -> {name: number}``, called after every epoch (recorded in ``epochs``)
Probe = Callable[[nn.Module], Mapping[str, float]]


#: consecutive fp16-overflow steps GradScaler may skip before the run is declared diverged
MAX_SKIPPED_STEPS = 20


def _train_step(step_fn: StepFn, model: nn.Module, batches: Mapping, *, frac_done: float,
                optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                device: torch.device, where: str, skipped: list[int]) -> dict[str, float]:
    """One optimisation step; returns the step's terms as floats.

    With mixed precision, a float16 overflow makes the loss (or its gradients) infinite:
    GradScaler then skips the step and halves its scale. So the scaler acts *first*, and a
    non-finite loss is an error only without a scaler, or after ``MAX_SKIPPED_STEPS``
    skipped steps in a row (``skipped`` counts them across calls).
    """
    with autocast(device, enabled=scaler.is_enabled()), training_step():
        terms = step_fn(model, batches, frac_done=frac_done)
    if "loss" not in terms:
        raise ValueError(f"the step function returned {sorted(terms)}; one term must be 'loss'")
    values = mean_over_processes({k: float(v.detach()) if isinstance(v, Tensor) else float(v)
                                  for k, v in terms.items()})  # the same on every process
    finite = math.isfinite(values["loss"])
    if not finite and not scaler.is_enabled():
        raise NonFiniteError(f"{where}: the loss is {values['loss']} (terms {values}); lower "
                             "lr, check the inputs for NaN, or use a smaller trade_off")
    optimizer.zero_grad(set_to_none=True)
    scale = scaler.get_scale() if scaler.is_enabled() else 1.0
    scaler.scale(terms["loss"]).backward()
    scaler.step(optimizer)  # skipped by the scaler when a gradient is inf/NaN
    scaler.update()
    step_skipped = scaler.is_enabled() and scaler.get_scale() < scale
    skipped[0] = skipped[0] + 1 if step_skipped else 0
    if not finite and (not step_skipped or skipped[0] > MAX_SKIPPED_STEPS):
        raise NonFiniteError(f"{where}: the loss is {values['loss']} (terms {values}) after "
                             f"{skipped[0]} float16-overflow steps skipped in a row; lower lr, "
                             "check the inputs for NaN, or train with amp=False")
    return values


def _epoch_means(rows: list[dict[str, float]]) -> dict[str, float]:
    """The mean of every recorded term over an epoch's steps (NaN skipped, as pandas does;
    a plain loop: a DataFrame per epoch was 3 % of a run's time on cached embeddings)."""
    names = dict.fromkeys(k for row in rows for k in row if k not in ("epoch", "step", "lr"))
    means = {}
    for name in names:
        values = np.asarray([row[name] for row in rows if name in row], dtype=float)
        values = values[~np.isnan(values)]
        means[name] = float(values.mean()) if values.size else math.nan
    return means


def checkpoint_every(seconds: float | None = None) -> float:
    """Seconds between two checkpoints: ``seconds``, else ``$SERLIB_CHECKPOINT_EVERY``, else 600.

    A checkpoint of VGG16 (weights, Adam's two moments, the best weights) is 2.2 GB: written
    after every epoch it costs more time and disk than the training itself. Every ten minutes
    a disconnect loses at most ten minutes; 0 writes one after every epoch (the tests).
    """
    if seconds is None:
        raw = os.environ.get(CHECKPOINT_EVERY_ENV, "600")
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError(f"{CHECKPOINT_EVERY_ENV}={raw!r}: give seconds (e.g. 600; 0 writes "
                             "a checkpoint after every epoch)") from None
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"checkpoint_every={seconds}: must be a finite number of seconds >= 0")
    return seconds


def _on_rank_zero(selection: ModelSelection | None) -> ModelSelection | None:
    """``selection`` scored on rank 0 alone, its score broadcast (every process agrees)."""
    if selection is None:
        return None
    return ModelSelection(selection.name, functools.partial(on_main_process, selection.score))


def fit(model: nn.Module, step_fn: StepFn, loaders: Mapping[str, DataLoader], *,
        config: TrainConfig, selection: ModelSelection | None = None, progress: bool = True,
        checkpoint_path: str | os.PathLike[str] | None = None,
        extras: Mapping[str, nn.Module] | None = None,
        probes: Mapping[str, Probe] | None = None,
        checkpoint_seconds: float | None = None) -> FitResult:
    """Train ``model`` by minimising ``step_fn``'s ``"loss"``; keep the best dev epoch.

    Args:
        model: the model to train (moved to the configured device, where it stays).
            Parameters with ``requires_grad=False`` (a frozen trunk) are left out of the
            optimiser.
        step_fn: the method, called as ``step_fn(model, batches, frac_done=p)`` where
            ``batches`` maps each loader's name to its next :class:`Batch` and ``p`` in
            [0, 1) is the fraction of training done. Returns named scalar terms, one of
            them ``"loss"``.
        loaders: named training loaders, e.g. ``{"source": ..., "target": ...}``; each is
            cycled, so loaders of different lengths pair up.
        config: the optimisation settings.
        selection: scores every epoch on a labelled dev split and keeps the best weights
            (e.g. ``serlib.evaluate.uar_selection(dev_loader, "source_dev")``); never a
            test split (the engine sees no test data at all). None: keep the last epoch.
        progress: show a progress bar.
        checkpoint_path: keep the run's checkpoint there (its last state and its best dev
            weights, in one file overwritten atomically): written after an epoch when
            ``checkpoint_seconds`` have passed since the last one, and after the last epoch.
            If the file exists when ``fit`` starts, continue from it (a finished run just
            returns its result).
        extras: auxiliary modules the step function uses (e.g. ``{"adversary": ...}``):
            trained with the model (their trainable parameters join the optimiser), moved
            to the device, switched to train mode, and checkpointed.
        probes: named functions ``probe(model) -> {key: value}`` called after every epoch
            (after selection); their values are recorded in ``epochs`` as
            ``<name>_<key>``. They must not train the model (e.g. the accuracy of the
            pseudo-labels on hidden labels, for a figure).
        checkpoint_seconds: the checkpoint budget, seconds between two checkpoints (None:
            :func:`checkpoint_every`, ``$SERLIB_CHECKPOINT_EVERY`` or 600; 0: every epoch).

    Returns:
        The per-step history, the per-epoch summary and which epoch (on which split)
        selected the weights the model now holds.

    Raises:
        CheckpointError: if ``checkpoint_path`` holds a checkpoint of another run (a
            damaged checkpoint is not an error: it is deleted with a warning and the run
            starts from the first epoch).
        NonFiniteError: if a loss or a selection score is NaN or infinite.
    """
    with torch_threads(config.threads):  # restored when fit returns
        if not loaders:
            raise ValueError("fit needs at least one training loader")
        extras = dict(extras or {})
        if "model" in extras:
            raise ValueError("'model' is a reserved name; give the extra module another name")
        # --- set-up: seed, device, optimiser, schedule, loaders ---------------------------------
        seed_everything(config.seed)
        device = resolve_device(config.device)
        parallel = is_distributed()
        if parallel:  # each process takes its share of every global batch; rank 0 selects
            loaders = {name: shard_loader(loader, rank=rank(), world_size=world_size())
                       for name, loader in loaders.items()}
            selection = _on_rank_zero(selection)
            probes = {name: functools.partial(on_main_process, probe)
                      for name, probe in (probes or {}).items()}
        modules = {"model": model, **extras}
        for module in modules.values():
            module.to(device)
        params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_decay_every,
                                                    gamma=config.lr_decay)
        scaler = torch.amp.GradScaler("cuda", enabled=config.amp and device.type == "cuda"
                                      and torch.cuda.is_available())
        every = checkpoint_every(checkpoint_seconds)
        cyclers = {name: Cycler(loader) for name, loader in loaders.items()}
        steps = config.steps_per_epoch or len(next(iter(loaders.values())))
        total = config.num_epochs * steps
        saved = dict(config=config, modules=modules, optimizer=optimizer, scheduler=scheduler,
                     scaler=scaler, cyclers=cyclers)
        # --- resume from a checkpoint of the same run, if there is one --------------------------
        state, resumed_from = TrainState(), None
        barrier()  # what rank 0 wrote before is on disk before any process looks
        if checkpoint_path is not None and Path(checkpoint_path).is_file():
            try:
                payload = read_checkpoint(checkpoint_path)
            except CheckpointError as err:  # damaged: never trusted, rebuilt
                barrier()
                if is_main_process():
                    warnings.warn(f"{err} (training from the start)", CacheWarning,
                                  stacklevel=2)
                    Path(checkpoint_path).unlink()
            else:
                state = restore_checkpoint(payload, checkpoint_path, **saved)
                resumed_from = state.epoch
        sync_buffers(modules.values())  # every process starts from rank 0's state
        step_call = ParallelStep(step_fn, modules, device) if parallel else step_fn
        costs = CostRecorder(model, num_epochs=config.num_epochs, steps_per_epoch=steps,
                             lr=config.lr, device=device.type, loaders=loaders)
        skipped, last_saved = [0], time.monotonic()
        # --- the epochs -------------------------------------------------------------------------
        bar = tqdm(total=total, initial=state.epoch * steps, desc="training",
                   disable=not progress or not is_main_process(), leave=False)
        try:
            while state.epoch < config.num_epochs and not state.stopped:
                epoch = state.epoch + 1
                for module in modules.values():
                    module.train()
                for step in range(steps):
                    done = (epoch - 1) * steps + step
                    batches = {name: next(c).to(device) for name, c in cyclers.items()}
                    terms = costs.step(functools.partial(
                        _train_step, step_call, model, batches, frac_done=done / total,
                        optimizer=optimizer, scaler=scaler, device=device,
                        where=f"epoch {epoch}, step {done}", skipped=skipped), batches)
                    state.rows.append({"epoch": epoch, "step": done,
                                       "lr": optimizer.param_groups[0]["lr"], **terms})
                    bar.update()
                scheduler.step()
                sync_buffers(modules.values())  # BatchNorm statistics: rank 0's everywhere
                summary = {"epoch": epoch, **_epoch_means(state.rows[-steps:])}
                if selection is not None:
                    summary["dev_score"] = select_epoch(model, selection, state, epoch,
                                                        config.patience)
                    bar.set_postfix(dev=f"{summary['dev_score']:.3f}", best=state.best_epoch)
                for name, probe in (probes or {}).items():
                    summary.update({f"{name}_{k}": float(v) for k, v in probe(model).items()})
                state.epoch_rows.append(summary)
                state.epoch = epoch
                due = (time.monotonic() - last_saved >= every or state.stopped
                       or state.epoch == config.num_epochs)
                if checkpoint_path is not None and is_main_process() and due:
                    save_checkpoint(checkpoint_path, state=state, **saved)
                    costs.checkpoint_written(checkpoint_path)
                    last_saved = time.monotonic()
        finally:
            bar.close()
            costs.close()
            if isinstance(step_call, ParallelStep):
                step_call.close()  # drops DDP's hooks: the model can be trained again
        # --- the selected weights ---------------------------------------------------------------
        if state.best_state is not None:
            model.load_state_dict(state.best_state)
        return FitResult(history=pd.DataFrame(state.rows), epochs=pd.DataFrame(state.epoch_rows),
                         best_epoch=state.best_epoch,
                         best_score=None if state.best_epoch is None else float(state.best_score),
                         selected_on=selection.name if selection is not None else None,
                         stopped_early=state.stopped, resumed_from=resumed_from)
