"""Front-end throughput: librosa reference vs batched torch on the same clips, one run.

Prints clips per second of :func:`serlib.features.compute_log_mel` (librosa, one clip at a
time, float64) and :class:`serlib.features.LogMel` (torch, float32, length-sorted batches
of ``--batch-size`` with their lengths, building the padded batches included), their ratio
(goal: torch >= 3x librosa on 2 CPU cores) and the largest relative difference between the
two over all clips (the parity the tests require: <= 1e-4). Audio decoding is not timed.

    python benchmarks/frontend.py                      # 1000 clips, every preset
    python benchmarks/frontend.py --preset byols --threads 1

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _clips import audio_files, synthetic_clips

from serlib.data.audio import load_audio
from serlib.features import MEL_PRESETS, LogMel, compute_log_mel, mel_preset


def run_librosa(clips: list[np.ndarray], preset: str) -> tuple[float, list[np.ndarray]]:
    config = mel_preset(preset)
    compute_log_mel(clips[0], config)  # warm-up (lazy imports, filterbank)
    start = time.perf_counter()
    out = [compute_log_mel(c, config) for c in clips]
    return time.perf_counter() - start, out


@torch.inference_mode()
def run_torch(clips: list[np.ndarray], preset: str, batch_size: int
              ) -> tuple[float, list[np.ndarray]]:
    front_end = LogMel(mel_preset(preset))
    front_end(torch.from_numpy(clips[0])[None])  # warm-up
    order = np.argsort([c.size for c in clips], kind="stable")
    out: list[np.ndarray | None] = [None] * len(clips)
    start = time.perf_counter()
    for s in range(0, len(clips), batch_size):
        index = order[s : s + batch_size]
        lengths = torch.tensor([clips[i].size for i in index])
        batch = torch.zeros(len(index), int(lengths.max()))
        for j, i in enumerate(index):
            batch[j, : clips[i].size] = torch.from_numpy(clips[i])
        feats = front_end(batch, lengths)  # (batch, 1, n_mels, frames)
        for j, (i, n) in enumerate(zip(index, front_end.num_frames(lengths), strict=True)):
            out[i] = feats[j, 0, :, : int(n)].numpy()
    return time.perf_counter() - start, out  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--preset", default="all", choices=["all", *MEL_PRESETS])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--data", default=None, help="folder with data/ravdess, data/emodb")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    files = audio_files(args.data)
    if files:
        index = np.unique(np.linspace(0, len(files) - 1, args.clips).round().astype(int))
        clips = [load_audio(files[i], 16000) for i in index]
        source = "real speech (RAVDESS + EmoDB, evenly spaced files)"
    else:
        clips, source = synthetic_clips(args.clips), "synthetic clips (no ../shared found)"
    seconds = sum(c.size for c in clips) / 16000
    print(f"{len(clips)} clips, {seconds / 60:.1f} min of {source}; torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}")
    presets = list(MEL_PRESETS) if args.preset == "all" else [args.preset]
    print(f"{'preset':8} {'librosa clips/s':>16} {'torch clips/s':>14} {'ratio':>7} "
          f"{'max rel err':>12}")
    for preset in presets:
        t_ref, ref = run_librosa(clips, preset)
        t_torch, out = run_torch(clips, preset, args.batch_size)
        err = max(float(np.abs(a - b).max() / np.abs(b).max())
                  for a, b in zip(out, ref, strict=True))
        print(f"{preset:8} {len(clips) / t_ref:16.1f} {len(clips) / t_torch:14.1f} "
              f"{t_ref / t_torch:7.2f} {err:12.2e}")


if __name__ == "__main__":
    main()
