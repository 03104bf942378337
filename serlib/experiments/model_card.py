"""Model cards: what a model bundle was trained on, what it was measured on, and its limits.

A model card (Mitchell et al., 2019) travels with a model and tells its user the facts they
need before trusting a prediction: the training data and its languages, the label set in
output order, the scores measured on each language (with their spread and chance level), the
intended use and the known limits. :func:`model_card` writes one, in Markdown, from a bundle's
own metadata (:func:`~serlib.experiments.save_run_bundle` records the corpora, languages,
method and split ids) and a table of measured scores; :func:`save_model_card` puts it beside
the bundle (``MODEL.pt`` -> ``MODEL.md``).

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from serlib.atomic import atomic_path
from serlib.errors import NonFiniteError
from serlib.evaluate import format_table
from serlib.experiments.bundles import ModelBundle

__all__ = ["DEFAULT_INTENDED_USE", "DEFAULT_LIMITATIONS", "model_card", "save_model_card"]

#: what a bundle trained by this book is for
DEFAULT_INTENDED_USE = (
    "Research and teaching: studying cross-lingual speech emotion recognition on acted "
    "corpora. Not for decisions about people (hiring, health, security, policing, "
    "education), and not for recordings of people who did not consent to the analysis.")

#: limits every acted-speech emotion model shares (the chapter discusses each)
DEFAULT_LIMITATIONS = (
    "Trained on acted emotions, read by a few professional or student actors: natural, "
    "spontaneous emotion is subtler and more mixed, and scores on it are lower.",
    "Emotional expression and its perception differ between cultures and languages: a "
    "score measured on one language does not carry over to another.",
    "The label set is a fixed list of categories; a recording expressing none of them is "
    "still given one.",
    "Few speakers: the scores' intervals are wide and some voices, ages and accents are "
    "absent from the training data.",
)


def _line(label: str, value: object) -> str:
    return f"- **{label}**: {value}"


def _join(values: object) -> str:
    if isinstance(values, (list, tuple)):
        return ", ".join(str(v) for v in values) or "unknown"
    return "unknown" if values in (None, "") else str(values)


def model_card(bundle: ModelBundle, scores: pd.DataFrame | None = None, *,
               title: str | None = None, intended_use: str = DEFAULT_INTENDED_USE,
               limitations: Sequence[str] = DEFAULT_LIMITATIONS,
               notes: Sequence[str] = ()) -> str:
    """The model card of a bundle, as Markdown.

    Args:
        bundle: a loaded bundle (:func:`~serlib.experiments.load_model_bundle`).
        scores: the measured scores, one row per evaluation set (e.g. from
            :func:`serlib.evaluate.comparison_table`); numeric columns must be finite.
            None: the card says none were measured.
        title: the card's title (default: from the bundle's file name).
        intended_use: the intended use, one paragraph.
        limitations: the known limits, one item each.
        notes: extra facts for the training-data section (e.g. how a corpus was made).

    Returns:
        Markdown text (headings at level 2 below a level-1 title).

    Raises:
        NonFiniteError: a numeric score is NaN or infinite (the message names the column).

    Chapter: book/11_your_language.md
    """
    meta = bundle.metadata
    if scores is not None:
        for column in scores.select_dtypes("number").columns:
            bad = [v for v in scores[column] if not math.isfinite(float(v))]
            if bad:
                raise NonFiniteError(f"model card: score column {column!r} holds {bad[0]}; "
                                     "measure the scores again before writing the card")
    name = title or f"Model card: {Path(bundle.path).stem or 'model'}"
    data = meta.get("data", "unknown")
    lines = [f"# {name}", "", "## Model", "",
             _line("architecture", bundle.model_spec.get("architecture", "unknown")),
             _line("backbone", meta.get("backbone") or "unknown"),
             _line("training method", meta.get("method", "unknown")),
             _line("profile and seed", f"{meta.get('profile', '?')}, seed {meta.get('seed', '?')}"),
             _line("model selection", f"{meta.get('selected_on', 'unknown')} "
                                      f"(epoch {meta.get('best_epoch', '?')})"),
             _line("serlib version", bundle.serlib_version or "unknown"),
             "", "## Training data", "",
             _line("data", "serlib's synthetic corpus: predictions on real speech mean "
                   "nothing" if data == "synthetic" else data),
             _line("source corpora", _join(meta.get("source_corpora"))),
             _line("source languages", _join(meta.get("source_languages"))),
             _line("target corpora (model selection, normalisation statistics)",
                   _join(meta.get("target_corpora"))),
             _line("target languages", _join(meta.get("target_languages"))),
             _line("labelled target utterances", meta.get("n_labels", 0)),
             _line("label set", f"{meta.get('label_set', 'unknown')}: "
                   f"{', '.join(bundle.labels)} (the model's output order)"),
             _line("splits", f"source {meta.get('source_split_id', '?')}, target "
                   f"{meta.get('target_split_id', '?')} (speaker-independent)"),
             *[f"- {note}" for note in notes],
             "", "## Measured scores", ""]
    if scores is None or not len(scores):
        lines.append("None measured: evaluate the model before using it.")
    else:
        lines.append(format_table(scores.reset_index(drop=True), percent=[]))
    lines += ["", "## Intended use", "", intended_use, "", "## Limitations", "",
              *[f"- {item}" for item in limitations], ""]
    return "\n".join(lines)


def save_model_card(bundle_path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` beside the bundle (``MODEL.pt`` -> ``MODEL.md``), atomically."""
    path = Path(bundle_path).with_suffix(".md")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
