"""A copy of ``ansible.posix.sysctl`` that decides ``changed`` by the kernel's value, not its text.

    python fixed_module.py DIR     # then FAKEPROC_ANSIBLE_COLLECTIONS=DIR pytest examples/tools/ansible_sysctl

copies the installed collection to ``DIR/ansible_collections/ansible/posix`` (its other
plugins too: the ``json`` stdout callback the example reads is one) with ``sysctl.py`` fixed.

The module (ansible.posix 1.x-2.x) reports ``changed`` when the file already holds the
value but the kernel's text differs from the requested text, and then reloads. The
kernel may show an accepted value differently (``0x0`` reads ``0``; ``-1`` for a
bridge-nf switch reads ``1``), so such a task is ``changed`` on every run. The fix here:
reload, and report ``changed`` only when the reload changed what the kernel shows. It is
a check that the example's property is not one that no module could pass
(``tests/testing/test_example_tools.py`` runs the example against this copy), not a
patch proposed upstream.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from ansible_locate import ansible_env

__all__ = ["fixed_collection", "fixed_source", "installed_module"]

_ORIGINAL = """\
            elif not self._values_is_equal(self.proc_value, self.args['value']):
                self.changed = True

        # use the sysctl command or not?"""
_FIXED = """\
            elif not self._values_is_equal(self.proc_value, self.args['value']):
                # fakeproc example: the kernel may print an accepted value differently
                if not self.module.check_mode:
                    self.reload_sysctl()
                self.changed = self.module.check_mode or self.get_token_curr_value(thisname) != self.proc_value

        # use the sysctl command or not?"""


def fixed_source(original: str) -> str:
    """The module's source with the reload check replaced; ValueError if the module's text moved."""
    if original.count(_ORIGINAL) != 1:
        raise ValueError("ansible.posix.sysctl: the reload check to replace was not found (another release?)")
    return original.replace(_ORIGINAL, _FIXED)


def installed_module() -> str:
    """Path of the ``sysctl.py`` that ``ansible_env()`` runs."""
    found = ansible_env()
    if found is None:
        raise FileNotFoundError("ansible with ansible.posix is not installed")
    command, env = found
    doc = command[: -len("ansible")] + "ansible-doc"
    out = subprocess.run([doc, "-t", "module", "--json", "ansible.posix.sysctl"], capture_output=True, text=True,
                         env=env, check=True, timeout=120).stdout
    return str(json.loads(out)["ansible.posix.sysctl"]["doc"]["filename"])


def fixed_collection(dest: str) -> str:
    """Copy the installed ``ansible.posix`` under ``dest/ansible_collections`` with the module fixed;
    returns the fixed module's path."""
    module = installed_module()
    root = os.path.dirname(os.path.dirname(os.path.dirname(module)))  # .../ansible_collections/ansible/posix
    copy = os.path.join(dest, "ansible_collections", "ansible", "posix")
    shutil.copytree(root, copy)
    fixed = os.path.join(copy, os.path.relpath(module, root))
    with open(module) as f:
        source = f.read()
    with open(fixed, "w") as f:
        f.write(fixed_source(source))
    return fixed


if __name__ == "__main__":
    print(fixed_collection(sys.argv[1]))
