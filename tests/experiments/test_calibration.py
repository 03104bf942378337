"""calibrated_bundle: a bundle's statistics re-estimated on unlabelled recordings."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from serlib.experiments.bundles import ModelBundle
from serlib.experiments.calibration import MIN_RECORDINGS, calibrated_bundle
from serlib.experiments.recordings import predict_recordings
from serlib.features import mel_preset
from serlib.models import (
    BYOLSEmbedder,
    BYOLSEncoder,
    EmbeddingClassifier,
    FrozenFrontClassifier,
    SmallCNN,
)

LABELS = ("anger", "fear", "happiness", "neutral", "sadness")


def _bundle(model: torch.nn.Module) -> ModelBundle:
    return ModelBundle(model=model.eval(), labels=LABELS,
                       mel_config=mel_preset("byols", normalize="utterance"), norm_stats=None,
                       model_spec={})


def _recordings(tmp_path, n: int) -> list:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        t = np.arange(16000) / 16000
        wave = 0.3 * np.sin(2 * np.pi * (150 + 20 * i) * t) + 0.05 * rng.normal(size=t.size)
        path = tmp_path / f"rec{i:02d}.wav"
        sf.write(path, wave.astype(np.float32), 16000)
        paths.append(path)
    return paths


def test_frame_and_embedding_statistics_come_from_the_recordings(tmp_path) -> None:
    torch.manual_seed(0)
    embedder = BYOLSEmbedder(BYOLSEncoder(d=16))
    bundle = _bundle(FrozenFrontClassifier(embedder, EmbeddingClassifier(32, 5, hidden=8)))
    paths = _recordings(tmp_path, MIN_RECORDINGS)
    calibrated = calibrated_bundle(bundle, paths)
    front, model = calibrated.model.front, calibrated.model
    assert not torch.equal(front.frame_mean, embedder.frame_mean)
    assert torch.equal(bundle.model.mean, torch.zeros(32))  # the original is unchanged
    probs = predict_recordings(bundle, paths, calibrate=True)[list(LABELS)].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # the recordings' embeddings, standardised with their own statistics, have mean 0
    from serlib.data import load_audio
    from serlib.features import LogMel

    mel = LogMel(bundle.mel_config)
    with torch.no_grad():
        e = torch.cat([front(mel(torch.from_numpy(load_audio(p, sample_rate=16000))[None]))
                       [:, 0, :, 0] for p in paths])
    z = (e - model.mean) / model.std
    torch.testing.assert_close(z.mean(0), torch.zeros(32), atol=1e-4, rtol=0)
    assert calibrated.metadata["calibrated_on"] == MIN_RECORDINGS


def test_too_few_recordings_or_an_end_to_end_model_are_refused(tmp_path) -> None:
    frozen = _bundle(FrozenFrontClassifier(BYOLSEmbedder(BYOLSEncoder(d=16)),
                                           EmbeddingClassifier(32, 5, hidden=8)))
    with pytest.raises(ValueError, match="at least"):
        calibrated_bundle(frozen, _recordings(tmp_path, 3))
    with pytest.raises(ValueError, match="end to end"):
        calibrated_bundle(_bundle(SmallCNN(num_classes=5)), _recordings(tmp_path, 10))
