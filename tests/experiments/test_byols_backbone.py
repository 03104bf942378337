"""The BYOL-S backbones on real EmoDB files with the real d512 checkpoint (skip when absent).

The key property: a model trained on cached trunk features and saved as a bundle predicts,
from the audio file alone, what it predicted during training from the cache.
"""

from __future__ import annotations

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
    rows = emodb_rows.iloc[7:].reset_index(drop=True)
    rows["speaker"] = "one"  # several utterances of the same speaker
    together = backbone.embed(rows, progress=False)  # (3, dim)
    alone = backbone.embed(rows.iloc[:1], progress=False)  # (1, dim)
    assert torch.allclose(together[0], alone[0], atol=1e-5) == inductive
