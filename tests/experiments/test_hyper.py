"""Every hyper-parameter of every method: settable from YAML, recorded, and reaching the step.

Follows a value from an experiment file through the grid (``RunSpec.hyper``), into the
results row, and into the step function's keyword arguments (a spy on the step), or into
the method's own modules for the hyper-parameters that build them (DANN's discriminator).
"""

from __future__ import annotations

import importlib
import json

import pytest

from serlib.adapt import METHODS, build_step
from serlib.experiments import (
    expand_grid,
    load_experiment,
    read_results,
    resolve_experiment,
    run_experiment,
)
from serlib.experiments.runner import _row
from serlib.features.batching import make_loader

#: a value other than the default for every hyper-parameter of the table
NON_DEFAULT = {
    "trade_off": 0.3, "estimator": "unbiased", "num_kernels": 3, "kernel_mul": 1.5,
    "bandwidth_rule": "mean", "threshold": 0.65, "normalize": "selected",
    "lambda_prior": 0.5, "lambda_entropy": 0.2, "use_mixup": False, "concentration": 0.4,
    "gamma": 5.0, "hidden": 16, "dropout": 0.25,
}
CASES = [(m, p) for m in sorted(METHODS) for p in METHODS[m].hyper]


def test_every_hyper_parameter_has_a_non_default_test_value():
    for method, param in CASES:
        assert param in NON_DEFAULT, f"add a test value for {method}.{param}"
        assert NON_DEFAULT[param] != METHODS[method].hyper[param].default


def _batches(datasets, batch_of):
    return {"source": batch_of(datasets["source"], 6), "target": batch_of(datasets["target"], 6),
            "unlabelled": batch_of(datasets["unlabelled"], 6)}


@pytest.mark.parametrize(("method", "param"), CASES, ids=[f"{m}.{p}" for m, p in CASES])
def test_yaml_value_reaches_the_grid_the_row_and_the_step(method, param, write_config,
                                                           tiny_model, datasets, batch_of,
                                                           monkeypatch):
    value = NON_DEFAULT[param]
    plan = resolve_experiment(load_experiment(write_config(
        methods=[method], n_labels=[4], hyper={method: {param: value}})), "smoke")
    runs, _ = expand_grid(plan)
    assert runs and all(run.hyper[param] == value for run in runs)
    assert json.loads(_row(runs[0], plan)["hyper"])[param] == value

    spec = METHODS[method]
    module_name, _, fn_name = spec.step.rpartition(".")
    module = importlib.import_module(module_name)
    real, seen = getattr(module, fn_name), {}

    def spy(model, batches, **kwargs):
        seen.update(kwargs)
        return real(model, batches, **kwargs)

    monkeypatch.setattr(module, fn_name, spy)
    unlabelled = make_loader(datasets["unlabelled"], batch_size=5, shuffle=False)
    model = tiny_model()
    step = build_step(spec, model, hyper=runs[0].hyper, unlabelled_loader=unlabelled)
    terms = step(model, _batches(datasets, batch_of), frac_done=0.5)
    assert "loss" in terms
    if param in spec.state_hyper:  # builds the discriminator, is not a step argument
        assert param not in seen
        discriminator = step.state["adversary"].discriminator
        if param == "hidden":
            assert discriminator.net[0].out_features == value
        else:
            assert any(getattr(m, "p", None) == value for m in discriminator.modules())
    else:
        assert seen[param] == value


@pytest.mark.parametrize(("axis", "param", "method"), [("thresholds", "threshold", "hard_pl"),
                                                       ("trade_offs", "trade_off", "mmd")])
def test_grid_axes_override_hyper(axis, param, method, write_config):
    plan = resolve_experiment(load_experiment(write_config(
        methods=[method, "zero_shot"], hyper={method: {param: 0.2}}, **{axis: [0.7, 0.9]})),
        "smoke")
    runs, _ = expand_grid(plan)
    values = sorted(r.hyper[param] for r in runs if r.method.name == method)
    assert values == [0.7, 0.9]
    assert [r.hyper for r in runs if r.method.name == "zero_shot"] == [{}]


def test_recipe_trade_off_no_longer_hides_the_config(write_config, tmp_path):
    """The bug of the grid defaults: a config's trade_off now reaches the loss and the row."""
    config = write_config(methods=["mmd"], n_labels=[4],
                          hyper={"mmd": {"trade_off": 0.3, "estimator": "unbiased"}})
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 1 and not result.errors
    row = read_results(tmp_path / "r.csv").iloc[0]
    assert row["trade_off"] == 0.3
    assert json.loads(row["hyper"]) == {"trade_off": 0.3, "estimator": "unbiased",
                                        "num_kernels": 5, "kernel_mul": 2.0,
                                        "bandwidth_rule": "median"}
