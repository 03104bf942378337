"""The experiment runner on a tiny synthetic corpus: rows, resume, selection, skipping."""

from __future__ import annotations

import pandas as pd
import pytest

import serlib.experiments.training as training
from serlib.errors import ConfigError
from serlib.experiments import RESULT_COLUMNS, load_model_bundle, read_results, run_experiment
from serlib.experiments import task as task_module
from serlib.features.batching import UtteranceDataset


def test_tiny_experiment_writes_rows_and_resumes(write_config, tmp_path):
    results = tmp_path / "out" / "tiny.csv"
    first = run_experiment(write_config(), "smoke", results_path=results, progress=False,
                           log=None)
    assert first.ran == 3 and not first.skipped
    table = read_results(results)
    assert list(table.columns) == list(RESULT_COLUMNS) and len(table) == 3
    rows = table.set_index("method")
    assert rows.loc["zero_shot", "selected_on"] == "source_dev"
    assert rows.loc["transfer", "selected_on"] == "cv"  # uses target labels: cross-validated
    assert rows.loc["hard_pl", "n_target_labelled"] == 4
    assert rows.loc["hard_pl", "n_target_unlabelled"] > 0
    assert rows.loc["transfer", "n_target_unlabelled"] == 0  # the pool exists, unused
    assert rows.loc["zero_shot", "n_labels"] == "0" and rows.loc["hard_pl", "threshold"] == 0.5
    for col in ("wa", "uar", "source_uar", "chance_uar", "chance_wa"):
        assert table[col].between(0, 1).all()
    assert (table["chance_uar"] == 0.2).all()  # five emotions in the test split
    assert table["target_split_id"].nunique() == 2  # zero-shot: no labels; others: 4
    assert len(first.summary) == 3 and first.paths.summary.is_file()

    bundle = load_model_bundle(rows.loc["hard_pl", "model_path"])
    assert bundle.labels == ("anger", "fear", "happiness", "neutral", "sadness")
    assert bundle.metadata["method"] == "hard_pl"

    again = run_experiment(write_config(), "smoke", results_path=results, progress=False,
                           log=None)
    assert again.ran == 0 and len(read_results(results)) == 3
    more = run_experiment(write_config(), "smoke", seeds=[0, 1], results_path=results,
                          progress=False, log=None)
    assert more.ran == 3 and len(more.results) == 6


def test_same_seed_same_metrics(write_config, tmp_path):
    config = write_config(methods=["hard_pl"])
    a = run_experiment(config, "smoke", results_path=tmp_path / "a.csv", progress=False,
                       log=None).results
    b = run_experiment(config, "smoke", results_path=tmp_path / "b.csv", progress=False,
                       log=None).results
    cols = ["wa", "uar", "macro_f1", "source_uar", "best_epoch", "dev_uar"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


class WatchedSplit(UtteranceDataset):
    """A test split that records whether it was read while a model was training."""

    def __init__(self, dataset: UtteranceDataset, log: list) -> None:
        super().__init__(dataset.feats, dataset.labels.tolist())
        self.log = log

    def __getitem__(self, index):
        self.log.append(training.TRAINING[0])
        return super().__getitem__(index)


def test_training_and_selection_never_read_the_test_split(write_config, tmp_path,
                                                           monkeypatch):
    reads: list[bool] = []
    training.TRAINING = [False]
    real_fit, real_datasets = training.fit, task_module.run_datasets

    def watched_fit(*args, **kwargs):
        training.TRAINING[0] = True
        try:
            return real_fit(*args, **kwargs)
        finally:
            training.TRAINING[0] = False

    def watched_datasets(task, run):
        train, tests, info = real_datasets(task, run)
        return train, {k: WatchedSplit(v, reads) for k, v in tests.items()}, info

    monkeypatch.setattr(training, "fit", watched_fit)
    monkeypatch.setattr("serlib.experiments.runner.run_datasets", watched_datasets)
    config = write_config(methods=["zero_shot", "mmd", "soft_pl", "dann"])
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 4
    assert reads and not any(reads)  # the test splits were read, but never during training


def test_absent_corpora_are_skipped_with_a_message(write_config, tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path / "no-data"))
    messages: list[str] = []
    config = write_config(data="corpora", tasks=["ravdess -> cafe"])
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=messages.append)
    assert result.ran == 0 and len(result.skipped) == 1
    assert "ravdess -> cafe: skipped, a corpus could not be loaded" in result.skipped[0]
    assert "is not available" in result.skipped[0]  # and why, from the loader
    assert any("skipped" in m for m in messages)


