"""Adaptation methods as step functions, and the one table that describes them.

Each method is a step function in a file named like the loss it uses (``mmd.py`` ↔
``serlib/losses/mmd.py``, ...), built from the shared terms of :mod:`.terms`;
:data:`METHODS` (:mod:`.methods`) says, for every method, its step function, its
hyper-parameters with their defaults, the data it needs and how its model is selected. The
engine that runs the steps is :mod:`serlib.train`.

Chapter: book/07_mmd.md
"""

from serlib._lazy import lazy_exports

#: public name -> the module that defines it (imported on first use)
_EXPORTS: dict[str, str] = {
    "CE_TERMS": "serlib.adapt.terms",
    "METHODS": "serlib.adapt.methods",
    "Method": "serlib.adapt.methods",
    "Param": "serlib.adapt.methods",
    "SoftLabelMemory": "serlib.adapt.soft_pseudo_label",
    "Step": "serlib.adapt.methods",
    "build_step": "serlib.adapt.methods",
    "dann_step": "serlib.adapt.dann",
    "encode": "serlib.adapt.terms",
    "get_method": "serlib.adapt.methods",
    "hard_pseudo_label_step": "serlib.adapt.hard_pseudo_label",
    "labelled_cross_entropy": "serlib.adapt.terms",
    "labelled_terms": "serlib.adapt.terms",
    "make_adversary": "serlib.adapt.dann",
    "mmd_between": "serlib.adapt.mmd",
    "mmd_hard_pseudo_label_step": "serlib.adapt.mmd_hard_pseudo_label",
    "mmd_step": "serlib.adapt.mmd",
    "resolve_hyper": "serlib.adapt.methods",
    "soft_pseudo_label_step": "serlib.adapt.soft_pseudo_label",
    "supervised_step": "serlib.adapt.supervised",
    "target_feats": "serlib.adapt.terms",
    "total": "serlib.adapt.terms",
    "unlabelled_batch": "serlib.adapt.terms",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
