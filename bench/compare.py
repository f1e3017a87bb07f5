#!/usr/bin/python3
"""Side-by-side throughput: sekit's engine on both backends against PyTorch on an SE network.

For each (batch, threads) configuration, runs `build/sekit bench --json` on the OpenBLAS and the
oneDNN backend, then the PyTorch reference network (--arch seresnet50: tests/reference/
senet_ref.py, timm layout; any other --arch: torchvision's own model of that name, e.g.
efficientnet_b0, mobilenet_v3_large, regnet_y_400mf; eval mode, no_grad) on random 224x224
inputs for the same number of seconds, and prints the
images/s of all three and the ratios sekit / PyTorch. All run in this one invocation, one after
the other, so they see the same machine state. Each rate is also given in GMAC/s (the network's
multiply-accumulates per image, from `sekit info --json`) and as a share of a peak measured in the
same run at the same thread count: the GMAC/s of a large float32 GEMM through oneDNN
(dnnl_sgemm, 2048 x 2048 x 2048, the kernel family of sekit's fast path), the best the
machine's BLAS-class kernels reach here. Needs Debian's python3-torch and libdnnl2; run from the
repository root after building:

    /usr/bin/python3 bench/compare.py [--arch seresnet50] [--seconds 10]
                                      [--configs 1x1,1x2,8x1,8x2,32x1,32x2]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))


def torch_ips(arch: str, batch: int, threads: int, seconds: float, size: int) -> float:
    """Images/s of PyTorch eval-mode inference, in a fresh process so thread pools start clean."""
    build = ("from senet_ref import seresnet50 as net" if arch == "seresnet50" else
             f"import torchvision; net = torchvision.models.{arch}")
    code = f"""
import sys, time, torch
sys.path.insert(0, {os.path.join(ROOT, 'tests', 'reference')!r})
{build}
torch.set_num_threads({threads})
torch.manual_seed(0)
m = net().eval()
x = torch.randn({batch}, 3, {size}, {size})
with torch.no_grad():
    m(x)
    n, t0 = 0, time.perf_counter()
    while True:
        m(x)
        n += 1
        el = time.perf_counter() - t0
        if el >= {seconds}:
            break
print(n * {batch} / el)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def peak_gmacs(threads: int, seconds: float) -> float:
    """GMAC/s of a 2048^3 float32 dnnl_sgemm on `threads` OpenMP threads, in a fresh process."""
    code = f"""
import ctypes, time
import numpy as np
d = ctypes.CDLL("libdnnl.so.2")
n = 2048
a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
c = np.zeros((n, n), np.float32)
p = lambda x: x.ctypes.data_as(ctypes.c_void_p)
d.dnnl_sgemm.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64] * 3 + [
    ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
    ctypes.c_float, ctypes.c_void_p, ctypes.c_int64]
run = lambda: d.dnnl_sgemm(b"N", b"N", n, n, n, 1.0, p(a), n, p(b), n, 0.0, p(c), n)
assert run() == 0
k, t0 = 0, time.perf_counter()
while True:
    run()
    k += 1
    el = time.perf_counter() - t0
    if el >= {seconds}:
        break
print(k * n ** 3 / el / 1e9)
"""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=env)
    return float(out.stdout.strip().splitlines()[-1])


def macs_per_image(sekit: str, arch: str, size: int) -> float:
    out = subprocess.run([sekit, "info", "--arch", arch, "--size", str(size), "--json"],
                         check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout)["macs"])


def sekit_ips(sekit: str, arch: str, backend: str, batch: int, threads: int, seconds: float,
              size: int) -> float:
    out = subprocess.run([sekit, "bench", "--arch", arch, "--backend", backend, "--batch",
                          str(batch), "--threads", str(threads), "--seconds", str(seconds),
                          "--size", str(size), "--json"], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)["images_per_second"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sekit", default=os.path.join(ROOT, "build", "sekit"))
    ap.add_argument("--arch", default="seresnet50",
                    help="seresnet50, or a torchvision SE model sekit knows (efficientnet_b0, ...)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--configs", default="1x1,1x2,8x1,8x2,32x1,32x2", help="BATCHxTHREADS,...")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("bench/compare.py: PyTorch is not installed (apt-get install python3-torch)",
              file=sys.stderr)
        return 1
    print(f"# {time.strftime('%Y-%m-%d')} {platform.node()} {platform.processor() or platform.machine()}"
          f", {os.cpu_count()} cores, torch {torch.__version__}, {a.arch} {a.size}x{a.size}")
    macs = macs_per_image(a.sekit, a.arch, a.size)
    print(f"# {macs / 1e9:.3f} GMAC per image; peak = 2048^3 float32 dnnl_sgemm, same threads")
    peaks = {}
    print(f"{'batch':>5} {'threads':>7} {'openblas':>9} {'onednn':>9} {'torch':>9} "
          f"{'openblas/torch':>14} {'onednn/torch':>12} {'onednn GMAC/s':>13} "
          f"{'torch GMAC/s':>12} {'peak GMAC/s':>11} {'onednn/peak':>11} {'torch/peak':>10}")
    for cfg in a.configs.split(","):
        b, t = (int(v) for v in cfg.split("x"))
        if t not in peaks:
            peaks[t] = peak_gmacs(t, a.seconds / 2)
        o = sekit_ips(a.sekit, a.arch, "openblas", b, t, a.seconds, a.size)
        d = sekit_ips(a.sekit, a.arch, "onednn", b, t, a.seconds, a.size)
        p = torch_ips(a.arch, b, t, a.seconds, a.size)
        dg, pg = d * macs / 1e9, p * macs / 1e9
        print(f"{b:>5} {t:>7} {o:>9.2f} {d:>9.2f} {p:>9.2f} {o / p:>14.2f} {d / p:>12.2f} "
              f"{dg:>13.1f} {pg:>12.1f} {peaks[t]:>11.1f} {dg / peaks[t]:>11.2f} "
              f"{pg / peaks[t]:>10.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
