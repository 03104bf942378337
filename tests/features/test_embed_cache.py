"""Frozen-encoder caches: embeddings and trunk features equal the encoder's own output."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import serlib.features.embed_cache as embed_module
from serlib.features import (
    NormStats,
    apply_norm_stats,
    cached_embeddings,
    cached_log_mels,
    cached_trunk_features,
    mel_preset,
    module_fingerprint,
)
from serlib.models import BYOLSEncoder


@pytest.fixture
def encoder() -> BYOLSEncoder:
    torch.manual_seed(0)
    enc = BYOLSEncoder(d=32)
    for m in enc.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return enc.train()


STATS = NormStats((-3.0,), (4.0,))


def test_embeddings_equal_the_encoder_on_each_utterance(wav_files, tmp_path: Path,
                                                        encoder: BYOLSEncoder) -> None:
    config, root = mel_preset("byols"), tmp_path / "cache"
    emb = cached_embeddings(wav_files, encoder, config, stats=STATS, cache_dir=root,
                            batch_size=3, progress=False)
    assert emb.shape == (len(wav_files), 32)
    assert encoder.training  # the caller's mode is restored
    encoder.eval()
    logmels = cached_log_mels(wav_files, config, cache_dir=root, progress=False)
    with torch.no_grad():
        alone = torch.cat([encoder(apply_norm_stats(f, STATS)[None]) for f in logmels])
    torch.testing.assert_close(emb, alone, atol=1e-5, rtol=1e-5)


def test_trunk_features_layout_and_values(wav_files, tmp_path: Path,
                                          encoder: BYOLSEncoder) -> None:
    config = mel_preset("byols")
    trunk = cached_trunk_features(wav_files, encoder, config, stats=STATS,
                                  cache_dir=tmp_path, batch_size=2, progress=False)
    logmels = cached_log_mels(wav_files, config, cache_dir=tmp_path, progress=False)
    encoder.eval()
    for t, f in zip(trunk, logmels, strict=True):
        assert t.shape == (1, 512, f.shape[-1] // 8)  # time last, like log-mels
        with torch.no_grad():
            alone = encoder.forward_trunk(apply_norm_stats(f, STATS)[None])[0]  # (T/8, 512)
        torch.testing.assert_close(t[0].T, alone, atol=1e-5, rtol=1e-5)


def test_warm_run_does_not_encode_and_keys_follow_weights_and_stats(
        wav_files, tmp_path: Path, encoder: BYOLSEncoder, monkeypatch) -> None:
    config, root = mel_preset("byols"), tmp_path / "cache"
    first = cached_embeddings(wav_files, encoder, config, stats=STATS, cache_dir=root,
                              progress=False)
    calls = []
    original = BYOLSEncoder.forward

    def counting(self, x, lengths=None):
        calls.append(x.shape[0])
        return original(self, x, lengths)

    monkeypatch.setattr(BYOLSEncoder, "forward", counting)
    again = cached_embeddings(wav_files, encoder, config, stats=STATS, cache_dir=root,
                              progress=False)
    torch.testing.assert_close(again, first)
    assert calls == []
    cached_embeddings(wav_files, encoder, config, stats=NormStats((0.0,), (1.0,)),
                      cache_dir=root, progress=False)
    assert sum(calls) == len(wav_files)  # other statistics: recomputed
    with torch.no_grad():
        encoder.fc[3].bias.add_(1.0)
    changed = cached_embeddings(wav_files, encoder, config, stats=STATS, cache_dir=root,
                                progress=False)
    assert sum(calls) == 2 * len(wav_files)  # other weights: recomputed
    assert not torch.allclose(changed, first)


def test_fingerprint_tracks_weights(encoder: BYOLSEncoder) -> None:
    before = module_fingerprint(encoder)
    assert module_fingerprint(encoder) == before
    with torch.no_grad():
        encoder.features[0].weight[0, 0, 0, 0] += 1e-3
    assert module_fingerprint(encoder) != before
    assert embed_module.module_fingerprint(BYOLSEncoder(d=16)) != before
