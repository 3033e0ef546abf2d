"""``python -m fixedpoints``."""

import sys

from fixedpoints.cli.main import main

sys.exit(main())
