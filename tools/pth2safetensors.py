#!/usr/bin/python3
"""Convert a PyTorch pickle checkpoint (.pth / .pkl) to a .safetensors file.

Why this exists: many SE-ResNet weights are published only as pickles -- Cadene's
pretrained-models release (``se_resnet50-ce0d4300.pth``, mirrored by timm as the legacy_*
models) and moskomule's senet.pytorch release (``seresnet50-60a8950a85b2b.pkl``) among them.
sekit's C reader deliberately reads only safetensors, a format that cannot execute code, so
those files have to be converted once, here, with PyTorch.

The safetensors writer is written out below because the ``safetensors`` Python package is not
a dependency; import ``write_safetensors`` from this file to reuse it.

Format (as the reference implementation writes it): an 8-byte little-endian u64 header length
N, N bytes of UTF-8 JSON padded with spaces so that 8 + N is a multiple of 8, then one byte
buffer holding every tensor contiguously (row-major, little-endian), ordered by descending
dtype size and then by name, with ``data_offsets`` relative to the start of that buffer.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys

import torch

DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
}

# Names of BatchNorm buffers: they are tensors in a state_dict but not learned parameters,
# which matters only for the summary line.
BUFFER_SUFFIXES = (".running_mean", ".running_var", ".num_batches_tracked")


def _tensor_bytes(t: torch.Tensor) -> bytes:
    # reshape(-1) also turns a 0-d tensor into one element, which the uint8 view needs.
    raw = t.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
    if sys.byteorder != "little":
        raw = raw.reshape(-1, t.element_size()).flip(1).reshape(-1)
    return raw.numpy().tobytes()


def write_safetensors(path: str, tensors: dict[str, torch.Tensor],
                      metadata: dict[str, str] | None = None) -> int:
    """Write tensors (and optional string metadata) to path; returns the file size in bytes.

    The file appears under its final name only once complete: it is written to path + ".tmp"
    and renamed, so an interrupted run cannot leave a truncated file that looks valid.
    """
    entries = []
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"invalid tensor name {name!r}")
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"'{name}' is not a tensor ({type(t).__name__})")
        if t.dtype not in DTYPES:
            raise ValueError(f"tensor '{name}' has dtype {t.dtype}; supported: "
                             + ", ".join(str(d).replace("torch.", "") for d in DTYPES))
        entries.append((name, t))
    entries.sort(key=lambda e: (-e[1].element_size(), e[0]))

    header: dict[str, object] = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError(f"metadata must map strings to strings: {k!r}: {v!r}")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, t in entries:
        size = t.numel() * t.element_size()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size

    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)

    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            # One tensor at a time, so a large model is never held twice in memory.
            for _, t in entries:
                f.write(_tensor_bytes(t))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 8 + len(head) + offset


class ConvertError(Exception):
    """A problem with the input, reported as one line naming the file."""


def find_state_dict(obj, key: str | None) -> dict:
    """The state_dict inside a loaded checkpoint: obj[key] if key is given, else
    obj["state_dict"], obj["model"] or obj itself, whichever is first a dict of tensors.
    A whole pickled nn.Module (torch.save(model)) stands for its state_dict."""
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            raise ConvertError(f"no entry '{key}' in the checkpoint")
        candidates = [obj[key]]
    else:
        keys = ("state_dict", "model") if isinstance(obj, dict) else ()
        candidates = [obj[k] for k in keys if k in obj] + [obj]
    candidates = [c.state_dict() if isinstance(c, torch.nn.Module) else c for c in candidates]
    for c in candidates:
        if isinstance(c, dict) and c and all(isinstance(v, torch.Tensor) for v in c.values()):
            return c
    chosen = candidates[0]
    if not isinstance(chosen, dict):
        raise ConvertError(f"expected a state_dict, found {type(chosen).__name__}")
    bad = next((k for k, v in chosen.items() if not isinstance(v, torch.Tensor)), None)
    if bad is None:
        raise ConvertError("the state_dict is empty")
    raise ConvertError(f"entry '{bad}' is not a tensor ({type(chosen[bad]).__name__}); "
                       "use --key to pick the state_dict")


def convert(sd: dict, strip_prefix: str, dtype: str) -> dict[str, torch.Tensor]:
    target = {"f32": torch.float32, "f16": torch.float16, "keep": None}[dtype]
    out = {}
    for name, t in sd.items():
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        if name in out:
            raise ConvertError(f"two tensors are named '{name}' after stripping '{strip_prefix}'")
        if target is not None and t.is_floating_point():
            t = t.to(target)
        if t.dtype not in DTYPES:
            hint = " (try --dtype f32)" if t.is_floating_point() else ""
            raise ConvertError(f"tensor '{name}' has unsupported dtype "
                               f"{str(t.dtype).replace('torch.', '')}{hint}")
        out[name] = t
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Convert a PyTorch .pth/.pkl checkpoint to .safetensors for sekit.",
        epilog="WARNING: loading a pickle runs code stored in it. Only convert files you trust.")
    p.add_argument("input", metavar="IN.pth", help="checkpoint written by torch.save")
    p.add_argument("output", metavar="OUT.safetensors")
    p.add_argument("--key", help="entry that holds the state_dict "
                   "(default: 'state_dict', then 'model', then the object itself)")
    p.add_argument("--strip-prefix", default="module.",
                   help="prefix removed from tensor names, as added by DataParallel "
                   "(default: 'module.'; '' keeps names)")
    p.add_argument("--dtype", choices=("f32", "f16", "keep"), default="f32",
                   help="floating-point tensors are converted to this (default: f32); "
                   "integer buffers are kept")
    p.add_argument("--meta", action="extend", nargs="+", default=[], metavar="K=V",
                   help="extra __metadata__ entries, e.g. sekit.stem=caffe (repeatable; "
                   "put it after the file names)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    prog = os.path.basename(sys.argv[0])
    meta = {"format": "pt"}
    for kv in args.meta:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            print(f"{prog}: --meta '{kv}' is not KEY=VALUE", file=sys.stderr)
            return 1
        meta[k] = v
    try:
        obj = torch.load(args.input, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 -- any unpickling failure is a bad input file
        print(f"{prog}: {args.input}: cannot load: {exc}", file=sys.stderr)
        return 1
    try:
        tensors = convert(find_state_dict(obj, args.key), args.strip_prefix, args.dtype)
    except ConvertError as exc:
        print(f"{prog}: {args.input}: {exc}", file=sys.stderr)
        return 1
    try:
        size = write_safetensors(args.output, tensors, meta)
    except (OSError, ValueError) as exc:
        print(f"{prog}: {args.output}: cannot write: {exc}", file=sys.stderr)
        return 1
    params = sum(t.numel() for n, t in tensors.items() if not n.endswith(BUFFER_SUFFIXES))
    print(f"{args.output}: {len(tensors)} tensors, {params:,} parameters, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
