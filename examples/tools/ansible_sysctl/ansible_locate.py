"""Find ansible-core and the ansible.posix collection: ``$FAKEPROC_ANSIBLE`` (the ``ansible``
command) and ``$FAKEPROC_ANSIBLE_COLLECTIONS``, else ``ansible`` on PATH and its default paths."""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["ansible_env"]


def ansible_env() -> tuple[str, dict[str, str]] | None:
    """``(ansible command, environment)`` under which ``ansible.posix.sysctl`` is found, or None."""
    command = os.environ.get("FAKEPROC_ANSIBLE") or shutil.which("ansible")
    if not command:
        return None
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json",
               PYTHONWARNINGS="ignore")
    if os.environ.get("FAKEPROC_ANSIBLE_COLLECTIONS"):
        env["ANSIBLE_COLLECTIONS_PATH"] = os.environ["FAKEPROC_ANSIBLE_COLLECTIONS"]
    probe = subprocess.run([command.replace("ansible", "ansible-doc") if command.endswith("ansible") else command,
                            "-t", "module", "ansible.posix.sysctl"], capture_output=True, env=env, check=False,
                           timeout=120)
    return (command, env) if probe.returncode == 0 else None
