"""The methods of the book by name: what data each one trains on, and its step function.

Every method is a step function (see :mod:`serlib.adapt.engine`); this table says which
loaders it needs and where it starts from, so that the experiment runner and the chapters
build every method the same way:

==============  ===========  ======  =============  ==========  ===========================
method          starts from  source  target labels  unlabelled  step
==============  ===========  ======  =============  ==========  ===========================
zero_shot       (source)     yes     none           none        the source model itself
multilingual    pretrained   yes     all            none        ``supervised_step``
transfer        source       no      required       none        ``supervised_step``
mmd             source       yes     optional       optional    ``mmd_step``
hard_pl         source       yes     optional       required    ``hard_pseudo_label_step``
soft_pl         source       yes     optional       required    ``soft_pseudo_label_step``
dann            source       yes     optional       optional    ``dann_step``
mmd_hard_pl     source       yes     optional       required    ``mmd_pseudo_label_step``
==============  ===========  ======  =============  ==========  ===========================

"source" = the trained source model (Baklouti's and Agarla's second step starts there);
"pretrained" = the backbone's initial weights (the multilingual upper bound trains on
both languages from the start, Agarla et al., Sec. 6.2).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader

from serlib.adapt.dann import dann_step, make_adversary
from serlib.adapt.engine import StepFn
from serlib.adapt.mmd_da import mmd_step
from serlib.adapt.mmd_pseudo import mmd_pseudo_label_step
from serlib.adapt.pseudo_label import hard_pseudo_label_step
from serlib.adapt.recipes import Recipe
from serlib.adapt.soft_pseudo_label import SoftLabelMemory, soft_pseudo_label_step
from serlib.adapt.supervised import supervised_step
from serlib.errors import ConfigError

__all__ = ["METHODS", "Method", "build_step", "get_method"]


@dataclass(frozen=True)
class Method:
    """How a method trains.

    Attributes:
        name: its name in configs and results.
        summary: one line for tables and ``--help``.
        start: ``"source_model"`` (no training of its own: the source model is the
            result), ``"source"`` (fine-tune the source model) or ``"pretrained"``.
        uses_source: trains on the labelled source data.
        target_labels: ``"none"``, ``"optional"``, ``"required"`` (n > 0) or ``"all"``.
        unlabelled: ``"none"``, ``"optional"`` or ``"required"`` unlabelled target data.
        hyper: the grid axes it uses among ``"threshold"`` and ``"trade_off"``.
        chapter: where the book teaches it.
    """

    name: str
    summary: str
    start: str
    uses_source: bool
    target_labels: str
    unlabelled: str
    hyper: tuple[str, ...]
    chapter: str


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("zero_shot", "source model only (lower bound)", "source_model", True, "none",
           "none", (), "book/06_cross_lingual_gap.md"),
    Method("multilingual", "source + all target labels (upper bound)", "pretrained", True,
           "all", "none", (), "book/06_cross_lingual_gap.md"),
    Method("transfer", "fine-tune the source model on target labels (TL)", "source", False,
           "required", "none", (), "book/07_mmd.md"),
    Method("mmd", "CE + trade_off·MMD (supervised DA when target labels)", "source", True,
           "optional", "optional", ("trade_off",), "book/07_mmd.md"),
    Method("hard_pl", "hard pseudo-labels with threshold τ", "source", True, "optional",
           "required", ("threshold",), "book/08_pseudo_labels.md"),
    Method("soft_pl", "soft pseudo-labels + R_A + R_H + mixup", "source", True, "optional",
           "required", (), "book/08_pseudo_labels.md"),
    Method("dann", "domain-adversarial training (gradient reversal)", "source", True,
           "optional", "optional", ("trade_off",), "book/09_beyond.md"),
    Method("mmd_hard_pl", "MMD + hard pseudo-labels (ours)", "source", True, "optional",
           "required", ("threshold", "trade_off"), "book/09_beyond.md"),
)}


def get_method(name: str) -> Method:
    """A method of :data:`METHODS` by name (ConfigError if unknown)."""
    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[name]


def _device_of(model: nn.Module) -> torch.device:
    return next(iter(model.parameters()), torch.empty(0)).device


@torch.no_grad()
def _feature_dim(model: nn.Module, loader: DataLoader) -> int:
    batch = next(iter(loader)).to(_device_of(model))
    was_training = model.training
    model.eval()
    dim = int(model.forward_features(batch.x, batch.lengths).shape[1])
    model.train(was_training)
    return dim


def build_step(method: str, model: nn.Module, recipe: Recipe, *, threshold: float | None = None,
               trade_off: float | None = None, source_loader: DataLoader | None = None,
               unlabelled_eval_loader: DataLoader | None = None,
               ) -> tuple[StepFn, dict[str, nn.Module]]:
    """The step function of ``method`` and the extra modules to hand to ``fit``.

    Args:
        method: a name of :data:`METHODS` (not ``zero_shot``, which trains nothing).
        model: the model the step will train (after loading its starting weights).
        recipe: supplies τ, λ_A, λ_H and the trade-off unless given here.
        threshold: τ (overrides the recipe's).
        trade_off: the MMD / adversarial weight (overrides the recipe's).
        source_loader: a source loader, to size the domain discriminator (``dann``).
        unlabelled_eval_loader: an unshuffled loader over the unlabelled target data, to
            initialise the soft-label memory with the model's predictions (``soft_pl``).

    Returns:
        ``(step_fn, extras)``: pass both to :func:`~serlib.adapt.engine.fit`.
    """
    spec = get_method(method)
    tau = recipe.threshold if threshold is None else threshold
    weight = recipe.trade_off if trade_off is None else trade_off
    if spec.start == "source_model":
        raise ConfigError(f"{method} trains nothing of its own: evaluate the source model")
    if method in ("multilingual", "transfer"):
        return supervised_step, {}
    if method == "mmd":
        return functools.partial(mmd_step, trade_off=weight), {}
    if method == "hard_pl":
        return functools.partial(hard_pseudo_label_step, threshold=tau), {}
    if method == "mmd_hard_pl":
        return functools.partial(mmd_pseudo_label_step, trade_off=weight, threshold=tau), {}
    if method == "soft_pl":
        if unlabelled_eval_loader is None:
            raise ValueError("soft_pl needs unlabelled_eval_loader to initialise its memory")
        memory = SoftLabelMemory.from_model(model, unlabelled_eval_loader,
                                            device=_device_of(model))
        step = functools.partial(soft_pseudo_label_step, memory=memory,
                                 lambda_prior=recipe.lambda_prior,
                                 lambda_entropy=recipe.lambda_entropy)
        return step, {"memory": memory}
    if method == "dann":
        if source_loader is None:
            raise ValueError("dann needs source_loader to size its domain discriminator")
        adversary = make_adversary(_feature_dim(model, source_loader))
        return functools.partial(dann_step, adversary=adversary, trade_off=weight), \
            {"adversary": adversary}
    raise ConfigError(f"no step function for method {method!r}")  # pragma: no cover
