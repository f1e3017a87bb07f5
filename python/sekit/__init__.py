"""sekit from Python: run an SE network, read and set its SE gates, open recordings.

    import sekit
    m = sekit.Model()                      # the bundled Fashion-MNIST SE-ResNet-50
    x = m.preprocess(images)               # uint8 (N, H, W), NHWC or NCHW -> float32 NCHW
    logits = m.forward(x)                  # (N, K)
    gates = m.gates()                      # {"SE_2_1": (N, C) array, ...}
    m.set_gate("SE_5_3", "removed")        # the block's gate := 1 from the next forward on
    ds = sekit.open_recording("run.h5")    # an xarray.Dataset with labelled coordinates

The module is pure Python over libsekit (ctypes and numpy). It loads the library named by the
SEKIT_LIBRARY environment variable when set, else the one installed with the module, else one
on the system's library path, else build/ beside the source tree's python/. Failures inside
libsekit raise sekit.Error with sekit's one-line message.
"""

import ctypes
import json
import os

import numpy as np

from ._lib import Err, Error, Input, load
from .recording import open_recording

__all__ = ["Model", "Error", "open_recording", "default_model_path", "library"]

_lib = None

# enum sekit_se_mode, enum sekit_input_kind
_NORMAL, _REMOVED, _FIXED = 0, 1, 2
_KINDS = {"stored": 0, "folder": 1}


def library():
    """The loaded libsekit (a ctypes.CDLL), loaded on first use."""
    global _lib
    if _lib is None:
        _lib = load()
    return _lib


def default_model_path():
    """The bundled default model of the loaded library's installation (sekit.h)."""
    return library().sekit_default_model_path().decode()


class _Arch(ctypes.Structure):
    # the leading members of struct sekit_arch (read through a pointer, never allocated here)
    _fields_ = [
        ("name", ctypes.c_char * 64),
        ("layout", ctypes.c_int),
        ("stem", ctypes.c_int),
        ("block", ctypes.c_int),
        ("stride_on_3x3", ctypes.c_int),
        ("in_chans", ctypes.c_int),
        ("num_classes", ctypes.c_int),
        ("stem_width", ctypes.c_int),
        ("nstages", ctypes.c_int),
        ("blocks", ctypes.c_int * 8),
        ("planes", ctypes.c_int * 8),
    ]


def _fptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


