"""Run `make test`'s stages one after the other and print how long each took.

``python tools/run_stages.py --make "make SKIP_SETUP=1" lint unit ...`` runs ``make <stage>``
for every stage, even after one failed (so that one CI run reports every failure), prints a
timing summary at the end, writes it to ``_build/test_timings.json`` (the README's runtime
table reads it) and exits with 1 when any stage failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _fmt(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes:3d} min {secs:02d} s" if minutes else f"{secs:9d} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--make", default="make", help="the make command to run stages with")
    parser.add_argument("stages", nargs="+")
    args = parser.parse_args(argv)
    make = shlex.split(args.make)
    results = []
    start = time.monotonic()
    for stage in args.stages:
        print(f"\n===== make test: {stage} =====", flush=True)
        began = time.monotonic()
        code = subprocess.run([*make, stage], cwd=REPO, check=False).returncode
        seconds = time.monotonic() - began
        status = "passed" if code == 0 else f"FAILED (exit {code})"
        results.append({"name": stage, "seconds": round(seconds, 1), "status": status})
        print(f"===== {stage}: {status} in {seconds:.0f} s =====", flush=True)
    total = time.monotonic() - start
    print("\n===== make test: timing summary =====")
    for result in results:
        print(f"  {result['name']:<20} {_fmt(result['seconds'])}   {result['status']}")
    print(f"  {'total':<20} {_fmt(total)}")
    failed = [r["name"] for r in results if r["status"] != "passed"]
    summary = {"stages": results, "total_seconds": round(total, 1),
               "machine": f"{os.cpu_count()} CPU cores",
               "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    out = REPO / "_build" / "test_timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    if failed:
        print(f"make test FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("make test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
