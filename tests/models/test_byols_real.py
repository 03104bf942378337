"""The real BYOL-S d512 checkpoint gives EmoDB embeddings that carry emotion (skips without
../shared): finite, not constant, and a logistic regression on a speaker-independent split
beats chance (1/7) by a clear margin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from serlib.features import cached_embeddings, cached_log_mels, compute_norm_stats, mel_preset
from serlib.models import load_byols_encoder

pytestmark = pytest.mark.shared

TEST_SPEAKERS = ("13", "14", "15", "16")  # EmoDB speakers 03-12 train, 13-16 test


def test_d512_embeddings_beat_chance_on_emodb(emodb_dir: Path, byols_checkpoint: Path,
                                              tmp_path: Path) -> None:
    files = sorted((emodb_dir / "wav").glob("*.wav"))
    rng = np.random.default_rng(0)
    files = [files[i] for i in sorted(rng.choice(len(files), 96, replace=False))]
    speakers = np.array([f.name[:2] for f in files])
    emotions = np.array([f.name[5] for f in files])  # W L E A F T N
    test = np.isin(speakers, TEST_SPEAKERS)
    config = mel_preset("byols")
    logmels = cached_log_mels(files, config, cache_dir=tmp_path, progress=False)
    stats = compute_norm_stats([f for f, t in zip(logmels, test, strict=True) if not t])
    encoder = load_byols_encoder(byols_checkpoint)
    emb = cached_embeddings(files, encoder, config, stats=stats, cache_dir=tmp_path,
                            progress=False).numpy()
    assert emb.shape == (96, 512) and np.isfinite(emb).all()
    assert emb.std(axis=0).max() > 0.1 and np.abs(np.diff(emb, axis=0)).max() > 0.1

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    clf.fit(emb[~test], emotions[~test])
    uar = balanced_accuracy_score(emotions[test], clf.predict(emb[test]))
    chance = 1 / len(set(emotions))
    assert uar > chance + 0.25, f"UAR {uar:.3f} vs chance {chance:.3f}"
    assert torch.from_numpy(emb).isfinite().all()
