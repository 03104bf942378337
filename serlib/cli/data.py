"""``serlib data``: list, fetch, verify and summarise corpora.

::

    serlib data list                       # corpora, languages, licences, status on disk
    serlib data fetch ravdess              # download + verify into $SERLIB_DATA/ravdess
    serlib data fetch savee --from-dir ~/Downloads/AudioData   # import a manual corpus
    serlib data verify emodb               # file and per-emotion counts vs the published ones
    serlib data summary emodb --label-set agarla5   # counts by emotion x speaker

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "corpus_status"]


def corpus_status(corpus: str) -> str:
    """``absent``, ``incomplete`` or ``present (n/expected files)`` under the data root.

    ``n`` counts the files whose names the corpus' parser accepts, as ``serlib data verify``
    and :func:`serlib.data.load_corpus` do (list, verify and load agree); audio files with
    other names are counted apart.
    """
    from serlib.data import CORPORA, corpus_dir
    from serlib.data.corpora.base import NameParseError
    from serlib.data.scan import INCOMPLETE_MARKER, find_audio

    spec = CORPORA[corpus]
    folder = corpus_dir(corpus)
    if not folder.is_dir():
        return "absent"
    if (folder / INCOMPLETE_MARKER).exists():
        return "incomplete"
    parse = spec.make_parser(folder)
    paths = find_audio(spec, folder)
    n = 0
    for path in paths:
        try:
            n += parse(path).emotion_raw in spec.emotions
        except NameParseError:
            pass
    expected = spec.expected_files if spec.expected_files is not None else "?"
    other = f"; {len(paths) - n} other audio names" if n < len(paths) else ""
    return f"present ({n}/{expected} files{other})"


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from serlib.data import CORPORA, data_root

    rows = [{"id": s.id, "language": s.language, "licence": s.licence, "fetch": s.fetch,
             "status": corpus_status(s.id)} for s in CORPORA.values()]
    print(f"data root: {data_root()}  (set SERLIB_DATA to change it)")
    print(pd.DataFrame(rows).to_string(index=False))
    if args.long:
        for spec in CORPORA.values():
            print(f"\n{spec.id}: {spec.name}\n  source: {spec.source}\n  native rate: "
                  f"{spec.native_rate} Hz, files: {spec.expected_files}"
                  + (f"\n  note: {spec.notes}" if spec.notes else ""))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from serlib.data import CORPORA, fetch_corpus, manual_instructions

    spec = CORPORA.get(args.corpus)
    if spec is not None and spec.fetch == "manual" and args.from_dir is None:
        print(f"{spec.id} is not downloaded by serlib (licence or registration required).\n"
              + manual_instructions(spec.id))
        return 1
    path = fetch_corpus(args.corpus, dest_root=args.dest, from_dir=args.from_dir,
                        force=args.force, verify=not args.no_verify)
    print(f"{args.corpus}: ready at {path}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from serlib.data import verify_corpus

    report = verify_corpus(args.corpus, args.root, raise_on_error=False)
    print(report.summary())
    return 0 if report.ok else 1


def _summary(args: argparse.Namespace) -> int:
    from serlib.data import apply_label_set, load_corpus, mapping_counts, summarize_corpus

    table = load_corpus(args.corpus, args.root)
    if args.label_set:
        print(mapping_counts(table, args.label_set, merges=args.merge).to_string(), "\n")
        table = apply_label_set(table, args.label_set, merges=args.merge)
    print(summarize_corpus(table).to_string())
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib data`` and its sub-commands."""
    parser = subparsers.add_parser("data", help="list, fetch, verify and summarise corpora")
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    p = sub.add_parser("list", help="supported corpora and their status on disk")
    p.add_argument("--long", action="store_true", help="also show sources and notes")
    p.set_defaults(func=_list)

    p = sub.add_parser("fetch", help="download (or import with --from-dir) and verify")
    p.add_argument("corpus")
    p.add_argument("--from-dir", help="import this folder instead of downloading")
    p.add_argument("--dest", help="data root to install into (default: $SERLIB_DATA)")
    p.add_argument("--force", action="store_true", help="replace an existing copy")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the count check (only for a copy known to differ)")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("verify", help="compare a copy with the published counts")
    p.add_argument("corpus")
    p.add_argument("--root", help="corpus folder or data root (default: $SERLIB_DATA)")
    p.set_defaults(func=_verify)

    p = sub.add_parser("summary", help="counts by emotion x speaker")
    p.add_argument("corpus")
    p.add_argument("--root", help="corpus folder or data root (default: $SERLIB_DATA)")
    p.add_argument("--label-set", help="map onto a label set (agarla5, shared4, shared6, "
                                       "baklouti7; an unknown name lists them)")
    p.add_argument("--merge", action="append", default=[],
                   help="explicit merge applied before the label set (repeatable; e.g. "
                        "calm_as_boredom)")
    p.set_defaults(func=_summary)
