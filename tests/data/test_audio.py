"""load_audio on awkward real-world files, and every bad-input case it must refuse."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from serlib.data import audio_info, load_audio
from serlib.errors import AudioDecodeError


def _tone(n: int, sr: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * 220 * np.arange(n) / sr)).astype(np.float32)


def test_resamples_to_the_requested_rate_as_mono_float32(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, _tone(48000, 48000), 48000, subtype="PCM_16")
    wav = load_audio(path, 16000)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert wav.shape == (16000,)
    assert 0.45 < np.max(np.abs(wav)) < 0.55  # soxr HQ keeps the level of a 220 Hz tone


def test_stereo_96k_is_downmixed(tmp_path):
    left, right = _tone(9600, 96000, 0.4), np.zeros(9600, np.float32)
    path = tmp_path / "stereo96k.wav"
    sf.write(path, np.stack([left, right], axis=1), 96000, subtype="PCM_24")
    wav = load_audio(path, 16000, min_duration=0.05)
    assert wav.shape == (1600,)
    assert 0.15 < np.max(np.abs(wav)) < 0.25  # the mean of the two channels


def test_aiff_data_behind_a_wav_name_and_odd_rate(tmp_path):
    path = tmp_path / "OAF_back_angry.wav"  # a TESS copy quirk
    sf.write(path, _tone(24414, 24414), 24414, format="AIFF", subtype="PCM_16")
    assert audio_info(path).format == "AIFF"
    assert audio_info(path).sample_rate == 24414
    assert load_audio(path, 16000).shape == (16000,)


def test_float_wav_is_read_as_stored(tmp_path):
    path = tmp_path / "float.wav"
    sf.write(path, _tone(1600, 16000, 0.25), 16000, subtype="FLOAT")
    wav = load_audio(path, 16000)
    np.testing.assert_allclose(wav, _tone(1600, 16000, 0.25), atol=1e-7)


@pytest.mark.parametrize("case", ["empty", "junk", "header_only", "truncated", "missing",
                                  "nan", "inf", "silent", "too_short"])
def test_bad_files_raise_audio_decode_error_naming_the_file(tmp_path, case):
    path = tmp_path / f"{case}.wav"
    good = tmp_path / "good.wav"
    sf.write(good, _tone(4000, 16000), 16000, subtype="PCM_16")
    if case == "empty":
        path.write_bytes(b"")
    elif case == "junk":
        path.write_bytes(np.random.default_rng(0).bytes(2000))
    elif case == "header_only":
        path.write_bytes(good.read_bytes()[:44])
    elif case == "truncated":
        path.write_bytes(good.read_bytes()[:4000])
    elif case in ("nan", "inf"):
        data = _tone(4000, 16000)
        data[100] = np.nan if case == "nan" else np.inf
        sf.write(path, data, 16000, subtype="FLOAT")
    elif case == "silent":
        sf.write(path, np.zeros(4000, np.float32), 16000, subtype="PCM_16")
    elif case == "too_short":
        sf.write(path, _tone(800, 16000), 16000, subtype="PCM_16")  # 50 ms
    reason = {"empty": "empty", "junk": "not a readable", "header_only": "no samples",
              "truncated": "truncated", "missing": "no such file", "nan": "NaN or infinite",
              "inf": "NaN or infinite", "silent": "silent", "too_short": "shorter"}[case]
    with pytest.raises(AudioDecodeError, match=reason) as err:
        load_audio(path, 16000)
    assert str(path) in str(err.value)


def test_thresholds_are_configurable(tmp_path):
    path = tmp_path / "short_quiet.wav"
    sf.write(path, _tone(800, 16000, 1e-3), 16000, subtype="FLOAT")
    assert load_audio(path, 16000, min_duration=0.0).shape == (800,)
    with pytest.raises(AudioDecodeError, match="silent"):
        load_audio(path, 16000, min_duration=0.0, silence_threshold=1e-2)


def test_audio_info_reads_only_the_header(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, np.zeros((4410, 2), np.float32), 44100, subtype="PCM_16")
    info = audio_info(path)
    assert (info.sample_rate, info.frames, info.channels) == (44100, 4410, 2)
    assert info.duration == pytest.approx(0.1)
