"""``python -m fixedpoints``."""

import sys

from fixedpoints.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
