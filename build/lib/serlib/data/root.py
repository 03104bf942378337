"""Where corpora live and where serlib writes what it derives from them.

Two folders, each set by one environment variable:

- ``SERLIB_DATA``: the corpora (one sub-folder per corpus id, e.g. ``emodb/``, ``ravdess/``).
  It may be read-only, e.g. a lab's shared drive. Default: ``<user cache>/serlib/data``.
- ``SERLIB_CACHE``: everything serlib generates or derives (the synthetic corpus, feature and
  embedding caches, downloaded weights, split files). Default: ``<user cache>/serlib/cache``.

Chapter: book/intro.md
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import platformdirs

from serlib.errors import CacheError

__all__ = ["cache_root", "corpus_dir", "data_root", "ensure_writable"]


def data_root() -> Path:
    """The folder that holds the corpora: ``$SERLIB_DATA`` or ``<user cache>/serlib/data``."""
    env = os.environ.get("SERLIB_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("serlib")) / "data"


def cache_root() -> Path:
    """Folder for generated and derived files: ``$SERLIB_CACHE`` or the user cache."""
    env = os.environ.get("SERLIB_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("serlib")) / "cache"


def corpus_dir(corpus: str) -> Path:
    """The folder of one corpus under :func:`data_root`, e.g. ``<data root>/emodb``."""
    return data_root() / corpus


def ensure_writable(folder: str | os.PathLike[str] | None = None, *,
                    what: str = "serlib's cache", min_free_bytes: int = 0) -> Path:
    """Create ``folder`` if needed and check, before any work, that files can be written there.

    Args:
        folder: default :func:`cache_root`.
        what: what goes there, for the message (e.g. ``"the split files"``).
        min_free_bytes: refuse a disk with less free space than this.

    Returns:
        The folder.

    Raises:
        CacheError: naming the folder, why it cannot be written, and ``SERLIB_CACHE``.
    """
    folder = Path(folder) if folder is not None else cache_root()
    hint = ("make it writable, free some space, or point SERLIB_CACHE at a writable folder "
            f"(now {os.environ.get('SERLIB_CACHE') or 'unset'})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".serlib-write-test.", dir=folder)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as err:
        raise CacheError(f"cannot write {what} under {folder} ({err.strerror or err}); "
                         f"{hint}") from None
    if min_free_bytes:
        free = shutil.disk_usage(folder).free
        if free < min_free_bytes:
            raise CacheError(f"only {free / 2**20:.0f} MiB free under {folder}, {what} needs "
                             f"about {min_free_bytes / 2**20:.0f} MiB; {hint}")
    return folder
