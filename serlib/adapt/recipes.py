"""The papers' training recipes as named configs, and the profiles that scale them down.

A :class:`Recipe` holds a paper's hyper-parameters: how the source model is trained and
how it is adapted. A :class:`Profile` says how much of it a machine can afford. Profiles
change **how long and on how much data**, never the code path: the smoke profile runs the
same functions as the full one, with fewer epochs and utterances.

Recipes:

- :data:`BAKLOUTI` (Baklouti et al., 2024, Sec. 4.2): Adam, lr 1e-4, batch 16; the source
  model is fine-tuned for 400 epochs, the domain-adaptive transfer for 50. The MMD weight λ
  is not reported; we use 1. No crops (whole spectrograms).
- :data:`AGARLA` (Agarla et al., 2024, Sec. 5.2.1): Adam, lr 1e-3 decayed ×0.95 every 10
  epochs, batch 100, 100 epochs, τ = 0.5, λ_A = 0.8, λ_H = 0.4; random 2 s crops in training,
  whole utterances at test time.

Profiles (:data:`PROFILES`):

- ``smoke``: a few epochs on a couple of utterances per speaker and emotion: checks that
  everything runs (CI, a laptop, ~minutes). Its numbers mean nothing.
- ``cpu``: enough epochs for meaningful numbers on a 2-core CPU with a frozen, cached
  pre-trained trunk (the experiment config picks that backbone).
- ``full``: the paper's recipe unchanged (a GPU).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from serlib.adapt.train_config import TrainConfig
from serlib.errors import ConfigError

__all__ = [
    "AGARLA",
    "BAKLOUTI",
    "PROFILES",
    "RECIPES",
    "Profile",
    "Recipe",
    "apply_profile",
    "get_profile",
    "get_recipe",
]

#: training stages of a recipe
STAGES = ("source", "adapt")


@dataclass(frozen=True)
class Recipe:
    """A paper's hyper-parameters (frozen; load overrides with ``serlib.config``).

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
        threshold: τ of hard pseudo-labels.
        lambda_prior: λ_A of soft pseudo-labels.
        lambda_entropy: λ_H of soft pseudo-labels.
        trade_off: weight of the MMD or domain-adversarial term.
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
    threshold: float = 0.5
    lambda_prior: float = 0.8
    lambda_entropy: float = 0.4
    trade_off: float = 1.0
    crop_seconds: float | None = 2.0

    def __post_init__(self) -> None:
        if self.batch_size < 2:
            raise ConfigError(f"batch_size={self.batch_size}: must be at least 2")
        if self.source_epochs < 1 or self.adapt_epochs < 1:
            raise ConfigError("source_epochs and adapt_epochs must be at least 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold={self.threshold}: must lie in [0, 1]")
        if self.crop_seconds is not None and self.crop_seconds <= 0:
            raise ConfigError(f"crop_seconds={self.crop_seconds}: must be positive (or None)")

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


@dataclass(frozen=True)
class Profile:
    """How much of a recipe to run. ``None`` keeps the recipe's value.

    Attributes:
        name: ``"smoke"``, ``"cpu"`` or ``"full"``.
        source_epochs: replaces the recipe's source epochs.
        adapt_epochs: replaces the recipe's adaptation epochs.
        steps_per_epoch: replaces the recipe's steps per epoch.
        max_per_speaker_emotion: keep at most this many utterances of each speaker and
            emotion (None: all). Speakers are all kept, so splits stay speaker-independent.
    """

    name: str
    source_epochs: int | None = None
    adapt_epochs: int | None = None
    steps_per_epoch: int | None = None
    max_per_speaker_emotion: int | None = None


#: the named profiles (see the module docstring)
PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", source_epochs=4, adapt_epochs=3, steps_per_epoch=4,
                     max_per_speaker_emotion=2),
    "cpu": Profile("cpu", source_epochs=20, adapt_epochs=12),
    "full": Profile("full"),
}


def get_recipe(name: str) -> Recipe:
    """A recipe of :data:`RECIPES` by name (ConfigError if unknown)."""
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r}; choose from {sorted(RECIPES)}")
    return RECIPES[name]


def get_profile(name: str) -> Profile:
    """A profile of :data:`PROFILES` by name (ConfigError if unknown)."""
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose from {sorted(PROFILES)}")
    return PROFILES[name]


def apply_profile(recipe: Recipe, profile: Profile | str) -> Recipe:
    """``recipe`` with the profile's epochs and steps per epoch (its data cap is the
    caller's business: see ``Profile.max_per_speaker_emotion``)."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    changes = {k: getattr(profile, k) for k in ("source_epochs", "adapt_epochs", "steps_per_epoch")
               if getattr(profile, k) is not None}
    return dataclasses.replace(recipe, **changes)
