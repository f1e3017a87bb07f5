/*
 * t-analysis.c -- the statistics and the ablation accounting of analysis/, checked against
 * independent computations:
 *   - per-class statistics on a hand-made case with values worked out on paper, and on a random
 *     synthetic recording against a brute-force (two-pass, sort-based) computation;
 *   - `sekit stats` on a real recording: the statistics file holds the brute-force values of
 *     the recorded gates, every axis of every dataset in it (and in the recording) has a
 *     dimension scale, its rows are named by the recorded classes, and RUN.means.csv holds the
 *     file's class means value for value;
 *   - the statistics computed block range by block range, packed and unpacked (as `sekit stats`
 *     splits the blocks across MPI ranks) equal the whole run's in every field;
 *   - recordings of format 1 (before the label and per-block channel scales) still read;
 *   - SE parameter and FLOP accounting against hand counts for the small fixture model and
 *     against paper Eq. 5 for SE-ResNet-50; the preset variants and their de-duplication.
 */
#include "../ablation/ablation.h"
#include "../analysis/analysis.h"
#include "failenv.h"
#include "formats.h"
#include "h5io.h"
#include "fixture.h"
#include "h5check.h"
#include "tap.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* float32 statistics of float32 data summed in double: agreement to float rounding */
#define STATS_TOL 2e-6

struct brute {
    double mean, std, median, q1, q3;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.quantile (method 'linear') of v[n], by its textbook definition */
static double np_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double h = (n - 1) * q;
    int lo = (int)h;
    return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

/* Column c of g (n, C) over the rows labelled k: two-pass mean and population std. */
static struct brute brute_column(const float *g, const int32_t *lab, int n, int C, int k, int c)
{
    double *v = malloc(sizeof(double) * (size_t)n);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (lab[i] == k) v[m++] = g[(size_t)i * C + c];
    struct brute b = {0};
    for (int i = 0; i < m; i++)
        b.mean += v[i] / m;
    for (int i = 0; i < m; i++)
        b.std += (v[i] - b.mean) * (v[i] - b.mean) / m;
    b.std = sqrt(b.std);
    b.median = np_quantile(v, m, 0.5);
    b.q1 = np_quantile(v, m, 0.25);
    b.q3 = np_quantile(v, m, 0.75);
    free(v);
    return b;
}

/* Block indices straight from their definitions (analysis.h). */
static void brute_indices(const float *g, const int32_t *lab, int n, int C, const int *cls, int K,
                          double out[6])
{
    double *cm = calloc((size_t)K * C, sizeof(double));
    int *cnt = calloc((size_t)K, sizeof(int));
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            cm[k * C + c] = brute_column(g, lab, n, C, cls[k], c).mean;
    int total = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++)
            if (lab[i] == cls[k]) cnt[k]++, total++;
    double spec = 0;
    for (int c = 0; c < C; c++) {
        double grand = 0, tot = 0, between = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < K; k++)
                if (lab[i] == cls[k]) grand += g[(size_t)i * C + c] / total;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < K; k++)
                if (lab[i] == cls[k])
                    tot += (g[(size_t)i * C + c] - grand) * (g[(size_t)i * C + c] - grand);
        for (int k = 0; k < K; k++)
            between += cnt[k] * (cm[k * C + c] - grand) * (cm[k * C + c] - grand);
        spec += between / tot / C;
    }
    double dist = 0, corr = 0;
    int pairs = 0;
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++) {
            double d2 = 0, ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
            for (int c = 0; c < C; c++) {
                d2 += pow(cm[a * C + c] - cm[b * C + c], 2) / C;
                ma += cm[a * C + c] / C;
                mb += cm[b * C + c] / C;
            }
            for (int c = 0; c < C; c++) {
                sab += (cm[a * C + c] - ma) * (cm[b * C + c] - mb);
                saa += pow(cm[a * C + c] - ma, 2);
                sbb += pow(cm[b * C + c] - mb, 2);
            }
            dist += sqrt(d2);
            corr += sab / sqrt(saa * sbb);
            pairs++;
        }
    double hi = 0, lo = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++)
            for (int c = 0; lab[i] == cls[k] && c < C; c++) {
                hi += g[(size_t)i * C + c] > 0.99;
                lo += g[(size_t)i * C + c] < 0.01;
            }
    out[0] = spec;
    out[1] = dist / pairs;
    out[2] = corr / pairs;
    out[3] = hi / ((double)total * C);
    out[4] = lo / ((double)total * C);
    double mm = 0, mv = 0, *vm = calloc((size_t)K, sizeof(double));
    for (int k = 0; k < K; k++) {
        for (int c = 0; c < C; c++)
            vm[k] += cm[k * C + c] / C;
        mm += vm[k] / K;
    }
    for (int k = 0; k < K; k++)
        mv += (vm[k] - mm) * (vm[k] - mm) / K;
    out[5] = sqrt(mv) / mm;
    free(vm), free(cm), free(cnt);
}

/* Compares s (computed by the library) with the brute force on g. */
static void check_stats(const struct sekit_block_stats *s, const float *g, const int32_t *lab,
                        int n, int C, const int *cls, int K, const char *what)
{
    size_t kc = (size_t)K * C;
    float *want[5], *am = calloc((size_t)C, sizeof(float));
    for (int f = 0; f < 5; f++)
        want[f] = malloc(sizeof(float) * kc);
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            struct brute b = brute_column(g, lab, n, C, cls[k], c);
            double v[5] = {b.mean, b.std, b.median, b.q1, b.q3};
            for (int f = 0; f < 5; f++)
                want[f][k * C + c] = (float)v[f];
            am[c] += (float)(b.mean / K);
        }
    const float *got[5] = {s->mean, s->std, s->median, s->q1, s->q3};
    const char *names[5] = {"mean", "std", "median", "q1", "q3"};
    for (int f = 0; f < 5; f++)
        is_close(got[f], want[f], kc, STATS_TOL, "%s: %s of every class and channel", what,
                 names[f]);
    is_close(s->all_mean, am, (size_t)C, STATS_TOL, "%s: all_mean is the mean of class means",
             what);
    double ix[6];
    brute_indices(g, lab, n, C, cls, K, ix);
    float gotx[6] = {(float)s->specificity, (float)s->distance, (float)s->correlation,
                     (float)s->sat_high,    (float)s->sat_low,  (float)s->scale_spread};
    float wantx[6];
    for (int i = 0; i < 6; i++)
        wantx[i] = (float)ix[i];
    is_close(gotx, wantx, 6, 1e-6,
             "%s: specificity, distance, correlation, saturation high/low, scale spread", what);
    for (int f = 0; f < 5; f++)
        free(want[f]);
    free(am);
}

