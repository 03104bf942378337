"""`serlib data fetch` as a script: `python data_scripts/fetch.py --help`.

Chapter: book/02_corpora.md
"""

import sys

from serlib.cli import main

if __name__ == "__main__":
    sys.exit(main(["data", "fetch", *sys.argv[1:]]))
