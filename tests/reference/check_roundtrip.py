#!/usr/bin/python3
"""Proves tools/pth2safetensors.py writes what it claims, using an independent minimal reader.

  1. every golden file in data/ is read back and compared, tensor for tensor and bit for bit,
     with the state_dict and outputs make_golden.py computes for that case;
  2. a file with every supported dtype, a 0-d, an empty and a non-contiguous tensor round-trips;
  3. the command line unwraps a DataParallel checkpoint, and fails cleanly on a bad file.
Each file is also checked for the layout rules: header padded with spaces to a multiple of 8,
tensors in (descending dtype size, name) order tiling the buffer with no gap.

Run: /usr/bin/python3 tests/reference/check_roundtrip.py
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "pth2safetensors.py")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(TOOL))

import make_golden  # noqa: E402
from pth2safetensors import write_safetensors  # noqa: E402

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}
SIZES = {k: torch.empty(0, dtype=d).element_size() for k, d in DTYPES.items()}


def read_safetensors(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    raw = data[8:8 + n]
    assert (8 + n) % 8 == 0, f"{path}: data does not start on an 8-byte boundary"
    text = raw.decode("utf-8")
    body = text.rstrip(" ")
    assert body.startswith("{") and body.endswith("}"), f"{path}: header is not padded JSON"
    assert len(text) - len(body) < 8, f"{path}: more padding than alignment needs"
    header = json.loads(body)
    meta = header.pop("__metadata__", {})
    buf = data[8 + n:]
    entries = sorted(header.items(), key=lambda e: e[1]["data_offsets"][0])
    expect_order = sorted(header, key=lambda k: (-SIZES[header[k]["dtype"]], k))
    assert [k for k, _ in entries] == expect_order, f"{path}: tensors out of order"
    tensors, pos = {}, 0
    for name, info in entries:
        begin, end = info["data_offsets"]
        assert begin == pos, f"{path}: gap or overlap before '{name}'"
        dtype = DTYPES[info["dtype"]]
        numel = 1
        for d in info["shape"]:
            numel *= d
        assert end - begin == numel * SIZES[info["dtype"]], f"{path}: '{name}' has a wrong size"
        t = (torch.frombuffer(bytearray(buf[begin:end]), dtype=dtype) if numel
             else torch.empty(0, dtype=dtype))
        tensors[name] = t.reshape(info["shape"])
        pos = end
    assert pos == len(buf), f"{path}: {len(buf) - pos} trailing bytes"
    return tensors, meta


def assert_same(path: str, got: dict, want: dict) -> None:
    assert got.keys() == want.keys(), f"{path}: names differ: {sorted(got.keys() ^ want.keys())}"
    for k, w in want.items():
        g = got[k]
        assert g.dtype == w.dtype and g.shape == w.shape, f"{path}: '{k}' dtype/shape differ"
        # Compare bits, so that -0.0 vs 0.0 or a NaN payload would count as a difference.
        same = torch.equal(g.reshape(-1).view(torch.uint8), w.contiguous().reshape(-1)
                           .view(torch.uint8))
        assert same, f"{path}: '{k}' differs"


def check_golden() -> int:
    for case in make_golden.CASES:
        r = make_golden.make_case(case)
        for suffix, want, meta in ((".safetensors", r["weights"], None),
                                   (".expected.safetensors", r["expected"], r["meta"])):
            path = os.path.join(make_golden.DATA, case["name"] + suffix)
            got, got_meta = read_safetensors(path)
            assert_same(path, got, want)
            if meta is not None:
                assert got_meta == meta, f"{path}: metadata differs"
    return len(make_golden.CASES)


def check_dtypes(tmp: str) -> None:
    torch.manual_seed(0)
    want = {
        "f32": torch.randn(3, 4),
        "f16": torch.randn(5).half(),
        "bf16": torch.randn(2, 3).bfloat16(),
        "i64": torch.tensor(-7, dtype=torch.int64),
        "i32": torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3),
        "u8": torch.arange(250, 256, dtype=torch.uint8),
        "empty": torch.zeros(0, 4),
        "transposed": torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),
        "naïve.名前": torch.ones(1),
    }
    path = os.path.join(tmp, "dtypes.safetensors")
    meta = {"k": "v", "ünï": "cödé"}
    size = write_safetensors(path, want, meta)
    assert size == os.path.getsize(path)
    got, got_meta = read_safetensors(path)
    assert_same(path, got, want)
    assert got_meta == meta
    try:
        write_safetensors(os.path.join(tmp, "bad.safetensors"), {"x": torch.zeros(2).double()})
        raise AssertionError("float64 must be refused")
    except ValueError:
        pass
    assert sorted(os.listdir(tmp)) == ["dtypes.safetensors"], os.listdir(tmp)


def check_cli(tmp: str) -> None:
    torch.manual_seed(1)
    sd = {"conv1.weight": torch.randn(4, 3, 3, 3).double(), "bn1.num_batches_tracked":
          torch.tensor(5), "bn1.running_var": torch.rand(4)}
    pth = os.path.join(tmp, "ckpt.pth")
    torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in sd.items()}}, pth)
    out = os.path.join(tmp, "ckpt.safetensors")
    run = subprocess.run([sys.executable, TOOL, pth, out, "--meta", "sekit.stem=small"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "3 tensors, 108 parameters" in run.stdout, run.stdout
    got, meta = read_safetensors(out)
    want = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
    assert_same(out, got, want)
    assert meta == {"format": "pt", "sekit.stem": "small"}, meta

    bad = os.path.join(tmp, "garbage.pth")
    with open(bad, "wb") as f:
        f.write(b"not a pickle")
    out = os.path.join(tmp, "garbage.safetensors")
    run = subprocess.run([sys.executable, TOOL, bad, out], capture_output=True, text=True)
    assert run.returncode == 1 and bad in run.stderr, run
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not os.path.exists(out) and not os.path.exists(out + ".tmp")


def main() -> int:
    n = check_golden()
    print(f"golden data: {2 * n} files match make_golden.py bit for bit")
    with tempfile.TemporaryDirectory() as tmp:
        check_dtypes(tmp)
    print("writer: all dtypes, 0-d, empty, non-contiguous and unicode names round-trip")
    with tempfile.TemporaryDirectory() as tmp:
        check_cli(tmp)
    print("cli: DataParallel checkpoint converted; a bad input fails with one line, no file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
