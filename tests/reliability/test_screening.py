"""One bad file never costs a task: screening drops it with a reason, extractors list all."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import serlib.data.screen as screen_module
from serlib.data import ScreenResult, screen_audio
from serlib.errors import AudioDecodeError, DataWarning, UndecodableFilesError
from serlib.features import cached_embeddings, cached_log_mels, extract_log_mels, mel_preset

from .conftest import audio_bytes, leftovers, speech


@pytest.fixture
def table(write_wav, tmp_path: Path) -> pd.DataFrame:
    """Three good files and four bad ones (truncated, NaN, silent, missing), two corpora."""
    nan = speech(0.5)
    nan[100] = np.nan
    data = audio_bytes(1.0)
    paths = [write_wav("a/good0.wav"), write_wav("a/cut.wav", data=data[: len(data) // 2]),
             write_wav("a/good1.wav", 0.7), write_wav("b/nan.wav", wave=nan, subtype="FLOAT"),
             write_wav("b/silent.wav", wave=np.zeros(8000, np.float32)),
             tmp_path / "b" / "gone.wav", write_wav("b/good2.wav", 0.6)]
    return pd.DataFrame({"path": [str(p) for p in paths],
                         "corpus": ["a", "a", "a", "b", "b", "b", "b"],
                         "emotion": ["anger"] * 7})


def test_screening_keeps_good_rows_and_reports_each_dropped_file(table, cache, caplog) -> None:
    with caplog.at_level(logging.WARNING), pytest.warns(DataWarning, match=r"4 of 7.*b: 3"):
        result = screen_audio(table, progress=False)
    assert isinstance(result, ScreenResult) and result.n_dropped == 4
    assert list(result.kept.index) == [0, 2, 6]  # table order and index kept
    assert list(result.dropped.columns) == ["path", "corpus", "reason"]
    reasons = dict(zip(result.dropped["path"], result.dropped["reason"], strict=True))
    for name, why in [("cut.wav", "truncated"), ("nan.wav", "NaN"), ("silent.wav", "silent"),
                      ("gone.wav", "no such file")]:
        path = next(p for p in reasons if p.endswith(name))
        assert why in reasons[path] and path in reasons[path]
        assert path in caplog.text  # every drop is logged
    assert "kept 3 of 7" in result.report()


def test_a_second_screening_reads_the_cache(table, cache, monkeypatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        first = screen_audio(table, progress=False)

        def boom(*args, **kwargs):
            raise AssertionError("decoded again although nothing changed")

        monkeypatch.setattr(screen_module, "load_audio", boom)
        second = screen_audio(table, progress=False)
    pd.testing.assert_frame_equal(first.dropped, second.dropped)
    assert list((cache / "screening").glob("audio-*.json"))
    assert leftovers(cache) == []


def test_a_changed_file_is_screened_again(table, cache, write_wav) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert screen_audio(table, progress=False).n_dropped == 4
        write_wav("b/nan.wav")  # repaired
        assert screen_audio(table, progress=False).n_dropped == 3


@pytest.mark.parametrize("damage", [b"\x00\xffgarbage", b'["a list"]',
                                    b'{"version": 1, "settings": {}, "files": 3}', b"{"])
def test_a_damaged_screening_cache_is_rebuilt_with_a_warning(table, cache, caplog,
                                                             damage: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        screen_audio(table, progress=False)
        (cache_file,) = (cache / "screening").glob("audio-*.json")
        cache_file.write_bytes(damage)
        with caplog.at_level(logging.WARNING):
            again = screen_audio(table, progress=False)
    assert again.n_dropped == 4
    assert "damaged screening cache" in caplog.text and str(cache_file) in caplog.text
    assert len(json.loads(cache_file.read_text())["files"]) == 6  # rebuilt (not the missing)


def test_malformed_entries_are_screened_again(table, cache, caplog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        screen_audio(table, progress=False)
        (cache_file,) = (cache / "screening").glob("audio-*.json")
        payload = json.loads(cache_file.read_text())
        first = next(iter(payload["files"]))
        payload["files"][first] = "not a record"
        cache_file.write_text(json.dumps(payload))
        with caplog.at_level(logging.WARNING):
            assert screen_audio(table, progress=False).n_dropped == 4
    assert "1 malformed entries" in caplog.text


def test_an_unwritable_screening_cache_warns_and_still_screens(table, tmp_path, caplog) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with caplog.at_level(logging.WARNING):
            result = screen_audio(table, cache_dir=blocked, progress=False)
    assert result.n_dropped == 4
    assert "cannot write the screening cache" in caplog.text and "SERLIB_CACHE" in caplog.text


def test_extractors_list_every_undecodable_file_at_once(table, tmp_path: Path) -> None:
    """One typed error with all four bad files, not a traceback on the first."""
    config = mel_preset("agarla")
    bad = {p for p in table["path"] if not p.endswith(("good0.wav", "good1.wav", "good2.wav"))}
    for run in (lambda: cached_log_mels(table, config, cache_dir=tmp_path / "f",
                                        progress=False),
                lambda: extract_log_mels(table, config, progress=False)):
        with pytest.raises(UndecodableFilesError, match="4 of 7 files") as info:
            run()
        assert set(info.value.paths) == bad and isinstance(info.value, AudioDecodeError)
        assert all(path in str(info.value) for path in bad)
    kept = table[~table["path"].isin(bad)]
    assert len(cached_log_mels(kept, config, cache_dir=tmp_path / "f", progress=False)) == 3


class _Mean(nn.Module):
    """A stand-in encoder: the mean over bands and frames, as a 2-d embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(1, 2, 3))[:, None] * self.w


def test_cached_embeddings_list_every_undecodable_file(table, tmp_path: Path) -> None:
    with pytest.raises(UndecodableFilesError, match="4 of") as info:
        cached_embeddings(table, _Mean(), mel_preset("agarla"), stats=None,
                          cache_dir=tmp_path / "e", progress=False)
    assert len(info.value.failures) == 4
