"""Inductive embeddings: each row depends on its own recording and the source only."""

from __future__ import annotations

import pytest
import torch

from serlib.features.inductive import (
    frame_crops,
    inductive_embedding,
    source_standardise,
)


def _neck(h: torch.Tensor) -> torch.Tensor:
    return torch.relu(h @ torch.ones(h.shape[1], 3) * 0.1)


def test_a_recording_embedding_does_not_depend_on_other_recordings():
    g = torch.Generator().manual_seed(0)
    frames = [torch.randn(12, 4, generator=g) * 2 + 1, torch.randn(9, 4, generator=g)]
    mean, std = torch.zeros(4), torch.ones(4)
    for mode in ("none", "utterance", "utterance_mean"):
        both = inductive_embedding(frames, _neck, source_mean=mean, source_std=std, mode=mode)
        alone = inductive_embedding(frames[:1], _neck, source_mean=mean, source_std=std,
                                    mode=mode)
        assert torch.allclose(both[:1], alone)
        assert both.shape == (2, 6)  # mean + std of a 3-d neck


def test_utterance_mode_maps_the_recording_onto_the_source_statistics():
    h = torch.randn(50, 4) * 3 + 5
    mean, std = torch.full((4,), 2.0), torch.full((4,), 0.5)
    out = inductive_embedding([h], lambda z: z, source_mean=mean, source_std=std,
                              mode="utterance")
    assert torch.allclose(out[0, :4], mean, atol=1e-4)  # pooled mean = source mean
    assert torch.allclose(out[0, 4:], std, atol=1e-2)
    none = inductive_embedding([h], lambda z: z, source_mean=mean, source_std=std,
                               mode="none", pooling="mean_std_max")
    assert torch.allclose(none[0, :4], h.mean(0)) and none.shape == (1, 12)
    with pytest.raises(ValueError, match="frames="):
        inductive_embedding([h], lambda z: z, source_mean=mean, source_std=std, mode="x")


def test_crops_and_standardisation():
    assert frame_crops(10, n_crops=2, length=4) == [slice(0, 10), slice(0, 4), slice(6, 10)]
    assert frame_crops(3, n_crops=4, length=4) == [slice(0, 3)]
    h = [torch.randn(10, 2)]
    rows = inductive_embedding(h, lambda z: z, source_mean=torch.zeros(2),
                               source_std=torch.ones(2), mode="none",
                               crops=[frame_crops(10, n_crops=2, length=4)])
    assert rows.shape == (3, 4)
    src = torch.randn(20, 4) * 3 + 1
    z = source_standardise(src, src)
    assert torch.allclose(z.mean(0), torch.zeros(4), atol=1e-5)
