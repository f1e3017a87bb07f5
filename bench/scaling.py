#!/usr/bin/python3
"""The measurements behind docs/scaling.md, rerunnable: where the time of a recording or an
ablation goes on one core, and the file sizes a recording reaches.

  bench     sekit bench: SE-ResNet-50 and SE-ResNet-152d forward passes (img/s, batch 8)
  decode    sekit's image-folder data path alone (JPEG decode, resize 256, crop 224,
            normalise) on generated 500x375 quality-90 JPEGs, through a small C program
            linked against the build's libsekit_ds.a
  record    sekit record on the bundled model (with and without --squeeze): the pass, the
            finishing step (journal -> HDF5) and the compressed bytes per stored value
  ablate    sekit ablate and eval on the bundled model: the ablation pass's cost in full
            forward passes, against the prediction of the MAC model below
  mpi       (only when asked for) record and ablate from the MPI build: 1 rank x 1 thread,
            2 ranks x 1 thread, 1 rank x 2 threads
  model     per-block MACs of seresnet50 / seresnet152d (checked against sekit info's total),
            the variants of the default ablation presets and the forward passes they cost

Every measurement runs --repeat times and the median is printed. Needs a build (build/sekit,
build/datasets/libsekit_ds.a), /usr/bin/python3 with numpy, h5py and Pillow (Debian's
python3-pil), and cc with libjpeg-turbo, libpng, zlib and GLib's development files.

  /usr/bin/python3 bench/scaling.py --repeat 2
  /usr/bin/python3 bench/scaling.py --only decode,record
  /usr/bin/python3 bench/scaling.py --only mpi --mpi-build build-mpi
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DECODE_C = r"""
#include "dataset.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(int argc, char **argv)
{
    if (argc != 4) return 2;
    struct sekit_ds_opts o = {.path = argv[1], .format = SEKIT_DS_FOLDER, .model_classes = 1000};
    struct sekit_preproc pp = {.channels = 3, .resize = atoi(argv[2]), .crop = atoi(argv[3]),
                               .bicubic = 1, .mean = {0.485f, 0.456f, 0.406f},
                               .std = {0.229f, 0.224f, 0.225f}};
    struct sekit_err e = {0};
    struct sekit_ds *ds;
    if (sekit_ds_open(&ds, &o, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    const int64_t n = sekit_ds_count(ds);
    float *x = malloc(sizeof(float) * 3 * (size_t)pp.crop * (size_t)pp.crop);
    const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (int64_t i = 0; i < n; i++)
        if (sekit_ds_load(ds, i, &pp, x, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
    const double w = now(CLOCK_MONOTONIC) - w0, c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("{\"images\": %lld, \"wall_s\": %.4f, \"cpu_s\": %.4f}\n", (long long)n, w, c);
    free(x);
    sekit_ds_close(ds);
    return 0;
}
"""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def med(xs):
    return statistics.median(xs)


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def info(sekit, arch=None):
    cmd = [sekit, "info", "--json"] + (["--arch", arch] if arch else [])
    return json.loads(run(cmd).stdout)


# ---------------------------------------------------------------------------------------------
# the MAC model


def block_macs(d):
    """MACs of the stem, of every SE-ResNet bottleneck block (convolutions, SE FCs) and of the
    head, at the model's input size: the cost model of a forward pass split by block."""
    S, cin = d["input_size"], d["in_chans"]
    desc = d["stem_desc"]
    if desc.startswith("deep"):
        a, b, c = (int(x) for x in re.search(r"(\d+)-(\d+)-(\d+)", desc).groups())
        h = (S + 1) // 2
        stem = h * h * 9 * (cin * a + a * b + b * c)
        width = c
    else:
        k, width = (int(x) for x in re.search(r"(\d+)x\d+ stem (\d+)", desc).groups())
        h = (S + 1) // 2 if k == 7 else S
        stem = h * h * k * k * cin * width
    if "pool" in desc and "no pool" not in desc:
        h = (h + 1) // 2
    macs, cur, prev_stage = [], width, None
    for b in d["blocks"]:
        C, r = b["channels"], b["reduced"]
        w = C // 4
        stride = 2 if prev_stage is not None and b["stage"] != prev_stage and b["block"] == 1 else 1
        h_in = h
        h = (h + stride - 1) // stride
        m = h_in * h_in * cur * w + h * h * 9 * w * w + h * h * w * C + 2 * C * r
        if cur != C or stride != 1:
            m += h * h * cur * C  # the downsampling projection
        macs.append(m)
        cur, prev_stage = C, b["stage"]
    head = cur * d["num_classes"]
    return stem, macs, head


def default_variants(d):
    """The block sets of `sekit ablate`'s default presets (single, stage, last-stage, last-two,
    cumulative, all), duplicates merged as sekit merges them; the full model first."""
    blocks = d["blocks"]
    B = len(blocks)
    sets = [()]
    sets += [(i,) for i in range(B)]
    stages = sorted({b["stage"] for b in blocks})
    sets += [tuple(i for i in range(B) if blocks[i]["stage"] == s) for s in stages]
    sets += [(B - 2, B - 1)]
    sets += [tuple(range(B - k, B)) for k in range(1, B + 1)]
    sets += [tuple(range(B))]
    out = []
    for s in sets:
        if s not in out:
            out.append(s)
    return out


def ablation_cost(d, variants):
    """Forward passes an ablation pass costs per image, counted in MACs: the full pass, then for
    each block the distinct treatments of the blocks up to it among the variants that have
    changed a block by then (variants that agree so far share the block), and a head per
    variant."""
    stem, macs, head = block_macs(d)
    full = stem + sum(macs) + head
    cost = full
    for j in range(len(macs)):
        prefixes = set()
        for v in variants[1:]:
            if v and v[0] <= j:
                prefixes.add(tuple(i for i in v if i <= j))
        cost += len(prefixes) * macs[j]
    cost += (len(variants) - 1) * head
    return cost / full


def model_section(sekit):
    print("## MAC model (sekit info --arch NAME --json; per-block MACs computed here)\n")
    print("| model | SE blocks | sum of SE channels | MACs (sekit info) | MACs (this model) | "
          "variants (default presets, incl. full) | ablation pass in forward passes |")
    print("|---|---|---|---|---|---|---|")
    for arch in (None, "seresnet50", "seresnet152d"):
        d = info(sekit, arch)
        stem, macs, head = block_macs(d)
        v = default_variants(d)
        name = arch or "bundled (" + os.path.basename(d["source"]) + ")"
        print("| %s | %d | %d | %d | %d | %d | %.2f |" % (
            name, len(d["blocks"]), sum(b["channels"] for b in d["blocks"]), d["macs"],
            stem + sum(macs) + head, len(v), ablation_cost(d, v)))
    print()


# ---------------------------------------------------------------------------------------------
# measurements


def bench_section(sekit, args):
    print("## sekit bench (batch 8, %g s, median of %d)\n" % (args.seconds, args.repeat))
    print("| model | threads | img/s runs | median img/s | img/s per thread | load before |")
    print("|---|---|---|---|---|---|")
    for arch in ("seresnet50", "seresnet152d"):
        for t in (1, 2):
            rates, loads = [], []
            for _ in range(args.repeat):
                loads.append(load())
                out = run([sekit, "bench", "--arch", arch, "--batch", "8", "--threads", str(t),
                           "--seconds", str(args.seconds), "--json"]).stdout
                rates.append(json.loads(out)["images_per_second"])
            m = med(rates)
            print("| %s | %d | %s | %.2f | %.2f | %s |" % (
                arch, t, ", ".join("%.2f" % r for r in rates), m, m / t,
                ", ".join("%.1f" % x for x in loads)))
    print()


def make_jpegs(folder, per_class):
    """ImageNet-like JPEGs: 500x375 (ImageNet val's most common size), quality 90, smooth
    content with grain tuned to about 110 KB a file (ImageNet val averages about 128 KB)."""
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(1)
    for syn in ("n01440764", "n01443537"):
        os.makedirs(os.path.join(folder, syn), exist_ok=True)
        for i in range(per_class):
            small = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
            im = Image.fromarray(small).resize((500, 375), Image.BICUBIC)
            a = np.asarray(im).astype(np.int16) + rng.normal(0, 22, (375, 500, 3)).astype(np.int16)
            Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(
                os.path.join(folder, syn, "ILSVRC2012_val_%08d.JPEG" % (i + 1)), quality=90)


def decode_section(build, tmp, args):
    folder = os.path.join(tmp, "jpeg")
    make_jpegs(folder, args.jpegs // 2)
    nbytes = sum(os.path.getsize(os.path.join(dp, f))
                 for dp, _, fs in os.walk(folder) for f in fs)
    src, exe = os.path.join(tmp, "decode.c"), os.path.join(tmp, "decode")
    with open(src, "w") as f:
        f.write(DECODE_C)
    pc = run(["pkg-config", "--cflags", "--libs", "glib-2.0", "libpng", "zlib"]).stdout.split()
    run(["cc", "-O2", "-I", os.path.join(ROOT, "datasets"), "-I", os.path.join(ROOT, "src"),
         src, os.path.join(build, "datasets", "libsekit_ds.a"),
         os.path.join(build, "src", "libsekit_engine.a"), "-o", exe] + pc +
        ["-ljpeg", "-lm", "-lpthread", "-fopenmp"])
    cpu, wall = [], []
    for _ in range(args.repeat):
        r = json.loads(run([exe, folder, "256", "224"]).stdout)
        cpu.append(1e3 * r["cpu_s"] / r["images"])
        wall.append(1e3 * r["wall_s"] / r["images"])
    n = args.jpegs // 2 * 2
    print("## data path: JPEG decode + bicubic resize 256 + crop 224 + normalise, one thread\n")
    print("%d JPEGs, 500x375, quality 90, %.1f KB a file on average (page cache warm)\n" % (
        n, nbytes / n / 1e3))
    print("| ms/image CPU runs | median ms/image CPU | images per CPU second | median ms/image wall |")
    print("|---|---|---|---|")
    print("| %s | %.2f | %.0f | %.2f |\n" % (", ".join("%.2f" % c for c in cpu), med(cpu),
                                            1e3 / med(cpu), med(wall)))


def timed_stderr(cmd):
    """Runs cmd, stamping each stderr line with the time it arrived; returns (total, lines)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = [(time.monotonic() - t0, ln.rstrip("\n")) for ln in p.stderr]
    if p.wait():
        sys.exit("%s failed:\n%s" % (" ".join(cmd), "\n".join(l for _, l in lines)))
    return time.monotonic() - t0, lines


def deflate_cpu(path):
    """CPU seconds of the shuffle and of the deflate of every gate and squeeze chunk of the
    recording at path, one thread, with sekit's filter parameters (recording/chunkz.c: level 1,
    window 15, memory level 8, Huffman only, 256 KiB chunks), through Python's zlib."""
    import h5py
    import numpy as np
    import zlib
    t_sh = t_z = 0.0
    raw = 0
    with h5py.File(path) as f:
        for g in ("excitation", "squeeze"):
            for k in f[g]:
                a = f[g][k][:]
                rows = max(1, (256 * 1024) // (4 * a.shape[1]))
                for r0 in range(0, a.shape[0], rows):
                    c = np.zeros((rows, a.shape[1]), np.float32)
                    part = a[r0:r0 + rows]
                    c[:len(part)] = part
                    t0 = time.process_time()
                    sh = np.ascontiguousarray(c.view(np.uint8).reshape(-1, 4).T).tobytes()
                    t1 = time.process_time()
                    z = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_HUFFMAN_ONLY)
                    z.compress(sh)
                    z.flush()
                    t_z += time.process_time() - t1
                    t_sh += t1 - t0
                    raw += c.nbytes
    return raw, t_sh, t_z


def record_section(sekit, tmp, args):
    import h5py
    print("## sekit record, bundled model, --per-class %d (%d images), median of %d\n"
          % (args.record_per_class, 10 * args.record_per_class, args.repeat))
    print("| threads | --squeeze | wall s | pass s | finishing s (runs) | finishing s | file MB |"
          " gate B/value | squeeze B/value | other datasets MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    zruns = []
    for threads, squeeze in ((t, q) for t in (1, 2) for q in (False, True)):
        walls, passes, fins, rows = [], [], [], None
        for _ in range(args.repeat):
            out = os.path.join(tmp, "run.h5")
            cmd = [sekit, "record", "--out", out, "--force", "--per-class",
                   str(args.record_per_class), "--threads", str(threads)] + (
                       ["--squeeze"] if squeeze else [])
            total, lines = timed_stderr(cmd)
            # the pass ends with its "N/N images in" line; the finishing step (journal -> HDF5,
            # fsync, rename) runs between it and the closing "-> RUN.h5" line
            t_pass = next(t for t, l in lines if re.search(r"(\d+)/\1 images in", l))
            t_done = next(t for t, l in lines if "->" in l)
            walls.append(total), passes.append(t_pass), fins.append(t_done - t_pass)
            with h5py.File(out) as f:
                vals = {g: [0, 0] for g in ("excitation", "squeeze")}
                other = 0

                def visit(name, obj):
                    nonlocal other
                    if isinstance(obj, h5py.Dataset):
                        g = name.split("/")[0]
                        if g in vals:
                            vals[g][0] += obj.id.get_storage_size()
                            vals[g][1] += obj.size
                        else:
                            other += obj.id.get_storage_size()

                f.visititems(visit)
            rows = (os.path.getsize(out) / 1e6, vals, other / 1e6)
            if squeeze and threads == 1 and not zruns:
                zruns = [deflate_cpu(out) for _ in range(max(args.repeat, 3))]
            os.unlink(out)
        size, vals, other = rows
        bpv = lambda g: "%.3f" % (vals[g][0] / vals[g][1]) if vals[g][1] else "-"
        print("| %d | %s | %.2f | %.2f | %s | %.2f | %.2f | %s | %s | %.2f |" % (
            threads, "yes" if squeeze else "no", med(walls), med(passes),
            ", ".join("%.2f" % f for f in fins), med(fins), size,
            bpv("excitation"), bpv("squeeze"), other))
    print()
    raw = zruns[0][0]
    print("The 1-thread --squeeze recording's chunks (%.1f MB of float32), shuffled (numpy) and "
          "deflated (zlib, sekit's parameters) on one thread: shuffle %s s, deflate %s s of CPU; "
          "medians %.3f and %.3f s.\n" % (
              raw / 1e6, ", ".join("%.3f" % r[1] for r in zruns),
              ", ".join("%.3f" % r[2] for r in zruns), med([r[1] for r in zruns]),
              med([r[2] for r in zruns])))


def ablate_section(sekit, tmp, args):
    n = 10 * args.per_class
    print("## sekit ablate against eval, bundled model, %d images, --threads %d, median of %d\n"
          % (n, args.threads, args.repeat))
    ev, ab, nv = [], [], None
    for _ in range(args.repeat):
        t, _ = timed_stderr([sekit, "eval", "--per-class", str(args.per_class), "--threads",
                             str(args.threads), "--quiet"])
        ev.append(t)
        t, lines = timed_stderr([sekit, "ablate", "--out", os.path.join(tmp, "abl"),
                                 "--per-class", str(args.per_class), "--threads",
                                 str(args.threads)])
        ab.append(t)
        nv = int(re.search(r"(\d+) variants", "\n".join(l for _, l in lines)).group(1))
    print("| eval wall s | ablate wall s | variants (incl. full) | ablate / eval |")
    print("|---|---|---|---|")
    print("| %.2f | %.2f | %d | %.2f |\n" % (med(ev), med(ab), nv, med(ab) / med(ev)))


def mpi_section(tmp, args):
    """record and ablate on the default data: 1 rank x 1 thread, 2 ranks x 1 thread (mpirun)
    and 1 rank x 2 threads, from the MPI build; the table of docs/scaling.md's MPI section."""
    sekit = os.path.join(args.mpi_build, "sekit")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    mpirun = ["timeout", "300", "mpirun", "--oversubscribe", "-n"]
    layouts = ((1, 1, mpirun + ["1"]), (2, 1, mpirun + ["2"]), (1, 2, []))
    print("## MPI: %s on the default data (10,000 images), median of %d\n" % (
        sekit, args.repeat))
    print("| command | ranks x threads | wall s (runs) | median wall s | img/s | over 1 x 1 |"
          " finishing s (record) |")
    print("|---|---|---|---|---|---|---|")
    for cmd in ("record", "ablate"):
        base = None
        for ranks, threads, launch in layouts:
            walls, fins = [], []
            for _ in range(args.repeat):
                out = os.path.join(tmp, "mpi-%d-%d" % (ranks, threads))
                argv = launch + [sekit, cmd, "--out", out + (".h5" if cmd == "record" else ""),
                                 "--threads", str(threads)] + (
                                     ["--force"] if cmd == "record" else [])
                t0 = time.monotonic()
                p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env)
                lines = [(time.monotonic() - t0, ln.rstrip("\n")) for ln in p.stderr]
                if p.wait():
                    sys.exit("%s failed:\n%s" % (" ".join(argv), "\n".join(l for _, l in lines)))
                walls.append(time.monotonic() - t0)
                if cmd == "record":
                    t_pass = next(t for t, l in lines if re.search(r"(\d+)/\1 images in", l))
                    fins.append(next(t for t, l in lines if "->" in l) - t_pass)
            m = med(walls)
            base = base or m
            print("| %s | %d x %d | %s | %.2f | %.0f | %.2f | %s |" % (
                cmd, ranks, threads, ", ".join("%.2f" % w for w in walls), m, 10000 / m,
                base / m, "%.2f" % med(fins) if fins else "-"))
    print()


def main():
    ap = argparse.ArgumentParser(description="the measurements behind docs/scaling.md",
                                 epilog="sections: " + ", ".join(
                                     l.split()[0] for l in __doc__.split("\n\n")[1].splitlines()
                                     if l[:2] == "  " and l[2] != " "))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--jpegs", type=int, default=200)
    ap.add_argument("--per-class", type=int, default=300, help="ablate and eval's images per class")
    ap.add_argument("--record-per-class", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="model,bench,decode,record,ablate",
                    help="comma-separated sections; 'mpi' (not in the default) needs --mpi-build")
    ap.add_argument("--mpi-build", default=os.path.join(ROOT, "build-mpi"))
    args = ap.parse_args()
    sekit = os.path.join(args.build, "sekit")
    parts = args.only.split(",")
    print("# sekit scaling measurements, %s, %d cores, load %.1f at start\n" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(), load()))
    with tempfile.TemporaryDirectory(prefix="sekit-scaling-") as tmp:
        if "model" in parts:
            model_section(sekit)
        if "bench" in parts:
            bench_section(sekit, args)
        if "decode" in parts:
            decode_section(args.build, tmp, args)
        if "record" in parts:
            record_section(sekit, tmp, args)
        if "ablate" in parts:
            ablate_section(sekit, tmp, args)
        if "mpi" in parts:
            mpi_section(tmp, args)


if __name__ == "__main__":
    main()
