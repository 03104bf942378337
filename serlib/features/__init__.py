"""Front-ends: log-mel spectrograms (librosa reference + batched torch), mel images, crops,
padded batches, normalisation statistics, and on-disk feature and embedding caches.

Chapter: book/03_log_mel.md
"""

from serlib.features.batching import (
    EVAL_BATCH,
    UNLABELLED,
    Batch,
    CropCollate,
    Gathered,
    UtteranceDataset,
    eval_loader,
    make_loader,
    pad_collate,
)
from serlib.features.cache import FEATURE_VERSION, cached_log_mels, default_cache_dir
from serlib.features.crops import crop_frames, random_crop
from serlib.features.datasets import split_datasets, table_dataset
from serlib.features.embed_cache import (
    cached_embeddings,
    cached_trunk_features,
    module_fingerprint,
)
from serlib.features.extract import extract_log_mels
from serlib.features.images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VGG_IMAGE_SIZES,
    MelImage,
    compute_mel_image,
    mel_to_image,
)
from serlib.features.mel import LogMel, compute_log_mel, mel_filterbank, num_frames
from serlib.features.mel_config import MEL_PRESETS, MelConfig, load_mel_config, mel_preset
from serlib.features.mel_stats import mel_statistics
from serlib.features.normalize import (
    NORM_MODES,
    NORMALIZATIONS,
    NormStats,
    apply_norm_stats,
    compute_norm_stats,
    fit_mode_stats,
    fit_norm_stats,
    group_keys,
    normalize_embeddings,
    normalize_features,
)

__all__ = [
    "EVAL_BATCH",
    "FEATURE_VERSION",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MEL_PRESETS",
    "NORMALIZATIONS",
    "NORM_MODES",
    "UNLABELLED",
    "VGG_IMAGE_SIZES",
    "Batch",
    "CropCollate",
    "Gathered",
    "LogMel",
    "MelConfig",
    "MelImage",
    "NormStats",
    "UtteranceDataset",
    "apply_norm_stats",
    "cached_embeddings",
    "cached_log_mels",
    "cached_trunk_features",
    "compute_log_mel",
    "compute_mel_image",
    "compute_norm_stats",
    "crop_frames",
    "default_cache_dir",
    "eval_loader",
    "extract_log_mels",
    "fit_mode_stats",
    "fit_norm_stats",
    "group_keys",
    "load_mel_config",
    "make_loader",
    "mel_filterbank",
    "mel_preset",
    "mel_statistics",
    "mel_to_image",
    "module_fingerprint",
    "normalize_embeddings",
    "normalize_features",
    "num_frames",
    "pad_collate",
    "random_crop",
    "split_datasets",
    "table_dataset",
]
