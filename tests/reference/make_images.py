#!/usr/bin/python3
"""Write the golden image-preprocessing data into tests/reference/images/.

Run by hand with Debian's Python (/usr/bin/python3 tests/reference/make_images.py; it needs
python3-pil 9.4 and python3-torchvision 0.14) when the cases change, and commit the result;
tests and CI never run it. The photographs come from the Debian package
lomiri-wallpapers-16.04 (/usr/share/backgrounds, see images/README.md).

It cuts small images of mixed sizes and aspect ratios out of the photographs and saves them as
JPEG (qualities 50..100, 4:2:0 / 4:2:2 / 4:4:4, baseline and progressive, grayscale, CMYK,
one with damaged entropy data) and PNG (RGB, L, LA, RGBA, P with tRNS, 1/2/4/16-bit,
interlaced), then records what torchvision's transforms make of each on a PIL image:

  images/<name>.jpg|.png   the inputs
  images/expected.bin      the expected values, concatenated:
                           uint8 (crop, crop, channels) after Resize + CenterCrop (before
                           ToTensor), float32 little-endian (3, crop, crop) after ToTensor +
                           Normalize
  images/index.json        what each block of expected.bin is (see images/README.md)

The loader is timm's and torchvision's: Image.open(f).convert('RGB') (or 'L' for the
gray variant). The output is deterministic: a second run rewrites byte-identical files.
"""
from __future__ import annotations

import json
import os
import random
import struct
import sys
import zlib

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")
PHOTOS = "/usr/share/backgrounds"
MAX_TOTAL_BYTES = 2_000_000

