"""A strictly inductive zero-shot recipe on frozen BYOL-S frames, and which lever moved what.

    SERLIB_DATA=/work/shared/data SERLIB_CACHE=... SERLIB_BYOLS_CHECKPOINT=.../byol-s/...pth \\
        python benchmarks/inductive.py [--json FILE] [--quick]

RAVDESS (English) is the source, EmoDB (German) and EMOVO (Italian) the targets, the
``agarla5`` classes. **Strictly inductive**: the model meets each target recording alone;
nothing of the target (no other recording, no speaker id, no domain statistic, no label) is
read, and every choice (levers, C of the logistic regression, epochs of the head) is made
on the **source dev** split (speaker-independent RAVDESS speakers); the targets are only
scored. Target UAR is pooled over every target utterance (the model saw none of them).

The trunk frames come from :func:`serlib.features.cached_trunk_features` through the cpu
profile's backbone (``byols_embed``): the first run computes them (minutes), later runs
read the cache (``SERLIB_CACHE``). Each row of the ablation adds or swaps one lever:

- frames: ``none`` (source statistics only) / ``utterance`` (each recording's own
  statistics mapped onto the source's) / ``utterance_mean``;
- pooling ``mean_std`` / ``mean_std_max`` of BYOL-S's ``fc`` layer 1;
- training crops: the source utterances' random 2-s windows as extra training rows;
- test-time crops: the recording and 4 windows of it, probabilities averaged;
  (each lever is measured alone against the baseline, frames ``none``);
- classifier: logistic regression (C on source dev) or the low-rank head of the cpu
  profile (``Linear(d, 64)``, dropout, ``Linear(64, 5)``; epoch on source dev), and a
  seed ensemble of heads.

The printed table has each lever's source-dev UAR (what chooses) and its target UARs (what
is reported). See :mod:`serlib.features.inductive` for the library pieces.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from serlib.features.inductive import frame_crops, inductive_embedding, source_standardise

CROP = 25  # trunk frames in a 2-s window (10 ms hop, 8× pooling in time)


def _uar(y: np.ndarray, pred: np.ndarray) -> float:
    classes = np.unique(y)
    return float(np.mean([(pred[y == c] == c).mean() for c in classes]))


def _load():
    """Source and target tables, labels and trunk frames (through the cpu backbone)."""
    from serlib.data import encode_labels
    from serlib.experiments import (
        TaskCache,
        load_experiment,
        parse_task,
        prepare_task,
        resolve_experiment,
    )

    config = load_experiment("cross_lingual")
    plan, cache = resolve_experiment(config, "cpu", None), TaskCache()
    tasks = [prepare_task(*parse_task(t), plan, cache) for t in plan.config.tasks]
    backbone = tasks[0].backbone
    labels = tasks[0].labels
    data = {}
    src = tasks[0].source_table
    data["source"] = (src, backbone._trunk(src), encode_labels(src["emotion"], labels))
    for task in tasks:
        t = task.target_table
        data[task.target] = (t, backbone._trunk(t), encode_labels(t["emotion"], labels))
    return backbone, data


class _Embed:
    """Embeddings of every domain for one lever setting (cached by setting)."""

    def __init__(self, backbone, data) -> None:
        self.emb, self.data = backbone.embedder, data
        src, frames, _ = data["source"]
        train = torch.cat([f for f, s in zip(frames, src["split"], strict=True)
                           if s == "train"])
        self.mean, self.std = train.mean(0), train.std(0, unbiased=False)
        self.memo: dict = {}

    def neck(self, h: torch.Tensor) -> torch.Tensor:
        return self.emb.encoder.fc[1](self.emb.encoder.fc[0](h))

    def __call__(self, domain: str, mode: str, pooling: str, n_crops: int = 0,
                 seed: int = 0) -> tuple[torch.Tensor, list[int]]:
        """Rows of (recording, window) and the recording index of each row."""
        key = (domain, mode, pooling, n_crops, seed)
        if key not in self.memo:
            frames = self.data[domain][1]
            if n_crops and seed:  # random training crops
                rng = np.random.default_rng(seed)
                crops = []
                for f in frames:
                    n = len(f)
                    ws = [slice(0, n)]
                    if n > CROP:
                        ws += [slice(s, s + CROP) for s in rng.integers(0, n - CROP, n_crops)]
                    crops.append(ws)
            elif n_crops:  # evenly spaced test-time crops
                crops = [frame_crops(len(f), n_crops=n_crops, length=CROP) for f in frames]
            else:
                crops = None
            x = inductive_embedding(frames, self.neck, source_mean=self.mean,
                                    source_std=self.std, mode=mode, pooling=pooling,
                                    crops=crops)
            owner = [i for i, f in enumerate(frames)
                     for _ in (crops[i] if crops is not None else [0])]
            self.memo[key] = (x, owner)
        return self.memo[key]


def _average(probs: np.ndarray, owner: list[int], n: int) -> np.ndarray:
    """Mean probabilities over each recording's windows. Shape: (rows, k) -> (n, k)."""
    out = np.zeros((n, probs.shape[1]))
    np.add.at(out, np.asarray(owner), probs)
    counts = np.bincount(owner, minlength=n)[:, None]
    return out / counts


def _logreg(xtr, ytr, c):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=300, class_weight="balanced")
    return model.fit(xtr, ytr).predict_proba


