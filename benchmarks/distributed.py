"""Data-parallel training on CPU: 2 gloo processes against 1 process, the same work.

Trains the same model on the same samples (``--samples`` in global batches of
``--batch-size``, so the same number of optimiser steps) with :func:`serlib.train.fit`, in
1 process (1 thread, then ``--threads`` threads) and in 2 processes of one gloo group
(``--threads // 2`` each, what ``torchrun --nproc-per-node 2`` does); see
:func:`serlib.experiments.data_parallel_timing` for what the figures do and do not say.

    python benchmarks/distributed.py                       # small_cnn, 512 samples
    python benchmarks/distributed.py --model head --samples 4096
    python benchmarks/distributed.py --method mmd          # MMD on gathered features

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import argparse
import os

from serlib.experiments.scaling import ScalingWork, data_parallel_timing


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
    work = ScalingWork(args.model, args.method, args.samples, args.batch_size, args.n_mels,
                       args.frames)
    r = data_parallel_timing(work, threads=args.threads)
    shape = f"{args.n_mels} mels x {args.frames} frames" if args.model == "small_cnn" else \
        "512-d embeddings"
    print(f"work: {args.model} ({r['parameters']:,} parameters), {args.method}, "
          f"{r['steps']} steps of {args.batch_size} ({args.samples} samples per loader), "
          f"{shape}, {os.cpu_count()} CPU cores visible")
    half = max(1, args.threads // 2)
    rate = r["steps"] * args.batch_size
    for label, seconds in (("1 process, 1 thread", r["one_thread_s"]),
                           (f"1 process, {args.threads} threads", r["one_process_s"]),
                           (f"2 processes (gloo), {half} thread(s) each",
                            r["two_processes_s"])):
        print(f"  {label:<40} {seconds:7.2f} s  {rate / seconds:8.1f} samples/s")
    print(f"  starting 2 processes and joining the group: {r['join_s']:.2f} s (not in the above)")
    print(f"speed-up, 2 processes vs 1 process with {args.threads} threads: "
          f"{r['speedup']:.2f}x (vs 1 thread: {r['one_thread_s'] / r['two_processes_s']:.2f}x)")


if __name__ == "__main__":
    main()
