"""Robust audio input: any file soundfile can read, as mono float32 at the rate you ask for.

soundfile (libsndfile) identifies a format by its header, not its extension, so AIFF data
behind a ``.wav`` name (some TESS copies), float WAV, 96 kHz and stereo files all load. The
signal is downmixed to mono (channel mean) and resampled with soxr's high-quality filter.
A file that cannot be trusted raises :class:`~serlib.errors.AudioDecodeError` naming the
file and the reason: unreadable or corrupt, empty, truncated (a WAV whose data chunk is
shorter than its header says), non-finite samples, silent (peak below a threshold), or
shorter than a minimum duration.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from serlib.errors import AudioDecodeError

__all__ = ["AudioInfo", "audio_info", "load_audio"]


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says.

    Attributes:
        sample_rate: in Hz, as stored in the file.
        frames: samples per channel.
        channels: number of channels.
        format: libsndfile's container name (``"WAV"``, ``"AIFF"``, ...).
    """

    sample_rate: int
    frames: int
    channels: int
    format: str

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def _wav_declared_shortfall(path: Path) -> int:
    """Bytes missing from a RIFF/WAVE file's data chunk (0 if complete or not a WAV)."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        pos = 12
        while pos + 8 <= size:
            handle.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                if chunk_size == 0xFFFFFFFF:  # streaming writers leave the size unset
                    return 0
                return max(0, pos + 8 + chunk_size - size)
            pos += 8 + chunk_size + (chunk_size & 1)
    return 0


def audio_info(path: str | os.PathLike[str], *, min_duration: float = 0.0) -> AudioInfo:
    """Read the header of an audio file (cheap: no samples are decoded).

    Args:
        path: the audio file.
        min_duration: files shorter than this many seconds are rejected.

    Raises:
        AudioDecodeError: if the file is missing, empty, unreadable, truncated or too short.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioDecodeError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path}: empty file (0 bytes); re-copy or re-download it")
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.SoundFileError) as err:
        raise AudioDecodeError(f"{path}: not a readable audio file ({err}); it may be "
                               "corrupt or a Git-LFS pointer: re-download it") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioDecodeError(f"{path}: the file holds no samples; re-copy or re-download it")
    missing = _wav_declared_shortfall(path)
    if missing:
        raise AudioDecodeError(f"{path}: truncated WAV ({missing} bytes of audio data "
                               "missing); the copy or download was interrupted: fetch it again")
    result = AudioInfo(int(info.samplerate), int(info.frames), int(info.channels), info.format)
    if result.duration < min_duration:
        raise AudioDecodeError(f"{path}: {result.duration:.3f} s is shorter than the "
                               f"minimum of {min_duration} s")
    return result


def load_audio(path: str | os.PathLike[str], sample_rate: int = 16000, *,
               min_duration: float = 0.1, silence_threshold: float = 1e-4) -> np.ndarray:
    """Load an audio file as a mono float32 waveform at ``sample_rate``.

    Args:
        path: any format libsndfile reads (WAV, AIFF, FLAC, ...), whatever its extension.
        sample_rate: output rate in Hz; other rates are resampled with soxr ("HQ").
        min_duration: files shorter than this many seconds raise (0 disables the check).
        silence_threshold: files whose absolute peak is below this raise as silent.

    Returns:
        The waveform, float32, values as stored (not normalised).

    Shape:
        returns (num_samples,), num_samples = round(duration * sample_rate).

    Raises:
        AudioDecodeError: corrupt, empty, truncated, non-finite, silent or too short.

    Chapter: book/02_corpora.md
    """
    path = Path(path)
    info = audio_info(path, min_duration=min_duration)
    try:
        wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.SoundFileError) as err:
        raise AudioDecodeError(f"{path}: decoding failed ({err}); re-download it") from None
    if wav.shape[0] < info.frames:
        raise AudioDecodeError(f"{path}: decoded {wav.shape[0]} of {info.frames} samples; "
                               "the file is truncated: fetch it again")
    if not np.all(np.isfinite(wav)):
        raise AudioDecodeError(f"{path}: contains NaN or infinite samples; the file is "
                               "corrupt and cannot be used")
    wav = wav.mean(axis=1)  # (frames, channels) -> (frames,)
    peak = float(np.max(np.abs(wav))) if wav.size else 0.0
    if peak < silence_threshold:
        raise AudioDecodeError(f"{path}: silent (peak {peak:.2e} < {silence_threshold:.0e}); "
                               "check the recording or lower silence_threshold")
    if rate != sample_rate:
        wav = soxr.resample(wav, rate, sample_rate, quality="HQ")
    out = np.ascontiguousarray(wav, dtype=np.float32)
    assert out.ndim == 1
    return out
