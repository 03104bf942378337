"""The exercise checks: a correct function passes, each classic mistake is named in words,
an untouched stub is reported as not written (and does not raise), a missing one as missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from serlib.book.checks import CHECKS, ExerciseCheckFailed, check, evaluate
from serlib.book.grading import grade_namespace


# --- correct implementations -------------------------------------------------------------------
def split_ok(table, seed):
    speakers = np.random.default_rng(seed).permutation(sorted(table["speaker"].unique()))
    part = {s: "train" if i < 6 else "dev" if i < 8 else "test" for i, s in enumerate(speakers)}
    return table.assign(split=table["speaker"].map(part))


def frames_ok(n_samples, hop_length):
    return 1 + n_samples // hop_length


def masked_mean_ok(frames, lengths):
    valid = torch.arange(frames.shape[1])[None, :] < lengths[:, None]
    return (frames * valid[..., None]).sum(1) / lengths[:, None].to(frames.dtype)


def uar_ok(confusion):
    m = np.asarray(confusion, dtype=float)
    return float((np.diag(m) / m.sum(axis=1)).mean())


def gap_ok(in_language, zero_shot, method):
    gap = in_language - zero_shot
    return (method - zero_shot) / gap if gap else float("nan")


def mmd_ok(feats_s, feats_t, bandwidth):
    def k(a, b):
        return torch.exp(-torch.cdist(a, b) ** 2 / (2 * bandwidth ** 2))
    return k(feats_s, feats_s).mean() + k(feats_t, feats_t).mean() - 2 * k(feats_s, feats_t).mean()


def pseudo_ok(logits, threshold):
    confidence, labels = torch.softmax(logits, dim=1).max(dim=1)
    return labels, confidence >= threshold


def standardise_ok(feats, speakers):
    out = np.zeros_like(feats, dtype=float)
    for s in np.unique(speakers):
        rows = speakers == s
        std = feats[rows].std(axis=0)
        out[rows] = (feats[rows] - feats[rows].mean(axis=0)) / np.where(std > 0, std, 1.0)
    return out


def paired_ok(uar_a, uar_b):
    d = np.asarray(uar_a) - np.asarray(uar_b)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean() - half, d.mean() + half


def per_group_ok(y_true, y_pred, groups):
    return {str(g): float(np.mean([(y_pred[(groups == g) & (y_true == c)] == c).mean()
                                   for c in np.unique(y_true[groups == g])]))
            for g in np.unique(groups)}


GOOD = {"ex-02-4": split_ok, "ex-03-4": frames_ok, "ex-04-4": masked_mean_ok,
        "ex-05-5": uar_ok, "ex-06-4": gap_ok, "ex-07-4": mmd_ok, "ex-08-4": pseudo_ok,
        "ex-09-4": standardise_ok, "ex-10-4": paired_ok, "ex-11-4": per_group_ok}


# --- the classic mistakes, and the words the check must use -----------------------------------
def _unbiased_mmd(feats_s, feats_t, bandwidth):
    def k(a, b):
        return torch.exp(-torch.cdist(a, b) ** 2 / (2 * bandwidth ** 2))
    n, m = len(feats_s), len(feats_t)
    kss, ktt = k(feats_s, feats_s), k(feats_t, feats_t)
    return ((kss.sum() - kss.trace()) / (n * (n - 1)) + (ktt.sum() - ktt.trace()) / (m * (m - 1))
            - 2 * k(feats_s, feats_t).mean())


BAD = [
    ("ex-02-4", lambda table, seed: table.assign(
        split=np.random.default_rng(seed).choice(["train", "dev", "test"], len(table))),
     "is in"),  # utterances split at random: a speaker in two splits, named
    ("ex-02-4", lambda table, seed: table, "no column 'split'"),
    ("ex-03-4", lambda n, hop: n // hop, "1 + ⌊n / hop⌋"),
    ("ex-03-4", lambda n, hop: float(1 + n // hop), "is an int"),
    ("ex-04-4", lambda frames, lengths: frames.mean(1), "averages the padding"),
    ("ex-04-4", lambda frames, lengths: frames.mean(2), "expected (2, 3)"),
    ("ex-05-5", lambda m: np.trace(m) / m.sum(), "the WA"),
    ("ex-05-5", lambda m: 100 * uar_ok(m), "a percentage"),
    ("ex-05-5", lambda m: float((np.diag(m) / m.sum(axis=0)).mean()), "precision"),
    ("ex-06-4", lambda a, z, m: (m - z) / (a - z) if a != z else 0.0, "nothing to close"),
    ("ex-07-4", _unbiased_mmd, "*unbiased*"),
    ("ex-07-4", lambda s, t, bw: torch.cdist(s, t), "scalar"),
    ("ex-08-4", lambda logits, tau: (logits.argmax(1), logits.max(1).values >= tau),
     "softmax probability, not the logit"),
    ("ex-08-4", lambda logits, tau: (logits.argmax(1),
                                     torch.softmax(logits, 1).max(1).values > tau),
     "exactly at the threshold"),
    ("ex-09-4", lambda f, s: (f - f.mean(0)) / f.std(0), "each speaker's own mean"),
    ("ex-09-4", lambda f, s: standardise_ok(f, s) if False else np.full(f.shape, np.nan), "NaN"),
    ("ex-10-4", lambda a, b: tuple(stats.ttest_ind(a, b, equal_var=False)
                                   .confidence_interval(0.95)), "paired by seed"),
    ("ex-11-4", lambda t, p, g: {str(k): float((p[g == k] == t[g == k]).mean())
                                 for k in np.unique(g)}, "accuracy"),
]


def stub(*args, **kwargs):
    raise NotImplementedError("write it")


def test_every_chapter_2_to_11_has_a_check() -> None:
    assert sorted(spec.chapter for spec in CHECKS.values()) == [
        f"{n:02d}" for n in range(2, 12)]


@pytest.mark.parametrize("exercise", sorted(GOOD))
def test_a_correct_function_passes(exercise: str) -> None:
    result = evaluate(exercise, GOOD[exercise])
    assert result.passed, result.report()
    assert result.points == CHECKS[exercise].points
    assert result.report().startswith("PASS")


@pytest.mark.parametrize(("exercise", "wrong", "words"), BAD,
                         ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(BAD)])
def test_a_wrong_function_is_told_what_is_wrong(exercise, wrong, words: str) -> None:
    result = evaluate(exercise, wrong)
    assert not result.passed and not result.stub and result.points == 0
    report = result.report()
    assert report.startswith(f"FAIL {exercise}") and words in report, report
    with pytest.raises(ExerciseCheckFailed, match="FAIL"):
        check(exercise, wrong)


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_an_untouched_stub_fails_in_words_without_raising(exercise: str, capsys) -> None:
    result = evaluate(exercise, stub)
    assert result.stub and not result.passed and result.points == 0
    check(exercise, stub)  # prints, does not raise: the student edition runs to its end
    printed = capsys.readouterr().out
    assert printed.startswith(f"FAIL {exercise}") and "not written yet" in printed
    assert CHECKS[exercise].function in printed


def test_a_function_that_raises_or_is_missing_is_reported() -> None:
    def broken(m):
        raise KeyError("oops")

    assert "raised KeyError" in evaluate("ex-05-5", broken).report()
    assert "defines no function `uar_from_confusion`" in evaluate("ex-05-5", None).report()
    assert "not a function" in evaluate("ex-05-5", 3).report()
    with pytest.raises(KeyError, match="checks exist for"):
        evaluate("ex-99-1", uar_ok)


def test_a_function_that_never_returns_is_stopped() -> None:
    def forever(m):
        while True:
            pass

    result = evaluate("ex-05-5", forever, time_limit=0.5)
    assert not result.passed and "longer than 0.5 s" in result.report()


def _results(uar: float, split: str = "s0", selected_on: str = "target_dev") -> pd.DataFrame:
    return pd.DataFrame({"method": "mmd", "seed": [0, 1, 2], "uar": uar, "target": "emovo",
                         "target_split_id": split, "selected_on": selected_on,
                         "n_target_labelled": 50, "status": "ok",
                         "run_key": [f"k{uar}{split}{i}" for i in range(3)]})


BAR = {"assignment": "A4", "quantity": "TL + λ·MMD", "method": "mmd", "column": "uar",
       "bar": 40.0, "reference": 45.0, "target": "emovo", "target_split_id": "s0",
       "n_target_labelled": 50, "points": 3}


@pytest.mark.parametrize(("namespace", "passed", "words"), [
    ({"runs": _results(0.45)}, True, "passes the bar 40.0"),
    ({"runs": _results(0.35)}, False, "is below the bar"),
    ({"runs": _results(0.45, split="other")}, False, "use the fixed split"),
    ({"runs": _results(0.45, selected_on="target_test")}, False, "selected on target test"),
    ({"x": 1}, False, "no results rows"),
])
def test_a_pass_bar_is_computed_on_the_students_own_rows(namespace, passed, words) -> None:
    (row,) = grade_namespace(namespace, [], bars=[BAR])
    assert row["passed"] is passed and words in row["feedback"], row
    assert row["points"] == (3 if passed else 0) and row["bar"] == 40.0


def test_a_pass_bar_says_when_the_seeds_differ_from_the_bars() -> None:
    (row,) = grade_namespace({"runs": _results(0.45)}, [], bars=[{**BAR, "seeds": [0, 1, 5]}])
    assert row["passed"] and "set for the mean over seeds [0, 1, 5]" in row["feedback"]


def test_a7_checks_the_rerun_and_the_selection() -> None:
    class Run:
        def __init__(self, ran, results):
            self.ran, self.results, self.errors = ran, results, []

    rows = _results(0.45)
    good = grade_namespace({"first": Run(3, rows), "second": Run(0, rows)}, [], grid=True)
    assert [r["passed"] for r in good] == [True, True]
    bad = grade_namespace({"first": Run(3, _results(0.45, selected_on="target_test"))}, [],
                          grid=True)
    assert [r["passed"] for r in bad] == [False, False]
    assert "second trained 0 runs" in bad[0]["feedback"]
    assert "selected on target test" in bad[1]["feedback"]
