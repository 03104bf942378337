"""Feature cache: the feature stage on RAVDESS, cold (empty cache) vs warm (all cached).

Cold = hash each file, decode and resample it, compute its log-mel (torch), write the entry.
Warm = look up each file's digest (size and times unchanged) and read its checksummed entry.
Goal: warm >= 10x faster. The cache goes to a temporary folder (deleted afterwards) unless
``--cache-dir`` is given. ``--embeddings`` also times the frozen BYOL-S embedding cache with
the d512 checkpoint (from ``../shared/weights`` or ``$SERLIB_BYOLS_CHECKPOINT``).

    python benchmarks/cache.py
    python benchmarks/cache.py --preset byols --embeddings --limit 400

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from _clips import audio_files, shared_dir

from serlib.features import (
    MEL_PRESETS,
    cached_embeddings,
    cached_log_mels,
    compute_norm_stats,
    mel_preset,
)


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:6} {elapsed:8.2f} s")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="agarla", choices=list(MEL_PRESETS))
    parser.add_argument("--limit", type=int, default=None, help="use the first N files")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--embeddings", action="store_true")
    parser.add_argument("--data", default=None, help="folder with data/ravdess")
    args = parser.parse_args()
    files = audio_files(args.data, ("ravdess",))[: args.limit]
    if not files:
        raise SystemExit(f"no RAVDESS files under {shared_dir(args.data) / 'data'}")
    config = mel_preset(args.preset)
    print(f"{len(files)} RAVDESS files, preset {args.preset}, torch "
          f"{torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.cache_dir or tmp)
        print("log-mels:")
        cold, feats = timed("cold", lambda: cached_log_mels(files, config, cache_dir=root,
                                                            progress=False))
        warm, _ = timed("warm", lambda: cached_log_mels(files, config, cache_dir=root,
                                                        progress=False))
        print(f"  ratio  {cold / warm:8.1f} x")
        if args.embeddings:
            from serlib.models import load_byols_encoder

            checkpoint = (shared_dir(args.data) / "weights" / "byol-s" /
                          "default512_BYOLAs64x96-2107281850-e100-bs256-lr0003-rs42.pth")
            encoder = load_byols_encoder(checkpoint if checkpoint.is_file() else None)
            stats = compute_norm_stats(feats)
            print("BYOL-S d512 embeddings (log-mels already cached):")
            cold, _ = timed("cold", lambda: cached_embeddings(
                files, encoder, config, stats=stats, cache_dir=root, progress=False))
            warm, _ = timed("warm", lambda: cached_embeddings(
                files, encoder, config, stats=stats, cache_dir=root, progress=False))
            print(f"  ratio  {cold / warm:8.1f} x")


if __name__ == "__main__":
    main()
