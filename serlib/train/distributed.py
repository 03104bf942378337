"""Several processes, one run: the process group and the few collectives serlib needs.

serlib trains data-parallel with PyTorch's own engine: ``torch.distributed`` for the
process group, :class:`~torch.nn.parallel.DistributedDataParallel` (DDP) for the
gradients, ``torchrun`` to start one process per GPU (or per CPU slot, with ``gloo``).
This module is the thin layer between them and the engine:

- :func:`init_distributed` joins the process group that ``torchrun`` describes in the
  environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
  ``MASTER_PORT``): ``nccl`` and one GPU per process when training on CUDA, ``gloo``
  otherwise;
- :func:`rank`, :func:`world_size`, :func:`is_distributed`, :func:`is_main_process`,
  :func:`barrier`, :func:`broadcast_object`, :func:`on_main_process` and
  :func:`main_process_first` answer 0, 1, False, True or do nothing special in a single
  process, so code that calls them runs unchanged without ``torchrun``;
- :func:`gather_rows` concatenates a tensor's rows from every process (the *global
  batch*), with gradients: a term that is not a mean over utterances (MMD², the prior of
  soft pseudo-labels) is then computed on the global batch exactly as one process would;
- :func:`mean_over_processes` averages the recorded terms, :func:`sync_buffers` copies
  rank 0's buffers (BatchNorm statistics) to the others.

What is per process and what is global is decided where each term is computed and
documented in ``book/appendix_scaling.md``; :func:`serlib.train.fit` does the rest.

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from serlib.errors import ConfigError

__all__ = ["TORCHRUN_VARIABLES", "barrier", "broadcast_object", "close_distributed",
           "gather_rows", "init_distributed", "is_distributed", "is_main_process",
           "main_process_first", "mean_over_processes", "on_main_process", "rank",
           "sync_buffers", "world_size"]

#: what ``torchrun`` sets for every process it starts
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def init_distributed(device: str = "auto") -> bool:
    """Join the process group of the ``torchrun`` job this process belongs to.

    Args:
        device: where this job trains (``TrainConfig.device``): on CUDA the backend is
            ``nccl`` and process ``LOCAL_RANK`` uses GPU ``LOCAL_RANK``; otherwise ``gloo``.

    Returns:
        True if the job has more than one process (training is then data-parallel).

    Raises:
        ConfigError: the environment has no ``torchrun`` variables, or this machine has
            fewer GPUs than processes (the message says how to launch).
    """
    if dist.is_available() and dist.is_initialized():
        return is_distributed()
    missing = [k for k in TORCHRUN_VARIABLES if k not in os.environ]
    if missing or not dist.is_available():
        raise ConfigError(f"distributed training needs the variables torchrun sets ({missing} "
                          "are missing): launch with `torchrun --nproc-per-node N -m serlib "
                          "experiment run CONFIG --distributed` (or drop --distributed)")
    local = int(os.environ["LOCAL_RANK"])
    from serlib.train.runtime import resolve_device

    cuda = resolve_device(device).type == "cuda"
    if cuda:
        if local >= torch.cuda.device_count():
            raise ConfigError(f"process LOCAL_RANK={local} has no GPU of its own (this machine "
                              f"has {torch.cuda.device_count()}): use --nproc-per-node "
                              f"{torch.cuda.device_count()} or fewer")
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if cuda else "gloo")
    return is_distributed()


def close_distributed() -> None:
    """Leave the process group (nothing to do in a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def is_distributed() -> bool:
    """True inside a process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 in a single process)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """The number of processes (1 in a single process)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """True on rank 0, the one process that writes checkpoints, results and logs."""
    return rank() == 0


def barrier() -> None:
    """Wait until every process is here (nothing in a single process)."""
    if is_distributed():
        dist.barrier()


def _comm_device() -> torch.device:
    """Where tensors for a collective live: the current GPU with nccl, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def broadcast_object(obj: Any) -> Any:
    """Rank 0's ``obj`` on every process (``obj`` itself in a single process).

    Other ranks may pass anything (it is ignored); ``obj`` must be picklable.
    """
    if not is_distributed():
        return obj
    box = [obj if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0, device=_comm_device())
    return box[0]


def mean_over_processes(values: Mapping[str, float]) -> dict[str, float]:
    """The mean of every value over the processes (the values themselves in one process).

    Every process must pass the same keys in the same order (the terms of one step).
    """
    if not is_distributed():
        return dict(values)
    packed = torch.tensor(list(values.values()), dtype=torch.float64, device=_comm_device())
    dist.all_reduce(packed)
    return dict(zip(values, (packed / world_size()).tolist(), strict=True))


def sync_buffers(modules: Iterable[nn.Module]) -> None:
    """Copy rank 0's buffers (BatchNorm statistics, a soft-label memory) to every process."""
    if not is_distributed():
        return
    for module in modules:
        for buffer in module.buffers():
            dist.broadcast(buffer.data, src=0)


class _GatherRows(torch.autograd.Function):
    """All-gather along dim 0 with a gradient: each process gets back its own rows' share."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:  # type: ignore[override]
        sizes = torch.tensor([x.shape[0]], device=x.device)
        all_sizes = [torch.zeros_like(sizes) for _ in range(world_size())]
        dist.all_gather(all_sizes, sizes)
        counts = [int(s) for s in all_sizes]
        padded = x.new_zeros((max(counts), *x.shape[1:]))
        padded[: x.shape[0]] = x
        parts = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(parts, padded.contiguous())
        ctx.counts, ctx.rank = counts, rank()
        return torch.cat([p[:n] for p, n in zip(parts, counts, strict=True)])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # type: ignore[override]
        # every process computed the same global term; the gradient of its own rows is the
        # sum of what every process sends back (DDP then divides by the world size)
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        start = sum(ctx.counts[: ctx.rank])
        return grad[start: start + ctx.counts[ctx.rank]]


def gather_rows(x: Tensor) -> Tensor:
    """The rows of ``x`` from every process, in rank order (``x`` itself in one process).

    Differentiable: computing a term on the gathered rows on every process and letting DDP
    average the gradients gives exactly the gradient of that term on the global batch. The
    processes may hold different numbers of rows.

    Shape:
        x: (n_rank, ...); returns (sum of n_rank over ranks, ...).
    """
    return _GatherRows.apply(x) if is_distributed() else x


def on_main_process(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` computed on rank 0 alone and broadcast to every process.

    For what must be decided once and agreed on (a dev score that selects the epoch and
    stops training early). If it raises, every process raises the same error. The random
    draws ``fn`` makes do not advance rank 0's global generator, which must stay in step
    with the other processes'. In a single process this is ``fn(*args)``.
    """
    if not is_distributed():
        return fn(*args)
    outcome: tuple[bool, Any] | None = None
    if rank() == 0:
        cuda = dist.get_backend() == "nccl"
        try:
            with torch.random.fork_rng(devices=[torch.cuda.current_device()] if cuda else []):
                outcome = (True, fn(*args))
        except Exception as err:  # every process raises it, none waits forever
            outcome = (False, err)
    ok, value = broadcast_object(outcome)
    if not ok:
        raise value
    return value


@contextlib.contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first (e.g. computes and caches features), then the others.

    The others enter when rank 0 has left the block, even if it raised (they then meet the
    same error, or read what rank 0 cached). Nothing to wait for in a single process.
    """
    if rank() != 0:
        barrier()
    try:
        yield
    finally:
        if rank() == 0:
            barrier()
