"""The two log-mel implementations agree; batching, padding and lengths are handled exactly."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from serlib.features import LogMel, compute_log_mel, mel_filterbank, mel_preset, num_frames

PRESETS = ["agarla", "byols", "vgg"]


def rel_error(out: np.ndarray, ref: np.ndarray) -> float:
    """Largest absolute difference relative to the reference's largest magnitude."""
    return float(np.abs(out - ref).max() / np.abs(ref).max())


def test_filterbank_is_librosas() -> None:
    slaney = mel_filterbank(mel_preset("agarla"))
    assert slaney.shape == (64, 513)
    np.testing.assert_allclose(slaney, librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64,
                                                           fmin=60, fmax=7800), rtol=1e-6)
    htk = mel_filterbank(mel_preset("byols"))
    np.testing.assert_allclose(htk, librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64,
                                                        fmin=60, fmax=7800, htk=True,
                                                        norm=None), rtol=1e-6)
    assert htk.max() == pytest.approx(1.0, abs=0.05)  # unit-peak triangles, no area norm


@pytest.mark.parametrize("preset", PRESETS)
def test_shapes_and_frames(preset: str, make_speech) -> None:
    config = mel_preset(preset)
    wave = make_speech(0.73)
    ref = compute_log_mel(wave, config)
    out = LogMel(config)(torch.from_numpy(wave)[None])
    assert ref.shape == (config.n_mels, num_frames(wave.size, config))
    assert out.shape == (1, 1, *ref.shape)
    assert ref.dtype == np.float32 and out.dtype == torch.float32


@pytest.mark.parametrize("preset", PRESETS)
def test_parity_on_synthetic_speech(preset: str, make_speech) -> None:
    config = mel_preset(preset)
    wave = make_speech(1.3, seed=3)
    out = LogMel(config)(torch.from_numpy(wave))[0, 0].numpy()
    assert rel_error(out, compute_log_mel(wave, config)) <= 1e-4


@pytest.mark.shared
@pytest.mark.parametrize("preset", PRESETS)
def test_parity_on_real_speech(preset: str, real_speech: list[np.ndarray]) -> None:
    """torch and librosa agree to <= 1e-4 relative error, one by one and as a padded batch."""
    config = mel_preset(preset)
    front_end = LogMel(config)
    lengths = torch.tensor([w.size for w in real_speech])
    batch = torch.zeros(len(real_speech), int(lengths.max()))
    for i, w in enumerate(real_speech):
        batch[i, : w.size] = torch.from_numpy(w)
    batched = front_end(batch, lengths)
    for i, wave in enumerate(real_speech):
        ref = compute_log_mel(wave, config)
        alone = front_end(torch.from_numpy(wave))[0, 0].numpy()
        assert rel_error(alone, ref) <= 1e-4
        assert rel_error(batched[i, 0, :, : ref.shape[1]].numpy(), ref) <= 1e-4
        assert not batched[i, 0, :, ref.shape[1]:].any()  # padded frames are zero


@pytest.mark.parametrize("preset", PRESETS)
def test_padded_batch_equals_items_alone(preset: str, make_speech) -> None:
    config = mel_preset(preset)
    waves = [make_speech(s, seed=i) for i, s in enumerate([0.5, 1.1, 0.8])]
    lengths = torch.tensor([w.size for w in waves])
    batch = torch.randn(3, int(lengths.max()))  # whatever lies in the padding is ignored
    for i, w in enumerate(waves):
        batch[i, : w.size] = torch.from_numpy(w)
    front_end = LogMel(config)
    out = front_end(batch, lengths)
    frames = front_end.num_frames(lengths)
    for i, w in enumerate(waves):
        alone = front_end(torch.from_numpy(w))[0, 0]
        assert alone.shape[-1] == int(frames[i])
        torch.testing.assert_close(out[i, 0, :, : alone.shape[-1]], alone, atol=1e-5, rtol=1e-5)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(600, 4000), min_size=1, max_size=4),
       chunk=st.integers(1, 5), preset=st.sampled_from(PRESETS))
def test_chunk_size_does_not_change_results(lengths: list[int], chunk: int, preset: str,
                                            make_speech) -> None:
    config = mel_preset(preset)
    wave = torch.from_numpy(make_speech(0.25, seed=1))[: max(lengths)]
    batch = torch.randn(len(lengths), max(lengths))  # the padding's content is ignored
    for i, n in enumerate(lengths):
        batch[i, :n] = wave[:n]
    lens = torch.tensor(lengths)
    whole = LogMel(config, chunk_size=len(lengths))(batch, lens)
    chunked = LogMel(config, chunk_size=chunk)(batch, lens)
    torch.testing.assert_close(chunked, whole, atol=1e-5, rtol=1e-5)


def test_utterance_normalisation_uses_valid_frames(make_speech) -> None:
    out = LogMel(mel_preset("agarla"))(torch.from_numpy(make_speech(0.9))[None])[0, 0]
    assert float(out.mean()) == pytest.approx(0.0, abs=1e-4)
    assert float(out.std(unbiased=False)) == pytest.approx(1.0, abs=1e-3)


def test_max_normalisation_is_power_to_db(make_speech) -> None:
    config = mel_preset("vgg")
    wave = make_speech(0.8).astype(np.float64)
    power = np.abs(librosa.stft(wave, n_fft=1024, hop_length=256)) ** 2
    mel = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=128, fmin=0, fmax=8000) @ power
    expected = librosa.power_to_db(mel, ref=np.max, amin=1e-10, top_db=80.0)
    np.testing.assert_allclose(compute_log_mel(wave, config), expected, atol=1e-3)
    assert compute_log_mel(wave, config).max() == 0.0


def test_reflect_padding_needs_half_a_window() -> None:
    front_end = LogMel(mel_preset("byols"))
    with pytest.raises(ValueError, match="reflect padding"):
        front_end(torch.zeros(2, 4000), torch.tensor([4000, 300]))
