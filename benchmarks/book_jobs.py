"""Is `--jobs 2` faster than `--jobs 1` for the book's execution on this machine?

Executes the same set of chapters twice through the book's pipeline (tools/build_book.py,
papermill, one kernel per chapter), once one chapter at a time (each kernel gets every
core) and once N at a time (each kernel gets cores / N threads through OMP_NUM_THREADS),
into a temporary build folder, and prints the wall-clock times and their ratio.

    python benchmarks/book_jobs.py                    # 4 copies of a small training chapter
    python benchmarks/book_jobs.py --chapter book/06_cross_lingual_gap.md --copies 2

The default chapter imports serlib and torch and trains a SmallCNN for a fixed number of
steps on random log-mels: a stand-in for a smoke chapter that takes ~10-20 s, so the
benchmark takes minutes, not the hour a real book would.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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

# Benchmark chapter

```{code-cell} ipython3
:tags: [parameters]

PROFILE = "smoke"
DRY_RUN = False
```

```{code-cell} ipython3
import torch

from serlib.models import SmallCNN

torch.manual_seed(0)
model = SmallCNN(num_classes=5, n_mels=64)
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(16, 1, 64, 200), torch.randint(0, 5, (16,))  # (batch, 1, n_mels, frames)
for _ in range(STEPS):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
print(float(loss))
```
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapter", help="a real chapter to copy (default: a small stand-in)")
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60, help="training steps (stand-in only)")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
    builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(builder)
    work = Path(tempfile.mkdtemp(prefix="book-jobs-"))
    text = (Path(args.chapter).read_text() if args.chapter
            else CHAPTER.replace("STEPS", str(args.steps)))
    source_dir = REPO / "book" if args.chapter else work
    chapters = []
    for copy in range(args.copies):
        path = source_dir / f"9{copy}_bench_copy.md"
        path.write_text(text)
        chapters.append(path)
    times = {}
    try:
        for jobs in (1, args.jobs):
            builder.BUILD = work / f"jobs{jobs}"
            builder.RUNTIMES = builder.BUILD / "runtimes.json"
            began = time.monotonic()
            builder.execute_chapters(chapters, builder.Edition("smoke"), jobs=jobs, force=True)
            times[jobs] = time.monotonic() - began
    finally:
        for path in chapters:
            path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    one, many = times[1], times[args.jobs]
    print(f"\n{args.copies} chapters: --jobs 1 {one:.1f} s, --jobs {args.jobs} {many:.1f} s; "
          f"--jobs {args.jobs} takes {many / one:.2f}x the time of --jobs 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
