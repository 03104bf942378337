"""BYOLSEmbedder and the byols_embed backbone: pooling and frame correction against NumPy,
the bundle's front-end against the training path, the classifier's linear projection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serlib.models import BYOLSEmbedder, BYOLSEncoder, EmbeddingClassifier, mean_std_pool
from serlib.models.byols_embedder import frame_affine


def test_mean_std_pool_matches_numpy_over_valid_frames() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 7, 3)).astype(np.float32)
    lengths = np.array([7, 4])
    out = mean_std_pool(torch.from_numpy(z), torch.from_numpy(lengths)).numpy()
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(out[b, :3], z[b, :n].mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out[b, 3:], z[b, :n].std(0), rtol=1e-4, atol=1e-6)


def test_frame_affine_maps_group_statistics_onto_the_source() -> None:
    rng = np.random.default_rng(1)
    h = torch.from_numpy(rng.normal(3.0, 2.0, size=(500, 4)).astype(np.float32))
    src_mean, src_std = torch.tensor([0.0, 1.0, -1.0, 5.0]), torch.tensor([1.0, 2.0, 0.5, 3.0])
    z = frame_affine(h, h.mean(0), h.std(0, unbiased=False), src_mean, src_std)
    np.testing.assert_allclose(z.mean(0).numpy(), src_mean.numpy(), atol=1e-4)
    np.testing.assert_allclose(z.std(0, unbiased=False).numpy(), src_std.numpy(), rtol=1e-2)


def test_embedder_forward_equals_neck_on_trunk_frames_and_is_frozen() -> None:
    torch.manual_seed(0)
    embedder = BYOLSEmbedder(BYOLSEncoder(d=16))
    c = embedder.encoder.trunk_dim
    embedder.set_statistics(torch.full((c,), 0.1), torch.full((c,), 2.0), torch.zeros(c),
                            torch.ones(c))
    x = torch.randn(1, 1, 64, 80)
    e = embedder(x)  # (1, 1, 32, 1)
    assert e.shape == (1, 1, 2 * 16, 1)
    h = embedder.encoder.forward_trunk(x)[0]  # (10, trunk_dim)
    f = embedder.neck(h, embedder.frame_mean, embedder.frame_std)
    torch.testing.assert_close(e[0, 0, :, 0], mean_std_pool(f[None])[0])
    assert not any(p.requires_grad for p in embedder.parameters())
    embedder.train()
    assert not embedder.encoder.training


def test_linear_projection_has_no_relu_and_refuses_unknown_activations() -> None:
    linear = EmbeddingClassifier(8, 3, hidden=4, activation="none")
    assert not any(isinstance(m, torch.nn.ReLU) for m in linear.modules())
    relu = EmbeddingClassifier(8, 3, hidden=4)
    assert any(isinstance(m, torch.nn.ReLU) for m in relu.modules())
    with pytest.raises(ValueError, match="activation"):
        EmbeddingClassifier(8, 3, activation="tanh")


def test_backbone_bundle_front_reproduces_its_domain_embeddings(tmp_path, monkeypatch) -> None:
    """The exported front-end (log-mels in) gives what the backbone's domain-level path
    gives on cached trunk frames: the bundle and the run see the same embeddings."""
    import serlib.experiments.backbones.byols_embed as module
    from serlib.data import generate_corpus, synthetic_config
    from serlib.experiments.backbones.byols_embed import ByolsEmbedBackbone
    from serlib.experiments.config import ExperimentConfig
    from serlib.features import LogMel

    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    encoder = BYOLSEncoder(d=512).eval()  # random weights stand in for the checkpoint
    monkeypatch.setattr(module, "load_byols_encoder", lambda weights, progress: encoder)
    corpus = generate_corpus(tmp_path / "corpus", synthetic_config("smoke"))
    lang_a = corpus[corpus.language == "lang_a"]
    speakers = sorted(lang_a["speaker"].unique())[:4]
    table = lang_a[lang_a["speaker"].isin(speakers)].groupby("speaker").head(4)
    table = table.assign(split=["train" if s in speakers[:2] else "test"
                                for s in table["speaker"]])
    config = ExperimentConfig(name="t", tasks=["lang_a -> lang_b"], methods=["zero_shot"],
                              data="synthetic", backbone="byols_embed",
                              normalize="speaker")
    backbone = ByolsEmbedBackbone(config, table)
    target = table[table["split"] == "test"]
    expected = backbone.bundle_embed(target)  # (8, 1024)
    front, spec = backbone.front(target)
    assert spec["architecture"] == "BYOLSEmbedder"
    front_end = LogMel(backbone.mel_config)
    from serlib.data import load_audio
    for i, path in enumerate(target["path"]):
        wave = torch.from_numpy(load_audio(path, sample_rate=backbone.mel_config.sample_rate))
        got = front(front_end(wave[None]))[0, 0, :, 0]
        torch.testing.assert_close(got, expected[i], rtol=1e-3, atol=1e-3)
    speaker = backbone.embed(target, progress=False)
    assert speaker.shape == expected.shape and torch.isfinite(speaker).all()
    assert not torch.allclose(speaker, expected)  # per-speaker statistics differ