/* Two classes, two channels, values chosen so every statistic is exact on paper. */
static void hand_case(void)
{
    /* class 3: channel 0 = 0.1 0.2 0.3 0.4, channel 1 = 0.5 each; class 7: channel 0 = 0.995
     * twice, channel 1 = 0.005 twice */
    const float g[] = {0.1f, 0.5f, 0.2f, 0.5f, 0.995f, 0.005f,
                       0.3f, 0.5f, 0.4f, 0.5f, 0.995f, 0.005f};
    const int32_t lab[] = {3, 3, 7, 3, 3, 7};
    const int cls[] = {3, 7};
    struct sekit_block_stats s;
    struct sekit_err e = {0};
    if (!ok(sekit_stats_compute(&s, g, lab, 6, 2, cls, 2, &e) == 0, "hand case computes")) return;
    const float mean[] = {0.25f, 0.5f, 0.995f, 0.005f};
    /* std of 0.1..0.4: sqrt(0.0125) */
    const float std[] = {0.111803399f, 0, 0, 0};
    /* numpy: q1 at position 0.75 -> 0.175, median 0.25, q3 at 2.25 -> 0.325 */
    const float q1[] = {0.175f, 0.5f, 0.995f, 0.005f}, q3[] = {0.325f, 0.5f, 0.995f, 0.005f};
    const float med[] = {0.25f, 0.5f, 0.995f, 0.005f};
    is_close(s.mean, mean, 4, 1e-7, "hand case: class means");
    is_close(s.std, std, 4, 1e-7, "hand case: population std");
    is_close(s.q1, q1, 4, 1e-7, "hand case: first quartile (numpy linear)");
    is_close(s.median, med, 4, 1e-7, "hand case: median");
    is_close(s.q3, q3, 4, 1e-7, "hand case: third quartile");
    const float am[] = {(0.25f + 0.995f) / 2, (0.5f + 0.005f) / 2};
    is_close(s.all_mean, am, 2, 1e-7, "hand case: all_mean weighs each class once (4 vs 2 images)");
    is_int(s.count[0] * 10 + s.count[1], 42, "hand case: counts 4 and 2");
    /* 12 values: two > 0.99 and two < 0.01 */
    float sat[2] = {(float)s.sat_high, (float)s.sat_low}, want_sat[2] = {2 / 12.0f, 2 / 12.0f};
    is_close(sat, want_sat, 2, 1e-7, "hand case: saturation 2/12 high and low");
    ok(s.sat_one == 0 && s.sat_zero == 0 && !strcmp(s.gate, "sigmoid"),
       "hand case: no gate exactly 0 or 1 (%g %g), a sigmoid gate by default (%s)", s.sat_one,
       s.sat_zero, s.gate);
    /* a hard sigmoid's saturated values: 0.9999999 is neither 1 nor counted as one */
    const float hs[] = {0, 1, 0.5f, 1, 0.9999999f, 0, 1, 1e-30f};
    const int32_t hl[] = {3, 3, 7, 7};
    struct sekit_block_stats h;
    if (ok(sekit_stats_compute(&h, hs, hl, 4, 2, cls, 2, &e) == 0, "hard-sigmoid case computes")) {
        ok(h.sat_one == 3 / 8.0 && h.sat_zero == 2 / 8.0,
           "hard-sigmoid case: 3/8 exactly 1, 2/8 exactly 0 (got %g, %g)", h.sat_one, h.sat_zero);
        sekit_stats_free(&h);
    }
    /* distance: RMS of (0.745, -0.495) = sqrt((0.555025 + 0.245025) / 2) */
    float d = (float)s.distance, want_d = (float)sqrt((0.555025 + 0.245025) / 2);
    is_close(&d, &want_d, 1, 1e-7, "hand case: distance between the class means");
    /* channel 1 is decided by the class alone (eta^2 = 1); channel 0: between = 4 (0.25 -
     * 0.498333)^2 + 2 (0.995 - 0.498333)^2 = 0.74003, within = 0.05 */
    double grand = (1.0 + 1.99) / 6;
    double between = 4 * pow(0.25 - grand, 2) + 2 * pow(0.995 - grand, 2);
    float sp = (float)s.specificity, want_sp = (float)((between / (between + 0.05) + 1) / 2);
    is_close(&sp, &want_sp, 1, 1e-6, "hand case: specificity");
    sekit_stats_free(&s);
}

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void synthetic(void)
{
    enum { N = 457, C = 13 };
    const int cls[] = {5, 0, 2, 9}; /* recording order, not sorted; class 9 has one image */
    float *g = malloc(sizeof(float) * N * C);
    int32_t lab[N];
    for (int i = 0; i < N; i++) {
        lab[i] = i == N - 1 ? 9 : i % 7 == 0 ? 4 /* not selected */ : cls[i % 3];
        for (int c = 0; c < C; c++) {
            double u = urand();
            /* saturated tails on some channels, a class-dependent level on others */
            g[(size_t)i * C + c] = c % 4 == 0 ? (float)(u < 0.3   ? u * 0.02
                                                        : u > 0.7 ? 0.99 + u * 0.009
                                                                  : u)
                                              : (float)(0.1 * (lab[i] % 5) + 0.5 * u);
        }
    }
    struct sekit_block_stats s;
    struct sekit_err e = {0};
    if (ok(sekit_stats_compute(&s, g, lab, N, C, cls, 4, &e) == 0, "synthetic: computes")) {
        check_stats(&s, g, lab, N, C, cls, 4, "synthetic 457 x 13, 4 classes");
        is_int(s.count[3], 1, "synthetic: a one-image class counts 1");
        sekit_stats_free(&s);
    }
    free(g);
}

/* Reads a whole dataset of type mt; returns malloc'd data or NULL. */
static void *read_all(hid_t f, const char *name, hid_t mt, size_t elem, hsize_t *count)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) {
        diag("cannot open %s", name);
        return NULL;
    }
    hid_t sp = H5Dget_space(d);
    hsize_t n = (hsize_t)H5Sget_simple_extent_npoints(sp);
    void *buf = malloc(elem * (size_t)n + 1);
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) free(buf), buf = NULL;
    H5Sclose(sp);
    H5Dclose(d);
    if (count) *count = n;
    return buf;
}

/* Every axis of every dataset of path that is not itself a scale has one; n: those datasets. */
static int every_axis_scaled(const char *path, int *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    const int unscaled = h5check_unscaled_axes(f, n);
    if (f >= 0) H5Fclose(f);
    return unscaled == 0 && *n > 0;
}

/* The statistics file's names: scales on every axis, classes, blocks and thresholds named. */
static void stats_scales(const char *rec, const char *st)
{
    int n = 0, all = every_axis_scaled(st, &n);
    ok(all, "statistics file: every axis of its %d datasets has a scale", n);
    all = every_axis_scaled(rec, &n);
    ok(all, "recording: every axis of its %d datasets has a scale", n);
    hid_t f = H5Fopen(st, H5F_ACC_RDONLY, H5P_DEFAULT);
    char got[512];
    h5check_strings(f, "stats/label", got, sizeof got);
    is_str(got, "Sneaker|Trouser|Bag", "/stats/label names the rows by their classes");
    h5check_strings(f, "stats/SE_4_2/label", got, sizeof got);
    is_str(got, "Sneaker|Trouser|Bag", "/stats/SE_4_2/label too, for the group opened alone");
    h5check_strings(f, "stats/SE_4_2/threshold", got, sizeof got);
    is_str(got, ">0.9|>0.99|<0.1|<0.01", "the saturation columns are named by their thresholds");
    h5check_strings(f, "stats/summary/block", got, sizeof got);
    is_str(got, "SE_2_1|SE_2_2|SE_3_1|SE_3_2|SE_4_1|SE_4_2", "the summary rows are named by block");
    ok(h5check_attached(f, "stats/classes", "stats/label", 0) &&
           h5check_attached(f, "stats/class_names", "stats/model_class", 0) &&
           h5check_attached(f, "stats/SE_4_2/mean", "stats/SE_4_2/label", 0) &&
           h5check_attached(f, "stats/SE_4_2/mean", "stats/SE_4_2/channel_SE_4_2", 1) &&
           h5check_attached(f, "stats/SE_4_1/q3", "stats/SE_4_1/channel_SE_4_1", 1) &&
           h5check_attached(f, "stats/SE_4_2/all_mean", "stats/SE_4_2/channel_SE_4_2", 0) &&
           h5check_attached(f, "stats/SE_4_2/saturation", "stats/SE_4_2/threshold", 1) &&
           h5check_attached(f, "stats/summary/effect", "stats/summary/block", 0),
       "the scales sit on the axes they name");
    H5Fclose(f);
}

/* RUN.means.csv against the statistics file's mean and all_mean of block name (C channels,
 * rows of classes cls[3] named names[3]): every row present, every value equal. */
static void means_csv(const char *path, const char *name, const float *mean, const float *all,
                      int C, const int *cls, const char *const *names)
{
    FILE *fp = fopen(path, "r");
    char line[512], blk[64], label[128];
    int rows = 0, same = fp != NULL, header = 0;
    if (fp && fgets(line, sizeof line, fp))
        header = !strcmp(line, "block,label,class_index,channel,mean,all_mean,count\n");
    while (fp && fgets(line, sizeof line, fp)) {
        int k, c;
        float m, a;
        long long cnt;
        if (sscanf(line, "%63[^,],\"%127[^\"]\",%d,%d,%g,%g,%lld", blk, label, &k, &c, &m, &a,
                   &cnt) != 7) {
            diag("unparsed row: %s", line);
            same = 0;
            break;
        }
        if (strcmp(blk, name)) continue;
        /* rows come by class in recording order, then by channel */
        const int row = rows / C, ch = rows % C;
        if (row >= 3 || k != cls[row] || c != ch || strcmp(label, names[row]) ||
            m != mean[(size_t)row * C + ch] || a != all[ch]) {
            diag("%s row %d: %s", name, rows, line);
            same = 0;
            break;
        }
        rows++;
    }
    if (fp) fclose(fp);
    ok(header && same && rows == 3 * C,
       "RUN.means.csv holds %s's %d class means and the all curve, value for value", name, rows);
}

