"""Execute every chapter with papermill, exactly as `make book` does (run by `make chapters`).

The executed notebooks land in ``_build/executed``; `make html` then builds the HTML from
them without executing anything again.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.chapters


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
    module = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
    if not hasattr(module, "REPO"):
        spec.loader.exec_module(module)
    return module


builder = _load_builder()


@pytest.mark.parametrize("chapter", builder.chapter_sources(), ids=lambda p: p.stem)
def test_chapter_executes(chapter: Path) -> None:
    out = builder.execute_chapter(chapter, profile=os.environ.get("PROFILE", "smoke"))
    assert out.exists()


def test_a_failing_cell_names_the_chapter_and_the_cell(tmp_path: Path) -> None:
    chapter = tmp_path / "99_broken.md"
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# Broken\n\n```{code-cell} ipython3\n:tags: [parameters]\n\nPROFILE = \"smoke\"\n```\n\n"
        "```{code-cell} ipython3\n1 / 0\n```\n"
    )
    with pytest.raises(builder.ChapterFailed, match=r"book/99_broken\.md failed in cell \d+.*"
                                                    r"ZeroDivisionError"):
        builder.execute_chapter(chapter, force=True)
    assert (builder.Edition().reports / "book" / "99_broken.ipynb").exists()
