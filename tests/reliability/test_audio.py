"""Bad audio files: each is an AudioDecodeError that names the file and what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import serlib.data.audio as audio_module
from serlib.data import audio_info, load_audio
from serlib.errors import AudioDecodeError, ConfigError

from .conftest import audio_bytes, speech


def fails(path: Path, match: str, **kwargs) -> str:
    with pytest.raises(AudioDecodeError, match=match) as info:
        load_audio(path, **kwargs)
    assert str(path) in str(info.value)
    return str(info.value)


def test_a_good_file_loads(write_wav) -> None:
    assert load_audio(write_wav("good.wav")).shape == (8000,)


@pytest.mark.parametrize(("name", "data", "match"), [
    ("empty.wav", b"", "empty file"),
    ("lfs.wav", b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
     "Git-LFS pointer"),
    ("page.wav", b"<!DOCTYPE html><html><body>404</body></html>", "HTML page"),
    ("garbage.wav", bytes(range(256)) * 8, "not a readable audio file"),
])
def test_files_that_are_not_audio_say_what_they_are(write_wav, name, data, match) -> None:
    fails(write_wav(name, data=data), match)


def test_truncated_wav(write_wav) -> None:
    data = audio_bytes(1.0)
    fails(write_wav("cut.wav", data=data[: len(data) // 2]), "truncated WAV")


def test_truncated_aiff_whose_header_promises_more_samples(write_wav) -> None:
    """libsndfile silently shortens a truncated AIFF; the COMM chunk says how long it was."""
    data = audio_bytes(1.0, fmt="AIFF")
    fails(write_wav("cut.wav", data=data[: len(data) // 2]), "truncated AIFF.*16000 samples")


def test_a_decoder_returning_fewer_samples_than_the_header_is_an_error(write_wav,
                                                                       monkeypatch) -> None:
    path = write_wav("short-read.flac", 1.0, fmt="FLAC")
    real_read = sf.read

    def short_read(*args, **kwargs):
        wav, rate = real_read(*args, **kwargs)
        return wav[: len(wav) - 100], rate

    monkeypatch.setattr(audio_module.sf, "read", short_read)
    fails(path, "15900 of the 16000 samples its header promises")


def test_permission_denied_says_so_and_not_re_download(write_wav, deny_read) -> None:
    """Issue 10, item 8: an unreadable file was 'not a readable audio file ... re-download'."""
    path = write_wav("locked.wav")
    deny_read(path)
    message = fails(path, "permission denied")
    assert "re-download" not in message and "chmod" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_on_a_real_chmod_000_file(write_wav) -> None:
    path = write_wav("locked.wav")
    path.chmod(0)
    try:
        fails(path, "permission denied")
    finally:
        path.chmod(0o644)


def test_a_directory_named_like_a_recording(tmp_path: Path) -> None:
    """Issue 10, item 8: a folder called x.wav was reported as 'no such file'."""
    folder = tmp_path / "03a01Fa.wav"
    folder.mkdir()
    message = fails(folder, "is a directory")
    assert "no such file" not in message


def test_a_missing_file(tmp_path: Path) -> None:
    fails(tmp_path / "gone.wav", "no such file")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_name_the_file(write_wav, value: float) -> None:
    wave = speech(0.5)
    wave[4000:4010] = value
    fails(write_wav("nan.wav", wave=wave, subtype="FLOAT"), r"10 NaN or infinite.*0\.250 s")


def test_silent_and_too_short_files(write_wav) -> None:
    fails(write_wav("silent.wav", wave=np.zeros(8000, np.float32)), "silent")
    fails(write_wav("short.wav", 0.05), "shorter than the minimum")
    with pytest.raises(AudioDecodeError, match="shorter than the minimum"):
        audio_info(write_wav("short2.wav", 0.05), min_duration=0.1)


@pytest.mark.parametrize("rate", [16000.0, "16000", 0, True])
def test_a_sample_rate_of_the_wrong_type_is_refused_not_converted(write_wav, rate) -> None:
    with pytest.raises(ConfigError, match="sample_rate="):
        load_audio(write_wav("good.wav"), sample_rate=rate)
