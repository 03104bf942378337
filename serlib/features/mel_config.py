"""Log-mel front-end configurations and the named presets of the book.

A :class:`MelConfig` is a frozen dataclass: it loads from a flat YAML file
(:func:`load_mel_config`), hashes into cache keys (``serlib.config.config_hash``) and is
saved next to every model. Three presets:

- ``agarla`` (Agarla et al., 2024, Sec. 5.2): 16 kHz, 64 ms Hann window (n_fft = win = 1024),
  10 ms hop (160), 64 mel bands 60-7800 Hz, natural log, each spectrogram standardised
  with its own mean and standard deviation (one scalar each, over all bands and frames).
- ``byols``: exactly what the published BYOL-S checkpoints were trained with
  (SERAB's ``config.yaml`` and ``train.py``): n_fft 1024, **win 400**, hop 160, 64 bands
  60-7800 Hz on the HTK mel scale without area normalisation and reflect padding (the
  defaults of ``torchaudio.transforms.MelSpectrogram``, which SERAB used; we build the same
  filterbank with ``librosa.filters.mel(htk=True, norm=None)``), ``log(mel + eps)`` with
  ``eps`` = float32 machine epsilon, **no** per-utterance normalisation: standardise with
  training-set statistics afterwards (:mod:`serlib.features.normalize`).
- ``vgg`` (Baklouti et al., 2024, log-mel "images" made with librosa): librosa's defaults
  where the paper is silent: 128 Slaney mel bands 0-8000 Hz, 64 ms window, 16 ms hop (a 3 s
  utterance is ~190 frames, close to the 224 pixels it is resized to), power in dB
  (``librosa.power_to_db(S, ref=np.max, amin=1e-10, top_db=80)``). The image step (resize
  to 224x224, or 64x64 in the smoke profile, 1 -> 3 channels, ImageNet normalisation) lives
  in :mod:`serlib.features.images` and is applied by the VGG model itself, so that caches
  hold the small log-mels rather than 3x224x224 images.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from serlib.config import config_from_dict, read_yaml
from serlib.errors import ConfigError

__all__ = ["MEL_PRESETS", "MelConfig", "load_mel_config", "mel_preset"]

_CHOICES = {
    "log": ("ln", "db"),
    "normalize": ("utterance", "max", "none"),
    "mel_scale": ("slaney", "htk"),
    "mel_norm": ("slaney", "none"),
    "pad_mode": ("constant", "reflect"),
}


@dataclass(frozen=True)
class MelConfig:
    """Parameters of a log-mel front-end (both implementations read the same fields).

    Attributes:
        sample_rate: of the input waveform, in Hz (audio is resampled to it).
        n_fft: FFT size in samples.
        win_length: Hann window length in samples (centred in ``n_fft`` when shorter).
        hop_length: hop between frames in samples.
        n_mels: number of mel bands.
        f_min: lowest mel band edge in Hz.
        f_max: highest mel band edge in Hz.
        log: ``"ln"`` for ``log(mel + eps)`` or ``"db"`` for ``10 log10(max(mel, eps))``.
        eps: the floor inside the logarithm.
        normalize: ``"utterance"`` (subtract the mean and divide by the standard deviation
            of each spectrogram, scalars over all its bands and frames), ``"max"``
            (subtract each spectrogram's maximum and clip at ``-top_db``: librosa's
            ``power_to_db(ref=np.max, top_db=...)``), ``"none"`` (keep the log values;
            dataset statistics, if any, are applied separately).
        top_db: dynamic range kept by ``normalize="max"`` (in the units of ``log``).
        mel_scale: ``"slaney"`` (librosa's default) or ``"htk"`` (torchaudio's default).
        mel_norm: ``"slaney"`` (each triangle has unit area, librosa's default) or
            ``"none"`` (unit peak, torchaudio's default).
        pad_mode: how the signal is padded by half a window at both ends (``center=True``):
            ``"constant"`` (zeros, librosa's default) or ``"reflect"`` (torchaudio's).
    """

    sample_rate: int = 16000
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 160
    n_mels: int = 64
    f_min: float = 60.0
    f_max: float = 7800.0
    log: str = "ln"
    eps: float = 1e-6
    normalize: str = "utterance"
    top_db: float = 80.0
    mel_scale: str = "slaney"
    mel_norm: str = "slaney"
    pad_mode: str = "constant"

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"MelConfig.{name}={value!r}: use one of {list(allowed)}")
        for name in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels"):
            if int(getattr(self, name)) <= 0:
                raise ConfigError(f"MelConfig.{name}={getattr(self, name)}: must be positive")
        if self.win_length > self.n_fft:
            raise ConfigError(f"win_length={self.win_length} exceeds n_fft={self.n_fft}")
        if not 0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ConfigError(f"need 0 <= f_min < f_max <= sample_rate/2, got "
                              f"f_min={self.f_min}, f_max={self.f_max}, "
                              f"sample_rate={self.sample_rate}")
        if self.eps <= 0 or self.top_db <= 0:
            raise ConfigError(f"eps={self.eps} and top_db={self.top_db} must be positive")


MEL_PRESETS: dict[str, MelConfig] = {
    # Agarla et al. (2024), Sec. 5.2: 64 ms window, 10 ms hop, 64 bands in 60-7800 Hz, log,
    # each spectrogram standardised by the mean and std over its frames.
    "agarla": MelConfig(),
    # The BYOL-S checkpoints (SERAB config.yaml: win_length 400 "Original: 1024"), computed
    # like torchaudio.transforms.MelSpectrogram(...) then (x + finfo(float32).eps).log().
    "byols": MelConfig(win_length=400, eps=float(np.finfo(np.float32).eps), normalize="none",
                       mel_scale="htk", mel_norm="none", pad_mode="reflect"),
    # Baklouti et al. (2024): librosa mel spectrogram in dB relative to its maximum.
    "vgg": MelConfig(hop_length=256, n_mels=128, f_min=0.0, f_max=8000.0, log="db",
                     eps=1e-10, normalize="max", top_db=80.0),
}


def mel_preset(name: str, **overrides: Any) -> MelConfig:
    """A named :class:`MelConfig` (:data:`MEL_PRESETS`), optionally with some fields changed.

    Example:
        >>> mel_preset("byols").win_length
        400

    Raises:
        ConfigError: for an unknown preset, field or value.
    """
    if name not in MEL_PRESETS:
        raise ConfigError(f"unknown mel preset {name!r}; choose from {sorted(MEL_PRESETS)}")
    fields = {f.name for f in dataclasses.fields(MelConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigError(f"invalid MelConfig override(s) {unknown}; fields are {sorted(fields)}")
    return dataclasses.replace(MEL_PRESETS[name], **overrides)


def load_mel_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> MelConfig:
    """A :class:`MelConfig` from a preset name, a flat YAML file or a mapping.

    The YAML file (or mapping) may start from a preset with the key ``preset`` and change
    fields below it; unknown keys are an error::

        preset: byols      # start from the BYOL-S front-end
        n_mels: 64         # any MelConfig field overrides the preset

    Raises:
        ConfigError: unknown preset or key, invalid value, unreadable YAML.
    """
    if isinstance(source, str) and source in MEL_PRESETS:
        return mel_preset(source)
    if isinstance(source, Mapping):
        values, where = dict(source), "mapping"
    else:
        path = Path(source)
        try:
            values = read_yaml(path) or {}
        except FileNotFoundError as err:
            raise ConfigError(f"{path}: no such file and not a mel preset "
                              f"({sorted(MEL_PRESETS)})") from err
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from err
        if not isinstance(values, Mapping):
            raise ConfigError(f"{path}: expected a mapping of MelConfig fields at the top level")
        values, where = dict(values), str(path)
    preset = values.pop("preset", None)
    if preset is not None:
        try:
            return mel_preset(str(preset), **values)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from err
    return config_from_dict(MelConfig, values, source=where)
