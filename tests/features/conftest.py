"""Fixtures for the front-end tests: short speech-like WAV files and real speech clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def speech_like(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """A voiced-ish test signal: harmonics of a gliding pitch, amplitude-modulated, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    wave = 0.2 * envelope * voiced + 0.01 * rng.standard_normal(t.size)
    return wave.astype(np.float32)


@pytest.fixture(scope="session")
def make_speech():
    """The :func:`speech_like` generator: ``make_speech(seconds, sample_rate=16000, seed=0)``."""
    return speech_like


@pytest.fixture
def wav_files(tmp_path: Path) -> list[Path]:
    """Four short 16 kHz WAV files of different lengths (one at 22.05 kHz, resampled on load)."""
    paths = []
    for i, (seconds, rate) in enumerate([(0.6, 16000), (0.9, 16000), (0.45, 22050),
                                         (1.2, 16000)]):
        path = tmp_path / "audio" / f"utt{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, speech_like(seconds, rate, seed=i), rate, subtype="PCM_16")
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def real_speech(emodb_dir: Path, ravdess_dir: Path) -> list[np.ndarray]:
    """A few real utterances at 16 kHz (EmoDB and RAVDESS); skips without ../shared."""
    from serlib.data.audio import load_audio

    files = sorted((emodb_dir / "wav").glob("*.wav"))[::90][:6]
    files += sorted(ravdess_dir.glob("Actor_*/*.wav"))[::400][:4]
    return [load_audio(f, 16000) for f in files]
