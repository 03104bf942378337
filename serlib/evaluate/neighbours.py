"""How mixed are the groups of a scatter plot? The share of same-group nearest neighbours.

A t-SNE map is read by its neighbourhoods, not by its distances. For a map coloured by
emotion and marked by language, two questions decide what it shows: do the neighbours of
an utterance speak its language (the languages sit apart), and do they share its emotion
(the emotions form clusters)? :func:`neighbour_share` answers both with one number each:
the mean, over points, of the share of their ``k`` nearest neighbours that belong to the
same group, beside the share that perfectly mixed groups would give
(``Σ_g p_g · (n_g − 1)/(n − 1)``, with ``p_g`` the share of group ``g``). A share near the
mixed value says the groups are interleaved; near 1, that they sit apart.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["NeighbourShare", "neighbour_share"]


@dataclass(frozen=True)
class NeighbourShare:
    """What :func:`neighbour_share` measured.

    Attributes:
        share: mean share of same-group points among each point's ``k`` nearest neighbours.
        mixed: the share perfectly mixed groups would give (the chance level).
        by_group: the mean share per group.
        k: neighbours per point.
    """

    share: float
    mixed: float
    by_group: dict[Hashable, float]
    k: int

    @property
    def separation(self) -> float:
        """``(share − mixed) / (1 − mixed)``: 0 for mixed groups, 1 for groups apart."""
        return float((self.share - self.mixed) / (1.0 - self.mixed)) if self.mixed < 1 else 0.0


def neighbour_share(points: object, groups: Sequence[Hashable], *, k: int = 10) -> NeighbourShare:
    """Share of each point's ``k`` nearest neighbours (Euclidean) that are in its group.

    Args:
        points: coordinates (e.g. :func:`serlib.evaluate.compute_tsne`) or features.
        groups: the group of each point (a language, an emotion).
        k: neighbours per point (the point itself excluded); lowered to ``n − 1`` if larger.

    Returns:
        The mean share, the share of perfectly mixed groups, and the share per group.

    Shape:
        points: (n, d) with n ≥ 2; groups: (n,).

    Raises:
        ValueError: shapes that do not match, fewer than two points, non-finite points
            or ``k < 1``.

    Chapter: book/06_cross_lingual_gap.md
    """
    if hasattr(points, "detach"):  # a torch tensor, without importing torch here
        points = points.detach().cpu().numpy()
    x = np.asarray(points, dtype=np.float64)
    labels = np.asarray(list(groups), dtype=object)
    if x.ndim != 2 or x.shape[0] != labels.shape[0]:
        raise ValueError(f"points must be an (n, d) matrix with one group per row, got shape "
                         f"{x.shape} and {labels.shape[0]} groups")
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"neighbour_share needs at least 2 points, got {n}")
    if k < 1:
        raise ValueError(f"k={k} must be at least 1")
    if not np.isfinite(x).all():
        raise ValueError("points hold NaN or infinite values")
    k = min(k, n - 1)
    sq = (x**2).sum(axis=1)
    dists = sq[:, None] + sq[None, :] - 2.0 * x @ x.T  # (n, n)
    np.fill_diagonal(dists, np.inf)  # a point is not its own neighbour
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]  # (n, k)
    same = (labels[nearest] == labels[:, None]).mean(axis=1)  # (n,)
    _, counts = np.unique(labels.astype(str), return_counts=True)
    mixed = float((counts / n * (counts - 1) / (n - 1)).sum())
    order = list(dict.fromkeys(labels.tolist()))
    by_group = {g: float(same[labels == g].mean()) for g in order}
    return NeighbourShare(float(same.mean()), mixed, by_group, k)
