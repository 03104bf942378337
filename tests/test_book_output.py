"""Checks on the built HTML book (run by `make book-check`, after `make html`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HTML = REPO / "_build" / "html"
pytestmark = pytest.mark.book

spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(builder)


def test_index_exists() -> None:
    assert (HTML / "index.html").exists(), "run `make html` (or `make book`) first"


@pytest.mark.parametrize("chapter", builder.chapter_sources(), ids=lambda p: p.stem)
def test_chapter_page_has_outputs_figures_and_colab_button(chapter: Path) -> None:
    page = HTML / chapter.relative_to(REPO).with_suffix(".html")
    assert page.exists(), f"{page} was not built"
    html = page.read_text(encoding="utf-8")
    assert "cell_output" in html, f"{page.name} shows no executed outputs"
    assert "<img" in html and ".png" in html, f"{page.name} shows no figures"
    assert "colab.research.google.com" in html, f"{page.name} has no Open-in-Colab button"
    for tag in ("Traceback (most recent call last)", "google.colab"):
        assert tag not in html, f"{page.name} shows {tag!r}"


def test_generated_notebooks_install_serlib_on_colab_only() -> None:
    for chapter in builder.chapter_sources():
        nb = REPO / "_build" / "notebooks" / chapter.relative_to(REPO).with_suffix(".ipynb")
        assert nb.exists(), f"{nb} missing: run `make notebooks`"
        first = builder.nbformat.read(nb, as_version=4).cells[0]
        assert 'if "google.colab" in sys.modules' in first.source