static void stats_file(const char *model, const char *data)
{
    char rec[700], st[700], cmd[3000];
    int lines;
    snprintf(rec, sizeof rec, "%s/run.h5", tap_tmpdir());
    snprintf(st, sizeof st, "%s/run.stats.h5", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --classes Sneaker,Trouser,Bag --per-class 30 "
             "--out '%s' --quiet",
             model, data, rec);
    if (!is_int(fixture_run(cmd, &lines), 0, "record 3 classes x 30 images")) {
        diag("%s", fixture_stderr());
        return;
    }
    snprintf(cmd, sizeof cmd, "stats '%s'", rec);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit stats writes RUN.stats.h5 by default")) {
        diag("%s", fixture_stderr());
        return;
    }
    hid_t fr = H5Fopen(rec, H5F_ACC_RDONLY, H5P_DEFAULT),
          fs = H5Fopen(st, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (!ok(fr >= 0 && fs >= 0, "both files open")) return;
    hsize_t n, nc;
    int32_t *lab = read_all(fr, "labels", H5T_NATIVE_INT32, 4, &n);
    int *cls = read_all(fs, "stats/classes", H5T_NATIVE_INT, sizeof(int), &nc);
    const int want_cls[3] = {7, 1, 8};
    ok(cls && nc == 3 && !memcmp(cls, want_cls, sizeof want_cls),
       "/stats/classes lists the recorded classes in recording order (7, 1, 8)");
    const char *blocks[] = {"SE_2_1", "SE_3_2", "SE_4_2"};
    for (int b = 0; lab && cls && nc == 3 && b < 3; b++) {
        char p[96];
        hsize_t gn;
        snprintf(p, sizeof p, "excitation/%s", blocks[b]);
        float *g = read_all(fr, p, H5T_NATIVE_FLOAT, 4, &gn);
        int C = g ? (int)(gn / n) : 0;
        struct sekit_block_stats s = {0};
        float *f[6];
        const char *fn[6] = {"mean", "std", "median", "q1", "q3", "all_mean"};
        for (int i = 0; i < 6; i++) {
            snprintf(p, sizeof p, "stats/%s/%s", blocks[b], fn[i]);
            f[i] = read_all(fs, p, H5T_NATIVE_FLOAT, 4, NULL);
        }
        s.mean = f[0], s.std = f[1], s.median = f[2], s.q1 = f[3], s.q3 = f[4], s.all_mean = f[5];
        double ix[6];
        if (g && f[0] && f[1] && f[2] && f[3] && f[4] && f[5]) {
            brute_indices(g, lab, (int)n, C, cls, 3, ix);
            snprintf(p, sizeof p, "stats file %s (C = %d)", blocks[b], C);
            /* the file's summary table carries the per-block indices */
            double *spec = read_all(fs, "stats/summary/specificity", H5T_NATIVE_DOUBLE, 8, NULL);
            double *sat = read_all(fs, "stats/summary/saturation_high", H5T_NATIVE_DOUBLE, 8, NULL);
            int row = b == 0 ? 0 : b == 1 ? 3 : 5; /* SE_2_1, SE_3_2, SE_4_2 of six blocks */
            s.specificity = spec ? spec[row] : -1;
            s.sat_high = sat ? sat[row] : -1;
            float got2[2] = {(float)s.specificity, (float)s.sat_high},
                  want2[2] = {(float)ix[0], (float)ix[3]};
            is_close(got2, want2, 2, 1e-6, "%s: summary specificity and saturation", p);
            free(spec), free(sat);
            /* the per-class arrays against the brute force */
            size_t kc = (size_t)3 * C;
            float *w = malloc(sizeof(float) * kc * 5);
            for (int k = 0; k < 3; k++)
                for (int c = 0; c < C; c++) {
                    struct brute br = brute_column(g, lab, (int)n, C, cls[k], c);
                    double v[5] = {br.mean, br.std, br.median, br.q1, br.q3};
                    for (int i = 0; i < 5; i++)
                        w[i * kc + (size_t)k * C + c] = (float)v[i];
                }
            for (int i = 0; i < 5; i++)
                is_close(f[i], w + i * kc, kc, STATS_TOL, "%s: %s", p, fn[i]);
            free(w);
            static const char *const names[3] = {"Sneaker", "Trouser", "Bag"};
            snprintf(p, sizeof p, "%s/run.means.csv", tap_tmpdir());
            means_csv(p, blocks[b], f[0], f[5], C, cls, names);
        } else {
            ok(0, "stats file %s: every dataset present", blocks[b]);
        }
        for (int i = 0; i < 6; i++)
            free(f[i]);
        free(g);
    }
    free(lab), free(cls);
    H5Fclose(fr), H5Fclose(fs);
    stats_scales(rec, st);
}

/* The recordings of format 1 among the fuzzing seeds (a class axis of integers, channel scales
 * shared by width) still open, and their statistics are computed. */
static void format1_recordings(void)
{
    static const char *const files[] = {"trouser_2.h5", "two_blocks_squeeze.h5"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/recording/%s", tap_srcdir(), files[i]);
        int64_t fv = 0;
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t a = f < 0 ? -1 : H5Aopen(f, "format_version", H5P_DEFAULT);
        if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &fv), H5Aclose(a);
        if (f >= 0) H5Fclose(f);
        struct sekit_recording *r = NULL;
        struct sekit_err e = {0};
        struct sekit_block_stats *st = NULL;
        int rc = sekit_recording_open(&r, path, &e);
        if (!rc && !(st = calloc((size_t)r->nblocks, sizeof *st)))
            rc = sekit_errf(&e, SEKIT_ENOMEM, "out of memory");
        if (!rc) rc = sekit_stats_recording(r, st, &e);
        ok(fv == 1 && rc == 0 && r->nblocks > 0 && st[0].channels == r->blocks[0].channels,
           "%s (format_version %lld) opens and gives statistics: %s", files[i], (long long)fv,
           rc ? e.msg : "ok");
        for (int b = 0; !rc && b < r->nblocks; b++)
            sekit_stats_free(&st[b]);
        free(st);
        sekit_recording_close(r);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* hostile recordings: a good recording copied, one dataset rewritten */

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[1 << 16];
    size_t n;
    int bad = !a || !b;
    while (!bad && (n = fread(buf, 1, sizeof buf, a)) > 0)
        bad = fwrite(buf, 1, n, b) != n;
    bad |= a && ferror(a);
    if (a) fclose(a);
    if (b) bad |= fclose(b) != 0;
    return bad ? -1 : 0;
}

/* Copies rec to a new file whose dataset name is replaced by rows x cols (cols 0: 1-D) values
 * of file type ft from v (memory type mt); returns the copy's path (static). */
static const char *hostile_copy(const char *rec, const char *name, hid_t ft, hid_t mt, hsize_t rows,
                                hsize_t cols, const void *v)
{
    static char out[700];
    static int k;
    snprintf(out, sizeof out, "%s/hostile%d.h5", tap_tmpdir(), k++);
    if (copy_file(rec, out)) return NULL;
    hid_t f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = f < 0 || H5Ldelete(f, name, H5P_DEFAULT) < 0
                  ? -1
                  : H5Dcreate2(f, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    if (f >= 0) H5Fclose(f);
    return bad ? NULL : out;
}

/* Opens path (and reads block SE_3_1's gates when it opens); the first error must be want. */
static void refused(const char *path, const char *want, const char *what)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    int rc = path ? sekit_recording_open(&r, path, &e) : -1;
    if (!rc) {
        float *g = malloc(sizeof(float) * (size_t)r->n * 1024);
        int b = sekit_recording_find(r, "SE_3_1");
        rc = g && b >= 0 ? sekit_recording_read(r, "excitation", b, g, &e) : -1;
        free(g);
        sekit_recording_close(r);
    }
    char full[900];
    snprintf(full, sizeof full, "%s: %s", path ? path : "?", want);
    ok(rc == SEKIT_EFORMAT, "%s is refused", what);
    is_str(e.msg, full, "%s: the message names the dataset and the problem", what);
}

