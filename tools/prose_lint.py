"""Lint the book's chapter sources and the numbers they glue (``python tools/prose_lint.py``).

Two kinds of check, both reported as sentences naming the file and the line (or the glue key):

On the MyST sources (``book/*.md``; fast, run by the unit tests):

- a Markdown line that starts with ``%``: MyST reads it as a comment and drops it, so a line
  such as ``% UAR on average)`` silently cuts a sentence in two;
- a code line longer than :data:`CODE_LINE_MAX` characters: it runs past the text column
  (the page scrolls it sideways) -- break it;
- a code cell that only glues values (``glue(...)`` calls, nothing else) and is shown: it
  is bookkeeping, tag it ``remove-input``;
- a plotting cell of :data:`BOILERPLATE_LINES` lines or more, at least
  :data:`BOILERPLATE_SHARE` of them figure boilerplate (``fig``/``ax``/``plt`` calls, axis
  labels, legends), shown in full: tag it ``hide-input`` (the reader opens it on demand),
  or keep the idea-bearing call in a cell of its own;
- a cell that is mostly gluing (:data:`GLUE_RUN` ``glue(...)`` calls or more, at least two
  thirds of its statements, no function defined) shown in full: tag it ``hide-input``;
- a cell with :data:`GLUE_HEAVY` ``glue(...)`` calls or more anywhere in it (in functions
  and loops too: the wording of the prose, assembled for the page) shown in full, outside
  an exercise's solution (which shows its code): tag it ``hide-input``.

On an executed chapter (:func:`check_glued_ranges`, run by ``build_book.py check`` after
each edition's execution): a glued number that the prose follows with a unit must lie in
that unit's range -- ``{glue:text}`uar_06:.1f` %`` in [0, 100], ``... UAR points`` in
[-100, 100], ``... standard deviations`` in [0, 10], ``... utterances``/``labels``/
``speakers`` at or above 0. ``serlib.book.glue(name, value, kind=...)`` checks a declared
range when the value is glued; this check catches the values whose kind the prose implies.
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: the longest code line a chapter may show: what the widened text column holds at 1280 px
#: (book/_static/custom.css) and the project's ruff line length
CODE_LINE_MAX = 99
#: a unit the prose puts after a glued number -> the range the number must lie in
UNIT_RANGES: tuple[tuple[re.Pattern, tuple[float, float], str], ...] = (
    (re.compile(r"^\s*(?:UAR\s+)?points?\b"), (-100.0, 100.0), "a difference in points"),
    (re.compile(r"^\s*%"), (0.0, 100.0), "a percentage"),
    (re.compile(r"^\s*(?:source\s+)?standard deviations?\b"), (0.0, 10.0),
     "a distance in standard deviations"),
    (re.compile(r"^\s*(?:\w+\s+)?(?:utterances|labels|speakers|recordings|epochs)\b"),
     (0.0, math.inf), "a count"),
)
#: a plotting cell this long, and this much boilerplate, is hidden behind a toggle
BOILERPLATE_LINES = 10
BOILERPLATE_SHARE = 0.75
#: this many glue calls, two thirds of a cell's statements, make it bookkeeping
GLUE_RUN = 5
#: glue calls anywhere in a shown cell from which it is bookkeeping (see the docstring)
GLUE_HEAVY = 8
_PLOT_LINE = re.compile(
    r"\s*(?:fig|axes|ax|ax_\w+|twin|plt|handles|colors)\b|\s*(?:for|if|else)\b.*:\s*$"
    r"|\s*\w+\.(?:plot|bar|barh|scatter|hist|axhline|axvline|hlines|vlines|legend|text|"
    r"errorbar|annotate|fill_between|imshow|tick_params|set_\w+|set)\("
    r"|\s+(?!\s|glue\(|return\b)[^=]*[,)];?\s*$")  # an indented continuation line
_GLUE_TEXT = re.compile(r"\{glue(?::text)?\}`([A-Za-z0-9_-]+)(?::[^`]*)?`")
_FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})")


def _cells(text: str):
    """(kind, first line number, lines, options) for every block of a MyST notebook:
    kind is ``code`` (a code cell), ``fence`` (any other fenced block) or ``markdown``."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0] == "---":  # front matter
        start = next((i + 1 for i in range(1, len(lines)) if lines[i] == "---"), 0)
    i, block, block_start = start, [], start
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence and not line.startswith(":::"):
            if block:
                yield "markdown", block_start + 1, block, []
            marker = fence.group(1)
            kind = "code" if "{code-cell}" in line else "fence"
            body, options, j = [], [], i + 1
            while j < len(lines) and not (lines[j].startswith(marker)
                                          and lines[j].strip() == marker):
                body.append(lines[j])
                j += 1
            if kind == "code":
                while body and body[0].startswith(":"):
                    options.append(body.pop(0))
                if body and body[0] == "---":  # YAML options block
                    end = body.index("---", 1) if "---" in body[1:] else 0
                    options += body[:end + 1]
                    body = body[end + 1:]
            else:  # a fence's options are its opening line (e.g. ```{solution-start} ex-03-1)
                yield kind, i + 2, body, [line]
                i, block, block_start = j + 1, [], j + 1
                continue
            yield kind, i + 2 + len(options), body, options
            i, block, block_start = j + 1, [], j + 1
            continue
        block.append(line)
        i += 1
    if block:
        yield "markdown", block_start + 1, block, []


