"""Experiment configs, profiles and the grid of runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from serlib.errors import ConfigError
from serlib.experiments import (
    expand_grid,
    load_experiment,
    parse_task,
    resolve_experiment,
)

REPO = Path(__file__).resolve().parents[2]


def test_parse_task():
    assert parse_task("ravdess+savee+tess -> emodb") == ("ravdess+savee+tess", "emodb")
    assert parse_task(" lang_a->lang_b ") == ("lang_a", "lang_b")
    for bad in ("emodb", "a -> ", "a -> b -> c"):
        with pytest.raises(ConfigError, match="SOURCE -> TARGET"):
            parse_task(bad)


def test_unknown_keys_and_values_are_errors(write_config):
    with pytest.raises(ConfigError, match="unknown key"):
        load_experiment(write_config(epochs=3))
    with pytest.raises(ConfigError, match="unknown method"):
        load_experiment(write_config(methods=["magic"]))
    with pytest.raises(ConfigError, match="n_labels"):
        load_experiment(write_config(n_labels=[-1]))
    with pytest.raises(ConfigError, match="unknown key 'epochs'"):
        resolve_experiment(load_experiment(write_config(train={"epochs": 3})), "smoke")
    with pytest.raises(ConfigError, match="unknown profile"):
        load_experiment(write_config(profiles={"gpu": {}}))


def test_profile_precedence(write_config):
    config = load_experiment(write_config(
        train={"lr": 0.01, "source_epochs": 50, "max_per_speaker_emotion": 3},
        profiles={"cpu": {"adapt_epochs": 7, "backbone": "small_cnn", "seeds": [4, 5]}}))
    smoke = resolve_experiment(config, "smoke")
    assert smoke.recipe.lr == 0.01  # train overrides the recipe
    assert smoke.recipe.source_epochs == 30  # the built-in profile (smoke: 30) overrides train
    assert smoke.profile.max_per_speaker_emotion == 3
    cpu = resolve_experiment(config, "cpu")
    assert cpu.recipe.adapt_epochs == 7 and cpu.seeds == (4, 5)  # profiles.cpu: last word
    assert resolve_experiment(config, "cpu", seeds=[9]).seeds == (9,)
    full = resolve_experiment(config, "full")
    assert full.recipe.source_epochs == 50 and full.recipe.adapt_epochs == 100


def test_grid_collapses_unused_axes_and_skips_impossible_runs(write_config):
    config = load_experiment(write_config(
        methods=["zero_shot", "multilingual", "transfer", "mmd", "hard_pl", "mmd_hard_pl"],
        n_labels=[0, 25, "all"], thresholds=[0.5, 0.85], trade_offs=[0.1, 1.0], seeds=[0, 1]))
    runs, notes = expand_grid(resolve_experiment(config, "smoke"))
    per_seed = {}
    for run in runs:
        if run.seed == 0:
            per_seed.setdefault(run.method.name, []).append((run.n_labels, run.threshold,
                                                         run.trade_off))
    assert per_seed["zero_shot"] == [(0, None, None)]
    assert per_seed["multilingual"] == [("all", None, None)]
    assert per_seed["transfer"] == [(25, None, None), ("all", None, None)]
    assert len(per_seed["mmd"]) == 3 * 2 and all(t is None for _, t, _ in per_seed["mmd"])
    assert sorted(n for n, _, _ in per_seed["hard_pl"]) == [0, 0, 25, 25]  # no 'all'
    assert len(per_seed["mmd_hard_pl"]) == 2 * 2 * 2
    assert len({r.key for r in runs}) == len(runs) == 2 * sum(map(len, per_seed.values()))
    assert not notes


def test_run_keys_are_stable_and_follow_every_setting(write_config):
    config = load_experiment(write_config())
    a, _ = expand_grid(resolve_experiment(config, "smoke"))
    b, _ = expand_grid(resolve_experiment(load_experiment(write_config()), "smoke"))
    assert [r.key for r in a] == [r.key for r in b]
    c, _ = expand_grid(resolve_experiment(load_experiment(
        write_config(train={"batch_size": 8, "lr": 0.5})), "smoke"))
    assert not {r.key for r in a} & {r.key for r in c}
    d, _ = expand_grid(resolve_experiment(config, "cpu"))
    assert not {r.key for r in a} & {r.key for r in d}


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_shipped_configs_load_and_expand(path, profile):
    plan = resolve_experiment(load_experiment(path), profile)
    runs, _ = expand_grid(plan)
    assert runs, f"{path.name} has no run under {profile}"


def test_shipped_configs_are_found_by_name():
    from serlib.experiments import find_config, shipped_configs

    names = shipped_configs()
    assert {"smoke", "cpu_ravdess_emodb", "baklouti_tasks", "agarla_sweeps"} <= set(names)
    assert find_config("smoke") == names["smoke"]
    assert find_config("configs/smoke.yaml").name == "smoke.yaml"
    assert load_experiment("cpu_ravdess_emodb").name == "cpu_ravdess_emodb"
    with pytest.raises(ConfigError, match="shipped"):
        find_config("no_such_config")


def test_backbone_null_takes_the_profiles_backbone(write_config):
    config = load_experiment(write_config(backbone=None, backbone_options={}, recipe="baklouti"))
    assert resolve_experiment(config, "smoke").config.backbone == "mel_stats"
    assert resolve_experiment(config, "cpu").config.backbone == "byols_embed"
    assert resolve_experiment(config, "full").config.backbone == "vgg"
    with pytest.raises(ConfigError, match="backbone='resnet'"):
        load_experiment(write_config(backbone="resnet"))


def test_method_hyper_parameters_in_train_are_a_pointed_error(write_config):
    config = load_experiment(write_config(train={"trade_off": 0.3}))
    with pytest.raises(ConfigError, match=r"unknown key 'trade_off'.*hyper"):
        resolve_experiment(config, "smoke")
    with pytest.raises(ConfigError, match="hard_pl has no hyper-parameter"):
        load_experiment(write_config(hyper={"hard_pl": {"trade_off": 0.3}}))
    with pytest.raises(ConfigError, match=r"threshold=1\.5"):
        load_experiment(write_config(hyper={"hard_pl": {"threshold": 1.5}}))
    with pytest.raises(ConfigError, match="estimator='median'"):
        load_experiment(write_config(hyper={"mmd": {"estimator": "median"}}))
    with pytest.raises(ConfigError, match="thresholds"):
        load_experiment(write_config(thresholds=[2.0]))


def test_dry_run_caps_every_profile(write_config):
    from serlib.experiments import get_profile

    config = load_experiment(write_config(profiles={"full": {"adapt_epochs": 40}}))
    plan = resolve_experiment(config, get_profile("full", dry_run=True))
    assert (plan.recipe.source_epochs, plan.recipe.adapt_epochs) == (1, 1)
    assert plan.recipe.steps_per_epoch == 2 and plan.profile.max_per_speaker_emotion == 1
    assert plan.seeds == (0,)
