"""The registry of supported corpora: one small module per corpus.

To add a corpus, write ``serlib/data/corpora/<id>.py`` with a ``SPEC`` (see
:class:`~serlib.data.corpora.base.CorpusSpec`) and a ``parse_name`` function, add the module
name to :data:`_MODULES` below, add its download source (or manual instructions) to
:mod:`serlib.data.registry`, and give its parser a test on real file names.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import importlib

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance
from serlib.errors import UnknownCorpusError

__all__ = ["CORPORA", "CorpusSpec", "NameParseError", "Utterance", "corpus_ids", "get_corpus"]

#: corpus modules, in the order ``serlib data list`` shows them
_MODULES = ("emodb", "ravdess", "tess", "savee", "cafe", "emovo", "shemo", "iemocap", "nemo",
            "urdu", "ased", "turevdb")

#: corpus id -> spec
CORPORA: dict[str, CorpusSpec] = {
    name: importlib.import_module(f"serlib.data.corpora.{name}").SPEC for name in _MODULES
}


def corpus_ids() -> tuple[str, ...]:
    """The ids of every supported real corpus."""
    return tuple(CORPORA)


def get_corpus(corpus: str) -> CorpusSpec:
    """The spec of ``corpus``.

    Raises:
        UnknownCorpusError: for an unknown id (the message lists the known ones; this is a
            wrong id, not a corpus missing from disk).
    """
    try:
        return CORPORA[str(corpus).lower()]
    except KeyError:
        raise UnknownCorpusError(
            f"unknown corpus id {corpus!r} (a wrong name, not a missing folder); supported: "
            f"{', '.join(CORPORA)} (and 'synthetic' for a folder made by "
            "serlib.data.generate_corpus; register your own with serlib.data.register_corpus)"
        ) from None
