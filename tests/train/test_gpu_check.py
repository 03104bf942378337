"""The prepared GPU check runs its whole code path at a tiny size on the CPU (CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_check_runs_tiny_on_the_cpu(tmp_path):
    out = tmp_path / "gpu_check.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--tiny",
                           "--device", "cpu", "--out", str(out), "--work", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    parts = {p["part"]: p for p in report["parts"]}
    assert set(parts) == {"vgg16", "byols", "agreement", "predict", "resume"}
    assert all(p["ok"] for p in parts.values()), parts
    assert parts["vgg16"]["losses_finite"] and parts["vgg16"]["items_per_s"] > 0
    assert parts["resume"]["killed_mid_run"] and parts["resume"]["resumed_from"] >= 1
    assert parts["resume"]["identical"]  # on the CPU, exactly the uninterrupted run
    assert parts["agreement"]["max_rel_logit_diff"] <= parts["agreement"]["tolerance"]
    assert report["versions"]["torch"] == __import__("torch").__version__


def test_gpu_check_without_a_gpu_says_so_and_exits_0(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    out = tmp_path / "skip.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and "no usable CUDA device" in done.stdout
    assert json.loads(out.read_text())["skipped"] == "no CUDA device"
    again = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"),
                            "--out", str(out), "--require-gpu"], capture_output=True,
                           text=True, timeout=120, check=False)
    assert again.returncode == 1
