"""Start-up cost of the ``serlib`` command: whole-process CPU time, wall time, peak memory.

    python benchmarks/cli_startup.py                 # this checkout
    python benchmarks/cli_startup.py --repo OLD_TREE # another checkout (e.g. a git worktree
                                                     # of an older commit), for a before/after

Each command runs ``--runs`` times in a fresh process (``python -m serlib ...`` with the
checkout first on ``PYTHONPATH``); the table shows the median CPU time (user + system),
the median wall time and the largest peak resident memory, and whether torch was imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "serlib --help": ["--help"],
    "serlib data list": ["data", "list"],
    "serlib experiment plan smoke": ["experiment", "plan", "configs/smoke.yaml"],
}
PROBE = ("import runpy, sys; sys.argv = ['serlib'] + sys.argv[1:];\n"
         "try:\n    runpy.run_module('serlib', run_name='__main__')\n"
         "except SystemExit:\n    pass\n"
         "finally:\n    print('TORCH' if 'torch' in sys.modules else 'NOTORCH', file=sys.stderr)")


def measure(repo: Path, args: list[str]) -> tuple[float, float, float, bool]:
    """CPU seconds, wall seconds, peak RSS (MB) and whether torch was loaded, for one run.

    GNU time (``/usr/bin/time``) reports the peak memory of that one process.
    """
    env = {**os.environ, "PYTHONPATH": str(repo), "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", sys.executable, "-c", PROBE,
                           *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    user, system, peak_kb = proc.stderr.strip().splitlines()[-1].split()
    return float(user) + float(system), wall, int(peak_kb) / 1024, "NOTORCH" not in proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"checkout: {args.repo}  ({args.runs} runs each)")
    print(f"{'command':32s} {'CPU s':>7s} {'wall s':>7s} {'peak MB':>8s}  torch")
    for name, command in COMMANDS.items():
        runs = [measure(args.repo, command) for _ in range(args.runs)]
        peak = max(r[2] for r in runs)
        print(f"{name:32s} {statistics.median(r[0] for r in runs):7.2f} "
              f"{statistics.median(r[1] for r in runs):7.2f} {peak:8.0f}  "
              f"{'yes' if any(r[3] for r in runs) else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
