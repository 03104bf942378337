"""The methods of the book in one table: step function, hyper-parameters, data, selection.

:data:`METHODS` is the single source of truth about every method. Each row names

- its **step function** (one per file of this package, named like its loss in
  :mod:`serlib.losses`), or none for ``zero_shot``, which trains nothing;
- the **hyper-parameters** it accepts, with their defaults (the papers' values) and their
  allowed values: every one can be set from a YAML config and from Python, and is recorded
  in the results row;
- the **data** it trains on and where it **starts from**;
- how its model is **selected**.

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
mmd_hard_pl     source       yes     optional       required    ``mmd_hard_pseudo_label_step``
==============  ===========  ======  =============  ==========  ===========================

"source" = the trained source model (Baklouti's and Agarla's second step starts there);
"pretrained" = the backbone's initial weights (the multilingual upper bound trains on
both languages from the start, Agarla et al., Sec. 6.2). Selection: the zero-shot model is
the source model, selected on source dev; every other method on the labelled target dev
split when it trains on target labels, else on source dev.

:func:`build_step` turns a row and its hyper-parameters into a :class:`Step`: the step
function with its keyword arguments bound *visibly* (``print(step)`` shows them) and the
method's own modules (a soft-label memory, a domain discriminator), which go to
:func:`serlib.train.fit` as ``extras``. The table names step functions by their import
path, so reading it (to plan a grid) imports no torch; :func:`build_step` imports them.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serlib.errors import ConfigError

if TYPE_CHECKING:  # the table itself imports no torch: `serlib experiment plan` stays light
    import torch
    from torch import Tensor, nn
    from torch.utils.data import DataLoader

    from serlib.features.batching import Batch

__all__ = ["METHODS", "Method", "Param", "Step", "build_step", "get_method", "resolve_hyper"]


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of a method: its default and what it may be.

    Attributes:
        default: the value used when none is given (the paper's, where it reports one).
        help: one line for tables and docs.
        kind: ``float``, ``int``, ``bool`` or ``str``.
        choices: the allowed values of a ``str`` parameter.
        low: smallest allowed value of a number (inclusive).
        high: largest allowed value of a number (inclusive).
        nullable: None is allowed (and means what ``help`` says).
    """

    default: Any
    help: str
    kind: type = float
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    nullable: bool = False

    def check(self, name: str, value: Any, where: str) -> Any:
        """``value`` if allowed, else a ConfigError naming ``where``, the key and the rule."""
        if value is None and self.nullable:
            return None
        ok_type = (isinstance(value, bool) if self.kind is bool else
                   (isinstance(value, self.kind) and not isinstance(value, bool))
                   or (self.kind is float and isinstance(value, int)
                       and not isinstance(value, bool)))
        if not ok_type:
            raise ConfigError(f"{where}: {name}={value!r} must be a {self.kind.__name__}"
                              + (" or null" if self.nullable else ""))
        if self.choices and value not in self.choices:
            raise ConfigError(f"{where}: {name}={value!r}; choose one of {list(self.choices)}")
        if self.kind is float and not math.isfinite(value):
            raise ConfigError(f"{where}: {name}={value!r} must be a finite number")
        too_low = self.low is not None and value < self.low
        if too_low or (self.high is not None and value > self.high):
            raise ConfigError(f"{where}: {name}={value!r} must lie in "
                              f"[{self.low}, {self.high if self.high is not None else '∞'}]")
        return float(value) if self.kind is float else value


#: the choices of the losses' string options (tests check they match serlib.losses)
ESTIMATORS = ("biased", "unbiased", "linear")
NORMALIZATIONS = ("batch", "selected")
BANDWIDTH_RULES = ("median", "mean")

TRADE_OFF = Param(1.0, "weight λ of the adaptation term (Baklouti et al. do not report it)",
                  low=0.0)
THRESHOLD = Param(0.5, "confidence threshold τ of hard pseudo-labels (Agarla et al.: 0.5)",
                  low=0.0, high=1.0)
NORMALIZE = Param("batch", "divide the masked pseudo-label loss by the batch or the selected",
                  kind=str, choices=NORMALIZATIONS)
MMD_KERNELS = {
    "estimator": Param("biased", "MMD² estimator (Baklouti et al.'s Eq. 2 is the biased one)",
                       kind=str, choices=ESTIMATORS),
    "num_kernels": Param(5, "number of Gaussian kernels", kind=int, low=1),
    "kernel_mul": Param(2.0, "ratio between neighbouring kernel bandwidths", low=1.0),
    "bandwidth_rule": Param("median", "base bandwidth from the pairwise distances", kind=str,
                            choices=BANDWIDTH_RULES),
}


