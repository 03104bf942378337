"""Models: every one has ``forward_features(x, lengths)`` (the layer adaptation works on),
``head`` (the classifier) and ``forward(x, lengths) -> logits``.

- :class:`SmallCNN`: a small CNN on log-mels, trained from scratch.
- :class:`EmbeddingClassifier`: projection + head on cached embeddings (the smoke and cpu
  profiles train it), :class:`FrozenFrontClassifier` the same behind a frozen front-end;
  :class:`BYOLSEmbedder` the cpu profile's front-end (frozen BYOL-S, mean + std pooling).
- :class:`VGG16Mel`: torchvision's VGG16 on log-mel images (Baklouti et al., 2024).
- :class:`BYOLSEncoder` with :class:`BYOLSClassifier` (log-mels in) or
  :class:`BYOLSNeckClassifier` (cached trunk features in): BYOL-S (Agarla et al., 2024),
  loaded from the published checkpoints with :func:`load_byols_encoder`.

Chapter: book/04_source_models.md
"""

from serlib.models.byols import BYOLS_DIMS, BYOLSEncoder
from serlib.models.byols_checkpoints import (
    BYOLS_CHECKPOINTS,
    BYOLS_ENV,
    DEFAULT_BYOLS_CHECKPOINT,
    PAPER_BYOLS_CHECKPOINT,
    ByolsCheckpoint,
    fetch_byols_checkpoint,
    load_byols_encoder,
    load_byols_state,
)
from serlib.models.byols_classifier import FREEZE_MODES, BYOLSClassifier, BYOLSNeckClassifier
from serlib.models.byols_embedder import BYOLSEmbedder, frame_affine, mean_std_pool
from serlib.models.embedding_classifier import (
    EmbeddingClassifier,
    FrozenFrontClassifier,
    MelStatsEncoder,
)
from serlib.models.pooling import frame_mask, masked_mean_max
from serlib.models.small_cnn import SmallCNN
from serlib.models.vgg import VGG16_URL, VGG_LAYERS, VGG16Mel, load_vgg16_imagenet

__all__ = [
    "BYOLS_CHECKPOINTS",
    "BYOLS_DIMS",
    "BYOLS_ENV",
    "DEFAULT_BYOLS_CHECKPOINT",
    "FREEZE_MODES",
    "PAPER_BYOLS_CHECKPOINT",
    "VGG16_URL",
    "VGG_LAYERS",
    "BYOLSClassifier",
    "BYOLSEmbedder",
    "BYOLSEncoder",
    "BYOLSNeckClassifier",
    "ByolsCheckpoint",
    "EmbeddingClassifier",
    "FrozenFrontClassifier",
    "MelStatsEncoder",
    "SmallCNN",
    "VGG16Mel",
    "fetch_byols_checkpoint",
    "frame_affine",
    "frame_mask",
    "load_byols_encoder",
    "load_byols_state",
    "load_vgg16_imagenet",
    "masked_mean_max",
    "mean_std_pool",
]
