"""The BYOL-S backbones on real EmoDB files with the real d512 checkpoint (skip when absent).

The key property: a model trained on cached trunk features and saved as a bundle predicts,
from the audio file alone, what it predicted during training from the cache.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from serlib.data import load_corpus
from serlib.experiments import (
    ExperimentConfig,
    load_model_bundle,
    make_backbone,
    predict_recordings,
    save_model_bundle,
)
from serlib.features import UtteranceDataset, eval_loader
from serlib.features.normalize import MIN_SPEAKER_UTTERANCES, SpeakerStatisticsWarning
from serlib.train import predict

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def emodb_rows(emodb_dir):
    table = load_corpus("emodb", emodb_dir, progress=False).iloc[:10].reset_index(drop=True)
    table["split"] = ["train"] * 7 + ["test"] * 3
    return table


@pytest.mark.parametrize("normalize", ["utterance", "source"])
def test_neck_bundle_predicts_like_training(emodb_rows, byols_checkpoint, tmp_path, normalize):
    config = ExperimentConfig(name="t", tasks=("emodb -> emodb",), methods=("zero_shot",),
                              backbone="byols_neck", weights=str(byols_checkpoint),
                              normalize=normalize)
    backbone = make_backbone(config, emodb_rows)
    inputs = backbone.inputs(emodb_rows)
    assert inputs[0].shape[:2] == (1, 512)  # (1, channels, trunk frames)
    assert (backbone.norm_stats is None) == (normalize == "utterance")
    model = backbone.new_model(5, seed=0)
    torch.nn.init.normal_(model.head.weight, std=0.5)  # a head that is not near-uniform
    model.eval()
    cached = predict(model, eval_loader(UtteranceDataset(inputs, [0] * len(inputs))))
    exported, spec = backbone.export(model, 5)
    path = save_model_bundle(tmp_path / "m.pt", exported,
                             labels=["anger", "fear", "happiness", "neutral", "sadness"],
                             mel_config=backbone.mel_config, model_spec=spec,
                             norm_stats=backbone.norm_stats)
    from_files = predict_recordings(load_model_bundle(path), emodb_rows["path"])
    probs = torch.tensor(from_files[["anger", "fear", "happiness", "neutral", "sadness"]]
                         .to_numpy(), dtype=torch.float32)
    assert torch.allclose(probs, cached.probs, atol=1e-4)


@pytest.mark.parametrize(("frames", "inductive"), [("none", True), ("utterance", True),
                                                   ("domain", False), ("speaker", False)])
def test_embed_frames_option_decides_whether_an_utterance_sees_the_others(
        emodb_rows, byols_checkpoint, frames, inductive):
    """An inductive frame correction embeds a recording the same alone or among others."""
    config = ExperimentConfig(name="t", tasks=("emodb -> emodb",), methods=("zero_shot",),
                              backbone="byols_embed", weights=str(byols_checkpoint),
                              frames=frames, normalize="none")
    backbone = make_backbone(config, emodb_rows)
    rows = emodb_rows.copy()
    rows["speaker"] = "one"  # ten utterances of the same speaker
    together = backbone.embed(rows, progress=False)  # (10, dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpeakerStatisticsWarning)  # one utterance: guarded
        alone = backbone.embed(rows.iloc[:1], progress=False)  # (1, dim)
    assert torch.allclose(together[0], alone[0], atol=1e-5) == inductive


def test_a_speaker_with_too_few_utterances_keeps_the_source_statistics(
        emodb_rows, byols_checkpoint):
    """The guard of chapter 9: per-speaker frame statistics need MIN_SPEAKER_UTTERANCES."""
    kwargs = {"name": "t", "tasks": ("emodb -> emodb",), "methods": ("zero_shot",),
              "backbone": "byols_embed", "weights": str(byols_checkpoint),
              "normalize": "none"}
    speaker = make_backbone(ExperimentConfig(**kwargs, frames="speaker"), emodb_rows)
    source = make_backbone(ExperimentConfig(**kwargs, frames="none"), emodb_rows)
    rows = emodb_rows.iloc[: MIN_SPEAKER_UTTERANCES - 1].copy()
    rows["speaker"] = "few"
    with pytest.warns(SpeakerStatisticsWarning, match="fewer than 5 utterances"):
        guarded = speaker.embed(rows, progress=False)
    assert torch.allclose(guarded, source.embed(rows, progress=False), atol=1e-5)
