"""``python -m fakeproc.cli``."""

from __future__ import annotations

import sys

from fakeproc.cli.main import main

sys.exit(main())