def _resolve(path: str) -> Callable[..., Any]:
    """The function at ``"package.module.name"`` (imported on first use)."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Method:
    """How a method trains (one row of :data:`METHODS`).

    Attributes:
        name: its name in configs and results.
        summary: one line for tables and ``--help``.
        step: the import path of its step function (None: trains nothing, the source
            model is the result).
        hyper: its hyper-parameters by name (keyword arguments of ``step`` or ``state``).
        start: ``"source_model"`` (no training of its own), ``"source"`` (fine-tune the
            source model) or ``"pretrained"`` (the backbone's initial weights).
        uses_source: trains on the labelled source data.
        target_labels: ``"none"``, ``"optional"``, ``"required"`` (n > 0) or ``"all"``.
        unlabelled: ``"none"``, ``"optional"`` or ``"required"`` unlabelled target data.
        state: the import path of the function that builds the method's own modules
            (``state(model, unlabelled_loader=..., **hyper)``), or None.
        state_hyper: the hyper-parameters that go to ``state`` rather than to ``step``.
        grid: the hyper-parameters that experiment grids may sweep as axes
            (``thresholds``, ``trade_offs``).
        chapter: where the book teaches it.
    """

    name: str
    summary: str
    step: str | None
    hyper: Mapping[str, Param]
    start: str
    uses_source: bool
    target_labels: str
    unlabelled: str
    chapter: str
    state: str | None = None
    state_hyper: tuple[str, ...] = ()
    grid: tuple[str, ...] = ()

    @property
    def step_fn(self) -> Callable[..., Mapping[str, Tensor]]:
        """The step function itself (imports it)."""
        if self.step is None:
            raise ConfigError(f"{self.name} trains nothing of its own: evaluate the source "
                              "model")
        return _resolve(self.step)

    def selected_on(self, uses_target_labels: bool) -> str:
        """The dev split that selects this method's model."""
        if self.start == "source_model" or not uses_target_labels:
            return "source_dev"
        return "target_dev"

    def defaults(self) -> dict[str, Any]:
        """Every hyper-parameter at its default."""
        return {name: p.default for name, p in self.hyper.items()}


SUPERVISED = "serlib.adapt.supervised.supervised_step"

METHODS: dict[str, Method] = {m.name: m for m in (
    Method("zero_shot", "source model only (lower bound)", None, {}, "source_model", True,
           "none", "none", "book/06_cross_lingual_gap.md"),
    Method("multilingual", "source + all target labels (upper bound)", SUPERVISED, {},
           "pretrained", True, "all", "none", "book/06_cross_lingual_gap.md"),
    Method("transfer", "fine-tune the source model on target labels (TL)", SUPERVISED, {},
           "source", False, "required", "none", "book/07_mmd.md"),
    Method("mmd", "CE + trade_off·MMD² (supervised DA when target labels)",
           "serlib.adapt.mmd.mmd_step",
           {"trade_off": TRADE_OFF, **MMD_KERNELS}, "source", True, "optional", "optional",
           "book/07_mmd.md", grid=("trade_off",)),
    Method("hard_pl", "hard pseudo-labels with threshold τ",
           "serlib.adapt.hard_pseudo_label.hard_pseudo_label_step",
           {"threshold": THRESHOLD, "normalize": NORMALIZE}, "source", True, "optional",
           "required", "book/08_pseudo_labels.md", grid=("threshold",)),
    Method("soft_pl", "soft pseudo-labels + R_A + R_H + mixup",
           "serlib.adapt.soft_pseudo_label.soft_pseudo_label_step",
           {"lambda_prior": Param(0.8, "weight λ_A of the prior term R_A (Agarla: 0.8)",
                                  low=0.0),
            "lambda_entropy": Param(0.4, "weight λ_H of the entropy term R_H (Agarla: 0.4)",
                                    low=0.0),
            "use_mixup": Param(True, "mix the unlabelled batch with itself (Eqs. 6–7)",
                               kind=bool),
            "concentration": Param(None, "mixup α ~ Beta(a, a); null: α ~ U(0, 1) as Agarla",
                                   low=0.0, nullable=True)},
           "source", True, "optional", "required", "book/08_pseudo_labels.md",
           state="serlib.adapt.soft_pseudo_label.soft_label_state"),
    Method("dann", "domain-adversarial training (gradient reversal)",
           "serlib.adapt.dann.dann_step",
           {"trade_off": TRADE_OFF,
            "gamma": Param(10.0, "steepness of the reversal warm-up (Ganin et al.: 10)",
                           low=0.0),
            "hidden": Param(256, "width of the discriminator's hidden layers", kind=int, low=1),
            "dropout": Param(0.5, "dropout in the discriminator", low=0.0, high=1.0)},
           "source", True, "optional", "optional", "book/09_beyond.md",
           state="serlib.adapt.dann.adversary_state",
           state_hyper=("hidden", "dropout"), grid=("trade_off",)),
    Method("mmd_hard_pl", "MMD + hard pseudo-labels (ours)",
           "serlib.adapt.mmd_hard_pseudo_label.mmd_hard_pseudo_label_step",
           {"trade_off": TRADE_OFF, "threshold": THRESHOLD, "normalize": NORMALIZE,
            **MMD_KERNELS}, "source", True, "optional", "required", "book/09_beyond.md",
           grid=("threshold", "trade_off")),
)}


def get_method(name: str) -> Method:
    """A method of :data:`METHODS` by name (ConfigError if unknown)."""
    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[name]


def resolve_hyper(method: Method, values: Mapping[str, Any] | None = None, *,
                  where: str = "hyper") -> dict[str, Any]:
    """Every hyper-parameter of ``method``: the defaults with ``values`` laid over them.

    Raises:
        ConfigError: a key the method does not accept, or a value of the wrong type or out
            of range (the message names ``where``, the key, the value and what is allowed).
    """
    values = dict(values or {})
    unknown = sorted(set(values) - set(method.hyper))
    if unknown:
        accepted = sorted(method.hyper) or "none"
        raise ConfigError(f"{where}: {method.name} has no hyper-parameter {unknown}; it "
                          f"accepts {accepted}")
    return {name: param.check(name, values.get(name, param.default), where)
            for name, param in method.hyper.items()}


@dataclass(frozen=True)
class Step:
    """A method's step function with its hyper-parameters and modules bound, visibly.

    Call it as the engine does, ``step(model, batches, frac_done=p)``; it calls
    ``method.step(model, batches, frac_done=p, **hyper, **state)``.

    Attributes:
        method: the method's row.
        hyper: the keyword arguments of the step function (resolved, defaults included).
        state: the method's own modules by keyword (pass them to ``fit(extras=...)``).
    """

    method: Method
    hyper: dict[str, Any]
    state: dict[str, nn.Module]

    def __call__(self, model: nn.Module, batches: Mapping[str, Batch], *,
                 frac_done: float = 0.0) -> Mapping[str, Tensor]:
        return self.method.step_fn(model, batches, frac_done=frac_done, **self.hyper,
                                   **self.state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        state = f", state={sorted(self.state)}" if self.state else ""
        return f"Step({self.method.step_fn.__name__}({args}){state})"


def build_step(method: str | Method, model: nn.Module, *,
               hyper: Mapping[str, Any] | None = None,
               unlabelled_loader: DataLoader | None = None,
               device: str | torch.device = "auto") -> Step:
    """The step of ``method`` for ``model``, with its hyper-parameters and modules.

    Args:
        method: a name of :data:`METHODS` (not ``zero_shot``, which trains nothing) or a row.
        model: the model the step will train (after loading its starting weights).
        hyper: hyper-parameters to change from the defaults (see :func:`resolve_hyper`).
        unlabelled_loader: an unshuffled loader over the unlabelled target data, to
            initialise the soft-label memory with the model's predictions (``soft_pl``).
        device: where training will run (the soft-label memory's first predictions run
            there).

    Returns:
        A :class:`Step`: pass it to :func:`~serlib.train.fit` as the step function and
        ``step.state`` as ``extras``.
    """
    spec = get_method(method) if isinstance(method, str) else method
    spec.step_fn  # noqa: B018 - refuses zero_shot before anything is built
    values = resolve_hyper(spec, hyper, where=f"{spec.name} hyper-parameters")
    step_kwargs = {k: v for k, v in values.items() if k not in spec.state_hyper}
    state = {} if spec.state is None else _resolve(spec.state)(
        model, unlabelled_loader=unlabelled_loader, device=device, **values)
    return Step(spec, step_kwargs, state)
