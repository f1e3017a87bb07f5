"""Loading libsekit and declaring the C functions the module calls (sekit.h)."""

import ctypes
import ctypes.util
import os

SONAME = "libsekit.so.0"


class Error(Exception):
    """A failure reported by libsekit: its one-line message, and the status code as .code."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class Err(ctypes.Structure):
    # struct sekit_err (SEKIT_ERRMSG_MAX 1024); every mirror is checked against the library's
    # own layout when it is loaded (check_mirrors)
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 1024)]

    def raise_it(self):
        raise Error(self.msg.decode("utf-8", "replace"), self.code)


class SeInfo(ctypes.Structure):
    # struct sekit_se_info
    _fields_ = [
        ("name", ctypes.c_char * 32),
        ("module", ctypes.c_char * 64),
        ("stage", ctypes.c_int),
        ("block", ctypes.c_int),
        ("channels", ctypes.c_int),
        ("reduced", ctypes.c_int),
        ("params", ctypes.c_int64),
        ("gate", ctypes.c_int),
        ("act", ctypes.c_int),
    ]


class Input(ctypes.Structure):
    # struct sekit_input
    _fields_ = [
        ("kind", ctypes.c_int),
        ("h", ctypes.c_int),
        ("w", ctypes.c_int),
        ("c", ctypes.c_int),
        ("channels", ctypes.c_int),
        ("size", ctypes.c_int),
        ("resize", ctypes.c_int),
        ("crop", ctypes.c_int),
        ("bicubic", ctypes.c_int),
        ("bgr", ctypes.c_int),
        ("scale255", ctypes.c_int),
        ("mean", ctypes.c_float * 3),
        ("std", ctypes.c_float * 3),
        ("desc", ctypes.c_char * 256),
    ]


def _candidates():
    """Where the library is looked for, in order: SEKIT_LIBRARY, the installation this module
    belongs to, the system's library path, the build/ tree beside this source tree's python/."""
    env = os.environ.get("SEKIT_LIBRARY")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    found = []
    try:
        from . import _installed

        found.append(_installed.library(here))
    except ImportError:
        pass
    system = ctypes.util.find_library("sekit")
    if system:
        found.append(system)
    found.append(os.path.join(os.path.dirname(os.path.dirname(here)), "build", SONAME))
    return found, False


def load():
    paths, forced = _candidates()
    tried = []
    for path in paths:
        if not forced and os.path.isabs(path) and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return declare(ctypes.CDLL(path))
        except OSError as exc:
            if forced:
                raise Error(f"SEKIT_LIBRARY={path}: cannot load libsekit: {exc}") from None
            tried.append(path)
    raise Error(
        "cannot find libsekit (tried " + ", ".join(tried) + "); set SEKIT_LIBRARY to its path"
    )


def declare(lib):
    P, I, F = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)
    E = ctypes.POINTER(Err)
    sigs = {
        "sekit_default_model_path": (ctypes.c_char_p, []),
        "sekit_set_threads": (I, [I]),
        "sekit_model_load": (I, [ctypes.POINTER(P), ctypes.c_char_p, E]),
        "sekit_model_free": (None, [P]),
        "sekit_model_arch": (P, [P]),
        "sekit_arch_features": (I, [P]),
        "sekit_model_params": (ctypes.c_int64, [P]),
        "sekit_model_meta": (ctypes.c_char_p, [P, ctypes.c_char_p]),
        "sekit_model_se_count": (I, [P]),
        "sekit_model_se_info": (ctypes.POINTER(SeInfo), [P, I]),
        "sekit_act_name": (ctypes.c_char_p, [I]),
        "sekit_model_se_find": (I, [P, ctypes.c_char_p]),
        "sekit_model_se_set": (None, [P, I, I, F]),
        "sekit_model_backend": (I, [P]),
        "sekit_backend_name": (ctypes.c_char_p, [I]),
        "sekit_model_prepare": (I, [P, I, I, I, E]),
        "sekit_model_forward": (None, [P, F, I, F]),
        "sekit_model_gate": (F, [P, I]),
        "sekit_model_squeeze": (F, [P, I]),
        "sekit_arch_stem_desc": (ctypes.c_char_p, [P, ctypes.c_char_p, ctypes.c_size_t]),
        "sekit_layout_name": (ctypes.c_char_p, [I]),
        "sekit_input_resolve": (I, [ctypes.POINTER(Input), P, ctypes.c_char_p, I, I, I, I, E]),
        "sekit_input_convert": (
            I,
            [ctypes.POINTER(Input), ctypes.POINTER(ctypes.c_uint8), ctypes.c_int64, F, E],
        ),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    check_mirrors(lib)
    return lib


MIRRORS = {"sekit_err": Err, "sekit_se_info": SeInfo, "sekit_input": Input}


def check_mirrors(lib):
    """Compares every struct mirrored here, member by member (offset and size) and whole, with
    the layout the library reports (sekit_struct_layout), so that a change on either side fails
    at load time instead of reading the wrong bytes."""
    fn = lib.sekit_struct_layout
    size_t = ctypes.c_size_t
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(size_t), ctypes.POINTER(size_t)]
    for cname, cls in MIRRORS.items():
        members = [(m, getattr(cls, m).offset, getattr(cls, m).size) for m, _ in cls._fields_]
        for member, off, size in [(None, 0, ctypes.sizeof(cls))] + members:
            o, n = size_t(), size_t()
            what = f"struct {cname}" + (f".{member}" if member else "")
            if fn(cname.encode(), member.encode() if member else None, o, n) != 0:
                raise Error(f"{_lib_path(lib)}: libsekit does not know {what}, which python/sekit mirrors")
            if (o.value, n.value) != (off, size):
                raise Error(
                    f"{_lib_path(lib)}: python/sekit mirrors {what} as {size} bytes at offset {off}, "
                    f"libsekit has {n.value} bytes at offset {o.value}: module and library do not match"
                )


def _lib_path(lib):
    return getattr(lib, "_name", "libsekit")
