"""sendfile(2)/splice(2) from the fake files: what the kernel's FUSE layer lets a server answer.

procfs splices through ``read_iter``, so ``shutil.copyfile`` (sendfile) of a sysctl file gets the
handler's bytes. FUSE on 6.5 to at least 6.18 splices a ``direct_io`` file that was not opened
``O_DIRECT`` from the page cache up to ``i_size`` (``fuse_splice_read`` -> ``filemap_splice_read``,
fs/fuse/file.c), which is 0 as on procfs: nothing reaches the server, and the copy is empty. An
``O_DIRECT`` open is spliced through ``read_iter`` (``do_splice_read`` -> ``copy_splice_read``,
fs/splice.c), i.e. through the server. See docs/mount.md, "Known differences from procfs".
"""

from __future__ import annotations

import os
import shutil

from tests.fuse.support import requires_fuse

pytestmark = requires_fuse


def _splice_all(fd: int, offset: int | None = None) -> bytes:
    r, w = os.pipe()
    try:
        n = os.splice(fd, w, 4096, offset_src=offset)
        return os.read(r, 4096) if n else b""
    finally:
        os.close(r)
        os.close(w)


def test_splice_and_sendfile_of_an_o_direct_open_get_the_handlers_bytes_at_each_offset(mount, tmp_path):
    fd = os.open(os.path.join(mount.path, "kernel/ostype"), os.O_RDONLY | os.O_DIRECT)
    try:
        assert _splice_all(fd, 0) == b"Linux\n"
        assert _splice_all(fd, 2) == b"nux\n"
        assert _splice_all(fd, 6) == b""
        out = os.open(tmp_path / "copy", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            assert os.sendfile(out, fd, 0, 4096) == 6
        finally:
            os.close(out)
    finally:
        os.close(fd)
    assert (tmp_path / "copy").read_bytes() == b"Linux\n"


def test_copyfile_of_a_sysctl_file_is_empty_or_whole_and_never_changes_its_size_zero(mount, tmp_path):
    # Divergence (6.18): empty here (the page-cache splice above); whole on a kernel whose
    # fuse_splice_read sends FOPEN_DIRECT_IO files through copy_splice_read. Never a prefix, never
    # bytes from a cache, and never by reporting a size: st_size stays 0 as on procfs.
    src = os.path.join(mount.path, "kernel/sem")
    mount.kernel.write("kernel.sem", "1 2 3 4")
    shutil.copyfile(src, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() in (b"", b"1\t2\t3\t4\n")
    with open(src, "rb") as f:
        assert f.read() == b"1\t2\t3\t4\n"
    mount.kernel.write("kernel.sem", "5 6 7 8")
    shutil.copyfile(src, tmp_path / "again")
    assert (tmp_path / "again").read_bytes() in (b"", b"5\t6\t7\t8\n")
    assert os.stat(src).st_size == 0
