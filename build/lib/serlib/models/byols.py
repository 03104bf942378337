"""The BYOL-S encoder (AudioNTT2020 architecture), re-implemented from its description.

BYOL-S (Scheidwasser-Clow et al., 2022, SERAB; Elbanna et al., 2022) is BYOL for Audio
(Niizumi et al., 2021) pre-trained on the speech part of AudioSet. Its encoder, the
"AudioNTT2020" network, is small (about 600k parameters for d = 512):

- a **trunk** of three blocks Conv2d(3x3, 64 channels, padding 1) + BatchNorm2d + ReLU +
  MaxPool2d(2), which turns a log-mel (batch, 1, 64, T) into (batch, 64, 8, T/8);
- a reshape to one 512-dimensional vector per trunk frame, (batch, T/8, 8 * 64), ordered
  mel-bin major, channel minor (the order of the published weights);
- a **neck** ``fc``: Linear(512, d) + ReLU + Dropout(0.3) + Linear(d, d) + ReLU;
- the utterance embedding: mean over time plus max over time (d values).

Parameter names follow the published checkpoints (``features.{0,1,4,5,8,9}.*``,
``fc.{0,3}.*``) so that they load with no missing or unexpected key
(:func:`~serlib.models.byols_checkpoints.load_byols_encoder`). This code is written from the
architecture's description, not copied from BYOL-A (whose licence allows evaluation only).

Padding: with ``lengths``, the trunk zeroes the padded frames of its input and between its
blocks, so a padded utterance gives exactly the features it gives alone (in eval mode), and
the pooling uses the valid trunk frames only.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from serlib.models.pooling import frame_mask, masked_mean_max

__all__ = ["BYOLS_DIMS", "BYOLSEncoder"]

#: embedding sizes of the published BYOL-S AudioNTT checkpoints
BYOLS_DIMS = (512, 1024, 2048)
_CHANNELS = 64
_BLOCKS = 3


class BYOLSEncoder(nn.Module):
    """AudioNTT2020: conv trunk + two-layer neck + mean/max pooling over valid frames.

    Args:
        d: embedding size (the published checkpoints: 512, 1024 or 2048).
        n_mels: mel bands of the input (64 for the published checkpoints; a multiple of 8).
        dropout: dropout between the two linear layers of the neck.

    Shape:
        x: (batch, 1, n_mels, frames); lengths: (batch,) valid frames or None.
        :meth:`forward_trunk` returns (batch, frames // 8, 64 * n_mels // 8);
        :meth:`forward_neck` and :meth:`forward` return (batch, d).

    Chapter: book/04_source_models.md
    """

    def __init__(self, d: int = 512, *, n_mels: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        if d < 1 or n_mels < 8 or n_mels % 8:
            raise ValueError(f"need d >= 1 and n_mels a multiple of 8, got d={d}, n_mels={n_mels}")
        layers: list[nn.Module] = []
        for block in range(_BLOCKS):
            layers += [nn.Conv2d(1 if block == 0 else _CHANNELS, _CHANNELS, 3, padding=1),
                       nn.BatchNorm2d(_CHANNELS), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)  # indices 0,1 / 4,5 / 8,9 hold weights
        self.trunk_dim = _CHANNELS * (n_mels // 8)
        self.fc = nn.Sequential(nn.Linear(self.trunk_dim, d), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(d, d), nn.ReLU())
        self.d = d
        self.n_mels = n_mels

    @staticmethod
    def trunk_lengths(lengths: Tensor) -> Tensor:
        """Valid trunk frames of inputs with ``lengths`` valid frames (at least 1)."""
        return (lengths // 2**_BLOCKS).clamp(min=1)

    def forward_trunk(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Frame features of the conv trunk (the part a CPU profile freezes and caches).

        Shape:
            x: (batch, 1, n_mels, frames); returns (batch, frames // 8, 64 * n_mels // 8).
        """
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ValueError(f"expected log-mels (batch, 1, {self.n_mels}, frames), got "
                             f"{tuple(x.shape)}")
        if x.shape[-1] < 2**_BLOCKS:
            x = F.pad(x, (0, 2**_BLOCKS - x.shape[-1]))  # too short to pool 3 times
        h = x
        for block in range(_BLOCKS):
            if lengths is not None:  # zero the padding, as an utterance alone would see it
                # (an utterance shorter than 8 frames is zero-padded to 8 when alone)
                valid = lengths if block == 0 else lengths.clamp(min=2**_BLOCKS) // 2**block
                mask = frame_mask(valid, h.shape[-1])  # (batch, frames / 2^block)
                h = h * mask[:, None, None, :].to(h.dtype)
            h = self.features[4 * block : 4 * block + 4](h)  # (batch, 64, mels/2^k, T/2^k)
        b, c, f, t = h.shape  # (batch, 64, n_mels/8, frames/8)
        h = h.permute(0, 3, 2, 1).reshape(b, t, f * c)  # (batch, frames/8, n_mels/8 * 64)
        assert h.shape == (b, t, self.trunk_dim), h.shape
        return h

    def forward_neck(self, h: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The ``fc`` layers and mean + max pooling over valid trunk frames.

        Args:
            h: trunk features (:meth:`forward_trunk`).
            lengths: valid **trunk** frames per item (:meth:`trunk_lengths`), or None.

        Shape:
            h: (batch, trunk_frames, 64 * n_mels // 8); returns (batch, d).
        """
        z = self.fc(h)  # (batch, trunk_frames, d)
        out = masked_mean_max(z, lengths)  # (batch, d)
        assert out.ndim == 2 and out.shape[1] == self.d, out.shape
        return out

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Utterance embeddings.

        Shape:
            x: (batch, 1, n_mels, frames); lengths: (batch,) valid frames or None;
            returns (batch, d).
        """
        h = self.forward_trunk(x, lengths)
        return self.forward_neck(h, None if lengths is None else self.trunk_lengths(lengths))

    def extra_repr(self) -> str:
        return f"d={self.d}, n_mels={self.n_mels}"
