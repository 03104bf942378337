"""The book's sources follow the rules: MyST notebooks only, no outputs, one parameters cell."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(builder)
CHAPTERS = builder.chapter_sources()


def test_there_is_at_least_one_chapter() -> None:
    assert CHAPTERS


def test_no_notebook_files_under_book() -> None:
    notebooks = sorted(str(p.relative_to(REPO)) for p in (REPO / "book").rglob("*.ipynb"))
    assert not notebooks, f"chapters are MyST .md files; remove {notebooks}"


def test_no_notebook_or_data_is_tracked_by_git() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    bad = [f for f in tracked
           if re.search(r"\.(ipynb|wav|flac|mp3|aiff?|pth|pt|ckpt|npz|npy|pkl)$", f, re.I)]
    assert not bad, f"never commit notebooks, audio, weights or caches: {bad}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_holds_no_outputs(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    assert "data:image" not in text and '"outputs"' not in text
    notebook = jupytext.read(chapter)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_one_literal_parameters_cell_with_a_profile(chapter: Path) -> None:
    notebook = jupytext.read(chapter)
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{chapter.name}: exactly one cell must be tagged `parameters`"
    names = {}
    for node in ast.parse(cells[0].source).body:
        assert isinstance(node, ast.Assign), f"{chapter.name}: parameters are assignments only"
        names[node.targets[0].id] = ast.literal_eval(node.value)  # literals only
    assert names.get("PROFILE") == "smoke", f"{chapter.name}: PROFILE must default to 'smoke'"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_structure(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    number = chapter.stem.split("_")[0]
    assert "Runtime" in text, f"{chapter.name}: state the expected runtime"
    assert re.search(r"^## Summary$", text, re.M), f"{chapter.name}: needs a Summary section"
    assert re.search(r"^## Exercises$", text, re.M), f"{chapter.name}: needs an Exercises section"
    labels = re.findall(r":label: (ex-\S+)", text)
    assert labels and all(re.fullmatch(rf"ex-{number}-\d+", label) for label in labels)
    for label in labels:
        assert f"{{solution-start}} {label}" in text, f"{chapter.name}: {label} has no solution"
