"""The student edition: the same chapters with every solution removed, exercises kept.

Chapters write solutions as *gated* sphinx-exercise blocks, which may span several cells::

    ```{solution-start} ex-06-1
    :class: dropdown
    ```
    (Markdown, code cells, more Markdown)
    ```{solution-end}
    ```

or as a single ``{solution}`` directive inside one Markdown cell. sphinx-exercise's own
``hide_solutions`` option crashes on gated blocks (``NotImplementedError: unknown node type:
solution_end_node``), so the pipeline removes them itself, from the notebooks (executed or
not): every code cell between ``solution-start`` and ``solution-end`` goes with its outputs,
and the Markdown between them is cut out of the cells that hold it. Exercises stay, and keep
their numbers (sphinx-exercise numbers exercises, not solutions).

Exercises that a student completes are a code cell tagged ``exercise-stub`` (the function
to write, its body raising ``NotImplementedError``), the gated solution, and a code cell
tagged ``exercise-check`` (``check("ex-05-5", uar_from_confusion)``). The executed notebooks
hold the check's output on the *reference* solution (``PASS``); the student edition shows
what the student will see before writing anything: :func:`strip_notebook` runs each stub cell
and its check cell (self-contained by contract: they import what they use) in a fresh
namespace and puts that output (``FAIL ... not written yet``) under the check cell.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re

import nbformat

__all__ = ["CHECK_TAG", "STUB_TAG", "SolutionBlockError", "StubCheckError", "solution_mask",
           "strip_notebook", "strip_text", "stub_check_output", "stub_exercise"]

STUB_TAG, CHECK_TAG = "exercise-stub", "exercise-check"

_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*\{(?P<name>solution"
                   r"(?:-start|-end)?)\}")


class SolutionBlockError(ValueError):
    """A gated solution block is not closed, or closed without being opened."""


class StubCheckError(SolutionBlockError):
    """A check cell has no stub cell before it, or the stub and its check do not run alone."""


def stub_check_output(stub: str, check: str, *, where: str = "") -> str:
    """What ``check`` prints after ``stub`` ran, both in a fresh namespace (the student's view).

    Raises:
        StubCheckError: the two cells raise (they must run on their own, the check printing
            a ``FAIL`` report for the untouched stub).
    """
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(stub, f"<{where} stub>", "exec"), namespace)
            exec(compile(check, f"<{where} check>", "exec"), namespace)
    except Exception as err:
        raise StubCheckError(f"{where}: the stub and its check cell raised "
                             f"{type(err).__name__}: {err}; they must run on their own (import "
                             "what they use) and the check must only print for a stub") from err
    return out.getvalue()


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _skip_directive(lines: list[str], start: int, fence: str) -> int:
    """Index of the line after the directive that opens at ``lines[start]``."""
    closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index + 1
    return len(lines)


def strip_text(text: str, inside: bool = False, *, where: str = "") -> tuple[str, bool]:
    """Remove solutions from one Markdown cell.

    Args:
        text: the cell's Markdown.
        inside: whether the cell starts inside a gated solution (opened in an earlier cell).
        where: names the cell in error messages (e.g. ``book/06_x.md, cell 40``).

    Returns:
        The Markdown without solutions, and whether the cell ends inside a gated solution.

    Raises:
        SolutionBlockError: a ``solution-end`` without a ``solution-start``, or a
            ``solution-start`` inside another one.
    """
    lines = text.split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index])
        name = match.group("name") if match else None
        if name == "solution-start":
            if inside:
                raise SolutionBlockError(f"{where}: solution-start inside an open solution; "
                                         "close the first one with solution-end")
            index, inside = _skip_directive(lines, index, match.group("fence")), True
        elif name == "solution-end":
            if not inside:
                raise SolutionBlockError(f"{where}: solution-end without solution-start")
            index, inside = _skip_directive(lines, index, match.group("fence")), False
        elif name == "solution" and not inside:
            index = _skip_directive(lines, index, match.group("fence"))
        else:
            if not inside:
                kept.append(lines[index])
            index += 1
    return "\n".join(kept).strip("\n"), inside


def solution_mask(cells: list, *, where: str = "") -> list[bool]:
    """For each cell, whether it lies wholly inside a gated solution (code cells only).

    Raises:
        SolutionBlockError: a gated block is left open at the end of the notebook.
    """
    mask, inside = [], False
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            mask.append(False)
            _, inside = strip_text(cell.source, inside, where=f"{where}, cell {index}")
        else:
            mask.append(inside)
    if inside:
        raise SolutionBlockError(f"{where}: a solution-start is never closed with solution-end")
    return mask


def stub_exercise(notebook, label: str):
    """A small notebook of one stub exercise: its statement, stub, solution and check cell.

    The full edition's view; :func:`strip_notebook` of it is what a student starts from. The
    tests and the autograder's tests build their notebooks with it from the chapters.

    Raises:
        ValueError: ``label`` is not a stub exercise of ``notebook``.
    """
    small = copy.deepcopy(notebook)
    cells = small.cells
    opening = f":label: {label}"
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and opening in c.source and "exercise-start" in c.source), None)
    if start is None:
        raise ValueError(f"no exercise {label} in the notebook")
    end = next((i for i in range(start, len(cells)) if CHECK_TAG in _tags(cells[i])), None)
    if end is None or not any(STUB_TAG in _tags(c) for c in cells[start:end]):
        raise ValueError(f"exercise {label} has no {STUB_TAG} cell and {CHECK_TAG} cell")
    first = cells[start]
    first.source = first.source[first.source.rindex("```{exercise-start}",
                                                    0, first.source.index(opening)):]
    small.cells = cells[start:end + 1]
    return small


def strip_notebook(notebook, *, where: str = ""):
    """A copy of ``notebook`` without solutions (code cells and their outputs included).

    Markdown cells left empty are dropped; everything else (metadata, outputs of the other
    cells) is kept as it is, so an executed notebook stays executed.
    """
    student = copy.deepcopy(notebook)
    cells, inside, stub = [], False, None
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "markdown":
            cell.source, inside = strip_text(cell.source, inside,
                                             where=f"{where}, cell {index}")
            if cell.source.strip():
                cells.append(cell)
        elif not inside:
            if STUB_TAG in _tags(cell):
                stub = cell
            elif CHECK_TAG in _tags(cell):
                if stub is None:
                    raise StubCheckError(f"{where}, cell {index}: a check cell without an "
                                         f"{STUB_TAG} cell before it")
                if cell.get("outputs"):  # executed (the Colab copies are not: left empty)
                    text = stub_check_output(stub.source, cell.source,
                                             where=f"{where}, cell {index}")
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
                    cell.execution_count = None
                stub = None
            cells.append(cell)
    if inside:
        raise SolutionBlockError(f"{where}: a solution-start is never closed with solution-end")
    student.cells = cells
    student.metadata["serlib_edition"] = "student"
    return student
