/*
 * t-export.c -- the files sekit writes, opened as a Python user opens them: `sekit record` (an
 * IDX dataset, and an image folder given by a relative path), `sekit stats` and `sekit ablate`
 * on the golden timm_basic_small model (10 classes, SE_4_1 and SE_4_2 both 64 channels wide),
 * then Debian's python3-xarray with python3-h5netcdf:
 *   - every group of the recording, the statistics file and the ablation file opens with
 *     xr.open_dataset(engine="h5netcdf", group=...) as is (no phony_dims);
 *   - the model classes, recorded classes, blocks, variants, saturation thresholds and interval
 *     bounds are string coordinates, and .sel(label="Bag") picks the values h5py reads by index;
 *   - blocks of equal width have channel dimensions of their own;
 *   - an image-folder recording stores absolute paths of the images it read;
 *   - RUN.means.csv holds the statistics file's class means and "all" curve, value for value.
 * Skipped when /usr/bin/python3 lacks h5py, xarray or h5netcdf.
 */
#include "fixture.h"
#include "imgwrite.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NIMG = 400, SIDE = 28 };

static const char *const fashion[10] = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Shared by every check: the files, and the groups of an HDF5 file. */
static const char prelude[] =
    "import sys, os, csv, h5py, numpy as np, xarray as xr\n"
    "T = sys.argv[1]\n"
    "REC, FOLDER = T + '/run.h5', T + '/folder.h5'\n"
    "STATS, MEANS, ABL = T + '/run.stats.h5', T + '/run.means.csv', T + '/abl.h5'\n"
    "def groups(p):\n"
    "    out = ['/']\n"
    "    with h5py.File(p, 'r') as f:\n"
    "        f.visit(lambda n: out.append('/' + n) if isinstance(f[n], h5py.Group) else None)\n"
    "    return out\n"
    "def xopen(p, g='/'):\n"
    "    return xr.open_dataset(p, engine='h5netcdf', group=g)\n"
    "def strings(c):\n"
    "    return c.dtype.kind == 'O' and all(isinstance(v, str) for v in c.values)\n";

/* Runs prelude + body in /usr/bin/python3 with the temporary directory as argument; its output
 * goes to the diagnostics when it fails. */
static int python(const char *body)
{
    char script[700], log[700], cmd[2200];
    snprintf(script, sizeof script, "%s/check.py", tap_tmpdir());
    snprintf(log, sizeof log, "%s/check.log", tap_tmpdir());
    FILE *fp = fopen(script, "w");
    if (!fp) return 0;
    fputs(prelude, fp);
    fputs(body, fp);
    if (fclose(fp) != 0) return 0;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' >'%s' 2>&1", script, tap_tmpdir(), log);
    const int passed = system(cmd) == 0;
    size_t n = 0;
    unsigned char *out = fixture_slurp(log, &n);
    if (!passed) diag("python says: %s", out ? (const char *)out : "(nothing)");
    free(out);
    return passed;
}

/* 10 class folders named like Fashion-MNIST's classes, 2 grey PNGs each, under DIR/imgs. */
static int image_folder(void)
{
    char p[900];
    unsigned char pix[SIDE * SIDE];
    snprintf(p, sizeof p, "%s/imgs", tap_tmpdir());
    if (mkdir(p, 0755)) return 0;
    for (int k = 0; k < 10; k++) {
        snprintf(p, sizeof p, "%s/imgs/%d_%s", tap_tmpdir(), k, fashion[k]);
        if (mkdir(p, 0755)) return 0;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < SIDE * SIDE; j++)
                pix[j] = (unsigned char)((j * (k + 3) + i * 17) % 251);
            snprintf(p, sizeof p, "%s/imgs/%d_%s/%d.png", tap_tmpdir(), k, fashion[k], i);
            if (imgwrite_png(p, SIDE, SIDE, 1, pix)) return 0;
        }
    }
    return 1;
}

