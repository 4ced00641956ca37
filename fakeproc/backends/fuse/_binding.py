"""The only place that loads the FUSE binding: mfusepy, over libfuse3 or libfuse2.

mfusepy (a maintained fork of fusepy) marshals FUSE requests for both libfuse
major versions; it loads the library when imported and raises ``OSError`` when
none is found, so it is imported lazily, and a missing piece becomes an
:class:`~fakeproc.errors.UnavailableError` that says how to install it.

Which libfuse: ``$FAKEPROC_LIBFUSE`` (``3``, ``2`` or a library path), else libfuse3
where it loads, else libfuse2 (see docs/mount.md for the measurement behind the order).
One process uses one libfuse; the tests run the FUSE suite once per libfuse found.

>>> set(LIBRARIES) == {2, 3}
True
"""

from __future__ import annotations

import ctypes
import os
from types import ModuleType
from typing import Any

from fakeproc.errors import UnavailableError, UsageError

__all__ = [
    "LIBRARIES",
    "FuseArgs",
    "FuseBuf",
    "libfuse",
    "libfuse_major",
    "load_binding",
    "load_fusepy",
    "loadable_libfuses",
]

#: The shared library of each libfuse major version (Debian/Ubuntu package in the message below).
LIBRARIES = {3: "libfuse3.so.3", 2: "libfuse.so.2"}

_INSTALL = (
    "install it with `apt-get install fuse3` (libfuse3; or `libfuse2`, `libfuse2t64` on Ubuntu 24.04+, "
    "`fuse3-libs` on Fedora)"
)

_module: ModuleType | None = None


class FuseArgs(ctypes.Structure):
    """``struct fuse_args`` (``fuse_opt.h``, the same in libfuse2 and libfuse3)."""

    _fields_ = [
        ("argc", ctypes.c_int),
        ("argv", ctypes.POINTER(ctypes.c_char_p)),
        ("allocated", ctypes.c_int),
    ]