def _glue_calls(body: list[str]) -> tuple[int, int, bool, int]:
    """(top-level glue calls, top-level statements, whether it defines a function or class,
    glue calls anywhere: in functions, loops and branches too), from one parse."""
    try:
        tree = ast.parse("\n".join(body))
    except SyntaxError:
        return 0, 0, False, 0

    def is_glue(node: ast.AST) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "glue")

    calls = sum(isinstance(node, ast.Expr) and is_glue(node.value) for node in tree.body)
    defines = any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)
    return calls, len(tree.body), defines, sum(map(is_glue, ast.walk(tree)))


def lint_source(text: str, where: str) -> list[str]:
    """Problems of one chapter source (see the module docstring)."""
    problems = []
    in_math = in_solution = False
    for kind, first, body, options in _cells(text):
        if kind == "fence" and options[0].lstrip("`").startswith(("{solution-start",
                                                                   "{solution-end")):
            in_solution = options[0].lstrip("`").startswith("{solution-start")
        if kind == "markdown":
            for offset, line in enumerate(body):
                stripped = line.strip()
                if stripped.count("$$") % 2:  # a display equation opens or closes
                    in_math = not in_math
                if line.startswith("%") and not in_math:
                    problems.append(f"{where}:{first + offset}: the line starts with '%', "
                                    "which MyST reads as a comment and drops from the page "
                                    f"({line[:50]!r}): move the '%' to the previous line")
        elif kind == "code":
            for offset, line in enumerate(body):
                if len(line) > CODE_LINE_MAX:
                    problems.append(f"{where}:{first + offset}: code line of {len(line)} "
                                    f"characters (at most {CODE_LINE_MAX} fit the column): "
                                    "break it")
            tags = " ".join(options)
            calls, statements, defines, heavy = _glue_calls(body)
            only_glue = bool(calls) and calls == statements
            mostly_glue = calls >= GLUE_RUN and 3 * calls >= 2 * statements and not defines
            hidden = re.search(r"(hide|remove)-(input|cell)", tags)
            if only_glue and not re.search(r"remove-(input|cell)", tags):
                problems.append(f"{where}:{first}: a cell that only glues values is shown "
                                "to readers: tag it `:tags: [remove-input]`")
            if not only_glue and mostly_glue and not hidden:
                problems.append(f"{where}:{first}: {calls} of the cell's {statements} "
                                "statements glue values (bookkeeping), shown in full: tag it "
                                "`:tags: [hide-input]`")
            if (heavy >= GLUE_HEAVY and not in_solution  # a solution shows its code
                    and not hidden and not mostly_glue):
                problems.append(f"{where}:{first}: {heavy} glue calls: the cell assembles the "
                                "prose's wording (bookkeeping), shown in full: tag it "
                                "`:tags: [hide-input]`")
            lines = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
            plotting = sum(bool(_PLOT_LINE.match(line)) for line in lines)
            if ("subplots(" in "\n".join(body) and len(lines) >= BOILERPLATE_LINES
                    and plotting >= BOILERPLATE_SHARE * len(lines)
                    and not re.search(r"(hide|remove)-(input|cell)", tags)):
                problems.append(f"{where}:{first}: {plotting} of the cell's {len(lines)} lines "
                                "are plotting boilerplate, shown in full: tag it "
                                "`:tags: [hide-input]`")
    return problems


def glued_values(notebook) -> dict[str, str]:
    """The plain-text value of every key a notebook glued (myst-nb's scrapbook outputs)."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:  # myst-nb stores it as application/papermill.record/text/plain
                data = output.get("data", {})
                values[name] = str(next((v for k, v in data.items()
                                         if k.endswith("text/plain")), ""))
    return values


def _number(text: str) -> float | None:
    text = text.strip().strip("'\"")
    match = re.fullmatch(r"(?:np\.float\d*\()?(-?[\d.]+(?:e[-+]?\d+)?|nan|inf|-inf)\)?", text)
    return float(match.group(1)) if match else None


def check_glued_ranges(notebook, where: str) -> list[str]:
    """Glued numbers outside the range of the unit the prose gives them (module docstring)."""
    values = glued_values(notebook)
    problems = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for match in _GLUE_TEXT.finditer(cell.source):
            key, after = match.group(1), cell.source[match.end():match.end() + 40]
            number = _number(values.get(key, ""))
            if number is None or math.isnan(number):
                continue
            for pattern, (low, high), what in UNIT_RANGES:
                if pattern.match(after):
                    if not low <= number <= high:
                        problems.append(
                            f"{where}: glued {key} = {number:g} is shown as {what} "
                            f"({after.strip()[:25]!r} follows it) but lies outside "
                            f"[{low:g}, {high:g}]: the computation is wrong")
                    break
    return problems


def chapter_files() -> list[Path]:
    return sorted((REPO / "book").glob("*.md"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="chapter sources (default: book/*.md)")
    args = parser.parse_args(argv)
    files = [Path(f) for f in args.files] or chapter_files()
    problems = []
    for path in files:
        rel = path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path
        problems += lint_source(path.read_text(encoding="utf-8"), str(rel))
    for problem in problems:
        print(f"[prose-lint] {problem}")
    print(f"[prose-lint] {len(files)} file(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
