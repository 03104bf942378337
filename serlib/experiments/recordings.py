"""Emotion probabilities for a user's own recordings with a saved model bundle.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from serlib.adapt.bundle import ModelBundle
from serlib.data.audio import load_audio
from serlib.errors import RecordingNotFoundError
from serlib.features import LogMel, NormStats, apply_norm_stats

__all__ = ["RecordingNotFoundError", "normalise", "predict_recordings"]  # error: serlib.errors


def normalise(x: Tensor, norm_stats: dict[str, Any] | None) -> Tensor:
    """Apply a bundle's normalisation statistics to log-mels (None: unchanged).

    Statistics are ``NormStats.to_dict()`` of the training data, as saved in the bundle.

    Shape:
        x: (batch, 1, n_mels, frames); returns the same shape.
    """
    if not norm_stats:
        return x
    return apply_norm_stats(x, NormStats.from_dict(norm_stats))  # type: ignore[return-value]


@torch.no_grad()
def predict_recordings(bundle: ModelBundle, paths: Iterable[str | os.PathLike[str]]
                       ) -> pd.DataFrame:
    """Class probabilities of each recording (whole utterance, the training front-end).

    Args:
        bundle: a loaded model bundle (``serlib.adapt.load_model_bundle``).
        paths: audio files (any format libsndfile reads; resampled as needed).

    Returns:
        One row per file: ``file``, ``prediction`` and one probability column per class,
        in the bundle's label order.

    Raises:
        RecordingNotFoundError: a file does not exist.
        AudioDecodeError: a file cannot be decoded, is silent or too short (names it).
    """
    front_end = LogMel(bundle.mel_config)
    rows = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise RecordingNotFoundError(f"{path}: no such recording; check the path")
        wave = torch.from_numpy(load_audio(path, sample_rate=bundle.mel_config.sample_rate))
        x = normalise(front_end(wave[None]), bundle.norm_stats)  # (1, 1, n_mels, frames)
        frames = x.shape[-1]
        x = torch.nn.functional.pad(x, (0, -frames % 8))  # models pool time by 8
        probs = bundle.model(x, torch.tensor([frames])).float().softmax(dim=1)[0]
        rows.append({"file": str(path), "prediction": bundle.labels[int(probs.argmax())],
                     **{label: float(p) for label, p in zip(bundle.labels, probs, strict=True)}})
    return pd.DataFrame(rows)
