"""What a grid of small runs spends outside the arithmetic: batches and results rows, A/B.

    python benchmarks/training_overhead.py [--rows 1650] [--batches 3000] [--repeats 3]

A cpu-profile run trains a ``Linear(1024, 64)`` head on cached BYOL-S embeddings: its steps
are a few milliseconds, so building batches and writing results rows are a real part of a
grid's time (``benchmarks/cross_lingual.py`` runs 1650 such runs). Both are measured in one
process, the old way beside the new way, on synthetic data of the real sizes:

- **batches**: a DataLoader over one-view embeddings (1024 dimensions, batch 100), fetching
  item by item and collating with ``pad_collate`` (the old way) against
  ``UtteranceDataset.__getitems__``, which gathers the batch from one stacked tensor. The
  batches are checked equal first.
- **results rows**: ``append_result`` of ``--rows`` rows into one file, rewriting the whole
  table each time (the old way, forced) against appending one line.

Prints milliseconds per batch and per row, and the ratios (best of ``--repeats``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from serlib.experiments import RESULT_COLUMNS, append_result
from serlib.features import UtteranceDataset, make_loader, pad_collate


def _loaders(n: int = 600, dim: int = 1024, batch: int = 100) -> tuple[DataLoader, DataLoader]:
    """The old loader and the new one over the same one-view embeddings and order."""
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(1, dim, 1, generator=g) for _ in range(n)]
    labels = [i % 5 for i in range(n)]
    new = make_loader(UtteranceDataset(feats, labels), batch_size=batch, shuffle=True, seed=1,
                      drop_last=True)
    item_by_item = UtteranceDataset(feats, labels)
    item_by_item.__getitems__ = None  # torch's rule: a false __getitems__ fetches item by item
    old = DataLoader(item_by_item, batch_size=batch, shuffle=True, drop_last=True,
                     collate_fn=pad_collate, generator=torch.Generator().manual_seed(1))
    return old, new


def _per_batch(loader: DataLoader, batches: int) -> float:
    """Seconds per batch over ``batches`` batches (passes restarted as a training run does)."""
    start, seen = time.perf_counter(), 0
    while seen < batches:
        for _ in loader:
            seen += 1
            if seen == batches:
                break
    return (time.perf_counter() - start) / batches


def _row(i: int) -> dict:
    row = {c: None for c in RESULT_COLUMNS}
    row.update({"run_key": f"run{i:05d}", "status": "ok", "method": "mmd", "source": "ravdess",
                "target": "emodb", "n_labels": "100", "seed": i % 3, "fold": i % 5,
                "wa": 0.7, "uar": 0.6 + i * 1e-5, "chance_wa": 0.2, "chance_uar": 0.2,
                "source_wa": 0.6, "source_uar": 0.5, "wall_time": 0.5, "hyper": "{}"})
    return row


def _per_row(rows: int, *, rewrite: bool) -> float:
    """Seconds per ``append_result`` over ``rows`` rows into a fresh file."""
    import serlib.experiments.results as results

    path = Path(tempfile.mkdtemp(prefix="serlib-rows-")) / "r.csv"
    appendable = results._appendable
    if rewrite:  # the old way: every row rewrites the whole table
        results._appendable = lambda *args: None
    try:
        start = time.perf_counter()
        for i in range(rows):
            append_result(path, _row(i))
        return (time.perf_counter() - start) / rows
    finally:
        results._appendable = appendable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1650, help="results rows (one per run)")
    parser.add_argument("--batches", type=int, default=3000, help="training batches")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many")
    args = parser.parse_args()
    torch.set_num_threads(1)
    old, new = _loaders()
    for a, b in zip(old, new, strict=True):  # the same batches, the old way and the new
        assert all(torch.equal(getattr(a, k), getattr(b, k)) for k in ("x", "y", "index"))
    batch_old = min(_per_batch(old, args.batches) for _ in range(args.repeats))
    batch_new = min(_per_batch(new, args.batches) for _ in range(args.repeats))
    row_old = min(_per_row(args.rows, rewrite=True) for _ in range(args.repeats))
    row_new = min(_per_row(args.rows, rewrite=False) for _ in range(args.repeats))
    print(f"batches (one-view 1024-d embeddings, batch 100, {args.batches} batches, best of "
          f"{args.repeats}): item by item {1e3 * batch_old:.3f} ms, gathered "
          f"{1e3 * batch_new:.3f} ms per batch: {batch_old / batch_new:.1f}x")
    print(f"results rows ({args.rows} rows into one file): rewriting the table "
          f"{1e3 * row_old:.1f} ms, appending a line {1e3 * row_new:.1f} ms per row: "
          f"{row_old / row_new:.1f}x; {args.rows * row_old:.0f} s against "
          f"{args.rows * row_new:.0f} s for the grid")


if __name__ == "__main__":
    main()
