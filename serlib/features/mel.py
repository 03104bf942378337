"""Log-mel spectrograms: one configuration, two implementations.

:func:`compute_log_mel` is the reference (librosa, NumPy, one waveform at a time; used for
figures). :class:`LogMel` is the same transform as a batched ``torch`` module (used for
training, on CPU or GPU). Both take their parameters from a frozen :class:`MelConfig` and
share librosa's Slaney mel filterbank, so they agree to numerical precision.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import librosa
import numpy as np
import torch
from torch import Tensor, nn

from serlib.errors import ConfigError

__all__ = ["LogMel", "MelConfig", "compute_log_mel", "mel_filterbank", "mel_preset"]


@dataclass(frozen=True)
class MelConfig:
    """Parameters of a log-mel front-end.

    Attributes:
        sample_rate: of the input waveform, in Hz.
        n_fft: FFT size in samples.
        win_length: Hann window length in samples (centred in ``n_fft`` when shorter).
        hop_length: hop between frames in samples.
        n_mels: number of mel bands.
        f_min: lowest mel band edge in Hz.
        f_max: highest mel band edge in Hz.
        log: ``"ln"`` for ``log(mel + eps)`` or ``"db"`` for ``10 log10(max(mel, eps))``.
        eps: the floor inside the logarithm.
        normalize: ``"utterance"`` (subtract the mean and divide by the std of each
            spectrogram), ``"none"`` (keep the log values; dataset statistics, if any,
            are applied separately).
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

    def __post_init__(self) -> None:
        if self.log not in ("ln", "db"):
            raise ConfigError(f"MelConfig.log={self.log!r}: use 'ln' or 'db'")
        if self.normalize not in ("utterance", "none"):
            raise ConfigError(f"MelConfig.normalize={self.normalize!r}: use 'utterance' or 'none'")
        if self.win_length > self.n_fft:
            raise ConfigError(f"win_length={self.win_length} exceeds n_fft={self.n_fft}")
        if not 0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ConfigError(f"need 0 <= f_min < f_max <= sample_rate/2, got "
                              f"f_min={self.f_min}, f_max={self.f_max}, "
                              f"sample_rate={self.sample_rate}")


_PRESETS = {
    # Agarla et al. (2024), Sec. 5.2: 64 ms window, 10 ms hop, 64 bands in 60-7800 Hz, log,
    # each spectrogram standardised.
    "agarla": MelConfig(),
}


def mel_preset(name: str, **overrides: object) -> MelConfig:
    """A named :class:`MelConfig`, optionally with some fields changed.

    Raises:
        ConfigError: for an unknown preset or field.
    """
    if name not in _PRESETS:
        raise ConfigError(f"unknown mel preset {name!r}; choose from {sorted(_PRESETS)}")
    try:
        return dataclasses.replace(_PRESETS[name], **overrides)
    except TypeError as err:
        raise ConfigError(f"invalid MelConfig override: {err}") from err


def mel_filterbank(config: MelConfig) -> np.ndarray:
    """librosa's Slaney-style mel filterbank for ``config``.

    Shape:
        returns (n_mels, n_fft // 2 + 1).
    """
    return librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                               fmin=config.f_min, fmax=config.f_max).astype(np.float32)


def _log(mel, config: MelConfig, lib):
    if config.log == "ln":
        return lib.log(mel + config.eps)
    return 10.0 * lib.log10(lib.maximum(mel, config.eps) if lib is np
                            else torch.clamp(mel, min=config.eps))


def compute_log_mel(wave: np.ndarray, config: MelConfig) -> np.ndarray:
    """Reference log-mel spectrogram of one waveform (librosa, float64 inside).

    Args:
        wave: mono waveform at ``config.sample_rate``.
        config: the front-end parameters.

    Shape:
        wave: (num_samples,); returns (n_mels, frames) with
        frames = 1 + num_samples // hop_length.
    """
    power = np.abs(librosa.stft(np.asarray(wave, dtype=np.float64), n_fft=config.n_fft,
                                hop_length=config.hop_length, win_length=config.win_length,
                                window="hann", center=True, pad_mode="constant")) ** 2
    mel = mel_filterbank(config).astype(np.float64) @ power
    log_mel = _log(mel, config, np)
    if config.normalize == "utterance":
        log_mel = (log_mel - log_mel.mean()) / (log_mel.std() + 1e-8)
    return log_mel.astype(np.float32)


class LogMel(nn.Module):
    """Batched log-mel front-end in torch; matches :func:`compute_log_mel`.

    Args:
        config: the front-end parameters.

    Shape:
        input: (batch, num_samples) float waveforms (zero-padded at the end when lengths
        differ); ``lengths`` (batch,) optional numbers of valid samples. Output:
        (batch, 1, n_mels, frames) with frames = 1 + num_samples // hop_length. With
        ``lengths``, utterance normalisation uses only each waveform's valid frames.
    """

    def __init__(self, config: MelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=True),
                             persistent=False)
        self.register_buffer("fbank", torch.from_numpy(mel_filterbank(config)),
                             persistent=False)

    def num_frames(self, lengths: Tensor) -> Tensor:
        """Frames that :meth:`forward` gives for waveforms of ``lengths`` samples."""
        return 1 + torch.div(lengths, self.config.hop_length, rounding_mode="floor")

    def forward(self, wave: Tensor, lengths: Tensor | None = None) -> Tensor:
        c = self.config
        spec = torch.stft(wave, n_fft=c.n_fft, hop_length=c.hop_length, win_length=c.win_length,
                          window=self.window, center=True, pad_mode="constant",
                          return_complex=True)  # (batch, n_fft//2+1, frames)
        mel = torch.matmul(self.fbank, spec.abs() ** 2)  # (batch, n_mels, frames)
        log_mel = _log(mel, c, torch)
        if c.normalize == "utterance":
            if lengths is None:
                mask = torch.ones_like(log_mel[:, :1, :])
            else:
                frames = torch.arange(log_mel.shape[-1], device=wave.device)
                mask = (frames[None, :] < self.num_frames(lengths)[:, None]).unsqueeze(1)
                mask = mask.to(log_mel.dtype)  # (batch, 1, frames)
            count = mask.sum(dim=(1, 2), keepdim=True) * c.n_mels
            mean = (log_mel * mask).sum(dim=(1, 2), keepdim=True) / count
            var = (((log_mel - mean) * mask) ** 2).sum(dim=(1, 2), keepdim=True) / count
            log_mel = (log_mel - mean) / (var.sqrt() + 1e-8) * mask
        return log_mel.unsqueeze(1)  # (batch, 1, n_mels, frames)