static void hostile_recordings(const char *rec)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_recording_open(&r, rec, &e) == 0, "the good recording opens")) return;
    const int64_t n = r->n;
    const int b = sekit_recording_find(r, "SE_3_1"), C = b >= 0 ? r->blocks[b].channels : 0;
    is_str(b >= 0 ? r->blocks[b].gate : "", "sigmoid", "the recording names SE_3_1's gate");
    float *g = malloc(sizeof(float) * (size_t)(n * C));
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)n);
    float *flab = malloc(sizeof(float) * (size_t)n);
    int32_t *ig = calloc((size_t)(n * C), sizeof *ig);
    if (!ok(b >= 0 && g && lab && flab && ig &&
                sekit_recording_read(r, "excitation", b, g, &e) == 0,
            "its gates read")) {
        sekit_recording_close(r);
        free(g), free(lab), free(flab), free(ig);
        return;
    }
    memcpy(lab, r->labels, sizeof(int32_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        flab[i] = (float)lab[i];
    sekit_recording_close(r);
    char want[300];
    const char *x = "/excitation/SE_3_1";

    refused(hostile_copy(rec, x, H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)n, (hsize_t)C, ig),
            "/excitation/SE_3_1 is not of floating-point type", "integer gates");
    refused(hostile_copy(rec, "/labels", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n, 0, flab),
            "/labels is not of integer type", "float labels");
    refused(hostile_copy(rec, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n - 1, (hsize_t)C, g),
            "/excitation/SE_3_1 has 89 rows, not 90", "gates of too few rows");
    refused(hostile_copy(rec, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)(n * C), 0, g),
            "/excitation/SE_3_1 has 1 dimensions, not 2", "gates of rank 1");
    lab[17] = 10;
    refused(hostile_copy(rec, "/labels", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)n, 0, lab),
            "/labels row 17: 10 outside [0, 10)", "a label out of range");
    lab[17] = 0, lab[3] = -1;
    refused(hostile_copy(rec, "/predictions", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)n, 0, lab),
            "/predictions row 3: -1 outside [0, 10)", "a negative prediction");
    const float bad[3] = {NAN, INFINITY, 1.5f};
    const char *say[3] = {"NaN gate", "infinite gate",
                          "gate 1.5 outside [0, 1] (not a sigmoid output)"};
    for (int k = 0; k < 3; k++) {
        float keep = g[17 * C + 2];
        g[17 * C + 2] = bad[k];
        snprintf(want, sizeof want, "%s row 17: %s", x, say[k]);
        refused(hostile_copy(rec, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n, (hsize_t)C, g),
                want, say[k]);
        g[17 * C + 2] = keep;
    }
    /* what the commands say: stats on NaN gates fails in one line naming the row */
    g[17 * C + 2] = NAN;
    const char *nan =
        hostile_copy(rec, x, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n, (hsize_t)C, g);
    char cmd[900], out[700];
    int lines;
    snprintf(out, sizeof out, "%s/nan.stats.h5", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "stats '%s' --out '%s'", nan ? nan : "?", out);
    int st = fixture_run(cmd, &lines);
    fixture_clean_failure(st, lines, "SE_3_1 row 17: NaN gate", out);
    free(g), free(lab), free(flab), free(ig);
}

/* ---------------------------------------------------------------------------------------- */
/* crafted files: sizes, counts and strings a file declares (issue 18, section 5) */

/* Copies from to a new file whose attribute name of object obj (in the root's path) is
 * replaced; returns the copy's path (static), NULL on failure. With t an integer type, the
 * attribute declares n values (a dataspace of n points) of which the first nv are written (HDF5
 * itself sizes its copy by n * 8, which wraps to 0 at n = 2^61); with t < 0, it is the
 * variable-length string str. */
static const char *attr_copy(const char *from, const char *obj, const char *name, hid_t t,
                             hsize_t n, const int64_t *v, const char *str)
{
    static char out[700];
    static int k;
    snprintf(out, sizeof out, "%s/crafted%d.h5", tap_tmpdir(), k++);
    if (copy_file(from, out)) return NULL;
    hid_t f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t o = f < 0 ? -1 : H5Oopen(f, obj, H5P_DEFAULT);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    hid_t sp = t >= 0 ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    if (o >= 0 && H5Aexists(o, name) > 0) H5Adelete(o, name);
    hid_t a = o < 0 ? -1 : H5Acreate2(o, name, t >= 0 ? t : st, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || (t >= 0 ? H5Awrite(a, H5T_NATIVE_INT64, v) : H5Awrite(a, st, &str)) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp), H5Tclose(st);
    if (o >= 0) H5Oclose(o);
    if (f >= 0) bad |= H5Fclose(f) < 0;
    return bad ? NULL : out;
}

static uint64_t le_bytes(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* In the file at path, the descriptor of the variable-length string s (its length, global heap
 * collection and object index, as libhdf5 wrote them: the file's heap holds s once) is made to
 * declare the length len instead; 1 when found and rewritten. */
static int declare_length(const char *path, const char *s, uint32_t len)
{
    size_t n, sl = strlen(s), at = 0;
    unsigned char *b = fixture_slurp(path, &n);
    uint64_t addr = 0, idx = 0;
    for (size_t off = 0; b && !addr && off + 16 <= n; off++) {
        if (memcmp(b + off, "GCOL", 4)) continue;
        const uint64_t size = le_bytes(b + off + 8, 8);
        for (uint64_t p = off + 16; size <= n - off && p + 16 <= off + size;) {
            const uint64_t i = le_bytes(b + p, 2), os = le_bytes(b + p + 8, 8);
            if (i == 0 || os > off + size - p - 16) break;
            if (os == sl && !memcmp(b + p + 16, s, sl)) addr = off, idx = i;
            p += 16 + (os + 7) / 8 * 8;
        }
    }
    unsigned char want[16];
    for (int i = 0; i < 4; i++)
        want[i] = (unsigned char)(sl >> 8 * i), want[12 + i] = (unsigned char)(idx >> 8 * i);
    for (int i = 0; i < 8; i++)
        want[4 + i] = (unsigned char)(addr >> 8 * i);
    for (at = 0; addr && at + 16 <= n && memcmp(b + at, want, 16); at++)
        ;
    int good = addr && at + 16 <= n;
    for (int i = 0; good && i < 4; i++)
        b[at + i] = (unsigned char)(len >> 8 * i);
    good = good && fixture_spit(path, b, n);
    free(b);
    return good;
}

/* The recording at path is refused with a message starting "PATH: " and holding want. */
static void refused_saying(const char *path, const char *want, const char *what)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    int rc = path ? sekit_recording_open(&r, path, &e) : -1;
    sekit_recording_close(r);
    ok(rc == SEKIT_EFORMAT && !strncmp(e.msg, path, strlen(path)) && strstr(e.msg, want) &&
           !strchr(e.msg, '\n'),
       "%s: refused in one line naming the file and '%s'", what, want);
    if (rc != SEKIT_EFORMAT || !strstr(e.msg, want)) diag("got %d: %s", rc, e.msg);
}

static void crafted_recordings(const char *rec)
{
    char cmd[2000], out[700];
    int lines;
    /* class_indices declaring 2^61 values: HDF5 stores none (n * 8 wraps), and the reader's own
     * 8 * (n + 1) wrapped to 8 bytes that it then read past; the attribute's message, from
     * which libhdf5 would copy the declared values, is now checked first */
    const int64_t three[3] = {7, 1, 8};
    const char *p =
        attr_copy(rec, "/", "class_indices", H5T_STD_I64LE, (hsize_t)1 << 61, three, NULL);
    refused_saying(p, "/: its object header is corrupt at attribute 16 (",
                   "class_indices declaring 2^61 values");
    /* a class listed twice took the place of another: class 8 (Bag) was silently dropped */
    const int64_t twice[3] = {7, 1, 7};
    refused_saying(attr_copy(rec, "/", "class_indices", H5T_STD_I64LE, 3, twice, NULL),
                   "attribute class_indices lists class 7 twice ([0] and [2])",
                   "a class index listed twice");
    /* stages past INT_MAX - 5 apart: the block sort subtracted them (signed overflow) */
    const int64_t big = 2147483647, wraps = 4294967291;
    char first[700] = "";
    p = attr_copy(rec, "/excitation/SE_3_1", "stage", H5T_STD_I64LE, 1, &wraps, NULL);
    if (p) snprintf(first, sizeof first, "%s", p);
    refused_saying(
        p ? attr_copy(first, "/excitation/SE_2_1", "stage", H5T_STD_I64LE, 1, &big, NULL) : NULL,
        "/excitation/SE_2_1 is stage 2147483647, block 1 (stages 1 to 9, blocks 1 to 64)",
        "block stages 2^31 - 1 and 2^32 - 5");
    /* a string whose descriptor declares 3 GiB: libhdf5 allocated the declared length and
     * copied the heap object's own size into it */
    p = attr_copy(rec, "/", "model_path", -1, 0, NULL, "crafted/model.safetensors");
    ok(p && declare_length(p, "crafted/model.safetensors", 3u << 30),
       "a copy whose model_path declares 3 GiB");
    refused_saying(p, "/ attribute model_path is a string of 3221225472 bytes (at most 16777216)",
                   "a string declaring 3 GiB");
    p = attr_copy(rec, "/", "model_path", -1, 0, NULL, "crafted/model.safetensors");
    ok(p && declare_length(p, "crafted/model.safetensors", 24), "a copy declaring one byte less");
    refused_saying(p, "/ attribute model_path: its length differs from its global heap object's",
                   "a string declaring one byte less than its heap object");
    /* a class name of 8 MiB: the class means' CSV repeats it on every row of its class */
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_recording_open(&r, rec, &e) == 0, "crafted: the recording opens")) return;
    const int K = r->num_classes;
    char **names = calloc((size_t)K, sizeof *names), *longname = malloc((8 << 20) + 1);
    for (int k = 0; names && k < K; k++)
        names[k] = r->class_names[k];
    if (names && longname) {
        memset(longname, 'x', 8 << 20);
        longname[8 << 20] = 0;
        names[1] = longname;
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, H5T_VARIABLE);
        p = hostile_copy(rec, "/class_names", st, st, (hsize_t)K, 0, names);
        H5Tclose(st);
        refused_saying(p, "/class_names[1] is a string of 8388608 bytes (at most 1024)",
                       "a class name of 8 MiB");
        snprintf(out, sizeof out, "%s/longname.stats.h5", tap_tmpdir());
        snprintf(cmd, sizeof cmd, "stats '%s' --out '%s'", p ? p : "?", out);
        const int rc = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(rc, lines, "is a string of 8388608 bytes", out),
           "sekit stats on a class name of 8 MiB: exit 1, one line, no output");
    }
    free(names), free(longname);
    sekit_recording_close(r);
}

