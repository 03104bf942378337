"""Screenshot every page of a built book with headless Chromium (``make screenshots``).

``python tools/screenshot_book.py [_build/html] [--out _build/screenshots] [--page
book/07_mmd.html ...]`` serves the HTML
folder on 127.0.0.1 (a free port), opens every page that the table of contents lists in a
fresh headless Chromium profile, and writes one full-length PNG per page, e.g.
``_build/screenshots/book/06_cross_lingual_gap.png``. It fails when a page shows a Python
traceback (Chromium's ``--dump-dom`` of the rendered page is searched) or when Chromium
cannot be run. Chromium comes from Debian: ``apt-get install -y chromium``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import itertools
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--disable-dev-shm-usage"]
TRACEBACK = "Traceback (most recent call last)"


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found: apt-get install -y chromium")


def pages(html: Path) -> list[str]:
    """The pages to shoot: every toc entry that was built, else every HTML file."""
    from build_book import toc_files

    listed = [f"{name}.html" for name in toc_files() if (html / f"{name}.html").exists()]
    return listed or sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                            if "_static" not in p.parts and p.name not in ("search.html",
                                                                            "genindex.html"))


def serve(html: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def rendered_dom(chromium: str, url: str, profile: Path) -> str:
    """The page's DOM after Chromium rendered it (scripts run)."""
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                           "--virtual-time-budget=5000", url], capture_output=True, text=True,
                          timeout=120, check=False).stdout


def split(png: Path, part_height: int = 1800) -> list[Path]:
    """Trim the blank space below the page's text, then cut the screenshot into screen-sized
    parts (``page-1.png``, ...) that an image viewer shows at full resolution."""
    from PIL import Image, ImageOps

    with Image.open(png) as shot:
        image = shot.convert("RGB")
    width, height = image.size
    # rows of the text column that hold anything (the sidebars' borders run down the whole
    # window); a blank run of 400 px or more followed only by the page's footer is cut out
    column = ImageOps.invert(image.crop((width // 4, 0, width * 3 // 4, height))).convert("L")
    filled = [y for y in range(0, height, 4) if column.crop((0, y, column.width, y + 4)).getbbox()]
    for before, after in itertools.pairwise(filled):
        if after - before >= 400 and filled[-1] - after < 200:
            height = before + 40
            image = image.crop((0, 0, width, height))
            image.save(png)
            break
    for old in png.parent.glob(f"{png.stem}-*.png"):
        old.unlink()
    parts = []
    for number, top in enumerate(range(0, height, part_height), start=1):
        part = png.with_name(f"{png.stem}-{number}.png")
        image.crop((0, top, width, min(height, top + part_height))).save(part)
        parts.append(part)
    return parts


def shoot(chromium: str, url: str, png: Path, profile: Path, *, width: int,
          height: int) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}",
                           f"--screenshot={png}", f"--window-size={width},{height}",
                           "--virtual-time-budget=5000", url], capture_output=True,
                          text=True, timeout=180, check=False)
    if not png.exists():
        raise RuntimeError(f"Chromium made no screenshot of {url}: {done.stderr[-800:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", nargs="?", default=str(REPO / "_build" / "html"))
    parser.add_argument("--out", default=str(REPO / "_build" / "screenshots"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=0,
                        help="window height in pixels (default: from the page's length)")
    parser.add_argument("--page", action="append", default=None,
                        help="only this page, e.g. book/07_mmd.html (repeatable)")
    args = parser.parse_args(argv)
    html, out = Path(args.html).resolve(), Path(args.out).resolve()
    if not (html / "index.html").exists():
        raise SystemExit(f"{html} holds no built book: run `make book` first")
    chromium = find_chromium()
    server, port = serve(html)
    failures = []
    try:
        for page in args.page or pages(html):
            url = f"http://127.0.0.1:{port}/{page}"
            with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
                dom = rendered_dom(chromium, url, Path(profile))
            if TRACEBACK in dom:
                failures.append(f"{page} shows a traceback")
            # a generous window (the blank space below the page is trimmed afterwards)
            lines = dom.count("<p") + dom.count("<tr") + dom.count("<img") * 18 + \
                dom.count("<div class=\"highlight") * 6
            height = args.height or min(40000, max(1200, 40 * lines))
            png = out / Path(page).with_suffix(".png")
            with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
                shoot(chromium, url, png, Path(profile), width=args.width, height=height)
            parts = split(png)
            print(f"[screenshots] {png} ({args.width}x{height}, {len(parts)} parts)")
    finally:
        server.shutdown()
    for failure in failures:
        print(f"[screenshots] FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
