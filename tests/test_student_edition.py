"""The student edition leaks no solution (run by `make student-check`, after
`make book-student`): no solution text, code, output or figure in the student HTML, the
notebooks it was built from, or the student Colab notebooks; every exercise is still there,
numbered as in the full edition."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.book

spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
if not hasattr(builder, "REPO"):
    spec.loader.exec_module(builder)
EDITION = builder.Edition(os.environ.get("BOOK_PROFILE", "smoke"))
EXCLUDED = builder.student_excluded()  # e.g. the instructor guide: not in the student edition
CHAPTERS = [c for c in builder.chapter_sources()
            if c.with_suffix("").relative_to(REPO).as_posix() not in EXCLUDED]


@pytest.mark.parametrize("name", sorted(EXCLUDED))
def test_pages_kept_out_of_the_student_edition_are_absent_from_it(name: str) -> None:
    assert EDITION.html(student=True).exists(), "run `make book-student` first"
    assert not (EDITION.html(student=True) / f"{name}.html").exists()
    assert not (builder.STUDENT_NOTEBOOKS / f"{name}.ipynb").exists()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_solution_reaches_the_student_edition(chapter: Path) -> None:
    assert EDITION.html(student=True).exists(), "run `make book-student` first"
    problems = builder.book_checks.check_edition(EDITION, [chapter], [], student=True)
    assert not problems, "\n".join(problems)


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