def test_grid_points_that_cannot_run_are_skipped(write_config, tmp_path):
    config = write_config(methods=["hard_pl"], n_labels=[1000])
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 0 and "n=1000" in result.skipped[0]


@pytest.mark.parametrize("profile", ["smoke"])
def test_smoke_config_runs_every_method(repo_dir, tmp_path, profile):
    """configs/smoke.yaml, the CI smoke experiment, on a smaller synthetic corpus."""
    import yaml

    values = yaml.safe_load((repo_dir / "configs" / "smoke.yaml").read_text())
    values["synthetic_overrides"] = {"speakers_per_language": 4, "utterances_per_emotion": 2}
    values["n_labels"] = [4]
    values["backbone_options"] = {"channels": [4, 8, 8], "embed_dim": 8}
    values["profiles"] = {"smoke": {"source_epochs": 2, "adapt_epochs": 2, "steps_per_epoch": 2}}
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(values))
    result = run_experiment(path, profile, results_path=tmp_path / "smoke.csv", progress=False,
                            log=None)
    assert result.ran == len(values["methods"]) and not result.skipped
    assert result.results["uar"].notna().all()


@pytest.mark.parametrize("normalize", ["source", "target", "speaker"])
def test_embedding_backbone_trains_every_method_and_records_normalize(write_config, tmp_path,
                                                                      normalize):
    config = write_config(backbone="mel_stats", backbone_options={"hidden": 16},
                          normalize=normalize,
                          methods=["zero_shot", "mmd", "hard_pl", "soft_pl", "dann"])
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 5 and not result.errors
    table = read_results(tmp_path / "r.csv")
    assert set(table["normalize"]) == {normalize} and set(table["backbone"]) == {"mel_stats"}
    bundle = load_model_bundle(table["model_path"].iloc[1])  # reads log-mels again
    assert bundle.model_spec["architecture"] == "FrozenFrontClassifier"


def test_speaker_fold_protocol_tests_every_target_speaker_once_and_pools(write_config,
                                                                        tmp_path):
    from serlib.experiments import expand_grid, load_experiment, resolve_experiment

    config = write_config(backbone="mel_stats", backbone_options={"hidden": 16},
                          methods=["zero_shot", "mmd"], protocol="speaker_folds", n_folds=4)
    runs, _ = expand_grid(resolve_experiment(load_experiment(config), "smoke"))
    assert sorted(r.fold for r in runs if r.method.name == "mmd") == [0, 1, 2, 3]
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    assert result.ran == 8 and not result.errors
    table = read_results(tmp_path / "r.csv")
    zero = table[table["method"] == "zero_shot"]
    assert zero["n"].sum() == 4 * 5 * 2  # 4 speakers x 5 emotions x 2: each tested once
    summary = result.summary.set_index("method")
    assert summary.loc["zero_shot", "pooled_n"] == 40 and summary.loc["mmd", "folds"] == 4
    assert summary.loc["zero_shot", "pooled_uar_low"] <= summary.loc["zero_shot", "pooled_uar"]
    assert set(table["protocol"]) == {"speaker_folds"}


def test_adabn_reestimates_batchnorm_on_the_target_and_is_recorded(write_config, tmp_path):
    config = write_config(adabn=True, methods=["zero_shot", "transfer"])
    result = run_experiment(config, "smoke", results_path=tmp_path / "a.csv", progress=False,
                            log=None)
    assert result.ran == 2 and not result.errors
    table = read_results(tmp_path / "a.csv")
    assert table["adabn"].astype(str).str.lower().eq("true").all()
    plain = run_experiment(write_config(methods=["zero_shot"]), "smoke",
                           results_path=tmp_path / "a.csv", progress=False, log=None)
    assert plain.ran == 1  # a different condition: its own run key and row
    assert set(plain.summary["adabn"]) == {False}  # the summary of this grid only
    assert len(read_results(tmp_path / "a.csv")) == 3


