"""The grid of an experiment: one :class:`RunSpec` per method × task × labels × τ/λ ×
test-time point × seed (× fold).

Axes a method does not use collapse (a zero-shot run has no τ and no target labels), and
combinations a method cannot run are left out with a reason (transfer learning without
target labels; pseudo-labels when every target utterance is labelled, so none is left
unlabelled). Each run carries its method's row of :data:`serlib.adapt.METHODS` and its
hyper-parameters fully resolved (the method's defaults, then the experiment's ``hyper``,
then the grid axes ``thresholds`` / ``trade_offs``). Every run has a key: a hash of its
fully resolved settings (recipe, profile, data, backbone, method, hyper-parameters, grid
point), so a results file knows which runs it already holds; and a **config digest**: the
same hash without the seed and the fold, so rows of one configuration (a condition) are
recognised, and rows of different configurations are never pooled.

The protocol (:mod:`.protocols`) decides the folds of each target and which methods can
run; a target that cannot meet it, or a method it cannot run, is one note of the plan.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serlib.adapt.methods import Method, get_method, resolve_hyper
from serlib.config import config_hash, config_to_dict
from serlib.errors import ConfigError
from serlib.experiments.config import ResolvedExperiment, parse_task, test_time_points
from serlib.experiments.protocols import (
    PROTOCOLS,
    get_protocol,
    protocol_note,
    target_fold_count,
    target_speakers,
)
from serlib.experiments.test_time import test_time_info
from serlib.experiments.weights import resolve_weights

__all__ = ["RUN_FORMAT", "RunSpec", "expand_grid", "parse_shard", "shard_runs", "target_folds"]

#: bumped when what a run computes changes (old results then no longer count as done)
RUN_FORMAT = 3


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid.

    Attributes:
        experiment: the experiment's name.
        method: the method's row of ``METHODS``.
        hyper: every hyper-parameter of the method, resolved (see the module docstring).
        source: the source domain (corpus ids joined by ``+``, or a synthetic language).
        target: the target domain.
        n_labels: labelled target training utterances (int) or ``"all"``.
        seed: the training seed (also draws the labelled subset).
        profile: the profile's name.
        settings: every other resolved setting (recipe, profile, data, backbone).
        fold: the target fold tested (``speaker_folds`` protocol), None for the paper split.
        test_time: the run's test-time settings (``frames``, ``normalize``, ``adabn``,
            ``refine``; see :mod:`.test_time`).
    """

    experiment: str
    method: Method
    hyper: dict[str, Any]
    source: str
    target: str
    n_labels: int | str
    seed: int
    profile: str
    settings: dict[str, Any]
    fold: int | None = None
    test_time: dict[str, Any] = field(default_factory=dict)

    def _condition(self) -> dict[str, Any]:
        """Everything that determines the run except the experiment's name, seed and fold."""
        return {"method": self.method.name, "hyper": self.hyper, "source": self.source,
                "target": self.target, "n_labels": self.n_labels, "profile": self.profile,
                "settings": self.settings, "test_time": self.test_time}

    @property
    def key(self) -> str:
        """The run key: a hash of everything that determines the run."""
        return config_hash({**self._condition(), "experiment": self.experiment,
                            "seed": self.seed, "fold": self.fold}, RUN_FORMAT)

    @property
    def config_digest(self) -> str:
        """A hash of the full resolved configuration of the run except its seed and fold:
        equal for the seeds and folds of one condition, different when anything else is."""
        return config_hash(self._condition(), RUN_FORMAT)

    @property
    def test_time_info(self) -> str:
        """``inductive``, ``target domain`` or ``target speaker`` (see :mod:`.test_time`)."""
        return test_time_info(self.test_time)

    @property
    def threshold(self) -> float | None:
        """τ, for methods that have one (else None)."""
        return self.hyper.get("threshold")

    @property
    def trade_off(self) -> float | None:
        """The MMD / adversarial weight, for methods that have one (else None)."""
        return self.hyper.get("trade_off")

    @property
    def uses_target_labels(self) -> bool:
        """True if the run trains on labelled target utterances."""
        return self.n_labels == "all" or int(self.n_labels) > 0

    @property
    def task(self) -> str:
        """``"source -> target"``."""
        return f"{self.source} -> {self.target}"

    def describe(self) -> str:
        """One line: method, task, labels, grid hyper-parameters, seed."""
        extra = "".join(f" {k}={v}" for k, v in (("τ", self.threshold),
                                                 ("trade_off", self.trade_off))
                        if v is not None)
        fold = "" if self.fold is None else f" fold={self.fold}"
        return (f"{self.method.name} {self.task} n={self.n_labels}{extra} seed={self.seed}"
                f"{fold} [{self.test_time_info}]")


