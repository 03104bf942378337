"""MelConfig presets and YAML loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from serlib.config import config_hash
from serlib.errors import ConfigError
from serlib.features import MEL_PRESETS, MelConfig, load_mel_config, mel_preset


def test_agarla_preset_is_the_paper_front_end() -> None:
    c = mel_preset("agarla")
    assert (c.sample_rate, c.n_fft, c.win_length, c.hop_length) == (16000, 1024, 1024, 160)
    assert (c.n_mels, c.f_min, c.f_max) == (64, 60.0, 7800.0)
    assert 1000 * c.win_length / c.sample_rate == 64.0  # 64 ms window
    assert 1000 * c.hop_length / c.sample_rate == 10.0  # 10 ms hop
    assert (c.log, c.normalize) == ("ln", "utterance")
    assert c == MelConfig()  # the defaults are the paper's front-end


def test_byols_preset_is_what_the_checkpoints_expect() -> None:
    c = mel_preset("byols")
    assert (c.n_fft, c.win_length, c.hop_length, c.n_mels) == (1024, 400, 160, 64)
    assert (c.f_min, c.f_max, c.log, c.normalize) == (60.0, 7800.0, "ln", "none")
    assert c.eps == float(np.finfo(np.float32).eps)
    assert (c.mel_scale, c.mel_norm, c.pad_mode) == ("htk", "none", "reflect")


def test_vgg_preset_is_librosa_power_to_db() -> None:
    c = mel_preset("vgg")
    assert (c.n_mels, c.f_min, c.f_max, c.log, c.normalize, c.top_db) == (
        128, 0.0, 8000.0, "db", "max", 80.0)
    assert (c.mel_scale, c.mel_norm) == ("slaney", "slaney")


def test_presets_hash_differently_and_overrides_apply() -> None:
    hashes = {config_hash(c) for c in MEL_PRESETS.values()}
    assert len(hashes) == len(MEL_PRESETS)
    assert mel_preset("byols", n_mels=32).n_mels == 32
    assert MEL_PRESETS["byols"].n_mels == 64  # presets are not mutated


@pytest.mark.parametrize("bad", [dict(win_length=2048), dict(log="log2"), dict(f_max=9000.0),
                                 dict(normalize="global"), dict(mel_scale="bark"),
                                 dict(pad_mode="edge"), dict(hop_length=0), dict(eps=0.0)])
def test_invalid_values_raise(bad: dict) -> None:
    with pytest.raises(ConfigError):
        mel_preset("agarla", **bad)


def test_unknown_preset_or_field_raises() -> None:
    with pytest.raises(ConfigError, match="choose from"):
        mel_preset("whisper")
    with pytest.raises(ConfigError, match="n_bands"):
        mel_preset("agarla", n_bands=40)


def test_yaml_with_preset_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "mel.yaml"
    path.write_text("# BYOL-S front-end with fewer bands\npreset: byols\nn_mels: 32\n")
    assert load_mel_config(path) == mel_preset("byols", n_mels=32)
    flat = tmp_path / "flat.yaml"
    flat.write_text("hop_length: 320\nlog: db\n")
    assert load_mel_config(flat) == MelConfig(hop_length=320, log="db")
    assert load_mel_config("vgg") == mel_preset("vgg")
    assert load_mel_config({"preset": "agarla", "n_mels": 40}).n_mels == 40


def test_yaml_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("preset: byols\nn_bands: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_mel_config(path)
    path.write_text("n_bands: 3\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_mel_config(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_mel_config(tmp_path / "missing.yaml")
