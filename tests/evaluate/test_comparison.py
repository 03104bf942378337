"""Tests of serlib.evaluate.comparison."""

from __future__ import annotations

import pandas as pd
import pytest

from serlib.evaluate import comparison_table


def test_comparison_table_by_hand():
    rows = pd.DataFrame({
        "method": ["hard", "hard", "hard", "soft"], "seed": [0, 1, 2, 0],
        "uar": [0.5, 0.6, 0.7, 0.4], "source_uar": [0.8, 0.8, 0.8, 0.9],
        "uar_low": [0.4, 0.5, 0.6, 0.3], "uar_high": [0.6, 0.7, 0.8, 0.5],
        "chance_uar": [0.2] * 4})
    out = comparison_table(rows, ["method"], names={"method": "method name"})
    assert list(out.columns) == ["method name", "UAR (%)", "source UAR (%)",
                                 "95 % interval (%)", "chance (%)", "seeds"]
    hard = out.iloc[0]
    assert hard["UAR (%)"] == "60.0 ± 10.0"
    assert hard["95 % interval (%)"] == "[50.0, 70.0]"
    assert hard["chance (%)"] == "20.0" and hard["seeds"] == 3
    assert out.iloc[1]["UAR (%)"] == "40.0" and out.iloc[1]["seeds"] == 1


def test_comparison_table_refuses_empty_or_incomplete():
    with pytest.raises(ValueError, match="no results"):
        comparison_table(pd.DataFrame(), ["method"])
    with pytest.raises(KeyError, match="uar_low"):
        comparison_table(pd.DataFrame({"method": ["a"], "seed": [0], "uar": [0.5],
                                       "source_uar": [0.5], "chance_uar": [0.2]}), ["method"])