def _weights_id(backbone: str, weights: str | None, options: dict[str, Any]) -> str | None:
    """A machine-independent id of the weights a backbone loads: name and size."""
    resolved = resolve_weights(backbone, weights, options)
    if resolved is None:
        return None
    file = Path(resolved).expanduser()
    return f"{file.name}:{file.stat().st_size}" if file.is_file() else file.name


def _settings(plan: ResolvedExperiment) -> dict[str, Any]:
    c = plan.config
    assert c.backbone is not None  # resolve_experiment fills it
    synthetic = {"profile": c.synthetic, **c.synthetic_overrides}
    return {"data": c.data, "synthetic": synthetic if c.data == "synthetic" else None,
            "label_set": c.label_set, "split_seed": c.split_seed,
            "merges": ({k: list(v) for k, v in c.merges.items()}
                       if isinstance(c.merges, Mapping) else list(c.merges)),
            "backbone": c.backbone, "backbone_options": dict(c.backbone_options),
            "protocol": c.protocol, "selection": c.selection, "cv_folds": c.cv_folds,
            "weights": _weights_id(c.backbone, c.weights, dict(c.backbone_options)),
            "recipe": config_to_dict(plan.recipe),
            "profile": {k: v for k, v in config_to_dict(plan.profile).items()
                        if k in ("name", "source_epochs", "adapt_epochs", "steps_per_epoch",
                                 "max_per_speaker_emotion", "dry_run", "batch_size")},
            # only when set, so that the keys of runs without it stay as they were
            **({"restrict_to_target_classes": True} if c.restrict_to_target_classes else {})}


def _labels_for(method: Method, values: tuple[int | str, ...]) -> tuple[list[int | str], str]:
    if method.target_labels == "none":
        return [0], ""
    if method.target_labels == "all":
        return ["all"], ""
    keep = [n for n in values if not (method.target_labels == "required" and n == 0)]
    if method.unlabelled == "required":
        keep = [n for n in keep if n != "all"]
    reason = "" if keep else (f"{method.name} needs n_labels " + (
        "> 0" if method.target_labels == "required" else "other than 'all'"))
    return keep, reason


def _hyper_points(method: Method, plan: ResolvedExperiment) -> list[dict[str, Any]]:
    """The method's resolved hyper-parameters, one dict per point of its grid axes."""
    c = plan.config
    where = f"{c.name}: hyper.{method.name}"
    base = resolve_hyper(method, c.hyper.get(method.name, {}), where=where)
    axes = {"threshold": c.thresholds, "trade_off": c.trade_offs}
    points = [base]
    for param in method.grid:
        values = axes[param]
        if values:  # checked when the config was read (ExperimentConfig._check_axes)
            points = [{**p, param: float(v)} for p in points for v in values]
    return points


def target_folds(plan: ResolvedExperiment, target: str) -> list[int | None]:
    """The folds a task runs: ``[None]`` (no folds) or ``0 .. n_folds - 1``.

    The count is per target (:func:`~serlib.experiments.protocols.target_fold_count`).

    Raises:
        ConfigError: the target's speakers are unknown (not in the registry, not on disk)
            and ``n_folds`` does not give its count.
    """
    c = plan.config
    if not get_protocol(c.protocol).folds:
        return [None]
    count = target_fold_count(c, target, target_speakers(c, target))
    if count is None:
        raise ConfigError(f"{c.name}: the number of speakers of {target!r} is unknown (not in "
                          "the corpus registry and not on disk); put it on disk, or set "
                          f"n_folds: {{{target}: N}} for the speaker_folds protocol")
    return list(range(count))


