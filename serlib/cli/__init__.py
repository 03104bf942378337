"""The ``serlib`` command line: ``serlib data ...``, ``serlib experiment ...``, ``serlib predict``.

Each sub-command lives in its own module of this package and registers itself with an
``add_parser(subparsers)`` function that sets ``func`` on its parser.

The command line never prints a Python traceback for a user's input or environment:
serlib's own errors, and what the system refuses (a full disk, a read-only folder, a path
through a file), are one ``serlib: error: ...`` line (exit status 2 for serlib errors, 1 for
the environment); an unexpected error is one line saying so. A closed pipe
(``serlib predict ... | head -1``) ends the command silently, and Ctrl-C ends it with status
130. ``SERLIB_DEBUG=1`` shows the traceback of any of these.

Chapter: book/intro.md
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    debug = os.environ.get("SERLIB_DEBUG", "") not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        if debug:
            raise
        _silence_stdout()
        return 0
    except SerlibError as err:
        if debug:
            raise
        print(f"serlib: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("serlib: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"serlib: error: {where}{err.strerror or err} ({type(err).__name__}); check "
              "the path, the free space and the permissions (SERLIB_DEBUG=1 shows the "
              "traceback)", file=sys.stderr)
        return 1
    except Exception as err:  # a bug: one line, the traceback on request
        if debug:
            raise
        print(f"serlib: unexpected error: {type(err).__name__}: {err}\nThis is probably a "
              "bug in serlib; run again with SERLIB_DEBUG=1 for the traceback and report it",
              file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (tests, notebooks)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
