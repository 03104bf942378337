"""t-SNE coordinates of embeddings, for the before/after-adaptation figures.

Chapter: book/07_mmd.md
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["compute_tsne", "tsne_perplexity"]


def tsne_perplexity(n: int, perplexity: float = 30.0) -> float:
    """The perplexity actually used for ``n`` points: ``min(perplexity, (n − 1) / 3)``.

    t-SNE fits each point's neighbourhood to about ``perplexity`` neighbours; the original
    implementation (van der Maaten, bh-tsne) requires ``n − 1 ≥ 3·perplexity``, and
    scikit-learn refuses ``perplexity ≥ n``. Lowering it for small ``n`` keeps tiny smoke
    runs working; with ``n ≥ 91`` the default 30 is used unchanged.
    """
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {n}")
    if perplexity <= 0:
        raise ValueError(f"perplexity={perplexity} must be positive")
    return float(min(perplexity, (n - 1) / 3.0))


def compute_tsne(feats: Any, *, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """Two-dimensional t-SNE embedding (van der Maaten & Hinton, 2008) of features.

    Uses scikit-learn's ``TSNE`` with PCA initialisation (random when there is a single
    feature), ``learning_rate="auto"`` and ``random_state=seed``, so the same features and
    seed give the same coordinates. The perplexity is lowered for small ``n`` by
    :func:`tsne_perplexity`. The optimisation runs on one OpenMP thread: on a busy 2-core
    machine its Barnes-Hut threads spin-wait for each other and a second thread made it
    about 15 times more expensive in CPU time (300 points, measured on the book's build
    machine). Distances between clusters in a t-SNE plot are not meaningful;
    compare neighbourhoods (Baklouti et al., 2024, Fig. 4).

    Args:
        feats: features, a NumPy array or a (CPU) torch tensor.
        seed: random state of the optimisation.
        perplexity: the wanted perplexity (30 is scikit-learn's default).

    Shape:
        feats: (n, d) with n ≥ 4; returns (n, 2) float64.

    Chapter: book/07_mmd.md
    """
    if hasattr(feats, "detach"):  # a torch tensor, without importing torch here
        feats = feats.detach().cpu().numpy()
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"feats must be an (n, d) matrix, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("feats contains NaN or infinite values")
    from sklearn.manifold import TSNE  # imported here: it is slow to import
    from threadpoolctl import threadpool_limits

    tsne = TSNE(
        n_components=2,
        perplexity=tsne_perplexity(x.shape[0], perplexity),
        init="pca" if x.shape[1] >= 2 else "random",
        learning_rate="auto",
        random_state=seed,
    )
    with threadpool_limits(limits=1, user_api="openmp"):
        coords = tsne.fit_transform(x)
    assert coords.shape == (x.shape[0], 2)
    return coords.astype(np.float64)
