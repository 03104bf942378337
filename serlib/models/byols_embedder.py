"""Frozen BYOL-S utterance embeddings with a frame-level domain correction (the cpu profile).

What the cpu profile's classifier reads, for one utterance of a group (a speaker during
training, a whole target domain in a bundle):

.. math::

    z_t = \\frac{h_t - \\mu_g}{\\sigma_g}\\,\\sigma_{src} + \\mu_{src},\\qquad
    f_t = \\mathrm{ReLU}(W_1 z_t + b_1),\\qquad
    e = [\\mathrm{mean}_t\\, f_t ;\\ \\mathrm{std}_t\\, f_t]

where :math:`h_t` are the frozen conv trunk's frame features (512 per frame for d512),
:math:`\\mu_g, \\sigma_g` their per-channel mean and standard deviation over the group's
frames (no labels used), :math:`\\mu_{src}, \\sigma_{src}` those of the source training
utterances, and :math:`W_1, b_1` BYOL-S's first ``fc`` layer (frozen). The correction moves
every group's frames onto the statistics the neck saw in the source language, a frame-level
version of the speaker normalisation of Agarla et al.'s baselines; mean and standard
deviation pooling keeps how much the frames vary, which carries arousal. ``e`` has
``2 d`` numbers (1024 for d512).

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from serlib.models.byols import BYOLSEncoder
from serlib.models.pooling import frame_mask

__all__ = ["BYOLSEmbedder", "frame_affine", "mean_std_pool"]

_EPS = 1e-3  # added to frame standard deviations (trunk channels can be nearly constant)


def frame_affine(h: Tensor, mean: Tensor, std: Tensor, source_mean: Tensor,
                 source_std: Tensor) -> Tensor:
    """Frames standardised by their group's statistics, mapped onto the source's.

    Shape:
        h: (..., channels); the statistics: (channels,); returns h's shape.
    """
    return (h - mean) / (std + _EPS) * (source_std + _EPS) + source_mean


def mean_std_pool(z: Tensor, lengths: Tensor | None = None) -> Tensor:
    """Mean and standard deviation over the valid frames, concatenated.

    Shape:
        z: (batch, frames, d); lengths: (batch,) valid frames or None; returns (batch, 2 d).
    """
    if lengths is None:
        lengths = torch.full((z.shape[0],), z.shape[1], device=z.device)
    mask = frame_mask(lengths, z.shape[1]).unsqueeze(-1).to(z.dtype)  # (batch, frames, 1)
    n = mask.sum(dim=1).clamp(min=1)  # (batch, 1)
    mean = (z * mask).sum(dim=1) / n  # (batch, d)
    var = ((z - mean[:, None]) ** 2 * mask).sum(dim=1) / n  # (batch, d)
    return torch.cat([mean, var.clamp(min=0).sqrt()], dim=1)  # (batch, 2 d)


class BYOLSEmbedder(nn.Module):
    """Log-mels → frozen trunk → frame correction → ``fc[0:2]`` → mean+std pooling.

    The group statistics (buffers ``frame_mean``/``frame_std``) are those of one domain: a
    bundle meets recordings one at a time and cannot know their speaker's other
    utterances. Training uses each speaker's own statistics (see
    :class:`~serlib.experiments.backbones.byols_embed.ByolsEmbedBackbone`).

    Args:
        encoder: a BYOL-S encoder (its trunk and first ``fc`` layer are used, frozen).

    Shape:
        x: (batch, 1, n_mels, frames) utterance-standardised log-mels; lengths: (batch,)
        or None; returns (batch, 1, 2 d, 1): one view (what
        :class:`~serlib.models.EmbeddingClassifier` reads).
    """

    def __init__(self, encoder: BYOLSEncoder) -> None:
        super().__init__()
        self.encoder = encoder.eval()
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        c = encoder.trunk_dim
        for name, value in (("frame_mean", 0.0), ("frame_std", 1.0), ("source_mean", 0.0),
                            ("source_std", 1.0)):
            self.register_buffer(name, torch.full((c,), value))
        self.dim = 2 * encoder.d

    def train(self, mode: bool = True) -> BYOLSEmbedder:
        super().train(mode)
        self.encoder.eval()  # frozen: BatchNorm and Dropout stay in inference mode
        return self

    def set_statistics(self, frame_mean: Tensor, frame_std: Tensor, source_mean: Tensor,
                       source_std: Tensor) -> None:
        """Set the group's and the source's per-channel frame statistics.

        Shape:
            each: (trunk_dim,).
        """
        for name, value in (("frame_mean", frame_mean), ("frame_std", frame_std),
                            ("source_mean", source_mean), ("source_std", source_std)):
            getattr(self, name).copy_(torch.as_tensor(value, dtype=torch.float32))

    def neck(self, h: Tensor, mean: Tensor, std: Tensor) -> Tensor:
        """Corrected frames through BYOL-S's first ``fc`` layer and its ReLU.

        Shape:
            h: (..., trunk_dim); returns (..., d).
        """
        z = frame_affine(h, mean, std, self.source_mean, self.source_std)
        return self.encoder.fc[1](self.encoder.fc[0](z))

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            h = self.encoder.forward_trunk(x, lengths)  # (batch, frames/8, trunk_dim)
            valid = None if lengths is None else self.encoder.trunk_lengths(lengths)
            f = self.neck(h, self.frame_mean, self.frame_std)  # (batch, frames/8, d)
            e = mean_std_pool(f, valid)  # (batch, 2 d)
        return e[:, None, :, None]  # (batch, 2 d) -> (batch, 1, 2 d, 1)
