"""A bundle's predictions on a user's own recordings (``serlib predict``).

Each recording is read whole with the bundle's front-end and normalisation
(:func:`~serlib.experiments.bundles.recording_log_mels`); with ``calibrate=True`` the
bundle's statistics are first re-estimated on the recordings themselves
(:mod:`serlib.experiments.calibration`).

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from serlib.errors import NonFiniteError
from serlib.experiments.bundles import ModelBundle, recording_log_mels
from serlib.experiments.calibration import calibrated_bundle
from serlib.features import LogMel

__all__ = ["predict_recordings"]


def predict_recordings(bundle: ModelBundle, paths: Iterable[str | os.PathLike[str]], *,
                       calibrate: bool = False) -> pd.DataFrame:
    """Class probabilities of each recording (whole utterance, the training front-end).

    Args:
        bundle: a loaded model bundle (:func:`load_model_bundle`).
        paths: audio files (any format libsndfile reads; resampled as needed).
        calibrate: first re-estimate the bundle's statistics on these recordings
            (:func:`serlib.experiments.calibration.calibrated_bundle`: at least 10 of one
            speaker or corpus, no labels), as training did for every speaker.

    Returns:
        One row per file: ``file``, ``prediction`` and one probability column per class,
        in the bundle's label order.

    Raises:
        RecordingNotFoundError: a file does not exist.
        AudioDecodeError: a file cannot be decoded, is silent or too short (names it).

    Warns:
        UserWarning: the model was trained on the synthetic corpus (its predictions on
            real speech mean nothing).

    Chapter: book/11_your_language.md
    """
    if bundle.metadata.get("data") == "synthetic":
        warnings.warn("this model was trained on serlib's synthetic corpus (the smoke "
                      "profile): its predictions on real recordings mean nothing; use a "
                      "bundle trained on real corpora (the cpu or full profile)", stacklevel=2)
    paths = [Path(p) for p in paths]
    if calibrate:
        bundle = calibrated_bundle(bundle, paths)
    front_end = LogMel(bundle.mel_config)
    with torch.no_grad():
        rows = [_predict_file(bundle, front_end, path) for path in paths]
    return pd.DataFrame(rows)


def _predict_file(bundle: ModelBundle, front_end: LogMel, path: Path) -> dict[str, Any]:
    """One row of :func:`predict_recordings`."""
    x = recording_log_mels(bundle, front_end, path)  # (1, 1, n_mels, frames)
    frames = x.shape[-1]
    x = torch.nn.functional.pad(x, (0, -frames % 8))  # models pool time by 8
    logits = bundle.model(x, torch.tensor([frames])).float()
    if not bool(torch.isfinite(logits).all()):
        raise NonFiniteError(f"model bundle {bundle.path or '(in memory)'} gave non-finite "
                             f"outputs for {path}: its weights are broken; retrain it")
    probs = logits.softmax(dim=1)[0]
    return {"file": str(path), "prediction": bundle.labels[int(probs.argmax())],
            **{label: float(p) for label, p in zip(bundle.labels, probs, strict=True)}}
