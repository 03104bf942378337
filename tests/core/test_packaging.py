"""What an installed serlib holds: every package of the tree, and the shipped configs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]


def test_the_package_list_matches_the_tree():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts)
             for p in (REPO / "serlib").rglob("__init__.py")} | {"serlib.configs"}
    assert listed == found, f"pyproject.toml [tool.setuptools] packages: add {found - listed}, " \
                            f"remove {listed - found}"


@pytest.mark.slow
def test_the_wheel_holds_the_configs(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", str(REPO), "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path)], check=True,
                   capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("serlib-*.whl"))).namelist()
    shipped = {p.name for p in (REPO / "configs").glob("*.yaml")}
    assert {Path(n).name for n in names if n.startswith("serlib/configs/")} >= shipped
    assert not [n for n in names if n.endswith((".pt", ".wav", ".ipynb"))]
