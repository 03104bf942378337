"""Where speaker statistics fail: per-speaker correction and refinement on stressed corpora.

    SERLIB_DATA=/work/shared/data SERLIB_CACHE=... SERLIB_BYOLS_CHECKPOINT=... \\
        python benchmarks/tta_stress.py [--seeds 3] [--json FILE]

RAVDESS → EmoDB and RAVDESS → EMOVO on the frozen BYOL-S embeddings of the cpu profile. A
logistic regression (C = 0.01, fixed; source train only) is scored on the targets after
:func:`serlib.data.stress.stress_subsample` made each speaker break an assumption of speaker
statistics (:data:`serlib.data.stress.STRESS_CASES`: 2 / 5 / 10 utterances per speaker, one
class missing, an 80/20 skew, one emotion per speaker). Columns (test-time information):

- ``inductive``: source statistics only, one recording at a time;
- ``speaker``: each speaker's frames corrected by their own statistics and their
  embeddings standardised per speaker (the cpu profile's ``byols_embed`` + ``speaker``);
- ``speaker + refine``: and speaker-centroid refinement;
- ``... guarded``: the same with the guards of :mod:`serlib.adapt.speaker_centroids` and
  :func:`serlib.features.normalize_embeddings` (a speaker with fewer than
  ``min_utterances`` utterances takes the inductive path).

UAR (%) pooled over the kept target utterances, mean over ``--seeds`` subsamplings.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inductive import _load, _uar

from serlib.adapt.speaker_centroids import MIN_UTTERANCES, speaker_centroid_scores
from serlib.data.stress import STRESS_CASES, stress_subsample
from serlib.features.normalize import normalize_embeddings


def _fc1(backbone, frames):
    enc = backbone.embedder.encoder
    with torch.no_grad():
        return torch.stack([torch.cat([z.mean(0), z.std(0, unbiased=False)])
                            for z in (enc.fc[1](enc.fc[0](h)) for h in frames)])


def main() -> int:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    backbone, data = _load()
    src, frames_s, y_s = data["source"]
    train = (src["split"] == "train").to_numpy()
    x_ind = _fc1(backbone, frames_s)
    mu, sd = x_ind[train].mean(0), x_ind[train].std(0, unbiased=False) + 1e-6
    spk_s = [str(s) for s in src["speaker"]]
    x_spk = normalize_embeddings(backbone.embed_groups(src, spk_s), mode="speaker",
                                 speakers=spk_s)
    fit = {}
    for name, x in (("inductive", (x_ind - mu) / sd), ("speaker", x_spk)):
        fit[name] = LogisticRegression(C=0.01, max_iter=500, class_weight="balanced").fit(
            x[torch.as_tensor(train)].numpy(), y_s[train])
    rows = []
    print("| target | case | utterances/speaker | inductive | speaker | speaker + refine | "
          "inductive + refine | speaker + refine, guarded |")
    print("|---|---|---|---|---|---|---|---|")
    dev_rows = (src["split"] != "train").to_numpy()  # RAVDESS speakers never trained on
    data["ravdess (dev speakers)"] = (src[dev_rows], [f for f, k in zip(
        frames_s, dev_rows, strict=True) if k], y_s[dev_rows])
    for target in ["ravdess (dev speakers)"] + [d for d in data if d not in (
            "source", "ravdess (dev speakers)")]:
        table, frames_t, y_t = data[target]
        for case in STRESS_CASES:
            scores: dict[str, list[float]] = {}
            sizes = []
            for seed in range(args.seeds):
                sub = stress_subsample(table.reset_index(drop=True), case, seed=seed)
                idx = sub.index.to_numpy()
                y = y_t[idx]
                spk = [str(s) for s in sub["speaker"]]
                sizes.append(len(sub) / sub["speaker"].nunique())
                xi = ((_fc1(backbone, [frames_t[i] for i in idx]) - mu) / sd)
                pi = fit["inductive"].predict_proba(xi.numpy())
                xs = normalize_embeddings(backbone.embed_groups(sub, spk), mode="speaker",
                                          speakers=spk)
                ps = fit["speaker"].predict_proba(xs.numpy())
                out = {
                    "inductive": pi.argmax(1), "speaker": ps.argmax(1),
                    "speaker + refine": speaker_centroid_scores(
                        xs, torch.as_tensor(ps), spk, min_utterances=1).argmax(1).numpy(),
                    "inductive + refine": speaker_centroid_scores(
                        xi, torch.as_tensor(pi), spk, min_utterances=1).argmax(1).numpy(),
                }
                # guarded: small speakers take the inductive path entirely
                counts = sub["speaker"].value_counts()
                small = np.array([counts[s] < MIN_UTTERANCES for s in spk])
                refined = speaker_centroid_scores(xs, torch.as_tensor(ps), spk).argmax(1)
                out["speaker + refine, guarded"] = np.where(small, pi.argmax(1),
                                                            refined.numpy())
                for k, pred in out.items():
                    scores.setdefault(k, []).append(_uar(y, pred))
            row = {"target": target, "case": case, "per_speaker": float(np.mean(sizes)),
                   **{k: float(np.mean(v)) for k, v in scores.items()}}
            rows.append(row)
            print(f"| {target} | {case} | {row['per_speaker']:.1f} | "
                  + " | ".join(f"{100 * row[k]:.1f}" for k in scores) + " |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "min_utterances": MIN_UTTERANCES},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
