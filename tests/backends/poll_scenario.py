"""Polls ``kernel/hostname`` of a ``/proc/sys`` tree as watchers of the name do, and prints, as
one JSON object, what each step saw. Run by tests/backends/test_poll_hostname.py against the real
kernel (inside a throwaway UTS namespace), a FUSE mount, and CMD under the seccomp and emulated
backends, so that the same steps give the tables there.

argv: ROOT (the tree), OTHER (a shell command that changes the name from another UTS namespace;
``{root}`` is replaced by ROOT), SETHOST (``1``: also call ``sethostname``). The JSON goes to
stdout, or to the file ``$FAKEPROC_OUT`` names.

After each change the descriptor is read once (``pread``): procfs does not care, and it is where
the emulated backend takes the change up (its stated limit: a change shows until then).
"""

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time

ASKED = select.POLLIN | select.POLLOUT | select.POLLPRI | select.POLLRDNORM | select.POLLWRNORM


def mask(fd, events=ASKED):
    poller = select.poll()
    poller.register(fd, events)
    ready = poller.poll(0)
    return ready[0][1] if ready else 0


def sets(fd):
    return [bool(s) for s in select.select([fd], [fd], [fd], 0)]


def main(root: str, other: str, sethost: bool) -> None:
    seen = {}
    a = os.open(root + "/kernel/hostname", os.O_RDONLY)
    w = os.open(root + "/kernel/hostname", os.O_RDWR)
    d = os.open(root + "/kernel/domainname", os.O_RDONLY)
    o = os.open(root + "/kernel/osrelease", os.O_RDONLY)
    seen["unchanged"] = mask(a)
    seen["unchanged, no events asked"] = mask(a, 0)
    seen["osrelease"] = mask(o)
    seen["domainname"] = mask(d)

    os.write(w, b"first")
    seen["after a write through another descriptor"] = mask(a)
    seen["polled again"] = mask(a)
    seen["the writer's own descriptor"] = mask(w)
    seen["domainname after a hostname write"] = mask(d)
    os.pread(a, 64, 0)
    os.pread(w, 64, 0)

    os.pwrite(w, b"second", 0)
    seen["select after a change"] = sets(a)
    os.pread(a, 64, 0)
    seen["select again"] = sets(a)
    os.pread(w, 64, 0)

    os.pwrite(w, b"", 0)
    seen["after a write of zero bytes"] = mask(a)
    os.pread(a, 64, 0)
    os.pread(w, 64, 0)

    if sethost:
        socket.sethostname("third")
        seen["after sethostname"] = mask(a)
        os.pread(a, 64, 0)
        os.pread(w, 64, 0)

    subprocess.run(other.format(root=root), shell=True, check=True)
    seen["after a change in another UTS namespace"] = mask(a)
    seen["hostname in this namespace"] = os.pread(a, 64, 0).decode()
    os.pread(w, 64, 0)

    timer = threading.Timer(0.3, lambda: os.pwrite(w, b"fourth", 0))
    timer.start()
    poller = select.poll()
    poller.register(a, select.POLLPRI)
    start = time.monotonic()
    woken = poller.poll(20000)
    seen["a poller blocked in poll() is woken"] = [woken[0][1] if woken else 0, time.monotonic() - start < 10]
    timer.join()
    os.pread(a, 64, 0)
    os.pread(w, 64, 0)

    ep = select.epoll()
    ep.register(a, select.EPOLLPRI | select.EPOLLET)
    os.pwrite(w, b"fifth", 0)
    seen["epoll, edge-triggered"] = [ev for _, ev in ep.poll(0)]
    seen["epoll again"] = [ev for _, ev in ep.poll(0)]
    os.pread(a, 64, 0)
    os.pread(w, 64, 0)

    os.pwrite(w, b"sixth", 0)
    ep = select.epoll()
    ep.register(a, select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT)  # epoll_ctl polls it once
    seen["epoll added after a change"] = [ev for _, ev in ep.poll(0)]
    if os.environ.get("FAKEPROC_OUT"):
        with open(os.environ["FAKEPROC_OUT"], "w") as out:
            out.write(json.dumps(seen))
    else:
        print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] == "1")
