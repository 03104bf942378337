"""A chapter runs its real-data tables once per test-time column, the inductive one first."""

from __future__ import annotations

import pytest

from serlib.experiments import PROFILES, Study, get_profile
from serlib.experiments.config_checks import test_time_points
from serlib.experiments.test_time import test_time_info


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_lists_the_inductive_column_first(name):
    profile = get_profile(name)
    study = Study(profile, name="columns")
    infos = []
    for column in study.columns:
        plan = study.plan(test_time=(column,))
        infos += [test_time_info(p) for p in test_time_points(plan.config)]
    assert infos[0] == "inductive"  # the papers' class, beside which the papers stand
    assert len(set(infos)) == len(infos)  # each column a different class
    if name != "full":  # the full edition's pages run one column (each fits a Colab session)
        assert infos == ["inductive", "target speaker"]
    text = profile.describe().loc["test_time_columns", "value"]
    assert text.startswith("inductive (")


def test_a_run_in_a_column_says_which_and_differs_from_the_other():
    study = Study(get_profile("smoke", dry_run=True), name="columns")
    rows = [study.train("zero_shot", seed=0, test_time=c).row for c in study.columns]
    assert [r["test_time_info"] for r in rows] == ["inductive", "target speaker"]
    assert [r["normalize"] for r in rows] == ["source", "speaker"]
    assert study.run_spec("zero_shot", test_time=study.columns[1]).test_time_info \
        == "target speaker"


def test_test_time_words_are_one_table_for_every_chapter():
    import pandas as pd

    from serlib.experiments import ASSUMES, TEST_TIME_INFO, describe_point, inductive_first

    assert set(ASSUMES) == set(TEST_TIME_INFO)
    assert describe_point({"frames": "speaker", "normalize": "speaker"}) == \
        "frames speaker, normalize speaker"
    rows = pd.DataFrame({"test_time_info": ["target speaker", "inductive", "target speaker",
                                            "inductive"], "seed": [0, 0, 1, 1]})
    ordered = inductive_first(rows)
    assert list(ordered["test_time_info"]) == ["inductive", "inductive", "target speaker",
                                               "target speaker"]
    assert list(ordered["seed"]) == [0, 1, 0, 1]  # stable within a class
