"""With a gradient scaler, an fp16-overflow step is skipped by the scaler before any error."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from serlib.errors import NonFiniteError
from serlib.train.engine import MAX_SKIPPED_STEPS, _train_step


class StubScaler:
    """What the engine uses of GradScaler: skips a step whose gradients are not finite."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled, self.value, self.skipped = enabled, 65536.0, False

    def is_enabled(self) -> bool:
        return self.enabled

    def get_scale(self) -> float:
        return self.value

    def scale(self, loss):
        return loss

    def step(self, optimizer) -> None:
        grads = [p.grad for g in optimizer.param_groups for p in g["params"]
                 if p.grad is not None]
        self.skipped = not all(bool(torch.isfinite(g).all()) for g in grads)
        if not self.skipped:
            optimizer.step()

    def update(self) -> None:
        if self.skipped:
            self.value /= 2


def _setup():
    model = nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def _step(model, batches, *, frac_done):
    return {"loss": (model(batches["x"]).sum() ** 2 + 1) * float("inf")}  # an fp16 overflow


def test_an_overflow_step_is_skipped_not_an_error():
    model, optimizer = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    scaler, skipped = StubScaler(), [0]
    kwargs = dict(optimizer=optimizer, scaler=scaler, device=torch.device("cpu"),
                  where="step", skipped=skipped)
    terms = _train_step(_step, model, {"x": torch.ones(1, 2)}, frac_done=0.0, **kwargs)
    assert terms["loss"] == float("inf") and skipped == [1] and scaler.value == 32768
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    for _ in range(MAX_SKIPPED_STEPS - 1):
        _train_step(_step, model, {"x": torch.ones(1, 2)}, frac_done=0.0, **kwargs)
    with pytest.raises(NonFiniteError, match="skipped in a row"):
        _train_step(_step, model, {"x": torch.ones(1, 2)}, frac_done=0.0, **kwargs)


def test_without_a_scaler_a_non_finite_loss_is_an_error_before_any_update():
    model, optimizer = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(NonFiniteError, match="the loss is inf"):
        _train_step(_step, model, {"x": torch.ones(1, 2)}, frac_done=0.0,
                    optimizer=optimizer, scaler=StubScaler(enabled=False),
                    device=torch.device("cpu"), where="step", skipped=[0])
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
