"""``python -m serlib``: the command line."""

import sys

from serlib.cli import main

sys.exit(main())
