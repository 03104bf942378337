"""Tests of serlib.evaluate.report."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import classification_report

from serlib.evaluate import classification_report_df, confusion_matrix_df

LABELS = ["anger", "happiness", "sadness", "fear"]  # fear never occurs
Y_TRUE = ["anger", "anger", "happiness", "happiness", "sadness"]
Y_PRED = ["anger", "happiness", "happiness", "happiness", "anger"]


def test_classification_report_by_hand_and_sklearn():
    df = classification_report_df(Y_TRUE, Y_PRED, labels=LABELS)
    assert list(df.index) == LABELS
    assert list(df.columns) == ["precision", "recall", "f1", "support"]
    assert df.loc["happiness", "precision"] == pytest.approx(2 / 3)
    assert df.loc["happiness", "recall"] == 1.0
    assert df.loc["happiness", "f1"] == pytest.approx(0.8)
    assert df.loc["fear"].tolist() == [0.0, 0.0, 0.0, 0]
    assert df["support"].tolist() == [2, 2, 1, 0]
    ref = classification_report(Y_TRUE, Y_PRED, labels=LABELS, output_dict=True, zero_division=0)
    for label in LABELS:
        assert df.loc[label, "f1"] == pytest.approx(ref[label]["f1-score"])


def test_confusion_matrix_counts_and_normalisation():
    counts = confusion_matrix_df(Y_TRUE, Y_PRED, labels=LABELS, normalize=None)
    assert counts.index.name == "true" and counts.columns.name == "predicted"
    assert counts.loc["anger"].tolist() == [1, 1, 0, 0]
    assert counts.to_numpy().sum() == 5
    rows = confusion_matrix_df(Y_TRUE, Y_PRED, labels=LABELS)
    assert rows.loc["anger"].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert rows.loc["fear"].tolist() == [0.0, 0.0, 0.0, 0.0]  # no samples: zeros, not NaN
    assert not rows.isna().any().any()
    np.testing.assert_allclose(rows.sum(axis=1).to_numpy(), [1, 1, 1, 0])
    cols = confusion_matrix_df(Y_TRUE, Y_PRED, labels=LABELS, normalize="pred")
    np.testing.assert_allclose(cols.sum(axis=0).to_numpy(), [1, 1, 0, 0])
    with pytest.raises(ValueError, match="normalize='all'"):
        confusion_matrix_df(Y_TRUE, Y_PRED, labels=LABELS, normalize="all")
