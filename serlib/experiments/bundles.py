"""Model bundles: one file with everything needed to use a trained model on new recordings.

A bundle holds the weights and how to rebuild the model (architecture name and keyword
arguments), the class names in output order, the log-mel front-end (a ``MelConfig``), the
normalisation statistics of the training data, the serlib version and free-form training
metadata (method, corpora, split ids, dev score, ...). ``serlib predict MODEL FILE.wav``
needs nothing else. The file is written atomically with its SHA-256 beside it
(``MODEL.pt.sha256``) and read with ``torch.load(weights_only=True)``: a bundle cannot run
code when it is opened, and a bundle that lost a bit, or whose weights are not finite, is
refused with an error naming the file (never a confident prediction from broken weights).

A model spec is ``{"architecture": <class name in serlib.models>, "kwargs": {...}}``; a
keyword argument that is itself a spec (e.g. the encoder of a classifier) is built first.

The metadata says what the model was trained on (``data``: ``"synthetic"`` or
``"corpora"``, the corpora and languages), so that
:func:`~serlib.experiments.recordings.predict_recordings` can warn when a model trained on
the synthetic corpus is asked about real speech. :func:`recording_log_mels` reads a
recording as the bundle's model reads it.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import serlib
from serlib.config import config_from_dict, config_to_dict
from serlib.data.audio import load_audio
from serlib.errors import (
    CheckpointError,
    ChecksumError,
    ConfigError,
    RecordingNotFoundError,
)
from serlib.features import LogMel, NormStats, apply_norm_stats
from serlib.features.mel_config import MelConfig
from serlib.integrity import check_finite_state, load_torch_file, verify_digest, write_with_digest

__all__ = ["BUNDLE_FORMAT", "ModelBundle", "build_model", "load_model_bundle", "normalise",
           "recording_log_mels", "recording_windows", "save_model_bundle"]

#: bumped when the bundle layout changes (2: a SHA-256 file beside every bundle)
BUNDLE_FORMAT = 2


@dataclass
class ModelBundle:
    """A loaded bundle.

    Attributes:
        model: the model, in eval mode, on the CPU.
        labels: class names in the order of the model's outputs.
        mel_config: the front-end the model was trained with.
        norm_stats: normalisation statistics (as saved: a dict of tensors/values, or None).
        model_spec: how the model was built.
        metadata: training metadata (free form).
        serlib_version: the version that wrote the bundle.
        path: the file it was loaded from ("" if built in memory).
    """

    model: nn.Module
    labels: tuple[str, ...]
    mel_config: MelConfig
    norm_stats: dict[str, Any] | None
    model_spec: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    serlib_version: str = ""
    path: str = ""


def _is_spec(value: Any) -> bool:
    return isinstance(value, Mapping) and "architecture" in value


def build_model(spec: Mapping[str, Any]) -> nn.Module:
    """Build a model from ``{"architecture": name, "kwargs": {...}}`` (nested specs allowed).

    Raises:
        ConfigError: for an architecture that ``serlib.models`` does not export.
    """
    import serlib.models as models  # the registry: every class serlib.models exports

    name = spec.get("architecture")
    cls = getattr(models, str(name), None) if name in getattr(models, "__all__", ()) else None
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise ConfigError(f"unknown architecture {name!r}; serlib.models exports "
                          f"{sorted(getattr(models, '__all__', ()))}")
    kwargs = {k: build_model(v) if _is_spec(v) else v
              for k, v in dict(spec.get("kwargs", {})).items()}
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"cannot build {name} with {sorted(kwargs)}: {err}") from err


def _plain(value: Any) -> Any:
    """Turn statistics (a dataclass, dict, tensor, array, number) into loadable plain values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__,
                **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Tensor):
        return value.detach().cpu().clone()
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return torch.as_tensor(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def save_model_bundle(path: str | os.PathLike[str], model: nn.Module, *,
                      labels: Sequence[str], mel_config: MelConfig,
                      model_spec: Mapping[str, Any], norm_stats: Any = None,
                      metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a model bundle atomically (see the module docstring).

    Args:
        path: the bundle file (``.pt``).
        model: the trained model; its ``state_dict`` is saved (on the CPU).
        labels: class names in output order (e.g. ``serlib.data.label_set_classes("agarla5")``).
        mel_config: the front-end the model was trained with.
        model_spec: ``{"architecture", "kwargs"}``; checked by rebuilding the model.
        norm_stats: the training data's normalisation statistics (dataclass or dict).
        metadata: JSON-like training metadata.

    Raises:
        CheckpointError: if the spec does not rebuild a model that accepts the weights.
    """
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    try:
        build_model(model_spec).load_state_dict(state)
    except (RuntimeError, ConfigError) as err:
        raise CheckpointError(f"model_spec {dict(model_spec)} does not rebuild this model: "
                              f"{err}") from err
    payload = {
        "format": BUNDLE_FORMAT,
        "model_spec": _plain(dict(model_spec)),
        "state_dict": state,
        "labels": list(labels),
        "mel_config": config_to_dict(mel_config),
        "norm_stats": _plain(norm_stats),
        "metadata": _plain(dict(metadata or {})),
        "serlib_version": serlib.__version__,
    }
    check_finite_state(state, source=f"the model to bundle as {path}")
    write_with_digest(path, lambda tmp: torch.save(payload, tmp))
    return Path(path)


def load_model_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """Load a bundle written by :func:`save_model_bundle` (model on the CPU, eval mode).

    Raises:
        CheckpointError: missing or unreadable file, unknown format, or weights that do not
            fit the rebuilt model. The message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"model bundle {path} does not exist; train one with "
                              "`serlib experiment run` or save one with save_model_bundle")
    fix = "it is not a readable serlib model bundle: save or train it again"
    payload = load_torch_file(path, fix=fix)
    if not isinstance(payload, dict) or payload.get("format") != BUNDLE_FORMAT:
        raise CheckpointError(f"{path} is not a readable serlib model bundle of format "
                              f"{BUNDLE_FORMAT}; save or train it again")
    try:
        verify_digest(path)
    except ChecksumError as err:
        raise CheckpointError(f"model bundle {err}") from None
    check_finite_state(payload["state_dict"], source=f"model bundle {path}")
    try:
        model = build_model(payload["model_spec"])
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, ConfigError) as err:
        raise CheckpointError(f"{path}: the saved weights do not fit the model: {err}") from err
    model.eval()
    return ModelBundle(model=model, labels=tuple(payload["labels"]), path=str(path),
                       mel_config=config_from_dict(MelConfig, payload["mel_config"],
                                                   source=str(path)),
                       norm_stats=payload["norm_stats"], model_spec=payload["model_spec"],
                       metadata=payload["metadata"], serlib_version=payload["serlib_version"])