/* The runs the checks read; 0 when one failed. */
static int make_files(const char *model, const char *data)
{
    char cmd[3000];
    int lines;
    const char *t = tap_tmpdir();
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --classes Sneaker,Trouser,Bag --per-class 20 "
             "--squeeze --out '%s/run.h5' --quiet",
             model, data, t);
    if (!is_int(fixture_run(cmd, &lines), 0, "record 3 classes x 20 images with --squeeze"))
        return diag("%s", fixture_stderr()), 0;
    snprintf(cmd, sizeof cmd, "stats '%s/run.h5'", t);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit stats writes run.stats.h5 and run.means.csv"))
        return diag("%s", fixture_stderr()), 0;
    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --classes Sneaker,Trouser,Bag --per-class 20 "
             "--variants last-two,stage --mode both --out '%s/abl' --quiet",
             model, data, t);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit ablate, both modes"))
        return diag("%s", fixture_stderr()), 0;
    /* the folder given relative to the working directory, as a user types it */
    char err[4096];
    const char *argv[] = {tap_sekit(), "record",    "--model", model,    "--data",
                          "./imgs//",  "--preset",  "none",    "--crop", "28",
                          "--out",     "folder.h5", "--quiet", NULL};
    if (!ok(image_folder(), "an image folder of 10 classes x 2 PNGs") ||
        !is_int(tap_run(argv, t, 0, err, sizeof err, NULL), 0,
                "record the image folder, given as ./imgs// from its parent"))
        return diag("%s", err), 0;
    return 1;
}

