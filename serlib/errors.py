"""Typed exceptions raised by serlib.

Every error names the file or value at fault and says how to fix it. They all derive from
:class:`SerlibError`, and each also derives from the closest built-in exception so that
``except FileNotFoundError`` and friends keep working. What serlib only warns about (a file
dropped from a table, a damaged cache rebuilt) is a :class:`SerlibWarning`, so that a caller
can turn exactly these into errors (``warnings.simplefilter("error", SerlibWarning)``).

Chapter: book/intro.md
"""

from __future__ import annotations

__all__ = [
    "AudioDecodeError",
    "CacheError",
    "CacheWarning",
    "CheckpointError",
    "ChecksumError",
    "ConfigError",
    "CorpusLayoutError",
    "CorpusNotFoundError",
    "CorpusRegistrationError",
    "CorpusVerificationError",
    "DataWarning",
    "DegenerateStatisticsError",
    "DownloadError",
    "GlueRangeError",
    "LabelSetError",
    "NonFiniteError",
    "RecordingNotFoundError",
    "RecordingTooLongError",
    "ResultsError",
    "SerlibError",
    "SerlibWarning",
    "SplitError",
    "StorageError",
    "UndecodableFilesError",
    "UnknownCorpusError",
]


class SerlibError(Exception):
    """Base class of every error raised on purpose by serlib."""


class ConfigError(SerlibError, ValueError):
    """A configuration file or value is invalid (unknown key, wrong type, bad preset name)."""


class CorpusNotFoundError(SerlibError, FileNotFoundError):
    """A corpus folder is missing or does not look like the corpus it should hold."""


class CorpusRegistrationError(SerlibError, ValueError):
    """A corpus plug-in is malformed or its id is already taken (serlib.data.register_corpus)."""


class CorpusVerificationError(SerlibError):
    """A corpus on disk does not match its declared file and per-emotion counts."""


class ChecksumError(SerlibError):
    """A downloaded or local file does not have the expected hash."""


class DownloadError(SerlibError, ConnectionError):
    """A download failed (typically: no internet). The message says how to work offline."""


class AudioDecodeError(SerlibError, ValueError):
    """An audio file is corrupt, empty, truncated, silent, non-finite or too short."""


class UndecodableFilesError(AudioDecodeError):
    """Several files of a table cannot be decoded; all of them are listed at once.

    Attributes:
        failures: ``(path, reason)`` for every file that failed, in table order.
    """

    def __init__(self, failures: list[tuple[str, str]], total: int | None = None,
                 max_listed: int = 10) -> None:
        self.failures = list(failures)
        self.paths = [path for path, _ in self.failures]
        of = f" of {total}" if total is not None else ""
        lines = [f"  {reason}" for _, reason in self.failures[:max_listed]]
        if len(self.failures) > max_listed:
            lines.append(f"  ... and {len(self.failures) - max_listed} more (see .failures)")
        super().__init__(
            f"{len(self.failures)}{of} files cannot be decoded:\n" + "\n".join(lines)
            + "\nDrop them from the table (serlib.data.screen_audio does that and reports "
            "why), or repair or re-download them.")


class LabelSetError(SerlibError, ValueError):
    """An unknown label set or emotion name was requested."""


class SplitError(SerlibError, ValueError):
    """A split cannot be made as requested (e.g. too few speakers to keep speakers apart)."""


class CheckpointError(SerlibError):
    """A checkpoint is unreadable, truncated, non-finite or does not fit the model."""


class CacheError(SerlibError, OSError):
    """A folder under ``$SERLIB_CACHE`` (or another cache folder) cannot be written."""


class RecordingNotFoundError(SerlibError, FileNotFoundError):
    """A recording given for prediction does not exist."""


class ResultsError(SerlibError, ValueError):
    """A results file cannot be read as one (garbage, another CSV, no key column)."""


class NonFiniteError(SerlibError, ValueError):
    """A loss, a model output or a weight is NaN or infinite: no result is computed from it."""


class CorpusLayoutError(CorpusNotFoundError):
    """A corpus folder holds audio, but too few of its file names follow the corpus' scheme
    (typically the folder of another corpus): the message names the folder, the corpus id
    and the names expected."""


class UnknownCorpusError(SerlibError, LookupError):
    """A corpus id that serlib does not know: a typo or an unregistered plug-in, not a
    corpus missing from disk (that is :class:`CorpusNotFoundError`)."""


class RecordingTooLongError(AudioDecodeError):
    """A recording is longer than the maximum duration a reader accepts (checked from the
    file's header, before anything is decoded); the message names the limit and how to
    raise it."""


class DegenerateStatisticsError(SerlibError, ValueError):
    """Statistics estimated from unlabelled recordings are not trustworthy: too few distinct
    recordings, or a spread that is (numerically) zero."""


class StorageError(SerlibError, OSError):
    """A file cannot be written (disk full, read-only folder, a path component that is a
    file); the message names the file and what to do. Nothing already written is lost."""


class GlueRangeError(SerlibError, ValueError):
    """A number glued into a chapter's prose lies outside the range its kind declares."""


class SerlibWarning(UserWarning):
    """Base class of the warnings serlib issues on purpose."""


class DataWarning(SerlibWarning):
    """Data were dropped or are thinner than asked (bad files skipped, an empty class)."""


class CacheWarning(SerlibWarning):
    """A cache could not be written or a damaged cache file was rebuilt."""
