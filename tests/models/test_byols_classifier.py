"""BYOL-S classifiers: freeze modes, and the neck classifier on cached trunk features."""

from __future__ import annotations

import pytest
import torch

from serlib.features import UtteranceDataset, make_loader
from serlib.models import BYOLSClassifier, BYOLSEncoder, BYOLSNeckClassifier


def grads(model: torch.nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> dict[str, bool]:
    model.zero_grad(set_to_none=True)
    model(x, lengths).logsumexp(dim=1).sum().backward()
    return {name: p.grad is not None for name, p in model.named_parameters()}


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.randn(3, 1, 64, 48), torch.tensor([48, 40, 17])


def test_fine_tuning_trains_everything(batch) -> None:
    model = BYOLSClassifier(BYOLSEncoder(32), 5)
    assert model(*batch).shape == (3, 5) and model.forward_features(*batch).shape == (3, 32)
    assert all(grads(model, *batch).values())


def test_trunk_frozen(batch) -> None:
    model = BYOLSClassifier(BYOLSEncoder(32), 5, freeze="trunk").train()
    flags = grads(model, *batch)
    assert not any(v for k, v in flags.items() if k.startswith("encoder.features"))
    assert all(v for k, v in flags.items() if k.startswith(("encoder.fc", "head")))
    assert not model.encoder.features.training and model.encoder.fc.training
    stats = model.encoder.features[1].running_mean.clone()
    model(*batch)
    torch.testing.assert_close(model.encoder.features[1].running_mean, stats)


def test_linear_probe(batch) -> None:
    model = BYOLSClassifier(BYOLSEncoder(32), 5, freeze=True).train()
    flags = grads(model, *batch)
    assert [k for k, v in flags.items() if v] == ["head.weight", "head.bias"]
    assert not model.encoder.training and model.head.training
    with pytest.raises(ValueError, match="freeze"):
        BYOLSClassifier(BYOLSEncoder(32), 5, freeze="neck")


def test_neck_classifier_on_cached_trunk_features_equals_full_model() -> None:
    torch.manual_seed(1)
    encoder = BYOLSEncoder(32).eval()
    logmels = [torch.randn(1, 64, n) for n in (50, 96, 23)]
    with torch.no_grad():
        trunk = [encoder.forward_trunk(f[None])[0].T[None] for f in logmels]  # (1, 512, T/8)
    neck = BYOLSNeckClassifier(encoder, 4).eval()
    cached = next(iter(make_loader(UtteranceDataset(trunk, [0, 1, 2]), batch_size=3,
                                   shuffle=False)))
    assert cached.x.shape == (3, 1, 512, 16) and cached.lengths.tolist() == [6, 12, 2]
    full = neck.on_log_mels().eval()
    mels = next(iter(make_loader(UtteranceDataset(logmels, [0, 1, 2]), batch_size=3,
                                 shuffle=False)))
    with torch.no_grad():
        torch.testing.assert_close(neck(cached.x, cached.lengths), full(mels.x, mels.lengths),
                                   atol=1e-5, rtol=1e-5)
    assert full.head is neck.head and full.encoder is neck.encoder
    flags = grads(neck.train(), cached.x, cached.lengths)
    assert not any(v for k, v in flags.items() if k.startswith("encoder.features"))
    assert all(v for k, v in flags.items() if k.startswith(("encoder.fc", "head")))
    with pytest.raises(ValueError, match="trunk features"):
        neck(torch.randn(2, 1, 64, 10))
