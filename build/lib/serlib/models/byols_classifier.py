"""BYOL-S classifiers: the encoder plus a linear head (Agarla et al., 2024, Sec. 3).

Agarla et al. map BYOL-S's utterance embedding to C emotions with one linear layer and
fine-tune the whole network. :class:`BYOLSClassifier` offers that and two cheaper modes:

- ``freeze=False``: fine-tune everything (the paper; a GPU);
- ``freeze="trunk"``: keep the conv trunk fixed (weights and batch-norm statistics) and
  train the ``fc`` neck and the head;
- ``freeze=True``: a linear probe on fixed embeddings.

:class:`BYOLSNeckClassifier` is the ``"trunk"`` mode on **cached** trunk features
(:func:`~serlib.features.cached_trunk_features`): the trunk never runs during training, which
makes the semi-supervised chapters fit on a CPU. Its input is what
:func:`~serlib.features.pad_collate` makes of those features: (batch, 1, 512, trunk frames)
with ``lengths`` in trunk frames. It shares the encoder's ``fc`` module, so after training
:meth:`BYOLSNeckClassifier.on_log_mels` gives the same model on log-mels.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from serlib.models.byols import BYOLSEncoder

__all__ = ["FREEZE_MODES", "BYOLSClassifier", "BYOLSNeckClassifier"]

FREEZE_MODES = (False, "trunk", True)


def _freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


class BYOLSClassifier(nn.Module):
    """BYOL-S encoder + linear head, fine-tuned, partly frozen or frozen.

    Args:
        encoder: a (pre-trained) :class:`~serlib.models.BYOLSEncoder`.
        num_classes: number of emotions.
        freeze: ``False`` (train all), ``"trunk"`` (freeze the convs) or ``True`` (freeze
            the whole encoder: a linear probe). Frozen parts stay in eval mode.

    Shape:
        x: (batch, 1, n_mels, frames) standardised log-mels; lengths: (batch,) valid frames
        or None. :meth:`forward_features` returns (batch, d); :meth:`forward` returns
        (batch, num_classes).

    Chapter: book/04_source_models.md
    """

    def __init__(self, encoder: BYOLSEncoder, num_classes: int, *,
                 freeze: bool | str = False) -> None:
        super().__init__()
        if freeze not in FREEZE_MODES:
            raise ValueError(f"freeze={freeze!r}: use False, 'trunk' or True")
        self.encoder = encoder
        self.head = nn.Linear(encoder.d, num_classes)
        self.feature_dim = encoder.d  # the size of forward_features' output
        self.freeze = freeze
        if freeze is True:
            _freeze(encoder)
        elif freeze == "trunk":
            _freeze(encoder.features)
        self.train()

    def train(self, mode: bool = True) -> BYOLSClassifier:
        super().train(mode)
        if self.freeze is True:
            self.encoder.eval()
        elif self.freeze == "trunk":
            self.encoder.features.eval()  # batch-norm statistics stay the pre-trained ones
        return self

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Utterance embeddings (the layer MMD aligns and t-SNE shows)."""
        if self.freeze is True:
            with torch.no_grad():
                return self.encoder(x, lengths)  # (batch, d)
        if self.freeze == "trunk":
            with torch.no_grad():
                h = self.encoder.forward_trunk(x, lengths)  # (batch, frames/8, 512)
            trunk_lengths = None if lengths is None else self.encoder.trunk_lengths(lengths)
            return self.encoder.forward_neck(h, trunk_lengths)  # (batch, d)
        return self.encoder(x, lengths)  # (batch, d)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))


class BYOLSNeckClassifier(nn.Module):
    """The ``fc`` neck of a BYOL-S encoder + linear head, on cached trunk features.

    Args:
        encoder: the encoder whose trunk produced the cached features; its ``fc`` module is
            trained in place, its trunk is frozen (and never run).
        num_classes: number of emotions.
        freeze_neck: also freeze ``fc`` (a linear probe on the embeddings).

    Shape:
        x: (batch, 1, 512, trunk_frames) padded trunk features (what
        :func:`~serlib.features.pad_collate` makes of ``cached_trunk_features``); lengths:
        (batch,) valid trunk frames or None. :meth:`forward_features` returns (batch, d);
        :meth:`forward` returns (batch, num_classes).

    Chapter: book/04_source_models.md
    """

    def __init__(self, encoder: BYOLSEncoder, num_classes: int, *,
                 freeze_neck: bool = False) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.d, num_classes)
        self.feature_dim = encoder.d  # the size of forward_features' output
        self.freeze_neck = freeze_neck
        _freeze(encoder.features)
        if freeze_neck:
            _freeze(encoder.fc)
        self.train()

    def train(self, mode: bool = True) -> BYOLSNeckClassifier:
        super().train(mode)
        self.encoder.features.eval()
        if self.freeze_neck:
            self.encoder.fc.eval()
        return self

    def forward_features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Utterance embeddings from trunk features."""
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != self.encoder.trunk_dim:
            raise ValueError(f"expected trunk features (batch, 1, {self.encoder.trunk_dim}, "
                             f"frames), got {tuple(x.shape)}")
        h = x[:, 0].transpose(1, 2)  # (batch, 1, 512, frames) -> (batch, frames, 512)
        return self.encoder.forward_neck(h, lengths)  # (batch, d)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.forward_features(x, lengths))

    def on_log_mels(self) -> BYOLSClassifier:
        """The same weights as a :class:`BYOLSClassifier` that reads log-mels (shares them)."""
        model = BYOLSClassifier(self.encoder, self.head.out_features, freeze="trunk")
        model.head = self.head
        return model.train(self.training)
