"""The only place that imports fusepy (and through it, libfuse2).

fusepy loads ``libfuse.so.2`` at import time and raises ``OSError`` when it is
missing, so it is imported lazily, and a missing piece becomes an
:class:`~fakeproc.errors.UnavailableError` that says how to install it.

>>> callable(load_fusepy)
True
"""

from __future__ import annotations

import ctypes
from types import ModuleType

from fakeproc.errors import UnavailableError

__all__ = ["libfuse", "load_fusepy"]

_module: ModuleType | None = None


def load_fusepy() -> ModuleType:
    """The ``fuse`` module of fusepy, with the extra libfuse prototypes fakeproc uses.

    Raises:
        UnavailableError: fusepy or libfuse2 is not installed.
    """
    global _module
    if _module is not None:
        return _module
    try:
        import fuse  # fusepy
    except ImportError:
        raise UnavailableError(
            "the Python package fusepy is not installed; install it with `pip install fusepy` "
            "(or `pip install fakeproc`, which depends on it)"
        ) from None
    except OSError as e:  # fusepy raises OSError("Unable to find libfuse") at import
        raise UnavailableError(
            f"libfuse2 is missing ({e}); install it with `apt-get install libfuse2` "
            "(Debian/Ubuntu; `libfuse2t64` on Ubuntu 24.04+, `fuse-libs` on Fedora)"
        ) from None
    if not hasattr(fuse, "FUSE") or not hasattr(fuse, "_libfuse"):
        raise UnavailableError(
            "the installed `fuse` module is not fusepy 3.x (another package named `fuse`, such as "
            "fuse-python, shadows it); install fusepy in a clean environment"
        )
    lib = fuse._libfuse
    lib.fuse_mount.argtypes = [ctypes.c_char_p, ctypes.POINTER(FuseArgs)]
    lib.fuse_mount.restype = ctypes.c_void_p
    # libfuse2 exports several fuse_new versions and a plain dlsym() finds an old one
    # (it then rejects every argument as "unknown option"): ask for the 2.6 API explicitly.
    libc = ctypes.CDLL(None)
    libc.dlvsym.restype = ctypes.c_void_p
    libc.dlvsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    address = libc.dlvsym(lib._handle, b"fuse_new", b"FUSE_2.6")
    if not address:
        raise UnavailableError(
            "the installed libfuse has no fuse_new@FUSE_2.6; install libfuse2 2.6 or later"
        )
    prototype = ctypes.CFUNCTYPE(
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(FuseArgs),
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_void_p,
    )
    fuse.fakeproc_fuse_new = prototype(address)
    lib.fuse_loop.argtypes = [ctypes.c_void_p]
    lib.fuse_loop.restype = ctypes.c_int
    lib.fuse_loop_mt.argtypes = [ctypes.c_void_p]
    lib.fuse_loop_mt.restype = ctypes.c_int
    lib.fuse_exit.argtypes = [ctypes.c_void_p]
    lib.fuse_exit.restype = None
    lib.fuse_unmount.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.fuse_unmount.restype = None
    lib.fuse_destroy.argtypes = [ctypes.c_void_p]
    lib.fuse_destroy.restype = None
    lib.fuse_opt_free_args.argtypes = [ctypes.POINTER(FuseArgs)]
    lib.fuse_opt_free_args.restype = None
    module: ModuleType = fuse
    _module = module
    return module


def libfuse() -> ctypes.CDLL:
    """The loaded ``libfuse.so.2`` (see :func:`load_fusepy`)."""
    lib: ctypes.CDLL = load_fusepy()._libfuse
    return lib


class FuseArgs(ctypes.Structure):
    """``struct fuse_args`` (libfuse2 ``fuse_opt.h``)."""

    _fields_ = [
        ("argc", ctypes.c_int),
        ("argv", ctypes.POINTER(ctypes.c_char_p)),
        ("allocated", ctypes.c_int),
    ]
