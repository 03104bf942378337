"""Real clips for the benchmarks: RAVDESS and EmoDB from the shared development copies.

``$SERLIB_SHARED`` (default: the ``shared`` folder beside the repository) holds
``data/ravdess`` and ``data/emodb``; ``--data DIR`` points at another folder with the same
layout. Without them the benchmarks fall back to synthetic speech-like clips (and say so).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["audio_files", "shared_dir", "synthetic_clips"]

REPO = Path(__file__).resolve().parents[1]


def shared_dir(data: str | None = None) -> Path:
    """The folder holding ``data/ravdess`` and ``data/emodb``."""
    return Path(data or os.environ.get("SERLIB_SHARED", REPO.parent / "shared")).resolve()


def audio_files(data: str | None = None, corpora: tuple[str, ...] = ("ravdess", "emodb")
                ) -> list[Path]:
    """WAV files of the requested corpora, sorted (empty when the folder is absent)."""
    root = shared_dir(data) / "data"
    files: list[Path] = []
    for corpus in corpora:
        files += sorted((root / corpus).rglob("*.wav"))
    return files


def synthetic_clips(count: int, sample_rate: int = 16000, seed: int = 0) -> list[np.ndarray]:
    """Harmonic clips of 1.5-5 s with noise (when no real speech is available)."""
    rng = np.random.default_rng(seed)
    clips = []
    for _ in range(count):
        t = np.arange(int(rng.uniform(1.5, 5.0) * sample_rate)) / sample_rate
        phase = 2 * np.pi * np.cumsum(120 + 40 * np.sin(2 * np.pi * t)) / sample_rate
        wave = sum(np.sin(k * phase) / k for k in range(1, 10)) * (0.5 + 0.5 * np.sin(6 * t) ** 2)
        clips.append((0.1 * wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32))
    return clips
