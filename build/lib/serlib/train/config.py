"""How the engine optimises: a frozen config, and what a training run returns.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from serlib.errors import ConfigError

__all__ = ["FitResult", "TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """How to optimise (what to optimise is the step function's business).

    Attributes:
        num_epochs: passes of ``steps_per_epoch`` steps.
        steps_per_epoch: steps per epoch; ``None`` = the length of the first loader.
        lr: Adam's initial learning rate.
        lr_decay: factor applied to the learning rate every ``lr_decay_every`` epochs
            (Agarla et al.: 0.95 every 10 epochs; 1.0 keeps it constant).
        lr_decay_every: epochs between two decays.
        weight_decay: Adam's L2 penalty.
        seed: seeds Python, NumPy and torch; same seed, same run on CPU.
        device: ``"auto"`` (cuda, then mps, then cpu) or a torch device string.
        patience: stop when the dev score has not improved for this many epochs
            (``None``: train all epochs, still keep the best epoch's weights).
        amp: mixed precision (float16 autocast + gradient scaling) on CUDA; ignored on
            other devices, where training stays in float32.
        threads: CPU threads torch uses while ``fit`` runs (restored afterwards); None
            leaves torch's setting. A small model (a head on cached embeddings) trains
            several times faster on one thread than on two that wait for each other.
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
    amp: bool = True
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.num_epochs < 1:
            raise ConfigError(f"num_epochs={self.num_epochs}: must be at least 1")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ConfigError(f"steps_per_epoch={self.steps_per_epoch}: must be at least 1 "
                              "(or None for the length of the first loader)")
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: must be positive")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay={self.lr_decay}: must lie in (0, 1]")
        if self.lr_decay_every < 1:
            raise ConfigError(f"lr_decay_every={self.lr_decay_every}: must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads={self.threads}: must be at least 1 (or None)")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"patience={self.patience}: must be at least 1 (or None)")


@dataclass
class FitResult:
    """What :func:`~serlib.train.engine.fit` returns.

    Attributes:
        history: one row per step: ``epoch``, ``step``, ``lr`` and every named term.
        epochs: one row per epoch: ``epoch``, the mean of every term, ``dev_score`` (the
            selection score, when a selection was given) and the probes' values.
        best_epoch: the epoch whose weights the model holds at the end (None: the last).
        best_score: its selection score (e.g. the dev UAR).
        selected_on: the name of the split that selected it (e.g. ``"source_dev"``), None
            without a selection.
        stopped_early: True if patience ended training before ``num_epochs``.
        resumed_from: the epoch a checkpoint resumed from (None: trained from the start).
    """

    history: pd.DataFrame
    epochs: pd.DataFrame
    best_epoch: int | None
    best_score: float | None
    selected_on: str | None
    stopped_early: bool = False
    resumed_from: int | None = None
