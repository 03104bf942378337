"""Log-mel spectrogram images with time in seconds and, optionally, frequency in Hz.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from serlib.viz.axes import get_axes

__all__ = ["mel_band_centres", "plot_log_mel"]

# Slaney's mel scale (librosa's default, used by serlib.features): linear below 1 kHz,
# logarithmic above.
_F_SP = 200.0 / 3.0
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    log_part = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(hz >= _MIN_LOG_HZ, log_part, hz / _F_SP)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_part = _MIN_LOG_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log_part, _F_SP * mel)


def mel_band_centres(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """Centre frequency (Hz) of each of ``n_mels`` Slaney-mel bands between ``f_min`` and ``f_max``.

    As ``librosa.mel_frequencies(n_mels + 2, fmin=f_min, fmax=f_max)[1:-1]``: the band edges
    are equally spaced on the mel scale and band ``k`` peaks at edge ``k + 1``.

    Shape:
        returns (n_mels,).
    """
    edges = np.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2)
    return _mel_to_hz(edges[1:-1])


def plot_log_mel(
    log_mel: Any,
    *,
    sample_rate: int,
    hop_length: int,
    f_min: float | None = None,
    f_max: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
    cmap: str = "magma",
) -> Axes:
    """Show a log-mel spectrogram: time (s) on x, mel band on y, energy as colour.

    Args:
        log_mel: the spectrogram (NumPy array or CPU tensor), low bands first.
        sample_rate: sampling rate of the audio (Hz).
        hop_length: hop between frames (samples); frame ``i`` is at ``i·hop/sr`` seconds.
        f_min: lowest mel band edge (Hz); with ``f_max``, the y ticks show band centres in Hz.
        f_max: highest mel band edge (Hz).
        ax: Axes to draw on; None makes a new figure.
        title: Axes title.
        colorbar: add a colour bar labelled "log energy".
        cmap: matplotlib colour map.

    Shape:
        log_mel: (n_mels, frames).

    Chapter: book/06_cross_lingual_gap.md
    """
    if hasattr(log_mel, "detach"):
        log_mel = log_mel.detach().cpu().numpy()
    values = np.asarray(log_mel, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"log_mel must be (n_mels, frames), got shape {values.shape}")
    if (f_min is None) != (f_max is None):
        raise ValueError("give both f_min and f_max (to label the y axis in Hz) or neither")
    n_mels, frames = values.shape
    duration = frames * hop_length / sample_rate
    ax = get_axes(ax, figsize=(7.0, 3.0))
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        extent=(0.0, duration, -0.5, n_mels - 0.5),
        interpolation="nearest",
    )
    ax.set_xlabel("time (s)")
    if f_min is not None and f_max is not None:
        centres = mel_band_centres(n_mels, f_min, f_max)
        ticks = np.unique(np.linspace(0, n_mels - 1, min(n_mels, 6)).round().astype(int))
        ax.set_yticks(ticks, [f"{centres[k]:.0f}" for k in ticks])
        ax.set_ylabel("frequency (Hz)")
    else:
        ax.set_ylabel("mel band")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="log energy")
    return ax
