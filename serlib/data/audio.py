"""Robust audio input: any file soundfile can read, as mono float32 at the rate you ask for.

soundfile (libsndfile) identifies a format by its header, not its extension, so AIFF data
behind a ``.wav`` name (some TESS copies), float WAV, 96 kHz and stereo files all load. The
signal is downmixed to mono (channel mean) and resampled with soxr's high-quality filter.
A file that cannot be trusted raises :class:`~serlib.errors.AudioDecodeError` naming the
file and what is actually wrong: missing, a folder, permission denied, empty, a Git-LFS
pointer or an HTML page, not audio, truncated (a WAV or AIFF whose data is shorter than its
header says, or a decoder that returns fewer samples than the header promises), non-finite
samples, silent (peak below a threshold), or shorter than a minimum duration.

**Length limit.** Every recording is checked against a maximum duration *from its header*
(frames / sample rate, :func:`audio_info`) before a sample is decoded or resampled: a
64 KB WAV whose header says 1 Hz is 8.9 hours once resampled, and would otherwise fill the
memory. The limit is :data:`MAX_DURATION` seconds (10 minutes) unless the environment
variable ``SERLIB_MAX_DURATION`` (seconds) or the ``max_duration`` argument says otherwise;
a longer file raises :class:`~serlib.errors.RecordingTooLongError` naming the file, its
length and how to raise the limit (or to cut the file). Files longer than
:data:`CHUNK_SECONDS` are decoded block by block, downmixed and resampled as a stream, so
memory grows with the *output* (4 bytes a sample at the rate asked for, about 38 MB for 10
minutes at 16 kHz), never with the file's own rate or channel count.

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

from serlib.errors import AudioDecodeError, ConfigError, RecordingTooLongError

__all__ = ["BLOCK_SECONDS", "CHUNK_SECONDS", "MAX_DURATION", "AudioInfo", "audio_info",
           "describe_os_error", "load_audio", "max_duration"]

#: default longest recording (seconds) any serlib reader accepts; SERLIB_MAX_DURATION
#: overrides it for a whole session, ``max_duration=`` for one call
MAX_DURATION = 600.0
#: files longer than this (seconds) are decoded and resampled block by block
CHUNK_SECONDS = 30.0
#: the length of one such block (seconds)
BLOCK_SECONDS = 5.0

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
    if err.errno == errno.ELOOP:
        return (f"{path}: a symbolic link that loops (it leads back to itself); replace it "
                "with the recording or a link to the real file")
    if isinstance(err, FileNotFoundError) or err.errno == errno.ENOENT:
        if path.is_symlink():
            return (f"{path}: a symbolic link to {os.readlink(path)}, which does not exist; "
                    "fix or remove the link")
        return f"{path}: no such file (moved or deleted since the table was made?)"
    return f"{path}: cannot be read ({err.strerror or err}); check the disk or copy it again"


def max_duration(value: float | None = None) -> float:
    """The longest recording accepted: ``value``, else ``$SERLIB_MAX_DURATION``, else
    :data:`MAX_DURATION` (seconds).

    Raises:
        ConfigError: the value is not a positive number of seconds.
    """
    source = "max_duration"
    if value is None:
        env = os.environ.get("SERLIB_MAX_DURATION")
        if env is None:
            return MAX_DURATION
        source = "SERLIB_MAX_DURATION"
        try:
            value = float(env)
        except ValueError:
            raise ConfigError(f"SERLIB_MAX_DURATION={env!r} is not a number of seconds; "
                              f"unset it (default {MAX_DURATION:g}) or set e.g. 1200") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value <= 0:
        raise ConfigError(f"{source}={value!r}: must be a positive number of seconds")
    return float(value)


def _check_length(path: Path, info: AudioInfo, limit: float) -> None:
    if info.duration > limit:
        hours = f" ({info.duration / 3600:.1f} h)" if info.duration >= 3600 else ""
        raise RecordingTooLongError(
            f"{path}: {info.duration:.0f} s{hours} by its header ({info.frames} frames at "
            f"{info.sample_rate} Hz) is longer than the {limit:g} s serlib reads; nothing was "
            "decoded. Cut the recording into shorter files, or raise the limit "
            f"(SERLIB_MAX_DURATION=<seconds>, or max_duration=) if it really is that long"
            + (" (a sample rate this low usually means a damaged header)"
               if info.sample_rate < 1000 else ""))


def _sf_name(path: Path) -> str | bytes:
    """The name to hand libsndfile: the bytes of a name that is not valid UTF-8 (a file
    copied from another system; soundfile cannot encode it and would fail as if the file
    were corrupt), else the text."""
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name)
    return name


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
        info = sf.info(_sf_name(path))
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
               min_duration: float = 0.1, silence_threshold: float = 1e-4,
               max_duration: float | None = None) -> np.ndarray:
    """Load an audio file as a mono float32 waveform at ``sample_rate``.

    Args:
        path: any format libsndfile reads (WAV, AIFF, FLAC, ...), whatever its extension.
        sample_rate: output rate in Hz; other rates are resampled with soxr ("HQ").
        min_duration: files shorter than this many seconds raise (0 disables the check).
        silence_threshold: files whose absolute peak is below this raise as silent.
        max_duration: the longest file accepted, in seconds, checked from the header before
            decoding (None: ``$SERLIB_MAX_DURATION`` or :data:`MAX_DURATION`).

    Returns:
        The waveform, float32, values as stored (not normalised).

    Shape:
        returns (num_samples,), num_samples = round(duration * sample_rate).

    Raises:
        AudioDecodeError: missing, a folder, unreadable, corrupt, empty, truncated,
            non-finite, silent or too short.
        RecordingTooLongError: longer than ``max_duration`` (by its header).
        ConfigError: ``sample_rate`` or ``max_duration`` is not a positive number.

    Chapter: book/02_corpora.md
    """
    if not isinstance(sample_rate, numbers.Integral) or isinstance(sample_rate, bool) \
            or sample_rate <= 0:
        raise ConfigError(f"sample_rate={sample_rate!r}: must be a positive integer (Hz)")
    sample_rate = int(sample_rate)
    limit = _resolve_limit(max_duration)
    path = Path(path)
    info = audio_info(path, min_duration=min_duration)
    _check_length(path, info, limit)
    if info.duration > CHUNK_SECONDS:
        return _load_in_blocks(path, info, sample_rate, silence_threshold)
    try:
        wav, rate = sf.read(_sf_name(path), dtype="float32", always_2d=True)
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


_resolve_limit = max_duration  # load_audio's argument of the same name hides the function


def _load_in_blocks(path: Path, info: AudioInfo, sample_rate: int,
                    silence_threshold: float) -> np.ndarray:
    """:func:`load_audio` of a long file: decoded, checked, downmixed and resampled in blocks
    of :data:`BLOCK_SECONDS` (memory: the output plus about one block)."""
    rate = info.sample_rate
    out = np.empty(int(np.ceil(info.frames * sample_rate / rate)) + 64, dtype=np.float32)
    stream = soxr.ResampleStream(rate, sample_rate, 1, dtype="float32", quality="HQ") \
        if rate != sample_rate else None
    filled = frames = 0
    peak = 0.0
    block = max(1, int(BLOCK_SECONDS * rate))
    try:
        with sf.SoundFile(_sf_name(path)) as handle:
            while True:
                chunk = handle.read(block, dtype="float32", always_2d=True)
                last = chunk.shape[0] < block
                if chunk.shape[0]:
                    bad = ~np.isfinite(chunk)
                    if bad.any():
                        first = frames + int(np.argwhere(bad)[0][0])
                        raise AudioDecodeError(
                            f"{path}: NaN or infinite samples (the first at {first / rate:.3f} "
                            "s); the file is corrupt and cannot be used: re-download it or "
                            "drop it")
                    frames += chunk.shape[0]
                    mono = chunk.mean(axis=1)  # (frames, channels) -> (frames,)
                    peak = max(peak, float(np.max(np.abs(mono))))
                else:
                    mono = np.zeros(0, dtype=np.float32)
                piece = mono if stream is None else stream.resample_chunk(mono, last=last)
                end = min(out.size, filled + piece.size)
                out[filled:end] = piece[: end - filled]
                filled = end
                del chunk, mono, piece  # before the next block is read
                if last:
                    break
    except OSError as err:
        raise AudioDecodeError(describe_os_error(path, err)) from None
    except _DECODER_ERRORS as err:
        raise AudioDecodeError(f"{path}: decoding failed after a valid header ({err}); the "
                               "file is corrupt or truncated: re-download it") from None
    if frames < info.frames:
        raise AudioDecodeError(f"{path}: the decoder returned {frames} of the {info.frames} "
                               "samples its header promises; the file is truncated or "
                               "corrupt: fetch it again")
    if peak < silence_threshold:
        raise AudioDecodeError(f"{path}: silent (peak {peak:.2e} < {silence_threshold:.0e}); "
                               "check the recording or lower silence_threshold")
    return out[:filled]  # a view: no second copy of a long recording
