"""The BYOL-S encoder: published key layout, shapes, reshape order, padding invariance."""

from __future__ import annotations

import pytest
import torch

from serlib.models import BYOLSEncoder

#: the state-dict keys of the published d=512 checkpoint (see ../shared/weights/README.md)
PUBLISHED_KEYS = sorted(
    [f"features.{i}.{p}" for i in (0, 4, 8) for p in ("weight", "bias")]
    + [f"features.{i}.{p}" for i in (1, 5, 9)
       for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")]
    + [f"fc.{i}.{p}" for i in (0, 3) for p in ("weight", "bias")])


@pytest.fixture
def encoder() -> BYOLSEncoder:
    torch.manual_seed(0)
    return BYOLSEncoder(d=64).eval()


def test_parameter_names_match_the_checkpoints() -> None:
    enc = BYOLSEncoder(512)
    assert sorted(enc.state_dict()) == PUBLISHED_KEYS
    assert sum(p.numel() for p in enc.parameters()) == pytest.approx(600_000, rel=0.02)


@pytest.mark.parametrize("d", [512, 1024, 2048])
def test_shapes(d: int) -> None:
    enc = BYOLSEncoder(d).eval()
    x = torch.randn(2, 1, 64, 96)
    with torch.no_grad():
        assert enc.forward_trunk(x).shape == (2, 12, 512)
        assert enc(x).shape == (2, d)
        assert enc.forward_neck(enc.forward_trunk(x)).shape == (2, d)


def test_reshape_is_mel_major_channel_minor(encoder: BYOLSEncoder) -> None:
    """Trunk feature k of frame t is channel k % 64 of mel bin k // 64 (the weights' order)."""
    x = torch.randn(1, 1, 64, 40)
    with torch.no_grad():
        h = encoder.features(x)  # (1, 64 channels, 8 mel bins, 5 frames)
        trunk = encoder.forward_trunk(x)  # (1, 5, 512)
    for t in range(h.shape[3]):
        for k in range(0, 512, 37):
            assert trunk[0, t, k] == h[0, k % 64, k // 64, t]


def test_embedding_is_mean_plus_max_of_the_neck(encoder: BYOLSEncoder) -> None:
    x = torch.randn(3, 1, 64, 64)
    with torch.no_grad():
        z = encoder.fc(encoder.forward_trunk(x))  # (3, 8, 64)
        torch.testing.assert_close(encoder(x), z.mean(1) + z.amax(1))


def test_padded_batch_equals_each_utterance_alone(encoder: BYOLSEncoder) -> None:
    lengths = [37, 96, 61, 8, 5]
    xs = [torch.randn(1, 1, 64, n) for n in lengths]
    batch = torch.zeros(len(xs), 1, 64, 104)
    for i, x in enumerate(xs):
        batch[i, ..., : x.shape[-1]] = x
    batch[0, ..., 37:] = 7.0  # garbage in the padding must not matter
    lens = torch.tensor(lengths)
    with torch.no_grad():
        emb = encoder(batch, lens)
        trunk = encoder.forward_trunk(batch, lens)
        for i, x in enumerate(xs):
            torch.testing.assert_close(emb[i], encoder(x)[0], atol=1e-5, rtol=1e-5)
            alone = encoder.forward_trunk(x)[0]
            torch.testing.assert_close(trunk[i, : alone.shape[0]], alone, atol=1e-5, rtol=1e-5)
    assert encoder.trunk_lengths(lens).tolist() == [4, 12, 7, 1, 1]


def test_full_lengths_equal_no_lengths(encoder: BYOLSEncoder) -> None:
    x = torch.randn(2, 1, 64, 80)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x, torch.tensor([80, 80])), encoder(x))


def test_gradients_flow_and_bad_inputs() -> None:
    enc = BYOLSEncoder(32).train()
    enc(torch.randn(2, 1, 64, 48), torch.tensor([48, 30])).sum().backward()
    assert all(p.grad is not None for p in enc.parameters())
    with pytest.raises(ValueError, match="n_mels"):
        BYOLSEncoder(32, n_mels=60)
    with pytest.raises(ValueError, match=r"\(batch, 1, 64, frames\)"):
        enc(torch.randn(2, 64, 48))
