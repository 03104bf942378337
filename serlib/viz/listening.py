"""Listening: hear the utterances behind a number, where the corpus licence allows it.

A page built from an executed notebook republishes every audio player it holds, so a player
is embedded only for audio that may be redistributed: the synthetic corpus (ours) and corpora
under a Creative Commons licence that allows adaptations (a cut, resampled clip is one), the
rule of chapter 2's *Listening* section. For any other corpus :func:`listen` shows the clip's
facts and the one line that plays it on the reader's own machine, where the corpus is.

- :func:`may_publish_audio`: the licence rule, read from ``serlib.data.CORPORA``;
- :func:`prediction_rows`: one row per predicted utterance (path, speaker, true and
  predicted emotion, confidence), from a table, its rows and a model's predictions;
- :func:`contrast_pair`: a misclassified utterance and a correctly classified one of the
  same speaker (the same emotion where possible);
- :func:`listen`: the players (or the instructions) for a few utterances, as HTML.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from serlib.data import CORPORA, data_root, load_audio

__all__ = ["contrast_pair", "listen", "may_publish_audio", "prediction_rows"]


def may_publish_audio(domain: str) -> bool:
    """Whether clips of ``domain`` may be embedded in a published page.

    True for the synthetic corpus (any domain that is not a registered corpus) and for a
    Creative Commons licence without *NoDerivatives* (a cut clip is an adaptation).
    """
    spec = CORPORA.get(domain)
    return spec is None or (spec.licence.startswith("CC") and "ND" not in spec.licence)


def prediction_rows(table: pd.DataFrame, rows, predictions, labels: Sequence[str]
                    ) -> pd.DataFrame:
    """The utterances a model predicted, with what it predicted and how confidently.

    Args:
        table: the domain table the dataset was made from (``path``, ``speaker``,
            ``emotion``).
        rows: the boolean mask that selected the dataset's rows (as for ``table_dataset``).
        predictions: ``serlib.train.predict``'s output on that dataset.
        labels: the class names in the model's order.

    Returns:
        One row per prediction: ``path``, ``speaker``, ``emotion``, ``predicted``,
        ``confidence`` (the winning probability), ``correct``.
    """
    positions = np.flatnonzero(np.asarray(rows, dtype=bool))
    picked = table.iloc[positions[predictions.index.numpy()]]
    probs = predictions.probs.numpy()
    out = picked[["path", "speaker", "emotion"]].reset_index(drop=True)
    out["predicted"] = [labels[i] for i in probs.argmax(axis=1)]
    out["confidence"] = probs.max(axis=1)
    out["correct"] = out["predicted"] == out["emotion"]
    return out


def contrast_pair(frame: pd.DataFrame) -> pd.DataFrame | None:
    """A wrongly and a rightly classified utterance of one speaker (the same emotion if any).

    Prefers the most confident error, so the pair shows a confident mistake. Returns None
    when no speaker has both a right and a wrong prediction.
    """
    best = None
    for same_emotion in (True, False):
        for error in frame[~frame["correct"]].sort_values("confidence",
                                                          ascending=False).itertuples():
            right = frame[frame["correct"] & (frame["speaker"] == error.speaker)]
            if same_emotion:
                right = right[right["emotion"] == error.emotion]
            if len(right):
                best = (error.Index, right.sort_values("path").index[0])
                break
        if best:
            break
    return None if best is None else frame.loc[list(best)]


def _relative(path: str) -> str:
    """The path under ``$SERLIB_DATA`` (what a reader has on their own disk), else the name."""
    try:
        return Path(path).resolve().relative_to(data_root()).as_posix()
    except ValueError:
        return Path(path).name


def listen(clips: pd.DataFrame, domain: str, *, captions: Sequence[str] | None = None,
           seconds: float = 3.0, sample_rate: int = 16000):
    """Players for a few utterances of ``domain``, or how to hear them locally.

    Args:
        clips: rows with a ``path`` (e.g. from :func:`prediction_rows`).
        domain: the corpus id (or synthetic language) the clips come from.
        captions: one line per clip (default: the file name).
        seconds: each clip is cut to at most this long.
        sample_rate: the clips' rate in the page.

    Returns:
        An ``IPython.display.HTML`` object: a table with one player per clip when the
        licence allows republishing (:func:`may_publish_audio`), else the clips' facts and
        the ``Audio(...)`` line that plays each on a machine that holds the corpus.
    """
    from IPython.display import HTML, Audio

    captions = list(captions) if captions is not None else [Path(p).name for p in clips["path"]]
    rows = []
    if may_publish_audio(domain):
        for path, caption in zip(clips["path"], captions, strict=True):
            wave = load_audio(path, sample_rate=sample_rate)[: int(seconds * sample_rate)]
            player = Audio(wave, rate=sample_rate)._repr_html_()
            rows.append(f"<tr><td>{html.escape(caption)}</td><td>{player}</td></tr>")
        spec = CORPORA.get(domain)
        credit = (f"<p><small>{html.escape(spec.name)}, {html.escape(spec.licence)}; clips cut "
                  f"to {seconds:g} s.</small></p>") if spec else ""
        return HTML(f"<table>{''.join(rows)}</table>{credit}")
    spec = CORPORA[domain]
    for path, caption in zip(clips["path"], captions, strict=True):
        line = f'Audio(str(corpus_dir("{domain}") / "{_relative(path)[len(domain) + 1:]}"))' \
            if _relative(path).startswith(f"{domain}/") else f'Audio("{_relative(path)}")'
        rows.append(f"<tr><td>{html.escape(caption)}</td><td><code>{html.escape(line)}"
                    "</code></td></tr>")
    note = (f"<p>{html.escape(spec.name)} is licensed <i>{html.escape(spec.licence)}</i>, "
            "which does not allow republishing its audio, so this page plays nothing. To hear "
            f"these utterances on your machine (after <code>serlib data fetch {domain}"
            "</code>), run <code>from IPython.display import Audio</code> and <code>from "
            "serlib.data import corpus_dir</code>, then the line of each row:</p>")
    return HTML(f"{note}<table>{''.join(rows)}</table>")
