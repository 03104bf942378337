"""The pipeline on a tiny book of its own (a temp dir): glue roles resolve with Jupyter Book's
execution off and ``-n -W``, the shared GPU admonition is included, a chapter's number is the
one in its file name (also in "Exercise 3.1"), figures are captured, and the checks pass.
Run by `make book-check` (about 30 s: one kernel, one Jupyter Book build)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.book

spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
if not hasattr(builder, "REPO"):
    spec.loader.exec_module(builder)

CHAPTER = '''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Glue test

```{include} _includes/gpu.md
```

**Runtime**: {{ runtime_03 }}.

```{code-cell} ipython3
:tags: [parameters]

PROFILE = "smoke"
DRY_RUN = False
```

```{code-cell} ipython3
import matplotlib.pyplot as plt

from serlib.book import Stopwatch, glue

watch = Stopwatch()
glue("gap_03", 12.3456)
glue("n_03", 42)
```

The gap is {glue:text}`gap_03:.1f` points over {glue:}`n_03` utterances; see {ref}`ex-03-1`.

```{code-cell} ipython3
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1], [1, 0])
```

## Exercises

```{exercise-start}
:label: ex-03-1
```
Plot something.
```{exercise-end}
```

```{solution-start} ex-03-1
:class: dropdown
```
A line:
```{code-cell} ipython3
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1], [0, 1])
```
```{solution-end}
```

```{code-cell} ipython3
print(watch.report(PROFILE))
```
'''


def test_a_tiny_book_builds_with_glue_numbers_includes_and_figures(tmp_path: Path,
                                                                   monkeypatch) -> None:
    import nbformat
    import papermill

    site = tmp_path / "site"
    (site / "book").mkdir(parents=True)
    for folder in ("_ext", "_static", "_includes"):
        shutil.copytree(REPO / "book" / folder, site / "book" / folder)
    shutil.copy2(REPO / "book" / "references.bib", site / "book" / "references.bib")
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    config["parse"]["myst_substitutions"] = {"runtime_03": "`smoke` 9 s"}
    (site / "_config.yml").write_text(yaml.safe_dump(config))
    (site / "_toc.yml").write_text(yaml.safe_dump({
        "format": "jb-book", "root": "book/index",
        "parts": [{"caption": "Part I", "numbered": True,
                   "chapters": [{"file": "book/intro"}, {"file": "book/03_glue"}]}]}))
    (site / "book" / "index.md").write_text("# Landing\n")
    (site / "book" / "intro.md").write_text("# Introduction\n\nText.\n")
    chapter = tmp_path / "03_glue.md"
    chapter.write_text(CHAPTER)
    source = tmp_path / "source.ipynb"
    nbformat.write(builder.source_notebook(chapter, ref="v0"), source)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # what the build does for its kernels
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    executed = site / "book" / "03_glue.ipynb"
    papermill.execute_notebook(str(source), str(executed), parameters={"PROFILE": "smoke"},
                               cwd=str(site / "book"), kernel_name="python3",
                               progress_bar=False)
    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"].append("remove-cell")
    assert "This chapter ran in" in notebook.cells[-1].outputs[0]["text"]  # for a reader
    builder.book_runtimes.hide_stopwatch(notebook)  # as the staged site does
    nbformat.write(notebook, executed)
    shutil.copytree(REPO / "book" / "_includes", site / "book" / "_includes", dirs_exist_ok=True)
    local = Path(sys.executable).parent / "jupyter-book"
    command = [str(local) if local.exists() else "jupyter-book", "build", str(site),
               "--path-output", str(tmp_path), "-n", "-W", "--keep-going"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = tmp_path / "_build" / "html" / "book" / "03_glue.html"
    from bs4 import BeautifulSoup

    text = " ".join(BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
                    .get_text(" ").split())
    assert "The gap is 12.3 points over 42 utterances; see Exercise 3.1" in text
    assert "Exercise 3.1" in text and "exercise Exercise" not in text
    assert "This chapter wants a GPU" in text
    assert "3. Glue test" in text  # the sidebar: its file name's number, not "2."
    assert "`smoke` 9 s" not in text and "9 s" in text
    assert builder.book_checks.check_notebook(notebook, "tiny") == []
    assert builder.book_checks.check_page(page, notebook, "tiny") == []
    assert "This chapter ran in" not in text  # one runtime per page: the header's
