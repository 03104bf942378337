"""VGG16 on log-mel images: shapes, FC1 features, padding, weights, fast offline failure."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import torch

import serlib.models.vgg as vgg_module
from serlib.errors import CheckpointError, DownloadError
from serlib.features import MelImage
from serlib.models import VGG16Mel


@pytest.fixture(scope="module")
def model() -> VGG16Mel:
    torch.manual_seed(0)
    return VGG16Mel(num_classes=5, image_size="smoke").eval()  # 64 x 64 images


def test_smoke_size_keeps_the_vgg16_code_path(model: VGG16Mel) -> None:
    x, lengths = torch.randn(2, 1, 128, 90), torch.tensor([90, 60])
    with torch.no_grad():
        assert model.image_size == 64
        assert model.features(x, lengths, layer="conv").shape == (2, 25088)
        fc1 = model.forward_features(x, lengths)
        assert fc1.shape == (2, 4096) and (fc1 >= 0).all()  # after the ReLU
        assert model.features(x, lengths, layer="fc2").shape == (2, 4096)
        logits = model(x, lengths)
        assert logits.shape == (2, 5)
        torch.testing.assert_close(logits, model.head(fc1))
    with pytest.raises(ValueError, match="layer"):
        model.features(x, layer="fc3")


def test_padding_does_not_change_an_utterance(model: VGG16Mel) -> None:
    x = torch.randn(1, 1, 128, 40)
    padded = torch.cat([x, torch.randn(1, 1, 128, 24)], dim=-1)
    with torch.no_grad():
        torch.testing.assert_close(model(padded, torch.tensor([40])), model(x))


def test_full_size_forward(model: VGG16Mel) -> None:
    model.to_image = MelImage(224)  # the full profile's images through the same network
    try:
        with torch.no_grad():
            assert model.forward_features(torch.randn(1, 1, 128, 150)).shape == (1, 4096)
    finally:
        model.to_image = MelImage(64)


def test_training_step_reaches_every_layer(model: VGG16Mel) -> None:
    model.train()
    try:
        model(torch.randn(1, 1, 128, 50)).logsumexp(1).sum().backward()
        assert model.conv[0].weight.grad is not None and model.head[-1].weight.grad is not None
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()


def test_imagenet_weights_are_loaded_without_random_init(model: VGG16Mel, monkeypatch) -> None:
    # torchvision's layout of the fixture's weights, as in vgg16-397923af.pth
    state = {f"features.{k}": v for k, v in model.conv.state_dict().items()}
    state.update({f"classifier.0.{k}": v for k, v in model.fc1[0].state_dict().items()})
    state.update({f"classifier.3.{k}": v for k, v in model.head[1].state_dict().items()})
    state.update({"classifier.6.weight": torch.zeros(1000, 4096),
                  "classifier.6.bias": torch.zeros(1000)})
    monkeypatch.setattr(vgg_module, "load_vgg16_imagenet", lambda *a, **k: state)
    loaded = VGG16Mel(3, image_size=64, pretrained=True)
    assert torch.equal(loaded.conv[0].weight, state["features.0.weight"])
    assert torch.equal(loaded.fc1[0].weight, state["classifier.0.weight"])
    assert torch.equal(loaded.head[1].weight, state["classifier.3.weight"])
    assert loaded.head[-1].out_features == 3
    assert all(p.requires_grad and not p.is_meta for p in loaded.parameters())
    state.pop("features.0.bias")
    with pytest.raises(CheckpointError, match=r"features\.0\.bias"):
        VGG16Mel(3, image_size=64, pretrained=True)


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/vgg16-397923af.pth"


@pytest.mark.parametrize("where", ["refused", "real"])
def test_offline_pretrained_fails_fast_with_instructions(where: str, monkeypatch) -> None:
    """No internet here: the real URL must fail as fast as a refused local port."""
    if where == "refused":
        monkeypatch.setattr(vgg_module, "VGG16_URL", refused_url())
    elif vgg_module._reachable(vgg_module.VGG16_URL, 0.5):
        pytest.skip("this machine is online")
    start = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        VGG16Mel(5, pretrained=True)
    assert time.perf_counter() - start < 1.0
    assert "weights_path=" in str(err.value) and "Colab" in str(err.value)
    assert vgg_module.VGG16_URL in str(err.value)


def test_weights_path_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such file"):
        VGG16Mel(5, weights_path=tmp_path / "vgg16-397923af.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="not a readable"):
        VGG16Mel(5, weights_path=junk)
    small = tmp_path / "small.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, small)
    with pytest.raises(CheckpointError, match="missing keys"):
        VGG16Mel(5, weights_path=small)


def test_the_weights_url_is_torchvisions() -> None:
    """VGG16_URL is written out (torchvision imports only when a VGG is built)."""
    from torchvision.models import VGG16_Weights

    from serlib.models import VGG16_URL

    assert VGG16_URL == VGG16_Weights.IMAGENET1K_V1.url
