"""`serlib data verify` as a script: `python data_scripts/verify.py --help`.

Chapter: book/02_corpora.md
"""

import sys

from serlib.cli import main

if __name__ == "__main__":
    sys.exit(main(["data", "verify", *sys.argv[1:]]))
