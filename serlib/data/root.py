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
from pathlib import Path

import platformdirs

__all__ = ["cache_root", "corpus_dir", "data_root"]


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
