"""The engine's tests resume from any epoch: a checkpoint after every epoch (no time budget)."""

import pytest


@pytest.fixture(autouse=True)
def _checkpoint_every_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERLIB_CHECKPOINT_EVERY", "0")
