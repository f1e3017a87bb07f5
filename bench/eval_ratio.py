#!/usr/bin/python3
"""The bundled model's `sekit eval` wall time: another sekit build against this one, side by side.

Runs `sekit eval --quiet` on the bundled default (the Fashion-MNIST SE-ResNet over the 10,000
test images) with an older build OLD (e.g. main before a change, built in its own clone) and
with this build on each backend, alternating the three for --rounds rounds so that all see the
same machine state, and prints each one's median wall time, images/s and the ratios new / old.
The outputs' accuracy lines must agree: a faster engine that changes a prediction is a bug.

    /usr/bin/python3 bench/eval_ratio.py /tmp/sekit-main/build/sekit [--rounds 5] [--threads 2]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="the other build's sekit binary")
    ap.add_argument("--new", default=os.path.join(ROOT, "build", "sekit"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    common = ["eval", "--quiet", "--threads", str(a.threads), "--batch", str(a.batch)]
    runs = {
        "old": [a.old] + common,
        "new openblas": [a.new] + common + ["--backend", "openblas"],
        "new onednn": [a.new] + common + ["--backend", "onednn"],
    }
    times = {k: [] for k in runs}
    outputs = {}
    for _ in range(a.rounds):
        for k, cmd in runs.items():
            t, out = run(cmd)
            times[k].append(t)
            # from the accuracy on: the model's path differs between the two builds' trees
            outputs[k] = out[out.index("top-1"):]
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, bundled model, 10,000 test "
          f"images, batch {a.batch}, {a.threads} threads, median of {a.rounds} alternating runs")
    old = statistics.median(times["old"])
    for k in runs:
        t = statistics.median(times[k])
        print(f"{k:>13}: {t:7.2f} s  {10000 / t:8.0f} img/s  {old / t:5.2f}x old")
    same = len(set(outputs.values())) == 1
    print("accuracy tables identical" if same else "ACCURACY TABLES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
