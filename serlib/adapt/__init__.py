"""Training: one engine (:func:`fit`), the methods as step functions, recipes and bundles.

Chapter: book/06_cross_lingual_gap.md
"""

from serlib.adapt.bundle import ModelBundle, build_model, load_model_bundle, save_model_bundle
from serlib.adapt.checkpoint import TrainState, load_checkpoint, save_checkpoint
from serlib.adapt.cycling import Cycler, cycle
from serlib.adapt.dann import dann_step, make_adversary
from serlib.adapt.engine import StepFn, fit
from serlib.adapt.inference import Predictions, dev_uar, predict
from serlib.adapt.loaders import CropCollate, train_loader
from serlib.adapt.methods import METHODS, Method, build_step, get_method
from serlib.adapt.mmd_da import mmd_step
from serlib.adapt.mmd_pseudo import mmd_pseudo_label_step
from serlib.adapt.pseudo_label import hard_pseudo_label_step
from serlib.adapt.recipes import (
    AGARLA,
    BAKLOUTI,
    PROFILES,
    RECIPES,
    Profile,
    Recipe,
    apply_profile,
    get_profile,
    get_recipe,
)
from serlib.adapt.runtime import resolve_device, rng_state, seed_everything, set_rng_state
from serlib.adapt.soft_pseudo_label import SoftLabelMemory, soft_pseudo_label_step
from serlib.adapt.supervised import supervised_step
from serlib.adapt.train_config import FitResult, TrainConfig

__all__ = [
    "AGARLA",
    "BAKLOUTI",
    "METHODS",
    "PROFILES",
    "RECIPES",
    "CropCollate",
    "Cycler",
    "FitResult",
    "Method",
    "ModelBundle",
    "Predictions",
    "Profile",
    "Recipe",
    "SoftLabelMemory",
    "StepFn",
    "TrainConfig",
    "TrainState",
    "apply_profile",
    "build_model",
    "build_step",
    "cycle",
    "dann_step",
    "dev_uar",
    "fit",
    "get_method",
    "get_profile",
    "get_recipe",
    "hard_pseudo_label_step",
    "load_checkpoint",
    "load_model_bundle",
    "make_adversary",
    "mmd_pseudo_label_step",
    "mmd_step",
    "predict",
    "resolve_device",
    "rng_state",
    "save_checkpoint",
    "save_model_bundle",
    "seed_everything",
    "set_rng_state",
    "soft_pseudo_label_step",
    "supervised_step",
    "train_loader",
]
