"""Turn the files of a metadata table into log-mel tensors.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor
from tqdm.auto import tqdm

from serlib.data.audio import load_audio
from serlib.errors import AudioDecodeError, UndecodableFilesError
from serlib.features.mel import LogMel
from serlib.features.mel_config import MelConfig

__all__ = ["extract_log_mels"]


@torch.no_grad()
def extract_log_mels(table: pd.DataFrame, config: MelConfig, *,
                     progress: bool = True) -> list[Tensor]:
    """Log-mel spectrogram of every file of ``table`` (in row order), computed every time.

    :func:`~serlib.features.cached_log_mels` returns the same tensors and computes each
    only once (on disk, keyed by file content and configuration).

    Args:
        table: a metadata table with a ``path`` column.
        config: the front-end; audio is resampled to ``config.sample_rate``.
        progress: show a progress bar.

    Returns:
        One float32 tensor per row.

    Shape:
        each returned tensor: (1, n_mels, frames), frames = 1 + num_samples // hop_length.

    Raises:
        UndecodableFilesError: listing *all* the files that cannot be decoded (after trying
            every file), so that a caller can drop them at once.

    Chapter: book/03_log_mel.md
    """
    front_end = LogMel(config)
    paths = list(table["path"])
    feats, failures = [], []
    for path in tqdm(paths, desc="log-mel", disable=not progress, leave=False):
        try:
            wave = torch.from_numpy(load_audio(path, sample_rate=config.sample_rate))
        except AudioDecodeError as err:
            failures.append((str(path), str(err)))
            continue
        feats.append(front_end(wave[None])[0])  # (1, n_mels, frames)
    if failures:
        raise UndecodableFilesError(failures, total=len(paths))
    return feats
