"""``python -m fakeproc``: the command line."""

from __future__ import annotations

import sys

from fakeproc.cli.main import main

sys.exit(main())