/* A statistics file whose class-mean arrays declare 3 x 2^22 values and store none (chunked,
 * never written: HDF5 reads fill values): the reader allocated 250 MB for a file of 100 KB. */
static void crafted_stats(const char *st)
{
    char path[700];
    snprintf(path, sizeof path, "%s/crafted.stats.h5", tap_tmpdir());
    hid_t f = copy_file(st, path) ? -1 : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    const hsize_t C = (hsize_t)1 << 22, dims[2] = {3, C}, chunk[2] = {1, 1 << 16};
    static const char *const arrays[] = {"mean", "std", "median", "q1", "q3", "all_mean"};
    int made = f >= 0;
    for (size_t i = 0; made && i < sizeof arrays / sizeof arrays[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "/stats/SE_2_1/%s", arrays[i]);
        const int rank = i < 5 ? 2 : 1;
        hid_t sp = H5Screate_simple(rank, rank == 2 ? dims : &C, NULL),
              dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, rank, rank == 2 ? chunk : chunk + 1);
        made = H5Ldelete(f, name, H5P_DEFAULT) >= 0;
        hid_t d =
            made ? H5Dcreate2(f, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
        made = d >= 0;
        if (d >= 0) H5Dclose(d);
        H5Pclose(dcpl), H5Sclose(sp);
    }
    if (f >= 0) made &= H5Fclose(f) >= 0;
    if (!ok(made, "a statistics file whose SE_2_1 arrays declare 2^22 channels and store none"))
        return;
    struct sekit_stats_file *s = NULL;
    struct sekit_err e = {0};
    int rc = sekit_stats_read(&s, path, &e);
    char want[900];
    snprintf(want, sizeof want,
             "%s: /stats/SE_2_1/mean declares 3 x 4194304 values but stores 0 bytes (not "
             "compressed)",
             path);
    ok(rc == SEKIT_EFORMAT && !s, "declared class-mean arrays of 2^22 channels are refused");
    is_str(e.msg, want, "the message names the dataset and what it stores");
    sekit_stats_file_free(s);
    /* more blocks than a network has: the count is an int */
    char *names[600], name[600][16];
    for (int b = 0; b < 600; b++)
        snprintf(name[b], sizeof name[b], "SE_%d_%d", 2 + b / 64, 1 + b % 64), names[b] = name[b];
    hid_t vs = H5Tcopy(H5T_C_S1);
    H5Tset_size(vs, H5T_VARIABLE);
    const char *p = hostile_copy(st, "/stats/summary/block", vs, vs, 600, 0, names);
    H5Tclose(vs);
    rc = p ? sekit_stats_read(&s, p, &e) : -1;
    snprintf(want, sizeof want, "%s: /stats/summary/block names 600 blocks (1 to 512)",
             p ? p : "?");
    ok(rc == SEKIT_EFORMAT && !s, "a statistics file of 600 blocks is refused");
    is_str(e.msg, want, "the message names the count and the bound");
    sekit_stats_file_free(s);
}

/* The string readers against files written through libhdf5's API: variable-length strings
 * (NULL and empty ones too) and fixed-length ones, in a file with a 512-byte user block
 * (HDF5's addresses then count from its end). */
static void h5_strings(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/strings.h5", tap_tmpdir());
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_userblock(fcpl, 512);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    hid_t vs = H5Tcopy(H5T_C_S1), fs = H5Tcopy(H5T_C_S1);
    H5Tset_size(vs, H5T_VARIABLE);
    H5Tset_cset(vs, H5T_CSET_UTF8);
    H5Tset_size(fs, 6);
    const char *v[4] = {"Bag", "", NULL, "Ankle boot"}, *a = "T-shirt/top";
    const hsize_t four = 4, two = 2;
    hid_t s4 = H5Screate_simple(1, &four, NULL), s2 = H5Screate_simple(1, &two, NULL),
          s1 = H5Screate(H5S_SCALAR);
    hid_t d1 = H5Dcreate2(f, "vlen", vs, s4, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          d2 = H5Dcreate2(f, "fixed", fs, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          at = H5Acreate2(f, "a", vs, s1, H5P_DEFAULT, H5P_DEFAULT);
    int made = d1 >= 0 && d2 >= 0 && at >= 0 &&
               H5Dwrite(d1, vs, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
               H5Dwrite(d2, fs, H5S_ALL, H5S_ALL, H5P_DEFAULT, "Coat\0\0Sandal") >= 0 &&
               H5Awrite(at, vs, &a) >= 0;
    H5Dclose(d1), H5Dclose(d2), H5Aclose(at), H5Sclose(s4), H5Sclose(s2), H5Sclose(s1);
    H5Tclose(vs), H5Tclose(fs);
    made &= H5Fclose(f) >= 0;
    struct sekit_err e = {0};
    if (!ok(made && sekit_h5_open(path, &f, &e) == 0, "a file of strings with a user block"))
        return;
    char **got = NULL, *attr = NULL;
    int64_t n = -1;
    int rc = sekit_h5_read_strings(f, path, "vlen", &n, 64, &got, &e);
    ok(rc == 0 && n == 4 && !strcmp(got[0], "Bag") && !strcmp(got[1], "") && !strcmp(got[2], "") &&
           !strcmp(got[3], "Ankle boot"),
       "variable-length strings, an empty and a NULL one among them: %s", rc ? e.msg : "read");
    sekit_h5_strings_free(got, n);
    n = 2;
    rc = sekit_h5_read_strings(f, path, "fixed", &n, 64, &got, &e);
    ok(rc == 0 && !strcmp(got[0], "Coat") && !strcmp(got[1], "Sandal"), "fixed-length strings: %s",
       rc ? e.msg : "read");
    sekit_h5_strings_free(got, n);
    rc = sekit_h5_attr_read_str(f, path, "/", "a", 1, 64, &attr, &e);
    ok(rc == 0 && attr && !strcmp(attr, a), "a string attribute: %s", rc ? e.msg : attr);
    free(attr);
    n = 4;
    rc = sekit_h5_read_strings(f, path, "vlen", &n, 5, &got, &e);
    char want[900];
    snprintf(want, sizeof want, "%s: vlen[3] is a string of 10 bytes (at most 5)", path);
    ok(rc == SEKIT_EFORMAT && !got, "a string longer than asked for is refused");
    is_str(e.msg, want, "the message names the string and its length");
    n = 2;
    rc = sekit_h5_read_strings(f, path, "fixed", &n, 5, &got, &e);
    snprintf(want, sizeof want, "%s: fixed holds strings of 6 bytes (at most 5)", path);
    is_str(e.msg, want, "fixed-length strings wider than asked for are refused");
    H5Fclose(f);
}

/* ---------------------------------------------------------------------------------------- */
/* the statistics file read back */

static int same_floats(const float *a, const float *b, size_t n)
{
    return a && b && memcmp(a, b, sizeof(float) * n) == 0;
}

static void stats_round_trip(const char *rec)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_recording_open(&r, rec, &e) == 0, "round trip: the recording opens")) return;
    struct sekit_block_stats *st = calloc((size_t)r->nblocks, sizeof *st);
    char path[700];
    snprintf(path, sizeof path, "%s/rt.stats.h5", tap_tmpdir());
    struct sekit_stats_file *s = NULL;
    if (!ok(st && sekit_stats_recording(r, st, &e) == 0 && sekit_stats_write(path, r, st, &e) == 0,
            "round trip: statistics computed and written") ||
        !ok(sekit_stats_read(&s, path, &e) == 0, "round trip: the statistics file reads back: %s",
            e.msg))
        goto out;
    is_str(s->path, path, "path");
    is_str(s->recording_path, rec, "recording path");
    is_str(s->dataset, r->dataset, "dataset");
    is_str(s->split, r->split, "split");
    is_str(s->model_sha256, r->model_sha256, "model sha256");
    is_int(s->n, r->n, "image count");
    int same = s->num_classes == r->num_classes;
    for (int k = 0; same && k < r->num_classes; k++)
        same = strcmp(s->class_names[k], r->class_names[k]) == 0;
    ok(same, "the model's class names");
    ok(s->nsel == r->nsel && !memcmp(s->sel_classes, r->sel_classes, sizeof(int) * (size_t)r->nsel),
       "the recorded classes, in recording order");
    if (!is_int(s->nblocks, r->nblocks, "every block")) goto out;
    int fields_ok = 1;
    for (int b = 0; b < r->nblocks; b++) {
        const struct sekit_block_stats *x = &s->blocks[b], *y = &st[b];
        size_t kc = (size_t)y->nclasses * (size_t)y->channels;
        int eq =
            !strcmp(x->name, y->name) && !strcmp(x->module, y->module) && x->stage == y->stage &&
            x->block == y->block && x->channels == y->channels && x->nclasses == y->nclasses &&
            !memcmp(x->classes, y->classes, sizeof(int) * (size_t)y->nclasses) &&
            !memcmp(x->count, y->count, sizeof(int64_t) * (size_t)y->nclasses) &&
            same_floats(x->mean, y->mean, kc) && same_floats(x->std, y->std, kc) &&
            same_floats(x->median, y->median, kc) && same_floats(x->q1, y->q1, kc) &&
            same_floats(x->q3, y->q3, kc) &&
            same_floats(x->all_mean, y->all_mean, (size_t)y->channels) &&
            x->specificity == y->specificity && x->distance == y->distance &&
            x->correlation == y->correlation && x->scale_spread == y->scale_spread &&
            x->sat_high == y->sat_high && x->sat_low == y->sat_low && x->sat_one == y->sat_one &&
            x->sat_zero == y->sat_zero && !strcmp(x->gate, y->gate);
        if (!eq) diag("block %s differs", y->name);
        fields_ok &= eq;
    }
    ok(fields_ok, "every field of every block equals sekit_stats_recording's, exactly");

    /* the reader validates */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad.stats.h5", tap_tmpdir());
    int32_t cls[3] = {7, 1, 10};
    const char *p = NULL;
    if (copy_file(path, bad) == 0) {
        hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
        hsize_t three = 3;
        hid_t sp = H5Screate_simple(1, &three, NULL);
        hid_t d = H5Ldelete(f, "/stats/classes", H5P_DEFAULT) < 0
                      ? -1
                      : H5Dcreate2(f, "/stats/classes", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                   H5P_DEFAULT);
        if (d >= 0 && H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, cls) >= 0)
            p = bad;
        if (d >= 0) H5Dclose(d);
        H5Sclose(sp);
        H5Fclose(f);
    }
    struct sekit_stats_file *s2 = NULL;
    ok(p && sekit_stats_read(&s2, p, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "/stats/classes[2] = 10 outside 0..9"),
       "a class index out of range is refused: %s", e.msg);
    /* a gate the figures cannot read saturation of */
    p = NULL;
    if (copy_file(path, bad) == 0) {
        hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t g = f < 0 ? -1 : H5Gopen2(f, "/stats/SE_2_1", H5P_DEFAULT);
        if (g >= 0 && H5Adelete(g, "gate") >= 0 && sekit_h5_attr_str(g, "gate", "tanh") == 0)
            p = bad;
        if (g >= 0) H5Gclose(g);
        if (f >= 0) H5Fclose(f);
    }
    ok(p && sekit_stats_read(&s2, p, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "/stats/SE_2_1 has gate 'tanh' (sigmoid, hardsigmoid)"),
       "a block of an unknown gate is refused: %s", e.msg);
    ok(sekit_stats_read(&s2, rec, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "not a sekit statistics file"),
       "a recording is not a statistics file: %s", e.msg);
