"""Normalisation modes: whose statistics standardise an utterance's features.

A frozen encoder trained on one corpus sees another corpus (another language, microphone,
level) as shifted inputs; much of that shift is removed by standardising with the right
statistics. Four modes, for log-mels before the encoder or for embeddings before a head:

- ``"utterance"``: each utterance by its own mean and standard deviation (Agarla et al.);
- ``"source"``: every utterance by the statistics of the **source training** utterances
  (BYOL-A's dataset normalisation; one front-end for every language);
- ``"target"``: each domain by its own statistics (the target's from its *unlabelled*
  utterances: no label is used), so each language is centred on its own average;
- ``"speaker"``: each speaker by the statistics of their own (unlabelled) utterances,
  which removes voice and channel as well (the speaker ids must be known at test time).

``"none"`` leaves the features unchanged. ``fit`` says which utterances may give
statistics (e.g. source train only, or everything but the test speakers); in ``"speaker"``
mode a test speaker's statistics come from that speaker's own utterances, unlabelled
(transductive: say so where results are reported).

:func:`normalize_features` works on lists of log-mels (or trunk features) of any length,
``(..., bands, frames)``, with one statistic per group (``per_band=False``) or one per band;
:func:`normalize_embeddings` on an ``(n, d)`` matrix, one statistic per dimension.
:func:`fit_mode_stats` returns the statistics themselves (:class:`NormStats`, to save with
a model). The statistics objects and the older ``fit_norm_stats`` live in
:mod:`serlib.features.norm_stats` and are re-exported here.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from serlib.errors import SerlibWarning
from serlib.features.norm_stats import (
    NORM_MODES,
    NormStats,
    apply_norm_stats,
    compute_norm_stats,
    fit_norm_stats,
)

__all__ = ["MIN_SPEAKER_UTTERANCES", "NORMALIZATIONS", "NORM_MODES", "NormStats",
           "SpeakerStatisticsWarning", "apply_norm_stats",
           "compute_norm_stats", "fit_mode_stats", "fit_norm_stats", "group_keys",
           "normalize_embeddings", "normalize_features"]

#: the normalisation modes of :func:`normalize_features` and :func:`normalize_embeddings`
NORMALIZATIONS = ("none", "utterance", "source", "target", "speaker")

#: a speaker needs this many utterances for statistics of their own (``min_group``); fewer
#: and the speaker takes the fallback (inductive) statistics. Chosen on the synthetic
#: stress corpus and RAVDESS's dev speakers (benchmarks/tta_stress.py), never on a test
#: split: with 2 utterances per speaker, per-speaker statistics fall to chance.
MIN_SPEAKER_UTTERANCES = 5


class SpeakerStatisticsWarning(SerlibWarning):
    """Speaker statistics were skipped or are likely to mislead (too few utterances, one
    predicted class): see book/09_beyond.md, "When speaker statistics fail"."""


def _labels(values: Sequence[str] | None, n: int, name: str, mode: str) -> list[str]:
    if values is None:
        raise ValueError(f"mode={mode!r} needs {name} (one per utterance)")
    values = [str(v) for v in values]
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries for {n} utterances")
    return values


def group_keys(mode: str, n: int, *, domains: Sequence[str] | None = None,
               speakers: Sequence[str] | None = None, source: str = "source"
               ) -> list[str] | None:
    """The statistics group of each of ``n`` utterances (None for ``"none"``/``"utterance"``).

    ``"source"``: every utterance is in the group ``source``; ``"target"``: its domain;
    ``"speaker"``: its speaker.

    Raises:
        ValueError: an unknown mode, or missing / mis-sized ``domains`` / ``speakers``.
    """
    if mode not in NORMALIZATIONS:
        raise ValueError(f"mode={mode!r}: use one of {list(NORMALIZATIONS)}")
    if mode in ("none", "utterance"):
        return None
    if mode == "speaker":
        return _labels(speakers, n, "speakers", mode)
    doms = _labels(domains, n, "domains", mode)
    if mode == "source":
        if source not in doms:
            raise ValueError(f"no utterance of the source domain {source!r} among "
                             f"{sorted(set(doms))}: pass source=")
        return [source] * n
    return doms


def _fit_rows(keys: list[str], fit: Sequence[bool] | None, mode: str,
              domains: Sequence[str] | None, source: str) -> dict[str, list[int]]:
    n = len(keys)
    mask = np.ones(n, bool) if fit is None else np.asarray(fit, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"fit has {mask.size} entries for {n} utterances")
    if mode == "source":  # statistics of the source's fit rows only
        mask = mask & (np.asarray([str(d) for d in domains]) == source)  # type: ignore[union-attr]
    rows: dict[str, list[int]] = {k: [] for k in dict.fromkeys(keys)}
    for i in np.flatnonzero(mask):
        rows[keys[i]].append(int(i))
    empty = [k for k, r in rows.items() if not r]
    if empty:
        raise ValueError(f"mode={mode!r}: no utterance to fit the statistics of {empty[:5]} "
                         "on; widen fit (statistics need unlabelled utterances of each group)")
    return rows


def fit_mode_stats(feats: Sequence[Tensor], *, mode: str,
                   domains: Sequence[str] | None = None,
                   speakers: Sequence[str] | None = None, fit: Sequence[bool] | None = None,
                   source: str = "source", per_band: bool = False) -> dict[str, NormStats]:
    """The statistics of every group of ``mode`` (empty for ``"none"``/``"utterance"``).

    Args:
        feats: one tensor per utterance, (..., bands, frames).
        mode: one of :data:`NORMALIZATIONS`.
        domains: the domain of each utterance (``"source"`` and ``"target"`` modes).
        speakers: the speaker of each utterance (``"speaker"`` mode), unique across corpora.
        fit: which utterances may give statistics (default all); labels are never used.
        source: the name of the source domain among ``domains``.
        per_band: one mean and std per band instead of one per group.

    Returns:
        ``{group: NormStats}``: ``{source: ...}``, ``{domain: ...}`` or ``{speaker: ...}``.

    Raises:
        ValueError: bad mode or arguments, a group with no ``fit`` utterance, or
            non-finite statistics.

    Chapter: book/03_log_mel.md
    """
    keys = group_keys(mode, len(feats), domains=domains, speakers=speakers, source=source)
    if keys is None:
        return {}
    stats = {}
    for key, rows in _fit_rows(keys, fit, mode, domains, source).items():
        s = compute_norm_stats([feats[i] for i in rows], per_band=per_band)
        if not np.isfinite(s.mean + s.std).all():
            raise ValueError(f"non-finite statistics for {key!r}: check its features")
        stats[key] = s
    return stats


def normalize_features(feats: Sequence[Tensor], *, mode: str,
                       domains: Sequence[str] | None = None,
                       speakers: Sequence[str] | None = None,
                       fit: Sequence[bool] | None = None, source: str = "source",
                       per_band: bool = False) -> list[Tensor]:
    """Standardise every utterance's features with the statistics ``mode`` assigns it.

    Arguments as :func:`fit_mode_stats`; ``"utterance"`` ignores ``fit``.

    Shape:
        each of feats: (..., bands, frames), e.g. log-mels (1, n_mels, frames); returns
        the same shapes.

    Example:
        >>> feats = normalize_features(log_mels, mode="speaker",  # doctest: +SKIP
        ...                            speakers=table["speaker"])

    Chapter: book/03_log_mel.md
    """
    keys = group_keys(mode, len(feats), domains=domains, speakers=speakers, source=source)
    if mode == "none":
        return list(feats)
    if mode == "utterance":
        return [apply_norm_stats(f, compute_norm_stats([f], per_band=per_band))  # type: ignore[misc]
                for f in feats]
    stats = fit_mode_stats(feats, mode=mode, domains=domains, speakers=speakers, fit=fit,
                           source=source, per_band=per_band)
    assert keys is not None
    return [apply_norm_stats(f, stats[k]) for f, k in zip(feats, keys, strict=True)]  # type: ignore[misc]


def normalize_embeddings(x: Tensor, *, mode: str, domains: Sequence[str] | None = None,
                         speakers: Sequence[str] | None = None,
                         fit: Sequence[bool] | None = None, source: str = "source",
                         min_std: float = 1e-5, min_group: int = 1,
                         fallback: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """Standardise utterance embeddings per dimension with the statistics ``mode`` assigns.

    ``"utterance"`` standardises each row over its own ``d`` values; the other modes use one
    mean and standard deviation per dimension, computed over the ``fit`` rows of the group
    (float64 sums). Arguments as :func:`fit_mode_stats`, and:

    Args:
        min_group: a group with fewer ``fit`` rows is standardised with ``fallback``
            instead of its own statistics, with a :class:`SpeakerStatisticsWarning` (1: never;
            :data:`MIN_SPEAKER_UTTERANCES` is the measured guard for ``"speaker"``).
        fallback: ``(mean, std)`` per dimension for small groups, e.g. the source training
            statistics (the inductive path); None: the statistics of all ``fit`` rows of the
            large groups.

    Shape:
        x: (n, d); returns (n, d) in ``x``'s dtype.

    Chapter: book/03_log_mel.md
    """
    if x.ndim != 2:
        raise ValueError(f"expected embeddings (n, d), got shape {tuple(x.shape)}")
    keys = group_keys(mode, x.shape[0], domains=domains, speakers=speakers, source=source)
    if not torch.isfinite(x).all():
        raise ValueError("embeddings hold non-finite values")
    if mode == "none":
        return x.clone()
    z = x.detach().to(torch.float64)
    if mode == "utterance":
        out = (z - z.mean(1, keepdim=True)) / z.std(1, unbiased=False, keepdim=True).clamp(
            min=min_std)
        return out.to(x.dtype)
    assert keys is not None
    out = torch.empty_like(z)
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    groups = _fit_rows(keys, fit, mode, domains, source)
    small = [k for k, rows in groups.items() if len(rows) < min_group]
    if small:
        if fallback is not None:
            f_mean = torch.as_tensor(fallback[0], dtype=torch.float64)
            f_std = torch.as_tensor(fallback[1], dtype=torch.float64).clamp(min=min_std)
        else:
            large = [i for k, rows in groups.items() if k not in small for i in rows]
            if not large:
                raise ValueError(f"min_group={min_group}: every group is smaller; pass "
                                 "fallback= (e.g. the source statistics)")
            f_mean, f_std = z[large].mean(0), z[large].std(0, unbiased=False).clamp(
                min=min_std)
        warnings.warn(f"{len(small)} of {len(groups)} {mode} groups have fewer than "
                      f"{min_group} utterances ({small[:3]}...): standardised with the "
                      "fallback statistics instead of their own", SpeakerStatisticsWarning,
                      stacklevel=2)
    for key, rows in groups.items():
        if key in small:
            mean, std = f_mean, f_std
        else:
            ref = z[rows]
            mean, std = ref.mean(0), ref.std(0, unbiased=False).clamp(min=min_std)
        out[members[key]] = (z[members[key]] - mean) / std
    return out.to(x.dtype)
