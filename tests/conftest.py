"""Test-session settings: derivation cache in a temporary folder, headless matplotlib."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
_CACHE = tempfile.mkdtemp(prefix="fixedpoints-test-cache-")
os.environ["FIXEDPOINTS_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
