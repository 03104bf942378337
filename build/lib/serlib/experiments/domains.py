"""The data of a run: domains (one language's corpora) with speaker-independent splits.

Protocol (the same for every method and profile):

1. A *domain* is one corpus or several pooled (``ravdess+savee+tess``: Agarla et al. merge
   the English corpora), or a language of the synthetic corpus. A corpus id ending in
   ``?`` is optional: pooled if it is on disk, left out with a message if not
   (``ravdess+savee?+tess?``); the split id in the results tells exactly what was used.
2. Its audio is screened (:func:`serlib.data.screen_audio`): a file that cannot be decoded,
   is silent, too short or not finite is dropped with a logged reason, and the number of
   dropped files goes into every results row (one bad file never costs a task). Its
   utterances are mapped onto the experiment's label set (others dropped), optionally
   capped per speaker and emotion by the profile (all speakers are kept).
3. It is split **by speaker** into 60/20/20 train/dev/test (``serlib.data.speaker_split``,
   seeded by the experiment's ``split_seed``, so every run of the grid shares it).
   Baklouti et al. split utterances at random 80/20; we deliberately keep speakers apart,
   as Agarla et al. do, so that scores measure new speakers.
4. The labelled target utterances of a run are drawn from the **target train** part only
   (``serlib.data.few_label_subset``, class-balanced, seeded by the run's seed); the rest
   of target train is the unlabelled pool; target dev stays labelled for model selection
   and target test is only ever used for the final scores.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from serlib.data import (
    apply_label_set,
    cache_root,
    few_label_subset,
    generate_corpus,
    load_corpus,
    screen_audio,
    speaker_split,
    synthetic_config,
)
from serlib.errors import ConfigError, CorpusNotFoundError
from serlib.experiments.config import ExperimentConfig
from serlib.experiments.profiles import Profile

__all__ = ["Domain", "cap_per_speaker_emotion", "label_target", "load_domain"]


@dataclass(frozen=True)
class Domain:
    """A domain ready for runs.

    Attributes:
        name: the domain's name (corpus ids joined by ``+``, or a synthetic language).
        table: its utterances with ``split`` (after screening, label set and cap).
        dropped: the files screening dropped: ``path``, ``reason`` (and ``corpus``).
    """

    name: str
    table: pd.DataFrame
    dropped: pd.DataFrame


def cap_per_speaker_emotion(table: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """At most ``limit`` utterances per speaker and emotion (the first by path); None: all."""
    if limit is None:
        return table.reset_index(drop=True)
    table = table.sort_values("path")
    return table.groupby(["speaker", "emotion"], sort=False).head(limit).sort_values(
        "path").reset_index(drop=True)


def _synthetic(config: ExperimentConfig, language: str) -> pd.DataFrame:
    corpus = synthetic_config(config.synthetic, **dict(config.synthetic_overrides))
    if language not in corpus.languages:
        raise ConfigError(f"synthetic language {language!r} is not in the {config.synthetic!r} "
                          f"synthetic corpus ({list(corpus.languages)})")
    table = generate_corpus(cache_root() / "synthetic", corpus)
    return table[table["language"] == language]


def load_domain(name: str, config: ExperimentConfig, profile: Profile, *,
                progress: bool = False,
                log: Callable[[str], None] | None = None) -> Domain:
    """A domain's metadata table with its ``split`` column (steps 1–3 above).

    Args:
        name: corpus ids joined by ``+`` (``data: corpora``; ``id?`` = optional) or a
            synthetic language.
        config: the experiment (data kind, label set, merges, split seed).
        profile: its ``max_per_speaker_emotion`` caps the data.
        progress: show corpus-scanning progress.
        log: where to say that an optional corpus is left out.

    Raises:
        CorpusNotFoundError: a required corpus of the domain is not on disk, or none of
            its optional ones (the runner skips the task and says so).
    """
    if config.data == "synthetic":
        table = _synthetic(config, name)
    else:
        parts = []
        for corpus in name.split("+"):
            optional, corpus = corpus.endswith("?"), corpus.rstrip("?")
            try:
                parts.append(load_corpus(corpus, progress=progress))
            except CorpusNotFoundError as err:
                if not optional:
                    raise CorpusNotFoundError(f"corpus {corpus!r} of domain {name!r} is not "
                                              f"available: {err}") from err
                if log is not None:
                    log(f"{name}: optional corpus {corpus!r} is not on disk, left out")
        if not parts:
            raise CorpusNotFoundError(f"none of the corpora of domain {name!r} is on disk")
        table = pd.concat(parts, ignore_index=True)
    screened = screen_audio(table, progress=progress)
    if screened.n_dropped and log is not None:
        log(f"{name}: {screened.report()}")
    table = apply_label_set(screened.kept, config.label_set, merges=config.merges)
    table = cap_per_speaker_emotion(table, profile.max_per_speaker_emotion)
    table = speaker_split(table, seed=config.split_seed).reset_index(drop=True)
    return Domain(name, table, screened.dropped)


def label_target(table: pd.DataFrame, n_labels: int | str, seed: int) -> pd.DataFrame:
    """Mark the labelled target training utterances (step 4): ``n`` of them, or ``"all"``."""
    if n_labels == "all":
        out = table.copy()
        out["labelled"] = out["split"] == "train"
        return out
    return few_label_subset(table, int(n_labels), seed=seed)