def _head(xtr, ytr, xdev, ydev, seed, epochs=60):
    """The cpu profile's low-rank head, epoch chosen on source dev UAR."""
    torch.manual_seed(seed)
    d, k = xtr.shape[1], int(ytr.max()) + 1
    model = torch.nn.Sequential(torch.nn.Linear(d, 64), torch.nn.Dropout(0.3),
                                torch.nn.Linear(64, k))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    xt, yt = torch.as_tensor(xtr, dtype=torch.float32), torch.as_tensor(ytr)
    xd = torch.as_tensor(xdev, dtype=torch.float32)
    counts = torch.bincount(yt, minlength=k).float()
    loss_fn = torch.nn.CrossEntropyLoss(weight=counts.sum() / (k * counts))
    g = torch.Generator().manual_seed(seed)
    best, state = -1.0, None
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(xt), generator=g).split(64):
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            uar = _uar(ydev, model(xd).argmax(1).numpy())
        if uar > best:
            best, state = uar, {k_: v.clone() for k_, v in model.state_dict().items()}
    model.load_state_dict(state)
    model.eval()

    def predict(x):
        with torch.no_grad():
            return torch.softmax(model(torch.as_tensor(x, dtype=torch.float32)), 1).numpy()
    return predict


def evaluate(embed: _Embed, *, mode: str, pooling: str, train_crops: int = 0,
             test_crops: int = 0, classifier: str = "logreg", seeds: tuple[int, ...] = (0,),
             cs: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1)) -> dict:
    """One setting: fit on source train, choose on source dev, score every target."""
    src, _, y = embed.data["source"]
    split = src["split"].to_numpy()
    x_all, _ = embed("source", mode, pooling)
    train_rows = np.flatnonzero(split == "train")
    x_src_train = x_all[train_rows]
    if train_crops:
        xc, oc = embed("source", mode, pooling, train_crops, seed=1)
        keep = np.isin(np.asarray(oc), train_rows)
        xtr_raw, ytr = xc[torch.as_tensor(keep)], y[np.asarray(oc)[keep]]
    else:
        xtr_raw, ytr = x_src_train, y[train_rows]
    xtr = source_standardise(xtr_raw, x_src_train).numpy()
    dev = split == "dev"
    xdev = source_standardise(x_all[torch.as_tensor(dev)], x_src_train).numpy()
    ydev = y[dev]
    if classifier == "logreg":
        fits = {c: _logreg(xtr, ytr, c) for c in cs}
        dev_uar = {c: _uar(ydev, f(xdev).argmax(1)) for c, f in fits.items()}
        chosen = max(dev_uar, key=dev_uar.get)
        predictors, note = [fits[chosen]], f"C={chosen}"
    else:
        predictors = [_head(xtr, ytr, xdev, ydev, s) for s in seeds]
        note = f"{len(seeds)} seed(s)"
    out = {"mode": mode, "pooling": pooling, "train_crops": train_crops,
           "test_crops": test_crops, "classifier": classifier, "note": note,
           "source_dev_uar": _uar(ydev, np.mean([p(xdev) for p in predictors], 0).argmax(1))}
    for target in [d for d in embed.data if d != "source"]:
        _, _, yt = embed.data[target]
        xt, ot = embed(target, mode, pooling, test_crops)
        xt = source_standardise(xt, x_src_train).numpy()
        probs = np.mean([_average(p(xt), ot, len(yt)) for p in predictors], 0)
        out[target] = _uar(yt, probs.argmax(1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    parser.add_argument("--quick", action="store_true", help="logistic-regression rows only")
    parser.add_argument("--heads", action="store_true",
                        help="only the baseline and the low-rank-head rows")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    backbone, data = _load()
    embed = _Embed(backbone, data)
    print(f"frames ready in {time.perf_counter() - start:.0f} s", flush=True)
    rows = [
        ("baseline: source statistics, mean+std, logreg", dict(mode="none", pooling="mean_std")),
        ("frames: utterance mean only", dict(mode="utterance_mean", pooling="mean_std")),
        ("frames: utterance mean + std", dict(mode="utterance", pooling="mean_std")),
        ("max pooling too (frames: none)", dict(mode="none", pooling="mean_std_max")),
        ("test-time crops (4; frames: none)", dict(mode="none", pooling="mean_std",
                                                   test_crops=4)),
        ("training crops (4 per utterance; frames: none)",
         dict(mode="none", pooling="mean_std", train_crops=4)),
        ("training and test-time crops (frames: none)",
         dict(mode="none", pooling="mean_std", train_crops=4, test_crops=4)),
    ]
    if args.heads:
        rows = rows[:1]
    if not args.quick:
        rows += [
            ("low-rank head (1 seed)", dict(mode="none", pooling="mean_std",
                                            classifier="head", seeds=(0,))),
            ("low-rank head, 5-seed ensemble", dict(mode="none", pooling="mean_std",
                                                    classifier="head", seeds=(0, 1, 2, 3, 4))),
            ("head ensemble + test-time crops",
             dict(mode="none", pooling="mean_std", classifier="head",
                  seeds=(0, 1, 2, 3, 4), test_crops=4)),
        ]
    results = []
    print("| lever | frames | setting | source dev UAR | EmoDB UAR | EMOVO UAR |")
    print("|---|---|---|---|---|---|")
    for name, kw in rows:
        r = evaluate(embed, **kw)
        r["lever"] = name
        results.append(r)
        print(f"| {name} | {r['mode']} | {r['note']} | {100 * r['source_dev_uar']:.1f} | "
              f"{100 * r.get('emodb', float('nan')):.1f} | "
              f"{100 * r.get('emovo', float('nan')):.1f} |", flush=True)
    best = max(results, key=lambda r: r["source_dev_uar"])
    print(f"\nchosen on source dev: {best['lever']} -> EmoDB {100 * best['emodb']:.1f}, "
          f"EMOVO {100 * best['emovo']:.1f} (inductive; pooled over every target utterance)")
    print(f"{time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"rows": results, "chosen": best["lever"]},
                                        indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
