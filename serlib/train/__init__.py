"""The training engine: :func:`fit`, its config, checkpoints, loaders that cycle, inference,
test-time BatchNorm re-estimation.

Everything here is method-agnostic: a method is a step function (see :mod:`serlib.adapt`)
and a run's model selection is a :class:`ModelSelection` handed to :func:`fit`.

Chapter: book/06_cross_lingual_gap.md
"""

from serlib._lazy import lazy_exports

#: module -> the public names it defines that this package re-exports (imported on first use)
_MODULES: dict[str, tuple[str, ...]] = {
    "serlib.train.adabn": ("batchnorm_layers", "reestimate_batchnorm"),
    "serlib.train.checkpoint": (
        "CHECKPOINT_VERSION", "TrainState", "load_checkpoint", "read_checkpoint",
        "remove_checkpoint", "restore_checkpoint", "save_checkpoint",
    ),
    "serlib.train.config": ("FitResult", "TrainConfig"),
    "serlib.train.cycling": ("Cycler",),
    "serlib.train.distributed": (
        "barrier", "close_distributed", "gather_rows", "init_distributed", "is_distributed",
        "is_main_process", "world_size",
    ),
    "serlib.train.engine": ("Probe", "StepFn", "fit"),
    "serlib.train.inference": ("Predictions", "predict"),
    "serlib.train.parallel": ("ParallelStep", "ShardBatchSampler", "shard_loader"),
    "serlib.train.runtime": (
        "device_of", "resolve_device", "rng_state", "seed_everything", "set_rng_state",
    ),
    "serlib.train.selection": ("ModelSelection", "select_epoch"),
}

__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
