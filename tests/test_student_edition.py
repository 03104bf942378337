"""The student edition leaks no solution (run by `make student-check`, after
`make book-student`): no solution text, code, output or figure in the student HTML, the
notebooks it was built from, or the student Colab notebooks; every exercise is still there,
numbered as in the full edition.

The exercises a student completes (a stub, then a check cell) are tested without a build
(in `make unit`): in the full edition the reference solution passes its own check; in the
student edition the untouched stub's check prints a FAIL report in words, and replaces the
reference's PASS under the check cell of the executed notebook."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
book = pytest.mark.book  # the tests that read the built editions

spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
if not hasattr(builder, "REPO"):
    spec.loader.exec_module(builder)
EDITION = builder.Edition(os.environ.get("BOOK_PROFILE", "smoke"))
EXCLUDED = builder.student_excluded()  # e.g. the instructor guide: not in the student edition
CHAPTERS = [c for c in builder.chapter_sources()
            if c.with_suffix("").relative_to(REPO).as_posix() not in EXCLUDED]


@book
@pytest.mark.parametrize("name", sorted(EXCLUDED))
def test_pages_kept_out_of_the_student_edition_are_absent_from_it(name: str) -> None:
    assert EDITION.html(student=True).exists(), "run `make book-student` first"
    assert not (EDITION.html(student=True) / f"{name}.html").exists()
    assert not (builder.STUDENT_NOTEBOOKS / f"{name}.ipynb").exists()


@book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_solution_reaches_the_student_edition(chapter: Path) -> None:
    assert EDITION.html(student=True).exists(), "run `make book-student` first"
    problems = builder.book_checks.check_edition(EDITION, [chapter], [], student=True)
    assert not problems, "\n".join(problems)


@book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_keep_their_numbers(chapter: Path) -> None:
    from bs4 import BeautifulSoup

    rel = chapter.relative_to(REPO).with_suffix(".html")
    titles = {}
    for student in (False, True):
        page = EDITION.html(student) / rel
        if not page.exists():
            pytest.skip(f"{page} not built")
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        titles[student] = [" ".join(t.get_text(" ").split())
                           for t in soup.select(".exercise .admonition-title")]
    assert titles[True] == titles[False] and titles[True]
    prefix = chapter.stem.split("_")[0]
    if prefix.isdigit():  # numbered chapters: "Exercise 6.1", ...; appendices: unnumbered
        assert all(re.match(rf"Exercise {int(prefix)}\.\d+", t) for t in titles[True]), \
            titles[True]
    assert not any("solution" in t.lower() for t in titles[True])


# --- exercises with a stub and a check cell (no build needed) ---------------------------------
def _stub_exercises() -> list[tuple[Path, str]]:
    from serlib.book.checks import CHECKS

    found = []
    for label, spec in sorted(CHECKS.items()):
        (chapter,) = (REPO / "book").glob(f"{spec.chapter}_*.md")
        found.append((chapter, label))
    return found


def _code(cells, tag: str | None = None) -> list[str]:
    return [c.source for c in cells if c.cell_type == "code"
            and (tag is None or tag in c.metadata.get("tags", []))]


@pytest.mark.parametrize(("chapter", "label"), _stub_exercises(), ids=lambda v: getattr(
    v, "stem", v))
def test_the_reference_passes_its_check_and_the_untouched_stub_fails_it(chapter: Path,
                                                                        label: str) -> None:
    import jupytext
    import nbformat

    student_tool = builder.book_student
    full = student_tool.stub_exercise(jupytext.read(chapter), label)
    (stub,), (check,) = _code(full.cells, "exercise-stub"), _code(full.cells, "exercise-check")
    assert f'check("{label}"' in check
    # the full edition: the cells in order (stub, solution, check), as the build runs them
    instructor = student_tool.stub_check_output("\n".join(_code(full.cells)), "",
                                                where=chapter.name)
    assert instructor.startswith(f"PASS {label}"), instructor
    # the student edition of the executed notebook: solution gone, FAIL under the check
    executed = nbformat.from_dict(full)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="PASS ...")]
    student = student_tool.strip_notebook(executed, where=chapter.name)
    assert _code(student.cells) == [stub, check], "the solution must not reach students"
    (shown,) = [c for c in student.cells if "exercise-check" in c.metadata.get("tags", [])]
    text = "".join(o.get("text", "") for o in shown.outputs)
    assert text.startswith(f"FAIL {label}") and "not written yet" in text, text
    assert "NotImplementedError" in text and "PASS" not in text
    # the student's Colab copy (not executed) keeps the check cell without outputs
    assert not [c for c in student_tool.strip_notebook(full).cells if c.get("outputs")]
