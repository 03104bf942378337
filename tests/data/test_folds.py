"""The speaker-fold protocol: each speaker tested once and dev once, deterministic, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serlib.data import default_n_folds, fold_protocol_split, speaker_folds
from serlib.errors import SplitError


def _table(n_speakers: int, per_speaker: int = 3, genders: tuple[str, ...] = ("female", "male")
           ) -> pd.DataFrame:
    rows = [{"path": f"/x/{s}_{k}.wav", "corpus": "fake", "speaker": f"s{s:02d}",
             "emotion": ("anger", "sadness")[k % 2], "gender": genders[s % len(genders)]}
            for s in range(n_speakers) for k in range(per_speaker)]
    return pd.DataFrame(rows)


def _parts(folds: pd.DataFrame, fold: int) -> dict[str, set[str]]:
    split = fold_protocol_split(folds, fold)
    return {p: set(split.loc[split["split"] == p, "speaker"]) for p in ("train", "dev", "test")}


def test_three_speakers_hand_checked():
    folds = speaker_folds(_table(3), seed=0)
    fold_of = folds.groupby("speaker")["fold"].first().to_dict()
    assert sorted(fold_of.values()) == [0, 1, 2]  # one speaker per fold
    speaker_of = {f: s for s, f in fold_of.items()}
    for k in range(3):  # test k, dev k+1, train the remaining one
        assert _parts(folds, k) == {"test": {speaker_of[k]}, "dev": {speaker_of[(k + 1) % 3]},
                                    "train": {speaker_of[(k + 2) % 3]}}


def test_emodb_like_ten_speakers_five_folds_of_one_woman_and_one_man():
    folds = speaker_folds(_table(10), seed=4)
    assert folds["fold"].nunique() == 5
    per_fold = folds.groupby("fold").agg(n=("speaker", "nunique"), g=("gender", "nunique"))
    assert per_fold["n"].tolist() == [2] * 5 and per_fold["g"].tolist() == [2] * 5


@pytest.mark.parametrize("n_speakers", [3, 4, 6, 7, 10, 24])
def test_every_speaker_tested_once_and_dev_once_and_parts_disjoint(n_speakers):
    folds = speaker_folds(_table(n_speakers), seed=1)
    n_folds = folds["fold"].nunique()
    assert n_folds == default_n_folds(n_speakers)
    tested, dev = [], []
    for k in range(n_folds):
        parts = _parts(folds, k)
        assert not parts["train"] & parts["dev"] and not parts["train"] & parts["test"]
        assert not parts["dev"] & parts["test"] and parts["train"]
        assert parts["train"] | parts["dev"] | parts["test"] == set(folds["speaker"])
        tested += sorted(parts["test"])
        dev += sorted(parts["dev"])
    assert sorted(tested) == sorted(dev) == sorted(folds["speaker"].unique())


def test_rows_keep_order_and_every_row_gets_its_speakers_fold():
    table = _table(6)
    folds = speaker_folds(table, seed=0)
    pd.testing.assert_frame_equal(folds.drop(columns="fold"), table)
    assert (folds.groupby("speaker")["fold"].nunique() == 1).all()
    assert folds["fold"].dtype == "int64"


def test_deterministic_and_seeded():
    table = _table(10)
    pd.testing.assert_frame_equal(speaker_folds(table, seed=2), speaker_folds(table, seed=2))
    assignments = {tuple(speaker_folds(table, seed=s).groupby("speaker")["fold"].first())
                   for s in range(6)}
    assert len(assignments) > 1


def test_explicit_n_folds_and_sizes_differ_by_at_most_one():
    folds = speaker_folds(_table(7), n_folds=3, seed=0)
    sizes = folds.groupby("fold")["speaker"].nunique().tolist()
    assert sorted(sizes) == [2, 2, 3]


def test_without_gender_column():
    folds = speaker_folds(_table(5).drop(columns="gender"), seed=0)
    assert folds["fold"].nunique() == 5


@pytest.mark.parametrize("n_speakers", [1, 2])
def test_too_few_speakers(n_speakers):
    with pytest.raises(SplitError, match="cannot make the speaker-fold protocol"):
        speaker_folds(_table(n_speakers))


@pytest.mark.parametrize("n_folds", [2, 11])
def test_bad_n_folds(n_folds):
    with pytest.raises(SplitError, match=f"n_folds={n_folds}"):
        speaker_folds(_table(10), n_folds=n_folds)


def test_fold_protocol_split_errors():
    folds = speaker_folds(_table(4))
    with pytest.raises(SplitError, match="fold 4 does not exist"):
        fold_protocol_split(folds, 4)
    with pytest.raises(SplitError, match="no 'fold' column"):
        fold_protocol_split(_table(4), 0)
    with pytest.raises(SplitError, match="call speaker_folds on the whole table"):
        fold_protocol_split(folds[folds["fold"] != 1], 0)


@settings(max_examples=30, deadline=None)
@given(n_speakers=st.integers(3, 30), seed=st.integers(0, 1000), data=st.data())
def test_property_each_speaker_tested_exactly_once(n_speakers, seed, data):
    n_folds = data.draw(st.integers(3, n_speakers))
    folds = speaker_folds(_table(n_speakers, per_speaker=1, genders=("female", "male", "x")),
                          n_folds=n_folds, seed=seed)
    tests = [fold_protocol_split(folds, k) for k in range(n_folds)]
    tested = pd.concat([t[t["split"] == "test"] for t in tests])
    assert sorted(tested["path"]) == sorted(folds["path"])  # each utterance tested once
