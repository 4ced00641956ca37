#!/usr/bin/env bash
# Build a wheel and an sdist from this tree (python -m build), install each into a fresh
# virtualenv, and check that the installed package works: the API, `fakeproc explain`, and, as
# root, `fakeproc run`. CI runs this before the test suite (.ci/run). Needs network access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FAKEPROC_VENV:-$here/.venv}"
python=/usr/bin/python3
[ -x "$python" ] || python="$(command -v python3)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "package smoke: building the wheel and the sdist" >&2
"$venv/bin/python" -m pip install -q "build>=1.0" >/dev/null
"$venv/bin/python" -m build --outdir "$work/dist" "$here" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }

for artifact in "$work"/dist/*.whl "$work"/dist/*.tar.gz; do
  name="$(basename "$artifact")"
  echo "package smoke: installing $name into a fresh virtualenv" >&2
  rm -rf "$work/venv"
  "$python" -m venv "$work/venv"
  "$work/venv/bin/python" -m pip install -q "$artifact" >"$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; exit 1; }
  # Run from an empty directory, so that nothing is imported from the source tree.
  (
    cd "$work"
    "$work/venv/bin/python" - <<'PY'
import errno
import fakeproc

k = fakeproc.Kernel("6.18")
pod = k.unshare(k.init_ns, ipc=True)
k.write("kernel.sem", "10000 1024000000 500 32000", ns=pod)
assert k.read("kernel.sem", ns=pod) == "10000\t1024000000\t500\t32000\n"
assert k.read("kernel.sem") == "32000\t1024000000\t500\t32000\n"
try:
    k.write("kernel.sem", "1 2 3 40000")
except OSError as e:
    assert e.errno == errno.ERANGE
else:
    raise AssertionError("SEMMNI above IPCMNI was accepted")
assert set(fakeproc.profiles.available_profiles()) >= {"4.15", "5.15", "6.1", "6.8", "6.12", "6.18"}
PY
    "$work/venv/bin/fakeproc" explain kernel.sem >/dev/null
    if [ "$(id -u)" -eq 0 ]; then
      out="$("$work/venv/bin/fakeproc" run -- cat /proc/sys/kernel/ostype)"
      [ "$out" = "Linux" ] || { echo "package smoke: fakeproc run printed '$out'" >&2; exit 1; }
    fi
  )
  echo "package smoke: $name works (API, explain$( [ "$(id -u)" -eq 0 ] && echo ", run"))" >&2
done
