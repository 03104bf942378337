"""A chapter's own runtime, measured while it runs.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import os
import time

__all__ = ["Stopwatch", "cpu_threads", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s`` or ``1 h 02 min``: a duration as a reader wants to see it.

    Raises:
        ValueError: ``seconds`` is negative or not finite.
    """
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"a duration must be a finite number >= 0, got {seconds!r}")
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Stopwatch:
    """Wall-clock time since the stopwatch was made (usually in the chapter's first cell).

    The last cell of a chapter prints it, so that a reader sees what the run cost on their
    machine; the book's build measures the same run independently (papermill's per-cell
    durations) for the runtimes the prose states.

    Example:
        >>> watch = Stopwatch()
        >>> watch.report("smoke")  # doctest: +SKIP
        'This chapter ran in 1 min 52 s (PROFILE = "smoke", 2 CPU threads).'
    """

    def __init__(self) -> None:
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Seconds elapsed since the stopwatch was made."""
        return time.perf_counter() - self._start

    def report(self, profile: str | None = None) -> str:
        """One sentence with the elapsed time (and the profile, when given)."""
        where = f"{cpu_threads()} CPU threads"
        try:
            import torch

            if torch.cuda.is_available():
                where = torch.cuda.get_device_name(0)
        except ImportError:  # pragma: no cover - serlib depends on torch
            pass
        run = f'PROFILE = "{profile}", ' if profile is not None else ""
        return f"This chapter ran in {format_seconds(self.seconds)} ({run}{where})."

    def __repr__(self) -> str:
        return f"Stopwatch({format_seconds(self.seconds)})"


def cpu_threads() -> int:
    """CPU threads this kernel may use: ``$OMP_NUM_THREADS`` if set (the book's build sets
    it when it executes several chapters at once), else every core."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1
