"""A small CNN on log-mel spectrograms: the smoke-profile model of the book.

Three convolution blocks (3x3 conv, batch norm, ReLU, 2x2 max pool) shrink a log-mel
spectrogram by 8 in frequency and time; the remaining frequency bins and channels are
flattened per frame, projected to an embedding, pooled over valid frames (mean + max, the
pooling of BYOL-S) and classified by a linear head. About 60k parameters for 64 mel bands:
it trains on a CPU in seconds, and has the same interface as the paper-scale backbones
(:meth:`forward_features` for the layer that adaptation losses and t-SNE use, ``head`` for
the classifier).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from torch import Tensor, nn

from serlib.models.pooling import masked_mean_max

__all__ = ["SmallCNN"]


class SmallCNN(nn.Module):
    """Conv blocks + per-frame projection + masked mean/max pooling + linear head.

    Args:
        num_classes: number of emotions.
        n_mels: mel bands of the input (a multiple of 8).
        channels: output channels of the three conv blocks.
        embed_dim: size of the utterance embedding (the features for MMD and t-SNE).
        dropout: dropout before the head.

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,) valid frames or None.
        :meth:`forward_features` returns (batch, embed_dim); :meth:`forward` returns logits
        (batch, num_classes).
    """

    def __init__(self, num_classes: int, *, n_mels: int = 64,
                 channels: tuple[int, int, int] = (16, 32, 64), embed_dim: int = 64,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if n_mels % 8:
            raise ValueError(f"n_mels={n_mels} must be a multiple of 8 (three 2x2 poolings)")
        blocks: list[nn.Module] = []
        in_ch = 1
        for out_ch in channels:
            blocks += [nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch),
                       nn.ReLU(), nn.MaxPool2d(2)]
            in_ch = out_ch
        self.conv = nn.Sequential(*blocks)
        self.project = nn.Sequential(nn.Linear(in_ch * (n_mels // 8), embed_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed_dim, num_classes))
        self.embed_dim = embed_dim
        self.feature_dim = embed_dim  # the size of forward_features' output

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Utterance embeddings (the layer that MMD aligns and t-SNE shows)."""
        h = self.conv(x)  # (batch, channels, n_mels/8, frames/8)
        b, c, f, t = h.shape
        h = h.permute(0, 3, 1, 2).reshape(b, t, c * f)  # (batch, frames/8, channels*n_mels/8)
        h = self.project(h)  # (batch, frames/8, embed_dim)
        pooled_lengths = None if lengths is None else lengths // 8
        return masked_mean_max(h, pooled_lengths)  # (batch, embed_dim)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))
