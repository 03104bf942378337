"""Frozen-encoder caches: utterance embeddings and conv-trunk frame features, computed once.

With a frozen pre-trained encoder the expensive part of every epoch is the same: running the
encoder on the same utterances. Computing it once per utterance turns the semi-supervised
chapters into minutes on a CPU:

- :func:`cached_embeddings`: the encoder's utterance embedding (linear probes, t-SNE,
  MMD on fixed features);
- :func:`cached_trunk_features`: the frame features of BYOL-S's convolutional trunk, so that
  the ``fc`` layers and the linear head can still be fine-tuned
  (:class:`~serlib.models.BYOLSNeckClassifier` reads them).

``serlib.features`` may not import ``serlib.models``, so the encoder is an argument: any
module with ``forward(x, lengths)`` (embeddings) or ``forward_trunk(x, lengths)`` (trunk
features), e.g. :class:`~serlib.models.BYOLSEncoder`. Each utterance is encoded as if it
were alone (the BYOL-S trunk masks padding between its blocks, so batching does not change
the result) from its whole log-mel, standardised with ``stats``. The key of an entry adds to
the log-mel key (:mod:`serlib.features.cache`) a fingerprint of the encoder's class and
weights and the normalisation statistics: other weights or statistics never return stale
embeddings.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from serlib.config import config_hash
from serlib.features.cache import FEATURE_VERSION, FeatureCache, cached_log_mels
from serlib.features.mel_config import MelConfig
from serlib.features.normalize import NormStats, apply_norm_stats

__all__ = ["cached_embeddings", "cached_trunk_features", "module_fingerprint"]


def module_fingerprint(module: nn.Module) -> str:
    """SHA-256 of a module's class and every tensor of its ``state_dict`` (names, shapes, bytes).

    Identifies "this architecture with these weights" (e.g. a checkpoint), in cache keys.
    """
    digest = hashlib.sha256(f"{type(module).__module__}.{type(module).__qualname__}".encode())
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _check(shape: tuple[int | None, ...]) -> Callable[[np.ndarray], str | None]:
    def check(array: np.ndarray) -> str | None:
        ok = array.dtype == np.float32 and array.ndim == len(shape) and all(
            want is None or got == want for got, want in zip(array.shape, shape, strict=True))
        if not ok:
            return f"expected float32 {shape}, got {array.dtype} {array.shape}"
        if array.size == 0 or not np.isfinite(array).all():
            return "empty or non-finite values"
        return None

    return check


@torch.no_grad()
def _encode_cached(kind: str, table: pd.DataFrame | Sequence[str], encoder: nn.Module,
                   config: MelConfig, stats: NormStats | None, encode: Callable,
                   shape: tuple[int | None, ...], *, cache_dir, batch_size: int,
                   progress: bool) -> list[np.ndarray]:
    paths = list(table["path"]) if isinstance(table, pd.DataFrame) else list(table)
    cache = FeatureCache(cache_dir)
    fingerprint = module_fingerprint(encoder)
    stats_values = None if stats is None else stats.to_dict()
    group = config_hash(FEATURE_VERSION, kind, fingerprint, stats_values)
    check = _check(shape)
    entries: list[Path | None] = []
    for p in paths:
        try:
            key = config_hash(cache.log_mel_key(p, config), kind, fingerprint, stats_values,
                              length=None)
        except OSError:  # missing or unreadable: cached_log_mels below lists it
            entries.append(None)
        else:
            entries.append(cache.entry(kind, group, key))
    out: list[np.ndarray | None] = [None if e is None else cache.load(e, check)
                                    for e in entries]
    missing = [i for i, a in enumerate(out) if a is None]  # only these need their log-mels
    log_mels = dict(zip(missing, cached_log_mels([paths[i] for i in missing], config,
                                                 cache_dir=cache_dir, progress=progress),
                        strict=True))
    todo = sorted(missing, key=lambda i: log_mels[i].shape[-1])  # similar lengths together
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    try:
        for start in tqdm(range(0, len(todo), batch_size), desc=f"{kind} (cached)",
                          disable=not progress or not todo, leave=False):
            index = todo[start : start + batch_size]
            feats = apply_norm_stats([log_mels[i] for i in index], stats)
            lengths = torch.tensor([f.shape[-1] for f in feats])
            frames = max(8, -(-int(lengths.max()) // 8) * 8)
            x = feats[0].new_zeros((len(feats), 1, feats[0].shape[-2], frames))
            for j, f in enumerate(feats):
                x[j, :, :, : f.shape[-1]] = f  # zero padding: (batch, 1, n_mels, frames)
            for i, array in zip(index, encode(encoder, x.to(device), lengths.to(device)),
                                strict=True):
                out[i] = array
                cache.store(entries[i], array)  # type: ignore[arg-type]
    finally:
        encoder.train(was_training)
        cache.close()
    return out  # type: ignore[return-value]


def cached_embeddings(table: pd.DataFrame | Sequence[str], encoder: nn.Module,
                      config: MelConfig, *, stats: NormStats | None,
                      cache_dir: str | os.PathLike[str] | None = None, batch_size: int = 16,
                      progress: bool = True) -> Tensor:
    """Utterance embeddings of a frozen encoder for every file of ``table`` (cached on disk).

    Args:
        table: a metadata table with a ``path`` column, or a list of paths.
        encoder: a module with ``forward(x, lengths) -> (batch, d)`` (run in eval mode).
        config: the front-end the encoder expects (``mel_preset("byols")``).
        stats: normalisation statistics of the training split (``None``: none applied).
        cache_dir: the cache folder (default ``$SERLIB_CACHE/features``).
        batch_size: utterances encoded at once.
        progress: show progress bars.

    Shape:
        returns (n, d) float32, rows in table order.

    Raises:
        UndecodableFilesError: listing every file that is missing or cannot be decoded
            (see :func:`~serlib.features.cached_log_mels`).

    Chapter: book/03_log_mel.md
    """
    def encode(enc: nn.Module, x: Tensor, lengths: Tensor) -> list[np.ndarray]:
        return list(enc(x, lengths).float().cpu().numpy())  # (batch, d) -> rows

    rows = _encode_cached("embedding", table, encoder, config, stats, encode, (None,),
                          cache_dir=cache_dir, batch_size=batch_size, progress=progress)
    return torch.from_numpy(np.stack(rows)) if rows else torch.zeros((0, 0))


def cached_trunk_features(table: pd.DataFrame | Sequence[str], encoder: nn.Module,
                          config: MelConfig, *, stats: NormStats | None,
                          cache_dir: str | os.PathLike[str] | None = None,
                          batch_size: int = 16, progress: bool = True) -> list[Tensor]:
    """Frame features of a frozen conv trunk for every file of ``table`` (cached on disk).

    Args:
        table: a metadata table with a ``path`` column, or a list of paths.
        encoder: a module with ``forward_trunk(x, lengths) -> (batch, frames/8, channels)``
            and ``trunk_lengths(lengths)``, e.g. :class:`~serlib.models.BYOLSEncoder`.
        config: the front-end the encoder expects.
        stats: normalisation statistics of the training split (``None``: none applied).
        cache_dir: the cache folder (default ``$SERLIB_CACHE/features``).
        batch_size: utterances encoded at once.
        progress: show progress bars.

    Returns:
        One tensor per row, time last so that :class:`~serlib.features.UtteranceDataset`,
        :func:`~serlib.features.pad_collate` and the random crops work on it unchanged.

    Shape:
        each returned tensor: (1, channels, frames // 8), channels = 512 for BYOL-S.

    Raises:
        UndecodableFilesError: listing every file that is missing or cannot be decoded
            (see :func:`~serlib.features.cached_log_mels`).

    Chapter: book/03_log_mel.md
    """
    def encode(enc: nn.Module, x: Tensor, lengths: Tensor) -> list[np.ndarray]:
        h = enc.forward_trunk(x, lengths).float().cpu()  # (batch, frames/8, channels)
        valid = enc.trunk_lengths(lengths).tolist()
        return [h[j, :n].T.contiguous().numpy() for j, n in enumerate(valid)]  # (ch, n)

    arrays = _encode_cached("trunk", table, encoder, config, stats, encode, (None, None),
                            cache_dir=cache_dir, batch_size=batch_size, progress=progress)
    return [torch.from_numpy(a)[None] for a in arrays]  # (1, channels, frames/8)