int main(void)
{
    if (access("/usr/bin/python3", X_OK) != 0) skip_all("no /usr/bin/python3");
    if (system("/usr/bin/python3 -c 'import h5py, xarray, h5netcdf' >/dev/null 2>&1") != 0)
        skip_all("python3-h5py, python3-xarray or python3-h5netcdf not installed");
    char model[800];
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    if (!make_files(model, fixture_idx_dataset(NIMG))) return tap_done();

    ok(python("n = 0\n"
              "for p in (REC, FOLDER, STATS, ABL):\n"
              "    for g in groups(p):\n"
              "        ds = xopen(p, g).load()\n"
              "        n += 1\n"
              "        # the derived files' groups hold the coordinate of every dimension\n"
              "        if p in (STATS, ABL) and ds.data_vars:\n"
              "            assert set(ds.dims) <= set(ds.coords), (p, g, ds.dims, ds.coords)\n"
              "assert n == 3 + 2 + 9 + 2, n\n"
              "root = xopen(REC)\n"
              "assert set(root.dims) <= set(root.coords), root.dims\n"),
       "every group of the recordings, the statistics file and the ablation file opens in "
       "xarray without phony_dims");

    ok(python("names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',\n"
              "         'Shirt', 'Sneaker', 'Bag', 'Ankle boot']\n"
              "rec = xopen(REC)\n"
              "assert strings(rec.label) and list(rec.label.values) == names, rec.label.values\n"
              "want = ['Sneaker', 'Trouser', 'Bag']\n"
              "st = xopen(STATS, 'stats')\n"
              "assert strings(st.label) and list(st.label.values) == want, st.label.values\n"
              "assert list(st.classes.values) == [7, 1, 8], st.classes.values\n"
              "blk = xopen(STATS, 'stats/SE_4_2')\n"
              "assert strings(blk.label) and list(blk.label.values) == want\n"
              "assert strings(blk.threshold) and list(blk.threshold.values) == "
              "['>0.9', '>0.99', '<0.1', '<0.01']\n"
              "summ = xopen(STATS, 'stats/summary')\n"
              "assert strings(summ.block) and list(summ.block.values) == "
              "['SE_2_1', 'SE_2_2', 'SE_3_1', 'SE_3_2', 'SE_4_1', 'SE_4_2']\n"
              "ab = xopen(ABL, 'ablation')\n"
              "for c in ('variant', 'block', 'label', 'bound'):\n"
              "    assert strings(ab[c]), c\n"
              "assert list(ab.label.values) == want and list(ab.bound.values) == ['lo', 'hi']\n"
              "assert list(ab.block.values) == list(summ.block.values)\n"
              "assert ab.variant.values[0] == 'full model', ab.variant.values\n"),
       "classes, recorded classes, blocks, variants, thresholds and bounds are string "
       "coordinates");

    ok(python("with h5py.File(REC, 'r') as f:\n"
              "    logits = f['logits'][:]\n"
              "assert (xopen(REC).logits.sel(label='Bag').values == logits[:, 8]).all()\n"
              "with h5py.File(STATS, 'r') as f:\n"
              "    mean = f['stats/SE_4_2/mean'][:]\n"
              "    sat = f['stats/SE_4_2/saturation'][:]\n"
              "    eff = f['stats/summary/effect'][:]\n"
              "blk = xopen(STATS, 'stats/SE_4_2')\n"
              "assert (blk['mean'].sel(label='Bag').values == mean[2]).all()\n"
              "assert (blk.saturation.sel(label='Bag', threshold='>0.9').values == sat[2, 0])\n"
              "assert xopen(STATS, 'stats/summary').effect.sel(block='SE_4_2') == eff[5]\n"
              "assert xopen(STATS, 'stats').classes.sel(label='Bag') == 8\n"
              "with h5py.File(ABL, 'r') as f:\n"
              "    pc = f['ablation/top1_per_class'][:]\n"
              "    ci = f['ablation/delta_top1_ci'][:]\n"
              "ab = xopen(ABL, 'ablation')\n"
              "assert (ab.top1_per_class.sel(label='Bag').values == pc[:, 2]).all()\n"
              "assert (ab.delta_top1_ci.sel(bound='lo').values == ci[:, 0]).all()\n"
              "assert ab.top1.sel(variant='full model') == ab.top1.values[0]\n"
              "assert (ab.dropped.sel(block='SE_4_2').values == "
              "ab.dropped.values[:, 5]).all()\n"),
       ".sel(label=\"Bag\") and the other labels select what h5py reads by index");

    ok(python("ex = xopen(REC, 'excitation')\n"
              "sq = xopen(REC, 'squeeze')\n"
              "a, b = ex.SE_4_1, ex.SE_4_2\n"
              "assert a.shape == b.shape == (60, 64), (a.shape, b.shape)\n"
              "assert a.dims == ('sample', 'channel_SE_4_1') and b.dims == ('sample', "
              "'channel_SE_4_2'), (a.dims, b.dims)\n"
              "assert sq.SE_4_2.dims == b.dims, sq.SE_4_2.dims\n"
              "s1, s2 = xopen(STATS, 'stats/SE_4_1'), xopen(STATS, 'stats/SE_4_2')\n"
              "assert s1['mean'].dims == ('label', 'channel_SE_4_1'), s1['mean'].dims\n"
              "assert s2['mean'].dims == ('label', 'channel_SE_4_2'), s2['mean'].dims\n"),
       "SE_4_1 and SE_4_2, both 64 wide, have channel dimensions of their own");

    ok(python("with h5py.File(FOLDER, 'r') as f:\n"
              "    paths = list(f['paths'].asstr()[:])\n"
              "assert len(paths) == 20, len(paths)\n"
              "top = os.path.realpath(T) + '/imgs/'\n"
              "for p in paths:\n"
              "    assert os.path.isabs(p) and p.startswith(top), p\n"
              "    assert '//' not in p and '/./' not in p, p\n"
              "    assert os.path.isfile(p), p\n"
              "assert paths[0] == top + '0_T-shirt/0.png', paths[0]\n"),
       "the image-folder recording stores the absolute paths of the images it read");

    ok(python("rows = list(csv.DictReader(open(MEANS, newline='')))\n"
              "n = 0\n"
              "for g in groups(STATS):\n"
              "    if not g.startswith('/stats/SE_'):\n"
              "        continue\n"
              "    blk = xopen(STATS, g)\n"
              "    mine = [r for r in rows if r['block'] == g.split('/')[-1]]\n"
              "    assert len(mine) == blk['mean'].size, (g, len(mine))\n"
              "    for r in mine:\n"
              "        m = blk['mean'].sel(label=r['label'])[int(r['channel'])]\n"
              "        assert np.float32(r['mean']) == m, (g, r, float(m))\n"
              "        a = blk.all_mean[int(r['channel'])]\n"
              "        assert np.float32(r['all_mean']) == a, (g, r)\n"
              "        assert int(r['count']) == blk['count'].sel(label=r['label'])\n"
              "        n += 1\n"
              "assert n == len(rows) == 3 * (16 + 16 + 32 + 32 + 64 + 64), (n, len(rows))\n"),
       "run.means.csv holds every class mean and all_mean of the statistics file, value for "
       "value");
    return tap_done();
}
