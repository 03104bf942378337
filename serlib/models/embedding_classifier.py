"""A classifier on fixed utterance embeddings: a trainable projection and a linear head.

With a frozen encoder whose embeddings are cached (BYOL-S in the cpu profile, log-mel
statistics in the smoke profile), what trains is small: a projection ``Linear + ReLU`` —
the layer the adaptation methods act on (MMD aligns its outputs, DANN's discriminator reads
them) — and a linear head. A run then takes seconds on a CPU.

An input is one embedding per *view* of the utterance: ``(1, dim, views)``, e.g. the
embeddings of K random 2 s crops, or ``views = 1`` for the whole utterance. A training
loader with random crops of one frame picks one view per step (crop augmentation that
survives caching); evaluation averages every view of an utterance (test-time averaging).

Chapter: book/04_source_models.md
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from serlib.features.mel_stats import mel_statistics
from serlib.models.pooling import frame_mask

__all__ = ["ACTIVATIONS", "EmbeddingClassifier", "FrozenFrontClassifier", "MelStatsEncoder"]

#: ``activation`` values of :class:`EmbeddingClassifier`'s projection
ACTIVATIONS = ("relu", "none")


class EmbeddingClassifier(nn.Module):
    """Projection + linear head on cached utterance embeddings.

    Args:
        in_dim: size of an embedding.
        num_classes: number of emotions.
        hidden: size of the projection (the features adaptation works on); 0: no projection,
            a linear probe whose features are the (fixed) embeddings themselves.
        dropout: dropout before the head.
        activation: ``"relu"``: the projection is ``Linear + ReLU``; ``"none"``: ``Linear``
            only, a low-rank linear classifier overall whose ``hidden``-d layer is still a
            trainable feature layer for MMD and DANN (the cpu profile's choice: on
            standardised BYOL-S embeddings it generalises across languages better).

    Shape:
        x: (batch, 1, in_dim, views) padded; lengths: (batch,) valid views or None.
        :meth:`forward_features` returns (batch, hidden or in_dim); :meth:`forward` returns
        (batch, num_classes).

    Chapter: book/04_source_models.md
    """

    def __init__(self, in_dim: int, num_classes: int, *, hidden: int = 256,
                 dropout: float = 0.3, activation: str = "relu") -> None:
        super().__init__()
        if in_dim < 1 or hidden < 0:
            raise ValueError(f"in_dim={in_dim}, hidden={hidden}: need in_dim >= 1, hidden >= 0")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r}: use one of {list(ACTIVATIONS)}")
        self.in_dim, self.hidden, self.activation = in_dim, hidden, activation
        layers: list[nn.Module] = [nn.Linear(in_dim, hidden)] if hidden else [nn.Identity()]
        if hidden and activation == "relu":
            layers.append(nn.ReLU())
        self.proj = nn.Sequential(*layers)
        self.feature_dim = hidden or in_dim  # the size of forward_features' output
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_dim, num_classes))

    def pool(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The mean embedding over an utterance's valid views.

        Shape:
            x: (batch, 1, in_dim, views); returns (batch, in_dim).
        """
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != self.in_dim:
            raise ValueError(f"expected embeddings (batch, 1, {self.in_dim}, views), got "
                             f"{tuple(x.shape)}")
        v = x[:, 0]  # (batch, 1, in_dim, views) -> (batch, in_dim, views)
        if v.shape[-1] == 1:  # one view each (every length counts as >= 1): the view itself
            return v[..., 0]
        if lengths is None:
            return v.mean(dim=-1)
        mask = frame_mask(lengths, v.shape[-1]).unsqueeze(1)  # (batch, 1, views)
        return (v * mask).sum(dim=-1) / mask.sum(dim=-1).clamp(min=1)  # (batch, in_dim)

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The projected embeddings (the layer MMD aligns and t-SNE shows)."""
        return self.proj(self.pool(x, lengths))  # (batch, feature_dim)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, hidden={self.hidden}, activation={self.activation}"


class MelStatsEncoder(nn.Module):
    """:func:`~serlib.features.mel_statistics` of a padded batch of log-mels.

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,) valid frames or None; returns
        (batch, 1, 4 * n_mels, 1): one view per utterance (what EmbeddingClassifier reads).
    """

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        frames = [x.shape[-1]] * len(x) if lengths is None else lengths.tolist()
        stats = [mel_statistics(x[i, :, :, : int(n)]) for i, n in enumerate(frames)]
        return torch.stack(stats)[:, None, :, None]  # (batch, 4n) -> (batch, 1, 4n, 1)


class FrozenFrontClassifier(nn.Module):
    """A frozen front-end, a fixed standardisation and an :class:`EmbeddingClassifier`:
    the model a bundle holds when training ran on cached embeddings (it reads log-mels).

    Args:
        front: log-mels → embeddings ``(batch, 1, dim, 1)`` (e.g. :class:`MelStatsEncoder`,
            or a BYOL-S embedder); frozen, in eval mode.
        classifier: the trained classifier.
        mean: per-dimension mean of the standardisation (None: none).
        std: per-dimension standard deviation.

    Shape:
        x: (batch, 1, n_mels, frames); returns features (batch, feature_dim) and logits
        (batch, num_classes).
    """

    def __init__(self, front: nn.Module, classifier: EmbeddingClassifier, *,
                 mean: Sequence[float] | None = None, std: Sequence[float] | None = None
                 ) -> None:
        super().__init__()
        self.front, self.classifier = front.eval(), classifier
        for p in self.front.parameters():
            p.requires_grad_(False)
        dim = classifier.in_dim
        self.register_buffer("mean", torch.zeros(dim) if mean is None else
                             torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.ones(dim) if std is None else
                             torch.as_tensor(std, dtype=torch.float32))
        self.head = classifier.head
        self.feature_dim = classifier.feature_dim

    def train(self, mode: bool = True) -> FrozenFrontClassifier:
        super().train(mode)
        self.front.eval()
        return self

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            e = self.front(x, lengths)  # (batch, 1, dim, 1)
        e = (e - self.mean[:, None]) / self.std[:, None]
        return self.classifier.forward_features(e)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))
