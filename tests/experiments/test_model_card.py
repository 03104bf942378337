"""Model cards: the facts of a bundle and its measured scores, as Markdown."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from torch import nn

from serlib.errors import NonFiniteError
from serlib.experiments import ModelBundle
from serlib.experiments.model_card import DEFAULT_LIMITATIONS, model_card, save_model_card
from serlib.features import mel_preset


def _bundle(**meta) -> ModelBundle:
    metadata = {"method": "zero_shot", "data": "corpora", "backbone": "byols_embed",
                "profile": "cpu", "seed": 0, "selected_on": "source_dev", "best_epoch": 7,
                "source_corpora": ["ravdess"], "source_languages": ["English"],
                "target_corpora": ["emodb"], "target_languages": ["German"],
                "label_set": "agarla5", "n_labels": 0, "source_split_id": "s1",
                "target_split_id": "t1", **meta}
    return ModelBundle(model=nn.Linear(2, 3), labels=("anger", "neutral", "sadness"),
                       mel_config=mel_preset("agarla"), norm_stats=None,
                       model_spec={"architecture": "FrozenFrontClassifier"},
                       metadata=metadata, serlib_version="0.1", path="/x/zero_shot-ab12.pt")


def test_card_holds_the_facts_and_the_scores() -> None:
    scores = pd.DataFrame({"evaluated on": ["EmoDB (German)"], "UAR (%)": ["74.0 ± 1.0"],
                           "chance (%)": [20.0]})
    card = model_card(_bundle(), scores, notes=["EmoDB read from $SERLIB_DATA"])
    assert card.startswith("# Model card: zero_shot-ab12\n")
    for heading in ("## Model", "## Training data", "## Measured scores", "## Intended use",
                    "## Limitations"):
        assert f"\n{heading}\n" in card
    assert "ravdess" in card and "English" in card and "German" in card
    assert "anger, neutral, sadness (the model's output order)" in card
    assert "| EmoDB (German) | 74.0 ± 1.0" in card and "20.0" in card
    assert "EmoDB read from $SERLIB_DATA" in card
    assert all(item in card for item in DEFAULT_LIMITATIONS)


def test_synthetic_and_unmeasured_models_say_so() -> None:
    card = model_card(_bundle(data="synthetic", source_corpora=None), None, title="T")
    assert card.startswith("# T\n")
    assert "synthetic corpus: predictions on real speech mean nothing" in card
    assert "None measured" in card and "source corpora**: unknown" in card


def test_non_finite_scores_are_refused() -> None:
    with pytest.raises(NonFiniteError, match="'uar'"):
        model_card(_bundle(), pd.DataFrame({"uar": [0.5, math.nan]}))


def test_saved_beside_the_bundle(tmp_path) -> None:
    path = save_model_card(tmp_path / "model.pt", "# card\n")
    assert path == tmp_path / "model.md" and path.read_text() == "# card\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.md"]
