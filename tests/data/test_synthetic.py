"""The synthetic corpus: deterministic, well-formed, emotional, and shifted across languages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from serlib.data import METADATA_COLUMNS, generate_corpus, speaker_split, synthetic_config
from serlib.data.synthetic import (
    EMOTION_SPECS,
    LANGUAGE_SPECS,
    SyntheticConfig,
    make_speakers,
    synthesize_utterance,
)
from serlib.errors import ConfigError

TINY = SyntheticConfig(speakers_per_language=4, utterances_per_emotion=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return generate_corpus(tmp_path_factory.mktemp("syn"), TINY)


def _digest(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def test_metadata_has_the_shared_columns_and_counts(tiny: pd.DataFrame) -> None:
    assert tuple(tiny.columns) == METADATA_COLUMNS
    assert len(tiny) == 2 * 4 * 5 * 2
    assert set(tiny.emotion) == {"anger", "fear", "happiness", "neutral", "sadness"}
    assert tiny.groupby("language").speaker.nunique().min() >= 4
    assert set(tiny.gender) == {"female", "male"}
    assert (tiny.sample_rate >= 16000).all()
    for row in tiny.itertuples():
        info = sf.info(row.path)
        assert info.samplerate == row.sample_rate and info.channels == 1
        assert info.frames / info.samplerate == pytest.approx(row.duration)


def test_generation_is_deterministic_and_reused(tiny: pd.DataFrame, tmp_path: Path) -> None:
    again = generate_corpus(tmp_path, TINY)
    assert _digest(again.path) == _digest(tiny.path)
    mtimes = [Path(p).stat().st_mtime_ns for p in again.path]
    reused = generate_corpus(tmp_path, TINY)  # same config: nothing is written again
    assert [Path(p).stat().st_mtime_ns for p in reused.path] == mtimes


def test_a_different_config_gets_a_different_folder(tmp_path: Path) -> None:
    a = generate_corpus(tmp_path, TINY)
    b = generate_corpus(tmp_path, SyntheticConfig(speakers_per_language=4,
                                                  utterances_per_emotion=2, seed=1))
    assert Path(a.path[0]).parents[2] != Path(b.path[0]).parents[2]
    assert _digest(a.path[:5]) != _digest(b.path[:5])


def test_an_incomplete_corpus_is_regenerated(tmp_path: Path) -> None:
    table = generate_corpus(tmp_path, TINY)
    Path(table.path[3]).unlink()
    again = generate_corpus(tmp_path, TINY)
    assert Path(again.path[3]).exists()


@pytest.mark.parametrize("bad", [
    {"languages": ("klingon",)}, {"emotions": ("boredom",)}, {"speakers_per_language": 3},
    {"sample_rate": 8000}, {"utterances_per_emotion": 0}, {"syllables": (5, 2)},
])
def test_bad_configs_are_refused(bad: dict) -> None:
    with pytest.raises(ConfigError):
        SyntheticConfig(**bad)


def test_profiles() -> None:
    assert synthetic_config("smoke") == SyntheticConfig()
    assert len(synthetic_config("full").languages) == 3
    assert synthetic_config("smoke", seed=3).seed == 3
    with pytest.raises(ConfigError, match="unknown profile"):
        synthetic_config("huge")


def _utterances(emotion: str, language: str = "lang_a", n: int = 6) -> list[np.ndarray]:
    speaker = make_speakers(language, 2, np.random.default_rng(0))[0]
    return [synthesize_utterance(speaker, emotion, np.random.default_rng(k), n_syllables=6)
            for k in range(n)]


def test_emotions_move_energy_and_rate_in_the_documented_directions() -> None:
    def rms(waves):
        return np.mean([np.sqrt(np.mean(w**2)) for w in waves])

    def duration(waves):
        return np.mean([len(w) for w in waves])

    anger, sadness, neutral = (_utterances(e) for e in ("anger", "sadness", "neutral"))
    assert rms(anger) > 2 * rms(neutral) > 2 * rms(sadness)  # +7 dB / -7 dB
    assert duration(sadness) > duration(neutral) > duration(anger)  # slower / faster


def test_languages_differ_in_their_channel() -> None:
    def centroid(waves):
        spectra = [np.abs(np.fft.rfft(w, 16000)) ** 2 for w in waves]
        freqs = np.fft.rfftfreq(16000, 1 / 16000)
        return np.mean([np.sum(freqs * s) / np.sum(s) for s in spectra])

    assert LANGUAGE_SPECS["lang_b"].band[1] < LANGUAGE_SPECS["lang_a"].band[1]
    assert centroid(_utterances("neutral", "lang_b")) < centroid(_utterances("neutral"))


def test_specs_cover_the_agarla5_emotions() -> None:
    assert set(EMOTION_SPECS) == {"anger", "fear", "happiness", "neutral", "sadness"}


@pytest.mark.slow
def test_a_small_model_shows_the_cross_lingual_gap(tmp_path: Path) -> None:
    """The smoke recipe of book/06_cross_lingual_gap.md: high in-language UAR, clearly lower
    UAR on the other language's test speakers."""
    from serlib.adapt import supervised_step
    from serlib.evaluate import compute_metrics, uar_selection
    from serlib.features import extract_log_mels, make_loader, mel_preset
    from serlib.features.datasets import split_datasets
    from serlib.models import SmallCNN
    from serlib.train import TrainConfig, fit, predict, seed_everything

    torch.set_num_threads(2)
    emotions = ["anger", "fear", "happiness", "neutral", "sadness"]
    corpus = generate_corpus(tmp_path, synthetic_config("smoke"))
    mel = mel_preset("agarla")
    sets = {}
    for lang in ("lang_a", "lang_b"):
        table = speaker_split(corpus[corpus.language == lang], seed=0)
        sets[lang] = split_datasets(table, extract_log_mels(table, mel, progress=False),
                                    labels=emotions)
    seed_everything(0)
    model = SmallCNN(num_classes=5)
    fit(model, supervised_step,
        {"source": make_loader(sets["lang_a"]["train"], batch_size=16, shuffle=True)},
        config=TrainConfig(num_epochs=25, lr=1e-3, seed=0),
        selection=uar_selection(sets["lang_a"]["dev"], "source_dev"), progress=False)
    uar = {}
    for lang in ("lang_a", "lang_b"):
        pred = predict(model, make_loader(sets[lang]["test"], batch_size=64, shuffle=False))
        uar[lang] = compute_metrics(pred.y.numpy(), pred.y_pred, labels=list(range(5)))["uar"]
    assert uar["lang_a"] >= 0.85, uar
    assert uar["lang_b"] <= uar["lang_a"] - 0.15, uar
