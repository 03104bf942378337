"""Split files: listed files, machine-independent ids, atomic writes under the cache."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from serlib.data import (
    few_label_subset,
    leaky_random_split,
    leave_one_speaker_out,
    load_split,
    save_split,
    speaker_split,
    split_id,
)
from serlib.errors import SplitError


def _table(prefix: str = "/machine_a") -> pd.DataFrame:
    rows = [{"path": f"{prefix}/emodb/wav/{s:02d}a0{k}{e}a.wav", "corpus": "emodb",
             "speaker": f"emodb_{s:02d}", "emotion": emo, "gender": "male"}
            for s in range(3, 9) for k in range(3) for e, emo in (("W", "anger"), ("T", "sadness"))]
    return pd.DataFrame(rows)


def test_save_and_load_round_trip_under_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    split = few_label_subset(speaker_split(_table()), 4)
    path = save_split(split, "emodb-agarla5")
    assert path.parent == tmp_path / "cache" / "splits"
    assert path.name == f"emodb-agarla5-{split_id(split)}.csv"
    loaded = load_split(path)
    assert list(loaded.columns) == ["key", "corpus", "speaker", "emotion", "path", "split",
                                    "labelled"]
    assert len(loaded) == len(split)
    assert loaded["labelled"].sum() == 4
    assert (loaded.groupby("speaker")["split"].nunique() == 1).all()
    assert not list(path.parent.glob(".*.tmp"))  # no temporary file left behind


def test_split_id_ignores_where_the_data_lives_but_not_the_assignment():
    a = speaker_split(_table("/machine_a"), seed=0)
    b = speaker_split(_table("/mnt/other"), seed=0)
    assert split_id(a) == split_id(b)
    assert split_id(a) != split_id(speaker_split(_table(), seed=1))


def test_saving_refuses_speaker_overlap_except_for_the_leakage_demo(tmp_path):
    table = _table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaky = leaky_random_split(table)
    assert save_split(leaky, "demo", tmp_path).name.startswith("leaky-demo-")
    broken = leaky.copy()
    broken.attrs = {}
    with pytest.raises(SplitError, match="leaks speakers"):
        save_split(broken, "bad", tmp_path)
    with pytest.raises(SplitError, match="split columns"):
        save_split(table, "none", tmp_path)


def test_folds_are_saved_too(tmp_path):
    path = save_split(leave_one_speaker_out(_table()), "emodb-loso", tmp_path)
    assert sorted(load_split(path)["fold"].unique()) == list(range(6))
