"""Calibrating a bundle on a folder of unlabelled recordings (a speaker, a new corpus).

The cpu profile's models are trained on embeddings standardised with the statistics of
each speaker's own utterances (frames and embeddings, no labels). A bundle meeting
recordings one at a time cannot do that: it applies the statistics it was saved with
(those of the run's target domain), which is wrong for another language or microphone.
:func:`calibrated_bundle` gives it back what training had: given at least
:data:`MIN_RECORDINGS` unlabelled recordings of the speaker (or corpus) to predict, it
re-estimates

- the frame statistics of a :class:`~serlib.models.BYOLSEmbedder` front-end (the mean and
  standard deviation of the trunk's frames over the recordings), and
- the embedding standardisation of a :class:`~serlib.models.FrozenFrontClassifier`
  (the mean and standard deviation of the recordings' embeddings),

on a copy of the bundle (the bundle itself is not changed). Calibrate on one speaker's
recordings at a time to do what training did; on a mixed folder it is a domain-level
estimate. No label is used.

Only real spread is used. The recordings must be :data:`MIN_RECORDINGS` *distinct* files (by
content: the same recording given twice, or a copy of it, counts once). An embedding
dimension (or trunk channel) whose spread over the recordings is degenerate (standard
deviation at most :data:`MIN_STD`) keeps the bundle's saved statistic for that dimension, with
a :class:`~serlib.errors.DataWarning` saying how many; when every dimension is degenerate
(silence, one sound repeated) calibration raises
:class:`~serlib.errors.DegenerateStatisticsError` instead of standardising by ~0.
Inputs are built on the device of the bundle's model.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import Tensor

from serlib.errors import DataWarning, DegenerateStatisticsError, RecordingNotFoundError
from serlib.experiments.bundles import ModelBundle, recording_log_mels
from serlib.features import LogMel
from serlib.models import FrozenFrontClassifier

__all__ = ["MIN_RECORDINGS", "MIN_STD", "calibrated_bundle"]

#: fewer distinct recordings than this give statistics too noisy to standardise 1024
#: dimensions
MIN_RECORDINGS = 10
#: a standard deviation at or below this is degenerate (it used to be clamped silently)
MIN_STD = 1e-5


def _distinct(paths: list[Path]) -> list[Path]:
    """``paths`` without repeats of the same content (first occurrence kept)."""
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            raise RecordingNotFoundError(f"{path}: no such recording (or unreadable); check "
                                         "the path") from None
        seen.setdefault(digest, path)
    return list(seen.values())


def _spread(values: Tensor, saved: Tensor, what: str) -> Tensor:
    """The std of ``values`` (rows) with degenerate dimensions replaced by ``saved``."""
    std = values.std(0, unbiased=False)
    flat = std <= MIN_STD
    if bool(flat.all()):
        raise DegenerateStatisticsError(
            f"calibration: the recordings' {what} do not vary at all (every one of "
            f"{std.numel()} dimensions has std <= {MIN_STD:g}): silence, or one sound "
            "repeated; give real recordings of the speaker, or predict without calibration")
    if bool(flat.any()):
        warnings.warn(f"calibration: {int(flat.sum())} of {std.numel()} {what} dimensions do "
                      "not vary over these recordings; they keep the bundle's saved "
                      "statistics", DataWarning, stacklevel=3)
    return torch.where(flat, saved.to(std.dtype), std)


def calibrated_bundle(bundle: ModelBundle, paths: Iterable[str | os.PathLike[str]]
                      ) -> ModelBundle:
    """A copy of ``bundle`` whose statistics come from these unlabelled recordings.

    Args:
        bundle: a bundle whose model reads fixed embeddings
            (:class:`~serlib.models.FrozenFrontClassifier`: the smoke and cpu profiles).
        paths: at least :data:`MIN_RECORDINGS` recordings of the speaker or corpus whose
            emotions you will predict.

    Raises:
        ValueError: the bundle's model is fine-tuned end to end (it has no separate
            statistics to re-estimate).
        DegenerateStatisticsError: fewer than :data:`MIN_RECORDINGS` distinct recordings,
            or recordings with no spread at all (see the module docstring).
        RecordingNotFoundError, AudioDecodeError: a file is missing or unreadable.

    Chapter: book/11_your_language.md
    """
    paths = [Path(p) for p in paths]
    if not isinstance(bundle.model, FrozenFrontClassifier):
        raise ValueError(f"bundle {bundle.path or '(in memory)'}: its "
                         f"{type(bundle.model).__name__} is trained end to end and keeps no "
                         "separate statistics to calibrate; predict without calibration")
    distinct = _distinct(paths)
    if len(distinct) < MIN_RECORDINGS:
        repeats = (f" ({len(paths) - len(distinct)} of the {len(paths)} given repeat another "
                   "recording's content)" if len(distinct) < len(paths) else "")
        raise DegenerateStatisticsError(
            f"calibration needs at least {MIN_RECORDINGS} distinct recordings of the speaker "
            f"or corpus, got {len(distinct)}{repeats}; record more, or predict without "
            "calibration")
    model = copy.deepcopy(bundle.model).eval()
    device = next(model.parameters()).device
    front_end = LogMel(bundle.mel_config)
    xs = [recording_log_mels(bundle, front_end, p).to(device)  # each (1, 1, n_mels, T)
          for p in distinct]
    front = model.front
    with torch.no_grad():
        if hasattr(front, "set_statistics"):  # BYOLSEmbedder: frame statistics first
            frames = []
            for x in xs:
                lengths = torch.tensor([x.shape[-1]], device=device)
                h = front.encoder.forward_trunk(x, lengths)  # (1, frames/8, trunk_dim)
                frames.append(h[0, : int(front.encoder.trunk_lengths(lengths)[0])])
            h = torch.cat(frames)  # (all frames, trunk_dim)
            front.set_statistics(h.mean(0), _spread(h, front.frame_std, "trunk frame"),
                                 front.source_mean, front.source_std)
        e = torch.cat([front(x, torch.tensor([x.shape[-1]], device=device))[:, 0, :, 0]
                       for x in xs])
        model.mean.copy_(e.mean(0))  # e: (recordings, dim)
        model.std.copy_(_spread(e, model.std, "embedding"))
    metadata = {**bundle.metadata, "calibrated_on": len(distinct)}
    return dataclasses.replace(bundle, model=model, metadata=metadata)
