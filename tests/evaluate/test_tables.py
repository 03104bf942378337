"""Tests of serlib.evaluate.seeds and serlib.evaluate.tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serlib.evaluate import format_table, percent_columns, save_table_csv, summarize_seeds


@pytest.fixture
def runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["tl", "tl", "tl", "mmd", "mmd", "src"],
            "language": ["de"] * 6,
            "seed": [0, 1, 2, 0, 1, 0],
            "uar": [0.40, 0.50, 0.60, 0.55, 0.45, 0.30],
            "wa": [0.5, 0.5, 0.5, 0.6, np.nan, 0.35],
        }
    )


def test_summarize_seeds_arithmetic(runs):
    out = summarize_seeds(runs, by=["method", "language"], metrics=["uar", "wa"])
    assert out["method"].tolist() == ["tl", "mmd", "src"]  # order of first appearance
    tl = out.iloc[0]
    assert tl["uar_mean"] == pytest.approx(0.5)
    assert tl["uar_std"] == pytest.approx(0.1)  # sample std (ddof=1)
    assert tl["uar_count"] == 3
    assert tl["uar"] == "50.0 ± 10.0"
    mmd = out.iloc[1]
    assert mmd["wa_count"] == 1 and mmd["wa_mean"] == pytest.approx(0.6)
    assert out.iloc[2]["uar"] == "30.0"  # one run: no std
    raw = summarize_seeds(runs, by=["method"], metrics=["uar"], percent=False, decimals=2)
    assert raw.iloc[0]["uar"] == "0.50 ± 0.10"
    with pytest.raises(KeyError, match="accuracy"):
        summarize_seeds(runs, by=["method"], metrics=["accuracy"])


def test_format_table_percentages_and_markdown(runs):
    out = summarize_seeds(runs, by=["method"], metrics=["uar"])
    assert percent_columns(out) == ["uar_mean", "uar_std"]
    md = format_table(out[["method", "uar", "uar_mean", "uar_std", "uar_count"]])
    lines = md.splitlines()
    assert lines[0].startswith("|") and "uar_mean (%)" in lines[0]
    assert "50.0" in lines[2] and "50.0 ± 10.0" in lines[2] and "| 3 " in lines[2]
    assert "–" in lines[4]  # the single-run std is NaN
    explicit = format_table(pd.DataFrame({"x": [0.123]}), percent=["x"], decimals=2)
    assert "12.30" in explicit
    with pytest.raises(KeyError):
        format_table(out, percent=["nope"])


def test_save_table_csv_round_trips(tmp_path, runs):
    path = save_table_csv(runs, tmp_path / "sub" / "runs.csv")
    back = pd.read_csv(path)
    pd.testing.assert_frame_equal(back, runs)
    assert [p.name for p in path.parent.iterdir()] == ["runs.csv"]  # no temp file left
