"""Robust audio input: any file soundfile can read, as mono float32 at the rate you ask for.

soundfile (libsndfile) identifies a format by its header, not its extension, so AIFF data
behind a ``.wav`` name (some TESS copies), float WAV, 96 kHz and stereo files all load. The
signal is downmixed to mono (channel mean) and resampled with soxr's high-quality filter.
A file that cannot be trusted raises :class:`~serlib.errors.AudioDecodeError` naming the
file and what is actually wrong: missing, a folder, permission denied, empty, a Git-LFS
pointer or an HTML page, not audio, truncated (a WAV or AIFF whose data is shorter than its
header says, or a decoder that returns fewer samples than the header promises), non-finite
samples, silent (peak below a threshold), or shorter than a minimum duration.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import errno
import numbers
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from serlib.errors import AudioDecodeError, ConfigError

__all__ = ["AudioInfo", "audio_info", "describe_os_error", "load_audio"]

_DECODER_ERRORS = (RuntimeError, sf.SoundFileError, ValueError, OSError, EOFError,
                   struct.error, MemoryError)


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


def _aiff_declared_frames(path: Path) -> int | None:
    """``numSampleFrames`` of an AIFF/AIFC file's COMM chunk (None if not an AIFF)."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
            return None
        pos = 12
        while pos + 8 <= size:
            handle.seek(pos)
            chunk_id, chunk_size = struct.unpack(">4sI", handle.read(8))
            if chunk_id == b"COMM":
                data = handle.read(6)
                return struct.unpack(">hI", data)[1] if len(data) == 6 else None
            pos += 8 + chunk_size + (chunk_size & 1)
    return None


def describe_os_error(path: str | os.PathLike[str], err: OSError) -> str:
    """What is wrong with a file that cannot be opened, in words that point the right way."""
    path = Path(path)
    if isinstance(err, IsADirectoryError) or path.is_dir():
        return (f"{path}: is a directory, not an audio file (a folder named like a "
                "recording); point at the file inside it or remove the folder")
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM):
        return (f"{path}: permission denied: this user may not read the file; fix its "
                "permissions (e.g. chmod a+r) or run as a user who can read it")
    if isinstance(err, FileNotFoundError) or err.errno == errno.ENOENT:
        return f"{path}: no such file (moved or deleted since the table was made?)"
    return f"{path}: cannot be read ({err.strerror or err}); check the disk or copy it again"


def _open_head(path: Path) -> bytes:
    """The first bytes of ``path``, or the right AudioDecodeError if it cannot be opened."""
    try:
        with open(path, "rb") as handle:
            return handle.read(64)
    except OSError as err:
        raise AudioDecodeError(describe_os_error(path, err)) from None


def _not_audio_reason(head: bytes) -> str:
    if head.startswith(b"version https://git-lfs"):
        return ("a Git-LFS pointer, not the audio itself: run `git lfs pull` or download "
                "the corpus again")
    if head.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        return "an HTML page, not audio (a failed download): download it again"
    return ("not a readable audio file; it is corrupt or in a format libsndfile does not "
            "know: re-copy or re-download it")


def audio_info(path: str | os.PathLike[str], *, min_duration: float = 0.0) -> AudioInfo:
    """Read the header of an audio file (cheap: no samples are decoded).

    Args:
        path: the audio file.
        min_duration: files shorter than this many seconds are rejected.

    Raises:
        AudioDecodeError: if the file is missing, a folder, not readable by this user,
            empty, not audio, truncated or too short; the message says which.
    """
    path = Path(path)
    head = _open_head(path)
    if not head:
        raise AudioDecodeError(f"{path}: empty file (0 bytes); re-copy or re-download it")
    try:
        info = sf.info(str(path))
    except _DECODER_ERRORS as err:
        raise AudioDecodeError(f"{path}: {_not_audio_reason(head)} ({err})") from None
    if info.frames <= 0 or info.samplerate <= 0 or info.channels <= 0:
        raise AudioDecodeError(f"{path}: the file holds no samples; re-copy or re-download it")
    try:
        missing = _wav_declared_shortfall(path)
        declared = _aiff_declared_frames(path)
    except (OSError, struct.error) as err:
        raise AudioDecodeError(f"{path}: cannot read its header ({err}); copy it "
                               "again") from None
    if missing:
        raise AudioDecodeError(f"{path}: truncated WAV ({missing} bytes of audio data "
                               "missing); the copy or download was interrupted: fetch it again")
    if declared is not None and declared > info.frames:
        raise AudioDecodeError(f"{path}: truncated AIFF (its header promises {declared} "
                               f"samples, the file holds {info.frames}); the copy or download "
                               "was interrupted: fetch it again")
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
        AudioDecodeError: missing, a folder, unreadable, corrupt, empty, truncated,
            non-finite, silent or too short.
        ConfigError: ``sample_rate`` is not a positive integer.

    Chapter: book/02_corpora.md
    """
    if not isinstance(sample_rate, numbers.Integral) or isinstance(sample_rate, bool) \
            or sample_rate <= 0:
        raise ConfigError(f"sample_rate={sample_rate!r}: must be a positive integer (Hz)")
    sample_rate = int(sample_rate)
    path = Path(path)
    info = audio_info(path, min_duration=min_duration)
    try:
        wav, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except OSError as err:
        raise AudioDecodeError(describe_os_error(path, err)) from None
    except _DECODER_ERRORS as err:
        raise AudioDecodeError(f"{path}: decoding failed after a valid header ({err}); the "
                               "file is corrupt or truncated: re-download it") from None
    if wav.shape[0] < info.frames:
        raise AudioDecodeError(f"{path}: the decoder returned {wav.shape[0]} of the "
                               f"{info.frames} samples its header promises; the file is "
                               "truncated or corrupt: fetch it again")
    bad = ~np.isfinite(wav)
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        raise AudioDecodeError(f"{path}: {int(bad.sum())} NaN or infinite samples (the first "
                               f"at {first / rate:.3f} s); the file is corrupt and cannot be "
                               "used: re-download it or drop it")
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
