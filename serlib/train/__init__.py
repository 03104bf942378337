"""The training engine: :func:`fit`, its config, checkpoints, loaders that cycle, inference.

Everything here is method-agnostic: a method is a step function (see :mod:`serlib.adapt`)
and a run's model selection is a :class:`ModelSelection` handed to :func:`fit`.

Chapter: book/06_cross_lingual_gap.md
"""

from serlib._lazy import lazy_exports

#: public name -> the module that defines it (imported on first use)
_EXPORTS: dict[str, str] = {
    "CHECKPOINT_VERSION": "serlib.train.checkpoint",
    "Cycler": "serlib.train.cycling",
    "FitResult": "serlib.train.config",
    "ModelSelection": "serlib.train.selection",
    "Predictions": "serlib.train.inference",
    "Probe": "serlib.train.engine",
    "StepFn": "serlib.train.engine",
    "TrainConfig": "serlib.train.config",
    "TrainState": "serlib.train.checkpoint",
    "device_of": "serlib.train.runtime",
    "fit": "serlib.train.engine",
    "load_checkpoint": "serlib.train.checkpoint",
    "predict": "serlib.train.inference",
    "resolve_device": "serlib.train.runtime",
    "rng_state": "serlib.train.runtime",
    "save_checkpoint": "serlib.train.checkpoint",
    "seed_everything": "serlib.train.runtime",
    "select_epoch": "serlib.train.selection",
    "set_rng_state": "serlib.train.runtime",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
