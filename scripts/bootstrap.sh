#!/usr/bin/env bash
# Set up fakeproc on a Debian/Ubuntu machine and run one job:
#   bash scripts/bootstrap.sh demo [fakeproc demo options]   the seed walkthrough
#   bash scripts/bootstrap.sh test [pytest options]          the test suite
# As root it installs the system packages FUSE and the tests need; as another
# user it says which ones are missing and goes on (FUSE parts are then skipped).
set -euo pipefail

job="${1:-}"
case "$job" in
  demo|test) shift ;;
  *) echo "usage: bash scripts/bootstrap.sh demo|test [options]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
venv="${FAKEPROC_VENV:-$here/.venv}"

# System packages: libfuse3 (and libfuse2: the FUSE tests run over every libfuse installed),
# fuse3 for the setuid fusermount3, and the real tools the tests drive through the mount
# (procps sysctl, busybox, gcc, systemd-sysctl); graphviz draws `fakeproc ns tree -o FILE.svg`.
# Ubuntu 24.04 renamed libfuse2 to libfuse2t64.
libfuse2=libfuse2
if ! dpkg-query -W -f='${Status}' libfuse2 2>/dev/null | grep -q "install ok installed" \
   && apt-cache show libfuse2t64 >/dev/null 2>&1; then
  libfuse2=libfuse2t64
fi
system_packages=(python3 python3-venv libfuse3-3 "$libfuse2" fuse3 procps busybox gcc libc6-dev util-linux perl diffutils passwd graphviz)
missing=()
for pkg in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# systemd-sysctl (package systemd) is optional: its tests skip when it is absent.
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing system packages (apt-get, about a minute): ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    aptlog="$(mktemp)"
    if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$aptlog" 2>&1 </dev/null; then
      cat "$aptlog" >&2
      echo "bootstrap: installing ${missing[*]} failed (apt-get's output above)" >&2
      exit 1
    fi
    rm -f "$aptlog"
  else
    echo "bootstrap: missing system packages: ${missing[*]}" >&2
    echo "bootstrap: install them with: sudo apt-get install ${missing[*]}" >&2
    echo "bootstrap: continuing; without libfuse3 or libfuse2 (and fuse3) the mount and its tests are skipped" >&2
  fi
fi

# A virtualenv from the system interpreter (readable by every user, which the
# unprivileged FUSE tests need); any python3 with venv otherwise.
python=/usr/bin/python3
[ -x "$python" ] || python="$(command -v python3)"
if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating the virtualenv $venv" >&2
  "$python" -m venv "$venv"
fi
echo "bootstrap: installing fakeproc and its Python dependencies into $venv" >&2
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
log="$venv/bootstrap-pip.log"
if ! "$venv/bin/python" -m pip install -q -e "$here[test,image]" >"$log" 2>&1; then
  cat "$log" >&2
  echo "bootstrap: installing fakeproc into $venv failed (log above, also in $log)" >&2
  exit 1
fi

# tuned's sysctl plugin, for the worked example the suite runs (examples/tools/tuned_sysctl): the
# Debian packages unpacked into the virtualenv, not installed (tuned would start a daemon).
tuned="$venv/tools/tuned"
if [ "$job" = test ] && [ ! -d "$tuned/usr/lib/python3/dist-packages/tuned" ] && command -v apt-get >/dev/null; then
  echo "bootstrap: unpacking tuned (Debian's package) into $tuned for its worked example" >&2
  mkdir -p "$tuned/debs"
  if (cd "$tuned/debs" && apt-get download -qq tuned python3-pyudev python3-linux-procfs >/dev/null 2>&1); then
    for deb in "$tuned"/debs/*.deb; do dpkg -x "$deb" "$tuned"; done
  else
    echo "bootstrap: could not download tuned; its worked example will be skipped" >&2
  fi
fi
[ -d "$tuned/usr/lib/python3/dist-packages/tuned" ] && export FAKEPROC_TUNED_PATH="${FAKEPROC_TUNED_PATH:-$tuned/usr/lib/python3/dist-packages}"

# ansible-core and the ansible.posix collection, pinned, for examples/tools/ansible_sysctl: a
# virtualenv of their own in $venv/tools/ansible (PyPI; a no-op once installed), found there by
# the example's ansible_locate.py.
if [ "$job" = test ]; then
  echo "bootstrap: installing the pinned ansible-core and ansible.posix into $venv/tools/ansible" >&2
  if ! "$python" examples/tools/ansible_sysctl/install_ansible.py "$venv/tools/ansible" >"$venv/bootstrap-ansible.log" 2>&1; then
    cat "$venv/bootstrap-ansible.log" >&2
    echo "bootstrap: could not install ansible; its worked example will be skipped (a failure under CI=true)" >&2
  fi
fi

echo "bootstrap: ready; running: fakeproc $job" >&2
case "$job" in
  demo) exec "$venv/bin/fakeproc" demo "$@" ;;
  test) exec "$venv/bin/python" -m pytest "$@" ;;
esac
