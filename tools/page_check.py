"""Check every page of a built edition in a real browser (``python tools/page_check.py HTML``).

Serves the HTML folder on 127.0.0.1 (a local ``http.server`` thread), opens every page the
table of contents lists in headless Chromium (the system's, driven by Playwright; no browser
download) at a 1280 x 900 window, waits for MathJax, and reports per page:

- **overflow**: an element of the main column (``article.bd-article``) wider than the
  column: a display equation, a figure, a table, an output -- everything except a code block
  or a table that scrolls inside its own box, which is how long code and wide tables are
  meant to be read;
- **raw text**: ``$$`` or ``\\begin`` outside code (math MyST or MathJax did not render),
  ``{glue`` or ``{{`` (an unresolved glue role or substitution), ``not measured`` (a runtime
  placeholder), a doubled word (``in this build in this build``);
- **figures**: every figure at least :data:`MIN_FIGURE_PX` px wide on the page, and its text
  legible: the effective size of matplotlib's default 10-pt text, estimated from the PNG's
  dpi and its natural and rendered widths (10 pt x dpi / 72 x rendered / natural), at least
  :data:`MIN_FONT_PX` px (the body text is 16 px);
- **duplicates**: no image shown twice on a page (same bytes).

Exits 1 when a page has a problem, 0 otherwise; when no Chromium is installed it says so and
exits 0 (``apt-get install -y chromium``; Playwright comes with ``pip install -e .[dev]``).
``make test`` runs it on each edition's HTML right after that edition's checks.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import io
import re
import shutil
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
WINDOW = (1280, 900)
#: the narrowest a figure may be shown, in CSS pixels
MIN_FIGURE_PX = 320
#: the smallest effective size of matplotlib's default 10-pt text on the page, in CSS pixels
MIN_FONT_PX = 8.0
#: matplotlib's default font size, in points (what the estimate assumes)
FONT_PT = 10.0
#: images narrower than this (logos, badges, icons) are not figures
ICON_PX = 120
PLACEHOLDERS = ("{glue", "{{", "$$", "\\begin")
#: a runtime placeholder ("not measured in this build", a table cell "not measured"); a
#: sentence such as "times that were not measured." is prose
_NOT_MEASURED = re.compile(r"not measured in this build|(?:^|\t)not measured[ \t]*(?:\t|$)",
                           re.M)
_DOUBLED = re.compile(r"\b([A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,}){0,3})[ \t]+\1\b", re.I)
#: repeated words that are English ("that that", "had had")
_ALLOWED_DOUBLES = {"that", "had", "is"}

_MEASURE_JS = """
() => {
  const main = document.querySelector('article.bd-article') || document.querySelector('main');
  if (!main) return {error: 'no main column (article.bd-article)'};
  const col = main.getBoundingClientRect();
  const scrolls = (el) => {
    for (let p = el; p && p !== main; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if ((cs.overflowX === 'auto' || cs.overflowX === 'scroll') &&
          (p.matches('pre, div.highlight, table, .table-wrapper, ' +
                     'div.pst-scrollable-table-container')
           || p.querySelector(':scope > table, :scope > pre')) &&
          p.getBoundingClientRect().right <= col.right + 1) return true;
    }
    return false;
  };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].slice(0, 2).join('.');
    const text = (el.innerText || el.getAttribute('alt') || '').trim().replace(/\\s+/g, ' ');
    const heading = [...main.querySelectorAll('h1, h2, h3')].filter(
      h => h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
    return s + (text ? ' "' + text.slice(0, 50) + '"' : '') +
      (heading ? ' (section "' + heading.innerText.replace(/[#¶]/g, '').trim() + '")' : '');
  };
  const skip = 'aside, .margin, .sidebar, .tag_margin, mjx-assistive-mml, .headerlink, ' +
               'script, style, .toggle-hidden, details:not([open]) > :not(summary)';
  const overflow = [];
  const reported = new Set();
  for (const el of main.querySelectorAll('*')) {
    if (el.closest(skip)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= col.right + 1 && r.left >= col.left - 1) continue;
    if (el.closest('pre, div.highlight') || scrolls(el)) continue;
    let parent = el.parentElement, inside = false;
    for (; parent && parent !== main; parent = parent.parentElement)
      if (reported.has(parent)) { inside = true; break; }
    if (inside) continue;
    reported.add(el);
    overflow.push(describe(el) + ': ' + Math.round(r.width) + ' px wide, the column ' +
                  Math.round(col.width) + ' px');
  }
  const textOf = (drop) => {
    const clone = main.cloneNode(true);
    // inline code and math stand in the sentence as a token ("and `x` and" is no doubled word)
    clone.querySelectorAll('p code, li code, p mjx-container, li mjx-container, span.math')
      .forEach(e => e.replaceWith('\u2039code\u203a'));
    clone.querySelectorAll(drop).forEach(e => e.remove());
    clone.style.position = 'absolute'; clone.style.left = '-99999px';
    document.body.appendChild(clone);
    const text = clone.innerText;
    clone.remove();
    return text;
  };
  const code = 'pre, code, .highlight, mjx-container, script, style, mjx-assistive-mml, ' +
               '.cell_input';
  const text = textOf(code);  // everything a reader reads, outputs and tables included
  const prose = textOf(code + ', table, .cell_output, figure, .figure');
  const images = [...main.querySelectorAll('img')].filter(i => !i.closest(skip)).map(i => ({
    src: i.currentSrc || i.src, natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
    alt: describe(i)}));
  return {column: col.width, overflow, text, prose, images};
}
"""


@dataclass
class PageReport:
    """What the check found on one page."""

    page: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: int = 0


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def serve(html: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pages(html: Path) -> list[str]:
    """Every toc page that was built, else every HTML page."""
    from build_book import toc_files

    listed = [f"{name}.html" for name in toc_files() if (html / f"{name}.html").exists()]
    return listed or sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                            if "_static" not in p.parts
                            and p.name not in ("search.html", "genindex.html"))


def doubled_words(text: str) -> list[str]:
    """Repeated words or phrases (``in this build in this build``) in a page's prose."""
    found = []
    for match in _DOUBLED.finditer(text):
        phrase = " ".join(match.group(1).split())
        if phrase.lower() not in _ALLOWED_DOUBLES:
            context = " ".join(text[max(0, match.start() - 50):match.end() + 30].split())
            found.append(f"{' '.join(match.group(0).split())}' in '...{context}...")
    return found


def text_problems(text: str, prose: str) -> list[str]:
    """Placeholders anywhere a reader reads; doubled words in the prose (not in tables)."""
    problems = []
    for leftover in PLACEHOLDERS:
        if leftover in text:
            at = text.index(leftover)
            context = " ".join(text[max(0, at - 40):at + 40].split())
            problems.append(f"shows {leftover!r}: ...{context}...")
    placeholders = list(_NOT_MEASURED.finditer(text))
    if placeholders:
        first = placeholders[0]
        context = " ".join(text[max(0, first.start() - 40):first.end() + 30].split())
        problems.append(f"shows a runtime placeholder {len(placeholders)} time(s), first: "
                        f"...{context}...")
    problems += [f"doubled words: '{d}'" for d in doubled_words(prose)]
    return problems


def figure_problems(images: list[dict], html: Path, page: str) -> tuple[list[str], int]:
    """Figures too narrow or too small to read, and images shown twice (by their bytes)."""
    from PIL import Image

    problems, seen, figures = [], {}, 0
    for image in images:
        path = urllib.parse.urlparse(image["src"]).path.lstrip("/")
        file = html / urllib.parse.unquote(path)
        if not file.is_file() or image["natural"] < ICON_PX:
            continue
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            problems.append(f"figure {file.name} shown twice (also as {seen[digest]})")
            continue
        seen[digest] = file.name
        figures += 1
        shown, natural = image["shown"], image["natural"]
        if shown < MIN_FIGURE_PX:
            problems.append(f"figure {file.name} ({image['alt']}) is {shown:.0f} px wide on "
                            f"the page (at least {MIN_FIGURE_PX} px)")
            continue
        try:
            with Image.open(io.BytesIO(data)) as img:
                dpi = float((img.info.get("dpi") or (72, 72))[0]) or 72.0
        except OSError:
            continue
        font = FONT_PT * dpi / 72 * shown / natural
        if font < MIN_FONT_PX:
            problems.append(
                f"figure {file.name} ({image['alt']}) is too small to read: its 10-pt text "
                f"shows at {font:.1f} px (at least {MIN_FONT_PX:.0f}; {natural} px at "
                f"{dpi:.0f} dpi shown at {shown:.0f} px = {100 * shown / natural:.0f} %): "
                "make the figure narrower or fewer panels per row")
    return problems, figures


def check_html(html: Path, only: list[str] | None = None) -> list[PageReport]:
    """Check the pages of ``html`` (every toc page, or ``only``); raises ImportError without
    Playwright."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    server = serve(html)
    port = server.server_address[1]
    reports = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
            context = browser.new_context(viewport={"width": WINDOW[0], "height": WINDOW[1]})
            for page_name in only or pages(html):
                report = PageReport(page_name)
                tab = context.new_page()
                tab.set_default_timeout(30000)
                tab.goto(f"http://127.0.0.1:{port}/{page_name}", wait_until="load")
                rendered = tab.evaluate("""async () => {
                    const mj = window.MathJax;
                    if (!mj || !mj.startup || !mj.startup.promise) return false;
                    await Promise.race([mj.startup.promise,
                                        new Promise(r => setTimeout(r, 20000))]);
                    return true; }""")
                has_math = tab.evaluate(
                    "() => !!document.querySelector('article .math, article span.math')")
                source = tab.evaluate("() => (document.querySelector('script[src*=\"mathjax\"]')"
                                      " || {}).src || ''")
                unchecked = False
                if has_math and not rendered:
                    if source.startswith(f"http://127.0.0.1:{port}/"):
                        report.problems.append("the book's own MathJax did not load: the page "
                                               f"shows raw LaTeX ({source})")
                    else:  # the CDN, unreachable from here: the published page is fine
                        unchecked = True
                        report.notes.append("MathJax comes from its CDN, unreachable here: "
                                            "equations not checked (`make mathjax` for a "
                                            "local copy)")
                result = tab.evaluate(_MEASURE_JS)
                tab.close()
                if "error" in result:
                    report.problems.append(result["error"])
                    reports.append(report)
                    continue
                report.problems += [f"overflows the column: {o}" for o in result["overflow"]]
                text_found = text_problems(result["text"], result["prose"])
                if unchecked:  # unrendered math is the network's doing, not the page's
                    text_found = [p for p in text_found
                                  if not p.startswith(("shows '$$'", "shows '\\\\begin'"))]
                report.problems += text_found
                problems, report.figures = figure_problems(result["images"], html, page_name)
                report.problems += problems
                reports.append(report)
            browser.close()
    finally:
        server.shutdown()
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", nargs="?", default=str(REPO / "_build" / "html"))
    parser.add_argument("--page", action="append", default=None,
                        help="only this page, e.g. book/07_mmd.html (repeatable)")
    args = parser.parse_args(argv)
    html = Path(args.html).resolve()
    if not (html / "index.html").exists():
        print(f"[page-check] {html} holds no built book: run `make book` first",
              file=sys.stderr)
        return 1
    if find_chromium() is None:
        print("[page-check] SKIPPED: no Chromium on this machine (apt-get install -y "
              "chromium); the pages were not checked in a browser")
        return 0
    try:
        reports = check_html(html, args.page)
    except ImportError:
        print("[page-check] Playwright is not installed: pip install -e .[dev] (or pip "
              "install playwright); no browser download is needed", file=sys.stderr)
        return 1
    bad = 0
    for report in reports:
        status = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
        print(f"[page-check] {html.name}/{report.page}: {status} ({report.figures} figures)")
        for problem in report.problems:
            print(f"[page-check]     {problem}")
        for note in report.notes:
            print(f"[page-check]     note: {note}")
        bad += bool(report.problems)
    total = sum(len(r.problems) for r in reports)
    print(f"[page-check] {html.name}: {len(reports)} pages, {bad} with problems, "
          f"{total} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
