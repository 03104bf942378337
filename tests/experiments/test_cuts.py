"""Dry-run cuts: a shortened sweep weighs its fits by the uncapped sweep it stands for."""

from __future__ import annotations

import pytest

from serlib.errors import ConfigError
from serlib.experiments import Study, dry_run_cut, get_profile
from serlib.experiments import study as study_module
from serlib.train import costs


def test_outside_a_dry_run_every_value_runs_and_weighs_one():
    cut = dry_run_cut([0, 25, 50, 100], get_profile("smoke"), keep=2)
    assert cut == [0, 25, 50, 100] and not cut.is_cut and cut.weight == 1.0


def test_a_dry_run_keeps_what_keep_names_and_remembers_the_rest():
    dry = get_profile("full", dry_run=True)
    cut = dry_run_cut([0, 25, 50, 100], dry, keep=2)
    assert cut == [0, 25] and cut.full == (0, 25, 50, 100) and cut.weight == 2.0
    taus = dry_run_cut([0.5, 0.65, 0.85], dry, keep=[0.5, 0.85])
    assert taus == [0.5, 0.85] and taus.weight == pytest.approx(1.5)
    with taus.counted():
        assert costs.fit_weight() == pytest.approx(1.5)
        with cut.counted():  # nested cuts multiply
            assert costs.fit_weight() == pytest.approx(3.0)
    assert costs.fit_weight() == 1.0
    with pytest.raises(ConfigError, match="keep at least one"):
        dry_run_cut([1, 2], dry, keep=0)
    with pytest.raises(ConfigError, match=r"not \[7\]"):
        dry_run_cut([1, 2], dry, keep=[7])


def test_a_study_grid_weighs_its_fits_by_new_uncapped_runs_over_new_capped_runs(monkeypatch):
    seen_weights = []
    monkeypatch.setattr(study_module, "run_experiment",
                        lambda *a, **k: seen_weights.append(costs.fit_weight()))
    dry = get_profile("smoke", dry_run=True)
    study = Study(dry, name="cut_test")
    budgets = dry_run_cut([0, 4, 6, 8], dry, keep=2)
    study.grid(methods=["zero_shot", "hard_pl"], n_labels=budgets)
    # zero-shot runs once whatever the budgets; hard_pl 2 of 4: (1 + 4) / (1 + 2)
    assert seen_weights[-1] == pytest.approx(5 / 3)
    taus = dry_run_cut([0.5, 0.65, 0.85], dry, keep=[0.5, 0.85])
    study.grid(methods=["hard_pl"], n_labels=[max(budgets)], thresholds=taus)
    # (4, 0.5) ran in the first grid in both editions: 2 new uncapped runs per new capped one
    assert seen_weights[-1] == pytest.approx(2.0)
    study.grid(methods=["hard_pl"], n_labels=[max(budgets)])  # nothing cut: weight 1
    assert seen_weights[-1] == 1.0
    full = Study(get_profile("smoke"), name="cut_test")
    full.grid(methods=["zero_shot", "hard_pl"], n_labels=dry_run_cut([0, 4], full.profile,
                                                                      keep=1))
    assert seen_weights[-1] == 1.0  # outside a dry run nothing is weighed
