"""A bundle reproduces its run's speaker-level test-time settings when told who speaks.

On real EmoDB files with the real BYOL-S checkpoint (skip when absent): a bundle trained
with ``frames: speaker`` and ``normalize: speaker`` predicts, from the files and their
speakers, what the training-time embedding gives; without speakers it takes the inductive
path, the ``frames: none`` computation; ``serlib predict --speaker/--speakers`` do the same
and refuse bad CSVs with a clear message.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
import torch

from serlib.adapt.speaker_centroids import speaker_centroid_scores
from serlib.cli import main
from serlib.data import load_corpus
from serlib.experiments import (
    ExperimentConfig,
    load_model_bundle,
    make_backbone,
    predict_recordings,
    save_model_bundle,
)
from serlib.experiments.speaker_predict import GROUP_NOTE, bundle_test_time
from serlib.features.normalize import SpeakerStatisticsWarning

pytestmark = pytest.mark.shared

LABELS = ["anger", "fear", "happiness", "neutral", "sadness"]
BIG, SMALL = slice(7, 13), slice(13, 16)  # speaker "a": 6 recordings; "b": 3 (< 5)


@pytest.fixture(scope="module")
def rows(emodb_dir):
    table = load_corpus("emodb", emodb_dir, progress=False).iloc[:16].reset_index(drop=True)
    table["split"] = ["train"] * 7 + ["test"] * 9
    table["speaker"] = ["src"] * 7 + ["a"] * 6 + ["b"] * 3
    return table


def _config(checkpoint, **test_time):
    return ExperimentConfig(name="t", tasks=("emodb -> emodb",), methods=("zero_shot",),
                            backbone="byols_embed", weights=str(checkpoint), **test_time)


def _bundle(rows, checkpoint, tmp_path, refine="none"):
    """A frames/normalize: speaker run's backbone, classifier and saved bundle."""
    settings = {"frames": "speaker", "normalize": "speaker", "adabn": False, "refine": refine,
                "test_time_info": "target speaker"}
    backbone = make_backbone(_config(checkpoint, frames="speaker", normalize="speaker"), rows)
    model = backbone.new_model(len(LABELS), seed=0)
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)  # a head that is not near-uniform
    model.eval()
    test = rows[rows["split"] == "test"]
    exported, spec = backbone.export(model, len(LABELS), target_table=test)
    path = save_model_bundle(tmp_path / f"m-{refine}.pt", exported, labels=LABELS,
                             mel_config=backbone.mel_config, model_spec=spec,
                             norm_stats=backbone.norm_stats,
                             metadata={"test_time": bundle_test_time(backbone, settings, rows)})
    return backbone, model, path


def _probs(table: pd.DataFrame) -> torch.Tensor:
    return torch.tensor(table[LABELS].to_numpy(), dtype=torch.float32)


def _model_probs(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x[:, None, :, None]).softmax(dim=1)  # x: (n, dim)


@pytest.fixture(scope="module")
def trained(rows, byols_checkpoint, tmp_path_factory):
    return _bundle(rows, byols_checkpoint, tmp_path_factory.mktemp("b"))


def test_speakers_reproduce_the_training_time_embedding(rows, trained):
    backbone, model, path = trained
    test = rows[rows["split"] == "test"].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpeakerStatisticsWarning)  # speaker "b" is guarded
        x = torch.stack([v[0, :, 0] for v in backbone.inputs(test)])  # (9, dim)
    expected = _model_probs(model, x)
    bundle = load_model_bundle(path)
    assert bundle.metadata["test_time"]["frames"] == "speaker"
    got = predict_recordings(bundle, test["path"], speakers=list(test["speaker"]))
    big = slice(0, 6)
    assert torch.allclose(_probs(got)[big], expected[big], atol=1e-3)
    assert (got["test_time_info"][big] == "target speaker").all()
    assert (got["test_time_info"][6:] == "inductive").all()  # "b": 3 recordings
    assert (got["note"][6:] == GROUP_NOTE).all()
    alone = predict_recordings(bundle, test["path"][big])  # no speakers: inductive
    assert (_probs(alone) - _probs(got)[big]).abs().max() > 1e-2  # the paths differ
    # one speaker for every file: the same as a list naming it each time
    one = predict_recordings(bundle, test["path"][big], speakers="a")
    assert torch.allclose(_probs(one), _probs(got)[big], atol=1e-5)


