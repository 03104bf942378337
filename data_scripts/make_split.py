"""Make and save a speaker-independent train/dev/test split of one corpus.

Example::

    python data_scripts/make_split.py emodb --label-set agarla5 --seed 0

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import argparse
import sys

from serlib.data import LABEL_SETS, apply_label_set, load_corpus, save_split, speaker_split


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, split, save, print the file and the part sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--root", help="corpus folder or data root (default: $SERLIB_DATA)")
    parser.add_argument("--label-set", default="agarla5", choices=sorted(LABEL_SETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fractions", type=float, nargs=3, default=(0.6, 0.2, 0.2),
                        metavar=("TRAIN", "DEV", "TEST"))
    parser.add_argument("--out", help="folder for the CSV (default: $SERLIB_CACHE/splits)")
    args = parser.parse_args(argv)
    table = apply_label_set(load_corpus(args.corpus, args.root), args.label_set, verbose=True)
    split = speaker_split(table, fractions=args.fractions, seed=args.seed)
    path = save_split(split, f"{args.corpus}-{args.label_set}-seed{args.seed}", args.out)
    print(split.groupby("split").agg(files=("path", "size"), speakers=("speaker", "nunique")))
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
