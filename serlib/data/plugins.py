"""Corpus plug-ins: add a corpus to serlib without editing serlib.

A plug-in is what a built-in corpus module holds, a :class:`~serlib.data.CorpusSpec` and a
file-name parser, registered at run time::

    from serlib.data import CorpusSpec, Utterance, NameParseError, register_corpus

    def parse_name(path):                      # "f01_t003_ANG.wav"
        ...                                    # -> Utterance(speaker="f01", emotion_raw="ANG")

    register_corpus(CorpusSpec(id="mylab", ...), parse_name, root="~/recordings/mylab")

From then on the corpus is an id like any other: :func:`~serlib.data.load_corpus`, domains of
experiments (``data: corpora``), ``serlib data summary`` and splits find it. ``root`` says
where its folder is when it is not ``$SERLIB_DATA/<id>``.

Registration lasts for the Python process. For command-line tools and worker processes, name
the plug-in modules in the ``SERLIB_CORPUS_PLUGINS`` environment variable (comma-separated
module names, importable from ``sys.path``), or publish them under the ``serlib.corpora``
entry-point group of a package; each module defines ``SPEC`` and, optionally, ``parse_name``
and ``ROOT``. They are loaded when :mod:`serlib.data` is imported; one that fails to load is
reported with a warning and left out (serlib itself still imports).

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from serlib.data.corpora import CORPORA, CorpusSpec, Utterance
from serlib.data.corpora.base import name_parser
from serlib.data.labels import VOCABULARY
from serlib.errors import CorpusNotFoundError, CorpusRegistrationError, DataWarning

__all__ = ["BUILTIN_CORPORA", "ENTRY_POINT_GROUP", "PLUGIN_ENV", "load_corpus_plugins",
           "register_corpus", "registered_root", "unregister_corpus"]

#: the corpora serlib ships (they cannot be unregistered)
BUILTIN_CORPORA: tuple[str, ...] = tuple(CORPORA)
#: environment variable naming plug-in modules, comma-separated
PLUGIN_ENV = "SERLIB_CORPUS_PLUGINS"
#: entry-point group of plug-ins published by packages
ENTRY_POINT_GROUP = "serlib.corpora"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = {"synthetic"}
_ROOTS: dict[str, Path] = {}


def _check_spec(spec: Any) -> None:
    """Raise CorpusRegistrationError naming the first field of ``spec`` that is wrong."""
    if not isinstance(spec, CorpusSpec):
        raise CorpusRegistrationError(f"expected a serlib.data.CorpusSpec, got "
                                      f"{type(spec).__name__}; build one with CorpusSpec(...)")

    def bad(field: str, why: str) -> CorpusRegistrationError:
        return CorpusRegistrationError(f"corpus spec {spec.id!r}: {field} {why}")

    if not isinstance(spec.id, str) or not _ID.match(spec.id):
        raise CorpusRegistrationError(
            f"corpus id {spec.id!r} must be lowercase letters, digits and '_', starting with "
            "a letter (it is also the folder name and appears in speaker ids)")
    if spec.id in _RESERVED:
        raise bad("id", "is reserved for serlib's synthetic corpus; choose another id")
    for name in ("name", "language", "licence", "source"):
        if not isinstance(getattr(spec, name), str) or not getattr(spec, name).strip():
            raise bad(name, "must be a non-empty string (write 'unknown' if it is)")
    if spec.fetch not in ("auto", "manual"):
        raise bad("fetch", f"is {spec.fetch!r}; use 'manual' for a corpus serlib does not "
                  "download (or 'auto')")
    if not isinstance(spec.native_rate, int) or spec.native_rate <= 0:
        raise bad("native_rate", f"is {spec.native_rate!r}; give the sample rate in Hz")
    if not isinstance(spec.emotions, Mapping) or not spec.emotions:
        raise bad("emotions", "must map each raw label to an emotion, e.g. {'ANG': 'anger'}")
    unknown = sorted({str(v) for v in spec.emotions.values()} - set(VOCABULARY))
    if unknown:
        raise bad("emotions", f"maps onto {unknown}, which are not in serlib's vocabulary "
                  f"{list(VOCABULARY)}; map each raw label onto one of these")
    if spec.expected_counts is not None:
        extra = sorted(set(spec.expected_counts) - set(spec.emotions.values()))
        if extra:
            raise bad("expected_counts", f"counts emotions {extra} that no raw label maps to")
    if spec.expected_files is not None and (not isinstance(spec.expected_files, int)
                                            or spec.expected_files < 0):
        raise bad("expected_files", f"is {spec.expected_files!r}; give a count or None")
    if not spec.extensions or any(not e.startswith(".") or e != e.lower()
                                  for e in spec.extensions):
        raise bad("extensions", f"are {spec.extensions!r}; give lowercase extensions with "
                  "the dot, e.g. ('.wav',)")
    if not callable(spec.make_parser):
        raise bad("make_parser", "must be callable (serlib.data.corpora.base.name_parser)")


def register_corpus(spec: CorpusSpec, parser: Callable[[Path], Utterance] | None = None, *,
                    root: str | os.PathLike[str] | None = None,
                    replace: bool = False) -> CorpusSpec:
    """Add a corpus to :data:`serlib.data.CORPORA` (see the module docstring).

    Args:
        spec: what the corpus is (id, language, licence, raw label -> emotion, ...).
        parser: the file-name parser, ``path -> Utterance``, raising
            :class:`~serlib.data.corpora.NameParseError` for a name outside the scheme. It
            replaces ``spec.make_parser``; None keeps the spec's own (e.g. one reading a
            label file of the corpus folder).
        root: the corpus folder, when it is not ``$SERLIB_DATA/<id>``.
        replace: allow replacing a corpus already registered under this id (a plug-in or a
            built-in one, e.g. to read a differently named copy).

    Returns:
        The registered spec.

    Raises:
        CorpusRegistrationError: the spec is malformed (the message names the field), the
            parser is not callable, or the id is taken and ``replace`` is False.
    """
    if parser is not None:
        if not callable(parser):
            raise CorpusRegistrationError(f"parser for corpus {getattr(spec, 'id', spec)!r} "
                                          "must be a function path -> Utterance")
        if isinstance(spec, CorpusSpec):
            spec = dataclasses.replace(spec, make_parser=name_parser(parser))
    _check_spec(spec)
    if spec.id in CORPORA and not replace:
        kind = "built-in" if spec.id in BUILTIN_CORPORA else "plug-in"
        raise CorpusRegistrationError(
            f"corpus id {spec.id!r} is already registered ({kind}: {CORPORA[spec.id].name}); "
            "choose another id, or pass replace=True to replace it")
    CORPORA[spec.id] = spec
    if root is not None:
        _ROOTS[spec.id] = Path(root).expanduser().absolute()
    else:
        _ROOTS.pop(spec.id, None)
    return spec


def unregister_corpus(corpus: str) -> CorpusSpec:
    """Remove a plug-in corpus (built-in corpora cannot be removed).

    Raises:
        CorpusNotFoundError: no corpus has this id.
        CorpusRegistrationError: it is a built-in corpus.
    """
    if corpus not in CORPORA:
        raise CorpusNotFoundError(f"no corpus {corpus!r} is registered; registered: "
                                  f"{', '.join(CORPORA)}")
    if corpus in BUILTIN_CORPORA:
        raise CorpusRegistrationError(f"{corpus!r} is a built-in corpus; it cannot be "
                                      "unregistered (register_corpus(..., replace=True) "
                                      "replaces it)")
    _ROOTS.pop(corpus, None)
    return CORPORA.pop(corpus)


def registered_root(corpus: str) -> Path | None:
    """The folder given when ``corpus`` was registered, or None (then ``$SERLIB_DATA/<id>``)."""
    return _ROOTS.get(corpus.lower())


def _register_module(module: ModuleType, *, replace: bool) -> CorpusSpec:
    spec = getattr(module, "SPEC", None)
    if spec is None:
        raise CorpusRegistrationError(f"plug-in module {module.__name__} defines no SPEC "
                                      "(a serlib.data.CorpusSpec)")
    return register_corpus(spec, getattr(module, "parse_name", None),
                           root=getattr(module, "ROOT", None), replace=replace)


def load_corpus_plugins(modules: Iterable[str] | None = None, *, entry_point_group: str | None
                        = ENTRY_POINT_GROUP, strict: bool = True,
                        replace: bool = False) -> list[str]:
    """Import plug-in modules and register their corpora.

    Args:
        modules: module names; None: those named in ``$SERLIB_CORPUS_PLUGINS``.
        entry_point_group: also load this entry-point group (each entry is a module or a
            ``CorpusSpec``); None: none.
        strict: raise on the first plug-in that fails; False: warn (:class:`DataWarning`)
            and go on (what importing :mod:`serlib.data` does).
        replace: passed to :func:`register_corpus`.

    Returns:
        The ids registered.

    Raises:
        CorpusRegistrationError: with ``strict``, a module cannot be imported or its spec
            is rejected (the message names the module).
    """
    if modules is None:
        modules = [m.strip() for m in os.environ.get(PLUGIN_ENV, "").split(",") if m.strip()]
    loaders: list[tuple[str, Callable[[], Any]]] = [
        (name, lambda name=name: importlib.import_module(name)) for name in modules]
    if entry_point_group:
        loaders += [(f"entry point {ep.name} ({ep.value})", ep.load)
                    for ep in entry_points(group=entry_point_group)]
    ids = []
    for what, load in loaders:
        try:
            obj = load()
            spec = (register_corpus(obj, replace=replace) if isinstance(obj, CorpusSpec)
                    else _register_module(obj, replace=replace))
            ids.append(spec.id)
        except Exception as err:  # a broken plug-in is named, never silently ignored
            message = f"corpus plug-in {what} could not be registered: {err}"
            if strict:
                raise CorpusRegistrationError(message) from err
            warnings.warn(message + f" (check {PLUGIN_ENV} or the package)", DataWarning,
                          stacklevel=2)
    return ids
