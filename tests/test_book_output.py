"""Checks on a built edition (run by `make book-check`, after `make book`).

``BOOK_PROFILE`` (default ``smoke``) picks the edition: ``_build/html`` for smoke,
``_build/html-cpu`` for cpu. Every check is in ``tools/book_checks.py`` (the build runs the
same ones): the chapter's own plotting cells have their figures in the notebook and on the
page, no traceback or progress-bar debris, glued values resolved, every toc page built, the
Colab button opens the chapter's notebook.
"""

from __future__ import annotations

import importlib.util
import os
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
HTML = EDITION.html()
CHAPTERS = builder.chapter_sources()


def test_index_exists() -> None:
    assert (HTML / "index.html").exists(), f"run `make book PROFILE={EDITION.profile}` first"


def test_every_page_of_the_toc_was_built() -> None:
    missing = [name for name in builder.toc_files() if not (HTML / f"{name}.html").exists()]
    assert not missing, f"pages not built in {HTML}: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_and_notebook_pass_the_checks(chapter: Path) -> None:
    problems = builder.book_checks.check_edition(EDITION, [chapter], [])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_plotting_cell_has_its_figure(chapter: Path) -> None:
    """Counted on the chapter's own cells, so the Colab logo cannot pass for a figure."""
    notebook = builder.nbformat.read(EDITION.executed / chapter.relative_to(REPO).with_suffix(
        ".ipynb"), as_version=4)
    plotting = [c for c in notebook.cells
                if c.cell_type == "code" and builder.book_checks.is_plotting_cell(c.source)]
    assert plotting, f"{chapter.name} has no plotting cell (is the detection broken?)"
    page = HTML / chapter.relative_to(REPO).with_suffix(".html")
    assert builder.book_checks.check_page(page, notebook, chapter.stem) == []


def test_generated_notebooks_install_serlib_on_colab_at_a_pinned_release() -> None:
    for chapter in CHAPTERS:
        rel = chapter.relative_to(REPO).with_suffix(".ipynb")
        excluded = chapter.with_suffix("").relative_to(REPO).as_posix() in \
            builder.student_excluded()
        assert not (excluded and (builder.STUDENT_NOTEBOOKS / rel).exists()), \
            f"{rel}: a page kept out of the student edition has a student notebook"
        for folder in (builder.NOTEBOOKS,) if excluded else (builder.NOTEBOOKS,
                                                              builder.STUDENT_NOTEBOOKS):
            notebook = builder.nbformat.read(folder / rel, as_version=4)
            first = notebook.cells[0].source
            assert 'if "google.colab" in sys.modules' in first
            assert "@main" not in first, "pin the commit or tag the book was built from"
            text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
            assert "{include}" not in text and "{{ runtime" not in text
