"""Build the book: MyST chapters -> Colab notebooks -> executed notebooks -> HTML.

The chapters under ``book/`` are MyST Markdown notebooks (the single source). This script

1. ``notebooks``: converts every chapter to ``_build/notebooks/book/<chapter>.ipynb`` with
   jupytext and puts a first cell in it that installs serlib when the notebook runs on
   Google Colab (and does nothing elsewhere). These are the notebooks readers download or
   open in Colab (published to the repository's ``notebooks`` branch, see the README);
2. ``execute``: runs each of those notebooks once with papermill, passing the profile
   (default ``smoke``), into ``_build/executed/book/``. A notebook is re-executed only when
   its source, its parameters or serlib's code changed (the key is a hash of all three).
   A failing chapter stops the build with the chapter's name and the failing cell; the
   failed notebook is kept in ``_build/reports/`` for inspection;
3. ``html``: stages the configuration, the plain pages and the executed notebooks in
   ``_build/site/`` and builds them with Jupyter Book (its own execution off) with
   ``-n -W --keep-going``: any warning fails the build. The HTML is ``_build/html/``.

``python tools/build_book.py`` (or ``make book``) runs the three steps.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
BUILD = REPO / "_build"
NOTEBOOKS = BUILD / "notebooks"
EXECUTED = BUILD / "executed"
REPORTS = BUILD / "reports"
SITE = BUILD / "site"
#: bump when the way notebooks are generated or executed changes
PIPELINE_VERSION = "1"


class ChapterFailed(RuntimeError):
    """A chapter raised an error in a cell that is not tagged ``raises-exception``."""


def chapter_sources() -> list[Path]:
    """The chapter files: MyST Markdown notebooks (with a kernelspec) listed in ``_toc.yml``."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    chapters = []
    for name in files:
        path = REPO / f"{name}.md"
        if not path.exists():
            raise FileNotFoundError(f"_toc.yml lists {name}, but {path} does not exist")
        text = path.read_text(encoding="utf-8")
        if text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]:
            chapters.append(path)
    return chapters


def colab_install_cell() -> nbformat.NotebookNode:
    """The first cell of every generated notebook: install serlib on Colab, nothing elsewhere."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    source = (
        "# On Google Colab, install serlib (this book's library) into the runtime.\n"
        "# Anywhere else (your machine, CI) this cell does nothing.\n"
        "import subprocess\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"serlib @ git+{url}@main\"], check=True)"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell"]})


def _book_relative(chapter: Path) -> Path:
    """``book/<name>.md`` for a chapter (also for a chapter file outside the repository)."""
    chapter = chapter.resolve()
    if chapter.is_relative_to(REPO):
        return chapter.relative_to(REPO)
    return Path("book") / chapter.name


def make_notebook(chapter: Path) -> Path:
    """Write the Colab/download notebook of ``chapter`` and return its path."""
    notebook = jupytext.read(chapter)
    notebook.cells.insert(0, colab_install_cell())
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata.pop("jupytext", None)
    out = NOTEBOOKS / _book_relative(chapter).with_suffix(".ipynb")
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    return out


def serlib_fingerprint() -> str:
    """Hash of serlib's source files: executed notebooks are stale when the library changes."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "serlib").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def execution_key(chapter: Path, parameters: dict) -> str:
    blob = json.dumps([PIPELINE_VERSION, chapter.read_text(encoding="utf-8"), parameters,
                       serlib_fingerprint()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def execute_chapter(chapter: Path, *, profile: str = "smoke", force: bool = False) -> Path:
    """Execute one chapter with papermill (once per source/parameters/serlib version).

    Raises:
        ChapterFailed: naming the chapter and the failing cell.
    """
    import papermill

    rel = _book_relative(chapter)
    parameters = {"PROFILE": profile}
    out = EXECUTED / rel.with_suffix(".ipynb")
    key_file = out.with_suffix(".key")
    key = execution_key(chapter, parameters)
    if not force and out.exists() and key_file.exists() and key_file.read_text() == key:
        print(f"[book] {rel}: up to date (executed with PROFILE={profile!r})")
        return out
    source = make_notebook(chapter)
    report = REPORTS / rel.with_suffix(".ipynb")
    report.parent.mkdir(parents=True, exist_ok=True)
    print(f"[book] executing {rel} with PROFILE={profile!r} ...", flush=True)
    try:
        papermill.execute_notebook(str(source), str(report), parameters=parameters,
                                   cwd=str(chapter.parent), kernel_name="python3",
                                   progress_bar=False,
                                   request_save_on_cell_execute=False)
    except papermill.PapermillExecutionError as err:
        raise ChapterFailed(
            f"chapter {rel} failed in cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}\nThe executed notebook with the traceback is {report}"
        ) from None
    notebook = nbformat.read(report, as_version=4)
    for cell in notebook.cells:  # papermill's injected parameters are not part of the page
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    key_file.write_text(key)
    report.unlink()
    return out


def build_html(*, strict: bool = True) -> Path:
    """Stage config, pages and executed notebooks in ``_build/site`` and run Jupyter Book."""
    if SITE.exists():
        shutil.rmtree(SITE)
    SITE.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(REPO / name, SITE / name)
    chapters = {c.relative_to(REPO) for c in chapter_sources()}
    for path in BOOK.rglob("*"):
        rel = path.relative_to(REPO)
        if path.is_dir() or rel in chapters or "__pycache__" in rel.parts:
            continue
        (SITE / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, SITE / rel)
    for rel in chapters:
        executed = EXECUTED / rel.with_suffix(".ipynb")
        if not executed.exists():
            raise FileNotFoundError(f"{executed} is missing: run the execute step first")
        shutil.copy2(executed, SITE / rel.with_suffix(".ipynb"))
    args = ["jupyter-book", "build", str(SITE), "--path-output", str(BUILD / "jb")]
    if strict:
        args += ["-n", "-W", "--keep-going"]
    print("[book] " + " ".join(args), flush=True)
    subprocess.run(args, check=True, cwd=REPO)
    html = BUILD / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(BUILD / "jb" / "_build" / "html", html)
    print(f"[book] HTML in {html / 'index.html'}")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", default="all",
                        choices=["all", "notebooks", "execute", "html"])
    parser.add_argument("--profile", default=os.environ.get("PROFILE", "smoke"),
                        help="the PROFILE parameter passed to every chapter (default: smoke)")
    parser.add_argument("--chapter", action="append", default=None,
                        help="only this chapter (file stem, e.g. 06_cross_lingual_gap)")
    parser.add_argument("--force", action="store_true", help="re-execute even if up to date")
    args = parser.parse_args(argv)
    chapters = chapter_sources()
    if args.chapter:
        chapters = [c for c in chapters if c.stem in args.chapter]
    try:
        if args.step in ("all", "notebooks"):
            for chapter in chapters:
                print(f"[book] notebook {make_notebook(chapter).relative_to(REPO)}")
        if args.step in ("all", "execute"):
            for chapter in chapters:
                execute_chapter(chapter, profile=args.profile, force=args.force)
        if args.step in ("all", "html"):
            build_html()
    except ChapterFailed as err:
        print(f"[book] ERROR: {err}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as err:
        print(f"[book] ERROR: Jupyter Book failed (exit {err.returncode}); see the warnings "
              "above (the build treats every warning as an error)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
