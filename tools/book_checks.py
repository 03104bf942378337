"""Checks on an edition's executed notebooks and built HTML (``build_book.py check``, pytest).

A problem is a sentence naming the chapter, the cell and what is wrong. The checks:

- notebooks: no error output outside cells tagged ``raises-exception``, no traceback text,
  no progress-bar debris (tqdm lines or widgets), every cell that plots (calls ``plot_...``,
  ``plt.``, ``subplots`` or ``serlib.viz``) has an ``image/png`` output, every
  ``{glue:...}`` reference of the chapter's prose is glued by one of its cells, and every
  glued number lies in the range of the unit the prose gives it (``tools/prose_lint.py``);
- pages: every page of the toc was built; each plotting cell's own output on the page holds
  an ``<img>`` (the Colab logo or other theme images do not count); no traceback; the Colab
  button opens this chapter's generated notebook;
- student edition: no solution text, code, output or figure reaches the HTML or notebooks.
"""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import re
from pathlib import Path

import book_runtimes
import book_student
import nbformat
import prose_lint

__all__ = [
    "check_edition",
    "check_notebook",
    "check_page",
    "check_student_leaks",
    "glue_keys",
    "glue_references",
    "is_plotting_cell",
]

_PROGRESS = re.compile(r"\d+%\|[^\n]*\||\d+/\d+ \[\d+:\d+<|\d(?:it/s|s/it)\]")
_GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`]+)`")
_GLUE_DIRECTIVE = re.compile(r"^[`:~]{3,}\{glue(?::\w+)?\}\s+(\S+)", re.M)
_PLOT_CALL = re.compile(r"(^|\.)plot_\w+$|^plt\.|(^|\.)subplots$|^serlib\.viz\.|^viz\.")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def parse_cell(source: str) -> ast.Module | None:
    """A code cell's AST (IPython magics and shell lines left out), or None."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def is_plotting_cell(source: str) -> bool:
    """Whether a code cell calls ``plot_...``, ``plt.``, ``subplots`` or ``serlib.viz``."""
    tree = parse_cell(source)
    if tree is None:
        return False
    return any(isinstance(node, ast.Call) and _PLOT_CALL.search(_dotted(node.func))
               for node in ast.walk(tree))


def glue_references(markdown: str) -> set[str]:
    """The glue keys a Markdown text references in its own document (not ``path::key``)."""
    refs = set(_GLUE_ROLE.findall(markdown)) | set(_GLUE_DIRECTIVE.findall(markdown))
    return {ref.split(":")[0].strip() for ref in refs if "::" not in ref}


def glue_keys(notebook) -> set[str]:
    """The keys glued by a notebook's outputs (myst-nb's ``scrapbook`` metadata)."""
    keys = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                keys.add(name)
    return keys


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return str(output.get("data", {}).get("text/plain", ""))


def check_notebook(notebook, where: str) -> list[str]:
    """Problems of one executed notebook (see the module docstring)."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        first = (cell.source.strip().splitlines() or [""])[0][:60]
        at = f"{where}, cell {index} ({first!r})"
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.get("output_type") == "error" and "raises-exception" not in tags:
                problems.append(f"{at}: raised {output.get('ename')}: {output.get('evalue')}")
            text = _text(output)
            if "Traceback (most recent call last)" in text:
                problems.append(f"{at}: prints a traceback")
            if _PROGRESS.search(text) or "\r" in text:
                problems.append(f"{at}: progress-bar debris in its output ({text[:60]!r}); "
                                "pass progress=False")
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                problems.append(f"{at}: a widget output (a tqdm.auto bar?); pass progress=False")
        if "remove-cell" not in tags and is_plotting_cell(cell.source) and not any(
                "image/png" in output.get("data", {}) for output in outputs):
            problems.append(f"{at}: plots but has no image/png output (is MPLBACKEND set for "
                            "the kernel? does the cell end in a figure?)")
    problems += prose_lint.check_glued_ranges(notebook, where)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    missing = glue_references(markdown) - glue_keys(notebook)
    if missing:
        problems.append(f"{where}: the prose references glue keys no cell glued: "
                        f"{sorted(missing)}")
    return problems


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def check_page(page: Path, notebook, where: str, *, colab_path: str | None = None) -> list[str]:
    """Problems of one chapter's page, against the executed notebook it was built from."""
    if not page.exists():
        return [f"{where}: page {page} was not built"]
    notebook = copy.deepcopy(notebook)
    book_runtimes.hide_stopwatch(notebook)  # the page leaves the stopwatch cell out
    soup = _soup(page)
    article = soup.select_one("article") or soup
    problems = []
    text = article.get_text(" ")
    if "Traceback (most recent call last)" in text:
        problems.append(f"{where}: the page shows a traceback")
    for leftover in ("{glue", "{{"):
        if leftover in text:
            problems.append(f"{where}: the page shows an unresolved {leftover!r}")
    visible = [(index, cell) for index, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])]
    divs = [div for div in article.select("div.cell")
            if not div.find_parent("div", class_="cell")]
    if len(divs) != len(visible):
        problems.append(f"{where}: {len(divs)} code cells on the page, {len(visible)} visible "
                        "in the notebook: cannot match figures to cells")
        return problems
    for (index, cell), div in zip(visible, divs, strict=True):
        if not is_plotting_cell(cell.source):
            continue
        output = div.select_one(".cell_output")
        if output is None or output.find("img") is None:
            problems.append(f"{where}: plotting cell {index} shows no figure on the page")
    if colab_path is not None:
        links = [a.get("href", "") for a in soup.find_all("a")
                 if "colab.research.google.com" in a.get("href", "")]
        if not any(link.endswith(colab_path) for link in links):
            problems.append(f"{where}: no Colab button opening {colab_path} (found {links})")
    return problems