def test_without_speakers_the_inductive_path_is_the_frames_none_computation(
        rows, trained, byols_checkpoint):
    _, model, path = trained
    test = rows[rows["split"] == "test"].reset_index(drop=True)
    # frames: none, embeddings standardised by the source's training statistics
    none = make_backbone(_config(byols_checkpoint, frames="none", normalize="source"), rows)
    x = torch.stack([v[0, :, 0] for v in none.inputs(test)])
    got = predict_recordings(load_model_bundle(path), test["path"])
    assert torch.allclose(_probs(got), _model_probs(model, x), atol=1e-3)
    assert (got["test_time_info"] == "inductive").all()
    alone = predict_recordings(load_model_bundle(path), test["path"][:1])
    assert torch.allclose(_probs(alone), _probs(got)[:1], atol=1e-5)


def test_speaker_centroid_refinement_relabels_like_the_run(rows, byols_checkpoint, tmp_path):
    backbone, model, path = _bundle(rows, byols_checkpoint, tmp_path,
                                    refine="speaker_centroids")
    test = rows[rows["split"] == "test"].reset_index(drop=True).iloc[:6]  # speaker "a"
    x = torch.stack([v[0, :, 0] for v in backbone.inputs(test)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpeakerStatisticsWarning)
        refined = speaker_centroid_scores(x, _model_probs(model, x), ["a"] * 6).argmax(1)
        got = predict_recordings(load_model_bundle(path), test["path"], speakers="a")
    assert list(got["prediction"]) == [LABELS[int(i)] for i in refined]
    assert (got["test_time_info"] == "target speaker").all()


def test_cli_speaker_flag_and_csv(rows, trained, tmp_path, capsys):
    _, _, path = trained
    files = [str(p) for p in rows["path"][BIG]]
    assert main(["predict", str(path), *files, "--speaker", "a", "--json"]) == 0
    flag = json.loads(capsys.readouterr().out)["predictions"]
    assert {r["test_time_info"] for r in flag} == {"target speaker"}
    csv = tmp_path / "who.csv"
    pd.DataFrame({"path": files, "speaker": "a"}).to_csv(csv, index=False)
    assert main(["predict", str(path), "--speakers", str(csv), "--json"]) == 0
    from_csv = json.loads(capsys.readouterr().out)["predictions"]
    assert [r["prediction"] for r in from_csv] == [r["prediction"] for r in flag]
    assert main(["predict", str(path), files[0]]) == 0  # one recording: inductive
    assert "inductive" in capsys.readouterr().out


def test_cli_refuses_bad_speaker_csvs(rows, trained, tmp_path, capsys):
    _, _, path = trained
    files = [str(p) for p in rows["path"][BIG]]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"file": files, "speaker": "a"}).to_csv(bad, index=False)
    assert main(["predict", str(path), *files, "--speakers", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "no column ['path']" in err and "Traceback" not in err
    partial = tmp_path / "partial.csv"
    pd.DataFrame({"path": files[:2], "speaker": "a"}).to_csv(partial, index=False)
    assert main(["predict", str(path), *files, "--speakers", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "no row for" in err and files[2] in err and "Traceback" not in err
    ghost = tmp_path / "ghost.csv"
    pd.DataFrame({"path": [str(tmp_path / "nope.wav")], "speaker": "a"}).to_csv(ghost,
                                                                                index=False)
    assert main(["predict", str(path), "--speakers", str(ghost)]) == 1
    err = capsys.readouterr().err
    assert "nope.wav" in err and "Traceback" not in err
