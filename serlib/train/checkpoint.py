"""Training checkpoints: everything a run needs to continue exactly where it stopped.

The engine keeps one checkpoint per run, the *last* state with the *best* dev weights
inside, overwritten atomically (a crash never leaves half a file; its SHA-256 is written
beside it) within a time budget (``$SERLIB_CHECKPOINT_EVERY`` seconds, see
:func:`serlib.train.engine.checkpoint_every`), never one file per epoch. It holds the
weights of the model and of any auxiliary module (a domain discriminator, a soft-label
memory), the optimiser, the learning-rate schedule, the gradient scaler, the position of
every cycled loader, the random-number states, the history so far, the best dev epoch and
its weights. Resuming from it gives the same final result as a run that was never
interrupted (``tests/train/test_engine.py`` checks this).

:func:`read_checkpoint` refuses a damaged file (truncated, a digest that differs, non-finite
weights) with a :class:`~serlib.errors.CheckpointError`; the engine then warns and trains
from the start. A checkpoint of *another* run is an error (:func:`restore_checkpoint`):
the path is wrong, and training over it would destroy it.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_map

from serlib.config import config_to_dict
from serlib.errors import CheckpointError, ChecksumError
from serlib.integrity import (
    check_finite_state,
    digest_path,
    load_torch_file,
    verify_digest,
    write_with_digest,
)
from serlib.train.config import TrainConfig
from serlib.train.cycling import Cycler
from serlib.train.runtime import rng_state, set_rng_state

__all__ = ["CHECKPOINT_VERSION", "TrainState", "load_checkpoint", "read_checkpoint",
           "remove_checkpoint", "restore_checkpoint", "save_checkpoint"]

#: bumped when the checkpoint layout changes
CHECKPOINT_VERSION = 2


@dataclass
class TrainState:
    """The engine's progress, as saved in a checkpoint.

    Attributes:
        epoch: completed epochs.
        rows: the per-step history so far (plain dicts).
        epoch_rows: the per-epoch summary so far.
        best_score: the best dev score so far (``-inf`` before the first).
        best_epoch: its epoch.
        best_state: the model's weights at that epoch (on the CPU).
        stale: epochs since the dev score last improved.
        stopped: patience ended the run.
    """

    epoch: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    epoch_rows: list[dict[str, Any]] = field(default_factory=list)
    best_score: float = -math.inf
    best_epoch: int | None = None
    best_state: dict[str, Tensor] | None = None
    stale: int = 0
    stopped: bool = False


def _identity(config: TrainConfig, loaders: Mapping[str, Cycler],
              modules: Mapping[str, nn.Module]) -> dict[str, Any]:
    """What must match between a checkpoint and the run resuming it (not the device)."""
    values = config_to_dict(config)
    values.pop("device")
    return {"config": values, "loaders": sorted(loaders), "modules": sorted(modules)}


def save_checkpoint(path: str | os.PathLike[str], *, state: TrainState, config: TrainConfig,
                    modules: Mapping[str, nn.Module], optimizer: torch.optim.Optimizer,
                    scheduler: Any, scaler: Any, cyclers: Mapping[str, Cycler]) -> Path:
    """Write a checkpoint atomically to ``path`` (see the module docstring for its content)."""
    payload = {
        "version": CHECKPOINT_VERSION,
        "identity": _identity(config, cyclers, modules),
        "state": {**state.__dict__},
        "modules": {name: m.state_dict() for name, m in modules.items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "cyclers": {name: c.state_dict() for name, c in cyclers.items()},
        "rng": rng_state(),
    }
    payload = tree_map(lambda v: v.detach().cpu() if isinstance(v, Tensor) else v, payload)
    write_with_digest(path, lambda tmp: torch.save(payload, tmp))  # on the CPU: any device
    return Path(path)


def remove_checkpoint(path: str | os.PathLike[str]) -> None:
    """Delete a checkpoint and the digest beside it (a run that finished needs neither)."""
    Path(path).unlink(missing_ok=True)
    digest_path(path).unlink(missing_ok=True)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The content of a checkpoint file, checked: whole, of this version, finite.

    Raises:
        CheckpointError: the file is damaged (unreadable, truncated, its SHA-256 differs
            from the one written with it, non-finite weights) or of another version.
    """
    path = Path(path)
    fix = "delete it: training starts again from the first epoch"
    try:
        verify_digest(path)
    except ChecksumError as err:
        raise CheckpointError(f"checkpoint {err}") from None
    payload = load_torch_file(path, fix=fix)
    if not isinstance(payload, dict) or payload.get("version") != CHECKPOINT_VERSION:
        version = payload.get("version") if isinstance(payload, dict) else None
        raise CheckpointError(f"checkpoint {path} has version {version}, this serlib writes "
                              f"{CHECKPOINT_VERSION}; {fix}")
    check_finite_state({"modules": payload["modules"],
                        "best": payload["state"].get("best_state")}, source=f"checkpoint {path}")
    return payload


def restore_checkpoint(payload: Mapping[str, Any], path: str | os.PathLike[str], *,
                       config: TrainConfig, modules: Mapping[str, nn.Module],
                       optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any,
                       cyclers: Mapping[str, Cycler]) -> TrainState:
    """Restore what :func:`read_checkpoint` read into the given live objects.

    Raises:
        CheckpointError: the checkpoint was written by a run with another config, other
            loaders or other modules (the message names the difference).
    """
    expected = _identity(config, cyclers, modules)
    if payload["identity"] != expected:
        saved = payload["identity"]
        diff = {k: (saved["config"].get(k), v) for k, v in expected["config"].items()
                if saved["config"].get(k) != v}
        raise CheckpointError(
            f"checkpoint {path} belongs to another run (config differences, saved vs now: "
            f"{diff}; loaders {saved['loaders']} vs {expected['loaders']}; modules "
            f"{saved['modules']} vs {expected['modules']}); delete it or use another path")
    for name, module in modules.items():
        try:
            module.load_state_dict(payload["modules"][name])
        except RuntimeError as err:
            raise CheckpointError(f"checkpoint {path}: weights of {name!r} do not fit: "
                                  f"{err}") from err
    optimizer.load_state_dict(payload["optimizer"])
    scheduler.load_state_dict(payload["scheduler"])
    scaler.load_state_dict(payload["scaler"])
    for name, cycler in cyclers.items():
        cycler.load_state_dict(payload["cyclers"][name])
    set_rng_state(payload["rng"])  # last: replaying the loaders above must not shift it
    return TrainState(**payload["state"])


def load_checkpoint(path: str | os.PathLike[str], *, config: TrainConfig,
                    modules: Mapping[str, nn.Module], optimizer: torch.optim.Optimizer,
                    scheduler: Any, scaler: Any, cyclers: Mapping[str, Cycler]) -> TrainState:
    """:func:`read_checkpoint` then :func:`restore_checkpoint` (both raise CheckpointError)."""
    return restore_checkpoint(read_checkpoint(path), path, config=config, modules=modules,
                              optimizer=optimizer, scheduler=scheduler, scaler=scaler,
                              cyclers=cyclers)
