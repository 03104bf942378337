"""Training: one engine (:func:`fit`) and the methods, as step functions.

Chapter: book/01_cross_lingual_gap.md
"""

from serlib.adapt.engine import (
    FitResult,
    Predictions,
    TrainConfig,
    cycle,
    fit,
    predict,
    resolve_device,
    seed_everything,
)
from serlib.adapt.supervised import supervised_step

__all__ = [
    "FitResult",
    "Predictions",
    "TrainConfig",
    "cycle",
    "fit",
    "predict",
    "resolve_device",
    "seed_everything",
    "supervised_step",
]
