#!/bin/sh
# Plain Docker or Podman: the same tests in a container, without and with FUSE.
set -eu

# Defaults: no /dev/fuse, default seccomp profile, a non-root user. The emulated backend runs.
docker run --rm -u 1000 -v "$PWD:/src" -w /src python:3.12-bookworm sh -c '
  pip install --user fakeproc pytest && export PATH="$HOME/.local/bin:$PATH" &&
  fakeproc run -v -- sysctl -n kernel.sem &&
  python -m pytest -q tests'

# With FUSE: the namespaces backend runs (root in the container, CAP_SYS_ADMIN for the mount).
docker run --rm --device /dev/fuse --cap-add SYS_ADMIN --security-opt apparmor:unconfined \
  -v "$PWD:/src" -w /src python:3.12-bookworm sh -c '
  apt-get update -qq && apt-get install -y -qq fuse3 procps >/dev/null &&
  pip install fakeproc pytest &&
  fakeproc run -v -- sysctl -n kernel.sem &&
  FAKEPROC_REQUIRE_MOUNT=1 python -m pytest -q tests'

# Rootless Podman allows user namespaces: give it /dev/fuse and `fakeproc run` uses them.
#   podman run --rm --device /dev/fuse -v "$PWD:/src" -w /src python:3.12-bookworm ...
