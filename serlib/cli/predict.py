"""``serlib predict``: emotion probabilities of your recordings with a saved model.

::

    serlib predict MODEL.pt hello.wav angry.flac           # a table, one row per file
    serlib predict MODEL.pt *.wav --json                   # JSON, for scripts

``MODEL.pt`` is a model bundle: ``serlib experiment run`` saves one per run (in the
``<results>-models`` folder), ``serlib.adapt.save_model_bundle`` writes your own. It holds
the label set, the front-end and the normalisation statistics, so nothing else is needed.

Chapter: book/11_your_language.md
"""

from __future__ import annotations

import argparse
import json

from serlib.adapt.bundle import load_model_bundle
from serlib.experiments.recordings import predict_recordings

__all__ = ["add_parser"]


def _predict(args: argparse.Namespace) -> int:
    bundle = load_model_bundle(args.model)
    table = predict_recordings(bundle, args.files)
    if args.json:
        print(json.dumps({"labels": list(bundle.labels),
                          "predictions": table.to_dict(orient="records")}, indent=2))
        return 0
    shown = table.copy()
    for label in bundle.labels:
        shown[label] = [f"{100 * p:.1f}" for p in shown[label]]
    print(f"model: {args.model} ({bundle.metadata.get('method', '?')}, "
          f"{bundle.metadata.get('source', '?')} → {bundle.metadata.get('target', '?')}); "
          "probabilities in %")
    print(shown.to_markdown(index=False, disable_numparse=True))
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serlib predict``."""
    parser = subparsers.add_parser("predict", help="emotion probabilities of recordings")
    parser.add_argument("model", help="a model bundle (.pt) saved by serlib")
    parser.add_argument("files", nargs="+", help="audio files (WAV, FLAC, AIFF, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_predict)
