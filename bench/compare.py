#!/usr/bin/python3
"""Side-by-side throughput: sekit's engine against PyTorch on the same SE-ResNet-50.

For each (batch, threads) configuration, runs `build/sekit bench --json` and then the PyTorch
reference network (tests/reference/senet_ref.py, timm layout, eval mode, no_grad) on random
224x224 inputs for the same number of seconds, and prints both images/s and the ratio
sekit / PyTorch. Both sides run in this one invocation, one after the other, so they see the
same machine state. Needs Debian's python3-torch; run from the repository root after building:

    /usr/bin/python3 bench/compare.py [--seconds 10] [--configs 1x1,1x2,8x1,8x2]
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
    ap.add_argument("--configs", default="1x1,1x2,8x1,8x2", help="BATCHxTHREADS,...")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("bench/compare.py: PyTorch is not installed (apt-get install python3-torch)",
              file=sys.stderr)
        return 1
    print(f"# {time.strftime('%Y-%m-%d')} {platform.node()} {platform.processor() or platform.machine()}"
          f", {os.cpu_count()} cores, torch {torch.__version__}, SE-ResNet-50 {a.size}x{a.size}")
    print(f"{'batch':>5} {'threads':>7} {'sekit img/s':>12} {'torch img/s':>12} {'ratio':>6}")
    for cfg in a.configs.split(","):
        b, t = (int(v) for v in cfg.split("x"))
        s = sekit_ips(a.sekit, b, t, a.seconds, a.size)
        p = torch_ips(b, t, a.seconds, a.size)
        print(f"{b:>5} {t:>7} {s:>12.2f} {p:>12.2f} {s / p:>6.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
