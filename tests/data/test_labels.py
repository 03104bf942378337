"""Label sets drop what they do not hold; merges happen only when named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serlib.data import (
    LABEL_SETS,
    VOCABULARY,
    apply_label_set,
    encode_labels,
    label_set_classes,
    mapping_counts,
)
from serlib.errors import LabelSetError


def _table(counts: dict[str, int]) -> pd.DataFrame:
    emotions = [e for e, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"emotion": emotions, "emotion_raw": emotions,
                         "speaker": [f"s{i % 3}" for i in range(len(emotions))]})


RAVDESS_LIKE = {"neutral": 96, "calm": 192, "happiness": 192, "sadness": 192, "anger": 192,
                "fear": 192, "disgust": 192, "surprise": 192}


def test_named_sets_are_subsets_of_the_vocabulary():
    assert LABEL_SETS["agarla5"] == ("anger", "fear", "happiness", "neutral", "sadness")
    assert set(LABEL_SETS["shared4"]) < set(LABEL_SETS["shared6"])
    assert set(LABEL_SETS["shared6"]) == set(LABEL_SETS["shared4"]) | {"disgust", "fear"}
    assert len(LABEL_SETS["baklouti7"]) == 7
    for classes in LABEL_SETS.values():
        assert set(classes) <= set(VOCABULARY)


def test_utterances_outside_the_set_are_dropped_not_merged():
    table = _table(RAVDESS_LIKE)
    out = apply_label_set(table, "agarla5")
    assert len(out) == 96 + 4 * 192
    assert out["emotion"].value_counts()["neutral"] == 96  # calm was not folded into neutral


def test_merges_are_explicit_and_visible_in_emotion_raw():
    iemocap = _table({"happiness": 5, "excitement": 7, "anger": 3, "frustration": 9})
    plain = apply_label_set(iemocap, "shared4")
    assert plain["emotion"].value_counts()["happiness"] == 5
    merged = apply_label_set(iemocap, "shared4", merges=["excitement_as_happiness"])
    assert merged["emotion"].value_counts()["happiness"] == 12
    assert (merged.loc[merged["emotion_raw"] == "excitement", "emotion"] == "happiness").all()


def test_baklouti7_on_ravdess_needs_the_named_calm_merge():
    table = _table(RAVDESS_LIKE)
    assert apply_label_set(table, "baklouti7")["emotion"].nunique() == 6
    merged = apply_label_set(table, "baklouti7", merges=("calm_as_boredom",))
    assert merged["emotion"].nunique() == 7
    assert len(merged) == 1248  # Baklouti et al.'s RAVDESS size: everything but surprise


def test_mapping_counts_reports_before_after_and_fate(capsys):
    table = _table({"excitement": 2, "happiness": 3, "other": 1, "anger": 4})
    counts = mapping_counts(table, "shared4", merges=["excitement_as_happiness"])
    assert counts.loc["happiness"].tolist() == [3, 5, "kept"]
    assert counts.loc["excitement"].tolist() == [2, 0, "merged into happiness"]
    assert counts.loc["other"].tolist() == [1, 0, "dropped"]
    apply_label_set(table, "shared4", verbose=True)
    assert "dropped" in capsys.readouterr().out


def test_encode_labels_in_set_order():
    np.testing.assert_array_equal(encode_labels(["sadness", "anger", "neutral"], "agarla5"),
                                  [4, 0, 3])
    with pytest.raises(LabelSetError, match="apply_label_set"):
        encode_labels(["boredom"], "agarla5")


def test_bad_sets_and_merges_raise():
    with pytest.raises(LabelSetError, match="agarla5"):
        label_set_classes("agarla6")
    with pytest.raises(LabelSetError):
        label_set_classes(["anger", "rage"])
    assert label_set_classes(["anger", "calm"]) == ("anger", "calm")
    with pytest.raises(LabelSetError, match="merge"):
        apply_label_set(_table({"calm": 1}), "shared4", merges=["calm_as_sadness"])
    with pytest.raises(LabelSetError, match="two classes"):
        apply_label_set(_table({"calm": 1}), "baklouti7",
                        merges=["calm_as_neutral", "calm_as_boredom"])
