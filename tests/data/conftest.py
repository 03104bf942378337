"""Fixtures for the data-layer tests: tiny WAV files with realistic corpus names."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def wav_bytes(sample_rate: int = 8000, seconds: float = 0.02, channels: int = 1,
              fmt: str = "WAV", subtype: str = "PCM_16", amplitude: float = 0.3) -> bytes:
    """A short sine tone encoded in memory."""
    n = max(1, int(sample_rate * seconds))
    tone = amplitude * np.sin(2 * np.pi * 440 * np.arange(n) / sample_rate)
    data = np.repeat(tone[:, None], channels, axis=1).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, data, sample_rate, format=fmt, subtype=subtype)
    return buf.getvalue()


@pytest.fixture(scope="session")
def tiny_wav() -> bytes:
    """Bytes of a 20 ms, 8 kHz mono 16-bit WAV."""
    return wav_bytes()


@pytest.fixture
def make_corpus(tmp_path: Path, tiny_wav: bytes) -> Callable[..., Path]:
    """Write files with the given relative names under ``tmp_path/<folder>``; return it."""

    def make(names: Iterable[str], folder: str = "corpus", data: bytes | None = None) -> Path:
        root = tmp_path / folder
        for name in names:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tiny_wav if data is None else data)
        return root

    return make
