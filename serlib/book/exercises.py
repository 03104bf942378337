"""The fixed cases of the exercises a student completes, one function per exercise.

Each function takes the student's function, runs it on small named cases and returns the
problems it finds as sentences (empty: correct). :mod:`serlib.book.checks` registers them
(``CASES``: label -> (function name, points, cases)) and prints the report. The expected
values are computed here from first principles, never by calling serlib.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["CASES"]


def _call(fn: Callable, case: str, *args):
    """``(value, None)``, or ``(None, problem)`` when ``fn`` raises on the case."""
    try:
        return fn(*args), None
    except Exception as err:  # the student's error, reported in words
        if isinstance(err, TimeoutError):
            raise
        return None, f"on {case} it raised {type(err).__name__}: {err}"


def _number(value, case: str, what: str = "a number"):
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"on {case} it returned {type(value).__name__} {value!r:.60}, not {what}"


def _close(got: float, want: float, tol: float = 1e-6) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return abs(got - want) <= tol * max(1.0, abs(want))


# --- chapter 2: a speaker-independent split ---------------------------------------------------
def _split_cases(fn: Callable) -> list[str]:
    import pandas as pd

    speakers = [f"s{i:02d}" for i in range(10)]
    table = pd.DataFrame({"speaker": np.repeat(speakers, 6),
                          "emotion": np.tile(["anger", "neutral", "sadness"], 20),
                          "path": [f"/c/{i}.wav" for i in range(60)]})
    case = "the 10-speaker table (6 utterances each), seed 0"
    out, problem = _call(fn, case, table.copy(), 0)
    if problem:
        return [problem]
    if not isinstance(out, pd.DataFrame):
        return [f"on {case} it returned {type(out).__name__}, not a DataFrame"]
    problems = []
    if "split" not in out.columns:
        return [f"on {case} the result has no column 'split' (columns: {list(out.columns)})"]
    if len(out) != len(table) or set(out["path"]) != set(table["path"]):
        problems.append(f"on {case} the result has {len(out)} rows, not the table's "
                        f"{len(table)}: keep every utterance, add a column")
    bad = sorted(set(out["split"].astype(str)) - {"train", "dev", "test"})
    if bad:
        problems.append(f"on {case} 'split' holds {bad}: use only 'train', 'dev' and 'test'")
    for speaker, parts in out.groupby("speaker")["split"]:
        if parts.nunique() > 1:
            problems.append(f"speaker '{speaker}' is in {' and '.join(sorted(parts.unique()))}:"
                            " a speaker's utterances must all go to one split (a leak)")
            break
    missing = [p for p in ("train", "dev", "test") if p not in set(out["split"])]
    if missing:
        problems.append(f"on {case} no utterance goes to {missing}")
    again, _ = _call(fn, case, table.copy(), 0)
    if (not problems and isinstance(again, pd.DataFrame) and "split" in again.columns
            and again.sort_values("path")["split"].tolist()
            != out.sort_values("path")["split"].tolist()):
        problems.append("the same seed gave two different splits: draw with "
                        "np.random.default_rng(seed)")
    return problems


# --- chapter 3: frames of a centred STFT -----------------------------------------------------
def _frames_cases(fn: Callable) -> list[str]:
    problems = []
    for n_samples, hop in ((16000, 160), (16000, 256), (48000, 320), (100, 160), (159, 160)):
        case = f"n_frames({n_samples}, {hop})"
        value, problem = _call(fn, case, n_samples, hop)
        if problem:
            return [problem]
        want = 1 + n_samples // hop
        if not isinstance(value, (int, np.integer)):
            problems.append(f"{case} returned {type(value).__name__} {value!r}: a number of "
                            "frames is an int")
        elif value != want:
            hint = (" (that is n / hop without the frame centred on sample 0)"
                    if value == n_samples // hop else "")
            problems.append(f"{case} returned {value}, expected {want}: centred frames give "
                            f"1 + ⌊n / hop⌋{hint}")
    return problems


# --- chapter 4: a mean over time that ignores the padding ------------------------------------
def _masked_mean_cases(fn: Callable) -> list[str]:
    import torch

    frames = torch.arange(2 * 4 * 3, dtype=torch.float64).reshape(2, 4, 3)
    frames[0, 2:] = 1000.0  # padding of the first (2-frame) utterance
    lengths = torch.tensor([2, 4])
    case = "a batch of 2 utterances of 2 and 4 frames (time 4, dim 3)"
    out, problem = _call(fn, case, frames.clone(), lengths)
    if problem:
        return [problem]
    if not isinstance(out, torch.Tensor):
        return [f"on {case} it returned {type(out).__name__}, not a tensor"]
    if tuple(out.shape) != (2, 3):
        return [f"on {case} the shape is {tuple(out.shape)}, expected (2, 3) = (batch, dim): "
                "average over the time axis (dim 1)"]
    want = torch.stack([frames[0, :2].mean(0), frames[1].mean(0)])
    if torch.allclose(out.double(), frames.mean(1)):
        return [f"on {case} the first row averages the padding too: divide by each "
                "utterance's own length and leave the frames after it out"]
    if not torch.allclose(out.double(), want):
        return [f"on {case} row 0 is {out[0].tolist()}, expected {want[0].tolist()}"]
    return []


# --- chapter 5: UAR from a confusion matrix --------------------------------------------------
def _uar_cases(fn: Callable) -> list[str]:
    problems = []
    cases = {"the balanced 3-class matrix [[8,1,1],[2,6,2],[0,0,10]]":
             np.array([[8, 1, 1], [2, 6, 2], [0, 0, 10]]),
             "the imbalanced matrix [[90,10],[5,5]]": np.array([[90, 10], [5, 5]])}
    for case, m in cases.items():
        value, problem = _call(fn, case, m.copy())
        if problem:
            return [problem]
        value, problem = _number(value, case)
        if problem:
            return [problem]
        want = float((np.diag(m) / m.sum(axis=1)).mean())
        if _close(value, want, 1e-4):
            continue
        if _close(value, 100 * want, 1e-4):
            problems.append(f"on {case} it returned {value:.4g}, a percentage: return a "
                            f"fraction ({want:.4f})")
        elif _close(value, np.trace(m) / m.sum(), 1e-4):
            problems.append(f"on {case} it returned {value:.4f}, the WA (trace / total); the UAR"
                            f" is the mean of the per-class recalls, {want:.4f}")
        elif _close(value, float((np.diag(m) / m.sum(axis=0)).mean()), 1e-4):
            problems.append(f"on {case} it returned {value:.4f}, the mean precision (divided "
                            f"by column sums); rows are the true classes: {want:.4f}")
        else:
            problems.append(f"on {case} it returned {value:.4f}, expected {want:.4f}")
    return problems


# --- chapter 6: the share of the gap that a method closes ------------------------------------
def _gap_cases(fn: Callable) -> list[str]:
    problems = []
    for args, name in (((0.60, 0.40, 0.50), "half the gap"), ((0.60, 0.40, 0.65), "above the "
                       "source"), ((0.60, 0.40, 0.30), "worse than zero-shot"),
                       ((0.50, 0.50, 0.55), "no gap")):
        case = f"gap_closed{args} ({name})"
        value, problem = _call(fn, case, *args)
        if problem:
            return [problem]
        value, problem = _number(value, case)
        if problem:
            return [problem]
        in_lang, zero_shot, method = args
        want = ((method - zero_shot) / (in_lang - zero_shot) if in_lang != zero_shot
                else float("nan"))
        if not _close(value, want, 1e-6):
            problems.append(f"{case} returned {value:.4g}, expected {want:.4g}"
                            + (": with no gap there is nothing to close (return nan)"
                               if math.isnan(want) else ""))
    return problems


# --- chapter 7: the biased MMD² with a Gaussian kernel ---------------------------------------
def _mmd_reference(fs: np.ndarray, ft: np.ndarray, bandwidth: float, diagonal: bool = True):
    def k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * bandwidth ** 2))

    kss, ktt, kst = k(fs, fs), k(ft, ft), k(fs, ft)
    if diagonal:
        return kss.mean() + ktt.mean() - 2 * kst.mean()
    n, m = len(fs), len(ft)
    return ((kss.sum() - np.trace(kss)) / (n * (n - 1))
            + (ktt.sum() - np.trace(ktt)) / (m * (m - 1)) - 2 * kst.mean())


def _mmd_cases(fn: Callable) -> list[str]:
    import torch

    rng = np.random.default_rng(0)
    fs, ft = rng.normal(size=(5, 3)), rng.normal(0.5, 1.0, size=(7, 3))
    case = "feats_s (5, 3), feats_t (7, 3) drawn with seed 0, bandwidth 1.5"
    value, problem = _call(fn, case, torch.from_numpy(fs), torch.from_numpy(ft), 1.5)
    if problem:
        return [problem]
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        return [f"on {case} it returned a tensor of shape {tuple(value.shape)}: MMD² is a "
                "scalar (average the kernel matrices)"]
    value, problem = _number(value, case, "a scalar")
    if problem:
        return [problem]
    want = _mmd_reference(fs, ft, 1.5)
    if _close(value, _mmd_reference(fs, ft, 1.5, diagonal=False), 1e-5):
        return [f"on {case} it returned {value:.5f}, the *unbiased* estimate (the diagonal "
                f"terms k(x_i, x_i) left out); the biased one keeps them: {want:.5f}"]
    if _close(value, float(np.sqrt(max(want, 0))), 1e-5):
        return [f"on {case} it returned {value:.5f}, the MMD; return its square {want:.5f}"]
    if not _close(value, want, 1e-5):
        return [f"on {case} it returned {value:.5f}, expected {want:.5f} (kernel "
                "exp(-‖x − y‖² / (2 · bandwidth²)))"]
    same, problem = _call(fn, "the same sample twice", torch.from_numpy(fs),
                          torch.from_numpy(fs), 1.5)
    if problem:
        return [problem]
    if abs(float(same)) > 1e-9:
        return [f"on the same sample twice it returned {float(same):.3g}, expected 0"]
    return []


# --- chapter 8: the hard pseudo-label mask ---------------------------------------------------
def _pseudo_label_cases(fn: Callable) -> list[str]:
    import torch

    logits = torch.tensor([[2.0, 0.0, 0.0], [1.0, 0.9, 0.8], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    case = "4 utterances × 3 classes with threshold 0.5"
    out, problem = _call(fn, case, logits.clone(), 0.5)
    if problem:
        return [problem]
    if not (isinstance(out, tuple) and len(out) == 2):
        return [f"on {case} it returned {type(out).__name__}; return (labels, mask)"]
    labels, mask = (torch.as_tensor(v) for v in out)
    if tuple(labels.shape) != (4,) or tuple(mask.shape) != (4,):
        return [f"on {case} labels and mask have shapes {tuple(labels.shape)} and "
                f"{tuple(mask.shape)}; both should be (4,), one entry per utterance"]
    problems = []
    if labels.tolist() != [0, 0, 1, 0] and labels[:3].tolist() != [0, 0, 1]:
        problems.append(f"the labels are {labels.tolist()}: the pseudo-label is the arg max "
                        "of the logits, [0, 0, 1, ...]")
    if mask.dtype != torch.bool:
        problems.append(f"the mask has dtype {mask.dtype}; use a bool tensor")
    got = [bool(v) for v in mask.tolist()]
    if got[1]:
        problems.append("utterance 1 (logits [1.0, 0.9, 0.8], top probability 0.37) is kept "
                        "at threshold 0.5: compare the softmax probability, not the logit")
    if not got[0] or not got[2]:
        problems.append("a confident utterance (top probability 0.79 or 0.91) is dropped at "
                        "threshold 0.5")
    if got[3]:
        problems.append("utterance 3 (all logits equal, top probability 1/3) is kept")
    two = torch.tensor([[0.0, 0.0]])
    out2, problem = _call(fn, "logits [[0, 0]] with threshold 0.5", two, 0.5)
    if problem:
        return [*problems, problem]
    if isinstance(out2, tuple) and len(out2) == 2 and not bool(torch.as_tensor(out2[1])[0]):
        problems.append("a prediction exactly at the threshold (probability 0.5, τ = 0.5) is "
                        "dropped: keep it (confidence ≥ τ)")
    return problems


# --- chapter 9: per-speaker standardisation --------------------------------------------------
def _per_speaker_cases(fn: Callable) -> list[str]:
    feats = np.array([[1.0, 5.0], [3.0, 5.0], [10.0, 0.0], [20.0, 2.0], [30.0, 4.0]])
    speakers = np.array(["a", "a", "b", "b", "b"])
    case = "5 utterances of speakers a, a, b, b, b (feature 2 constant for a)"
    out, problem = _call(fn, case, feats.copy(), speakers.copy())
    if problem:
        return [problem]
    out = np.asarray(out, dtype=float)
    if out.shape != feats.shape:
        return [f"on {case} the shape is {out.shape}, expected {feats.shape}"]
    if np.isnan(out).any():
        return [f"on {case} the result has NaN: a feature that is constant for a speaker "
                "has std 0; leave it at 0 instead of dividing by 0"]
    problems = []
    for speaker in ("a", "b"):
        rows = out[speakers == speaker]
        if not np.allclose(rows.mean(axis=0), 0, atol=1e-6):
            problems.append(f"speaker '{speaker}' has mean {rows.mean(axis=0).round(3)}: "
                            "subtract each speaker's own mean, not the global one")
            break
    b = out[speakers == "b"]
    if not problems and not np.allclose(b.std(axis=0), 1, atol=1e-6):
        problems.append(f"speaker 'b' has std {b.std(axis=0).round(3)}, expected 1 (divide "
                        "by the speaker's std, ddof=0)")
    return problems


# --- chapter 10: a paired interval -----------------------------------------------------------
def _paired_cases(fn: Callable) -> list[str]:
    from scipy import stats

    a = np.array([0.52, 0.48, 0.55, 0.50, 0.47])
    b = np.array([0.50, 0.45, 0.54, 0.46, 0.46])
    case = "uar_a = [.52 .48 .55 .50 .47], uar_b = [.50 .45 .54 .46 .46] (paired by seed)"
    out, problem = _call(fn, case, a.copy(), b.copy())
    if problem:
        return [problem]
    try:
        low, high = (float(v) for v in out)
    except (TypeError, ValueError):
        return [f"on {case} it returned {out!r:.60}; return (low, high)"]
    d = a - b
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    want = (d.mean() - half, d.mean() + half)
    if _close(low, want[0], 1e-4) and _close(high, want[1], 1e-4):
        return []
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    if _close(low, welch.low, 1e-3):
        return [f"on {case} it returned ({low:.4f}, {high:.4f}), an interval for independent "
                f"samples; the runs are paired by seed: use the differences, "
                f"({want[0]:.4f}, {want[1]:.4f})"]
    return [f"on {case} it returned ({low:.4f}, {high:.4f}), expected ({want[0]:.4f}, "
            f"{want[1]:.4f}): mean of a − b ± t(0.975, n − 1) · std(ddof=1) / √n"]


# --- chapter 11: UAR per group ---------------------------------------------------------------
def _per_group_cases(fn: Callable) -> list[str]:
    y_true = np.array(["anger", "anger", "anger", "sadness", "anger", "neutral", "sadness"])
    y_pred = np.array(["anger", "sadness", "anger", "sadness", "anger", "anger", "anger"])
    groups = np.array(["f", "f", "f", "f", "m", "m", "m"])
    case = "7 predictions of groups f (4) and m (3)"
    out, problem = _call(fn, case, y_true.copy(), y_pred.copy(), groups.copy())
    if problem:
        return [problem]
    try:
        got = {str(k): float(v) for k, v in dict(out).items()}
    except (TypeError, ValueError):
        return [f"on {case} it returned {type(out).__name__}; return a dict group -> UAR"]
    want = {"f": (2 / 3 + 1.0) / 2, "m": (1.0 + 0.0 + 0.0) / 3}
    if set(got) != set(want):
        return [f"on {case} the groups are {sorted(got)}, expected ['f', 'm']"]
    problems = []
    for g, w in want.items():
        if not _close(got[g], w, 1e-6):
            hint = ""
            if g == "f" and _close(got[g], 3 / 4, 1e-6):
                hint = " (that is the accuracy; average the per-class recalls)"
            problems.append(f"group '{g}' gets {got[g]:.4f}, expected {w:.4f}{hint}: the UAR "
                            "over the classes present in that group")
    return problems


#: exercise label -> (the function the student writes, points, its cases)
CASES: dict[str, tuple[str, int, Callable[[Callable], list[str]]]] = {
    "ex-02-4": ("speaker_independent_split", 2, _split_cases),
    "ex-03-4": ("n_frames", 1, _frames_cases),
    "ex-04-4": ("masked_mean", 2, _masked_mean_cases),
    "ex-05-5": ("uar_from_confusion", 2, _uar_cases),
    "ex-06-4": ("gap_closed", 1, _gap_cases),
    "ex-07-4": ("mmd2_biased", 2, _mmd_cases),
    "ex-08-4": ("hard_pseudo_labels", 2, _pseudo_label_cases),
    "ex-09-4": ("standardise_per_speaker", 2, _per_speaker_cases),
    "ex-10-4": ("paired_interval", 2, _paired_cases),
    "ex-11-4": ("per_group_uar", 2, _per_group_cases),
}