def normalise(x: Tensor, norm_stats: dict[str, Any] | None) -> Tensor:
    """Apply a bundle's normalisation statistics to log-mels (None: unchanged).

    Statistics are ``NormStats.to_dict()`` of the training data, as saved in the bundle.

    Shape:
        x: (batch, 1, n_mels, frames); returns the same shape.
    """
    if not norm_stats:
        return x
    return apply_norm_stats(x, NormStats.from_dict(norm_stats))  # type: ignore[return-value]


def recording_log_mels(bundle: ModelBundle, front_end: LogMel, path: Path) -> Tensor:
    """A recording's log-mels as the bundle's model reads them (front-end, normalisation).

    Raises:
        RecordingNotFoundError: nothing exists at ``path``.
        AudioDecodeError: anything else that is not a readable recording (a folder named
            like one, a symbolic link loop or a dangling link, a corrupt file, one longer
            than the maximum duration); the message says which.

    Shape:
        returns (1, 1, n_mels, frames).
    """
    wave = _recording_wave(bundle, Path(path))
    return normalise(front_end(wave[None]), bundle.norm_stats)


def _recording_wave(bundle: ModelBundle, path: Path) -> Tensor:
    if not path.exists() and not path.is_symlink():
        raise RecordingNotFoundError(f"{path}: no such recording; check the path")
    return torch.from_numpy(load_audio(path, sample_rate=bundle.mel_config.sample_rate))


def recording_windows(bundle: ModelBundle, front_end: LogMel, path: str | os.PathLike[str],
                      window_seconds: float) -> Iterator[Tensor]:
    """A recording's log-mels window by window (consecutive ``window_seconds`` of audio; a
    last piece shorter than half a window joins the one before), so that the front-end's
    memory does not grow with the recording. A short recording is one window.

    Raises:
        RecordingNotFoundError, AudioDecodeError: as :func:`recording_log_mels`.

    Shape:
        yields (1, 1, n_mels, frames) each.
    """
    wave = _recording_wave(bundle, Path(path))
    window = max(1, int(window_seconds * bundle.mel_config.sample_rate))
    starts = list(range(0, wave.shape[0], window))
    if len(starts) > 1 and wave.shape[0] - starts[-1] < window // 2:
        starts.pop()
    for i, start in enumerate(starts):
        end = wave.shape[0] if i == len(starts) - 1 else start + window
        yield normalise(front_end(wave[None, start:end]), bundle.norm_stats)
