"""What a training run costs, recorded while it runs: FLOPs, steps, checkpoint bytes, RAM.

When ``SERLIB_COST_LOG`` names a folder, every :func:`~serlib.train.engine.fit` appends one
JSON line to ``<folder>/<pid>.jsonl`` when it ends::

    {"chapter": "04_source_models", "model": "VGG16Mel", "image_size": 64,
     "batch_size": 8, "input_shapes": {...}, "flops_per_step": 1.2e10,
     "num_epochs": 1, "steps_per_epoch": 2, "steps_run": 2, "full": {"num_epochs": 400,
     "steps_per_epoch": null, "batch_size": 16}, "items": 24,
     "checkpoint_bytes": 123, "checkpoint_file_bytes": 123, "peak_ram_bytes": 456,
     "device": "cuda", "wall_seconds": 1.5, "weight": 1.0}

``flops_per_step`` is counted once per model class and input shapes with
:class:`torch.utils.flop_counter.FlopCounterMode` over one whole step (forward, backward;
the optimiser's element-wise work is not counted). ``full`` is the uncapped schedule of a
dry run (registered by :func:`register_full_schedule`, which ``apply_profile`` calls for a
dry-run profile; ``stage`` is ``"source"`` for a fit on the source loader alone, else
``"adapt"``), so that ``tools/cost_report.py`` can cost the run the ``full`` profile
would make. ``chapter`` is ``$SERLIB_CHAPTER``, else the chapter whose notebook the build
executes in a parent process, else ``"unknown"``.

``weight`` is how many fits of the uncapped run this fit stands for (1 unless a dry run cut a
sweep: fewer label budgets, thresholds, seeds, folds, targets or methods than the ``full``
edition runs). Code that cuts a sweep runs its fits inside :func:`weighted_fits` with the
uncapped count over the capped count (``serlib.experiments.cuts`` does it for the chapters),
so that the estimate counts the runs the full edition makes, not the runs the dry run made.

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from torch import Tensor, nn

__all__ = ["COST_LOG_ENV", "CostRecorder", "chapter_name", "fit_weight", "register_full_schedule",
           "weighted_fits"]

#: the folder cost records go to (unset: nothing is recorded)
COST_LOG_ENV = "SERLIB_COST_LOG"
_COUNTED: dict[tuple, float | None] = {}  # (model class, input shapes) -> FLOPs per step
_FULL: dict[tuple, dict[str, Any]] = {}  # capped config key -> the uncapped schedule
_WEIGHTS: list[float] = []  # the weights of the enclosing weighted_fits blocks
T = TypeVar("T")


def _config_key(num_epochs: int, steps_per_epoch: int | None, lr: float,
                stage: str = "source") -> tuple:
    return (num_epochs, steps_per_epoch, float(lr), stage)


def register_full_schedule(capped: Mapping[str, Any], full: Mapping[str, Any]) -> None:
    """Remember that a capped config (``num_epochs``, ``steps_per_epoch``, ``lr``) stands for
    the uncapped ``full`` schedule (``num_epochs``, ``steps_per_epoch``, ``batch_size``).

    When two stages share a capped key, the longer schedule is kept (the estimate errs high).
    """
    key = _config_key(capped["num_epochs"], capped["steps_per_epoch"], capped["lr"],
                      full.get("stage", "source"))
    old = _FULL.get(key)
    if old is None or full["num_epochs"] > old["num_epochs"]:
        _FULL[key] = dict(full)


@contextmanager
def weighted_fits(weight: float) -> Iterator[None]:
    """Every fit inside counts ``weight`` times in the cost records (nested blocks multiply).

    A dry run that runs 2 of the 4 label budgets of a sweep runs that sweep's fits inside
    ``weighted_fits(4 / 2)``, so the estimate covers the 4 the ``full`` edition runs.

    Raises:
        ValueError: ``weight`` is not a positive number.
    """
    if not weight > 0:
        raise ValueError(f"weighted_fits: a fit's weight must be > 0, got {weight!r} (a sweep "
                         "cut to no value has no fit to stand for the uncapped ones)")
    _WEIGHTS.append(float(weight))
    try:
        yield
    finally:
        _WEIGHTS.pop()


def fit_weight() -> float:
    """How many uncapped fits a fit started now stands for (see :func:`weighted_fits`)."""
    weight = 1.0
    for factor in _WEIGHTS:
        weight *= factor
    return weight


def chapter_name() -> str:
    """The chapter this process runs for (see the module docstring)."""
    if os.environ.get("SERLIB_CHAPTER"):
        return os.environ["SERLIB_CHAPTER"]
    pid = os.getppid()
    for _ in range(4):  # kernel <- papermill runner <- ... (Linux only)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            break
        for arg in argv:
            text = arg.decode(errors="replace")
            if text.endswith("spec.json") and Path(text).parent.suffix == ".run":
                return Path(text).parent.stem
        ppid = [line.split()[1] for line in status.splitlines() if line.startswith("PPid:")]
        pid = int(ppid[0]) if ppid else 0
        if pid <= 1:
            break
    return "unknown"


def _shapes(batches: Mapping[str, Any]) -> tuple:
    return tuple(sorted((name, tuple(getattr(b, "x", b).shape)) for name, b in batches.items()
                        if isinstance(getattr(b, "x", b), Tensor)))


def _peak_ram() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class CostRecorder:
    """Counts one run's costs for ``fit`` (does nothing unless ``$SERLIB_COST_LOG`` is set)."""

    def __init__(self, model: nn.Module, *, num_epochs: int, steps_per_epoch: int, lr: float,
                 device: str, loaders: Mapping[str, Any]) -> None:
        self.folder = os.environ.get(COST_LOG_ENV)
        self.model = model
        self.started = time.perf_counter()
        # source training reads the source loader alone; adaptation reads target data too
        stage = "source" if set(loaders) == {"source"} else "adapt"
        self.record: dict[str, Any] = {
            "model": type(model).__name__, "image_size": getattr(model, "image_size", None),
            "num_epochs": num_epochs, "steps_per_epoch": steps_per_epoch, "steps_run": 0,
            "flops_per_step": None, "input_shapes": None, "batch_size": None,
            "items": max((len(getattr(ld, "dataset", ())) for ld in loaders.values()),
                         default=0),
            "stage": stage,
            "full": _FULL.get(_config_key(num_epochs, steps_per_epoch, lr, stage))
            or _FULL.get(_config_key(num_epochs, steps_per_epoch, lr,
                                     "adapt" if stage == "source" else "source")),
            "checkpoint_bytes": 0, "checkpoint_file_bytes": 0, "device": device,
            "weight": fit_weight()}

    @property
    def active(self) -> bool:
        return bool(self.folder)

    def step(self, run: Callable[[], T], batches: Mapping[str, Any]) -> T:
        """Run one training step, counting its FLOPs if these shapes were not counted yet."""
        if not self.active:
            return run()
        self.record["steps_run"] += 1
        shapes = _shapes(batches)
        key = (type(self.model).__name__, shapes)
        if self.record["input_shapes"] is None:
            self.record["input_shapes"] = {name: list(s) for name, s in shapes}
            self.record["batch_size"] = max((s[0] for _, s in shapes if s), default=None)
        if key in _COUNTED:
            self.record["flops_per_step"] = self.record["flops_per_step"] or _COUNTED[key]
            return run()
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
        with counter:
            out = run()
        _COUNTED[key] = float(counter.get_total_flops())
        self.record["flops_per_step"] = _COUNTED[key]
        return out

    def checkpoint_written(self, path: str | os.PathLike[str]) -> None:
        """Add a checkpoint just written to the bytes this run wrote."""
        size = Path(path).stat().st_size if Path(path).is_file() else 0
        self.record["checkpoint_bytes"] += size
        self.record["checkpoint_file_bytes"] = max(self.record["checkpoint_file_bytes"], size)

    def close(self) -> None:
        """Append the record to ``<$SERLIB_COST_LOG>/<pid>.jsonl``."""
        if not self.active or not self.record["steps_run"]:
            return
        self.record.update(chapter=chapter_name(), peak_ram_bytes=_peak_ram(),
                           wall_seconds=round(time.perf_counter() - self.started, 3))
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(self.record) + "\n")
