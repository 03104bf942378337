"""Front-ends: log-mel spectrograms, padded batches, feature extraction.

Chapter: book/03_log_mel.md
"""

from serlib.features.batching import UNLABELLED, Batch, UtteranceDataset, make_loader, pad_collate
from serlib.features.extract import extract_log_mels
from serlib.features.mel import LogMel, MelConfig, compute_log_mel, mel_filterbank, mel_preset

__all__ = [
    "UNLABELLED",
    "Batch",
    "LogMel",
    "MelConfig",
    "UtteranceDataset",
    "compute_log_mel",
    "extract_log_mels",
    "make_loader",
    "mel_filterbank",
    "mel_preset",
    "pad_collate",
]