@pytest.mark.parametrize("backbone", ["mel_stats", "small_cnn"])
def test_refine_relabels_target_predictions_per_speaker_and_is_recorded(write_config, tmp_path,
                                                                        backbone):
    from serlib.experiments import expand_grid, load_experiment, resolve_experiment

    options = {"backbone_options": {"hidden": 16}} if backbone == "mel_stats" else {}
    changes = dict(backbone=backbone, methods=["zero_shot", "mmd"], protocol="speaker_folds",
                   n_folds=4, **options)
    plain = run_experiment(write_config("plain.yaml", **changes), "smoke",
                           results_path=tmp_path / "r.csv", progress=False, log=None)
    refined = run_experiment(write_config("refined.yaml", refine="speaker_centroids",
                                          **changes), "smoke",
                             results_path=tmp_path / "r.csv", progress=False, log=None)
    assert plain.ran == refined.ran == 8 and not plain.errors and not refined.errors
    table = read_results(tmp_path / "r.csv")
    assert sorted(table["refine"].astype(str).unique()) == ["none", "speaker_centroids"]
    assert set(refined.summary["refine"]) == {"speaker_centroids"}
    keys = {load_experiment(write_config("x.yaml", refine=r, **changes)).refine: {
        run.key for run in expand_grid(resolve_experiment(load_experiment(
            write_config("x.yaml", refine=r, **changes)), "smoke"))[0]}
        for r in ("none", "speaker_centroids")}
    assert not keys["none"] & keys["speaker_centroids"]  # its own condition, its own runs
    # the same trained models: the source split is scored identically, the target need not be
    merged = plain.results.merge(refined.results, on=["method", "seed", "fold"])
    assert (merged["source_uar_x"] == merged["source_uar_y"]).all()
    assert refined.summary["pooled_n"].eq(plain.summary["pooled_n"]).all()


def test_refine_must_be_a_known_mode(write_config):
    from serlib.experiments import load_experiment

    with pytest.raises(ConfigError, match="refine='kmeans'"):
        load_experiment(write_config(refine="kmeans"))


def test_adabn_on_a_backbone_without_batchnorm_is_a_config_error(write_config, tmp_path):
    config = write_config(adabn=True, backbone="mel_stats", backbone_options={"hidden": 8},
                          methods=["zero_shot"])
    with pytest.raises(ConfigError, match="adabn=True is not applied by backbone 'mel_stats'"):
        run_experiment(config, "smoke", results_path=tmp_path / "b.csv", progress=False,
                       log=None)
    assert not (tmp_path / "b.csv").exists()  # refused before any run


def test_summary_does_not_depend_on_the_order_of_the_results_rows(write_config, tmp_path):
    """Parallel shards append runs in any order: the summary, down to the bootstrap of the
    pooled interval, must be the same."""
    from serlib.experiments import summarize_results

    config = write_config(backbone="mel_stats", backbone_options={"hidden": 8},
                          methods=["zero_shot", "mmd"], protocol="speaker_folds", n_folds=4)
    result = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                            log=None)
    rows = read_results(tmp_path / "r.csv")
    forward = summarize_results(rows, predictions=result.paths.predictions)
    backward = summarize_results(rows.iloc[::-1].reset_index(drop=True),
                                 predictions=result.paths.predictions)
    key = ["method", "n_labels"]
    pd.testing.assert_frame_equal(forward.sort_values(key).reset_index(drop=True),
                                  backward.sort_values(key).reset_index(drop=True))


def test_summary_lists_conditions_in_grid_order_whatever_order_rows_were_appended(
        write_config, tmp_path):
    config = write_config(backbone="mel_stats", backbone_options={"hidden": 8},
                          methods=["zero_shot", "mmd"], n_labels=[0, 10])
    first = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                           log=None)
    rows = read_results(tmp_path / "r.csv")
    rows.iloc[::-1].to_csv(tmp_path / "r.csv", index=False)  # as if shards had interleaved
    again = run_experiment(config, "smoke", results_path=tmp_path / "r.csv", progress=False,
                           log=None)
    assert again.ran == 0
    order = list(zip(first.summary["method"], first.summary["n_labels"], strict=True))
    assert order[0][0] == "zero_shot"
    assert list(zip(again.summary["method"], again.summary["n_labels"], strict=True)) == order
