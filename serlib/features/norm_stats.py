"""Dataset normalisation statistics for log-mel features (BYOL-A's "pre-normalisation").

(The normalisation *modes* -- utterance, source, target, speaker -- are in
:mod:`serlib.features.normalize`, which re-exports everything here.)

A pre-trained BYOL-S encoder expects log-mels standardised with the mean and standard
deviation of the training data (one scalar each, as BYOL-A and SERAB do). The statistics are
computed on the **training split only** (never dev or test), kept in a small frozen
:class:`NormStats` that is saved with the model (``to_dict``/``from_dict``; the model
bundles of :mod:`serlib.adapt` store it), and applied by :func:`apply_norm_stats`.

Which data the statistics come from is a choice the caller makes explicitly with
:func:`fit_norm_stats`: ``mode="source"`` normalises every domain with the source training
statistics (one front-end for all languages), ``mode="per_domain"`` gives each domain the
statistics of its own training utterances (labels are not used, so unlabelled target
training data may serve; a form of feature-level adaptation).

Statistics are pooled over every valid value of every utterance (not SERAB's average of
per-file means and standard deviations; the two differ by a few per cent). ``per_band=True``
gives one mean and standard deviation per mel band instead.

Statistics must come from real spread. :func:`fit_norm_stats` needs at least
:data:`MIN_DISTINCT_UTTERANCES` *distinct* utterances per domain (the same utterance given
twice counts once), and :func:`compute_norm_stats` never uses a degenerate spread silently:
if every value is constant (silence, one utterance repeated) it raises
:class:`~serlib.errors.DegenerateStatisticsError`; if only some mel bands are flat (e.g.
the bands above 4 kHz of upsampled telephone audio) their standard deviation is floored and
a :class:`~serlib.errors.DataWarning` names them (such a band, standardised with a tiny
spread, would turn any energy there into huge values).

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from serlib.errors import DataWarning, DegenerateStatisticsError

__all__ = ["MIN_DISTINCT_UTTERANCES", "NORM_MODES", "NormStats", "apply_norm_stats",
           "compute_norm_stats", "count_distinct", "embedding_stats", "fit_norm_stats"]

NORM_MODES = ("source", "per_domain")
#: fewest distinct training utterances a domain's statistics are fitted on
MIN_DISTINCT_UTTERANCES = 3


def count_distinct(feats: Sequence[Tensor]) -> int:
    """How many of ``feats`` differ in content (identical tensors count once)."""
    return len({hashlib.sha256(f.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
                for f in feats})


@dataclass(frozen=True)
class NormStats:
    """Mean and standard deviation of log-mel values, global (1 value) or per band.

    Attributes:
        mean: one value, or one per mel band.
        std: as ``mean`` (strictly positive).
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))
        if len(self.mean) != len(self.std) or not self.mean:
            raise ValueError(f"NormStats needs as many means as stds (>= 1), got "
                             f"{len(self.mean)} and {len(self.std)}")
        if min(self.std) <= 0:
            raise ValueError(f"NormStats.std must be positive, got {self.std}")

    @property
    def per_band(self) -> bool:
        """Whether there is one value per mel band."""
        return len(self.mean) > 1

    def to_dict(self) -> dict[str, Any]:
        """Plain values, e.g. to save next to a model."""
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> NormStats:
        """Inverse of :meth:`to_dict` (also accepts tensors or scalars)."""
        def _tuple(v: Any) -> tuple[float, ...]:
            v = torch.as_tensor(v, dtype=torch.float64).reshape(-1)
            return tuple(v.tolist())

        return cls(_tuple(values["mean"]), _tuple(values["std"]))

    def tensors(self, n_mels: int, *, dtype: torch.dtype = torch.float32,
                device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
        """Mean and std shaped to broadcast over ``(..., n_mels, frames)``.

        Shape:
            returns two tensors of shape (n_mels, 1) (or (1, 1) for global statistics).
        """
        if self.per_band and len(self.mean) != n_mels:
            raise ValueError(f"statistics for {len(self.mean)} bands applied to {n_mels} bands")
        mean = torch.tensor(self.mean, dtype=dtype, device=device).reshape(-1, 1)
        std = torch.tensor(self.std, dtype=dtype, device=device).reshape(-1, 1)
        return mean, std


def compute_norm_stats(feats: Sequence[Tensor], *, per_band: bool = False,
                       min_std: float = 1e-8) -> NormStats:
    """Mean and standard deviation over every value of a list of log-mels (float64 sums).

    Args:
        feats: log-mels of the **training** utterances only.
        per_band: one value per mel band instead of one scalar.
        min_std: floor on the standard deviation (a spread at or below it is degenerate).

    Shape:
        each of feats: (..., n_mels, frames), e.g. (1, n_mels, frames).

    Raises:
        DegenerateStatisticsError: every value is constant (no spread to standardise by).

    Warns:
        DataWarning: some mel bands (``per_band=True``) are flat; their std is floored.

    Chapter: book/03_log_mel.md
    """
    if len(feats) == 0:
        raise ValueError("compute_norm_stats needs at least one utterance")
    dims = (-1,) if per_band else (-2, -1)
    total = count = square = 0
    for f in feats:
        f = f.detach().to(torch.float64)
        f = f.reshape(-1, *f.shape[-2:])  # (..., n_mels, frames) -> (k, n_mels, frames)
        total = total + f.sum(dim=(0, *dims))
        square = square + (f * f).sum(dim=(0, *dims))
        count += f.shape[0] * (f.shape[-1] if per_band else f.shape[-1] * f.shape[-2])
    mean = total / count
    spread = (square / count - mean * mean).clamp(min=0).sqrt()
    # a relative floor too: float64 sums leave ~1e-8 of noise on a constant of size 10
    flat = spread <= max(min_std, 1e-7 * float(mean.abs().max()))
    if bool(flat.all()):
        raise DegenerateStatisticsError(
            f"the {len(feats)} log-mel utterance(s) given have no spread (every value is "
            f"{float(mean.reshape(-1)[0]):.4g}): silence or one utterance repeated; "
            "standardising by it would blow values up. Give real, distinct recordings")
    if bool(flat.any()):
        bands = torch.nonzero(flat.reshape(-1)).flatten().tolist()
        warnings.warn(f"mel band(s) {bands[:10]}{' ...' if len(bands) > 10 else ''} are flat "
                      f"in the {len(feats)} utterance(s) given (e.g. band-limited audio): "
                      f"their std is floored at {min_std:g}, so any energy there later becomes "
                      "a very large value; consider global (not per-band) statistics",
                      DataWarning, stacklevel=2)
    std = spread.clamp(min=min_std)
    return NormStats(tuple(mean.reshape(-1).tolist()), tuple(std.reshape(-1).tolist()))


def apply_norm_stats(feats: Tensor | Sequence[Tensor], stats: NormStats | None
                     ) -> Tensor | list[Tensor]:
    """Standardise one tensor or a list of tensors: ``(x - mean) / std``.

    ``stats=None`` returns the input unchanged (no normalisation).

    Shape:
        a tensor (..., n_mels, frames) or a list of them; returns the same shapes.

    Chapter: book/03_log_mel.md
    """
    if stats is None:
        return feats if isinstance(feats, Tensor) else list(feats)
    if isinstance(feats, Tensor):
        mean, std = stats.tensors(feats.shape[-2], dtype=feats.dtype, device=feats.device)
        return (feats - mean) / std
    return [apply_norm_stats(f, stats) for f in feats]  # type: ignore[misc]


def fit_norm_stats(train_feats: Mapping[str, Sequence[Tensor]], *, mode: str,
                   source: str = "source", per_band: bool = False) -> dict[str, NormStats]:
    """Normalisation statistics for each domain, from training utterances only.

    Args:
        train_feats: each domain's **training-split** log-mels, e.g.
            ``{"source": feats_s_train, "target": feats_t_train}``.
        mode: ``"source"``: every domain gets the statistics of ``train_feats[source]``;
            ``"per_domain"``: every domain gets the statistics of its own training data.
        source: the key of the source domain.
        per_band: one value per mel band.

    Returns:
        ``{domain: NormStats}`` for every key of ``train_feats``.

    Raises:
        DegenerateStatisticsError: a domain whose statistics are fitted has fewer than
            :data:`MIN_DISTINCT_UTTERANCES` distinct utterances, or no spread.

    Example:
        >>> stats = fit_norm_stats({"source": en_train, "target": de_train},  # doctest: +SKIP
        ...                        mode="source")
        >>> feats_t_test = apply_norm_stats(de_test, stats["target"])  # doctest: +SKIP

    Chapter: book/03_log_mel.md
    """
    if mode not in NORM_MODES:
        raise ValueError(f"mode={mode!r}: use one of {list(NORM_MODES)}")
    if mode == "source" and source not in train_feats:
        raise ValueError(f"no {source!r} domain among {sorted(train_feats)}")
    for name in [source] if mode == "source" else list(train_feats):
        distinct = count_distinct(train_feats[name])
        if distinct < MIN_DISTINCT_UTTERANCES:
            raise DegenerateStatisticsError(
                f"domain {name!r}: {distinct} distinct utterance(s) "
                f"({len(train_feats[name])} given); normalisation statistics need at least "
                f"{MIN_DISTINCT_UTTERANCES} distinct training utterances")
    if mode == "source":
        stats = compute_norm_stats(train_feats[source], per_band=per_band)
        return {name: stats for name in train_feats}
    return {name: compute_norm_stats(feats, per_band=per_band)
            for name, feats in train_feats.items()}


def embedding_stats(x: Tensor, *, what: str, min_std: float = 1e-5,
                    min_rows: int = MIN_DISTINCT_UTTERANCES) -> tuple[Tensor, Tensor]:
    """Per-dimension mean and standard deviation of utterance embeddings (a domain's, a
    speaker's), from enough distinct utterances and never from a degenerate spread.

    A dimension whose spread is at most ``min_std`` is only centred (its std is 1, not the
    ~0 that would blow its values up), with a :class:`~serlib.errors.DataWarning`.

    Args:
        x: the embeddings.
        what: whose they are, for the messages (e.g. ``"the target's training utterances"``).
        min_std: a standard deviation at or below this is degenerate.
        min_rows: fewest distinct rows accepted.

    Shape:
        x: (n, d); returns two (d,) tensors.

    Raises:
        DegenerateStatisticsError: fewer than ``min_rows`` distinct rows, or no dimension
            varies at all.

    Chapter: book/03_log_mel.md
    """
    distinct = int(torch.unique(x.detach(), dim=0).shape[0]) if x.numel() else 0
    if distinct < min_rows:
        raise DegenerateStatisticsError(
            f"statistics of {what}: {distinct} distinct utterance(s) ({x.shape[0]} given); "
            f"at least {min_rows} are needed")
    std = x.std(0, unbiased=False)
    flat = std <= min_std
    if bool(flat.all()):
        raise DegenerateStatisticsError(f"statistics of {what}: no dimension varies (every "
                                        f"std <= {min_std:g}); give real, distinct recordings")
    if bool(flat.any()):
        warnings.warn(f"statistics of {what}: {int(flat.sum())} of {flat.numel()} dimensions "
                      "do not vary; they are only centred (std 1)", DataWarning, stacklevel=2)
    return x.mean(0), torch.where(flat, torch.ones_like(std), std)
