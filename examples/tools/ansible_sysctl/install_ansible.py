"""Install the pinned ansible-core and ``ansible.posix`` collection this example runs against.

    python3 examples/tools/ansible_sysctl/install_ansible.py DEST

makes ``DEST/venv`` (a virtualenv with ansible-core, exact version below) and
``DEST/collections/ansible_collections/ansible/posix`` (the collection, taken out of
the pinned ``ansible`` bundle from PyPI, checked against its sha256; the rest of the
bundle, about 50 MB of other collections, is not kept). ``scripts/bootstrap.sh test``
runs it into ``.venv/tools/ansible``; after that nothing is downloaded, and
``ansible_locate.ansible_env()`` finds it there. Galaxy is not used: PyPI is the
registry every machine of the project reaches.

Exit status: 0 installed (or already there), 1 a download or install failed (one line
on stderr says which).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile

__all__ = ["ANSIBLE_BUNDLE", "ANSIBLE_BUNDLE_SHA256", "ANSIBLE_CORE", "core_version", "install"]

#: ansible-core: 2.19 runs its controller on Python 3.11-3.13; 2.17 is the last release for 3.10.
ANSIBLE_CORE = "2.19.14"
ANSIBLE_CORE_PY310 = "2.17.14"
#: The ``ansible`` bundle whose ``ansible.posix`` (2.1.0) is used, and its wheel's sha256.
ANSIBLE_BUNDLE = "12.3.0"
ANSIBLE_BUNDLE_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
COLLECTION = "ansible_collections/ansible/posix/"


def core_version() -> str:
    """The ansible-core release pinned for this Python."""
    return ANSIBLE_CORE_PY310 if sys.version_info < (3, 11) else ANSIBLE_CORE


def install(dest: str) -> None:
    """Create ``dest/venv`` and ``dest/collections``; a no-op when ``dest/READY`` names the pins."""
    stamp = os.path.join(dest, "READY")
    want = f"ansible-core=={core_version()} ansible=={ANSIBLE_BUNDLE}\n"
    if os.path.exists(stamp) and pathlib.Path(stamp).read_text() == want:
        return
    shutil.rmtree(dest, ignore_errors=True)
    env_dir = os.path.join(dest, "venv")
    venv.create(env_dir, with_pip=True)
    pip = [os.path.join(env_dir, "bin", "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["install", f"ansible-core=={core_version()}"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(pip + ["download", "--no-deps", "--ignore-requires-python", "--only-binary=:all:",
                              "-d", tmp, f"ansible=={ANSIBLE_BUNDLE}"], check=True)
        wheel = os.path.join(tmp, f"ansible-{ANSIBLE_BUNDLE}-py3-none-any.whl")
        with open(wheel, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != ANSIBLE_BUNDLE_SHA256:
            raise RuntimeError(f"ansible-{ANSIBLE_BUNDLE} wheel: sha256 {digest}, expected {ANSIBLE_BUNDLE_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(os.path.join(dest, "collections"), [n for n in z.namelist() if n.startswith(COLLECTION)])
    with open(stamp, "w") as f:
        f.write(want)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: install_ansible.py DEST", file=sys.stderr)
        return 2
    try:
        install(argv[0])
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        print(f"install_ansible: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
