"""Apply one sysctl.d file with tuned's own code: ``python apply_tuned.py FILE``.

tuned's sysctl plugin reads sysctl.d files with ``_apply_sysctl_config_file``
(``tuned/plugins/plugin_sysctl.py``, used when ``reapply_sysctl`` is on). This
runs exactly that function on FILE; the ``tuned`` package must be importable
(``apt-get install tuned``, or ``PYTHONPATH`` pointing at its ``dist-packages``).
"""

from __future__ import annotations

import logging
import sys


def main(path: str) -> None:
    from tuned.plugins import plugin_sysctl  # the tool under test, unchanged

    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    plugin_sysctl._apply_sysctl_config_file(path, {})


if __name__ == "__main__":
    main(sys.argv[1])
