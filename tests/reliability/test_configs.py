"""Configs are typed and ranged when the file is loaded; messages name file, key, value."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pytest

from serlib.config import config_from_dict, config_replace, load_config
from serlib.data import synthetic_config
from serlib.errors import ConfigError
from serlib.features import MelConfig, load_mel_config


@dataclasses.dataclass(frozen=True)
class Inner:
    size: int = 1


@dataclasses.dataclass(frozen=True)
class Demo:
    """Every kind of hint the loader checks."""

    lr: float = 1e-3
    num_epochs: int = 3
    amp: bool = True
    name: str = "demo"
    patience: int | None = None
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[int, float] = (1, 0.5)
    n_labels: tuple[int | str, ...] = ("all",)
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    mode: Literal["fast", "slow"] = "fast"
    inner: Inner = Inner()

    def __post_init__(self) -> None:
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: must be positive")


def load(tmp_path: Path, text: str) -> Demo:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return load_config(Demo, path)


@pytest.mark.parametrize(("text", "match"), [
    ("lr: '0.01'", r"demo.yaml: lr='0.01' \(str\).*Demo.lr expects float.*without quotes"),
    ("lr: 1e-3", r"lr='1e-3'.*YAML reads 1e-3 as text"),
    ("num_epochs: true", r"num_epochs=True \(bool\).*expects int"),
    ("num_epochs: 2.5", r"num_epochs=2.5 \(float\).*expects int"),
    ("amp: 1", r"amp=1 \(int\).*expects bool"),
    ("name: 3", r"name=3 \(int\).*expects str"),
    ("patience: five", r"patience='five'.*expects int \| null"),
    ("sizes: 3", r"sizes=3 \(int\).*expects list of int"),
    ("sizes: [1, two]", r"sizes\[1\]='two'.*sizes\[1\] must be int"),
    ("pair: [1, 2, 3]", r"pair=\[1, 2, 3\].*list of 2"),
    ("n_labels: [all, 2.5]", r"n_labels\[1\]=2.5"),
    ("options: [1]", r"options=\[1\].*expects mapping"),
    ("mode: medium", r"mode='medium'.*one of \['fast', 'slow'\]"),
    ("inner: {size: big}", r"inner.*size='big'"),
    ("lr: -0.5", r"demo.yaml: invalid value for Demo: lr=-0.5: must be positive"),
    ("learning_rate: 0.1", r"unknown key\(s\) \['learning_rate'\]"),
])
def test_a_bad_value_names_the_file_the_key_the_value_and_what_is_allowed(
        tmp_path: Path, text: str, match: str) -> None:
    """Issue 10, item 6: a string lr gave a TypeError traceback, long after loading."""
    with pytest.raises(ConfigError, match=match):
        load(tmp_path, text)


def test_good_values_load_an_int_is_a_float_and_lists_become_tuples(tmp_path: Path) -> None:
    demo = load(tmp_path, "lr: 1\nsizes: [3, 4]\npatience: null\ninner: {size: 2}\n"
                          "n_labels: [all, 5]\noptions: {a: [1, 2]}\nmode: slow\n")
    assert demo == Demo(lr=1, sizes=(3, 4), inner=Inner(2), n_labels=("all", 5),
                        options={"a": [1, 2]}, mode="slow")


@pytest.mark.parametrize(("data", "match"), [
    (b"- just\n- a list\n", "expected a mapping"),
    (b"lr: [unclosed\n", "not valid YAML"),
    (b"\xff\xfe\x00garbage", "not a text file"),
])
def test_files_that_are_not_configs(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=match):
        load_config(Demo, path)


def test_a_folder_given_as_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(Demo, tmp_path)


def test_mel_config_files_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "mel.yaml"
    path.write_text("n_mels: '64'\n")
    with pytest.raises(ConfigError, match=r"mel.yaml: n_mels='64'.*MelConfig.n_mels expects int"):
        load_mel_config(path)
    with pytest.raises(ConfigError, match=r"MelConfig.hop_length=0: must be positive"):
        config_from_dict(MelConfig, {"hop_length": 0}, source="mel.yaml")


def test_overrides_are_checked_and_range_messages_name_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"speakers_per_language='8' \(str\)"):
        synthetic_config("smoke", speakers_per_language="8")
    with pytest.raises(ConfigError, match=r"utterances_per_emotion=0: must be at least 1"):
        synthetic_config("smoke", utterances_per_emotion=0)
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['speakers'\]"):
        config_replace(Demo(), speakers=3)
