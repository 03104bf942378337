"""Model bundles: everything needed to use a model later, in one file."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from serlib.errors import CheckpointError, ConfigError
from serlib.experiments import build_model, load_model_bundle, save_model_bundle
from serlib.features import mel_preset


@dataclass
class Stats:
    mean: torch.Tensor
    std: torch.Tensor


def _spec(n_mels=16):
    return {"architecture": "SmallCNN",
            "kwargs": {"num_classes": 3, "n_mels": n_mels, "channels": [4, 8, 8],
                       "embed_dim": 8}}


def test_round_trip(tiny_model, datasets, batch_of, tmp_path):
    model = tiny_model()
    stats = Stats(torch.zeros(16), torch.ones(16))
    path = save_model_bundle(tmp_path / "m.pt", model, labels=["anger", "fear", "neutral"],
                             mel_config=mel_preset("agarla", n_mels=16), model_spec=_spec(),
                             norm_stats=stats, metadata={"method": "mmd", "seed": 0})
    bundle = load_model_bundle(path)
    batch = batch_of(datasets["dev"])
    model.eval()
    assert torch.allclose(bundle.model(batch.x, batch.lengths), model(batch.x, batch.lengths))
    assert bundle.labels == ("anger", "fear", "neutral")
    assert bundle.mel_config == mel_preset("agarla", n_mels=16)
    assert torch.equal(bundle.norm_stats["std"], torch.ones(16))
    assert bundle.metadata == {"method": "mmd", "seed": 0} and bundle.serlib_version
    assert not bundle.model.training


def test_a_spec_that_does_not_fit_is_refused(tiny_model, tmp_path):
    with pytest.raises(CheckpointError, match="does not rebuild"):
        save_model_bundle(tmp_path / "m.pt", tiny_model(), labels=["a", "b", "c"],
                          mel_config=mel_preset("agarla"), model_spec=_spec(n_mels=64))
    assert not (tmp_path / "m.pt").exists()
    with pytest.raises(ConfigError, match="unknown architecture"):
        build_model({"architecture": "os.system", "kwargs": {}})


def test_bad_files_name_themselves(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model_bundle(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"hello")
    with pytest.raises(CheckpointError, match=r"bad\.pt"):
        load_model_bundle(bad)
    torch.save({"format": 99}, tmp_path / "old.pt")
    with pytest.raises(CheckpointError, match="format"):
        load_model_bundle(tmp_path / "old.pt")
