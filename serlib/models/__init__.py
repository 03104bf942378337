"""Models: every one has ``forward_features(x, lengths)`` (the layer adaptation works on),
``head`` (the classifier) and ``forward(x, lengths) -> logits``.

Chapter: book/04_source_models.md
"""

from serlib.models.pooling import frame_mask, masked_mean_max
from serlib.models.small_cnn import SmallCNN

__all__ = ["SmallCNN", "frame_mask", "masked_mean_max"]
