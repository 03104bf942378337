"""``serlib predict``: emotion probabilities of your recordings with a saved model.

::

    serlib predict MODEL.pt hello.wav angry.flac           # a table, one row per file
    serlib predict MODEL.pt *.wav --json                   # JSON, for scripts
    serlib predict MODEL.pt speaker1/*.wav --calibrate     # statistics from these files

``MODEL.pt`` is a model bundle: ``serlib experiment run`` saves one per run (in the
``<results>-models`` folder), ``serlib.experiments.save_model_bundle`` writes your own. It
holds the label set, the front-end and the normalisation statistics, so nothing else is
needed. A file that cannot be read is reported (which file, why) and the others are still
predicted; the exit code is then 1. A recording longer than 10 minutes (by its header;
``SERLIB_MAX_DURATION=<seconds>`` changes the limit) is refused before it is decoded; a long
one is predicted in 30-second windows whose probabilities are averaged, in bounded memory.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser"]


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from serlib.errors import SerlibError
    from serlib.experiments.bundles import load_model_bundle
    from serlib.experiments.recordings import predict_recordings

    bundle = load_model_bundle(args.model)
    if args.calibrate:  # one estimate from every file: a file that cannot be read stops it
        from serlib.experiments.calibration import calibrated_bundle

        try:
            bundle = calibrated_bundle(bundle, args.files)
        except (SerlibError, ValueError) as err:
            print(f"serlib: error: --calibrate: {err}", file=sys.stderr)
            return 1
    tables, failed = [], []
    for file in args.files:
        try:
            tables.append(predict_recordings(bundle, [file]))
        except SerlibError as err:
            failed.append({"file": file, "error": str(err)})
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
    if len(table):
        shown = table.copy()
        for label in bundle.labels:
            shown[label] = [f"{100 * p:.1f}" for p in shown[label]]
        print(shown.to_markdown(index=False, disable_numparse=True))
    if failed:
        print(f"{len(failed)} of {len(args.files)} file(s) could not be predicted (above)",
              file=sys.stderr)
    return 1 if failed else 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib predict``."""
    parser = subparsers.add_parser("predict", help="emotion probabilities of recordings")
    parser.add_argument("model", help="a model bundle (.pt) saved by serlib")
    parser.add_argument("files", nargs="+", help="audio files (WAV, FLAC, AIFF, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--calibrate", action="store_true",
                        help="re-estimate the model's statistics on these files first (>= 10 "
                             "distinct unlabelled recordings of one speaker or corpus; no "
                             "labels)")
    parser.set_defaults(func=_predict)
