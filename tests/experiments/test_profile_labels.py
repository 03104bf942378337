"""A profile that is not what its name promises says so: synthetic fallback, no CUDA."""

from __future__ import annotations

import warnings

import pytest
import torch

from serlib.experiments import chapter_profile, get_profile
from serlib.experiments.profiles import apply_profile
from serlib.experiments.recipes import BAKLOUTI
from serlib.train import costs


def test_a_synthetic_fallback_is_labelled_but_keeps_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    profile = chapter_profile("full", dry_run=True, log=None)
    assert profile.name == "full"  # the key of results files and code paths
    assert profile.shown == "full (synthetic fallback)"
    assert "corpora missing" in profile.note and "ravdess" in profile.note
    table = profile.describe()
    assert table.loc["name", "value"] == "full (synthetic fallback)"
    assert get_profile("smoke").shown == "smoke"
    assert "label" not in get_profile("smoke").describe().index


def test_full_without_cuda_warns_loudly_and_is_labelled(tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    said: list[str] = []
    with pytest.warns(RuntimeWarning, match="meant for a CUDA GPU"):
        profile = chapter_profile("full", log=said.append)
    assert "torch " in said[0] and "CUDA" in said[0] and "driver" in said[0]
    assert profile.shown == "full (no CUDA: CPU) (synthetic fallback)"
    assert "no CUDA device" in profile.note and "corpora missing" in profile.note
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a dry run is meant for the CPU: no CUDA warning
        assert chapter_profile("full", dry_run=True, log=None).shown.startswith("full (synth")


def test_a_dry_run_registers_the_uncapped_schedule():
    costs._FULL.clear()
    capped = apply_profile(BAKLOUTI, get_profile("full", dry_run=True))
    config = capped.train_config("source", seed=0)
    key = (config.num_epochs, config.steps_per_epoch, config.lr)
    full = costs._FULL[costs._config_key(*key, "source")]
    assert full["num_epochs"] == BAKLOUTI.source_epochs and full["batch_size"] == 16
    assert costs._FULL[costs._config_key(*key, "adapt")]["num_epochs"] == BAKLOUTI.adapt_epochs
