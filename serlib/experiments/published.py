"""The two papers' published numbers, from one source, with what each one measured.

Every number the book quotes from Agarla et al. (2024) and Baklouti et al. (2024) is a row of
:data:`PUBLISHED`, checked against the papers' text (``tests/experiments/test_published.py``
holds the places): the table or section it comes from, the target corpus, the method and
target labels, the metric **as the paper names it** (``metric_as_named``) and the column
of our results it stands beside (``metric``), the classes, the protocol, and the test-time
information of the paper's model. Chapters build every "papers vs us" table from
:func:`published_table` (and :func:`paper_label`), never from typed numbers.

How we read the metrics:

- **Agarla et al.** choose "the unweighted accuracy" as their evaluation criterion
  (Sec. 5.2) and caption their tables "accuracy". In speech emotion recognition
  *unweighted accuracy* (UA) conventionally names the mean of the per-class recalls, as
  opposed to *weighted accuracy* (WA), the share of utterances recognised; we therefore
  read their numbers as UAR and set them beside our UAR. On EMOVO (84 utterances per class)
  the two coincide; on their EmoDB subset (127/69/71/79/62 per class) they can differ by a
  few points, so the reading matters only there.
- **Baklouti et al.** report "UAR" and "accuracy" (their "Unweighted Accuracy" is defined
  as (tp + tn) / (p + n), i.e. plain accuracy, Sec. 4.2): UAR beside our UAR, accuracy beside
  our WA. Their Table 4 and Table 6 disagree for the same task (RAVDESS → EmoDB, DA-based
  TL): accuracy 57 in Table 4, 53.47 in Table 6 (UAR 58 and 58.01 agree); both rows are
  kept and the note says so.

Test-time information: both papers' models classify each test recording alone with
statistics of that recording only (Agarla et al. standardise each spectrogram by its own
frames; Baklouti et al. turn each utterance into an image): **inductive**. Their training
may read target data (labels, or unlabelled utterances: ``target_data``), which is a
property of training, not of test time.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRIC_READING", "PUBLISHED", "paper_label", "published_table"]

#: how each paper's metric name is read (see the module docstring)
METRIC_READING = {
    "agarla2024": "their 'unweighted accuracy' (Sec. 5.2; tables: 'accuracy'), read as UAR: "
                  "in SER, unweighted accuracy is the mean of the per-class recalls",
    "baklouti2024": "UAR as UAR; their 'accuracy' ((tp + tn) / (p + n)) as WA",
}

_PAPER = {
    "agarla2024": {"source": "RAVDESS + SAVEE + TESS (English)", "label_set": "agarla5",
                   "classes": 5, "split": "speaker-independent 60/20/20",
                   "reported": "unweighted accuracy (read as UAR)", "repeats": "3 seeds",
                   "test_time_info": "inductive"},
    "baklouti2024": {"source": "RAVDESS (English)", "label_set": "baklouti7", "classes": 7,
                     "split": "random 80/20 of utterances", "reported": "UAR and accuracy",
                     "repeats": "10 runs (Table 4, tasks 1–2)",
                     "test_time_info": "inductive"},
}

_NO_TARGET = "none"
_ALL = "all labelled target training utterances"
_PL = "100 labelled + the unlabelled target training utterances (pseudo-labels)"

#: (paper, where, target, method, n_labels, metric, metric_as_named, value %, target_data, note)
_ROWS = [
    ("agarla2024", "Table 3", "emodb", "zero_shot", "0", "uar", "unweighted accuracy",
     60.56, _NO_TARGET, ""),
    ("agarla2024", "Table 3", "emovo", "zero_shot", "0", "uar", "unweighted accuracy",
     49.28, _NO_TARGET, ""),
    ("agarla2024", "Table 3", "cafe", "zero_shot", "0", "uar", "unweighted accuracy",
     54.32, _NO_TARGET, "French; not a target of this book"),
    ("agarla2024", "Table 3", "shemo", "zero_shot", "0", "uar", "unweighted accuracy",
     18.28, _NO_TARGET, "Persian; not a target of this book"),
    ("agarla2024", "Sec. 6.2", "english", "zero_shot", "0", "source_uar",
     "unweighted accuracy", 79.13, _NO_TARGET, "English test set, English training only"),
    ("agarla2024", "Table 4", "emodb", "multilingual", "all", "uar", "unweighted accuracy",
     73.24, _ALL, ""),
    ("agarla2024", "Table 4", "emovo", "multilingual", "all", "uar", "unweighted accuracy",
     59.28, _ALL, ""),
    ("agarla2024", "Table 4", "emodb", "multilingual", "all", "source_uar",
     "unweighted accuracy", 75.04, _ALL, "on the English test set"),
    ("agarla2024", "Table 4", "emovo", "multilingual", "all", "source_uar",
     "unweighted accuracy", 73.78, _ALL, "on the English test set"),
    ("agarla2024", "Table 5 (τ = 0.5)", "emodb", "hard_pl", "100", "uar",
     "unweighted accuracy", 75.59, _PL, ""),
    ("agarla2024", "Table 5 (τ = 0.65)", "emodb", "hard_pl", "100", "uar",
     "unweighted accuracy", 69.48, _PL, ""),
    ("agarla2024", "Table 5 (τ = 0.85)", "emodb", "hard_pl", "100", "uar",
     "unweighted accuracy", 69.01, _PL, ""),
    ("agarla2024", "Table 5 (τ = 0.5)", "emovo", "hard_pl", "100", "uar",
     "unweighted accuracy", 48.10, _PL, ""),
    ("agarla2024", "Table 5 (τ = 0.65)", "emovo", "hard_pl", "100", "uar",
     "unweighted accuracy", 41.67, _PL, ""),
    ("agarla2024", "Table 5 (τ = 0.85)", "emovo", "hard_pl", "100", "uar",
     "unweighted accuracy", 46.90, _PL, ""),
    ("baklouti2024", "Table 6", "emodb", "transfer", "all", "uar", "UAR", 50.65, _ALL,
     "task 3; 80/20 split of utterances (speakers shared)"),
    ("baklouti2024", "Table 6", "emodb", "transfer", "all", "wa", "accuracy", 50.47, _ALL,
     "task 3; 80/20 split of utterances (speakers shared)"),
    ("baklouti2024", "Table 6", "emodb", "mmd", "all", "uar", "UAR", 58.01, _ALL,
     "task 3; Eq. 1 has source cross-entropy + MMD only"),
    ("baklouti2024", "Table 6", "emodb", "mmd", "all", "wa", "accuracy", 53.47, _ALL,
     "task 3; Table 4 gives accuracy 57 for the same task"),
    ("baklouti2024", "Table 4", "emodb", "mmd", "all", "uar", "UAR", 58.0, _ALL,
     "task 3; rounded; agrees with Table 6"),
    ("baklouti2024", "Table 4", "emodb", "mmd", "all", "wa", "accuracy", 57.0, _ALL,
     "task 3; disagrees with Table 6 (53.47)"),
]

_FIELDS = ("paper", "table", "target", "method", "n_labels", "metric", "metric_as_named",
           "value", "target_data", "note")

#: the rows as dicts (see the module docstring); ``table`` is the table or section
PUBLISHED: list[dict[str, object]] = [
    {**dict(zip(_FIELDS, row, strict=True)), **_PAPER[row[0]]} for row in _ROWS]


def paper_label(row: dict[str, object] | pd.Series) -> str:
    """A short label for one published number, e.g. ``'Agarla Table 3, UA→UAR 60.56'``.

    The metric is written as the paper names it, then the column of ours it stands
    beside.
    """
    named = {"unweighted accuracy": "UA", "accuracy": "acc."}.get(
        str(row["metric_as_named"]), str(row["metric_as_named"]))
    ours = str(row["metric"]).upper().replace("_", " ")
    shown = named if named == ours else f"{named}→{ours}"
    return f"{str(row['paper']).replace('2024', '').title()} {row['table']}, {shown} " \
           f"{float(row['value']):.2f}"  # type: ignore[arg-type]


def published_table(target: str | None = None, paper: str | None = None,
                    method: str | None = None) -> pd.DataFrame:
    """The published numbers (in %), optionally for one target, paper or method."""
    import pandas as pd

    table = pd.DataFrame(PUBLISHED)
    for column, value in (("target", target), ("paper", paper), ("method", method)):
        if value is not None:
            table = table[table[column] == value]
    return table.reset_index(drop=True)
