"""How long does each edition of the book take to execute, chapter by chapter?

Executes every chapter of one edition through the book's own pipeline
(``tools/build_book.py execute``), by default **cold**: with a fresh ``SERLIB_CACHE`` (no
cached features, embeddings, source models or results) and a fresh build folder, then
prints the per-chapter times papermill measured, their sum and the wall time.

    python benchmarks/book_editions.py --profile smoke          # the synthetic edition
    python benchmarks/book_editions.py --profile cpu            # real data (SERLIB_DATA)
    python benchmarks/book_editions.py --profile full --dry-run # the GPU path, capped
    python benchmarks/book_editions.py --profile cpu --warm     # reuse $SERLIB_CACHE

The issue budgets: smoke ≤ 10 min, cpu ≤ 20 min cold (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="smoke", choices=["smoke", "cpu", "full"])
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--warm", action="store_true", help="keep $SERLIB_CACHE")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serlib-book-editions-"))
    env = dict(os.environ)
    if not args.warm:
        env["SERLIB_CACHE"] = str(work / "cache")
    build = work / "repo"
    shutil.copytree(REPO, build, ignore=shutil.ignore_patterns("_build", ".venv", ".git"))
    command = [sys.executable, "tools/build_book.py", "--jobs", str(args.jobs), "execute",
               "--profile", args.profile, *(["--dry-run"] if args.dry_run else [])]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=build, env=env)
    wall = time.perf_counter() - start
    edition = f"{args.profile}-dryrun" if args.dry_run else args.profile
    runtimes = json.loads((build / "_build" / "runtimes.json").read_text())["chapters"]
    print(f"\nedition {edition}, {'warm' if args.warm else 'cold'} cache, {args.jobs} at a "
          f"time, {os.cpu_count()} cores")
    total = 0.0
    for chapter, editions in sorted(runtimes.items()):
        entry = editions.get(edition)
        if entry:
            total += entry["seconds"]
            print(f"  {chapter:<24} {entry['seconds']:8.1f} s")
    print(f"  {'sum of chapters':<24} {total:8.1f} s\n  {'wall time':<24} {wall:8.1f} s")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
