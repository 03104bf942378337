"""Rankings with paired intervals: the best against the runner-up, and against a reference."""

from __future__ import annotations

import pandas as pd
import pytest

from serlib.evaluate import (
    paired_ranking,
    ranking_verdict,
    reference_verdict,
    versus_reference,
)


def _rows(offsets: dict[str, list[float]], base: float = 0.5) -> pd.DataFrame:
    """One row per (condition, pair): ``base + offset``; pairs are (fold, seed)."""
    rows = []
    for name, values in offsets.items():
        for i, d in enumerate(values):
            fold, seed = divmod(i, 3)
            rows.append({"cond": name, "target": "t", "fold": fold, "seed": seed,
                         "uar": base + d})
    return pd.DataFrame(rows)


def test_best_is_distinguishable_from_runner_up():
    res = _rows({"x": [0.10, 0.12, 0.11, 0.09, 0.10, 0.13],
                 "y": [0.0] * 6, "z": [-0.05] * 6})
    r = paired_ranking(res, "cond")
    assert r.best == "x" and list(r.means.index) == ["x", "y", "z"]
    assert r.runner_up.b == "y" and r.distinguishable
    text = ranking_verdict(r, names={"x": "λ = 1"}, what="values of λ")
    assert text.startswith("λ = 1 has the highest mean UAR of the 3 values of λ (60.8 %)")
    assert "λ = 1 beats y by 10.8 points" in text


def test_close_top_is_not_distinguishable():
    res = _rows({"x": [0.02, -0.01, 0.03, -0.02, 0.01, 0.0],
                 "y": [0.0] * 6})
    r = paired_ranking(res, "cond")
    assert r.best == "x" and not r.distinguishable
    assert "not distinguishable here" in ranking_verdict(r)


def test_conditions_filter_numbers_as_strings_and_missing_condition():
    res = _rows({"0.0": [0.1] * 3, "1.0": [0.0] * 3, "10.0": [0.3] * 3})
    res["cond"] = res["cond"].astype(float)
    r = paired_ranking(res, "cond", conditions=["0.0", "1.0"])
    assert r.best == "0.0" and len(r.means) == 2
    with pytest.raises(ValueError, match="no results row"):
        paired_ranking(res, "cond", conditions=["2.0"])
    single = paired_ranking(res, "cond", conditions=["1.0"])
    assert single.runner_up is None and "only one" in ranking_verdict(single)


def test_versus_reference_counts_each_side():
    res = _rows({"ref": [0.0] * 6, "up": [0.1, 0.12, 0.08, 0.1, 0.11, 0.09],
                 "down": [-0.1, -0.12, -0.08, -0.1, -0.11, -0.09],
                 "same": [0.02, -0.02, 0.01, -0.01, 0.03, -0.03]})
    comps = versus_reference(res, "cond", "ref")
    assert list(comps) == ["up", "down", "same"]
    assert [c.verdict for c in comps.values()] == ["a", "b", "tie"]
    assert comps["up"].mean_diff == pytest.approx(0.1)
    text = reference_verdict(comps, "the free baseline", names={"up": "DANN"})
    assert text.startswith("1 of the 3 beat the free baseline with a paired interval above "
                           "zero (DANN), 1 falls below it (down) and 1 is not distinguishable")
    assert "(6 fold × seed pairs each)" in text


def test_unit_names_the_pairs():
    res = _rows({"x": [0.1, 0.2, 0.1], "y": [0.0] * 3})
    r = paired_ranking(res, "cond")
    assert "over 3 seed pairs" in ranking_verdict(r, unit="seed")
    comps = versus_reference(res, "cond", "y")
    few = reference_verdict(comps, "y", unit="seed")
    assert "(3 seed pairs each; with fewer than 6 pairs no sign test can reach p < 0.05)" in few


def test_a_win_on_few_pairs_says_the_sign_test_is_not_significant():
    from serlib.evaluate import paired_comparison, paired_verdict

    few = _rows({"x": [0.1, 0.2, 0.1], "y": [0.0] * 3})
    text = paired_verdict(paired_comparison(few, "cond", "x", "y"))
    assert text.startswith("x beats y")
    assert "sign test over these pairs is not significant, p = 0.25" in text
    many = _rows({"x": [0.1] * 9, "y": [0.0] * 9})
    assert "sign test" not in paired_verdict(paired_comparison(many, "cond", "x", "y"))