class Model:
    """A network loaded from a safetensors file (None: the bundled default model).

    batch: images per forward pass of the engine (sekit's CLI default, 16); threads: engine
    threads (0: all cores). Gates and squeeze vectors of the last forward() stay readable.
    """

    def __init__(self, path=None, batch=16, threads=0):
        lib = library()
        self.path = default_model_path() if path is None else os.fspath(path)
        if batch < 1:
            raise ValueError(f"batch {batch}: must be at least 1")
        self.batch = int(batch)
        lib.sekit_set_threads(int(threads))
        err, handle = Err(), ctypes.c_void_p()
        if lib.sekit_model_load(ctypes.byref(handle), self.path.encode(), ctypes.byref(err)):
            err.raise_it()
        self._m = handle
        self._arch = ctypes.cast(lib.sekit_model_arch(handle), ctypes.POINTER(_Arch)).contents
        self.blocks = []
        for i in range(lib.sekit_model_se_count(handle)):
            s = lib.sekit_model_se_info(handle, i).contents
            self.blocks.append(
                {
                    "name": s.name.decode(),
                    "module": s.module.decode(),
                    "stage": s.stage,
                    "block": s.block,
                    "channels": s.channels,
                    "reduced": s.reduced,
                    "params": s.params,
                    "gate": lib.sekit_act_name(s.gate).decode(),
                    "act": lib.sekit_act_name(s.act).decode(),
                }
            )
        self.num_classes = self._arch.num_classes
        self.in_chans = self._arch.in_chans
        self.classes = self._class_names()
        self._prepared = None
        self._gates, self._squeeze = {}, {}

    def close(self):
        if getattr(self, "_m", None):
            library().sekit_model_free(self._m)
            self._m = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _class_names(self):
        raw = library().sekit_model_meta(self._m, b"class_names")
        if raw:
            try:
                names = json.loads(raw.decode())
                if isinstance(names, list) and len(names) == self.num_classes:
                    return [str(n) for n in names]
            except ValueError:
                pass
        return [str(k) for k in range(self.num_classes)]

    def _block(self, name):
        i = library().sekit_model_se_find(self._m, name.encode())
        if i < 0:
            names = ", ".join(b["name"] for b in self.blocks)
            raise KeyError(f"{self.path}: no SE block '{name}' (the blocks: {names})")
        return i

    # ---- preprocessing -------------------------------------------------------------------

    def input_spec(self, h, w, c=1, kind="stored"):
        """How h x w images of c channels become this model's input (sekit.h: struct
        sekit_input), as a dict; kind "stored" reads them as IDX / CIFAR files are read,
        "folder" as the files of image folders (Pillow resize and centre crop)."""
        if kind not in _KINDS:
            raise ValueError(f"kind '{kind}': expected 'stored' or 'folder'")
        spec, err = Input(), Err()
        if library().sekit_input_resolve(
            ctypes.byref(spec), self._m, self.path.encode(), _KINDS[kind], int(h), int(w),
            int(c), ctypes.byref(err)
        ):
            err.raise_it()
        return spec

    @staticmethod
    def _spec_dict(spec):
        k = spec.channels
        return {
            "channels": k,
            "size": spec.size,
            "resize": spec.resize or None,
            "crop": spec.crop or None,
            "interpolation": ("bicubic" if spec.bicubic else "bilinear") if spec.resize else None,
            "channel_order": "BGR" if spec.bgr else "RGB",
            "range": "0-255" if spec.scale255 else "0-1",
            "mean": [float(v) for v in spec.mean[:k]],
            "std": [float(v) for v in spec.std[:k]],
            "description": spec.desc.decode(),
        }

    def preprocess(self, images, layout=None, kind="stored"):
        """uint8 images -> float32 (N, channels, S, S): exactly what sekit record feeds the
        network for such images. images: (N, H, W) gray, or (N, H, W, C) / (N, C, H, W) with C
        1 or 3 (layout "NHWC" / "NCHW", detected from where the 1 or 3 is when not given).
        kind: "stored" (as IDX / CIFAR sets: their size, the model's crop if any) or "folder"
        (as image folders: shorter side resized as Pillow does, centre crop)."""
        a = np.asarray(images)
        if a.dtype != np.uint8:
            raise TypeError(f"images of dtype {a.dtype}: preprocess takes uint8 pixels")
        if a.ndim == 3:
            a = a[..., None]
            layout = "NHWC"
        elif a.ndim != 4:
            raise ValueError(f"images of shape {a.shape}: expected (N, H, W) or 4 dimensions")
        if layout is None:
            nchw, nhwc = a.shape[1] in (1, 3), a.shape[3] in (1, 3)
            if nchw == nhwc:
                raise ValueError(
                    f"images of shape {a.shape}: cannot tell NCHW from NHWC; pass layout="
                )
            layout = "NCHW" if nchw else "NHWC"
        if layout == "NCHW":
            a = a.transpose(0, 2, 3, 1)
        elif layout != "NHWC":
            raise ValueError(f"layout '{layout}': expected 'NCHW' or 'NHWC'")
        a = np.ascontiguousarray(a)
        n, h, w, c = a.shape
        spec = self.input_spec(h, w, c, kind)
        out = np.empty((n, spec.channels, spec.size, spec.size), np.float32)
        err = Err()
        if library().sekit_input_convert(
            ctypes.byref(spec), a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), n,
            _fptr(out), ctypes.byref(err)
        ):
            err.raise_it()
        return out

    # ---- the network ---------------------------------------------------------------------

    def forward(self, x):
        """Logits (N, K) of float32 inputs x (N, in_chans, H, W); afterwards gates() and
        squeeze() hold this pass's SE vectors."""
        lib = library()
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 4 or x.shape[1] != self.in_chans:
            raise ValueError(
                f"input of shape {x.shape}: expected (N, {self.in_chans}, H, W) for {self.path}"
            )
        n, _, h, w = x.shape
        logits = np.empty((n, self.num_classes), np.float32)
        gates = {b["name"]: np.empty((n, b["channels"]), np.float32) for b in self.blocks}
        squeeze = {b["name"]: np.empty((n, b["channels"]), np.float32) for b in self.blocks}
        want = (min(self.batch, max(n, 1)), h, w)
        if self._prepared is None or self._prepared[1:] != want[1:] or self._prepared[0] < want[0]:
            err = Err()
            if lib.sekit_model_prepare(self._m, *want, ctypes.byref(err)):
                err.raise_it()
            self._prepared = want
        step = self._prepared[0]
        for first in range(0, n, step):
            nb = min(step, n - first)
            lib.sekit_model_forward(self._m, _fptr(x[first:]), nb, _fptr(logits[first:]))
            for i, b in enumerate(self.blocks):
                shape = (nb, b["channels"])
                g = np.ctypeslib.as_array(lib.sekit_model_gate(self._m, i), shape=shape)
                s = np.ctypeslib.as_array(lib.sekit_model_squeeze(self._m, i), shape=shape)
                gates[b["name"]][first : first + nb] = g
                squeeze[b["name"]][first : first + nb] = s
        self._gates, self._squeeze = gates, squeeze
        return logits

    def gates(self):
        """Block name -> (N, C) float32 excitation (the applied gate) of the last forward."""
        return dict(self._gates)

    def squeeze(self):
        """Block name -> (N, C) float32 squeeze vector (the spatial mean before the FCs) of
        the last forward."""
        return dict(self._squeeze)

    def set_gate(self, name, mode):
        """Sets block name's gate for the next passes: "normal" (its own), "removed" (1: the
        block is the identity on its branch, as sekit ablate removes it) or an array of its C
        channels' values, the same for every image."""
        i = self._block(name)
        lib = library()
        if isinstance(mode, str):
            if mode not in ("normal", "removed"):
                raise ValueError(f"gate mode '{mode}': expected 'normal', 'removed' or an array")
            lib.sekit_model_se_set(self._m, i, _NORMAL if mode == "normal" else _REMOVED, None)
            return
        gate = np.ascontiguousarray(mode, dtype=np.float32)
        c = self.blocks[i]["channels"]
        if gate.shape != (c,):
            raise ValueError(f"gate for {name} of shape {gate.shape}: the block has {c} channels")
        lib.sekit_model_se_set(self._m, i, _FIXED, _fptr(gate))

    def info(self):
        """The architecture, the SE blocks, the classes and the preprocessing, as a dict."""
        lib = library()
        a = self._arch
        buf = ctypes.create_string_buffer(256)
        pre = {}
        for kind in _KINDS:
            # images larger than any crop: only the crop, resize and normalisation matter here
            try:
                pre[kind] = self._spec_dict(self.input_spec(4096, 4096, self.in_chans, kind))
            except Error as exc:
                pre[kind] = {"error": str(exc)}
        if pre["stored"].get("crop") is None and "error" not in pre["stored"]:
            pre["stored"]["size"] = None
        return {
            "path": self.path,
            "architecture": {
                "name": a.name.decode(),
                "layout": lib.sekit_layout_name(a.layout).decode(),
                "block": "bottleneck" if a.block else "basic",
                "stem": lib.sekit_arch_stem_desc(ctypes.byref(a), buf, len(buf)).decode(),
                "stages": list(a.blocks[: a.nstages]),
                "in_chans": a.in_chans,
                "num_classes": a.num_classes,
                "features": lib.sekit_arch_features(ctypes.byref(a)),
                "params": lib.sekit_model_params(self._m),
                "backend": lib.sekit_backend_name(lib.sekit_model_backend(self._m)).decode(),
            },
            "blocks": [dict(b) for b in self.blocks],
            "classes": list(self.classes),
            "preprocessing": pre,
        }
