#!/bin/sh
# fakeproc's tests in a real Docker container with Docker's defaults, as a CI job gets them:
# default seccomp profile (and AppArmor where the kernel has it), no --device, no --cap-add,
# a non-root user (uid 1000), --network none. Nothing but the emulated backend can serve there.
#
#   sudo sh scripts/docker_tests.sh [PYTEST ARGS...]   (default: tests/backends tests/sandbox/test_backends.py)
#
# Needs root, `apt-get install docker.io debootstrap`, and this checkout's .venv made by
# `bash scripts/bootstrap.sh` with Debian 12's /usr/bin/python3 (the image is a Debian 12
# minbase built here with debootstrap; the checkout is mounted read-only and its .venv used).
# Unless DOCKER_HOST is set, it starts its own dockerd (vfs storage, no iptables, no bridge,
# state under $FAKEPROC_DOCKER_WORK, default /tmp/fakeproc-docker) and on exit stops it and
# removes that state, so the machine is left as it was. It never passes --privileged or sysctls,
# and dockerd cannot write the host's /proc/sys (see below).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${FAKEPROC_DOCKER_WORK:-/tmp/fakeproc-docker}
image=fakeproc-test:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" = 0 ] || { echo "docker_tests: run as root (it starts dockerd)" >&2; exit 2; }
for tool in dockerd docker debootstrap; do
    command -v "$tool" >/dev/null || { echo "docker_tests: $tool is missing: apt-get install docker.io debootstrap" >&2; exit 2; }
done
[ "$(readlink -f "$repo/.venv/bin/python")" = /usr/bin/python3.11 ] || {
    echo "docker_tests: $repo/.venv must be made by scripts/bootstrap.sh with Debian 12's /usr/bin/python3.11" >&2; exit 2; }

mkdir -p "$work"
own_daemon=
cleanup() {
    if [ -n "$own_daemon" ]; then
        docker image rm -f "$image" >/dev/null 2>&1 || true
        kill "$own_daemon" 2>/dev/null || true
        while kill -0 "$own_daemon" 2>/dev/null; do sleep 0.2; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${DOCKER_HOST:-}" ]; then
    # --ip-forward=false: by default dockerd writes net.ipv4.ip_forward=1 on the host at start (even
    # with --bridge=none). Belt and braces: it runs in a private mount namespace whose /proc/sys is
    # read-only, so nothing it (or containerd) does can change a host sysctl; containers get their
    # own procfs.
    unshare --mount --propagation private -- sh -c '
        mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"' sh \
        dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
        --storage-driver=vfs --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
        -H "unix://$work/docker.sock" --containerd-namespace fakeproc-tests >"$work/dockerd.log" 2>&1 &
    own_daemon=$!
    export DOCKER_HOST="unix://$work/docker.sock"
    tries=0
    until docker version >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 150 ] || { echo "docker_tests: dockerd did not start:" >&2; tail -5 "$work/dockerd.log" >&2; exit 2; }
        kill -0 "$own_daemon" 2>/dev/null || { echo "docker_tests: dockerd exited:" >&2; tail -5 "$work/dockerd.log" >&2; exit 2; }
        sleep 0.2
    done
fi

# The image: a Debian 12 minbase from Debian's packages, no registry involved.
debootstrap --variant=minbase --include=python3,procps,util-linux,busybox,gcc,libc6-dev bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { echo "docker_tests: debootstrap failed (see $work/debootstrap.log)" >&2; tail -5 "$work/debootstrap.log" >&2; exit 2; }
tar -C "$work/rootfs" -c . | docker import - "$image" >/dev/null
rm -rf "$work/rootfs"

[ $# -gt 0 ] || set -- tests/backends tests/sandbox/test_backends.py
docker run --rm --network none -u 1000:1000 -v "$repo:/src:ro" -w /src \
    -e HOME=/tmp -e CI=1 -e PYTHONDONTWRITEBYTECODE=1 -e MYPY_CACHE_DIR=/tmp/mypy -e RUFF_CACHE_DIR=/tmp/ruff "$image" \
    sh -c 'echo "container: uid $(id -u), $(grep -E "^Seccomp:" /proc/self/status), /dev/fuse $(test -e /dev/fuse && echo present || echo absent), unshare -U: $(unshare -U true 2>&1 || true)";
           /src/.venv/bin/python -m fakeproc run -v -- sysctl -n kernel.ostype &&
           exec /src/.venv/bin/python -m pytest -p no:cacheprovider -q -rs "$@"' sh "$@"
