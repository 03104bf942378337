"""Training checkpoints: everything a run needs to continue exactly where it stopped.

The engine writes one checkpoint per epoch (atomically, so a crash never leaves half a
file). It holds the weights of the model and of any auxiliary module (a domain
discriminator, a soft-label memory), the optimiser, the learning-rate schedule, the
gradient scaler, the position of every cycled loader, the random-number states, the
history so far, the best dev epoch and its weights. Resuming from it gives the same final
result as a run that was never interrupted (``tests/train/test_engine.py`` checks this).

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

from serlib.atomic import atomic_path
from serlib.config import config_to_dict
from serlib.errors import CheckpointError
from serlib.train.config import TrainConfig
from serlib.train.cycling import Cycler
from serlib.train.runtime import rng_state, set_rng_state

__all__ = ["CHECKPOINT_VERSION", "TrainState", "load_checkpoint", "save_checkpoint"]

#: bumped when the checkpoint layout changes
CHECKPOINT_VERSION = 1


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
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str], *, config: TrainConfig,
                    modules: Mapping[str, nn.Module], optimizer: torch.optim.Optimizer,
                    scheduler: Any, scaler: Any, cyclers: Mapping[str, Cycler]) -> TrainState:
    """Restore everything :func:`save_checkpoint` wrote into the given live objects.

    Raises:
        CheckpointError: if the file is unreadable or was written by a run with another
            config, other loaders or other modules (the message names the difference).
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unpickling failure means the same thing
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(err).__name__}); "
                              "delete it to train from the start") from err
    if payload.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"checkpoint {path} has version {payload.get('version')}, "
                              f"this serlib writes {CHECKPOINT_VERSION}; delete it")
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
