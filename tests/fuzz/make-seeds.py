#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (README.md here) into tests/fuzz/corpus/.

Run from the repository root, by hand, when a seed is added or changed; the result is
committed. Deterministic but for the real recordings, which store their creation time.

    /usr/bin/python3 tests/fuzz/make-seeds.py [build/sekit]

With the path of a built sekit, the recording corpus also gets two real recordings of the
bundled Fashion-MNIST model (the README's `sekit record` on two images); without it, only the
small hand-made recordings (h5py) are written.
"""
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SEP = b"SEKITSEP"


def out(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# weight files


def safetensors(tensors, meta=None, dtype="F32"):
    """tensors: list of (name, numpy array); float arrays are stored as dtype."""
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, a in tensors:
        if a.dtype == np.int64:
            dt, raw = "I64", a.tobytes()
        elif dtype == "F16":
            dt, raw = "F16", a.astype(np.float16).tobytes()
        elif dtype == "BF16":
            dt, raw = "BF16", (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
        else:
            dt, raw = "F32", a.astype(np.float32).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def model(layout, block, stem_k, groups=1, in_chans=1, blocks=(1, 1), planes=(2, 4), classes=3,
          stem_width=4, seed=0, deep=None, avg_down=False, reduce_first=1, down_k=1):
    """A tiny SE-ResNet state dict in one of the three layouts sekit reads; deep = (c0, c1) for a
    deep stem, avg_down for timm's average-pool shortcuts, reduce_first and down_k as
    SENet-154's."""
    rng = np.random.default_rng(seed)
    t = []

    def w(*shape):
        return rng.standard_normal(shape).astype(np.float32) * 0.3

    def bn(prefix, c):
        t.extend([(prefix + ".weight", 1 + w(c)), (prefix + ".bias", w(c)),
                  (prefix + ".running_mean", w(c)), (prefix + ".running_var", 0.5 + np.abs(w(c))),
                  (prefix + ".num_batches_tracked", np.array(7, dtype=np.int64))])

    legacy = layout == "legacy"
    if deep:
        chans = [in_chans, deep[0], deep[1], stem_width]
        for j in range(3):
            t.append(("layer0.conv%d.weight" % (j + 1) if legacy else "conv1.%d.weight" % (3 * j),
                      w(chans[j + 1], chans[j], 3, 3)))
            bn("layer0.bn%d" % (j + 1) if legacy else ("conv1.%d" % (3 * j + 1) if j < 2 else "bn1"),
               chans[j + 1])
    else:
        t.append(("layer0.conv1.weight" if legacy else "conv1.weight",
                  w(stem_width, in_chans, stem_k, stem_k)))
        bn("layer0.bn1" if legacy else "bn1", stem_width)
    exp = 4 if block == "bottleneck" else 1
    base_width = 64 * 2 // planes[0]  # width of stage 1 = 2 * groups
    prev = stem_width
    for s, (nb, p) in enumerate(zip(blocks, planes)):
        outc = p * exp
        width = p if block == "basic" else p * base_width // 64 * groups
        for b in range(nb):
            pre = "layer%d.%d" % (s + 1, b)
            inc = prev if b == 0 else outc
            if block == "basic":
                convs = [(width, inc, 3), (outc, width, 3)]
            else:
                first = width // reduce_first
                convs = [(first, inc, 1), (width, first // groups, 3), (outc, width, 1)]
            for j, (co, ci, k) in enumerate(convs):
                t.append(("%s.conv%d.weight" % (pre, j + 1), w(co, ci, k, k)))
                bn("%s.bn%d" % (pre, j + 1), co)
            cr = max(outc // 4, 1)
            if layout == "moskomule":
                t += [(pre + ".se.fc.0.weight", w(cr, outc)), (pre + ".se.fc.2.weight", w(outc, cr))]
            else:
                se = pre + (".se_module" if legacy else ".se")
                t += [(se + ".fc1.weight", w(cr, outc, 1, 1)), (se + ".fc1.bias", w(cr)),
                      (se + ".fc2.weight", w(outc, cr, 1, 1)), (se + ".fc2.bias", w(outc))]
            if b == 0 and (s > 0 or inc != outc):
                k = down_k if s > 0 else 1
                j = 1 if avg_down else 0
                t.append((pre + ".downsample.%d.weight" % j, w(outc, inc, k, k)))
                bn(pre + ".downsample.%d" % (j + 1), outc)
        prev = outc
    head = "last_linear" if legacy else "fc"
    t += [(head + ".weight", w(classes, prev)), (head + ".bias", w(classes))]
    return t


def model_seeds():
    cases = [
        ("timm_basic_small", dict(layout="timm", block="basic", stem_k=3, blocks=(2, 1))),
        ("timm_bottleneck_imagenet", dict(layout="timm", block="bottleneck", stem_k=7, in_chans=3)),
        ("timm_seresnext_imagenet", dict(layout="timm", block="bottleneck", stem_k=7, groups=2)),
        ("legacy_basic_caffe", dict(layout="legacy", block="basic", stem_k=7, in_chans=3)),
        ("legacy_bottleneck_caffe", dict(layout="legacy", block="bottleneck", stem_k=7)),
        ("legacy_seresnext_caffe", dict(layout="legacy", block="bottleneck", stem_k=7, groups=2)),
        ("legacy_basic_small", dict(layout="legacy", block="basic", stem_k=3, blocks=(1, 1, 1))),
        ("mosko_bottleneck_imagenet", dict(layout="moskomule", block="bottleneck", stem_k=7)),
        ("mosko_basic_small", dict(layout="moskomule", block="basic", stem_k=3, in_chans=3)),
    ]
    for i, (name, kw) in enumerate(cases):
        out("model", name + ".safetensors", safetensors(model(seed=i, **kw)))
    # deep stems, average-pool shortcuts, SENet-154's blocks, anti-aliasing by metadata
    out("model", "timm_deep_avgdown.safetensors",
        safetensors(model("timm", "bottleneck", 3, groups=2, in_chans=3, deep=(2, 3),
                          avg_down=True, seed=30)))
    out("model", "legacy_senet154.safetensors",
        safetensors(model("legacy", "bottleneck", 3, groups=2, deep=(2, 2), reduce_first=2,
                          down_k=3, seed=31)))
    out("model", "timm_aa.safetensors",
        safetensors(model("timm", "bottleneck", 3, deep=(2, 2), avg_down=True, seed=32),
                    meta={"sekit.aa": "avgpool"}))
    # the metadata overrides, and the half-precision readers
    out("model", "timm_basic_caffe_f16.safetensors",
        safetensors(model("timm", "basic", 7, seed=20), meta={"sekit.stem": "caffe"}, dtype="F16"))
    out("model", "legacy_bottleneck_3x3_bf16.safetensors",
        safetensors(model("legacy", "bottleneck", 7, seed=21),
                    meta={"sekit.stride_on": "3x3", "sekit.stem": "imagenet"}, dtype="BF16"))


# ---------------------------------------------------------------------------------------------
# datasets: a mode byte, then files separated by SEKITSEP (fuzz-datasets.c)


def idx_files(n, h, w, rng):
    img = struct.pack(">IIII", 0x803, n, h, w) + bytes(rng.randrange(256) for _ in range(n * h * w))
    lab = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    return img, lab


def cifar_records(n, label_bytes, rng):
    recs = b""
    for i in range(n):
        lab = bytes([i % 20, i % 100]) if label_bytes == 2 else bytes([i % 10])
        recs += lab + bytes(rng.randrange(256) for _ in range(3072))
    return recs


def dataset_seeds():
    rng = random.Random(1)
    img, lab = idx_files(12, 6, 6, rng)
    out("datasets", "idx_test", bytes([0]) + img + SEP + lab)
    img, lab = idx_files(10, 5, 5, rng)
    # gzip with a fixed mtime, so the file is the same every run
    out("datasets", "idx_train_gz_crop",
        bytes([8 | 16 | 128]) + gzip.compress(img, mtime=0) + SEP + gzip.compress(lab, mtime=0))
    img, lab = idx_files(4, 4, 7, rng)
    out("datasets", "idx_auto_mnist_rect", bytes([4 | 32 | 64 | 128]) + img + SEP + lab)
    names10 = "\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                         "ship", "truck"]).encode() + b"\n"
    out("datasets", "cifar10_test", bytes([1 | 64]) + cifar_records(3, 1, rng) + SEP + names10)
    parts = [cifar_records(1, 1, rng) for _ in range(5)] + [names10]
    out("datasets", "cifar10_train_crop", bytes([1 | 8 | 64 | 128]) + SEP.join(parts))
    names100 = "".join("class_%d\n" % i for i in range(100)).encode()
    out("datasets", "cifar100_auto",
        bytes([2 | 4 | 64]) + cifar_records(2, 2, rng) + SEP + names100 + SEP + cifar_records(1, 2, rng))


# ---------------------------------------------------------------------------------------------
# recordings


def tiny_recording(path, squeeze):
    import h5py

    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["format_version"] = np.int64(1)
        f.attrs["n_images"] = np.int64(2)
        f.attrs["num_classes"] = np.int64(3)
        f.attrs["class_indices"] = np.array([1, 2], dtype=np.int64)
        f.attrs["model_path"] = "tiny.safetensors"
        f.attrs["architecture"] = "inferred"
        f["labels"] = np.array([1, 2], dtype=np.int32)
        f["predictions"] = np.array([1, 0], dtype=np.int32)
        f.create_dataset("class_names", data=["a", "b", "c"], dtype=h5py.string_dtype("utf-8"))
        groups = ["excitation"] + (["squeeze"] if squeeze else [])
        for g in groups:
            for s, c in ((2, 4), (3, 8)):
                d = f.create_dataset("%s/SE_%d_1" % (g, s), data=np.linspace(0, 1, 2 * c, dtype=np.float32).reshape(2, c))
                d.attrs["module"] = "layer%d.0.se" % (s - 1)
                d.attrs["stage"] = np.int64(s)
                d.attrs["block"] = np.int64(1)


def recording_seeds(sekit):
    with tempfile.TemporaryDirectory() as tmp:
        for name, sq in (("tiny", False), ("tiny_squeeze", True)):
            p = os.path.join(tmp, name + ".h5")
            tiny_recording(p, sq)
            out("recording", name + ".h5", open(p, "rb").read())
        if sekit:
            runs = [("trouser_2", ["--classes", "Trouser", "--per-class", "2"]),
                    ("two_blocks_squeeze", ["--classes", "Trouser,Bag", "--per-class", "1",
                                            "--blocks", "SE_2_1,SE_3_1", "--squeeze"])]
            for name, args in runs:
                p = os.path.join(tmp, name + ".h5")
                subprocess.run([sekit, "record", *args, "--out", p, "--quiet"], check=True)
                out("recording", name + ".h5", open(p, "rb").read())


# ---------------------------------------------------------------------------------------------
# images: small golden images of tests/reference/images, one per decoder path


IMAGES = [  # (file, RGB, bicubic, shorter side)
    ("35_30x30_png_1bit.png", 0, 0, 16),
    ("23_25x60_jpeg_gray-q70.jpg", 1, 1, 33),
    ("36_60x80_png_gray2.png", 1, 0, 7),
    ("02_17x17_jpeg_q90-444.jpg", 1, 1, 36),
    ("38_50x75_png_p4-short.png", 1, 1, 20),
    ("45_34x36_jpeg_q75-420.jpg", 0, 1, 34),
    ("01_48x64_jpeg_q75-420-progressive.jpg", 1, 0, 64),
    ("25_35x35_jpeg_cmyk-q75.jpg", 1, 1, 12),
    ("55_47x29_png_la.png", 0, 0, 29),
    ("56_29x47_jpeg_cmyk-q95-progressive.jpg", 0, 1, 40),
    ("58_96x64_jpeg_q85-420-corrupt.jpg", 1, 1, 32),
]


def image_seeds():
    src = os.path.join(os.path.dirname(ROOT), "..", "reference", "images")
    for name, rgb, bicubic, side in IMAGES:
        mode = (side - 1) << 2 | bicubic << 1 | rgb
        with open(os.path.join(src, name), "rb") as f:
            out("images", os.path.splitext(name)[0], bytes([mode]) + f.read())


if __name__ == "__main__":
    model_seeds()
    dataset_seeds()
    image_seeds()
    recording_seeds(sys.argv[1] if len(sys.argv) > 1 else None)
