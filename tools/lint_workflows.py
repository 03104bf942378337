"""Lint the GitHub Actions workflows with actionlint (``make workflow-lint``).

Finds the ``actionlint`` command next to the running Python (installed by the ``dev``
extras) or on ``PATH`` and runs it on ``.github/workflows/*.yml``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    if not workflows:
        print("[workflow-lint] no workflows in .github/workflows", file=sys.stderr)
        return 1
    local = Path(sys.executable).parent / "actionlint"
    command = str(local) if local.exists() else shutil.which("actionlint")
    if command is None:
        print("[workflow-lint] actionlint is not installed: pip install -e '.[dev]' "
              "(it is in the dev extras)", file=sys.stderr)
        return 1
    done = subprocess.run([command, *map(str, workflows)], cwd=REPO, check=False)
    if done.returncode == 0:
        print(f"[workflow-lint] {len(workflows)} workflows lint clean: "
              + ", ".join(w.name for w in workflows))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
