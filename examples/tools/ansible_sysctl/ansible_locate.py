"""Find ansible-core and the ansible.posix collection.

The ``ansible`` command, in order: ``$FAKEPROC_ANSIBLE``; the pinned install that
``scripts/bootstrap.sh test`` makes with ``install_ansible.py`` in ``<virtualenv>/tools/ansible``
(with its collection); ``ansible`` on PATH (with its default collection paths).
``$FAKEPROC_ANSIBLE_COLLECTIONS`` (a directory holding ``ansible_collections/``) replaces the
collection path of any of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["ansible_env", "bootstrap_dir"]


def bootstrap_dir() -> str:
    """Where ``scripts/bootstrap.sh test`` installs the pinned ansible (beside the running virtualenv)."""
    return os.path.join(sys.prefix, "tools", "ansible")


def _candidates() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    if os.environ.get("FAKEPROC_ANSIBLE"):
        out.append((os.environ["FAKEPROC_ANSIBLE"], None))
    pinned = bootstrap_dir()
    if os.path.exists(os.path.join(pinned, "READY")):
        out.append((os.path.join(pinned, "venv", "bin", "ansible"), os.path.join(pinned, "collections")))
    if shutil.which("ansible"):
        out.append((str(shutil.which("ansible")), None))
    return out


def ansible_env() -> tuple[str, dict[str, str]] | None:
    """``(ansible command, environment)`` under which ``ansible.posix.sysctl`` is found, or None."""
    for command, collections in _candidates():
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json",
                   ANSIBLE_PYTHON_INTERPRETER="auto_silent", PYTHONWARNINGS="ignore")
        collections = os.environ.get("FAKEPROC_ANSIBLE_COLLECTIONS") or collections
        if collections:
            env["ANSIBLE_COLLECTIONS_PATH"] = collections
        doc = os.path.join(os.path.dirname(command), "ansible-doc")
        try:
            probe = subprocess.run([doc, "-t", "module", "ansible.posix.sysctl"], capture_output=True, env=env,
                                   check=False, timeout=120)
        except OSError:
            continue
        if probe.returncode == 0:
            return command, env
    return None
