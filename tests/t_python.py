"""t_python.py -- the Python module (python/sekit) against sekit record of the same images.

Run by tests/t-python.sh (which skips when /usr/bin/python3, numpy, h5py or xarray is absent)
with SEKIT_LIBRARY (the build's libsekit), SEKIT_BIN (its sekit) and SEKIT_SRCDIR set. TAP.

Gates, squeeze vectors and logits must equal the recording's exactly (TOL = 0): the module runs
the same engine, backend, thread count and batches (16 rows, the CLI's default) on the inputs
its preprocess() computes from the raw IDX pixels, so any difference is a preprocessing or
binding error, not rounding.
"""

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np
import xarray as xr

sys.path.insert(0, os.path.join(os.environ["SEKIT_SRCDIR"], "python"))
import sekit  # noqa: E402

TOL = 0.0
DATA = "/usr/share/datasets/fashion-mnist"
n_checks = 0
fails = 0


def ok(cond, what, detail=""):
    global n_checks, fails
    n_checks += 1
    print(f"{'ok' if cond else 'not ok'} {n_checks} - {what}")
    if not cond:
        fails += 1
        if detail:
            print("# " + str(detail).replace("\n", "\n# "))


def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 * i : 4 * i + 4], "big") for i in (1, 2, 3))
    return np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w)


def write_png(path, img):
    """A gray 8-bit PNG of img (H, W) uint8: lossless, so sekit decodes exactly img."""
    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    h, w = img.shape
    rows = b"".join(b"\x00" + img[y].tobytes() for y in range(h))
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
                + chunk(b"IEND", b""))


def folder_check(m, tmp):
    """Image folders: a model whose config.json asks for a bicubic resize to 32 then the 28
    crop; preprocess(kind="folder") of the pixels must give what sekit record computes from
    the PNG files."""
    d = os.path.join(tmp, "fm")
    os.makedirs(os.path.join(d, "bag"))
    os.makedirs(os.path.join(d, "trouser"))
    model = os.path.join(tmp, "fm.safetensors")
    os.symlink(m.path, model)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        f.write('{"architecture": "fashion_se", "input_size": [1, 28, 28], "crop_pct": 0.875, '
                '"interpolation": "bicubic"}')
    with open(os.path.join(tmp, "map.txt"), "w") as f:
        f.write("trouser 1 Trouser\nbag 8 Bag\n")
    rng = np.random.default_rng(7)
    imgs = {}
    for k in range(6):
        # smooth shapes with noise on top, 37 x 45: resized to 32 x 38, then cropped to 28
        yy, xx = np.mgrid[0:45, 0:37]
        img = (127 + 100 * np.sin(xx / (3 + k)) * np.cos(yy / 5) + rng.normal(0, 20, (45, 37)))
        img = np.clip(img, 0, 255).astype(np.uint8)
        path = os.path.join(d, "bag" if k % 2 else "trouser", f"{k}.png")
        write_png(path, img)
        imgs[os.path.abspath(path)] = img
    run = os.path.join(tmp, "folder.h5")
    r = subprocess.run([os.environ["SEKIT_BIN"], "record", "--model", model, "--data", d,
                        "--class-map", os.path.join(tmp, "map.txt"), "--quiet", "--out", run],
                       capture_output=True, text=True, cwd=tmp)
    if r.returncode != 0:
        ok(False, "sekit record of an image folder", r.stderr)
        return
    with h5py.File(run) as f:
        paths = [os.path.abspath(os.path.join(tmp, p)) for p in f["paths"].asstr()[()]]
        logits, gates = f["logits"][()], f["excitation/SE_3_2"][()]
        desc = f.attrs["preprocessing"]
        desc = desc.decode() if isinstance(desc, bytes) else desc
    fm = sekit.Model(model)
    x = fm.preprocess(np.stack([imgs[p] for p in paths]), kind="folder")
    spec = fm.info()["preprocessing"]["folder"]
    ok(spec["resize"] == 32 and spec["interpolation"] == "bicubic" and spec["description"] == desc,
       "folder preprocessing: the config.json's bicubic resize to 32, as the recording states",
       (spec, desc))
    out = fm.forward(x)
    d1, d2 = maxdiff(out, logits), maxdiff(fm.gates()["SE_3_2"], gates)
    ok(x.shape == (6, 1, 28, 28) and d1 <= TOL and d2 <= TOL,
       f"folder images: logits and gates equal sekit record's (max diff {d1:g}, {d2:g})")
    stored = fm.preprocess(np.stack([imgs[p] for p in paths]))
    ok(maxdiff(stored, x) > 0, "stored images are cropped, not resized: a different input")


