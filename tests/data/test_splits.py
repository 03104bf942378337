"""Speaker-independent splits: deterministic, no speaker in two parts, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serlib.data import (
    check_speaker_independent,
    fold_split,
    leaky_random_split,
    leave_one_speaker_out,
    speaker_split,
)
from serlib.errors import SplitError

EMOTIONS = ("anger", "fear", "happiness", "neutral", "sadness")


def _table(n_speakers: int, per_emotion: int = 4, corpus: str = "fake",
           seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        for e in EMOTIONS:
            for k in range(int(rng.integers(1, per_emotion + 1))):
                rows.append({"path": f"/x/{corpus}/{s}_{e}_{k}.wav", "corpus": corpus,
                             "speaker": f"{corpus}_{s:02d}", "emotion": e,
                             "gender": "female" if s % 2 else "male"})
    return pd.DataFrame(rows)


def test_default_split_is_60_20_20_by_speaker_and_deterministic():
    table = _table(10)
    a, b = speaker_split(table, seed=3), speaker_split(table, seed=3)
    pd.testing.assert_frame_equal(a, b)
    per_part = a.groupby("split")["speaker"].nunique()
    assert per_part.to_dict() == {"train": 6, "dev": 2, "test": 2}
    check_speaker_independent(a)
    assert (a.drop(columns="split") == table).all().all()  # rows untouched, same order


def test_split_is_stratified_as_well_as_speakers_allow():
    a = speaker_split(_table(20, per_emotion=6))
    for part, group in a.groupby("split"):
        assert set(group["emotion"]) == set(EMOTIONS), part
        assert set(group["gender"]) == {"female", "male"}, part


def test_different_seeds_give_different_splits():
    table = _table(20)
    splits = {tuple(speaker_split(table, seed=s).groupby("speaker")["split"].first())
              for s in range(5)}
    assert len(splits) > 1


def test_too_few_speakers_is_a_clear_error():
    with pytest.raises(SplitError, match="leave_one_speaker_out"):
        speaker_split(_table(2, corpus="tess"))
    three = speaker_split(_table(3))
    assert three.groupby("split")["speaker"].nunique().to_dict() == {
        "train": 1, "dev": 1, "test": 1}
    two_way = speaker_split(_table(2), fractions=(0.5, 0.0, 0.5))
    assert set(two_way["split"]) == {"train", "test"}


def test_bad_fractions_raise():
    for fractions in [(0.5, 0.5), (0.6, 0.3, 0.3), (0.0, 0.5, 0.5), (1.2, -0.1, -0.1)]:
        with pytest.raises(SplitError, match="fractions"):
            speaker_split(_table(6), fractions=fractions)


@settings(max_examples=40, deadline=None)
@given(n_speakers=st.integers(3, 30), seed=st.integers(0, 2**16),
       train=st.floats(0.3, 0.8))
def test_property_every_speaker_in_exactly_one_part(n_speakers, seed, train):
    rest = (1 - train) / 2
    table = _table(n_speakers, per_emotion=2, seed=seed)
    out = speaker_split(table, fractions=(train, rest, rest), seed=seed, n_candidates=32)
    assert out["split"].notna().all()
    assert (out.groupby("speaker")["split"].nunique() == 1).all()
    assert set(out["split"]) == {"train", "dev", "test"}


def test_leave_one_speaker_out():
    table = _table(4)
    folds = leave_one_speaker_out(table)
    assert sorted(folds["fold"].unique()) == [0, 1, 2, 3]
    for k in range(4):
        fold = fold_split(folds, k)
        assert fold.loc[fold["split"] == "test", "speaker"].nunique() == 1
        check_speaker_independent(fold)
    with pytest.raises(SplitError):
        fold_split(folds, 7)
    with pytest.raises(SplitError):
        leave_one_speaker_out(_table(1))


def test_leaky_split_warns_and_leaks():
    table = _table(4)
    with pytest.warns(UserWarning, match="demonstrate speaker leakage"):
        leaky = leaky_random_split(table, seed=0)
    assert leaky.attrs["leaky"] is True
    assert leaky["split"].value_counts().to_dict().keys() == {"train", "dev", "test"}
    with pytest.raises(SplitError, match="leaks speakers"):
        check_speaker_independent(leaky)
