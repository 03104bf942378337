"""``serlib predict``: emotion probabilities of your recordings with a saved model.

::

    serlib predict MODEL.pt hello.wav angry.flac           # a table, one row per file
    serlib predict MODEL.pt *.wav --json                   # JSON, for scripts
    serlib predict MODEL.pt speaker1/*.wav --calibrate     # statistics from these files
    serlib predict MODEL.pt anna/*.wav --speaker anna      # all files: one speaker
    serlib predict MODEL.pt --speakers who.csv             # columns path, speaker

``MODEL.pt`` is a model bundle: ``serlib experiment run`` saves one per run (in the
``<results>-models`` folder), ``serlib.experiments.save_model_bundle`` writes your own. It
holds the label set, the front-end and the normalisation statistics, so nothing else is
needed. A file that cannot be read is reported (which file, why) and the others are still
predicted; the exit code is then 1. A recording longer than 10 minutes (by its header;
``SERLIB_MAX_DURATION=<seconds>`` changes the limit) is refused before it is decoded; a long
one is predicted in 30-second windows whose probabilities are averaged, in bounded memory.

A bundle trained with speaker-level test-time settings (``frames: speaker``, ``normalize:
speaker``, ``refine: speaker_centroids``) applies them when you say who speaks
(``--speaker NAME`` for all the files, or ``--speakers CSV`` with columns ``path`` and
``speaker``), to each speaker's recordings together; otherwise, and for a speaker with fewer
than 5 recordings, it takes the inductive path. The column ``test_time_info`` says which
path each recording took. With speakers, one unreadable file stops the whole batch.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["add_parser"]


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from serlib.errors import SerlibError
    from serlib.experiments.bundles import load_model_bundle
    from serlib.experiments.recordings import predict_recordings

    bundle = load_model_bundle(args.model)
    try:
        files, speakers = _speakers(args)
    except ValueError as err:
        print(f"serlib: error: {err}", file=sys.stderr)
        return 2
    if args.calibrate and speakers is not None:
        print("serlib: error: use --calibrate or --speaker/--speakers, not both",
              file=sys.stderr)
        return 2
    if args.calibrate:  # one estimate from every file: a file that cannot be read stops it
        from serlib.experiments.calibration import calibrated_bundle

        try:
            bundle = calibrated_bundle(bundle, files)
        except (SerlibError, ValueError) as err:
            print(f"serlib: error: --calibrate: {err}", file=sys.stderr)
            return 1
    tables, failed = [], []
    batches = [(files, speakers)] if speakers is not None else [([f], None) for f in files]
    for batch, who in batches:
        try:
            tables.append(predict_recordings(bundle, batch, speakers=who))
        except SerlibError as err:
            failed.extend({"file": file, "error": str(err)} for file in batch)
            print(f"serlib: error: {err}", file=sys.stderr)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if args.json:
        print(json.dumps({"labels": list(bundle.labels),
                          "predictions": table.to_dict(orient="records"),
                          "failed": failed}, indent=2))
        return 1 if failed else 0
    meta = bundle.metadata
    print(f"model: {args.model} ({meta.get('method', '?')}, {meta.get('source', '?')} → "
          f"{meta.get('target', '?')}, trained on {meta.get('data', '?')} data); "
          "probabilities in %")
    trained = meta.get("test_time")
    if isinstance(trained, dict):
        print("trained and scored with test-time information "
              f"{trained.get('test_time_info', '?')} (frames: {trained.get('frames', '-')}, "
              f"normalize: {trained.get('normalize', '-')}, refine: "
              f"{trained.get('refine', '-')}); each row says which path it took")
    if len(table):
        shown = table.copy()
        for label in bundle.labels:
            shown[label] = [f"{100 * p:.1f}" for p in shown[label]]
        if "speaker" in shown:  # no speaker given: the inductive path
            shown["speaker"] = shown["speaker"].fillna("-")
        print(shown.to_markdown(index=False, disable_numparse=True))
    if failed:
        print(f"{len(failed)} of {len(files)} file(s) could not be predicted (above)",
              file=sys.stderr)
    return 1 if failed else 0


def _speakers(args: argparse.Namespace) -> tuple[list[str], list[str] | None]:
    """The files to predict and their speakers (None: not given).

    Raises:
        ValueError: a CSV that cannot be read, lacks a column, or does not list the files.
    """
    files = list(args.files)
    if args.speaker is not None and args.speakers is not None:
        raise ValueError("use --speaker or --speakers, not both")
    if args.speaker is not None:
        if not files:
            raise ValueError("--speaker: give the files of that speaker")
        return files, [args.speaker] * len(files)
    if args.speakers is None:
        if not files:
            raise ValueError("give at least one audio file (or --speakers CSV)")
        return files, None
    import pandas as pd

    try:
        table = pd.read_csv(args.speakers, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"--speakers {args.speakers}: cannot read it as CSV ({err})") from None
    missing = [c for c in ("path", "speaker") if c not in table.columns]
    if missing:
        raise ValueError(f"--speakers {args.speakers}: no column {missing}; it has "
                         f"{list(table.columns)}; write a header line `path,speaker`")
    key = {str(Path(p).resolve()): str(s) for p, s in zip(table["path"], table["speaker"],
                                                           strict=True)}
    if not files:
        return list(table["path"]), list(table["speaker"])
    unknown = [f for f in files if str(Path(f).resolve()) not in key]
    if unknown:
        raise ValueError(f"--speakers {args.speakers}: no row for {unknown[:3]}"
                         f"{' ...' if len(unknown) > 3 else ''}; add a row `path,speaker` "
                         "for every file")
    return files, [key[str(Path(f).resolve())] for f in files]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib predict``."""
    parser = subparsers.add_parser("predict", help="emotion probabilities of recordings")
    parser.add_argument("model", help="a model bundle (.pt) saved by serlib")
    parser.add_argument("files", nargs="*", help="audio files (WAV, FLAC, AIFF, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--calibrate", action="store_true",
                        help="re-estimate the model's statistics on these files first (>= 10 "
                             "distinct unlabelled recordings of one speaker or corpus; no "
                             "labels)")
    parser.add_argument("--speaker", metavar="NAME",
                        help="all the files come from this one speaker: apply the model's "
                             "speaker-level test-time settings to them together")
    parser.add_argument("--speakers", metavar="CSV",
                        help="a CSV with columns path, speaker (the files to predict, if none "
                             "are given): speaker-level settings per speaker")
    parser.set_defaults(func=_predict)