def mirror_check(tmp):
    """A copy of the module whose mirror of struct sekit_input.desc is 128 bytes instead of the
    library's 256 must refuse to load the library, naming the member and both sizes; the module
    as it is loads."""
    copy = os.path.join(tmp, "mirror")
    shutil.copytree(os.path.join(os.environ["SEKIT_SRCDIR"], "python", "sekit"),
                    os.path.join(copy, "sekit"))
    lib = os.path.join(copy, "sekit", "_lib.py")
    with open(lib) as f:
        text = f.read()
    changed = text.replace('("desc", ctypes.c_char * 256)', '("desc", ctypes.c_char * 128)')
    with open(lib, "w") as f:
        f.write(changed)
    code = "import sekit; sekit.Model()"
    # the copy lives outside the source tree, so it is told which library this run loaded
    env = dict(os.environ, PYTHONPATH=copy, SEKIT_LIBRARY=sekit.library()._name)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    want = "python/sekit mirrors struct sekit_input as 196 bytes"
    ok(changed != text and r.returncode != 0 and want in r.stderr,
       "a mirror whose size differs from the library's refuses to load, naming both",
       r.stderr[-400:])


def main():
    images = os.path.join(DATA, "t10k-images-idx3-ubyte.gz")
    if not os.path.exists(images):
        print(f"1..0 # SKIP {images} absent (Debian's dataset-fashion-mnist)")
        return 0
    tmp = tempfile.mkdtemp()
    run = os.path.join(tmp, "run.h5")
    cmd = [os.environ["SEKIT_BIN"], "record", "--classes", "Trouser,Bag", "--per-class", "8",
           "--squeeze", "--quiet", "--out", run]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("1..1")
        ok(False, "sekit record of 16 images", r.stderr)
        return 1

    m = sekit.Model()
    ok(m.path == os.path.join(os.environ["SEKIT_SRCDIR"], "models",
                              "fashion_mnist_seresnet50.safetensors"),
       "Model() of the build tree's library loads the source tree's default model", m.path)

    # ---- the recording as xarray --------------------------------------------------------
    ds = sekit.open_recording(run)
    with h5py.File(run) as f:
        idx = f["sample_index"][()]
        h5_logits = f["logits"][()]
        h5_gates = {k: v[()] for k, v in f["excitation"].items()}
        h5_squeeze = {k: v[()] for k, v in f["squeeze"].items()}
        names = list(f["class_names"].asstr()[()])
        labels = f["labels"][()]
    ok(ds.sizes["sample"] == 16 and ds.sizes["label"] == 10,
       "open_recording: 16 samples, 10 labels", dict(ds.sizes))
    ok(list(ds["label"].values) == names, "the label coordinate holds the class names",
       list(ds["label"].values))
    ok(sorted(set(ds["true_label"].values)) == ["Bag", "Trouser"]
       and list(ds["true_label"].values) == [names[k] for k in labels],
       "true_label names every sample's class", list(ds["true_label"].values))
    ok(np.array_equal(ds["sample_index"].values, idx), "sample_index is the file's")
    bag = ds["logits"].sel(label="Bag")
    ok(bag.dims == ("sample",) and np.array_equal(bag.values, h5_logits[:, 8]),
       'ds.logits.sel(label="Bag") is column 8 of /logits')
    dims_ok = all(ds[f"excitation_{b}"].dims == ("sample", f"channel_{b}")
                  and ds.sizes[f"channel_{b}"] == h5_gates[b].shape[1] for b in h5_gates)
    ok(dims_ok and len(h5_gates) == 16, "one channel dimension per block, 16 blocks",
       {k: v.dims for k, v in ds.data_vars.items()})
    ok(ds["excitation_SE_4_2"].attrs.get("module") == "layer3.1.se"
       and ds.attrs.get("format_version") == 2, "block and root attributes carried over",
       ds["excitation_SE_4_2"].attrs)
    picks = ds.where(ds.true_label == "Bag", drop=True)
    ok(picks.sizes["sample"] == 8, "where(true_label == 'Bag') keeps the 8 bags",
       picks.sizes)

    # the same data in format 1's layout (sekit before 2026-11-29: an integer class scale,
    # channel scales shared by blocks of one width, no /label) opens to the same Dataset
    run1 = os.path.join(tmp, "run1.h5")
    with h5py.File(run) as f, h5py.File(run1, "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        g.attrs["format_version"] = np.int64(1)
        g.create_dataset("class_names", data=np.array(names, dtype=h5py.string_dtype()))
        g.create_dataset("class", data=np.arange(len(names)))
        for k in ("labels", "predictions", "logits", "sample_index"):
            g.create_dataset(k, data=f[k][()])
        for grp in ("excitation", "squeeze"):
            for b, d in f[grp].items():
                if f"channel_{d.shape[1]}" not in g:
                    g.create_dataset(f"channel_{d.shape[1]}", data=np.arange(d.shape[1]))
                out = g.create_dataset(f"{grp}/{b}", data=d[()])
                for k, v in d.attrs.items():
                    if k not in ("DIMENSION_LIST",):
                        out.attrs[k] = v
    ds1 = sekit.open_recording(run1)
    try:
        xr.testing.assert_equal(ds, ds1)  # values and coordinates; attributes differ
        same, why = True, ""
    except AssertionError as exc:
        same, why = False, exc
    ok(same and ds1.attrs["format_version"] == 1, "format 1's layout opens to the same Dataset",
       why)

    # ---- preprocess + forward against the recording ------------------------------------
    raw = idx_images(images)[idx]
    x = m.preprocess(raw)
    ok(x.shape == (16, 1, 28, 28) and x.dtype == np.float32, "preprocess: (16, 1, 28, 28) float32",
       (x.shape, x.dtype))
    same_nchw = np.array_equal(m.preprocess(raw[:, None, :, :]), x) and np.array_equal(
        m.preprocess(raw[:, :, :, None]), x)
    ok(same_nchw, "NCHW and NHWC layouts are detected and give the same input")
    logits = m.forward(x)
    d = maxdiff(logits, h5_logits)
    ok(d <= TOL, f"forward(preprocess(raw IDX)) logits equal the recording's (max diff {d:g})")
    g, s = m.gates(), m.squeeze()
    dg = max(maxdiff(g[b], h5_gates[b]) for b in h5_gates)
    ds_ = max(maxdiff(s[b], h5_squeeze[b]) for b in h5_squeeze)
    ok(set(g) == set(h5_gates) and dg <= TOL,
       f"gates of all 16 blocks equal the recording's (max diff {dg:g})")
    ok(set(s) == set(h5_squeeze) and ds_ <= TOL,
       f"squeeze vectors equal the recording's (max diff {ds_:g})")
    one = m.forward(x[3:4])
    d1 = maxdiff(one, h5_logits[3:4])
    ok(d1 <= 1e-5 and m.gates()["SE_5_3"].shape == (1, 384),
       f"a single image's logits agree within 1e-5 (max diff {d1:g}) and gates are (1, C)")

    # ---- gate overrides -----------------------------------------------------------------
    m.set_gate("SE_5_3", "removed")
    removed = m.forward(x)
    ok(np.allclose(m.gates()["SE_5_3"], 1.0) and maxdiff(removed, logits) > 0,
       "removed: SE_5_3's gate is 1 and the logits change")
    m.set_gate("SE_5_3", np.ones(384, np.float32))
    ones = m.forward(x)
    ok(maxdiff(ones, removed) == 0, "a gate of ones gives the removed block's logits exactly")
    m.set_gate("SE_5_3", "normal")
    back = m.forward(x)
    ok(maxdiff(back, logits) == 0, "normal restores the block's own gate")
    half = np.full(384, 0.5, np.float32)
    m.set_gate("SE_5_3", half)
    m.forward(x)
    ok(np.array_equal(m.gates()["SE_5_3"], np.tile(half, (16, 1))), "a fixed gate is applied")
    m.set_gate("SE_5_3", "normal")
    try:
        m.set_gate("SE_5_3", np.ones(383))
        raised = ""
    except ValueError as exc:
        raised = str(exc)
    ok("384 channels" in raised, "a gate of the wrong length raises ValueError", raised)
    try:
        m.set_gate("SE_9_9", "removed")
        raised = ""
    except KeyError as exc:
        raised = str(exc)
    ok("SE_2_1" in raised, "an unknown block raises KeyError listing the blocks", raised)

    folder_check(m, tmp)

    # ---- info and errors ----------------------------------------------------------------
    info = m.info()
    ok([b["name"] for b in info["blocks"]] == sorted(h5_gates, key=lambda b: (b[3], int(b[5:])))
       and info["classes"] == names and info["architecture"]["stages"] == [3, 4, 6, 3]
       and info["preprocessing"]["stored"]["description"] == ds.attrs["preprocessing"],
       "info(): blocks, classes, stages, and the preprocessing the recording names",
       info["preprocessing"])
    bad = os.path.join(tmp, "bad.safetensors")
    with open(bad, "wb") as f:
        f.write(b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\": 1}")
    try:
        sekit.Model(bad)
        msg = ""
    except sekit.Error as exc:
        msg = str(exc)
    cli = subprocess.run([os.environ["SEKIT_BIN"], "info", bad], capture_output=True, text=True)
    mirror_check(tmp)
    ok(msg.startswith(bad + ": ") and cli.stderr.strip() == "sekit info: " + msg,
       "a bad model file raises sekit.Error with the message the CLI prints",
       f"python: {msg!r}\ncli: {cli.stderr!r}")
    try:
        m.preprocess(raw.astype(np.float32))
        raised = ""
    except TypeError as exc:
        raised = str(exc)
    ok("uint8" in raised, "preprocess refuses non-uint8 pixels", raised)
    try:
        m.preprocess(np.zeros((2, 28, 28, 3), np.uint8))
        raised = ""
    except sekit.Error as exc:
        raised = str(exc)
    ok("colour images for a 1-channel model" in raised, "colour images for a gray model raise",
       raised)

    print(f"1..{n_checks}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