def _lines(texts) -> set[str]:
    return {" ".join(line.split()) for text in texts for line in text.splitlines()
            if len(line.strip()) >= 20}


def _png_hash(output) -> str | None:
    data = output.get("data", {}).get("image/png")
    return hashlib.sha256(base64.b64decode(data)).hexdigest() if data else None


def check_student_leaks(full, student_html: Path | None, student_notebooks: list,
                        where: str) -> list[str]:
    """Whether any solution text, code, output or figure of ``full`` reaches the student copy.

    Args:
        full: the executed notebook with solutions.
        student_html: the student page (None: notebooks only).
        student_notebooks: the student notebooks (executed and Colab) of the same chapter.
    """
    mask = book_student.solution_mask(full.cells, where=where)
    kept_nb = book_student.strip_notebook(full, where=where)
    kept = _lines([c.source for c in kept_nb.cells] +
                  [_text(o) for c in kept_nb.cells for o in c.get("outputs", [])])
    removed_md, inside = [], False
    for cell in full.cells:
        if cell.cell_type == "markdown":
            lines = cell.source
            stripped, after = book_student.strip_text(lines, inside)
            removed_md += [line for line in lines.splitlines() if line not in stripped]
            inside = after
    solution_cells = [c for c, m in zip(full.cells, mask, strict=True) if m]
    fragments = _lines(removed_md + [c.source for c in solution_cells] +
                       [_text(o) for c in solution_cells for o in c.get("outputs", [])]) - kept
    fragments = {f for f in fragments if "{solution" not in f}
    images = {_png_hash(o) for c in solution_cells for o in c.get("outputs", [])} - {None}
    problems = []
    for notebook in student_notebooks:
        flat = " ".join(" ".join(c.source.split()) for c in notebook.cells) + " " + " ".join(
            " ".join(_text(o).split()) for c in notebook.cells for o in c.get("outputs", []))
        leaked = [f for f in fragments if f in flat]
        if leaked:
            problems.append(f"{where}: student notebook holds solution text: {leaked[:3]}")
        if images & {_png_hash(o) for c in notebook.cells for o in c.get("outputs", [])}:
            problems.append(f"{where}: student notebook holds a solution figure")
        if "solution-start" in flat or "{solution}" in flat:
            problems.append(f"{where}: student notebook still has a solution directive")
    if student_html is not None and student_html.exists():
        soup = _soup(student_html)
        article = soup.select_one("article") or soup
        text = " ".join(article.get_text(" ").split())
        leaked = [f for f in fragments if f in text]
        if leaked:
            problems.append(f"{where}: student page shows solution text: {leaked[:3]}")
        if article.select(".solution"):
            problems.append(f"{where}: student page has a solution block")
        for img in article.find_all("img"):
            src = (student_html.parent / img.get("src", "")).resolve()
            if src.is_file() and hashlib.sha256(src.read_bytes()).hexdigest() in images:
                problems.append(f"{where}: student page shows a solution figure ({src.name})")
    return problems


def check_edition(edition, chapters: list[Path], toc: list[str], *, student: bool = False,
                  html: bool = True, excluded: frozenset[str] = frozenset()) -> list[str]:
    """Every check on one edition (``edition`` is ``build_book.Edition``); ``excluded``:
    the toc pages the student edition leaves out."""
    repo = chapters[0].resolve().parents[1] if chapters else Path.cwd()
    notebooks = repo / "_build" / "notebooks"
    html_dir = edition.html(student)
    problems = []
    if html:
        problems += [f"page {name} of the toc was not built ({html_dir / name}.html)"
                     for name in toc if not (html_dir / f"{name}.html").exists()
                     and not (student and name in excluded)]
        problems += [f"page {name} must not be in the student edition"
                     for name in excluded if student and (html_dir / f"{name}.html").exists()]
    for chapter in chapters:
        if student and str(chapter.resolve().relative_to(repo).with_suffix("")) in excluded:
            continue
        rel = chapter.resolve().relative_to(repo).with_suffix(".ipynb")
        where = f"{edition.name} {chapter.stem}"
        executed = edition.executed / rel
        if not executed.exists():
            problems.append(f"{where}: not executed ({executed} missing)")
            continue
        notebook = nbformat.read(executed, as_version=4)
        book_runtimes.hide_stopwatch(notebook)  # as the staged site does
        full = notebook
        if student:
            notebook = book_student.strip_notebook(notebook, where=where)
        problems += check_notebook(notebook, where)
        if html:
            prefix = "student/" if student else ""
            problems += check_page(html_dir / rel.with_suffix(".html"), notebook, where,
                                   colab_path=f"/{prefix}{rel}")
            colab = notebooks / ("student" if student else "") / rel
            if not colab.exists():
                problems.append(f"{where}: the Colab notebook {colab} was not generated")
        if student:
            page = html_dir / rel.with_suffix(".html") if html else None
            # what readers get: the Colab notebook and the notebook the student HTML was built from
            copies = [notebooks / "student" / rel, edition.root / "site-student" / rel]
            others = [nbformat.read(path, as_version=4) for path in copies if path.exists()]
            problems += check_student_leaks(full, page, others, where)
    return problems
