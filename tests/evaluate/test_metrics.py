"""Tests of serlib.evaluate.metrics and serlib.evaluate.encoding."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

from serlib.errors import LabelSetError
from serlib.evaluate import (
    chance_levels,
    compute_metrics,
    encode_labels,
    metrics_from_confusion,
)

Y_TRUE = [0, 0, 1, 1, 2]
Y_PRED = [0, 1, 1, 1, 0]


def test_hand_computed_case():
    m = compute_metrics(Y_TRUE, Y_PRED, labels=[0, 1, 2])
    assert m["wa"] == pytest.approx(3 / 5)
    assert m["uar"] == pytest.approx((1 / 2 + 2 / 2 + 0 / 1) / 3)
    # precision: c0 1/2, c1 2/3, c2 0; recall: 1/2, 1, 0 -> F1: 0.5, 0.8, 0
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert m["n"] == 5


def test_string_labels_give_the_same_numbers():
    names = ["anger", "happiness", "sadness"]
    m = compute_metrics([names[i] for i in Y_TRUE], [names[i] for i in Y_PRED], labels=names)
    assert m == compute_metrics(Y_TRUE, Y_PRED, labels=[0, 1, 2])


def test_agrees_with_sklearn_on_random_data():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 5, 200)
    p = np.where(rng.random(200) < 0.6, t, rng.integers(0, 5, 200))
    m = compute_metrics(t, p, labels=range(5))
    assert m["wa"] == pytest.approx(accuracy_score(t, p))
    assert m["uar"] == pytest.approx(balanced_accuracy_score(t, p))
    assert m["macro_f1"] == pytest.approx(f1_score(t, p, average="macro"))


def test_absent_classes_are_left_out_of_uar_and_f1():
    # class 3 is in labels but in neither y_true nor y_pred
    m4 = compute_metrics(Y_TRUE, Y_PRED, labels=[0, 1, 2, 3])
    assert m4 == compute_metrics(Y_TRUE, Y_PRED, labels=[0, 1, 2])
    # class 2 predicted but absent from y_true: no recall (UAR over 0, 1), F1 = 0 counts
    t, p = [0, 0, 1, 1], [0, 2, 1, 1]
    m = compute_metrics(t, p, labels=[0, 1, 2])
    assert m["uar"] == pytest.approx((0.5 + 1.0) / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that y_pred has a class not in y_true
        assert m["uar"] == pytest.approx(balanced_accuracy_score(t, p))
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1.0 + 0.0) / 3)
    assert m["macro_f1"] == pytest.approx(f1_score(t, p, average="macro"))


def test_vectorised_metrics_agree_with_compute_metrics():
    rng = np.random.default_rng(1)
    for _ in range(20):
        t = rng.integers(0, 4, 15)
        p = rng.integers(0, 4, 15)
        cm = confusion_matrix(t, p, labels=range(5))  # class 4 never occurs
        fast = metrics_from_confusion(cm)
        slow = compute_metrics(t, p, labels=range(5))
        for key in ("wa", "uar", "macro_f1"):
            assert float(fast[key]) == pytest.approx(slow[key])
    stacked = metrics_from_confusion(np.stack([cm, cm]))
    assert stacked["uar"].shape == (2,)


def test_chance_levels():
    c = chance_levels([0, 0, 0, 1, 2, 2], labels=[0, 1, 2])
    assert c == {"wa": pytest.approx(3 / 6), "uar": pytest.approx(1 / 3)}
    # a class absent from y_true does not count in C (UAR averages over present classes)
    assert chance_levels(["a", "a", "b"], labels=["a", "b", "c"])["uar"] == pytest.approx(1 / 2)
    # the majority predictor reaches exactly these numbers
    t = [0, 0, 0, 1, 2, 2]
    m = compute_metrics(t, [0] * 6, labels=[0, 1, 2])
    assert m["wa"] == pytest.approx(0.5) and m["uar"] == pytest.approx(1 / 3)


def test_encode_labels_and_errors():
    assert encode_labels(np.array(["b", "a"]), ["a", "b"]).tolist() == [1, 0]
    assert encode_labels(np.array([2, 0], dtype=np.int64), [0, 1, 2]).tolist() == [2, 0]
    with pytest.raises(LabelSetError, match="'fear'"):
        compute_metrics(["fear"], ["anger"], labels=["anger"])
    with pytest.raises(LabelSetError, match="duplicates"):
        encode_labels([0], [0, 0])
    with pytest.raises(LabelSetError, match="empty"):
        encode_labels([0], [])
    with pytest.raises(LabelSetError):
        compute_metrics([0, 1], [0, 1], labels=["0", "1"])  # ids vs names
    with pytest.raises(ValueError, match="utterances"):
        compute_metrics([0, 1], [0], labels=[0, 1])
    with pytest.raises(ValueError, match="empty"):
        compute_metrics([], [], labels=[0, 1])


def test_agrees_with_sklearn_on_many_small_random_cases():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, c = int(rng.integers(1, 30)), int(rng.integers(2, 7))
        t, p = rng.integers(0, c, n), rng.integers(0, c, n)
        m = compute_metrics(t, p, labels=range(c))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert m["wa"] == pytest.approx(accuracy_score(t, p), abs=1e-12)
            assert m["uar"] == pytest.approx(balanced_accuracy_score(t, p), abs=1e-12)
            assert m["macro_f1"] == pytest.approx(f1_score(t, p, average="macro"), abs=1e-12)
