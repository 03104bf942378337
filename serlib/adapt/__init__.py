"""Adaptation methods as step functions, and the one table that describes them.

Each method is a step function in a file named like the loss it uses (``mmd.py`` ↔
``serlib/losses/mmd.py``, ...), built from the shared terms of :mod:`.terms`;
:data:`METHODS` (:mod:`.methods`) says, for every method, its step function, its
hyper-parameters with their defaults, the data it needs and how its model is selected. The
engine that runs the steps is :mod:`serlib.train`.

Chapter: book/07_mmd.md
"""

from serlib._lazy import lazy_exports

#: module -> the public names it defines that this package re-exports (imported on first use)
_MODULES: dict[str, tuple[str, ...]] = {
    "serlib.adapt.dann": ("dann_step", "make_adversary"),
    "serlib.adapt.hard_pseudo_label": ("hard_pseudo_label_step",),
    "serlib.adapt.methods": (
        "METHODS", "Method", "Param", "Step", "build_step", "get_method", "resolve_hyper",
    ),
    "serlib.adapt.mmd": ("mmd_between", "mmd_step"),
    "serlib.adapt.mmd_hard_pseudo_label": ("mmd_hard_pseudo_label_step",),
    "serlib.adapt.soft_pseudo_label": ("SoftLabelMemory", "soft_pseudo_label_step"),
    "serlib.adapt.speaker_centroids": ("speaker_centroid_scores",),
    "serlib.adapt.supervised": ("supervised_step",),
    "serlib.adapt.terms": (
        "CE_TERMS", "encode", "labelled_cross_entropy", "labelled_terms", "target_feats", "total",
        "unlabelled_batch",
    ),
}

__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
