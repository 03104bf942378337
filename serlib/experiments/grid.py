"""The grid of an experiment: one :class:`RunSpec` per method × task × labels × τ/λ × seed.

Axes a method does not use collapse (a zero-shot run has no τ and no target labels), and
combinations a method cannot run are left out with a reason (transfer learning without
target labels; pseudo-labels when every target utterance is labelled, so none is left
unlabelled). Every run has a key: a hash of its fully resolved settings (recipe, profile,
data, backbone, grid point), so a results file knows which runs it already holds.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serlib.adapt.methods import get_method
from serlib.config import config_hash, config_to_dict
from serlib.experiments.config import ResolvedExperiment, parse_task

__all__ = ["RUN_FORMAT", "RunSpec", "expand_grid"]

#: bumped when what a run computes changes (old results then no longer count as done)
RUN_FORMAT = 1


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid.

    Attributes:
        experiment: the experiment's name.
        method: a method name.
        source: the source domain (corpus ids joined by ``+``, or a synthetic language).
        target: the target domain.
        n_labels: labelled target training utterances (int) or ``"all"``.
        threshold: τ, for methods that use it (else None).
        trade_off: the MMD / adversarial weight, for methods that use it (else None).
        seed: the training seed (also draws the labelled subset).
        profile: the profile's name.
        settings: every other resolved setting (recipe, profile, data, backbone).
    """

    experiment: str
    method: str
    source: str
    target: str
    n_labels: int | str
    threshold: float | None
    trade_off: float | None
    seed: int
    profile: str
    settings: dict[str, Any]

    @property
    def key(self) -> str:
        """The run key: a hash of everything that determines the run."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return config_hash(values, RUN_FORMAT)

    @property
    def uses_target_labels(self) -> bool:
        """True if the run trains on labelled target utterances."""
        return self.n_labels == "all" or int(self.n_labels) > 0

    @property
    def task(self) -> str:
        """``"source -> target"``."""
        return f"{self.source} -> {self.target}"


def _checkpoint_id(path: str | None) -> str | None:
    """A machine-independent id of a weights file: its name and size."""
    if path is None:
        return None
    file = Path(path).expanduser()
    return f"{file.name}:{file.stat().st_size}" if file.is_file() else file.name


def _settings(plan: ResolvedExperiment) -> dict[str, Any]:
    c = plan.config
    synthetic = {"profile": c.synthetic, **c.synthetic_overrides}
    return {"data": c.data, "synthetic": synthetic if c.data == "synthetic" else None,
            "label_set": c.label_set, "merges": list(c.merges), "split_seed": c.split_seed,
            "backbone": c.backbone, "backbone_options": dict(c.backbone_options),
            "checkpoint": None if c.backbone == "small_cnn" else _checkpoint_id(c.checkpoint),
            "recipe": config_to_dict(plan.recipe), "profile": config_to_dict(plan.profile)}


def _labels_for(method: str, values: tuple[int | str, ...]) -> tuple[list[int | str], str]:
    spec = get_method(method)
    if spec.target_labels == "none":
        return [0], ""
    if spec.target_labels == "all":
        return ["all"], ""
    keep = [n for n in values if not (spec.target_labels == "required" and n == 0)]
    if spec.unlabelled == "required":
        keep = [n for n in keep if n != "all"]
    reason = "" if keep else (f"{method} needs n_labels " + (
        "> 0" if spec.target_labels == "required" else "other than 'all'"))
    return keep, reason


def expand_grid(plan: ResolvedExperiment) -> tuple[list[RunSpec], list[str]]:
    """Every run of the experiment, in a cache-friendly order (task, seed, method, ...).

    Returns:
        ``(runs, notes)``: the runs, and one note per method whose axes left no run.
    """
    c = plan.config
    settings = _settings(plan)
    runs: dict[str, RunSpec] = {}
    notes: list[str] = []
    for task in c.tasks:
        source, target = parse_task(task)
        for seed in plan.seeds:
            for method in c.methods:
                spec = get_method(method)
                labels, reason = _labels_for(method, tuple(c.n_labels))
                if reason and reason not in notes:
                    notes.append(reason)
                taus = c.thresholds if "threshold" in spec.hyper else (None,)
                weights = c.trade_offs if "trade_off" in spec.hyper else (None,)
                for n in labels:
                    for tau in taus:
                        for weight in weights:
                            run = RunSpec(c.name, method, source, target, n,
                                          None if tau is None else float(tau),
                                          None if weight is None else float(weight),
                                          int(seed), plan.profile.name, settings)
                            runs.setdefault(run.key, run)
    return list(runs.values()), notes
