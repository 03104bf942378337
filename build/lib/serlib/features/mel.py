"""Log-mel spectrograms: one configuration, two implementations.

:func:`compute_log_mel` is the reference (librosa, NumPy float64, one waveform at a time;
used for figures and to test the other). :class:`LogMel` is the same transform as a batched
``torch`` module (float32, used for training and caching, on CPU or GPU). Both take their
parameters from a frozen :class:`~serlib.features.mel_config.MelConfig` and share one mel
filterbank built by librosa, so they agree to ~1e-5 relative error (tested on real speech
for every preset).

Batches of waveforms of different lengths are zero-padded at the end and come with their
``lengths``: every frame that :func:`compute_log_mel` would give for the unpadded waveform
is reproduced exactly (also with reflect padding, which is applied to each waveform before
batching), per-utterance statistics use the valid frames only, and padded frames are 0.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from serlib.features.mel_config import MelConfig

__all__ = ["LogMel", "compute_log_mel", "mel_filterbank", "num_frames"]


def num_frames(num_samples: int, config: MelConfig) -> int:
    """Frames of a waveform of ``num_samples`` samples (centred frames): ``1 + n // hop``."""
    return 1 + int(num_samples) // config.hop_length


def mel_filterbank(config: MelConfig) -> np.ndarray:
    """The mel filterbank of ``config``, built by librosa (Slaney or HTK scale).

    Shape:
        returns (n_mels, n_fft // 2 + 1), float32.
    """
    return librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                               fmin=config.f_min, fmax=config.f_max,
                               htk=config.mel_scale == "htk",
                               norm="slaney" if config.mel_norm == "slaney" else None
                               ).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _filterbank64(config: MelConfig) -> np.ndarray:
    bank = mel_filterbank(config).astype(np.float64)
    bank.flags.writeable = False
    return bank


def compute_log_mel(wave: np.ndarray, config: MelConfig) -> np.ndarray:
    """Reference log-mel spectrogram of one waveform (librosa, float64 inside).

    Args:
        wave: mono waveform at ``config.sample_rate``.
        config: the front-end parameters.

    Shape:
        wave: (num_samples,); returns (n_mels, frames) float32 with
        frames = 1 + num_samples // hop_length.

    Chapter: book/03_log_mel.md
    """
    power = np.abs(librosa.stft(np.asarray(wave, dtype=np.float64), n_fft=config.n_fft,
                                hop_length=config.hop_length, win_length=config.win_length,
                                window="hann", center=True, pad_mode=config.pad_mode)) ** 2
    mel = _filterbank64(config) @ power  # (n_mels, frames)
    if config.log == "ln":
        log_mel = np.log(mel + config.eps)
    else:
        log_mel = 10.0 * np.log10(np.maximum(mel, config.eps))
    if config.normalize == "utterance":
        log_mel = (log_mel - log_mel.mean()) / (log_mel.std() + 1e-8)
    elif config.normalize == "max":
        log_mel = np.maximum(log_mel - log_mel.max(), -config.top_db)
    return log_mel.astype(np.float32)


