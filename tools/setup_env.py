"""Install what `make book` and `make test` need into the Python running this, once.

Checks, in well under a second, that torch, torchvision and every requirement of
``serlib[book,dev]`` (from ``pyproject.toml``) are installed in versions that satisfy it, and
installs only what is missing:

- torch and torchvision: ``pip install torch==2.14.1 torchvision==0.29.1``. From PyPI this is
  a multi-GB, CUDA-capable build (it also runs on CPU). For the much smaller CPU-only wheels,
  set ``TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu``;
- serlib itself, when no serlib is installed: ``pip install -e ".[book,dev]"`` (editable,
  from this checkout);
- otherwise, only the missing requirements (so an existing editable install elsewhere is
  left alone).

``python tools/setup_env.py --check`` only reports (exit 1 when something is missing).
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import os
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

try:
    from packaging.requirements import Requirement
except ModuleNotFoundError:  # a fresh venv has pip's vendored copy
    from pip._vendor.packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
TORCH = ["torch==2.14.1", "torchvision==0.29.1"]
EXTRAS = ("book", "dev")


def requirements() -> list[str]:
    """serlib's dependencies and its ``book`` and ``dev`` extras, from pyproject.toml."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is not None:
        project = tomllib.loads(text)["project"]
        reqs = list(project["dependencies"])
        for extra in EXTRAS:
            reqs += project["optional-dependencies"][extra]
        return reqs
    reqs = []  # a small reader for the two lists we need (Python 3.10, no tomllib)
    for name in ("dependencies", *EXTRAS):
        block = re.search(rf"^{name} = \[(.*?)^\]", text, re.M | re.S)
        reqs += re.findall(r'"([^"]+)"', block.group(1)) if block else []
    return reqs


def missing(reqs: list[str]) -> list[str]:
    """The requirements that are not installed, or installed in a version that does not fit."""
    out = []
    for spec in reqs:
        req = Requirement(spec)
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(spec)
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            out.append(spec)
    return out


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "install", *args]
    print("[setup] " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 10):  # noqa: UP036 - a fresh venv may have an older Python
        print(f"[setup] serlib needs Python >= 3.10; {sys.executable} is "
              f"{sys.version.split()[0]}", file=sys.stderr)
        return 1
    need_torch = missing(["torch", "torchvision"])
    try:
        metadata.version("serlib")
        have_serlib = True
    except metadata.PackageNotFoundError:
        have_serlib = False
    rest = [r for r in missing(requirements())
            if Requirement(r).name not in ("torch", "torchvision")]
    if not (need_torch or rest or not have_serlib):
        return 0
    todo = (["torch/torchvision"] if need_torch else []) + \
        (["serlib[book,dev]"] if not have_serlib else rest)
    if args.check:
        print(f"[setup] {sys.executable}: missing {', '.join(todo)}")
        return 1
    print(f"[setup] {sys.executable}: installing {', '.join(todo)}", flush=True)
    if need_torch:
        index = os.environ.get("TORCH_INDEX_URL")
        print("[setup] torch from " + (index or "PyPI: a multi-GB CUDA-capable build (set "
              "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu for CPU-only wheels)"))
        pip(*TORCH, *(["--index-url", index] if index else []))
    if not have_serlib:
        pip("-e", f".[{','.join(EXTRAS)}]")
    elif rest:
        pip(*rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
