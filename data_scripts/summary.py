"""`serlib data summary` as a script: `python data_scripts/summary.py --help`.

Chapter: book/02_corpora.md
"""

import sys

from serlib.cli import main

if __name__ == "__main__":
    sys.exit(main(["data", "summary", *sys.argv[1:]]))
