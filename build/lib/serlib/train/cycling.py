"""Pairing loaders of different lengths: iterate each one forever, and remember where.

A step of an adaptation method takes one batch from each loader (source, target,
unlabelled). The loaders rarely have the same length, so each is *cycled*: when one pass
ends, a new (reshuffled) pass starts. :class:`Cycler` does that and can save its position,
so that a run resumed from a checkpoint sees exactly the batches it would have seen.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader

__all__ = ["Cycler"]


class Cycler:
    """An endless iterator over a loader whose position can be saved and restored.

    A pass's randomness comes from the loader's own ``generator`` (the order;
    ``serlib.features.make_loader`` always gives one) and, if its collate function has one,
    the collate function's ``generator`` (random crops, :class:`serlib.features.CropCollate`).
    The state is those generators' states at the start of the current pass and the number of
    batches taken from the pass; restoring it replays the pass up to that point (the skipped
    batches are built and thrown away: cheap for in-memory features).

    Args:
        loader: a DataLoader; with ``shuffle=True`` (or random crops) its generators should
            be seeded, otherwise a resumed run draws differently.

    Example:
        >>> batches = Cycler(loader)  # doctest: +SKIP
        >>> batch = next(batches)  # doctest: +SKIP
    """

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self.passes = 0  # passes started
        self.taken = 0  # batches taken from the current pass
        self._start_state: list[torch.Tensor | None] = []
        self._iterator: Iterator[Any] | None = None

    def _generators(self) -> list[torch.Generator | None]:
        """The loader's generator and its collate function's (None where absent)."""
        return [getattr(self.loader, "generator", None),
                getattr(getattr(self.loader, "collate_fn", None), "generator", None)]

    def _start_pass(self) -> None:
        self._start_state = [None if g is None else g.get_state() for g in self._generators()]
        self._iterator = iter(self.loader)
        self.passes += 1
        self.taken = 0

    def __iter__(self) -> Cycler:
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._start_pass()
        try:
            batch = next(self._iterator)
        except StopIteration:
            self._start_pass()
            try:
                batch = next(self._iterator)
            except StopIteration:
                raise ValueError("cannot cycle an empty loader (it yields no batch)") from None
        self.taken += 1
        return batch

    def state_dict(self) -> dict[str, Any]:
        """Where the cycler is: ``passes``, ``taken`` and the pass's generator state."""
        return {"passes": self.passes, "taken": self.taken, "start_state": self._start_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a saved position (replays the current pass up to it)."""
        self._iterator, self.passes, self.taken = None, 0, 0
        if state["passes"] == 0:
            return
        for generator, start in zip(self._generators(), state["start_state"], strict=True):
            if generator is not None and start is not None:
                generator.set_state(start)
        self._start_pass()
        self.passes = state["passes"]
        for _ in range(state["taken"]):
            next(self._iterator)  # type: ignore[arg-type]
        self.taken = state["taken"]
