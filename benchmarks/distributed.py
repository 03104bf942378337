"""Data-parallel training on CPU: 2 gloo processes against 1 process, the same work.

Trains the same model on the same samples (``--samples`` in global batches of
``--batch-size``, so the same number of optimiser steps) with :func:`serlib.train.fit`:

- 1 process with 1 thread, and with ``--threads`` threads (all the cores it may use);
- 2 processes of one gloo process group, ``--threads // 2`` threads each (the same cores),
  each taking half of every batch (what ``torchrun --nproc-per-node 2`` does).

It prints the wall time of ``fit`` (after a warm-up; for 2 processes the slower rank),
samples per second, and the speed-up of 2 processes over 1 process on the same cores; and
separately what starting 2 processes and joining the group cost. ``--model small_cnn`` is
a convolutional model whose steps are compute-bound; ``--model head`` a small head on
embeddings, whose steps are so short that synchronising the gradients dominates.

    python benchmarks/distributed.py                       # small_cnn, 512 samples
    python benchmarks/distributed.py --model head --samples 4096
    python benchmarks/distributed.py --method mmd          # MMD on gathered features

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from pathlib import Path

import torch
import torch.multiprocessing as mp

from serlib.adapt import mmd_step, supervised_step
from serlib.features import UtteranceDataset, make_loader
from serlib.models import EmbeddingClassifier, SmallCNN
from serlib.train import TrainConfig, fit
from serlib.train.distributed import close_distributed, init_distributed

NUM_CLASSES = 5


def _work(args: argparse.Namespace) -> tuple[torch.nn.Module, dict, object]:
    """A fresh model and its training loaders (the same on every call)."""
    g = torch.Generator().manual_seed(0)
    height, frames = (args.n_mels, args.frames) if args.model == "small_cnn" else (512, 1)

    def data(n: int, shift: float) -> UtteranceDataset:
        feats = [torch.randn(1, height, frames, generator=g) + shift for _ in range(n)]
        return UtteranceDataset(feats, [i % NUM_CLASSES for i in range(n)])

    names = ("source", "unlabelled") if args.method == "mmd" else ("source",)
    loaders = {name: make_loader(data(args.samples, 0.3 * k), batch_size=args.batch_size,
                                 shuffle=True, seed=k, drop_last=True)
               for k, name in enumerate(names)}
    torch.manual_seed(0)
    model = (SmallCNN(NUM_CLASSES, n_mels=args.n_mels, dropout=0.0)
             if args.model == "small_cnn" else
             EmbeddingClassifier(512, NUM_CLASSES, hidden=256, dropout=0.0))
    step = mmd_step if args.method == "mmd" else supervised_step
    return model, loaders, step


def _timed_fit(args: argparse.Namespace, threads: int) -> float:
    """Seconds of one ``fit`` over every sample (after a short warm-up fit)."""
    for steps in (2, args.samples // args.batch_size):
        model, loaders, step = _work(args)
        config = TrainConfig(num_epochs=1, steps_per_epoch=steps, lr=1e-3, device="cpu",
                             threads=threads)
        start = time.perf_counter()
        fit(model, step, loaders, config=config, progress=False)
        elapsed = time.perf_counter() - start
    return elapsed


def _worker(rank: int, world: int, port: int, out: Path, args: argparse.Namespace,
            threads: int, started: float) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(threads)
    init_distributed("cpu")
    joined = time.perf_counter() - started
    try:
        elapsed = _timed_fit(args, threads)
        torch.save({"fit": elapsed, "joined": joined}, out / f"rank{rank}.pt")
    finally:
        close_distributed()


def _two_processes(args: argparse.Namespace, threads: int) -> tuple[float, float]:
    """(fit seconds of the slower rank, seconds to start the processes and join)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        mp.start_processes(_worker, args=(2, port, out, args, threads, time.perf_counter()),
                           nprocs=2, start_method="fork")
        ranks = [torch.load(out / f"rank{r}.pt") for r in range(2)]
    return max(r["fit"] for r in ranks), max(r["joined"] for r in ranks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="small_cnn", choices=["small_cnn", "head"])
    parser.add_argument("--method", default="supervised", choices=["supervised", "mmd"])
    parser.add_argument("--samples", type=int, default=512, help="per training set")
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size")
    parser.add_argument("--n-mels", type=int, default=64)
    parser.add_argument("--frames", type=int, default=200, help="frames per utterance")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads in all")
    args = parser.parse_args()
    steps = args.samples // args.batch_size
    model, _, _ = _work(args)
    params = sum(p.numel() for p in model.parameters())
    shape = f"{args.n_mels} mels x {args.frames} frames" if args.model == "small_cnn" else \
        "512-d embeddings"
    print(f"work: {args.model} ({params:,} parameters), {args.method}, {steps} steps of "
          f"{args.batch_size} ({args.samples} samples per loader), {shape}, "
          f"{os.cpu_count()} CPU cores visible")
    one_1 = _timed_fit(args, 1)
    one_n = _timed_fit(args, args.threads)
    two, joined = _two_processes(args, max(1, args.threads // 2))
    rate = steps * args.batch_size  # source samples trained on
    for label, seconds in (("1 process, 1 thread", one_1),
                           (f"1 process, {args.threads} threads", one_n),
                           (f"2 processes (gloo), {max(1, args.threads // 2)} thread(s) each",
                            two)):
        print(f"  {label:<40} {seconds:7.2f} s  {rate / seconds:8.1f} samples/s")
    print(f"  starting 2 processes and joining the group: {joined:.2f} s (not in the above)")
    print(f"speed-up, 2 processes vs 1 process with {args.threads} threads: "
          f"{one_n / two:.2f}x (vs 1 thread: {one_1 / two:.2f}x)")


if __name__ == "__main__":
    main()
