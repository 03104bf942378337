"""Experiment settings as tables: test-time information, protocols, selection, checks.

Every rule of issues 20 (A, C) and 21 (items 5, 8, 10, 12, 13, 17) that the config reader
owns: the exact error type and the words a user needs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from serlib.errors import ConfigError
from serlib.experiments import expand_grid, load_experiment, resolve_experiment
from serlib.experiments.backbones import BACKBONES
from serlib.experiments.config import ExperimentConfig, test_time_points
from serlib.experiments.protocols import PROTOCOLS
from serlib.experiments.selection import SELECTIONS, labels_used
from serlib.experiments.source_models import source_model_key
from serlib.experiments.test_time import TEST_TIME, TEST_TIME_INFO, test_time_info
from serlib.experiments.training import cv_folds

REPO = Path(__file__).resolve().parents[2]


def _plan(write_config, profile="smoke", **changes):
    return resolve_experiment(load_experiment(write_config(**changes)), profile)


# --- test-time information ----------------------------------------------------------------
@pytest.mark.parametrize(("values", "info"), [
    ({"frames": "none", "normalize": "source", "adabn": False, "refine": "none"}, "inductive"),
    ({"frames": "utterance", "normalize": "utterance"}, "inductive"),
    ({"normalize": "max"}, "inductive"),
    ({"frames": "domain", "normalize": "source"}, "target domain"),
    ({"normalize": "target"}, "target domain"),
    ({"adabn": True}, "target domain"),
    ({"frames": "speaker", "normalize": "source"}, "target speaker"),
    ({"normalize": "speaker"}, "target speaker"),
    ({"frames": "none", "normalize": "source", "refine": "speaker_centroids"},
     "target speaker"),
    ({"frames": "domain", "normalize": "speaker", "adabn": True}, "target speaker"),
])
def test_test_time_info_is_the_most_any_setting_needs(values, info):
    assert test_time_info(values) == info


def test_every_value_of_every_setting_has_an_information_class():
    for setting in TEST_TIME.values():
        assert set(setting.needs.values()) <= set(TEST_TIME_INFO)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_every_backbone_declares_supported_values_of_every_setting(name):
    cls = BACKBONES[name]
    assert set(cls.test_time) == set(TEST_TIME)
    for setting, values in cls.test_time.items():
        assert set(values) <= set(TEST_TIME[setting].values), (name, setting)
    for setting in ("frames", "normalize"):
        assert cls.test_time_defaults[setting] in cls.test_time[setting]


@pytest.mark.parametrize(("backbone", "setting", "value"), [
    ("vgg", "normalize", "utterance"),  # VGG scales each image by its maximum
    ("small_cnn", "normalize", "source"),  # SmallCNN standardises each utterance
    ("small_cnn", "frames", "speaker"),  # no frozen trunk to correct
    ("mel_stats", "adabn", True),  # no BatchNorm layer
    ("byols_neck", "adabn", True),  # frozen, cached trunk
    ("mel_stats", "frames", "domain"),
])
def test_unsupported_combination_is_a_config_error_when_read(write_config, backbone, setting,
                                                             value):
    options = {"hidden": 8} if backbone == "mel_stats" else {}
    with pytest.raises(ConfigError, match=re.escape(
            f"{setting}={value!r} is not applied by backbone {backbone!r}; it supports")):
        _plan(write_config, backbone=backbone, backbone_options=options, **{setting: value})


@pytest.mark.parametrize(("backbone", "normalize"), [("small_cnn", "utterance"),
                                                     ("mel_stats", "source")])
def test_rows_record_what_the_backbone_applies_by_default(write_config, backbone, normalize):
    options = {"hidden": 8} if backbone == "mel_stats" else {}
    plan = _plan(write_config, backbone=backbone, backbone_options=options)
    assert plan.config.normalize == normalize and plan.config.frames == "none"
    runs, _ = expand_grid(plan)
    assert {r.test_time_info for r in runs} == {"inductive"}


def test_full_profile_vgg_rows_say_max_not_utterance():
    plan = resolve_experiment(load_experiment("baklouti_tasks"), "full")
    assert plan.config.backbone == "vgg" and plan.config.normalize == "max"


def test_cpu_profile_default_is_per_speaker_and_says_so():
    plan = resolve_experiment(load_experiment("cpu_ravdess_emodb"), "cpu")
    assert (plan.config.frames, plan.config.normalize) == ("speaker", "speaker")
    # the shipped config runs both columns, the inductive one first
    assert [test_time_info(p) for p in test_time_points(plan.config)] == [
        "inductive", "target speaker"]
    # without its test_time axis the cpu backbone's defaults are per speaker, and say so
    defaults = dataclasses.replace(plan.config, test_time=())
    assert test_time_info(test_time_points(defaults)[0]) == "target speaker"
    # the inductive edition is one setting away
    inductive = dataclasses.replace(defaults, frames="none", normalize="source")
    assert test_time_info(test_time_points(inductive)[0]) == "inductive"


def test_test_time_is_a_grid_axis(write_config):
    plan = _plan(write_config, backbone="mel_stats", backbone_options={"hidden": 8},
                 methods=["zero_shot"],
                 test_time=[{"normalize": "source"}, {"normalize": "speaker"},
                            {"normalize": "source", "refine": "speaker_centroids"}])
    runs, _ = expand_grid(plan)
    assert [r.test_time_info for r in runs] == ["inductive", "target speaker",
                                                "target speaker"]
    assert len({r.config_digest for r in runs}) == 3 and len({r.key for r in runs}) == 3


def test_test_time_axis_entries_are_checked(write_config):
    with pytest.raises(ConfigError, match=r"test_time\[0\]: unknown test-time setting"):
        _plan(write_config, test_time=[{"normalise": "source"}])
    with pytest.raises(ConfigError, match=r"test_time\[1\]: frames='speakers'; use one of"):
        _plan(write_config, test_time=[{"frames": "none"}, {"frames": "speakers"}])


# --- config digest and run keys -----------------------------------------------------------
def test_config_digest_equal_across_seeds_and_different_when_lr_changes(write_config):
    runs, _ = expand_grid(_plan(write_config, seeds=[0, 1, 2], methods=["transfer"]))
    assert len({r.config_digest for r in runs}) == 1 and len({r.key for r in runs}) == 3
    other, _ = expand_grid(_plan(write_config, seeds=[0], methods=["transfer"],
                                 train={"batch_size": 8, "lr": 0.01}))
    assert other[0].config_digest != runs[0].config_digest


def test_config_digest_equal_across_folds(write_config):
    runs, _ = expand_grid(_plan(write_config, methods=["zero_shot"],
                                protocol="speaker_folds", n_folds=4))
    assert len(runs) == 4 and len({r.config_digest for r in runs}) == 1


def test_source_model_key_ignores_target_refinement_and_experiment_name(write_config):
    a, _ = expand_grid(_plan(write_config, methods=["zero_shot"]))
    b, _ = expand_grid(_plan(write_config, name="other", methods=["zero_shot", "transfer"],
                             refine="speaker_centroids", tasks=["lang_a -> lang_c"]))
    assert {source_model_key(r) for r in a} == {source_model_key(r) for r in b}
    c, _ = expand_grid(_plan(write_config, methods=["zero_shot"], train={"lr": 0.5,
                                                                         "batch_size": 8}))
    assert source_model_key(c[0]) != source_model_key(a[0])


# --- protocols ----------------------------------------------------------------------------
def test_target_with_too_few_speakers_is_reported_once_with_the_protocols_that_can(
        write_config, monkeypatch):
    from serlib.experiments import grid

    monkeypatch.setattr(grid, "target_speakers", lambda config, target: 2)  # a 2-speaker corpus
    plan = _plan(write_config, protocol="speaker_folds", seeds=[0, 1])
    runs, notes = expand_grid(plan)
    assert runs == []
    assert len(notes) == 1 and "'lang_b' has 2 speaker(s)" in notes[0]
    assert "needs at least 3" in notes[0] and "['all_test']" in notes[0]


def test_all_test_runs_zero_shot_on_any_target_and_notes_the_others_once(write_config):
    plan = _plan(write_config, protocol="all_test", seeds=[0, 1],
                 methods=["zero_shot", "transfer", "hard_pl"])
    runs, notes = expand_grid(plan)
    assert {r.method.name for r in runs} == {"zero_shot"} and len(runs) == 2
    assert sum("transfer" in n for n in notes) == 1 and sum("hard_pl" in n for n in notes) == 1
    assert PROTOCOLS["all_test"].min_speakers == 1


def test_adabn_needs_a_target_training_pool(write_config):
    with pytest.raises(ConfigError, match="adabn needs the target's unlabelled training pool"):
        _plan(write_config, protocol="all_test", adabn=True)


def test_fold_counts_are_per_target_and_overridable(write_config):
    plan = _plan(write_config, protocol="speaker_folds", methods=["zero_shot"],
                 n_folds={"lang_b": 3})
    runs, _ = expand_grid(plan)
    assert sorted(r.fold for r in runs) == [0, 1, 2]
    default, _ = expand_grid(_plan(write_config, protocol="speaker_folds",
                                   methods=["zero_shot"]))
    assert sorted(r.fold for r in default) == [0, 1, 2, 3]  # default_n_folds(4 speakers)
    with pytest.raises(ConfigError, match=r"n_folds\['lang_b'\]=2; use 3 or more"):
        _plan(write_config, protocol="speaker_folds", n_folds={"lang_b": 2})
    with pytest.raises(ConfigError, match="n_folds=9 for target 'lang_b', which has 4"):
        expand_grid(_plan(write_config, protocol="speaker_folds", n_folds=9))


def test_unknown_protocol_lists_the_table(write_config):
    with pytest.raises(ConfigError, match="leave_one_speaker_out"):
        _plan(write_config, protocol="leave_one_speaker_out")


# --- selection and label budgets ----------------------------------------------------------
def test_labels_used_for_each_selection_mode():
    assert labels_used("cv", 25, 80) == 25
    assert labels_used("source_dev", 25, 80) == 25
    assert labels_used("target_dev", 25, 80) == 105
    assert labels_used("source_dev", 0, 80) == 0  # zero-shot, UDA
    assert set(SELECTIONS) == {"cv", "source_dev", "target_dev"}


def test_cv_folds_partition_the_labelled_utterances():
    folds = cv_folds(10, 3, seed=1)
    assert sorted(i for f in folds for i in f) == list(range(10))


def test_default_selection_is_cross_validation():
    assert ExperimentConfig(name="x", tasks=("a -> b",), methods=("zero_shot",),
                            data="synthetic").selection == "cv"


def test_unknown_selection_is_a_config_error(write_config):
    with pytest.raises(ConfigError, match="selection"):
        _plan(write_config, selection="test")


# --- everything checkable is checked when the config is read (issue 21) -------------------
def test_trade_offs_without_a_method_that_takes_one(write_config):
    with pytest.raises(ConfigError, match=r"trade_offs=\[1.0\] but no method of the grid "
                                          r"\(\['zero_shot', 'transfer'\]\) takes a trade_off; "
                                          r"methods that do: \[.*'mmd'"):
        _plan(write_config, methods=["zero_shot", "transfer"], trade_offs=[1.0])


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_trade_off_is_refused(write_config, value):
    with pytest.raises(ConfigError, match=r"trade_offs: .* is not a finite number"):
        _plan(write_config, methods=["mmd"], trade_offs=[value])
    with pytest.raises(ConfigError, match=r"hyper\.mmd\.trade_off: .* is not a finite number"):
        _plan(write_config, methods=["mmd"], hyper={"mmd": {"trade_off": value}})


@pytest.mark.parametrize("seeds", [[0.5], [True], [-1], [2**40]])
def test_python_api_seeds_are_validated_like_yaml(write_config, seeds):
    config = load_experiment(write_config())
    with pytest.raises(ConfigError, match="seeds"):
        resolve_experiment(config, "smoke", seeds=seeds)
    with pytest.raises(ConfigError, match="seeds"):
        load_experiment(write_config("bad.yaml", seeds=seeds))


def test_python_api_run_experiment_refuses_a_float_seed(write_config, tmp_path):
    from serlib.experiments import run_experiment

    with pytest.raises(ConfigError, match="seeds"):
        run_experiment(write_config(), "smoke", seeds=[0.5], results_path=tmp_path / "r.csv",
                       log=None, progress=False)
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(("changes", "words"), [
    ({"label_set": "agarla6"}, "label_set='agarla6'; use one of"),
    ({"data": "corpora", "tasks": ["ravdess -> emodbb"]}, "unknown corpus id(s) ['emodbb']"),
    ({"device": "gpu"}, "device='gpu'; use auto, cpu, cuda"),
    ({"backbone_options": {"chanels": [4, 8, 8]}},
     "backbone small_cnn: unknown backbone_options ['chanels']; it accepts"),
    ({"profiles": {"smoke": {"max_per_speaker_emotion": 0}}},
     "max_per_speaker_emotion=0; use 1 or more"),
    ({"profiles": {"smoke": {"source_epochs": 10**9}}}, "source_epochs=1000000000; use 1 to"),
    ({"split_seed": -3}, "split_seed entry -3"),
    ({"cv_folds": 1}, "cv_folds=1; use 2 or more"),
])
def test_checkable_values_are_refused_when_the_config_is_read(write_config, changes, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        _plan(write_config, **changes)


def test_byols_backbone_options_normalize_points_to_the_normalize_key(write_config):
    with pytest.raises(ConfigError, match=r"backbone_options\.normalize is now the experiment's"):
        _plan(write_config, backbone="byols", backbone_options={"normalize": "source"},
              profile="smoke")


# --- the runner holds no string test of a setting -----------------------------------------
def test_runner_has_no_string_comparison_of_a_setting():
    source = (REPO / "serlib" / "experiments" / "runner.py").read_text()
    settings = "|".join(f.name for f in dataclasses.fields(ExperimentConfig))
    pattern = re.compile(rf"\.({settings})\b[^\n]*?[!=]=\s*['\"]|"
                         rf"\[['\"]({settings})['\"]\][^\n]*?[!=]=\s*['\"]")
    assert not pattern.findall(source)


# --- every row says what it knew ----------------------------------------------------------
@pytest.mark.parametrize("selection", ["cv", "source_dev", "target_dev"])
def test_rows_carry_labels_used_test_time_info_and_config_digest(write_config, tmp_path,
                                                                 monkeypatch, selection):
    from serlib.experiments.runner import ResultPaths, train_run
    from serlib.experiments.task import TaskCache, prepare_task, run_datasets

    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    plan = _plan(write_config, methods=["zero_shot", "transfer"], selection=selection)
    runs, _ = expand_grid(plan)
    paths = ResultPaths.for_experiment("t", "smoke", tmp_path / "r.csv")
    cache = TaskCache()
    rows = {}
    for run in runs:
        task = prepare_task(run.source, run.target, plan, cache, test_time=run.test_time)
        rows[run.method.name] = train_run(run, task, plan, paths).row
        n_dev = len(run_datasets(task, run)[0].target_dev)
    zero, transfer = rows["zero_shot"], rows["transfer"]
    assert zero["labels_used"] == 0 and zero["selected_on"] == "source_dev"
    assert transfer["selected_on"] == selection
    assert transfer["labels_used"] == 4 + (n_dev if selection == "target_dev" else 0)
    for row in rows.values():
        assert row["test_time_info"] == "inductive"
        assert (row["frames"], row["normalize"]) == ("none", "utterance")
        assert row["selection"] == selection and len(row["config_digest"]) == 16
    if selection == "cv":  # refit on all labels for the cross-validated epoch count
        assert transfer["epochs"] == transfer["best_epoch"] >= 1
    # the source model lives in the shared cache, not beside the results
    assert list((tmp_path / "cache" / "source-models").glob("source-*.state.pt"))


def test_all_test_protocol_scores_zero_shot_on_every_target_utterance(write_config, tmp_path,
                                                                      monkeypatch):
    from serlib.experiments import read_results, run_experiment

    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    result = run_experiment(write_config(protocol="all_test", methods=["zero_shot", "mmd"]),
                            "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 1 and not result.errors
    assert sum("mmd trains on the target" in s for s in result.skipped) == 1
    table = read_results(tmp_path / "r.csv")
    assert table["n"].iloc[0] == 4 * 5 * 2  # 4 speakers x 5 emotions x 2: every one tested


def test_an_error_that_will_recur_says_so_instead_of_rerun(write_config, tmp_path,
                                                           monkeypatch):
    from serlib.experiments import runner

    def fail(run, *args, **kwargs):
        raise ConfigError("the weights do not fit")

    monkeypatch.setattr(runner, "prepare_task", lambda *a, **k: None)
    monkeypatch.setattr(runner, "run_one", fail)
    said: list[str] = []
    result = runner.run_experiment(write_config(methods=["zero_shot"]), "smoke",
                                   results_path=tmp_path / "r.csv", progress=False,
                                   log=said.append)
    assert result.errors and "fails the same way again: fix the config" in result.errors[0]
    assert "rerun to retry" not in said[-1]
    run = expand_grid(_plan(write_config, methods=["zero_shot"]))[0][0]
    plan = _plan(write_config, methods=["zero_shot"])
    assert runner._error_row(run, plan, ConfigError("x"))["retry"] is False
    assert runner._error_row(run, plan, RuntimeError("x"))["retry"] is True
