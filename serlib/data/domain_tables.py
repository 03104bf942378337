"""The metadata tables of named domains, before any label set, screening or split.

A *domain* is a corpus id, several corpus ids pooled with ``+`` (``ravdess+savee``: one
language's corpora), or, in a synthetic corpus, one of its languages (``lang_a``). The
chapters that look at the data itself (counts, durations, front-ends) load a profile's
domains with :func:`load_domain_tables`; experiments go on to screen, map and split them
(``serlib.experiments``).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from serlib.data.metadata import load_corpora
from serlib.data.root import cache_root
from serlib.data.synthetic import SyntheticConfig, generate_corpus, synthetic_config
from serlib.errors import CorpusNotFoundError

__all__ = ["load_domain_tables"]


def load_domain_tables(names: Sequence[str], *, synthetic: str | SyntheticConfig | None = None,
                       root: str | os.PathLike[str] | None = None,
                       progress: bool = False) -> dict[str, pd.DataFrame]:
    """One metadata table per domain name, in the order given.

    Args:
        names: domain names: corpus ids (pooled with ``+``), or synthetic languages when
            ``synthetic`` is given.
        synthetic: a synthetic corpus profile name (``"smoke"``) or config; the corpus is
            generated once under ``$SERLIB_CACHE/synthetic`` and each name selects one
            of its languages. None: the names are real corpora.
        root: the data root of the real corpora (default ``$SERLIB_DATA``).
        progress: show corpus-scanning progress.

    Returns:
        ``{name: table}``, each with the columns of :func:`~serlib.data.load_corpus` and a
        fresh index.

    Raises:
        CorpusNotFoundError: a corpus is not on disk (the message says how to get it), or
            a name is not a language of the synthetic corpus.

    Example:
        >>> tables = load_domain_tables(["ravdess", "emodb"])  # doctest: +SKIP
        >>> tables = load_domain_tables(["lang_a", "lang_b"], synthetic="smoke")  # doctest: +SKIP

    Chapter: book/02_corpora.md
    """
    names = list(dict.fromkeys(names))
    if synthetic is None:
        return {name: load_corpora(name.split("+"), root, progress=progress)
                for name in names}
    config = synthetic_config(synthetic) if isinstance(synthetic, str) else synthetic
    unknown = [n for n in names if n not in config.languages]
    if unknown:
        raise CorpusNotFoundError(f"{unknown} are not languages of the synthetic corpus "
                                  f"(it has {list(config.languages)}); pass synthetic=None "
                                  "for real corpora")
    corpus = generate_corpus(cache_root() / "synthetic", config)
    return {name: corpus[corpus["language"] == name].reset_index(drop=True) for name in names}
