"""The ``serlib`` command line: ``serlib data ...``, ``serlib experiment ...``, ``serlib predict``.

Each sub-command lives in its own module of this package and registers itself with an
``add_parser(subparsers)`` function that sets ``func`` on its parser.

Chapter: book/intro.md
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from serlib.errors import SerlibError

__all__ = ["main"]

#: sub-command modules of this package, in the order ``serlib --help`` lists them
_COMMANDS = ("data", "experiment", "predict")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="serlib",
        description="Cross-lingual speech emotion recognition: corpora, experiments, inference.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"serlib.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (errors print one clear line)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SerlibError as err:
        print(f"serlib: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
