#!/usr/bin/python3
"""What recording costs: `sekit record` against `sekit eval` on the same images, and peak memory
of `record` at two sizes.

Runs, alternately and --repeat times each, `sekit eval` and `sekit record` (all SE blocks) on the
Fashion-MNIST test split with the bundled model, and reports the median wall time of each and the
overhead of record over eval. Then records N = 1,000 and N = 10,000 images and compares their peak
resident memory (the kernel's ru_maxrss of each child). Run from the repository root after
building:

    /usr/bin/python3 bench/record_overhead.py [--repeat 5] [--squeeze]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_rss(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of one child process."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    el = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed with status {status}")
    return el, ru.ru_maxrss, ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sekit", default=os.path.join(ROOT, "build", "sekit"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--squeeze", action="store_true", help="record squeeze vectors too")
    ap.add_argument("--batch", default="16", help="images per batch (sekit's default)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sekit-bench-")
    out = os.path.join(tmp, "run.h5")
    common = ["--batch", a.batch, "--quiet"]
    ev = [a.sekit, "eval"] + common
    rec = [a.sekit, "record", "--out", out, "--force"] + common + (["--squeeze"] if a.squeeze else [])
    t_eval, t_rec, c_eval, c_rec = [], [], [], []
    for _ in range(a.repeat):
        w, _, c = run_rss(ev)
        t_eval.append(w), c_eval.append(c)
        w, _, c = run_rss(rec)
        t_rec.append(w), c_rec.append(c)
    me, mr = statistics.median(t_eval), statistics.median(t_rec)
    size = os.path.getsize(out)
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, bundled model, Fashion-MNIST "
          f"test split (10,000 images), batch {a.batch}, median of {a.repeat}")
    print(f"eval    {me:7.3f} s   (runs: {', '.join(f'{t:.3f}' for t in t_eval)})")
    print(f"record  {mr:7.3f} s   (runs: {', '.join(f'{t:.3f}' for t in t_rec)}), file {size / 1e6:.1f} MB")
    # each record run follows its eval run, so a pair shares the machine's mood of the moment
    pairs = statistics.median((r - e) / e for e, r in zip(t_eval, t_rec))
    print(f"record overhead over eval: {100 * pairs:+.2f}% (median of back-to-back pairs), "
          f"{100 * (mr - me) / me:+.2f}% (medians), "
          f"{100 * (min(t_rec) - min(t_eval)) / min(t_eval):+.2f}% (fastest runs)")
    cpu = statistics.median((r - e) / e for e, r in zip(c_eval, c_rec))
    print(f"CPU time (user + system), median of pairs: {100 * cpu:+.2f}% "
          f"(eval {statistics.median(c_eval):.2f} s, record {statistics.median(c_rec):.2f} s)")
    rss = {}
    for n in (100, 1000):  # per class: N = 1,000 and 10,000
        _, rss[n], _ = run_rss([a.sekit, "record", "--out", out, "--force", "--per-class", str(n)]
                            + common)
    print(f"peak RSS  N=1,000: {rss[100] / 1024:.1f} MiB   N=10,000: {rss[1000] / 1024:.1f} MiB"
          f"   ratio {rss[1000] / rss[100]:.3f}")
    os.remove(out)
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
