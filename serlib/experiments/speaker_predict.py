"""A bundle's speaker-level test-time settings, applied to recordings grouped by speaker.

A run with ``frames: speaker`` (``normalize: speaker``, ``refine: speaker_centroids``) is
scored with each test speaker's own unlabelled utterances (test-time information
``target speaker``, :mod:`serlib.experiments.test_time`). Its bundle records those settings
(:func:`bundle_test_time`, in ``metadata["test_time"]``), and
:func:`predict_speaker_groups` applies them to recordings that the *user* says come from
one speaker:

- ``frames``: the group's trunk frames give the correction statistics, as
  :meth:`ByolsEmbedBackbone.embed_groups
  <serlib.experiments.backbones.byols_embed.ByolsEmbedBackbone.embed_groups>` computes them in
  training;
- ``normalize: speaker``: the group's embeddings are standardised by their own statistics;
- ``refine: speaker_centroids``: the group's predictions are re-labelled by its own class
  centroids (:func:`~serlib.adapt.speaker_centroids.speaker_centroid_scores`).

A group of fewer than :data:`~serlib.features.normalize.MIN_SPEAKER_UTTERANCES` recordings
(chapter 9's measured guard), and any recording without a speaker, takes the **inductive**
path: source frame statistics, source embedding statistics, no refinement. Every output row
says which path it took (``test_time_info``).

Chapter: book/11_your_language.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from serlib.adapt.speaker_centroids import speaker_centroid_scores
from serlib.experiments.bundles import ModelBundle, recording_windows
from serlib.experiments.test_time import test_time_info
from serlib.features import LogMel, normalize_embeddings
from serlib.features.norm_stats import embedding_stats
from serlib.features.normalize import MIN_SPEAKER_UTTERANCES
from serlib.models import BYOLSEmbedder, FrozenFrontClassifier, mean_std_pool

__all__ = ["GROUP_NOTE", "REFINED_NOTE", "bundle_test_time", "predict_speaker_groups",
           "speaker_level"]

#: the note of a speaker group too small for its own statistics
GROUP_NOTE = (f"fewer than {MIN_SPEAKER_UTTERANCES} recordings of this speaker: inductive "
              "path (source statistics)")

#: the note of a prediction re-labelled by the speaker's class centroids
REFINED_NOTE = "label refined by the speaker's class centroids (columns: the model's)"


def bundle_test_time(backbone: Any, row: Mapping[str, Any],
                     source_table: pd.DataFrame) -> dict[str, Any]:
    """The test-time settings a run's bundle records (``metadata["test_time"]``).

    Args:
        backbone: the run's backbone.
        row: the run's results row (``frames``, ``normalize``, ``adabn``, ``refine``,
            ``test_time_info``).
        source_table: the source corpus table (its ``train`` rows give the inductive
            path's embedding statistics when training standardised per target or speaker).
    """
    settings = {k: row[k] for k in ("frames", "normalize", "adabn", "refine") if k in row}
    out: dict[str, Any] = {**settings, "test_time_info": row.get(
        "test_time_info", test_time_info(settings))}
    if hasattr(backbone, "embed_groups") and settings.get("normalize") in ("target",
                                                                            "speaker"):
        train = source_table[source_table["split"] == "train"]
        x = backbone.embed_groups(train, None)  # source statistics: the inductive embeddings
        mean, std = embedding_stats(x, what="the source's training utterances")
        out["source_embedding_mean"], out["source_embedding_std"] = mean, std
    return out


def speaker_level(bundle: ModelBundle) -> dict[str, Any] | None:
    """The bundle's recorded test-time settings if it can apply them per speaker (a BYOL-S
    embedding bundle that records them), else None."""
    settings = bundle.metadata.get("test_time")
    model = bundle.model
    if not isinstance(settings, Mapping) or not isinstance(model, FrozenFrontClassifier) \
            or not isinstance(model.front, BYOLSEmbedder):
        return None
    return dict(settings)


def _trunk_frames(bundle: ModelBundle, front_end: LogMel, path: Path) -> Tensor:
    """A recording's trunk frames, as the feature cache computes them.

    Shape:
        returns (frames/8, trunk_dim).
    """
    encoder = bundle.model.front.encoder
    device = bundle.model.mean.device
    parts = []
    for x in recording_windows(bundle, front_end, path, 30.0):  # (1, 1, n_mels, frames)
        lengths = torch.tensor([x.shape[-1]], device=device)
        h = encoder.forward_trunk(x.to(device), lengths).float().cpu()  # (1, n, trunk_dim)
        parts.append(h[0, : int(encoder.trunk_lengths(lengths)[0])])
    return torch.cat(parts)


def _stats(h: Tensor) -> tuple[Tensor, Tensor]:
    return h.mean(0), h.std(0, unbiased=False)


def _embed(front: BYOLSEmbedder, frames: list[Tensor], stats: tuple[Tensor, Tensor] | None
           ) -> Tensor:
    """Pooled embeddings of each recording's frames corrected with ``stats`` (None: each
    recording's own). Shape: returns (len(frames), 2 d)."""
    device = front.source_mean.device
    out = []
    for h in frames:
        mean, std = stats if stats is not None else _stats(h)
        f = front.neck(h.to(device), mean.to(device), std.to(device))  # (n, d)
        out.append(mean_std_pool(f[None])[0].cpu())
    return torch.stack(out)


