"""Dataset normalisation statistics: brute-force reference, modes, saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.features import NormStats, apply_norm_stats, compute_norm_stats, fit_norm_stats


@pytest.fixture
def feats() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [3.0 + 2.0 * torch.randn(1, 8, n, generator=g) for n in (20, 35, 7)]


def test_global_stats_match_numpy(feats: list[torch.Tensor]) -> None:
    values = np.concatenate([f.numpy().ravel() for f in feats]).astype(np.float64)
    stats = compute_norm_stats(feats)
    assert not stats.per_band
    assert stats.mean[0] == pytest.approx(values.mean(), rel=1e-9)
    assert stats.std[0] == pytest.approx(values.std(), rel=1e-9)


def test_per_band_stats_match_numpy(feats: list[torch.Tensor]) -> None:
    bands = np.concatenate([f[0].numpy() for f in feats], axis=1).astype(np.float64)
    stats = compute_norm_stats(feats, per_band=True)
    np.testing.assert_allclose(stats.mean, bands.mean(axis=1), rtol=1e-9)
    np.testing.assert_allclose(stats.std, bands.std(axis=1), rtol=1e-9)


@pytest.mark.parametrize("per_band", [False, True])
def test_applied_stats_standardise(feats: list[torch.Tensor], per_band: bool) -> None:
    stats = compute_norm_stats(feats, per_band=per_band)
    out = apply_norm_stats(feats, stats)
    assert [f.shape for f in out] == [f.shape for f in feats]
    joined = torch.cat([f[0] for f in out], dim=1).double()
    assert float(joined.mean()) == pytest.approx(0.0, abs=1e-6)
    assert float(joined.std(unbiased=False)) == pytest.approx(1.0, abs=1e-6)
    batch = torch.stack([feats[0], feats[0]])  # (batch, 1, n_mels, frames) broadcasts too
    torch.testing.assert_close(apply_norm_stats(batch, stats)[1], out[0])
    assert apply_norm_stats(feats[0], None) is feats[0]


def test_fit_modes_are_explicit(feats: list[torch.Tensor]) -> None:
    target = [f * 10 for f in feats]
    same = fit_norm_stats({"source": feats, "target": target}, mode="source")
    assert same["target"] == same["source"] == compute_norm_stats(feats)
    own = fit_norm_stats({"source": feats, "target": target}, mode="per_domain")
    assert own["target"] == compute_norm_stats(target)
    with pytest.raises(ValueError, match="mode"):
        fit_norm_stats({"source": feats}, mode="global")
    with pytest.raises(ValueError, match="'en'"):
        fit_norm_stats({"source": feats}, mode="source", source="en")


def test_norm_stats_round_trip_and_validation() -> None:
    stats = NormStats((-2.5,), (4.25,))
    assert NormStats.from_dict(stats.to_dict()) == stats
    assert NormStats.from_dict({"mean": torch.tensor([1.0, 2.0]), "std": np.ones(2)}).per_band
    with pytest.raises(ValueError, match="positive"):
        NormStats((0.0,), (0.0,))
    with pytest.raises(ValueError, match="bands"):
        apply_norm_stats(torch.zeros(1, 8, 3), NormStats((0.0,) * 4, (1.0,) * 4))
    with pytest.raises(ValueError, match="at least one"):
        compute_norm_stats([])
