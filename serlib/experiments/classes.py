"""The classes a target really has: said in the plan, and, on request, the only classes the
classifier decides among.

A label set names the classes of a task; a target corpus may have fewer (a corpus without
boredom under ``baklouti7``; RAVDESS's calm dropped unless merged). Its chance level is then
1 / the classes present (:func:`serlib.evaluate.chance_levels` counts the classes of the
test split), the plan says which classes each target has (:func:`target_class_notes`), every
results row holds them (``target_classes``), and ``restrict_to_target_classes: true`` makes
the classifier decide among them only (:func:`restrict_to_classes`: the argmax over the
present classes at scoring time). What a target has is read from its metadata (the corpus's
labels after the label set and merges), never from its test predictions; UAR stays the mean
recall over the classes present in the target test split, with or without the restriction.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from serlib.data import CORPORA, label_set_classes, load_corpus, synthetic_config
from serlib.data.labels import apply_label_set, target_classes
from serlib.errors import CorpusNotFoundError
from serlib.experiments.config import ResolvedExperiment, parse_task

if TYPE_CHECKING:  # the plan imports this module, and no torch
    from serlib.train.inference import Predictions

__all__ = ["restrict_to_classes", "target_class_notes"]


def restrict_to_classes(pred: Predictions, labels: Sequence[str],
                        present: Sequence[str]) -> Predictions:
    """The predictions with the argmax over the ``present`` classes only (the logits of
    the other classes set to -inf): ``restrict_to_target_classes``."""
    absent = [i for i, name in enumerate(labels) if name not in set(present)]
    if not absent:
        return pred
    logits = pred.logits.clone()
    logits[:, absent] = float("-inf")
    return dataclasses.replace(pred, logits=logits)


def target_class_notes(plan: ResolvedExperiment) -> list[str]:
    """One line per target: the classes of the label set it has (after ``merges``), read
    from its metadata (the synthetic config; the corpus on disk), and what that means for
    chance and for the classifier (``restrict_to_target_classes``)."""
    c = plan.config
    classes = label_set_classes(c.label_set)
    lines = []
    for target in dict.fromkeys(parse_task(t)[1] for t in c.tasks):
        if c.data == "synthetic":
            emotions = synthetic_config(c.synthetic, **dict(c.synthetic_overrides)).emotions
            have: tuple[str, ...] | None = tuple(e for e in classes if e in emotions)
        else:
            parts = []
            for part in target.split("+"):
                try:
                    if part.rstrip("?") in CORPORA:
                        parts.append(load_corpus(part.rstrip("?"), progress=False))
                except (CorpusNotFoundError, OSError):
                    if not part.endswith("?"):
                        parts = []
                        break
            if parts:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    table = apply_label_set(pd.concat(parts, ignore_index=True),
                                            c.label_set, merges=c.merges)
                have = target_classes(table, c.label_set)
            else:
                have = None
        if have is None:
            lines.append(f"target {target!r}: classes unknown (not on disk)")
        elif len(have) == len(classes):
            lines.append(f"target {target!r}: all {len(classes)} classes of {c.label_set} "
                         f"{list(have)}")
        else:
            how = ("the classifier decides among these only (restrict_to_target_classes)"
                   if c.restrict_to_target_classes else
                   "the classifier can still predict the absent ones; set "
                   "restrict_to_target_classes: true to decide among these only")
            lines.append(f"target {target!r}: {len(have)} of the {len(classes)} classes of "
                         f"{c.label_set}: {list(have)} (absent: "
                         f"{[x for x in classes if x not in have]}); chance UAR "
                         f"1/{len(have)}; {how}")
    return lines
