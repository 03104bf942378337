"""Typed exceptions raised by serlib.

Every error names the file or value at fault and says how to fix it. They all derive from
:class:`SerlibError`, and each also derives from the closest built-in exception so that
``except FileNotFoundError`` and friends keep working.

Chapter: book/intro.md
"""

from __future__ import annotations

__all__ = [
    "AudioDecodeError",
    "CheckpointError",
    "ChecksumError",
    "ConfigError",
    "CorpusNotFoundError",
    "CorpusVerificationError",
    "DownloadError",
    "LabelSetError",
    "NonFiniteError",
    "RecordingNotFoundError",
    "SerlibError",
    "SplitError",
]


class SerlibError(Exception):
    """Base class of every error raised on purpose by serlib."""


class ConfigError(SerlibError, ValueError):
    """A configuration file or value is invalid (unknown key, wrong type, bad preset name)."""


class CorpusNotFoundError(SerlibError, FileNotFoundError):
    """A corpus folder is missing or does not look like the corpus it should hold."""


class CorpusVerificationError(SerlibError):
    """A corpus on disk does not match its declared file and per-emotion counts."""


class ChecksumError(SerlibError):
    """A downloaded or local file does not have the expected hash."""


class DownloadError(SerlibError, ConnectionError):
    """A download failed (typically: no internet). The message says how to work offline."""


class AudioDecodeError(SerlibError, ValueError):
    """An audio file is corrupt, empty, truncated, silent, non-finite or too short."""


class LabelSetError(SerlibError, ValueError):
    """An unknown label set or emotion name was requested."""


class SplitError(SerlibError, ValueError):
    """A split cannot be made as requested (e.g. too few speakers to keep speakers apart)."""


class CheckpointError(SerlibError):
    """A checkpoint does not fit the model (missing or unexpected keys, wrong shapes)."""


class RecordingNotFoundError(SerlibError, FileNotFoundError):
    """A recording given for prediction does not exist."""


class NonFiniteError(SerlibError, ValueError):
    """A loss, a model output or a weight is NaN or infinite: no result is computed from it."""
