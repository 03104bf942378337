"""What :func:`~serlib.train.fit` changes when it trains on several processes.

Under ``torchrun`` (a process group of N > 1 processes, see :mod:`serlib.train.distributed`)
``fit`` trains one model data-parallel, and the caller changes nothing:

- every training loader is **split** (:func:`shard_loader`): each pass draws the
  single-process loader's batches (its own batch sampler, drawing from its seeded
  generator, so the engine's :class:`~serlib.train.Cycler` saves and replays it unchanged)
  and gives process ``r`` rows ``[r·b, (r+1)·b)`` of each *global* batch,
  ``b = batch_size / N``. The N processes together see exactly the batches one process
  would: the global batch size, the number of steps per epoch and the learning rate stay
  those of the config (a global batch whose size is not a multiple of N is topped up with
  its own first items);
- the step function runs **behind DDP** (:class:`ParallelStep`): the model and the
  method's trainable extras (a domain discriminator) are wrapped together in one
  :class:`~torch.nn.parallel.DistributedDataParallel`, whose ``forward`` is the step, so
  every method's gradients are averaged over the processes without the method knowing;
- **randomness**: the shared streams (the loaders' order, the global torch generator)
  advance identically on every process, so rank 0's checkpoint is every process's state;
  what must differ between processes (dropout masks, random crops, the mixup draw) comes,
  for each step or batch, from a fresh generator seeded by one draw of the shared stream
  and the rank: decorrelated, and replayed exactly on resume.

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import copy
import gc
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, IterableDataset, Sampler

from serlib.errors import ConfigError
from serlib.train.distributed import rank as current_rank

__all__ = ["ParallelStep", "ShardBatchSampler", "shard_loader"]

_SEED_RANGE = 2**62


def _rank_seed(shared: int, rank: int) -> int:
    """A seed for ``rank`` from one shared draw (different ranks, different seeds)."""
    return (shared + 0x9E3779B97F4A7C15 * (rank + 1)) % 2**63


class ShardBatchSampler(Sampler[list[int]]):
    """The share of one process of N in the batches a single process would take.

    It iterates the single-process loader's own batch sampler (e.g. a ``BatchSampler`` over
    a ``RandomSampler`` drawing from the loader's generator: the same draws, so the same
    global batches) and yields rows ``[r·b, (r+1)·b)`` of each batch, ``b = ⌈size / N⌉``;
    a batch whose size is not a multiple of N is first topped up with its own first items.

    Args:
        batches: the single-process batch sampler (yields lists of dataset indices).
        rank: this process's rank r.
        world_size: the number of processes N.
    """

    def __init__(self, batches: Sampler[list[int]], *, rank: int, world_size: int) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        self.batches, self.rank, self.world_size = batches, rank, world_size

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def share(self, batch: list[int]) -> list[int]:
        """This rank's rows of one global batch (topped up to a multiple of N first)."""
        per_rank = -(-len(batch) // self.world_size)
        topped = (list(batch) * self.world_size)[: per_rank * self.world_size]
        return topped[self.rank * per_rank: (self.rank + 1) * per_rank]

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.batches:
            yield self.share(batch)


class _RankCollate:
    """A collate function whose random draws (crops) differ between processes.

    ``generator`` is the wrapped function's (the Cycler saves that one); each batch takes
    one draw from it, identical on every process, and crops with a generator seeded by
    that draw and the rank.
    """

    def __init__(self, collate: Callable[[list], Any], rank: int) -> None:
        self.collate, self.rank = collate, rank

    @property
    def generator(self) -> torch.Generator | None:
        return getattr(self.collate, "generator", None)

    def __call__(self, items: list) -> Any:
        shared = self.generator
        if shared is None:
            return self.collate(items)
        seed = int(torch.randint(0, _SEED_RANGE, (1,), generator=shared))
        mine = copy.copy(self.collate)  # the same settings, its own generator
        mine.generator = torch.Generator().manual_seed(_rank_seed(seed, self.rank))
        return mine(items)


def shard_loader(loader: DataLoader, *, rank: int, world_size: int) -> DataLoader:
    """The loader of process ``rank`` of ``world_size`` (see the module docstring).

    Its order comes from ``loader``'s own batch sampler and generator (the same objects),
    its collate function is ``loader``'s with per-process random draws.

    Args:
        loader: a map-style training loader with batches, e.g. from
            :func:`serlib.features.make_loader` (whose seeded generator makes the order
            the same on every process and replayable on resume).
        rank: this process's rank.
        world_size: the number of processes.

    Raises:
        ConfigError: the loader yields no batches of indices (an iterable dataset, or
            ``batch_size=None``).
    """
    if loader.batch_sampler is None or isinstance(loader.dataset, IterableDataset):
        raise ConfigError(f"cannot split a loader without batches of indices "
                          f"({type(loader.dataset).__name__}, batch_size={loader.batch_size}) "
                          "over processes: make it with serlib.features.make_loader")
    batches = ShardBatchSampler(loader.batch_sampler, rank=rank, world_size=world_size)
    workers = {"prefetch_factor": loader.prefetch_factor} if loader.num_workers else {}
    return DataLoader(loader.dataset, batch_sampler=batches,
                      collate_fn=_RankCollate(loader.collate_fn, rank),
                      generator=loader.generator, num_workers=loader.num_workers,
                      pin_memory=loader.pin_memory, worker_init_fn=loader.worker_init_fn,
                      timeout=loader.timeout, persistent_workers=loader.persistent_workers,
                      **workers)


class _StepModule(nn.Module):
    """The model and the method's modules in one module whose ``forward`` is the step."""

    def __init__(self, step_fn: Callable[..., Mapping[str, Tensor]],
                 modules: Mapping[str, nn.Module]) -> None:
        super().__init__()
        self.parts = nn.ModuleDict(dict(modules))
        self.step_fn = step_fn

    def forward(self, batches: Mapping[str, Any], frac_done: float) -> dict[str, Tensor]:
        seed = int(torch.randint(0, _SEED_RANGE, (1,)))  # the shared stream: same on all ranks
        model = self.parts["model"]
        cuda = next(model.parameters()).device.type == "cuda"
        devices = [torch.cuda.current_device()] if cuda else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(_rank_seed(seed, current_rank()))  # this rank's draws
            return dict(self.step_fn(model, batches, frac_done=frac_done))


class ParallelStep:
    """A step function that runs behind DDP: ``step(model, batches, frac_done=p)``.

    Args:
        step_fn: the method's step function (unchanged).
        modules: ``{"model": ..., **extras}``, already on ``device``; every trainable
            parameter among them is synchronised.
        device: where they are (CUDA: one GPU per process).

    Raises:
        ValueError: nothing among the modules is trainable.
    """

    def __init__(self, step_fn: Callable[..., Mapping[str, Tensor]],
                 modules: Mapping[str, nn.Module], device: torch.device) -> None:
        self.inner = _StepModule(step_fn, modules)
        if not any(p.requires_grad for p in self.inner.parameters()):
            raise ValueError("nothing to train: every parameter has requires_grad=False")
        ids = None if device.type != "cuda" else [
            device.index if device.index is not None else torch.cuda.current_device()]
        # buffers are not broadcast at every step: fit copies rank 0's after each epoch
        # (newer torch names the option forward_sync_buffers, older torch broadcast_buffers)
        option = ("forward_sync_buffers" if "forward_sync_buffers" in
                  inspect.signature(DistributedDataParallel).parameters else "broadcast_buffers")
        self.ddp: DistributedDataParallel | None = DistributedDataParallel(
            self.inner, device_ids=ids, **{option: False})

    def __call__(self, model: nn.Module, batches: Mapping[str, Any], *,
                 frac_done: float) -> dict[str, Tensor]:
        if self.ddp is None:
            raise RuntimeError("this ParallelStep is closed")
        if model is not self.inner.parts["model"]:
            raise ValueError("ParallelStep was built for another model")
        return self.ddp(batches, frac_done=frac_done)

    def close(self) -> None:
        """Drop the DDP wrapper (and its gradient hooks) so the model can be trained again."""
        self.ddp = None
        gc.collect()