# Resize + CenterCrop settings, scaled down from ImageNet's so that the data stays small:
# timm's crop_pct 0.95 (resize 235 for crop 224) and 0.875 (256 for 224) become 33 and 36 for
# crop 32; "timm256" is the real size, for the two largest images.
VARIANTS = {
    "timm33": {"resize": 33, "crop": 32, "interpolation": "bicubic", "mode": "RGB"},
    "timm36": {"resize": 36, "crop": 32, "interpolation": "bicubic", "mode": "RGB"},
    "legacy36": {"resize": 36, "crop": 32, "interpolation": "bilinear", "mode": "RGB"},
    "gray36": {"resize": 36, "crop": 32, "interpolation": "bilinear", "mode": "L"},
    "timm256": {"resize": 256, "crop": 224, "interpolation": "bicubic", "mode": "RGB"},
}
SMALL_VARIANTS = ["timm33", "timm36", "legacy36", "gray36"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# (width, height, how it is stored); the sizes mix portrait, landscape, square, extreme ratios,
# images smaller than the resize (upscaled) and images of exactly the resized size.
CASES = [
    (64, 48, "jpeg q75 420"),
    (48, 64, "jpeg q75 420 progressive"),
    (17, 17, "jpeg q90 444"),
    (33, 33, "jpeg q95 444"),
    (36, 36, "png rgb"),
    (36, 48, "jpeg q85 422"),
    (400, 300, "jpeg q75 420 big"),
    (300, 400, "jpeg q90 444 progressive big"),
    (400, 17, "jpeg q80 420"),
    (17, 400, "png rgb"),
    (250, 40, "jpeg q60 422 progressive"),
    (40, 250, "jpeg q100 444"),
    (99, 101, "jpeg q50 420"),
    (101, 99, "jpeg q75 422"),
    (20, 31, "jpeg q75 420"),
    (31, 20, "png rgb"),
    (128, 128, "jpeg q92 420 progressive"),
    (200, 150, "jpeg q70 444 progressive"),
    (150, 200, "jpeg q88 422"),
    (77, 233, "jpeg q75 420"),
    (233, 77, "jpeg q97 444"),
    (57, 43, "jpeg gray q80"),
    (120, 90, "jpeg gray q95 progressive"),
    (25, 60, "jpeg gray q70"),
    (90, 120, "jpeg cmyk q90"),
    (35, 35, "jpeg cmyk q75"),
    (160, 37, "jpeg cmyk q85"),
    (80, 60, "png rgb"),
    (45, 70, "png l"),
    (70, 45, "png la"),
    (52, 52, "png rgba"),
    (37, 160, "png rgba"),
    (66, 44, "png p-index"),
    (44, 66, "png p-alpha"),
    (96, 72, "png p-index"),
    (30, 30, "png 1bit"),
    (60, 80, "png gray2"),
    (80, 60, "png gray4"),
    (50, 75, "png p4-short"),
    (75, 50, "png gray16"),
    (64, 64, "png rgb16"),
    (58, 39, "png rgba16"),
    (39, 58, "png la16"),
    (90, 66, "png rgb interlaced"),
    (66, 90, "png p-index interlaced"),
    (34, 36, "jpeg q75 420"),
    (36, 34, "jpeg q75 444"),
    (32, 32, "jpeg q90 420"),
    (37, 36, "png rgb"),
    (180, 120, "jpeg q75 420 optimize"),
    (120, 180, "jpeg q95 422 progressive"),
    (333, 222, "jpeg q80 420"),
    (222, 333, "png rgb"),
    (18, 300, "jpeg q75 444"),
    (300, 18, "jpeg gray q90"),
    (47, 29, "png la"),
    (29, 47, "jpeg cmyk q95 progressive"),
    (110, 110, "png l"),
    (96, 64, "jpeg q85 420 corrupt"),
]
TENSOR_IMAGES = [0, 6, 21, 24, 32]


def cut(rng: random.Random, photos: list[str], w: int, h: int) -> Image.Image:
    """A w x h picture: a region of a photograph, scaled down 1 to 6 times; regions with
    detail (gray standard deviation over 25) are preferred, flat sky is a weak test."""
    best, best_std = None, -1.0
    for _ in range(12):
        path = photos[rng.randrange(len(photos))]
        with Image.open(path) as src:
            src.draft("RGB", (src.width // 4, src.height // 4))  # a faster look, same region
            src = src.convert("RGB")
            rw = min(src.width, int(w * rng.uniform(0.25, 1.5)) or 1)
            rh = max(1, round(rw * h / w))
            if rh > src.height:
                rh = src.height
                rw = max(1, round(rh * w / h))
            x0 = rng.randrange(src.width - rw + 1)
            y0 = rng.randrange(src.height - rh + 1)
            im = src.crop((x0, y0, x0 + rw, y0 + rh)).resize((w, h), Image.LANCZOS)
        std = float(np.asarray(im.convert("L"), dtype=np.float64).std())
        if std > best_std:
            best, best_std = im, std
        if std > 25:
            break
    return best


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def pack_rows(a: np.ndarray, bits: int) -> list[bytes]:
    """Rows of a (h, w) or (h, w, c) sample array as PNG scanline bytes."""
    rows = []
    for row in a:
        if bits == 16:
            rows.append(row.astype(">u2").tobytes())
        elif bits == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            rows.append(np.packbits(np.unpackbits(row.astype(np.uint8)[:, None], axis=1)
                                    [:, 8 - bits:].reshape(-1)).tobytes())
    return rows


def write_png(path: str, a: np.ndarray, color_type: int, bits: int, plte: bytes | None = None,
              trns: bytes | None = None, interlace: bool = False) -> None:
    """A PNG written by hand, for what Pillow cannot save (16-bit colour, 2-bit gray,
    interlacing, a palette shorter than the indices used)."""
    h, w = a.shape[:2]
    raw = b""
    if interlace:
        for xs, ys, dx, dy in ADAM7:
            sub = a[ys::dy, xs::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += b"".join(b"\0" + r for r in pack_rows(sub, bits))
    else:
        raw = b"".join(b"\0" + r for r in pack_rows(a, bits))
    data = b"\x89PNG\r\n\x1a\n"
    data += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0,
                                           1 if interlace else 0))
    if plte is not None:
        data += png_chunk(b"PLTE", plte)
    if trns is not None:
        data += png_chunk(b"tRNS", trns)
    data += png_chunk(b"IDAT", zlib.compress(raw, 9))
    data += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def save(im: Image.Image, kind: str, base: str) -> str:
    """Stores im as kind says; returns the file name."""
    words = kind.split()
    if words[0] == "jpeg":
        name = base + ".jpg"
        opts = {"progressive": "progressive" in words, "optimize": "optimize" in words}
        for wd in words:
            if wd.startswith("q"):
                opts["quality"] = int(wd[1:])
            if wd in ("444", "422", "420"):
                opts["subsampling"] = {"444": 0, "422": 1, "420": 2}[wd]
        if "gray" in words:
            im = im.convert("L")
        elif "cmyk" in words:
            im = im.convert("CMYK")
        im.save(os.path.join(OUT, name), "JPEG", **opts)
        if "corrupt" in words:
            # a restart marker planted in the entropy data: libjpeg warns and fills the rest
            # with zeros, Pillow drops the warning and keeps the image
            with open(os.path.join(OUT, name), "r+b") as f:
                f.seek(-200, os.SEEK_END)
                f.write(b"\xff\xd0")
        return name
    name = base + ".png"
    path = os.path.join(OUT, name)
    fmt = words[1]
    rgb = np.asarray(im.convert("RGB"))
    gray = np.asarray(im.convert("L"))
    h, w = gray.shape
    ramp = (np.arange(w)[None, :] * 5 + np.arange(h)[:, None] * 3) % 256
    alpha = np.clip(ramp, 0, 255).astype(np.uint8)
    if fmt == "rgb" and "interlaced" in words:
        write_png(path, rgb, 2, 8, interlace=True)
    elif fmt == "rgb":
        im.convert("RGB").save(path)
    elif fmt == "l":
        im.convert("L").save(path)
    elif fmt == "la":
        Image.merge("LA", (Image.fromarray(gray), Image.fromarray(alpha))).save(path)
    elif fmt == "rgba":
        rgba = np.dstack([rgb, alpha])
        Image.fromarray(rgba, "RGBA").save(path)
    elif fmt in ("p-index", "p-alpha"):
        p = im.convert("RGB").quantize(colors=200, method=Image.MEDIANCUT, dither=Image.NONE)
        pal = bytes(p.getpalette()[:600])
        idx = np.asarray(p)
        if "interlaced" in words:
            write_png(path, idx, 3, 8, plte=pal, trns=b"\xff" * 7 + b"\x00", interlace=True)
        elif fmt == "p-index":
            p.save(path, transparency=7)
        else:
            p.save(path, transparency=bytes((i * 37) % 256 for i in range(200)))
    elif fmt == "1bit":
        im.convert("1").save(path)
    elif fmt in ("gray2", "gray4"):
        bits = int(fmt[-1])
        write_png(path, gray >> (8 - bits), 0, bits)
    elif fmt == "p4-short":
        # 16 indices, 10 palette entries: Pillow shows the missing ones as its gray ramp
        idx = gray >> 4
        plte = bytes(v for i in range(10) for v in (i * 25, 255 - i * 20, (i * 70) % 256))
        write_png(path, idx, 3, 4, plte=plte)
    elif fmt == "gray16":
        # Pillow reads 16-bit gray as mode I and clips it to 255 when converting
        write_png(path, gray.astype(np.uint16) * 2 + (ramp % 3), 0, 16)
    elif fmt == "rgb16":
        write_png(path, rgb.astype(np.uint16) * 257 + (ramp % 200)[:, :, None], 2, 16)
    elif fmt == "rgba16":
        a16 = np.dstack([rgb.astype(np.uint16) * 256 + 255, alpha.astype(np.uint16) * 256])
        write_png(path, a16, 6, 16)
    elif fmt == "la16":
        a16 = np.dstack([gray.astype(np.uint16) * 256 + (ramp % 256), alpha.astype(np.uint16)])
        write_png(path, a16, 4, 16)
    else:
        raise ValueError(kind)
    return name


def expected(path: str, variant: dict) -> np.ndarray:
    interp = {"bicubic": InterpolationMode.BICUBIC,
              "bilinear": InterpolationMode.BILINEAR}[variant["interpolation"]]
    tf = transforms.Compose([transforms.Resize(variant["resize"], interpolation=interp),
                             transforms.CenterCrop(variant["crop"])])
    with open(path, "rb") as f:
        img = Image.open(f).convert(variant["mode"])
    out = np.asarray(tf(img), dtype=np.uint8)
    return out.reshape(variant["crop"], variant["crop"], -1)


def tensor(path: str, variant: dict) -> np.ndarray:
    interp = {"bicubic": InterpolationMode.BICUBIC,
              "bilinear": InterpolationMode.BILINEAR}[variant["interpolation"]]
    tf = transforms.Compose([transforms.Resize(variant["resize"], interpolation=interp),
                             transforms.CenterCrop(variant["crop"]), transforms.ToTensor(),
                             transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    with open(path, "rb") as f:
        img = Image.open(f).convert(variant["mode"])
    t = tf(img)
    assert t.dtype == torch.float32
    return t.numpy().astype("<f4")


def main() -> int:
    if PIL.__version__ != "9.4.0" or not torchvision.__version__.startswith("0.14"):
        print(f"need Pillow 9.4.0 and torchvision 0.14 (Debian 12), have {PIL.__version__} "
              f"and {torchvision.__version__}", file=sys.stderr)
        return 1
    photos = sorted(os.path.join(PHOTOS, f) for f in os.listdir(PHOTOS) if f.endswith(".jpg"))
    if not photos:
        print(f"no photographs in {PHOTOS} (apt install lomiri-wallpapers-16.04)", file=sys.stderr)
        return 1
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".jpg", ".png", ".bin", ".json")):
            os.remove(os.path.join(OUT, f))
    rng = random.Random(20240229)
    blob = bytearray()
    images = []
    for i, (w, h, kind) in enumerate(CASES):
        im = cut(rng, photos, w, h)
        name = save(im, kind, f"{i:02d}_{w}x{h}_" + kind.split()[0] + "_" +
                    "-".join(kind.split()[1:]).replace("big", "").strip("-"))
        path = os.path.join(OUT, name)
        with Image.open(path) as chk:
            mode, size = chk.mode, chk.size
        assert size == (w, h), (name, size)
        entry = {"file": name, "width": w, "height": h, "stored": kind.replace(" big", ""),
                 "pil_mode": mode, "expect": {}}
        for v in SMALL_VARIANTS + (["timm256"] if "big" in kind.split() else []):
            a = expected(path, VARIANTS[v])
            entry["expect"][v] = len(blob)
            blob += a.tobytes()
        if i in TENSOR_IMAGES:
            t = tensor(path, VARIANTS["timm36"])
            entry["tensor"] = {"variant": "timm36", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                               "offset": len(blob)}
            blob += t.tobytes()
        images.append(entry)
    with open(os.path.join(OUT, "expected.bin"), "wb") as f:
        f.write(blob)
    index = {
        "generator": "tests/reference/make_images.py",
        "pillow": PIL.__version__,
        "torchvision": torchvision.__version__,
        "variants": VARIANTS,
        "images": images,
    }
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(images)} images, {len(blob)} bytes of expected data, {total} bytes in {OUT}")
    if total > MAX_TOTAL_BYTES:
        print(f"more than {MAX_TOTAL_BYTES} bytes: make the cases smaller", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
