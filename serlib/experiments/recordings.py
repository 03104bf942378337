"""A bundle's predictions on a user's own recordings (``serlib predict``).

Each recording is read with the bundle's front-end and normalisation
(:func:`~serlib.experiments.bundles.recording_windows`); with ``calibrate=True`` the
bundle's statistics are first re-estimated on the recordings themselves
(:mod:`serlib.experiments.calibration`).

Memory stays bounded whatever the recording: its length is checked from the header before
decoding (:func:`serlib.data.load_audio`: at most ``$SERLIB_MAX_DURATION`` or 10 minutes), and
a recording longer than :data:`WINDOW_SECONDS` goes through the front-end and the model in
consecutive windows of that length of audio, whose class probabilities are averaged,
weighted by their length (the models were trained on utterances of a few seconds). Inputs
are built on the device of the bundle's model (a bundle moved to a GPU predicts there). A
bundle whose label list does not match its model's outputs (a hand-edited bundle) is a
:class:`~serlib.errors.CheckpointError`, not an ``IndexError``.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from serlib.errors import CheckpointError, ConfigError, NonFiniteError
from serlib.experiments.bundles import ModelBundle, recording_windows
from serlib.experiments.calibration import calibrated_bundle
from serlib.experiments.speaker_predict import predict_speaker_groups, speaker_level
from serlib.features import LogMel

__all__ = ["WINDOW_SECONDS", "model_device", "predict_recordings"]

#: recordings longer than this (seconds) are predicted window by window (probabilities
#: averaged), so that the model's memory does not grow with the recording
WINDOW_SECONDS = 30.0


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's parameters (CPU for a model without any)."""
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


Speakers = str | Iterable[str | None] | Mapping[str, str] | None


def predict_recordings(bundle: ModelBundle, paths: Iterable[str | os.PathLike[str]], *,
                       calibrate: bool = False, speakers: Speakers = None) -> pd.DataFrame:
    """Class probabilities of each recording (whole utterance, the training front-end).

    Args:
        bundle: a loaded model bundle (:func:`load_model_bundle`).
        paths: audio files (any format libsndfile reads; resampled as needed).
        calibrate: first re-estimate the bundle's statistics on these recordings
            (:func:`serlib.experiments.calibration.calibrated_bundle`: at least 10 of one
            speaker or corpus, no labels), as training did for every speaker.
        speakers: who speaks in each recording: one name for all of them, one name (or
            None) per path, or a mapping path → name. A bundle that records speaker-level
            test-time settings (``frames``/``normalize: speaker``, ``refine:
            speaker_centroids``) applies them to each speaker's recordings together
            (:mod:`serlib.experiments.speaker_predict`); without speakers, or for a
            speaker with fewer than ``MIN_SPEAKER_UTTERANCES`` recordings, the inductive
            path (source statistics, no refinement).

    Returns:
        One row per file: ``file``, ``prediction``, one probability column per class in the
        bundle's label order, ``test_time_info`` (``inductive``, ``target speaker``, or
        ``target domain`` when calibrated) and, for a speaker-level bundle, ``speaker`` and
        ``note``.

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
    who = _speaker_list(paths, speakers)
    if calibrate and speakers is not None:
        raise ConfigError("predict_recordings: give calibrate=True or speakers, not both "
                          "(speakers apply the bundle's own per-speaker settings)")
    if not calibrate and speaker_level(bundle) is not None:
        return pd.DataFrame(predict_speaker_groups(bundle, paths, who))
    if speakers is not None:
        warnings.warn(f"model bundle {bundle.path or '(in memory)'} records no speaker-level "
                      "test-time settings (an older bundle, or not a BYOL-S embedding model): "
                      "the speakers are ignored and every recording takes the inductive path",
                      stacklevel=2)
    if calibrate:
        bundle = calibrated_bundle(bundle, paths)
    front_end = LogMel(bundle.mel_config)
    with torch.no_grad():
        rows = [{**_predict_file(bundle, front_end, path),
                 "test_time_info": "target domain" if calibrate else "inductive"}
                for path in paths]
    return pd.DataFrame(rows)


def _speaker_list(paths: list[Path], speakers: Speakers) -> list[str | None]:
    """One speaker (or None) per path.

    Raises:
        ConfigError: a list of another length, or a mapping that misses a path.
    """
    if speakers is None:
        return [None] * len(paths)
    if isinstance(speakers, str):
        return [speakers] * len(paths)
    if isinstance(speakers, Mapping):
        known = {str(Path(k)): v for k, v in speakers.items()}
        missing = [str(p) for p in paths if str(p) not in known]
        if missing:
            raise ConfigError(f"speakers: no speaker given for {missing[:3]}; list every "
                              "recording (path → speaker)")
        return [None if known[str(p)] is None else str(known[str(p)]) for p in paths]
    who = [None if s is None else str(s) for s in speakers]
    if len(who) != len(paths):
        raise ConfigError(f"speakers: {len(who)} names for {len(paths)} recordings; give one "
                          "per recording")
    return who


def _predict_file(bundle: ModelBundle, front_end: LogMel, path: Path) -> dict[str, Any]:
    """One row of :func:`predict_recordings`."""
    device = model_device(bundle.model)
    parts, total = [], 0
    for x in recording_windows(bundle, front_end, path, WINDOW_SECONDS):
        frames = x.shape[-1]  # x: (1, 1, n_mels, frames)
        x = torch.nn.functional.pad(x, (0, -frames % 8)).to(device)  # models pool time by 8
        logits = bundle.model(x, torch.tensor([frames], device=device)).float().cpu()
        if not bool(torch.isfinite(logits).all()):
            raise NonFiniteError(f"model bundle {bundle.path or '(in memory)'} gave "
                                 f"non-finite outputs for {path}: its weights are broken; "
                                 "retrain it")
        if logits.shape[-1] != len(bundle.labels):
            raise CheckpointError(
                f"model bundle {bundle.path or '(in memory)'}: its model has "
                f"{logits.shape[-1]} outputs but the bundle lists {len(bundle.labels)} "
                f"labels {list(bundle.labels)}; the labels were edited or belong to another "
                "model: restore the bundle's labels or save the bundle again")
        parts.append((logits.softmax(dim=1)[0], frames))
        total += frames
    probs = sum(p * (frames / total) for p, frames in parts)
    return {"file": str(path), "prediction": bundle.labels[int(probs.argmax())],
            **{label: float(p) for label, p in zip(bundle.labels, probs, strict=True)}}
