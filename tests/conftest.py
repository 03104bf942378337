"""Shared pytest fixtures.

Real corpora and weights are never part of the project. Tests that need them use the
fixtures below, which look for the development copies in ``$SERLIB_SHARED`` (default: the
``shared`` folder beside the repository) and skip cleanly when they are absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # figures in tests never need a screen

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    return Path(os.environ.get("SERLIB_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The folder with real corpora and weights (``../shared``); skips when absent."""
    path = _shared_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set SERLIB_SHARED to use one)")
    return path


def _shared_sub(*parts: str) -> Path:
    path = _shared_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def emodb_dir() -> Path:
    """Real EmoDB copy (the folder that holds ``wav/``); skips when absent."""
    return _shared_sub("data", "emodb")


@pytest.fixture(scope="session")
def ravdess_dir() -> Path:
    """Real RAVDESS speech copy at 16 kHz (holds ``Actor_01..24``); skips when absent."""
    return _shared_sub("data", "ravdess")


@pytest.fixture(scope="session")
def byols_checkpoint() -> Path:
    """Real BYOL-S d512 checkpoint; skips when absent."""
    return _shared_sub(
        "weights", "byol-s", "default512_BYOLAs64x96-2107281850-e100-bs256-lr0003-rs42.pth"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Point SERLIB_CACHE at a fresh temp folder for the whole session (before any fixture),
    so that tests never write into the user's cache. Set SERLIB_CACHE_KEEP=1 to keep yours."""
    if "SERLIB_CACHE_KEEP" not in os.environ:
        os.environ["SERLIB_CACHE"] = tempfile.mkdtemp(prefix="serlib-test-cache-")
