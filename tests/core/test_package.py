"""The package's own surface: re-exports, core helpers, the command line."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

import serlib
from serlib.atomic import atomic_path, atomic_write_text
from serlib.cli import main
from serlib.config import config_from_dict, config_hash, config_to_dict, load_config
from serlib.errors import ConfigError


@pytest.mark.parametrize("name", sorted(serlib._EXPORTS))
def test_every_reexport_resolves_to_its_module(name: str) -> None:
    module = importlib.import_module(serlib._EXPORTS[name])
    assert getattr(serlib, name) is getattr(module, name)
    assert name in module.__all__


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        serlib.nope  # noqa: B018


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@dataclasses.dataclass(frozen=True)
class _Demo:
    lr: float = 1e-3
    sizes: tuple[int, ...] = (1, 2)


def test_configs_refuse_unknown_keys_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("# a comment\nlr: 0.01\nsizes: [3, 4]\n")
    demo = load_config(_Demo, path)
    assert demo == _Demo(lr=0.01, sizes=(3, 4))
    assert config_from_dict(_Demo, config_to_dict(demo)) == demo
    path.write_text("lr: 0.01\nlearning_rate: 3\n")
    with pytest.raises(ConfigError, match=r"demo.yaml: unknown key\(s\) \['learning_rate'\]"):
        load_config(_Demo, path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(_Demo, tmp_path / "missing.yaml")


def test_config_hash_is_stable_and_sensitive() -> None:
    assert config_hash(_Demo()) == config_hash(_Demo())
    assert config_hash(_Demo()) != config_hash(_Demo(lr=0.1))
    assert len(config_hash(_Demo(), "x", 3)) == 16


def test_cli_lists_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("data", "experiment", "predict"):
        assert command in out


@pytest.mark.parametrize("package", ["serlib", "serlib.train", "serlib.adapt",
                                     "serlib.experiments"])
def test_lazy_packages_export_what_their_modules_define(package: str) -> None:
    pkg = importlib.import_module(package)
    for name, module in pkg._EXPORTS.items():
        assert getattr(pkg, name) is getattr(importlib.import_module(module), name)
        assert name in importlib.import_module(module).__all__
    assert set(pkg.__all__) - {"__version__"} == set(pkg._EXPORTS)


def test_importing_the_packages_and_the_cli_loads_no_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, serlib, serlib.train, serlib.adapt, serlib.experiments, serlib.cli;"
            "from serlib.cli import build_parser; build_parser();"
            "from serlib.adapt.methods import METHODS;"
            "print(sorted(m for m in ('torch', 'pandas', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
