"""Normalisation modes (utterance, source, target, speaker): NumPy reference, hand cases, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.features import (
    NORMALIZATIONS,
    fit_mode_stats,
    group_keys,
    normalize_embeddings,
    normalize_features,
)

DOMAINS = ["source", "source", "source", "target", "target"]
SPEAKERS = ["en_1", "en_1", "en_2", "de_1", "de_2"]


@pytest.fixture
def feats() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [(1.0 + i) + (0.5 + i) * torch.randn(1, 4, n, generator=g)
            for i, n in enumerate((9, 14, 5, 11, 8))]


def np_normalize(feats, groups, fit, per_band):
    """Brute-force reference: pool every value (per band or not) of the fit rows of a group."""
    arrays = [f.numpy()[0].astype(np.float64) for f in feats]  # (bands, frames)
    out = []
    for i, a in enumerate(arrays):
        ref = np.concatenate([arrays[j] for j in range(len(arrays))
                              if groups[j] == groups[i] and fit[j]], axis=1)
        mean = ref.mean(1, keepdims=True) if per_band else ref.mean()
        std = ref.std(1, keepdims=True) if per_band else ref.std()
        out.append((a - mean) / std)
    return out


@pytest.mark.parametrize("per_band", [False, True])
@pytest.mark.parametrize("mode", ["utterance", "source", "target", "speaker"])
def test_modes_match_numpy_reference(feats, mode, per_band):
    fit = [True, True, False, True, True]  # e.g. a source utterance outside source train
    got = normalize_features(feats, mode=mode, domains=DOMAINS, speakers=SPEAKERS,
                             fit=None if mode in ("utterance", "speaker") else fit,
                             per_band=per_band)
    groups = {"utterance": list(range(5)), "source": ["s"] * 5, "target": DOMAINS,
              "speaker": SPEAKERS}[mode]
    fit_ref = [d == "source" and f for d, f in zip(DOMAINS, fit, strict=True)] \
        if mode == "source" else fit if mode == "target" else [True] * 5
    if mode == "source":  # every row uses the source-train statistics
        groups = ["s"] * 5
    want = np_normalize(feats, groups, fit_ref, per_band)
    for g, w, f in zip(got, want, feats, strict=True):
        assert g.shape == f.shape and g.dtype == f.dtype
        np.testing.assert_allclose(g[0].numpy(), w, rtol=1e-4, atol=1e-5)


def test_hand_computed_speaker_case():
    feats = [torch.tensor([[[1.0, 3.0]]]), torch.tensor([[[5.0, 7.0]]]),
             torch.tensor([[[10.0, 10.0, 13.0, 7.0]]])]
    out = normalize_features(feats, mode="speaker", speakers=["a", "a", "b"])
    # speaker a: values 1, 3, 5, 7 -> mean 4, std sqrt(5); speaker b: mean 10, std sqrt(4.5)
    np.testing.assert_allclose(out[0][0, 0].numpy(), np.array([-3, -1]) / np.sqrt(5), rtol=1e-6)
    np.testing.assert_allclose(out[2][0, 0].numpy(), np.array([0, 0, 3, -3]) / np.sqrt(4.5),
                               rtol=1e-6)


def test_none_is_identity_and_stats_are_returned(feats):
    assert all(torch.equal(a, b) for a, b in zip(normalize_features(feats, mode="none"), feats,
                                                 strict=True))
    stats = fit_mode_stats(feats, mode="target", domains=DOMAINS)
    assert sorted(stats) == ["source", "target"]
    assert fit_mode_stats(feats, mode="utterance") == {}
    assert group_keys("speaker", 5, speakers=SPEAKERS) == SPEAKERS
    assert group_keys("source", 5, domains=DOMAINS) == ["source"] * 5


@pytest.mark.parametrize("mode", ["source", "target", "speaker"])
def test_embeddings_match_numpy_reference(mode):
    g = torch.Generator().manual_seed(1)
    x = 3.0 + 2.0 * torch.randn(5, 6, generator=g)
    fit = [True, False, True, True, True]
    got = normalize_embeddings(x, mode=mode, domains=DOMAINS, speakers=SPEAKERS, fit=fit)
    keys = {"source": ["s"] * 5, "target": DOMAINS, "speaker": SPEAKERS}[mode]
    z = x.numpy().astype(np.float64)
    for i in range(5):
        rows = [j for j in range(5) if keys[j] == keys[i] and fit[j]
                and (mode != "source" or DOMAINS[j] == "source")]
        want = (z[i] - z[rows].mean(0)) / np.maximum(z[rows].std(0), 1e-5)
        np.testing.assert_allclose(got[i].numpy(), want, rtol=1e-5, atol=1e-6)


def test_embeddings_utterance_mode_standardises_rows():
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
    out = normalize_embeddings(x, mode="utterance")
    np.testing.assert_allclose(out.mean(1).numpy(), 0.0, atol=1e-6)
    np.testing.assert_allclose(out.std(1, unbiased=False).numpy(), 1.0, rtol=1e-6)


def test_errors(feats):
    with pytest.raises(ValueError, match="use one of"):
        normalize_features(feats, mode="global")
    with pytest.raises(ValueError, match="needs speakers"):
        normalize_features(feats, mode="speaker")
    with pytest.raises(ValueError, match="3 entries for 5"):
        normalize_features(feats, mode="target", domains=DOMAINS[:3])
    with pytest.raises(ValueError, match="no utterance of the source domain 'en'"):
        normalize_features(feats, mode="source", domains=DOMAINS, source="en")
    with pytest.raises(ValueError, match=r"no utterance to fit the statistics of \['de_2'\]"):
        normalize_features(feats, mode="speaker", speakers=SPEAKERS,
                           fit=[True, True, True, True, False])
    with pytest.raises(ValueError, match="non-finite"):
        normalize_embeddings(torch.tensor([[float("nan"), 1.0]]), mode="none")
    with pytest.raises(ValueError, match=r"\(n, d\)"):
        normalize_embeddings(torch.zeros(3), mode="none")
    assert NORMALIZATIONS == ("none", "utterance", "source", "target", "speaker")
