"""Tests of serlib.evaluate.comparison."""

from __future__ import annotations

import pandas as pd
import pytest

from serlib.evaluate import compare_runs, format_table


def _rows(prefix: str = "") -> pd.DataFrame:
    return pd.DataFrame({
        "method": ["a", "a", "b"], "seed": [0, 1, 0],
        f"{prefix}uar": [0.5, 0.7, 0.4], f"{prefix}wa": [0.5, 0.6, 0.45],
        f"{prefix}uar_low": [0.4, 0.6, 0.3], f"{prefix}uar_high": [0.6, 0.8, 0.5],
        f"{prefix}chance_uar": [0.2, 0.2, 0.2], f"{prefix}chance_wa": [0.3, 0.3, 0.3]})


def test_mean_std_interval_chance():
    table = compare_runs(_rows(), by=["method"], names={"method": "how"})
    assert list(table["how"]) == ["a", "b"]
    row = table.iloc[0]
    assert row["UAR (%)"] == "60.0 ± 14.1"
    assert row["95 % CI of UAR (%)"] == "[50.0, 70.0]"
    assert row["WA (%)"] == "55.0 ± 7.1"
    assert (row["chance UAR (%)"], row["chance WA (%)"], row["seeds"]) == ("20.0", "30.0", 2)
    assert table.iloc[1]["UAR (%)"] == "40.0"  # one seed: no std
    assert "UAR (%)" in format_table(table)


def test_prefix_and_missing_columns():
    table = compare_runs(_rows("source_"), by=["method"], prefix="source_")
    assert table.iloc[0]["UAR (%)"] == "60.0 ± 14.1"
    with pytest.raises(KeyError, match="prefix"):
        compare_runs(_rows("source_"), by=["method"])
