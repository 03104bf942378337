"""Listening: players only where the licence allows, instructions otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from serlib.train.inference import Predictions
from serlib.viz import listening


@pytest.mark.parametrize("domain, allowed", [
    ("lang_b", True),      # synthetic: ours
    ("ravdess", True),     # CC BY-NC-SA 4.0
    ("tess", False),       # CC BY-NC-ND 4.0: no adaptations (a cut clip is one)
    ("emodb", False),      # free for research use, not for republication
    ("emovo", False),
])
def test_may_publish_audio_follows_the_registry_licence(domain: str, allowed: bool) -> None:
    assert listening.may_publish_audio(domain) is allowed


def _predictions(probs: list[list[float]], index: list[int]) -> Predictions:
    logits = torch.log(torch.tensor(probs))
    return Predictions(logits=logits, y=torch.zeros(len(probs), dtype=torch.long), feats=None,
                       index=torch.tensor(index))


def test_prediction_rows_map_predictions_back_to_the_table() -> None:
    table = pd.DataFrame({"path": [f"{i}.wav" for i in range(5)],
                          "speaker": ["a", "a", "b", "b", "b"],
                          "emotion": ["anger", "sadness", "anger", "anger", "sadness"],
                          "split": ["train", "test", "test", "train", "test"]})
    rows = table["split"] == "test"  # positions 1, 2, 4
    pred = _predictions([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], index=[0, 1, 2])
    out = listening.prediction_rows(table, rows, pred, ["anger", "sadness"])
    assert out["path"].tolist() == ["1.wav", "2.wav", "4.wav"]
    assert out["predicted"].tolist() == ["anger", "sadness", "sadness"]
    assert out["correct"].tolist() == [False, False, True]
    assert np.allclose(out["confidence"], [0.9, 0.8, 0.7])


def test_contrast_pair_is_one_speaker_wrong_then_right_same_emotion_first() -> None:
    frame = pd.DataFrame({
        "path": ["w1", "r1", "w2", "r2", "r3"], "speaker": ["a", "a", "b", "b", "b"],
        "emotion": ["anger", "fear", "anger", "fear", "anger"],
        "predicted": ["fear", "fear", "fear", "fear", "anger"],
        "confidence": [0.9, 0.8, 0.6, 0.7, 0.8], "correct": [False, True, False, True, True]})
    pair = listening.contrast_pair(frame)
    assert pair["path"].tolist() == ["w2", "r3"]  # speaker b has a right anger; a has none
    assert listening.contrast_pair(frame[frame["correct"]]) is None


def test_listen_embeds_synthetic_audio_and_only_explains_emodb(tmp_path) -> None:
    path = tmp_path / "clip.wav"
    sf.write(path, 0.1 * np.sin(np.linspace(0, 2000, 16000)).astype("float32"), 16000)
    clips = pd.DataFrame({"path": [str(path)]})
    embedded = listening.listen(clips, "lang_b", captions=["a clip"]).data
    assert "<audio" in embedded and "a clip" in embedded
    withheld = listening.listen(clips, "emodb", captions=["a clip"]).data
    assert "<audio" not in withheld and "base64" not in withheld
    assert "serlib data fetch emodb" in withheld and "Audio(" in withheld