out:
    sekit_stats_file_free(s);
    for (int b = 0; st && b < r->nblocks; b++)
        sekit_stats_free(&st[b]);
    free(st);
    sekit_recording_close(r);
}

/* Every field of two blocks' statistics, bit for bit. */
static int same_block(const struct sekit_block_stats *x, const struct sekit_block_stats *y)
{
    const size_t M = (size_t)y->nclasses, kc = M * (size_t)y->channels;
    return !strcmp(x->name, y->name) && !strcmp(x->module, y->module) && x->stage == y->stage &&
           x->block == y->block && x->channels == y->channels && x->nclasses == y->nclasses &&
           !memcmp(x->classes, y->classes, sizeof(int) * M) &&
           !memcmp(x->count, y->count, sizeof(int64_t) * M) && same_floats(x->mean, y->mean, kc) &&
           same_floats(x->std, y->std, kc) && same_floats(x->median, y->median, kc) &&
           same_floats(x->q1, y->q1, kc) && same_floats(x->q3, y->q3, kc) &&
           same_floats(x->all_mean, y->all_mean, (size_t)y->channels) &&
           !memcmp(x->class_sat, y->class_sat, sizeof(double) * M * 4) &&
           x->specificity == y->specificity && x->distance == y->distance &&
           x->correlation == y->correlation && x->scale_spread == y->scale_spread &&
           x->sat_high == y->sat_high && x->sat_low == y->sat_low && x->sat_09 == y->sat_09 &&
           x->sat_01 == y->sat_01 && x->class_dev == y->class_dev &&
           x->channel_spread == y->channel_spread && x->effect == y->effect &&
           x->ncm_accuracy == y->ncm_accuracy && x->ncm_chance == y->ncm_chance &&
           x->ncm_images == y->ncm_images && x->image_spread == y->image_spread &&
           x->gate_min == y->gate_min && x->gate_max == y->gate_max && x->sat_one == y->sat_one &&
           x->sat_zero == y->sat_zero && !strcmp(x->gate, y->gate);
}

/* What `sekit stats` does across MPI ranks, in one process: the blocks computed in separate
 * ranges (sekit_stats_blocks), each range packed, the packs joined in block order and unpacked,
 * give sekit_stats_recording's statistics exactly; bytes that do not hold the blocks are
 * refused. */
static void stats_split(const char *rec)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_recording_open(&r, rec, &e) == 0, "split: the recording opens: %s", e.msg))
        return;
    const int nb = r->nblocks;
    struct sekit_block_stats *whole = calloc((size_t)nb, sizeof *whole),
                             *part = calloc((size_t)nb, sizeof *part),
                             *back = calloc((size_t)nb, sizeof *back);
    unsigned char *joined = NULL;
    size_t total = 0;
    if (!ok(whole && part && back && sekit_stats_recording(r, whole, &e) == 0,
            "split: the statistics of every block: %s", e.msg))
        goto out;
    /* three ranks' ranges, one of them empty, as a split by channels can give */
    const int cut[4] = {0, nb / 3, nb / 3, nb};
    int rc = 0;
    for (int k = 0; k < 3 && !rc; k++) {
        void *buf = NULL;
        size_t bytes = 0;
        rc = sekit_stats_blocks(r, cut[k], cut[k + 1], part + cut[k], &e) ||
             sekit_stats_pack(part + cut[k], cut[k + 1] - cut[k], &buf, &bytes, &e);
        unsigned char *j = rc ? NULL : realloc(joined, total + bytes + 1);
        if (j) {
            memcpy(j + total, buf, bytes);
            joined = j, total += bytes;
        }
        rc = rc || !j;
        free(buf);
    }
    if (!ok(!rc, "split: blocks [0, %d), [%d, %d), [%d, %d) computed and packed: %s", cut[1],
            cut[1], cut[2], cut[2], nb, e.msg))
        goto out;
    int same = 1;
    for (int b = 0; b < nb; b++)
        same &= same_block(&part[b], &whole[b]);
    ok(same, "split: every block's statistics computed in its range equal the whole run's");
    if (!ok(sekit_stats_unpack(joined, total, back, nb, &e) == 0, "split: unpacked: %s", e.msg))
        goto out;
    same = 1;
    for (int b = 0; b < nb; b++) {
        if (!same_block(&back[b], &whole[b])) diag("block %s differs", whole[b].name);
        same &= same_block(&back[b], &whole[b]) && back[b].mean != part[b].mean;
    }
    ok(same,
       "split: the %d unpacked blocks equal sekit_stats_recording's in every field, in "
       "arrays of their own",
       nb);
    for (int b = 0; b < nb; b++)
        sekit_stats_free(&back[b]);
    ok(sekit_stats_unpack(joined, total - 1, back, nb, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "do not hold them"),
       "split: a pack one byte short is refused: %s", e.msg);
    ok(sekit_stats_unpack(joined, total, back, nb - 1, &e) == SEKIT_EFORMAT,
       "split: a pack with a block more than asked is refused: %s", e.msg);
    ok(back[0].mean == NULL && back[nb - 1].mean == NULL,
       "split: nothing is left allocated after a refusal");
out:
    for (int b = 0; b < nb; b++) {
        if (whole) sekit_stats_free(&whole[b]);
        if (part) sekit_stats_free(&part[b]);
        if (back) sekit_stats_free(&back[b]);
    }
    free(whole), free(part), free(back), free(joined);
    sekit_recording_close(r);
}