class LogMel(nn.Module):
    """Batched log-mel front-end in torch; matches :func:`compute_log_mel`.

    Args:
        config: the front-end parameters.
        chunk_size: waveforms transformed at a time; ``None`` = 1 on a CPU (a small chunk's
            STFT stays in the CPU cache and skips the batch's padding: about 3x faster than
            one large batch on 2 cores), the whole batch on a GPU. Results do not depend
            on it.

    Shape:
        wave: (batch, num_samples) or (num_samples,) float waveforms, padded at the end when
        lengths differ (what the padding holds is ignored); lengths: (batch,) valid samples,
        or None when all are valid.
        Returns (batch, 1, n_mels, frames), frames = 1 + num_samples // hop_length; frames
        past an item's ``num_frames(lengths)`` are 0.

    Chapter: book/03_log_mel.md
    """

    def __init__(self, config: MelConfig, *, chunk_size: int | None = None) -> None:
        super().__init__()
        self.config = config
        self.chunk_size = chunk_size
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=True),
                             persistent=False)
        self.register_buffer("fbank", torch.from_numpy(mel_filterbank(config)),
                             persistent=False)

    def num_frames(self, lengths: Tensor) -> Tensor:
        """Frames that :meth:`forward` gives for waveforms of ``lengths`` samples."""
        return 1 + torch.div(lengths, self.config.hop_length, rounding_mode="floor")

    def _mel_power(self, signal: Tensor, centre: bool) -> Tensor:
        """Mel power spectrogram of a chunk of (padded) waveforms.

        Shape:
            signal: (chunk, num_samples); returns (chunk, n_mels, frames).
        """
        c = self.config
        spec = torch.stft(signal, n_fft=c.n_fft, hop_length=c.hop_length,
                          win_length=c.win_length, window=self.window, center=centre,
                          pad_mode=c.pad_mode, return_complex=True)  # (chunk, freqs, frames)
        spec = spec.transpose(1, 2)  # (chunk, frames, freqs)
        power = (spec * spec.conj()).real.contiguous()  # |X|^2; much faster than abs()**2
        return torch.matmul(power, self.fbank.T).transpose(1, 2)  # (chunk, n_mels, frames)

    def _centre(self, wave: Tensor, lengths: Tensor | None, sliced: bool
                ) -> tuple[Tensor, bool]:
        """Pad each waveform by half a window; returns (signal, whether stft must centre).

        ``sliced``: every waveform will be cut at its own length (chunks of one).
        """
        c = self.config
        if lengths is None or (sliced and c.pad_mode == "constant"):
            return wave, True
        if c.pad_mode == "constant":  # torch.stft pads with zeros; so must the batch
            steps = torch.arange(wave.shape[1], device=wave.device)
            return wave * (steps[None, :] < lengths.to(wave.device)[:, None]), True
        half = c.n_fft // 2
        if int(lengths.min()) <= half:
            raise ValueError(f"reflect padding needs more than {half} samples per waveform; "
                             f"got lengths down to {int(lengths.min())}")
        out = wave.new_zeros((wave.shape[0], wave.shape[1] + 2 * half))
        for i, n in enumerate(lengths.tolist()):  # reflect each waveform at its own end
            out[i, : n + 2 * half] = F.pad(wave[i : i + 1, :n], (half, half), mode="reflect")[0]
        return out, False

    def forward(self, wave: Tensor, lengths: Tensor | None = None) -> Tensor:
        c = self.config
        if wave.ndim == 1:
            wave = wave[None]  # (num_samples,) -> (1, num_samples)
        batch, frames = wave.shape[0], 1 + wave.shape[1] // c.hop_length
        chunk = self.chunk_size or (1 if wave.device.type == "cpu" else batch)
        signal, centre = self._centre(wave.float(), lengths, sliced=chunk == 1)
        if chunk >= batch:
            mel = self._mel_power(signal, centre)  # (batch, n_mels, frames)
        else:  # each chunk only up to its longest waveform: no STFT of padding
            mel = signal.new_zeros((batch, c.n_mels, frames))
            extra = signal.shape[1] - wave.shape[1]  # reflect padding added by _centre
            for i in range(0, batch, chunk):
                n = wave.shape[1] if lengths is None else int(lengths[i : i + chunk].max())
                part = self._mel_power(signal[i : i + chunk, : n + extra], centre)
                mel[i : i + chunk, :, : part.shape[-1]] = part  # (chunk, n_mels, frames_i)
        if c.log == "ln":
            log_mel = torch.log(mel + c.eps)
        else:
            log_mel = 10.0 * torch.log10(torch.clamp(mel, min=c.eps))
        if lengths is None:
            mask = None
        else:
            steps = torch.arange(log_mel.shape[-1], device=log_mel.device)
            mask = (steps[None, :] < self.num_frames(lengths.to(log_mel.device))[:, None])
            mask = mask.unsqueeze(1)  # (batch, 1, frames)
        if c.normalize == "utterance":
            log_mel = _standardize(log_mel, mask)
        elif c.normalize == "max":
            top = (log_mel if mask is None else log_mel.masked_fill(~mask, float("-inf")))
            top = top.amax(dim=(1, 2), keepdim=True)  # (batch, 1, 1)
            log_mel = torch.maximum(log_mel - top, log_mel.new_tensor(-c.top_db))
        if mask is not None:
            log_mel = log_mel * mask
        return log_mel.unsqueeze(1)  # (batch, 1, n_mels, frames)


def _standardize(log_mel: Tensor, mask: Tensor | None) -> Tensor:
    """Subtract each spectrogram's mean and divide by its std (population), valid frames only.

    Shape:
        log_mel: (batch, n_mels, frames); mask: (batch, 1, frames) or None.
    """
    if mask is None:
        mask = torch.ones_like(log_mel[:, :1, :], dtype=torch.bool)
    weight = mask.to(log_mel.dtype)
    count = weight.sum(dim=(1, 2), keepdim=True) * log_mel.shape[1]
    mean = (log_mel * weight).sum(dim=(1, 2), keepdim=True) / count
    var = (((log_mel - mean) * weight) ** 2).sum(dim=(1, 2), keepdim=True) / count
    return (log_mel - mean) / (var.sqrt() + 1e-8)

