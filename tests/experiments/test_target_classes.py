"""Issue 21, item 14: the classes a target has, per-corpus merges, and restricting the
classifier's decision to them (recorded, with the chance level of the classes present)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from serlib.cli import main
from serlib.config import config_from_dict
from serlib.data.labels import apply_label_set, target_classes
from serlib.errors import ConfigError
from serlib.experiments import read_results, run_experiment
from serlib.experiments.classes import restrict_to_classes
from serlib.experiments.config import ExperimentConfig
from serlib.train import Predictions

BASE = {"name": "x", "tasks": ["emodb -> ravdess"], "methods": ["zero_shot"]}


def _table() -> pd.DataFrame:
    return pd.DataFrame({"corpus": ["ravdess", "ravdess", "tess", "tess"],
                         "emotion": ["calm", "anger", "calm", "neutral"]})


def test_a_merge_can_apply_to_one_corpus_only() -> None:
    with pytest.warns(Warning, match="have no utterance"):
        everywhere = apply_label_set(_table(), "shared4", merges=["calm_as_neutral"])
    assert list(everywhere["corpus"]) == ["ravdess", "ravdess", "tess", "tess"]
    with pytest.warns(Warning, match="restrict_to_target_classes"):  # tess: no anger...
        one = apply_label_set(_table(), "shared4", merges={"ravdess": ["calm_as_neutral"]})
    assert list(zip(one["corpus"], one["emotion"], strict=True)) == [
        ("ravdess", "neutral"), ("ravdess", "anger"), ("tess", "neutral")]  # tess calm dropped
    assert target_classes(one, "shared4") == ("anger", "neutral")


@pytest.mark.parametrize(("merges", "words"), [
    ({"savee": ["calm_as_neutral"]}, "merges names corpus 'savee', which no task uses"),
    ({"ravdess": ["nope"]}, "merges.ravdess entry 'nope'; use one of"),
    ({"ravdess": "calm_as_neutral"}, "merges"),
    (["calm_as_neutral", "calm_as_boredom"], "send 'calm' to two classes; keep one"),
])
def test_merges_are_checked_when_the_config_is_read(merges, words) -> None:
    with pytest.raises(ConfigError, match=words):
        config_from_dict(ExperimentConfig, {**BASE, "merges": merges}, source="t")
    ok = config_from_dict(ExperimentConfig, {**BASE, "merges": {"ravdess": ["calm_as_neutral"]}},
                          source="t")
    assert ok.merges == {"ravdess": ("calm_as_neutral",)}


def test_restrict_takes_the_argmax_over_the_present_classes_only() -> None:
    logits = torch.tensor([[0.0, 5.0, 1.0], [3.0, 9.0, 0.0]])
    pred = Predictions(logits, torch.tensor([0, 2]), None, torch.arange(2))
    assert pred.y_pred.tolist() == [1, 1]
    kept = restrict_to_classes(pred, ("anger", "boredom", "neutral"), ("anger", "neutral"))
    assert kept.y_pred.tolist() == [2, 0] and pred.y_pred.tolist() == [1, 1]


def test_rows_and_plan_say_which_classes_a_target_has_and_restrict_is_recorded(
        write_config, tmp_path, capsys) -> None:
    # the synthetic corpus has 5 emotions; baklouti7 has 7: boredom and disgust are absent
    config = write_config(label_set="baklouti7", methods=["zero_shot"],
                          restrict_to_target_classes=True)
    assert main(["experiment", "plan", str(config)]) == 0
    plan = capsys.readouterr().out
    assert ("target 'lang_b': 5 of the 7 classes of baklouti7: ['anger', 'fear', 'happiness', "
            "'neutral', 'sadness'] (absent: ['boredom', 'disgust']); chance UAR 1/5") in plan
    assert "decides among these only (restrict_to_target_classes)" in plan

    results = tmp_path / "r.csv"
    run_experiment(config, "smoke", results_path=results, progress=False, log=None)
    plain = write_config("plain.yaml", label_set="baklouti7", methods=["zero_shot"])
    run_experiment(plain, "smoke", results_path=results, progress=False, log=None)
    table = read_results(results).set_index("restrict_to_target_classes")
    assert len(table) == 2 and table["config_digest"].nunique() == 2  # never pooled
    for restricted in (True, False):
        row = table.loc[restricted]
        assert row["target_classes"] == "anger fear happiness neutral sadness"
        assert row["chance_uar"] == pytest.approx(1 / 5)  # the classes present, not 1/7
    predictions = pd.read_csv(results.with_name("r-predictions")
                              / f"{table.loc[True, 'run_key']}.csv")
    absent = {1, 2}  # boredom, disgust in baklouti7's order
    assert not set(predictions["y_pred"]) & absent
