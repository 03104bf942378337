"""Every command the docs and chapters show uses options its program accepts.

A flag renamed or removed in a script (``benchmarks/cross_lingual.py --refine`` became
``--test-time``) left the README and a chapter telling readers to type a command that fails;
this test reads every ``serlib ...``, ``python benchmarks/NAME.py ...`` and
``python tools/NAME.py ...`` in the Markdown a reader sees and checks each ``--option``
against the program's own parser.
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "configs" / "README.md",
               *(ROOT / "book").glob("*.md"), *(ROOT / "book" / "_includes").glob("*.md")])
SERLIB = re.compile(r"(?<![\w/.-])serlib ((?:data|experiment|predict)\b[^`\n#]*)")
SCRIPT = re.compile(r"python (?:-m )?((?:benchmarks|tools)/\w+\.py)([^`\n#]*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _commands() -> list[tuple[str, int, str, str, list[str]]]:
    """(file, line, kind, program, options) of every documented command."""
    found = []
    for path in DOCS:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = str(path.relative_to(ROOT))
            for match in SERLIB.finditer(line):
                found.append((where, number, "serlib", match.group(1),
                              OPTION.findall(match.group(1))))
            for match in SCRIPT.finditer(line):
                found.append((where, number, "script", match.group(1),
                              OPTION.findall(match.group(2))))
    return [c for c in found if c[4]]


def _serlib_options(words: list[str]) -> set[str]:
    """The options the ``serlib`` sub-command named by ``words`` accepts."""
    from serlib.cli import build_parser

    parser = build_parser()
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or word not in subs[0].choices:
            break
        parser = subs[0].choices[word]
    return {s for a in parser._actions for s in a.option_strings}


@functools.cache
def _script_help(script: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / script), "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{script} --help failed: {result.stderr[-500:]}"
    return result.stdout


COMMANDS = _commands()


def test_the_docs_show_commands_with_options():
    assert len(COMMANDS) > 10  # the scan finds the README's and the chapters' commands


@pytest.mark.parametrize(("where", "line", "kind", "program", "options"), COMMANDS,
                         ids=[f"{c[0]}:{c[1]}" for c in COMMANDS])
def test_every_documented_option_exists(where, line, kind, program, options):
    if kind == "serlib":
        known = _serlib_options(program.split())
        unknown = [o for o in options if o not in known]
    else:
        if not (ROOT / program).is_file():
            pytest.fail(f"{where}:{line}: {program} does not exist")
        text = _script_help(program)
        unknown = [o for o in options if not re.search(re.escape(o) + r"(?![\w-])", text)]
    assert not unknown, (f"{where}:{line}: `{kind} {program}` has no option(s) {unknown}; "
                         "update the command to the program's current --help")
