"""Tests of serlib.losses.mixup (Agarla et al., 2024, Eqs. 6–7)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from serlib.losses import mixup


def _batch(b=8, c=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 2, 5, generator=gen)
    y = F.one_hot(torch.randint(0, c, (b,), generator=gen), c).float()
    return x, y


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("concentration", [None, 0.4])
def test_convex_combination_holds_exactly(per_sample, concentration):
    x, y = _batch()
    out = mixup(
        x,
        y,
        concentration=concentration,
        per_sample=per_sample,
        generator=torch.Generator().manual_seed(1),
    )
    assert sorted(out.perm.tolist()) == list(range(8))
    alpha = out.alpha.reshape(-1, 1, 1) if per_sample else out.alpha
    alpha_y = out.alpha.reshape(-1, 1) if per_sample else out.alpha
    assert out.alpha.shape == ((8,) if per_sample else ())
    assert bool(((out.alpha >= 0) & (out.alpha <= 1)).all())
    assert torch.equal(out.x, alpha * x + (1 - alpha) * x[out.perm])
    assert torch.equal(out.y, alpha_y * y + (1 - alpha_y) * y[out.perm])
    torch.testing.assert_close(out.y.sum(1), torch.ones(8))


def test_hand_case_with_two_examples():
    x = torch.tensor([[0.0], [10.0]])
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = mixup(x, y, generator=torch.Generator().manual_seed(0))
    alpha = out.alpha.item()
    partner = out.perm.tolist()
    for p in range(2):
        q = partner[p]
        assert out.x[p, 0].item() == pytest.approx(
            alpha * x[p, 0].item() + (1 - alpha) * x[q, 0].item()
        )


def test_deterministic_with_seeded_generator():
    x, y = _batch()
    for concentration in (None, 1.0):
        a = mixup(x, y, concentration=concentration, generator=torch.Generator().manual_seed(7))
        b = mixup(x, y, concentration=concentration, generator=torch.Generator().manual_seed(7))
        c = mixup(x, y, concentration=concentration, generator=torch.Generator().manual_seed(8))
        assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
        assert not torch.equal(a.x, c.x)


def test_soft_labels_stay_distributions():
    x, _ = _batch()
    y = torch.softmax(torch.randn(8, 4, generator=torch.Generator().manual_seed(3)), dim=1)
    out = mixup(x, y, per_sample=True, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(out.y.sum(1), torch.ones(8))
    assert bool((out.y >= 0).all())


def test_bad_arguments():
    x, y = _batch()
    with pytest.raises(ValueError, match="one_hot"):
        mixup(x, torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match="examples"):
        mixup(x, y[:3])
    with pytest.raises(ValueError, match="concentration"):
        mixup(x, y, concentration=0.0)


def test_the_old_name_lam_still_reads_alpha_with_a_deprecation_warning():
    out = mixup(torch.zeros(4, 2), torch.eye(4), generator=torch.Generator().manual_seed(0))
    with pytest.warns(DeprecationWarning, match="alpha"):
        assert torch.equal(out.lam, out.alpha)
