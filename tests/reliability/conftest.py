"""Fixtures for the bad-input suite: files the tests write themselves, and the checks every
case ends with (a typed error naming the file or value, or a logged skip, and nothing
half-written left in the folder)."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def speech(seconds: float = 0.5, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """A short voiced-ish signal (harmonics of a gliding pitch plus a little noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    phase = 2 * np.pi * np.cumsum(120 + 30 * np.sin(2 * np.pi * t + seed)) / sample_rate
    wave = 0.2 * sum(np.sin(k * phase) / k for k in range(1, 8))
    return (wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def audio_bytes(seconds: float = 0.5, sample_rate: int = 16000, fmt: str = "WAV",
                subtype: str = "PCM_16", wave: np.ndarray | None = None) -> bytes:
    """An encoded audio file in memory."""
    buf = io.BytesIO()
    sf.write(buf, speech(seconds, sample_rate) if wave is None else wave, sample_rate,
             format=fmt, subtype=subtype)
    return buf.getvalue()


@pytest.fixture
def write_wav(tmp_path: Path) -> Callable[..., Path]:
    """``write_wav(name, seconds=0.5, wave=None, subtype="PCM_16", data=None) -> path``."""

    def write(name: str, seconds: float = 0.5, *, wave: np.ndarray | None = None,
              subtype: str = "PCM_16", data: bytes | None = None, fmt: str = "WAV") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if data is not None
                         else audio_bytes(seconds, fmt=fmt, subtype=subtype, wave=wave))
        return path

    return write


@pytest.fixture
def deny_read(monkeypatch) -> Callable[[Path], None]:
    """Make reading one file fail with EACCES, as ``chmod 000`` would for a normal user.

    The tests may run as root, for whom ``chmod 000`` changes nothing; the error is the
    one the kernel gives, raised where Python opens the file (and where libsndfile does).
    """
    denied: set[str] = set()
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and os.path.abspath(file) in denied:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    real_info, real_read = sf.info, sf.read

    def guarded(real):
        def call(file, *args, **kwargs):
            if isinstance(file, str | os.PathLike) and os.path.abspath(file) in denied:
                raise sf.LibsndfileError(2, f"Error opening {str(file)!r}: ")
            return real(file, *args, **kwargs)
        return call

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(sf, "info", guarded(real_info))
    monkeypatch.setattr(sf, "read", guarded(real_read))

    def deny(path: Path) -> None:
        denied.add(os.path.abspath(path))

    return deny


def leftovers(folder: Path) -> list[Path]:
    """Temporary files an interrupted atomic write would leave (there must be none)."""
    return sorted(p for p in Path(folder).rglob(".*") if p.name.endswith(".tmp")
                  or p.name.startswith(".serlib-write-test"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    """A fresh ``$SERLIB_CACHE`` for one test."""
    folder = tmp_path / "serlib-cache"
    monkeypatch.setenv("SERLIB_CACHE", str(folder))
    return folder