def _standardise(bundle: ModelBundle, settings: Mapping[str, Any], e: Tensor,
                 speaker_path: bool) -> Tensor:
    """The embeddings the classifier reads. Shape: e (n, dim); returns (n, dim)."""
    mode = settings.get("normalize", "source")
    if mode == "utterance":
        return normalize_embeddings(e, mode="utterance")
    if mode == "speaker" and speaker_path:
        return normalize_embeddings(e, mode="speaker", speakers=["s"] * len(e))
    if mode in ("target", "speaker") and not speaker_path \
            and "source_embedding_mean" in settings:
        mean, std = settings["source_embedding_mean"], settings["source_embedding_std"]
        return (e - torch.as_tensor(mean)) / torch.as_tensor(std)
    model = bundle.model
    return (e - model.mean.cpu()) / model.std.cpu()


def predict_speaker_groups(bundle: ModelBundle, paths: Sequence[Path],
                           speakers: Sequence[str | None]) -> list[dict[str, Any]]:
    """Rows of :func:`~serlib.experiments.recordings.predict_recordings` for a bundle that
    :func:`speaker_level` accepts, each speaker group with the bundle's speaker-level
    settings (None: no speaker, the inductive path).

    Raises:
        RecordingNotFoundError, AudioDecodeError: a recording cannot be read.
    """
    settings = speaker_level(bundle)
    assert settings is not None, "speaker_level(bundle) is None: use predict_recordings"
    model, front_end = bundle.model, LogMel(bundle.mel_config)
    frames_mode, refine = settings.get("frames", "none"), settings.get("refine", "none")
    groups: dict[str | None, list[int]] = {}
    for i, s in enumerate(speakers):
        groups.setdefault(s, []).append(i)
    rows: list[dict[str, Any]] = [{} for _ in paths]
    with torch.no_grad():
        for speaker, index in groups.items():
            frames = [_trunk_frames(bundle, front_end, Path(paths[i])) for i in index]
            big = speaker is not None and len(index) >= MIN_SPEAKER_UTTERANCES
            if frames_mode == "utterance":
                stats = None  # each recording's own: inductive
            elif big and frames_mode in ("speaker", "domain"):
                stats = _stats(torch.cat(frames))
            else:
                stats = (model.front.source_mean.cpu(), model.front.source_std.cpu())
            e = _standardise(bundle, settings, _embed(model.front, frames, stats), big)
            device = model.mean.device
            feats = model.classifier.forward_features(e[:, None, :, None].to(device))
            probs = model.head(feats).float().softmax(dim=1).cpu()  # (m, classes)
            labels = probs.argmax(1)  # (m,)
            refined = big and refine == "speaker_centroids"
            if refined:  # the label from the speaker's centroids; the columns stay the model's
                labels = speaker_centroid_scores(e, probs, [str(speaker)] * len(index)).argmax(1)
            speaker_info = big and any(
                settings.get(k) in v for k, v in (("frames", ("speaker", "domain")),
                                                  ("normalize", ("speaker",)),
                                                  ("refine", ("speaker_centroids",))))
            for j, i in enumerate(index):
                rows[i] = {"file": str(paths[i]), "speaker": speaker,
                           "prediction": bundle.labels[int(labels[j])],
                           **{lab: float(p) for lab, p in zip(bundle.labels, probs[j],
                                                              strict=True)},
                           "test_time_info": "target speaker" if speaker_info
                           else "inductive",
                           "note": GROUP_NOTE if speaker is not None and not big
                           else REFINED_NOTE if refined else ""}
    return rows
