"""Peak memory of predicting on a long recording (issue 21, item 7).

    python benchmarks/long_audio.py                  # a 10-minute file (48 kHz stereo)
    python benchmarks/long_audio.py --minutes 5 --rate 16000 --channels 1

Synthesises the recording in a temporary folder (no audio is ever committed), saves a small
SmallCNN model bundle beside it, and measures each case in a fresh process: the peak
resident memory of the whole process (``resource.getrusage``: Python, numpy, torch,
libsndfile, soxr) and the peak of Python-level allocations (``tracemalloc``, numpy buffers
included), with the wall time:

- ``predict 3 s``: ``predict_recordings`` on a 3-second file (the cost of the model alone);
- ``predict N min``: the same on the long file (header check, block-wise decoding and
  resampling, windowed model passes);
- ``load_audio N min``: decoding and resampling the long file only;
- ``whole-file decode``: what reading it at once would cost (``soundfile.read`` of the
  whole file plus ``soxr.resample``), for comparison;
- ``1 Hz header``: a 64 KB WAV whose header says 1 Hz (8.9 h once resampled), refused from
  its header.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, tracemalloc, warnings
warnings.simplefilter("ignore")
case, model, path = sys.argv[1:4]
import numpy as np, soundfile as sf, soxr, torch
from serlib.data import load_audio
from serlib.experiments import load_model_bundle
from serlib.experiments.recordings import predict_recordings
bundle = load_model_bundle(model)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
start = time.perf_counter()
outcome = "ok"
try:
    if case == "predict":
        with torch.no_grad():
            predict_recordings(bundle, [path])
    elif case == "load":
        load_audio(path)
    elif case == "whole":
        wav, rate = sf.read(path, dtype="float32", always_2d=True)
        soxr.resample(wav.mean(axis=1), rate, 16000, quality="HQ")
except Exception as err:
    outcome = f"{type(err).__name__}"
wall = time.perf_counter() - start
py_peak = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "base_rss_mb": base, "py_peak_mb": py_peak, "wall_s": wall,
                  "outcome": outcome}))
"""


def _make_files(folder: Path, minutes: float, rate: int, channels: int) -> dict[str, Path]:
    import numpy as np
    import soundfile as sf
    import torch

    from serlib.experiments import save_model_bundle
    from serlib.features import mel_preset
    from serlib.models import SmallCNN

    rng = np.random.default_rng(0)
    long_path = folder / "long.wav"
    block = 60 * rate
    with sf.SoundFile(long_path, "w", rate, channels, subtype="PCM_16") as out:
        for start in range(0, int(minutes * 60 * rate), block):  # one minute at a time
            t = (start + np.arange(block)) / rate
            wave = 0.2 * np.sin(2 * np.pi * (150 + 30 * np.sin(t)) * t) \
                + 0.01 * rng.standard_normal(block)
            out.write(np.repeat(wave[:, None], channels, axis=1).astype(np.float32))
    short = folder / "short.wav"
    t = np.arange(3 * 16000) / 16000
    sf.write(short, (0.2 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16000)
    one_hz = folder / "one_hz.wav"
    sf.write(one_hz, (0.1 * rng.standard_normal(32000)).astype(np.float32), 1,
             subtype="PCM_16")
    torch.manual_seed(0)
    spec = {"architecture": "SmallCNN", "kwargs": {"num_classes": 5, "n_mels": 64}}
    model = save_model_bundle(folder / "model.pt", SmallCNN(5, n_mels=64),
                              labels=["anger", "fear", "happiness", "neutral", "sadness"],
                              mel_config=mel_preset("agarla"), model_spec=spec,
                              metadata={"data": "corpora"})
    return {"long": long_path, "short": short, "one_hz": one_hz, "model": model}


def _measure(case: str, model: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD, case, str(model), str(path)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=48000, help="the long file's rate (Hz)")
    parser.add_argument("--channels", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        files = _make_files(Path(tmp), args.minutes, args.rate, args.channels)
        size = files["long"].stat().st_size / 2**20
        print(f"long file: {args.minutes:g} min, {args.rate} Hz, {args.channels} channel(s), "
              f"16-bit ({size:.0f} MB on disk); model: SmallCNN bundle, agarla front-end")
        cases = [("predict 3 s", "predict", files["short"]),
                 (f"predict {args.minutes:g} min", "predict", files["long"]),
                 (f"load_audio {args.minutes:g} min", "load", files["long"]),
                 ("whole-file decode (for comparison)", "whole", files["long"]),
                 ("predict 1 Hz header (8.9 h)", "predict", files["one_hz"])]
        print("| case | peak RSS (MB) | RSS before (MB) | peak Python allocations (MB) | "
              "wall (s) | outcome |\n|---|---|---|---|---|---|")
        for title, case, path in cases:
            m = _measure(case, files["model"], path)
            print(f"| {title} | {m['rss_mb']:.0f} | {m['base_rss_mb']:.0f} | "
                  f"{m['py_peak_mb']:.0f} | {m['wall_s']:.1f} | {m['outcome']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
