#!/usr/bin/python3
"""Side-by-side throughput: sekit's engine against PyTorch on the same SE-ResNet-50.

For each (batch, threads) configuration, runs `build/sekit bench --json` and then the PyTorch
reference network (tests/reference/senet_ref.py, timm layout, eval mode, no_grad) on random
224x224 inputs for the same number of seconds, and prints both images/s and the ratio
sekit / PyTorch. Both sides run in this one invocation, one after the other, so they see the
same machine state. Each rate is also given in GMAC/s (the network's multiply-accumulates per
image, from `sekit info --json`) and as a share of a peak measured in the same run at the same
thread count: the GMAC/s of a large float32 GEMM (2048 x 2048 x 2048, torch.mm), the best the
machine's BLAS-class kernels reach here. Needs Debian's python3-torch; run from the repository
root after building:

    /usr/bin/python3 bench/compare.py [--seconds 10] [--configs 1x1,1x2,8x1,8x2,32x1,32x2]
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


def torch_ips(batch: int, threads: int, seconds: float, size: int) -> float:
    """Images/s of PyTorch eval-mode inference, in a fresh process so thread pools start clean."""
    code = f"""
import sys, time, torch
sys.path.insert(0, {os.path.join(ROOT, 'tests', 'reference')!r})
from senet_ref import seresnet50
torch.set_num_threads({threads})
torch.manual_seed(0)
m = seresnet50().eval()
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
    """GMAC/s of a 2048^3 float32 torch.mm at this thread count, in a fresh process."""
    code = f"""
import time, torch
torch.set_num_threads({threads})
a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
torch.mm(a, b)
n, t0 = 0, time.perf_counter()
while True:
    torch.mm(a, b)
    n += 1
    el = time.perf_counter() - t0
    if el >= {seconds}:
        break
print(n * 2048 ** 3 / el / 1e9)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def macs_per_image(sekit: str, size: int) -> float:
    out = subprocess.run([sekit, "info", "--arch", "seresnet50", "--size", str(size), "--json"],
                         check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout)["macs"])


def sekit_ips(sekit: str, batch: int, threads: int, seconds: float, size: int) -> float:
    out = subprocess.run([sekit, "bench", "--arch", "seresnet50", "--batch", str(batch),
                          "--threads", str(threads), "--seconds", str(seconds), "--size",
                          str(size), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["images_per_second"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sekit", default=os.path.join(ROOT, "build", "sekit"))
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
          f", {os.cpu_count()} cores, torch {torch.__version__}, SE-ResNet-50 {a.size}x{a.size}")
    macs = macs_per_image(a.sekit, a.size)
    print(f"# {macs / 1e9:.3f} GMAC per image; peak = 2048^3 float32 torch.mm, same threads")
    peaks = {}
    print(f"{'batch':>5} {'threads':>7} {'sekit img/s':>12} {'torch img/s':>12} {'ratio':>6} "
          f"{'sekit GMAC/s':>13} {'torch GMAC/s':>13} {'peak GMAC/s':>12} {'sekit/peak':>10} "
          f"{'torch/peak':>10}")
    for cfg in a.configs.split(","):
        b, t = (int(v) for v in cfg.split("x"))
        if t not in peaks:
            peaks[t] = peak_gmacs(t, a.seconds / 2)
        s = sekit_ips(a.sekit, b, t, a.seconds, a.size)
        p = torch_ips(b, t, a.seconds, a.size)
        sg, pg = s * macs / 1e9, p * macs / 1e9
        print(f"{b:>5} {t:>7} {s:>12.2f} {p:>12.2f} {s / p:>6.2f} {sg:>13.1f} {pg:>13.1f} "
              f"{peaks[t]:>12.1f} {sg / peaks[t]:>10.2f} {pg / peaks[t]:>10.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
