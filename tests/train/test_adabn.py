"""AdaBN: BatchNorm statistics re-estimated on target inputs, nothing else changed."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from serlib.features import UtteranceDataset, eval_loader
from serlib.train import reestimate_batchnorm


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.Linear(3, 2)

    def forward_features(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        return self.bn(x.mean(dim=-1)[:, 0])  # (batch, 1, 3, frames) -> (batch, 3)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        return self.head(self.forward_features(x, lengths))


def _target(n: int = 40) -> tuple[UtteranceDataset, torch.Tensor]:
    torch.manual_seed(0)
    feats = [torch.randn(1, 3, 8) * 2.0 + torch.tensor([1.0, -3.0, 5.0])[None, :, None]
             for _ in range(n)]
    means = torch.stack([f.mean(dim=-1)[0] for f in feats])  # what BatchNorm sees: (n, 3)
    return UtteranceDataset(feats, None), means


def test_running_statistics_become_the_targets_and_weights_stay() -> None:
    model = _Net().train()
    weights = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k
               and "num_batches" not in k}
    dataset, means = _target()
    assert reestimate_batchnorm(model, eval_loader(dataset)) == 1  # one batch of 40
    torch.testing.assert_close(model.bn.running_mean, means.mean(0))
    torch.testing.assert_close(model.bn.running_var, means.var(0, unbiased=True))
    assert model.bn.momentum == 0.1 and model.training  # restored
    for k, v in weights.items():
        torch.testing.assert_close(model.state_dict()[k], v)


def test_a_model_without_batchnorm_is_left_alone_and_an_empty_loader_refused() -> None:
    dataset, _ = _target(4)
    assert reestimate_batchnorm(nn.Sequential(nn.Linear(3, 2)), eval_loader(dataset)) == 0
    with pytest.raises(ValueError, match="no batch"):
        reestimate_batchnorm(_Net(), DataLoader([], batch_size=1))