/* ---------------------------------------------------------------------------------------- */
/* writes that fail */

struct stats_job {
    const struct sekit_recording *r;
    const struct sekit_block_stats *st;
    const char *path;
};

static int stats_job(void *ctx, struct sekit_err *e)
{
    const struct stats_job *j = ctx;
    return sekit_stats_write(j->path, j->r, j->st, e);
}

/* Nothing under path (RUN.stats.h5), the CSVs or a temporary of theirs. */
static int nothing_left(const char *path)
{
    char p[800];
    size_t pl = strlen(path);
    const char *names[3] = {"%s", "%.*s.csv", "%.*s.means.csv"};
    snprintf(p, sizeof p, "%.*s", (int)pl - 9, path); /* RUN.stats.h5: RUN, every file's stem */
    if (fixture_tmp_left(p)) return 0;
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            snprintf(p, sizeof p, names[i], (int)pl - 9, path); /* RUN.stats.h5: RUN.means.csv */
        else if (i == 0)
            snprintf(p, sizeof p, names[i], path);
        else
            snprintf(p, sizeof p, names[i], (int)pl - 3, path);
        if (access(p, F_OK) == 0) {
            diag("%s exists", p);
            return 0;
        }
    }
    return 1;
}

static void stats_failures(const char *rec)
{
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_recording_open(&r, rec, &e) == 0, "failures: the recording opens")) return;
    struct sekit_block_stats *st = calloc((size_t)r->nblocks, sizeof *st);
    if (!ok(st && sekit_stats_recording(r, st, &e) == 0, "failures: statistics computed")) {
        free(st);
        sekit_recording_close(r);
        return;
    }
    char path[800], rodir[700];
    snprintf(path, sizeof path, "%s/limited.stats.h5", tap_tmpdir());
    struct stats_job j = {r, st, path};
    struct failenv_result res;
    /* the limit early in the file, in the middle, and in the last write (the metadata HDF5
     * flushes as it closes the file: where a failed close used to crash at exit) */
    struct stat sb;
    if (!ok(sekit_stats_write(path, r, st, &e) == 0 && stat(path, &sb) == 0,
            "without a limit the statistics file is written")) {
        sb.st_size = 4096;
    }
    unlink(path);
    snprintf(rodir, sizeof rodir, "%.*s.csv", (int)strlen(path) - 3, path);
    unlink(rodir);
    snprintf(rodir, sizeof rodir, "%.*s.means.csv", (int)strlen(path) - 9, path);
    unlink(rodir);
    const long limits[3] = {1024, (long)sb.st_size / 2, (long)sb.st_size - 1};
    for (int i = 0; i < 3; i++) {
        if (failenv_run(FAILENV_FSIZE, limits[i], stats_job, &j, &res)) {
            skip("no child process");
            continue;
        }
        ok(!res.crashed && res.status == SEKIT_EIO,
           "file-size limit %ld: the child fails with SEKIT_EIO, no crash (status %d)", limits[i],
           res.status);
        ok(strstr(res.msg, "File too large") && strstr(res.msg, "limited.stats"),
           "file-size limit %ld: one error naming the file and the reason: %s", limits[i], res.msg);
        ok(nothing_left(path), "file-size limit %ld: no statistics file, CSV or .tmp left",
           limits[i]);
    }
    snprintf(rodir, sizeof rodir, "%s/ro", tap_tmpdir());
    snprintf(path, sizeof path, "%s/x.stats.h5", rodir);
    if (failenv_readonly_dir(tap_tmpdir(), rodir) ||
        failenv_run(FAILENV_READONLY, 0, stats_job, &j, &res)) {
        skip("cannot run as a user who may not write a directory");
    } else {
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "Permission denied") &&
               strstr(res.msg, path),
           "read-only directory: SEKIT_EIO naming the file, Permission denied: %s", res.msg);
        ok(nothing_left(path), "read-only directory: nothing written");
    }
    snprintf(path, sizeof path, "%s/missing/x.stats.h5", tap_tmpdir());
    ok(sekit_stats_write(path, r, st, &e) == SEKIT_EIO && strstr(e.msg, "No such file"),
       "missing directory: SEKIT_EIO, No such file or directory: %s", e.msg);
    for (int b = 0; b < r->nblocks; b++)
        sekit_stats_free(&st[b]);
    free(st);
    sekit_recording_close(r);
}

static void accounting_small(void)
{
    /* fixture: stem 8, stage 2 = 2 basic blocks of 8 channels at 28x28, stage 3 = 2 blocks of
     * 16 channels at 14x14, SE width 4, FC biases */
    struct sekit_model *m = fixture_small_model(8, 10, 3);
    struct sekit_err e = {0};
    if (!ok(m && sekit_model_prepare(m, 2, 28, 28, &e) == 0, "fixture model prepared")) return;
    /* parameters: fc1 C*4 + 4, fc2 4*C + C */
    const int64_t p8 = 8 * 4 + 4 + 4 * 8 + 8, p16 = 16 * 4 + 4 + 4 * 16 + 16;
    /* remove: FCs 2 (C*4 + 4*C), squeeze C*H*W additions, scale C*H*W multiplications */
    const double f8 = 2.0 * (8 * 4 + 4 * 8) + 2.0 * 8 * 28 * 28;
    const double f16 = 2.0 * (16 * 4 + 4 * 16) + 2.0 * 16 * 14 * 14;
    const double m8 = f8 - 8 * 28 * 28, m16 = f16 - 16 * 14 * 14; /* mean mode keeps the scale */
    struct sekit_variant *v;
    int n;
    int rc = sekit_ablation_variants(m, "single,stage,last-stage,cumulative,all", NULL, 0,
                                     SEKIT_MODES_BOTH, &v, &n, &e);
    if (!ok(rc == 0, "variants built")) {
        diag("%s", e.msg);
        sekit_model_free(m);
        return;
    }
    /* full; single x4, stage x2 (last-stage is stage 3 again), cumulative adds the last three
     * (last one = single SE_3_2, last two = stage 3, last four = all): 4 + 2 + 1 + 1 per mode */
    is_int(n, 1 + 2 * 8, "full model + 8 distinct variants per mode");
    for (int i = 0; i < n; i++) {
        int64_t wp = 0;
        double wf = 0;
        for (int j = 0; j < v[i].nblocks; j++) {
            int C = sekit_model_se_info(m, v[i].blocks[j])->channels;
            wp += C == 8 ? p8 : p16;
            wf += v[i].mode == SEKIT_ABLATE_MEAN ? (C == 8 ? m8 : m16) : (C == 8 ? f8 : f16);
        }
        if (!is_int(v[i].se_params, wp, "%s: SE parameters removed", v[i].name) ||
            !ok(v[i].flops == wf, "%s: FLOPs removed %.0f (hand count %.0f)", v[i].name, v[i].flops,
                wf))
            break;
    }
    ok(v[n - 1].mode == SEKIT_ABLATE_MEAN && v[n - 1].nblocks == 4,
       "the last variant drops all four blocks in mean mode ('%s')", v[n - 1].name);
    is_int((int64_t)v[n - 1].flops, (int64_t)(2 * m8 + 2 * m16), "all, mean mode: %.0f FLOPs",
           2 * m8 + 2 * m16);
    sekit_ablation_free(v, n);

    const char *drops[] = {"SE_3_2,SE_2_1,SE_3_2"};
    rc = sekit_ablation_variants(m, NULL, drops, 1, SEKIT_MODES_REMOVE, &v, &n, &e);
    ok(rc == 0 && n == 2 && v[1].nblocks == 2 && v[1].blocks[0] == 0 && v[1].blocks[1] == 3,
       "--drop: a listed set is de-duplicated and sorted into network order");
    if (rc == 0) sekit_ablation_free(v, n);
    const char *bad[] = {"SE_3_2,SE_9_9"};
    rc = sekit_ablation_variants(m, NULL, bad, 1, SEKIT_MODES_REMOVE, &v, &n, &e);
    ok(rc != 0 && strstr(e.msg, "SE_9_9") && strstr(e.msg, "SE_2_1, SE_2_2, SE_3_1, SE_3_2"),
       "--drop of an unknown block lists the model's blocks: %s", e.msg);
    sekit_model_free(m);
}