class FuseBuf(ctypes.Structure):
    """``struct fuse_buf`` (``fuse_common.h``; libfuse2 2.9 has the same leading fields), for
    :func:`fuse_session_receive_buf`; the trailing spare covers ``mem_size``, which libfuse3.17
    appends (zero: libfuse3 allocates ``mem`` itself; libfuse2 reads into the ``mem`` given)."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("flags", ctypes.c_int),
        ("mem", ctypes.c_void_p),
        ("fd", ctypes.c_int),
        ("pos", ctypes.c_longlong),
        ("spare", ctypes.c_size_t * 2),
    ]


def loadable_libfuses() -> dict[int, str]:
    """The libfuse libraries this machine can load: major version -> library name."""
    found = {}
    for major, name in LIBRARIES.items():
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        found[major] = name
    return found


def _choose() -> str:
    wanted = os.environ.get("FAKEPROC_LIBFUSE", "").strip()
    if wanted in ("2", "3"):
        name = LIBRARIES[int(wanted)]
        if int(wanted) not in loadable_libfuses():
            raise UnavailableError(f"FAKEPROC_LIBFUSE={wanted}: {name} cannot be loaded; {_INSTALL}")
        return name
    if wanted:
        if "/" not in wanted and ".so" not in wanted:
            raise UsageError(
                f"FAKEPROC_LIBFUSE must be 2, 3 or a libfuse library (a path, or a name such as "
                f"libfuse3.so.3), not {wanted!r}"
            )
        return wanted
    found = loadable_libfuses()
    if not found:
        raise UnavailableError(f"no libfuse is installed (neither libfuse3 nor libfuse2); {_INSTALL}")
    return found[max(found)]


def load_binding() -> ModuleType:
    """The ``mfusepy`` module, loaded over the chosen libfuse, with the prototypes fakeproc uses.

    Raises:
        UnavailableError: mfusepy or every libfuse is missing, or the library is unusable.
    """
    global _module
    if _module is not None:
        return _module
    path = _choose()
    saved = os.environ.get("FUSE_LIBRARY_PATH")
    os.environ["FUSE_LIBRARY_PATH"] = path
    try:
        import mfusepy
    except ImportError:
        raise UnavailableError(
            "the Python package mfusepy is not installed; install it with `pip install mfusepy` "
            "(or `pip install fakeproc`, which depends on it)"
        ) from None
    except (OSError, AttributeError) as e:
        raise UnavailableError(f"libfuse cannot be loaded from {path} ({e}); {_INSTALL}") from None
    finally:
        if saved is None:
            os.environ.pop("FUSE_LIBRARY_PATH", None)
        else:
            os.environ["FUSE_LIBRARY_PATH"] = saved
    module: ModuleType = mfusepy
    _prototypes(module)
    _module = module
    return module


#: The name fakeproc used when the binding was fusepy.
load_fusepy = load_binding


def libfuse_major() -> int:
    """The major version of the loaded libfuse (2 or 3)."""
    return int(load_binding().fuse_version_major)


def libfuse() -> ctypes.CDLL:
    """The loaded libfuse (see :func:`load_binding`)."""
    lib: ctypes.CDLL = load_binding()._libfuse
    return lib


def _versioned(lib: ctypes.CDLL, name: bytes, version: bytes) -> int | None:
    libc = ctypes.CDLL(None)
    libc.dlvsym.restype = ctypes.c_void_p
    libc.dlvsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    address: int | None = libc.dlvsym(lib._handle, name, version)
    return address


def _prototypes(binding: ModuleType) -> None:
    """Declare the session calls :class:`~fakeproc.backends.fuse.FuseServer` drives itself
    (instead of ``fuse_main``, which installs process-wide signal handlers)."""
    lib = binding._libfuse
    void_p, args_p = ctypes.c_void_p, ctypes.POINTER(FuseArgs)
    if binding.fuse_version_major == 2:
        lib.fuse_mount.argtypes = [ctypes.c_char_p, args_p]
        lib.fuse_mount.restype = void_p
        # libfuse2 exports several fuse_new versions and a plain dlsym() finds an old one
        # (it then rejects every argument as "unknown option"): ask for the 2.6 API explicitly.
        address = _versioned(lib, b"fuse_new", b"FUSE_2.6")
        if not address:
            raise UnavailableError("the installed libfuse2 has no fuse_new@FUSE_2.6; install libfuse2 2.6 or later")
        prototype = ctypes.CFUNCTYPE(void_p, void_p, args_p, void_p, ctypes.c_size_t, void_p)
        binding.__dict__["fakeproc_fuse_new"] = prototype(address)
        lib.fuse_unmount.argtypes = [ctypes.c_char_p, void_p]
        lib.fuse_loop_mt.argtypes = [void_p]
        lib.fuse_loop_mt.restype = ctypes.c_int
        binding.__dict__["fakeproc_fuse_loop_mt"] = lib.fuse_loop_mt
        # The calls of fuse_session_loop (lib/fuse_loop.c), for the server's own loop, which
        # answers FUSE_LSEEK (libfuse2 has no lseek operation).
        # (struct fuse_buf * and struct fuse_chan ** are given as addresses: void *.)
        for call_name, parameters, result in (
            ("fuse_get_session", [void_p], void_p),
            ("fuse_session_next_chan", [void_p, void_p], void_p),
            ("fuse_chan_fd", [void_p], ctypes.c_int),
            ("fuse_chan_bufsize", [void_p], ctypes.c_size_t),
            ("fuse_session_exited", [void_p], ctypes.c_int),
            ("fuse_session_receive_buf", [void_p, void_p, void_p], ctypes.c_int),
            ("fuse_session_process_buf", [void_p, void_p, void_p], None),
            ("fuse_session_reset", [void_p], None),
        ):
            call = getattr(lib, call_name)
            call.argtypes = parameters
            call.restype = result
    else:
        # fuse_new@FUSE_3.1 (fuse_new_31) is the API of fuse.h since 3.1; 3.0 had another one.
        address = _versioned(lib, b"fuse_new", b"FUSE_3.1") or _versioned(lib, b"fuse_new", b"FUSE_3.17")
        prototype = ctypes.CFUNCTYPE(void_p, args_p, void_p, ctypes.c_size_t, void_p)
        binding.__dict__["fakeproc_fuse_new"] = prototype(address) if address else _plain(lib.fuse_new, prototype)
        lib.fuse_mount.argtypes = [void_p, ctypes.c_char_p]
        lib.fuse_mount.restype = ctypes.c_int
        lib.fuse_unmount.argtypes = [void_p]
        # fuse_loop_mt@FUSE_3.0 is fuse_loop_mt_31(f, clone_fd); later versions take a config struct.
        loop_mt = _versioned(lib, b"fuse_loop_mt", b"FUSE_3.0")
        loop_prototype = ctypes.CFUNCTYPE(ctypes.c_int, void_p, ctypes.c_int)
        if loop_mt:
            loop = loop_prototype(loop_mt)
            binding.__dict__["fakeproc_fuse_loop_mt"] = lambda handle: loop(handle, 0)
        else:
            binding.__dict__["fakeproc_fuse_loop_mt"] = lib.fuse_loop
        # The session calls of fuse_session_loop, for a receive loop of our own (busy-polling).
        buf_p = ctypes.POINTER(FuseBuf)
        for name, argtypes, restype in (
            ("fuse_get_session", [void_p], void_p),
            ("fuse_session_fd", [void_p], ctypes.c_int),
            ("fuse_session_exited", [void_p], ctypes.c_int),
            ("fuse_session_receive_buf", [void_p, buf_p], ctypes.c_int),
            ("fuse_session_process_buf", [void_p, buf_p], None),
        ):
            function = getattr(lib, name)
            function.argtypes = argtypes
            function.restype = restype
    lib.fuse_unmount.restype = None
    lib.fuse_loop.argtypes = [void_p]
    lib.fuse_loop.restype = ctypes.c_int
    lib.fuse_exit.argtypes = [void_p]
    lib.fuse_exit.restype = None
    lib.fuse_destroy.argtypes = [void_p]
    lib.fuse_destroy.restype = None
    lib.fuse_opt_free_args.argtypes = [args_p]
    lib.fuse_opt_free_args.restype = None


def _plain(function: Any, prototype: Any) -> Any:
    function.argtypes = prototype._argtypes_
    function.restype = prototype._restype_
    return function
