"""EmbeddingClassifier's pooling: the mean over an utterance's valid views; one view each is
the view itself (a shortcut that must give the masked mean's numbers exactly)."""

from __future__ import annotations

import torch

from serlib.models import EmbeddingClassifier
from serlib.models.pooling import frame_mask


def _masked_mean(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    v = x[:, 0]
    mask = frame_mask(lengths, v.shape[-1]).unsqueeze(1)
    return (v * mask).sum(dim=-1) / mask.sum(dim=-1).clamp(min=1)


def test_one_view_pool_is_the_masked_mean_exactly() -> None:
    model = EmbeddingClassifier(7, 3, hidden=4)
    x = torch.randn(9, 1, 7, 1) * 1e3
    for lengths in (torch.ones(9, dtype=torch.long), torch.zeros(9, dtype=torch.long), None):
        pooled = model.pool(x, lengths)
        expected = _masked_mean(x, torch.ones(9, dtype=torch.long))
        assert pooled.shape == (9, 7) and pooled.is_contiguous()
        assert torch.equal(pooled, expected)


def test_several_views_pool_over_valid_views_only() -> None:
    model = EmbeddingClassifier(5, 2, hidden=0)
    x = torch.randn(4, 1, 5, 6)
    lengths = torch.tensor([6, 3, 1, 2])
    torch.testing.assert_close(model.pool(x, lengths), _masked_mean(x, lengths))
    torch.testing.assert_close(model.pool(x), x[:, 0].mean(dim=-1))