static void accounting_seresnet50(void)
{
    struct sekit_arch a;
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    if (!ok(sekit_arch_preset(&a, "seresnet50", &e) == 0 &&
                sekit_model_synthetic(&m, &a, 1, &e) == 0 &&
                sekit_model_prepare(m, 1, 224, 224, &e) == 0,
            "SE-ResNet-50 prepared at 224x224")) {
        diag("%s", e.msg);
        sekit_model_free(m);
        return;
    }
    struct sekit_variant *v;
    int n;
    if (!ok(sekit_ablation_variants(m, "all,last-stage", NULL, 0, SEKIT_MODES_REMOVE, &v, &n, &e) ==
                    0 &&
                n == 3,
            "variants all and last-stage")) {
        sekit_model_free(m);
        return;
    }
    /* paper Eq. 5: 2/r sum_s N_s C_s^2 with r = 16, N = (3, 4, 6, 3), C = (256 .. 2048) */
    const int N[4] = {3, 4, 6, 3};
    int64_t eq5 = 0, bias = 0;
    double flops = 0;
    for (int s = 0; s < 4; s++) {
        int64_t C = 256 << s, hw = 56 >> s;
        eq5 += 2 * N[s] * C * C / 16;
        bias += N[s] * (C + C / 16);
        flops += N[s] * (4.0 * C * (C / 16) + 2.0 * C * hw * hw);
    }
    int64_t fc_weights = 0;
    for (int i = 0; i < sekit_model_se_count(m); i++)
        fc_weights +=
            2 * (int64_t)sekit_model_se_info(m, i)->channels * sekit_model_se_info(m, i)->reduced;
    is_int(fc_weights, eq5, "the model's SE FC weights are paper Eq. 5's %lld (~2.5M)",
           (long long)eq5);
    int all = strcmp(v[1].name, "all SE blocks") == 0 ? 1 : 2;
    is_int(v[all].se_params, eq5 + bias,
           "removing every SE block removes Eq. 5's weights + %lld "
           "biases",
           (long long)bias);
    is_int((int64_t)v[all].flops, (int64_t)flops,
           "and %.0f FLOPs per image (FCs and squeeze + scale at 56/28/14/7)", flops);
    /* the paper: 3.86 vs 3.87 GFLOPs (multiply-adds) with and without SE */
    ok(fabs(v[all].flops / 2 / 1e9 - 0.01) < 0.005,
       "SE's cost is about the paper's 0.01 GMACs (%.4f)", v[all].flops / 2 / 1e9);
    int last = 3 - all;
    is_int(v[last].se_params, 3 * (2 * 2048 * 128 + 2048 + 128),
           "the last stage holds 1,579,392 SE parameters");
    float share = (float)((double)v[last].se_params / (double)sekit_model_params(m)),
          want = 1579392.0f / 28088024.0f;
    is_close(&share, &want, 1, 1e-7, "the last stage's share of all parameters (%.2f%%)",
             100 * share);
    sekit_ablation_free(v, n);
    sekit_model_free(m);
}

/* The last-two preset on SE-ResNet-50: SE_5_2 + SE_5_3, apart from last-stage (three blocks),
 * with its parameters and FLOPs; cumulative's last 2 merges into it. On the fixture model, whose
 * last stage has two blocks, it merges into what came first and the name says both. */
static void last_two(void)
{
    struct sekit_arch a;
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    if (!ok(sekit_arch_preset(&a, "seresnet50", &e) == 0 &&
                sekit_model_synthetic(&m, &a, 1, &e) == 0 &&
                sekit_model_prepare(m, 1, 224, 224, &e) == 0,
            "last-two: SE-ResNet-50 prepared at 224x224")) {
        diag("%s", e.msg);
        sekit_model_free(m);
        return;
    }
    struct sekit_variant *v;
    int n;
    if (ok(sekit_ablation_variants(m, "last-stage,last-two,cumulative", NULL, 0, SEKIT_MODES_REMOVE,
                                   &v, &n, &e) == 0,
           "last-two: variants built: %s", e.msg)) {
        /* full, last stage (3 blocks), last two, then cumulative 1 and 3..16 (2 is last two, 3 the
         * last stage) */
        is_int(n, 1 + 1 + 1 + 14, "last-two: full + last-stage + last-two + 14 more cumulative");
        const int nse = sekit_model_se_count(m);
        int row = -1;
        for (int i = 0; i < n; i++)
            if (v[i].nblocks == 2 && v[i].blocks[0] == nse - 2 && v[i].blocks[1] == nse - 1)
                row = i;
        ok(row == 2 && !strcmp(v[row].name, "last two blocks (SE_5_2, SE_5_3)"),
           "last-two drops SE_5_2 and SE_5_3: '%s'", row >= 0 ? v[row].name : "none");
        const int64_t p = 2 * (2 * 2048 * 128 + 2048 + 128);
        const double f = 2 * (4.0 * 2048 * 128 + 2.0 * 2048 * 7 * 7);
        if (row >= 0) {
            is_int(v[row].se_params, p, "last-two removes 2 x 526,464 SE parameters");
            ok(v[row].flops == f, "last-two saves %.0f FLOPs per image (hand count %.0f)",
               v[row].flops, f);
        }
        sekit_ablation_free(v, n);
    }
    sekit_model_free(m);

    /* the fixture model: 2 + 2 blocks, its last stage is its last two blocks */
    m = fixture_small_model(8, 10, 3);
    if (!ok(m && sekit_model_prepare(m, 1, 28, 28, &e) == 0, "last-two: the fixture model")) {
        sekit_model_free(m);
        return;
    }
    const char *orders[2] = {"last-stage,last-two", "cumulative,last-two"};
    const char *want[2] = {"stage 3 (last; paper Sec. 4) = last two blocks",
                           "last 2 blocks (from SE_3_1) = last two blocks"};
    for (int o = 0; o < 2; o++) {
        if (sekit_ablation_variants(m, orders[o], NULL, 0, SEKIT_MODES_MEAN, &v, &n, &e)) {
            ok(0, "%s: %s", orders[o], e.msg);
            continue;
        }
        int found = 0;
        for (int i = 0; i < n; i++)
            if (v[i].nblocks == 2 && v[i].blocks[0] == 2 && v[i].blocks[1] == 3) {
                found++;
                char w[96];
                snprintf(w, sizeof w, "%s [mean]", want[o]);
                ok(!strcmp(v[i].name, w), "--variants %s, mean mode: one variant '%s' (want '%s')",
                   orders[o], v[i].name, w);
            }
        is_int(found, 1, "--variants %s: the last two blocks appear once", orders[o]);
        sekit_ablation_free(v, n);
    }
    sekit_model_free(m);
}

/* Recordings the fuzzers found that once crashed or misled the reader (tests/fuzz/regress/
 * recording): each is refused with one line naming the file and the problem. */
static void fuzz_regressions(void)
{
    static const struct {
        const char *file, *needle;
    } cases[] = {
        /* its SE_4_1 declares 4211081055 channels; its SE_3_2, read first, has a stage
         * attribute of 64 bits at bit offset 5 in 8 bytes, which libhdf5's conversion read past
         * (valgrind: an invalid read in H5T__bit_find; the value differed from build to build) */
        {"block-channels-int-overflow.h5",
         "/excitation/SE_3_2 attribute stage has a corrupt integer type (bits outside its 8 "
         "bytes)"},
        /* their root object headers are corrupt, which is checked before libhdf5 decodes them
         * (the latter's attribute 5 has a name without its end, which libhdf5 strdup'ed) */
        {"n-images-unbounded-malloc.h5", "/: its object header is corrupt at attribute 1 ("},
        {"hdf5-strdup-heap-overflow.h5", "/: its object header is corrupt at attribute 5 ("},
        {"hdf5-vlen-attr-memcpy-overlap.h5",
         "/ attribute model_path: a global heap object runs past its collection"},
        {"hdf5-global-heap-hang.h5", "/class_names is not a dataset"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/tests/fuzz/regress/recording/%s", tap_srcdir(),
                 cases[i].file);
        struct sekit_recording *r = NULL;
        struct sekit_err e = {0};
        int rc = sekit_recording_open(&r, file, &e);
        ok(rc == SEKIT_EFORMAT && !r && strstr(e.msg, file) && strstr(e.msg, cases[i].needle) &&
               !strchr(e.msg, '\n'),
           "fuzz finding %s: refused in one line", cases[i].file);
        if (!strstr(e.msg, cases[i].needle)) diag("got %d: %s", rc, e.msg);
        sekit_recording_close(r);
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    fuzz_regressions();
    h5_strings();
    format1_recordings();
    char model[800];
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    hand_case();
    synthetic();
    stats_file(model, fixture_idx_dataset(400));
    char rec[700], st[700];
    snprintf(rec, sizeof rec, "%s/run.h5", tap_tmpdir());
    hostile_recordings(rec);
    crafted_recordings(rec);
    snprintf(st, sizeof st, "%s/run.stats.h5", tap_tmpdir());
    crafted_stats(st);
    stats_round_trip(rec);
    stats_split(rec);
    stats_failures(rec);
    accounting_small();
    accounting_seresnet50();
    last_two();
    return tap_done();
}
