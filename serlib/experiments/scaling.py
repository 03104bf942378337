"""Data-parallel training measured on a CPU: 2 gloo processes against 1 process, same work.

:func:`data_parallel_timing` trains the same model on the same samples (in global batches
of ``batch_size``, so the same number of optimiser steps) with :func:`serlib.train.fit`:

- 1 process with 1 thread, and with ``threads`` threads (every core it may use);
- 2 processes of one gloo process group with ``threads // 2`` threads each (the same
  cores), each taking half of every batch: what ``torchrun --nproc-per-node 2`` does.

It returns the wall time of ``fit`` (after a warm-up; for 2 processes the slower rank) and
what starting the processes and joining the group cost. On a CPU the processes share the
same cores and memory bandwidth, so the figures say what the synchronisation costs, not
what a second GPU buys (a second GPU brings its own compute). ``model="small_cnn"`` has
compute-bound steps; ``model="head"`` (a small head on embeddings) has steps so short that
synchronising the gradients dominates. Used by ``benchmarks/distributed.py`` and the book's
appendix. Linux only (the processes are forked).

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.multiprocessing as mp
from torch import nn

from serlib.adapt import mmd_step, supervised_step
from serlib.features import UtteranceDataset, make_loader
from serlib.models import EmbeddingClassifier, SmallCNN
from serlib.train import TrainConfig, fit
from serlib.train.distributed import close_distributed, init_distributed

__all__ = ["ScalingWork", "data_parallel_timing"]

_NUM_CLASSES = 5


@dataclass(frozen=True)
class ScalingWork:
    """What :func:`data_parallel_timing` trains.

    Attributes:
        model: ``"small_cnn"`` (log-mels in) or ``"head"`` (512-d embeddings in).
        method: ``"supervised"`` or ``"mmd"`` (MMD on features gathered from every process).
        samples: utterances per training loader.
        batch_size: the global batch (each of 2 processes takes half).
        n_mels: log-mel bands (``small_cnn``).
        frames: frames per utterance (``small_cnn``).
    """

    model: str = "small_cnn"
    method: str = "supervised"
    samples: int = 512
    batch_size: int = 32
    n_mels: int = 64
    frames: int = 200

    def __post_init__(self) -> None:
        if self.model not in ("small_cnn", "head") or self.method not in ("supervised", "mmd"):
            raise ValueError(f"model={self.model!r}, method={self.method!r}: use model "
                             "'small_cnn' or 'head' and method 'supervised' or 'mmd'")
        if self.batch_size < 2 or self.batch_size % 2 or self.samples < self.batch_size:
            raise ValueError(f"batch_size={self.batch_size}, samples={self.samples}: need an "
                             "even batch_size >= 2 and samples >= batch_size")

    @property
    def steps(self) -> int:
        return self.samples // self.batch_size

    def build(self) -> tuple[nn.Module, dict, object]:
        """A fresh model, its loaders and step (the same on every call, every process)."""
        g = torch.Generator().manual_seed(0)
        height, frames = (self.n_mels, self.frames) if self.model == "small_cnn" else (512, 1)

        def data(shift: float) -> UtteranceDataset:
            feats = [torch.randn(1, height, frames, generator=g) + shift
                     for _ in range(self.samples)]
            return UtteranceDataset(feats, [i % _NUM_CLASSES for i in range(self.samples)])

        names = ("source", "unlabelled") if self.method == "mmd" else ("source",)
        loaders = {name: make_loader(data(0.3 * k), batch_size=self.batch_size, shuffle=True,
                                     seed=k, drop_last=True) for k, name in enumerate(names)}
        torch.manual_seed(0)
        model: nn.Module = (SmallCNN(_NUM_CLASSES, n_mels=self.n_mels, dropout=0.0)
                            if self.model == "small_cnn" else
                            EmbeddingClassifier(512, _NUM_CLASSES, hidden=256, dropout=0.0))
        step = mmd_step if self.method == "mmd" else supervised_step
        return model, loaders, step


def _timed_fit(work: ScalingWork, threads: int) -> float:
    """Seconds of one ``fit`` over every sample (after a warm-up fit of 2 steps)."""
    elapsed = 0.0
    for steps in (2, work.steps):
        model, loaders, step = work.build()
        config = TrainConfig(num_epochs=1, steps_per_epoch=steps, lr=1e-3, device="cpu",
                             threads=threads)
        start = time.perf_counter()
        fit(model, step, loaders, config=config, progress=False)
        elapsed = time.perf_counter() - start
    return elapsed


def _worker(rank: int, world: int, port: int, out: Path, work: ScalingWork, threads: int,
            started: float) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(threads)
    init_distributed("cpu")
    joined = time.perf_counter() - started
    try:
        torch.save({"fit": _timed_fit(work, threads), "joined": joined},
                   out / f"rank{rank}.pt")
    finally:
        close_distributed()


def _two_processes(work: ScalingWork, threads: int) -> tuple[float, float]:
    """(fit seconds of the slower rank, seconds to start both processes and join)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        mp.start_processes(_worker, args=(2, port, out, work, threads, time.perf_counter()),
                           nprocs=2, start_method="fork")
        ranks = [torch.load(out / f"rank{r}.pt") for r in range(2)]
    return max(r["fit"] for r in ranks), max(r["joined"] for r in ranks)


def data_parallel_timing(work: ScalingWork | None = None, *, threads: int = 2) -> dict:
    """Time the same training in 1 process and in 2 gloo processes on ``threads`` cores.

    Args:
        work: what to train (default :class:`ScalingWork`).
        threads: CPU threads in all (2 processes get ``threads // 2`` each).

    Returns:
        The work (its fields, ``steps``, ``parameters``), ``one_thread_s``,
        ``one_process_s`` (1 process, ``threads`` threads), ``two_processes_s`` (the
        slower rank), ``join_s`` (starting 2 processes and joining the group, not in the
        others), ``speedup`` (``one_process_s / two_processes_s``) and ``threads``.

    Chapter: book/appendix_scaling.md
    """
    work = work or ScalingWork()
    model, _, _ = work.build()
    one_thread = _timed_fit(work, 1)
    one_process = _timed_fit(work, threads)
    two, joined = _two_processes(work, max(1, threads // 2))
    return {**asdict(work), "steps": work.steps,
            "parameters": sum(p.numel() for p in model.parameters()), "threads": threads,
            "one_thread_s": one_thread, "one_process_s": one_process,
            "two_processes_s": two, "join_s": joined, "speedup": one_process / two}