def _task_folds(plan: ResolvedExperiment, target: str, notes: list[str]
                ) -> tuple[list[int | None], int | None] | None:
    """The task's folds and fold count, or None (with a note) when the target cannot
    meet the protocol."""
    c = plan.config
    protocol = get_protocol(c.protocol)
    speakers = target_speakers(c, target)
    if speakers is not None and speakers < protocol.min_speakers:
        notes.append(protocol_note(protocol, target, speakers))
        return None
    if not protocol.folds:
        return [None], None
    count = target_fold_count(c, target, speakers)
    if count is None:
        notes.append(f"target {target!r}: its number of speakers is unknown (not in the "
                     "corpus registry and not on disk), so its runs are left out; put it on "
                     f"disk or set n_folds: {{{target}: N}}")
        return None
    return list(range(count)), count


def expand_grid(plan: ResolvedExperiment) -> tuple[list[RunSpec], list[str]]:
    """Every run of the experiment, in a cache-friendly order (task, seed, method, ...).

    Returns:
        ``(runs, notes)``: the runs, and one note per method whose axes left no run, per
        target that cannot meet the protocol and per method the protocol cannot run.
    """
    c = plan.config
    settings = _settings(plan)
    protocol = get_protocol(c.protocol)
    points = test_time_points(c)
    runs: dict[str, RunSpec] = {}
    notes: list[str] = []
    for task in c.tasks:
        source, target = parse_task(task)
        found = _task_folds(plan, target, notes)
        if found is None:
            continue
        folds, count = found
        task_settings = {**settings, "n_folds": count}
        for seed in plan.seeds:
            for name in c.methods:
                method = get_method(name)
                if not protocol.runs(method):
                    able = [p for p in PROTOCOLS.values() if p.runs(method)]
                    note = (f"{name} trains on the target, which protocol {protocol.name!r} "
                            "keeps for testing only; its runs are left out; protocols that "
                            f"can run it: {[p.name for p in able]} (a target with at least "
                            f"{min(p.min_speakers for p in able)} speakers)")
                    if note not in notes:
                        notes.append(note)
                    continue
                labels, reason = _labels_for(method, tuple(c.n_labels))
                if reason and reason not in notes:
                    notes.append(reason)
                for fold in folds:
                    for n in labels:
                        for hyper in _hyper_points(method, plan):
                            for point in points:
                                run = RunSpec(c.name, method, hyper, source, target, n,
                                              int(seed), plan.profile.name, task_settings,
                                              fold, dict(point))
                                runs.setdefault(run.key, run)
    return list(runs.values()), notes


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` (part K of N, counted from 1) as ``(K, N)``.

    Raises:
        ConfigError: not two integers with 1 ≤ K ≤ N.
    """
    k, sep, n = str(text).partition("/")
    try:
        shard = int(k), int(n)
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise ConfigError(f"--shard {text!r}: write K/N with 1 <= K <= N (part K of N, "
                          "e.g. 1/4 ... 4/4; SLURM: --shard $((SLURM_ARRAY_TASK_ID+1))/N "
                          "with --array=0-(N-1))")
    return shard


def shard_runs(runs: Sequence[RunSpec], k: int, n: int) -> list[RunSpec]:
    """Part ``k`` of ``n`` of a grid: a contiguous block of its runs, in the grid's order.

    The N parts of the same grid (same config, profile and seeds) are disjoint and cover it
    exactly once; their sizes differ by at most one. Blocks rather than every N-th run: the
    grid is ordered by task and seed, so a block trains few source models (each is trained
    once per task and seed, then read from disk) and prepares few tasks. Shard the whole
    grid, never what is left of it: then a part is the same whatever is already done.

    Raises:
        ConfigError: ``k`` is not in 1..n.
    """
    if not 1 <= k <= n:
        raise ConfigError(f"shard {k}/{n}: need 1 <= K <= N")
    return list(runs[(k - 1) * len(runs) // n: k * len(runs) // n])
