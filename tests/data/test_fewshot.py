"""Few-label subsets: class-balanced, drawn from train only, nested as n grows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serlib.data import few_label_subset, speaker_split
from serlib.errors import SplitError


def _split_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"path": f"/x/{s}_{e}_{k}.wav", "corpus": "fake", "speaker": f"s{s}",
             "emotion": e, "gender": "female"}
            for s in range(10) for e in ("anger", "fear", "happiness", "neutral", "sadness")
            for k in range(int(rng.integers(2, 8)))]
    # a rare class: only 3 fear utterances in total
    table = pd.DataFrame(rows)
    fear = table.index[table["emotion"] == "fear"]
    table = table.drop(fear[3:]).reset_index(drop=True)
    return speaker_split(table, seed=0)


def test_balanced_and_from_train_only():
    table = _split_table()
    out = few_label_subset(table, 20, seed=1)
    chosen = out[out["labelled"]]
    assert len(chosen) == 20
    assert (chosen["split"] == "train").all()
    counts = chosen["emotion"].value_counts()
    n_fear_train = ((table["split"] == "train") & (table["emotion"] == "fear")).sum()
    assert counts.get("fear", 0) == min(4, n_fear_train)
    others = counts.drop("fear", errors="ignore")
    assert others.max() - others.min() <= 1


def test_nested_over_n_and_deterministic():
    table = _split_table()
    previous: set[str] = set()
    for n in (0, 5, 10, 25, 50):
        out = few_label_subset(table, n, seed=7)
        chosen = set(out.loc[out["labelled"], "path"])
        assert len(chosen) == n
        assert previous <= chosen
        previous = chosen
    a, b = few_label_subset(table, 30, seed=7), few_label_subset(table, 30, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert set(few_label_subset(table, 30, seed=8).loc[lambda t: t["labelled"], "path"]) != set(
        a.loc[a["labelled"], "path"])


def test_bad_requests_raise():
    table = _split_table()
    n_train = int((table["split"] == "train").sum())
    assert few_label_subset(table, n_train)["labelled"].sum() == n_train
    with pytest.raises(SplitError, match="holds"):
        few_label_subset(table, n_train + 1)
    with pytest.raises(SplitError, match="speaker_split"):
        few_label_subset(table.drop(columns="split"), 5)
