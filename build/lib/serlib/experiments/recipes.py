"""The papers' training recipes: how the source model is trained and how it is adapted.

A :class:`Recipe` is an optimisation schedule (batch size, epochs, learning rate and its
decay, crops). The hyper-parameters of the *methods* (τ, λ, λ_A, λ_H, the MMD kernels, ...)
are not part of a recipe: they live with each method in :data:`serlib.adapt.METHODS`, whose
defaults are the papers' values.

- :data:`BAKLOUTI` (Baklouti et al., 2024, Sec. 4.2): Adam, lr 1e-4, batch 16; the source
  model is fine-tuned for 400 epochs, the domain-adaptive transfer for 50. No crops (whole
  spectrograms).
- :data:`AGARLA` (Agarla et al., 2024, Sec. 5.2.1): Adam, lr 1e-3 decayed ×0.95 every 10
  epochs, batch 100, 100 epochs; random 2 s crops in training, whole utterances at test time.

How much of a recipe a machine runs is a profile's business (:mod:`.profiles`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from dataclasses import dataclass

from serlib.errors import ConfigError
from serlib.train.config import TrainConfig

__all__ = ["AGARLA", "BAKLOUTI", "RECIPES", "STAGES", "Recipe", "get_recipe"]

#: training stages of a recipe
STAGES = ("source", "adapt")


@dataclass(frozen=True)
class Recipe:
    """A paper's optimisation schedule (frozen; overrides come from an experiment's YAML).

    Attributes:
        name: the recipe's name.
        batch_size: utterances per batch of every loader.
        source_epochs: epochs of source-model training (and of multilingual training).
        adapt_epochs: epochs of adaptation (transfer learning, MMD, pseudo-labels, DANN).
        lr: Adam's learning rate for source training.
        adapt_lr: Adam's learning rate for adaptation (None: ``lr``).
        lr_decay: learning-rate factor applied every ``lr_decay_every`` epochs.
        lr_decay_every: epochs between decays.
        weight_decay: Adam's L2 penalty.
        steps_per_epoch: steps per epoch (None: the experiment runner makes an epoch one
            pass over the largest training set).
        patience: early stopping on the dev split (None: all epochs, keep the best).
        crop_seconds: random crops of this length in training (None: whole utterances).
    """

    name: str = "agarla"
    batch_size: int = 100
    source_epochs: int = 100
    adapt_epochs: int = 100
    lr: float = 1e-3
    adapt_lr: float | None = None
    lr_decay: float = 0.95
    lr_decay_every: int = 10
    weight_decay: float = 0.0
    steps_per_epoch: int | None = None
    patience: int | None = None
    crop_seconds: float | None = 2.0

    def __post_init__(self) -> None:
        checks = [
            (self.batch_size >= 2, "batch_size", self.batch_size, "an integer >= 2"),
            (self.source_epochs >= 1, "source_epochs", self.source_epochs, "an integer >= 1"),
            (self.adapt_epochs >= 1, "adapt_epochs", self.adapt_epochs, "an integer >= 1"),
            (self.lr > 0, "lr", self.lr, "a number > 0"),
            (self.adapt_lr is None or self.adapt_lr > 0, "adapt_lr", self.adapt_lr,
             "a number > 0 or null"),
            (0 < self.lr_decay <= 1, "lr_decay", self.lr_decay, "a number in (0, 1]"),
            (self.lr_decay_every >= 1, "lr_decay_every", self.lr_decay_every,
             "an integer >= 1"),
            (self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number >= 0"),
            (self.steps_per_epoch is None or self.steps_per_epoch >= 1, "steps_per_epoch",
             self.steps_per_epoch, "an integer >= 1 or null"),
            (self.patience is None or self.patience >= 1, "patience", self.patience,
             "an integer >= 1 or null"),
            (self.crop_seconds is None or self.crop_seconds > 0, "crop_seconds",
             self.crop_seconds, "a number > 0 or null"),
        ]
        for ok, key, value, allowed in checks:
            if not ok:
                raise ConfigError(f"recipe {self.name!r}: {key}={value!r}; use {allowed}")

    def train_config(self, stage: str, *, seed: int, device: str = "auto") -> TrainConfig:
        """The engine config of a stage: ``"source"`` or ``"adapt"``."""
        if stage not in STAGES:
            raise ConfigError(f"stage={stage!r}: use one of {STAGES}")
        source = stage == "source"
        return TrainConfig(
            num_epochs=self.source_epochs if source else self.adapt_epochs,
            steps_per_epoch=self.steps_per_epoch,
            lr=self.lr if source or self.adapt_lr is None else self.adapt_lr,
            lr_decay=self.lr_decay, lr_decay_every=self.lr_decay_every,
            weight_decay=self.weight_decay, seed=seed, device=device, patience=self.patience)


BAKLOUTI = Recipe(name="baklouti", batch_size=16, source_epochs=400, adapt_epochs=50, lr=1e-4,
                  lr_decay=1.0, crop_seconds=None)
AGARLA = Recipe(name="agarla")

#: the named recipes
RECIPES: dict[str, Recipe] = {"baklouti": BAKLOUTI, "agarla": AGARLA}


def get_recipe(name: str) -> Recipe:
    """A recipe of :data:`RECIPES` by name (ConfigError if unknown)."""
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r}; choose from {sorted(RECIPES)}")
    return RECIPES[name]
