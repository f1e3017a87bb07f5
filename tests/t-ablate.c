/*
 * t-ablate.c -- `sekit ablate` against the engine API, on an IDX dataset this test writes and
 * the golden timm_basic_small model:
 *   - remove mode: every variant's per-class top-1 equals full forward passes with the dropped
 *     blocks' gates fixed at 1 (SEKIT_SE_FIXED with a vector of ones), and SEKIT_SE_REMOVED
 *     gives exactly those logits;
 *   - mean mode with --means RUN.h5: equals forward passes with each dropped gate fixed at the
 *     block's mean over the recording's images; without --means, at its mean over the evaluated
 *     images;
 *   - the output files (CSV, Markdown, HDF5, chart) are all written, and bad arguments are
 *     refused in one line with nothing written;
 *   - the closing line gives the pass's throughput in image-variants per second, and --quiet
 *     prints nothing;
 *   - the paired bootstrap intervals of the deltas: exactly a brute-force bootstrap written
 *     here (30 images; and the intervals in a sekit ablate file against the engine's per-image
 *     hits), within Monte-Carlo tolerance of the exact bootstrap quantiles by enumerating all
 *     6^6 resamples, [0, 0] for a variant that changes no prediction, read back alike from
 *     PREFIX.h5, .csv and .md (its cost on 10,000 images x 20 variants: bench/bootstrap.c);
 *   - PREFIX.h5 describes itself: a dimension scale on every axis, the classes and interval
 *     bounds named;
 *   - last-two and the last k blocks found by what they drop;
 *   - the mean gates summed in integers: the same in any order and split into parts added
 *     afterwards (as MPI ranks add theirs), and equal to float64 sums on these images;
 *     sekit_dist_range_batches splits rows in whole batches.
 */
#include "../ablation/ablation.h"
#include "../ablation/ablation_pass.h"
#include "../datasets/dataset.h"
#include "../dist/dist.h"
#include "failenv.h"
#include "fixture.h"
#include "h5check.h"
#include "tap.h"

#include <hdf5.h>
#include <jansson.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NIMG = 400, BATCH = 40, K = 10 };
/* sekit's McNemar p against the long-double binomial recurrence, relative: beyond 1000
 * disagreements its leading term's size comes from lgamma, rounded at about 1e-16 of values
 * near 1e5 for 1e4 images (measured: 6e-12 at 4990 against 5010) */
#define MCNEMAR_REL_TOL 1e-10

static char model[800], data[600];
static int backend;

struct table {
    int n, nse;
    int8_t *dropped; /* [n, nse] */
    double *top1;    /* [n, K] per class, percent */
};

static void table_free(struct table *t)
{
    free(t->dropped), free(t->top1);
    memset(t, 0, sizeof *t);
}

static int read_table(const char *path, struct table *t)
{
    memset(t, 0, sizeof *t);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t d = H5Dopen2(f, "ablation/dropped", H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = {0, 0};
    int good = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
               H5Sget_simple_extent_dims(sp, dims, NULL) == 2;
    t->n = (int)dims[0], t->nse = (int)dims[1];
    t->dropped = malloc(dims[0] * dims[1] + 1);
    t->top1 = malloc(sizeof(double) * (dims[0] * K + 1));
    good = good && t->dropped && t->top1 &&
           H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->dropped) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    d = H5Dopen2(f, "ablation/top1_per_class", H5P_DEFAULT);
    good = good && d >= 0 &&
           H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->top1) >= 0;
    if (d >= 0) H5Dclose(d);
    H5Fclose(f);
    if (!good) table_free(t);
    return good;
}

/* The engine side: the dataset in the order `sekit ablate` evaluates it (every class, class
 * order, first images), in batches of BATCH. */
struct engine {
    struct sekit_model *m;
    struct sekit_ds *ds;
    struct sekit_preproc pp;
    int64_t *idx, n;
    float *x, *logits;
    int32_t *labels;
};

static int engine_open(struct engine *g)
{
    memset(g, 0, sizeof *g);
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {.path = data};
    int classes[K];
    for (int k = 0; k < K; k++)
        classes[k] = k;
    g->pp.channels = 1;
    g->pp.std[0] = 1;
    int rc = sekit_model_load(&g->m, model, &e);
    /* the backend sekit ablate runs on too (main sets SEKIT_BACKEND) */
    if (!rc) rc = sekit_model_set_backend(g->m, (enum sekit_backend)backend, &e);
    if (!rc) rc = sekit_model_prepare(g->m, BATCH, 28, 28, &e);
    if (!rc) rc = sekit_ds_open(&g->ds, &o, &e);
    if (!rc) rc = sekit_ds_select(g->ds, classes, K, 0, 0, &g->idx, &g->n, &e);
    g->x = malloc(sizeof(float) * BATCH * 784);
    g->logits = malloc(sizeof(float) * BATCH * K);
    g->labels = malloc(sizeof(int32_t) * NIMG);
    if (rc || !g->x || !g->logits || !g->labels) {
        diag("engine set-up: %s", e.msg);
        return 0;
    }
    return 1;
}

static void engine_close(struct engine *g)
{
    sekit_model_free(g->m);
    sekit_ds_close(g->ds);
    free(g->idx), free(g->x), free(g->logits), free(g->labels);
}

/* Loads batch b (BATCH images) into g->x and g->labels. */
static int load_batch(struct engine *g, int b)
{
    struct sekit_err e = {0};
    for (int i = 0; i < BATCH; i++) {
        int64_t j = g->idx[b * BATCH + i];
        if (sekit_ds_load(g->ds, j, &g->pp, g->x + (size_t)i * 784, &e)) {
            diag("%s", e.msg);
            return 0;
        }
        g->labels[i] = sekit_ds_label(g->ds, j);
    }
    return 1;
}

static int argmax(const float *v)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (v[k] > v[best]) best = k;
    return best;
}

/* Per-class top-1 (percent) of the network with the blocks of `drop` set to gates[block] (a
 * fixed vector) or removed (gates NULL). */
static void engine_top1(struct engine *g, const int8_t *drop, int nse, float *const *gates,
                        double *top1)
{
    int64_t hit[K] = {0}, cnt[K] = {0};
    for (int i = 0; i < nse; i++)
        if (drop[i])
            sekit_model_se_set(g->m, i, gates ? SEKIT_SE_FIXED : SEKIT_SE_REMOVED,
                               gates ? gates[i] : NULL);
    for (int b = 0; b * BATCH < g->n; b++) {
        if (!load_batch(g, b)) break;
        sekit_model_forward(g->m, g->x, BATCH, g->logits);
        for (int i = 0; i < BATCH; i++) {
            cnt[g->labels[i]]++;
            hit[g->labels[i]] += argmax(g->logits + (size_t)i * K) == g->labels[i];
        }
    }
    for (int i = 0; i < nse; i++)
        sekit_model_se_set(g->m, i, SEKIT_SE_NORMAL, NULL);
    for (int k = 0; k < K; k++)
        top1[k] = cnt[k] ? 100.0 * (double)hit[k] / (double)cnt[k] : 0;
}

static int same_row(const double *got, const double *want, const char *what)
{
    for (int k = 0; k < K; k++)
        if (got[k] != want[k]) {
            diag("%s: class %d top-1 %.4f%% from sekit ablate, %.4f%% from the engine", what, k,
                 got[k], want[k]);
            return 0;
        }
    return 1;
}

static const char *dropped_names(struct engine *g, const int8_t *d, int nse, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < nse; i++)
        if (d[i])
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "",
                     sekit_model_se_info(g->m, i)->name);
    return buf[0] ? buf : "none";
}

/* Every variant of a table against the engine with the given gates (NULL: fixed at 1). */
static void compare_variants(struct engine *g, const struct table *t, float *const *means,
                             const char *mode)
{
    int nse = sekit_model_se_count(g->m), bad = 0;
    float **ones = calloc((size_t)nse, sizeof *ones);
    for (int i = 0; i < nse; i++) {
        int C = sekit_model_se_info(g->m, i)->channels;
        ones[i] = malloc(sizeof(float) * (size_t)C);
        for (int c = 0; c < C; c++)
            ones[i][c] = 1.0f;
    }
    for (int v = 0; v < t->n; v++) {
        double want[K];
        char names[256];
        engine_top1(g, t->dropped + (size_t)v * nse, nse, means ? means : ones, want);
        bad += !same_row(t->top1 + (size_t)v * K, want,
                         dropped_names(g, t->dropped + (size_t)v * nse, nse, names, sizeof names));
    }
    ok(!bad, "%s: all %d variants' per-class top-1 equal the engine's with fixed gates", mode,
       t->n);
    for (int i = 0; i < nse; i++)
        free(ones[i]);
    free(ones);
}

struct wjob {
    struct sekit_variant *v;
    int n;
    struct engine *g;
    char **cn;
    const int *classes;
    const int64_t *index;
    const char *prefix;
};

static int ablate_job(void *ctx, struct sekit_err *e)
{
    struct wjob *j = ctx;
    return sekit_ablation_write(j->prefix, j->v, j->n, j->g->m, j->cn, j->classes, 3, j->index,
                                "failing", e);
}

/* No PREFIX.csv, .md, .h5 nor a temporary of theirs. */
static int nothing_left(const char *prefix)
{
    const char *ext[3] = {".csv", ".md", ".h5"};
    char p[800];
    if (fixture_tmp_left(prefix)) return 0;
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", prefix, ext[i]);
        if (access(p, F_OK) == 0) {
            diag("%s exists", p);
            return 0;
        }
    }
    return 1;
}

/* sekit_ablation_read on a file sekit ablate wrote: the same table as the raw datasets, and
 * variants found by what they drop. */
static void reader_agrees(const char *path, const struct table *raw)
{
    struct sekit_ablation_table *t = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_ablation_read(&t, path, &e) == 0, "sekit_ablation_read reads it: %s", e.msg))
        return;
    int same = t->n == raw->n && t->nse == raw->nse && t->nclasses == K;
    for (int i = 0; same && i < t->n * t->nse; i++)
        same = t->dropped[i] == (unsigned char)raw->dropped[i];
    for (int i = 0; same && i < t->n * K; i++)
        same = t->top1_per_class[i] == raw->top1[i];
    ok(same, "the reader's dropped rows and per-class top-1 are the file's");
    const char *names[6] = {"SE_2_1", "SE_2_2", "SE_3_1", "SE_3_2", "SE_4_1", "SE_4_2"};
    int blocks_ok = t->nse == 6;
    for (int j = 0; blocks_ok && j < 6; j++)
        blocks_ok = !strcmp(t->block_names[j], names[j]) && t->block_stage[j] == 2 + j / 2;
    ok(blocks_ok, "block names and stages in network order");
    /* the last stage has two blocks here: last-stage and last-two are one variant */
    int last = sekit_ablation_find_stage(t, 4, SEKIT_ABLATE_REMOVE);
    ok(last > 0 && !strcmp(t->names[last], "stage 4 (last; paper Sec. 4) = last two blocks"),
       "the variant removing exactly the last stage's blocks is found by its dropped row ('%s')",
       last > 0 ? t->names[last] : "none");
    int two = sekit_ablation_find_last(t, 2, SEKIT_ABLATE_REMOVE);
    is_int(two, last, "last-two is found by what it drops (SE_4_1, SE_4_2): the same row");
    int three = sekit_ablation_find_last(t, 3, SEKIT_ABLATE_REMOVE);
    ok(three > 0 && !strcmp(t->names[three], "last 3 blocks (from SE_3_2)"),
       "the last 3 blocks are found by what they drop ('%s')",
       three > 0 ? t->names[three] : "none");
    ok(sekit_ablation_find_last(t, 0, SEKIT_ABLATE_REMOVE) == -1 &&
           sekit_ablation_find_last(t, 7, SEKIT_ABLATE_REMOVE) == -1 &&
           sekit_ablation_find_last(t, 2, SEKIT_ABLATE_MEAN) == -1,
       "no last 0 or 7 blocks, no mean-mode last two: -1");
    unsigned char want[6] = {0, 1, 0, 0, 1, 0};
    int custom = sekit_ablation_find(t, want, SEKIT_ABLATE_REMOVE);
    ok(custom > 0 && !strcmp(t->names[custom], "SE_2_2,SE_4_1"),
       "the --drop SE_2_2,SE_4_1 variant is found by its dropped row");
    ok(sekit_ablation_find_stage(t, 4, SEKIT_ABLATE_MEAN) == -1, "no mean-mode variant: -1");
    is_int(t->mode[0], -1, "row 0 is the full model");
    sekit_ablation_table_free(t);
}

/* ---------------------------------------------------------------------------------------- */
/* the paired bootstrap of the deltas, against independent computations */

/* splitmix64 as published (Steele, Lea and Flood 2014; Vigna's reference code), written out
 * here apart from ablation/ablation.c */
static uint64_t ref_splitmix64(uint64_t *x)
{
    uint64_t z = *x = *x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The rank (1-based) of the p-quantile by the inverse empirical distribution function: the
 * least k with k / B >= p, for p = num / 200. */
static int ref_rank(int B, int num)
{
    int k = 1;
    while (200LL * k < (long long)B * num)
        k++;
    return k;
}

/*
 * The documented procedure, brute force: for each resample draw n indices, and for every series
 * compute mean(hit_variant) - mean(hit_full) over them from the hit flags themselves; the
 * bounds are the ranked deltas of the documented percentile definition.
 */
static void ref_bootstrap(const unsigned char *const *hv, const unsigned char *hf, int ns, int n,
                          int B, uint64_t seed, int level, double *lo, double *hi)
{
    double *delta = malloc(sizeof(double) * (size_t)B * (size_t)ns);
    int *draw = malloc(sizeof(int) * (size_t)(n + 1));
    uint64_t x = seed;
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < n; i++)
            draw[i] = (int)(ref_splitmix64(&x) % (uint64_t)n);
        for (int s = 0; s < ns; s++) {
            long long sv = 0, sf = 0;
            for (int i = 0; i < n; i++)
                sv += hv[s][draw[i]], sf += hf[draw[i]];
            delta[(size_t)s * B + b] = 100.0 * (double)(sv - sf) / n;
        }
    }
    for (int s = 0; s < ns; s++) {
        qsort(delta + (size_t)s * B, (size_t)B, sizeof(double), cmp_dbl);
        lo[s] = delta[(size_t)s * B + ref_rank(B, 100 - level) - 1];
        hi[s] = delta[(size_t)s * B + ref_rank(B, 100 + level) - 1];
    }
    free(delta), free(draw);
}

static uint64_t lcg_state = 7;
static unsigned lcg(unsigned mod)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((lcg_state >> 33) % mod);
}

/* (a) 30 images, four series of hits against one full model's: exactly the brute force's. */
static void bootstrap_brute(void)
{
    enum { N = 30, NS = 4 };
    static const struct {
        int B, level;
        uint64_t seed;
    } runs[] = {{200, 95, 1}, {2000, 95, (uint64_t)SEKIT_ABLATION_CI_SEED}, {333, 90, 99}};
    unsigned char full[N], hv[NS][N];
    const unsigned char *hp[NS];
    signed char d[NS][N];
    const signed char *dp[NS];
    for (int i = 0; i < N; i++)
        full[i] = (unsigned char)(lcg(10) < 7);
    for (int s = 0; s < NS; s++) {
        hp[s] = hv[s], dp[s] = d[s];
        for (int i = 0; i < N; i++) {
            /* series 0 equals the full model, the others flip 2, 5 and 8 in 10 */
            hv[s][i] = lcg(10) < (unsigned)(3 * s - (s > 0)) ? !full[i] : full[i];
            d[s][i] = (signed char)(hv[s][i] - full[i]);
        }
    }
    for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
        double lo[NS], hi[NS], wlo[NS], whi[NS];
        struct sekit_err e = {0};
        int rc =
            sekit_ablation_bootstrap(dp, NS, N, runs[r].B, runs[r].seed, runs[r].level, lo, hi, &e);
        if (!ok(rc == 0, "bootstrap B %d runs%s%s", runs[r].B, e.msg[0] ? ": " : "", e.msg))
            continue;
        ref_bootstrap(hp, full, NS, N, runs[r].B, runs[r].seed, runs[r].level, wlo, whi);
        for (int s = 0; s < NS; s++)
            ok(lo[s] == wlo[s] && hi[s] == whi[s],
               "bootstrap n %d B %d seed %llu level %d series %d: [%.17g, %.17g], brute force "
               "[%.17g, %.17g]",
               N, runs[r].B, (unsigned long long)runs[r].seed, runs[r].level, s, lo[s], hi[s],
               wlo[s], whi[s]);
        /* same seed, same interval */
        double lo2[NS], hi2[NS];
        sekit_ablation_bootstrap(dp, NS, N, runs[r].B, runs[r].seed, runs[r].level, lo2, hi2, &e);
        ok(!memcmp(lo, lo2, sizeof lo) && !memcmp(hi, hi2, sizeof hi),
           "bootstrap B %d: a second run gives the same intervals", runs[r].B);
    }
    /* (d) a variant that changes no prediction: exactly [0, 0] */
    double lo, hi;
    struct sekit_err e = {0};
    sekit_ablation_bootstrap(dp, 1, N, 2000, 5, 95, &lo, &hi, &e);
    ok(lo == 0 && hi == 0, "no changed image: [%g, %g], want [0, 0]", lo, hi);
    signed char bad[3] = {0, 2, 0};
    const signed char *bp = bad;
    ok(sekit_ablation_bootstrap(&bp, 1, 3, 10, 1, 95, &lo, &hi, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "d[0][1] = 2"),
       "a difference of 2 is refused: %s", e.msg);
    ok(sekit_ablation_bootstrap(dp, 1, N, 0, 1, 95, &lo, &hi, &e) == SEKIT_EINVAL,
       "B = 0 is refused: %s", e.msg);
}

/* The exact p-quantile (inverse distribution function, p = num / 200) of the sum of n draws
 * with replacement from d[0..n), by enumerating all n^n resamples. */
static int exact_quantile(const signed char *d, int n, int num)
{
    long long count[64] = {0}, total = 0; /* sums -n..n at [s + n] */
    int idx[8] = {0};
    for (;;) {
        int s = 0;
        for (int i = 0; i < n; i++)
            s += d[idx[i]];
        count[s + n]++, total++;
        int i = 0;
        while (i < n && ++idx[i] == n)
            idx[i++] = 0;
        if (i == n) break;
    }
    long long cum = 0;
    for (int s = -n; s <= n; s++) {
        cum += count[s + n];
        if (200 * cum >= (long long)num * total) return s;
    }
    return n;
}

/*
 * (b) 6 images, all 6^6 = 46,656 resamples enumerated: the Monte-Carlo bounds (B = 2000, the
 * default seed) lie between the exact quantiles at p - 0.01 and p + 0.01. 0.01 is 2.9 standard
 * errors of the empirical distribution function at p = 0.025 with B = 2000 (sqrt(p (1 - p) / B)
 * = 0.0035), so the check fails only for a wrong procedure, never for Monte-Carlo noise.
 */
static void bootstrap_exact(void)
{
    enum { N = 6, B = 2000 };
    static const signed char cases[][N] = {{1, 1, 0, -1, 1, 0},
                                           {1, 0, 0, 0, 0, 0},
                                           {-1, -1, -1, 0, 1, 0},
                                           {1, 1, 1, 1, 1, -1},
                                           {0, 0, 0, 0, 0, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const signed char *dp = cases[c];
        double lo, hi;
        struct sekit_err e = {0};
        if (!ok(sekit_ablation_bootstrap(&dp, 1, N, B, (uint64_t)SEKIT_ABLATION_CI_SEED, 95, &lo,
                                         &hi, &e) == 0,
                "exact case %zu runs%s%s", c, e.msg[0] ? ": " : "", e.msg))
            continue;
        /* p = 0.025 +/- 0.01 and 0.975 +/- 0.01, in 200ths: 3, 7; 193, 197 */
        const double lo_min = 100.0 * exact_quantile(dp, N, 3) / N,
                     lo_max = 100.0 * exact_quantile(dp, N, 7) / N,
                     hi_min = 100.0 * exact_quantile(dp, N, 193) / N,
                     hi_max = 100.0 * exact_quantile(dp, N, 197) / N;
        ok(lo >= lo_min && lo <= lo_max && hi >= hi_min && hi <= hi_max,
           "exact case %zu: bootstrap [%.4f, %.4f]; exact quantiles: 2.5%% +/- 1%% in [%.4f, "
           "%.4f], 97.5%% +/- 1%% in [%.4f, %.4f] (exact 2.5%% %.4f, 97.5%% %.4f)",
           c, lo, hi, lo_min, lo_max, hi_min, hi_max, 100.0 * exact_quantile(dp, N, 5) / N,
           100.0 * exact_quantile(dp, N, 195) / N);
    }
}

/* The intervals the table holds (read back from PREFIX.h5) against the brute-force bootstrap
 * of the tallies' per-image hits over the images of classes[0..3), and as PREFIX.csv and
 * PREFIX.md show them. */
/* P(X <= k) for X ~ Binomial(n, 1/2) by the recurrence of the probabilities in long double,
 * from P(X = 0) = 2^-n: the reference for sekit_mcnemar_exact's log-space sum. */
static long double binom_cdf_half(int64_t n, int64_t k)
{
    long double pk = ldexpl(1.0L, (int)-n), sum = 0;
    for (int64_t i = 0; i <= k; i++) {
        sum += pk;
        pk = pk * (long double)(n - i) / (long double)(i + 1);
    }
    return sum;
}

static double ref_mcnemar(int64_t lost, int64_t gained)
{
    const int64_t n = lost + gained, k = lost < gained ? lost : gained;
    const long double p = n ? 2 * binom_cdf_half(n, k) : 1;
    return p < 1 ? (double)p : 1;
}

/* The exact McNemar p-value: by hand on small counts, against the long-double recurrence on
 * counts up to ten thousand images. */
static void mcnemar_exact(void)
{
    static const struct {
        int64_t lost, gained;
        double p;
    } hand[] = {
        {0, 0, 1},               /* no disagreement */
        {0, 5, 2.0 / 32},        /* 2 P(X = 0), n = 5 */
        {9, 1, 2 * 11.0 / 1024}, /* 2 (1 + 10) / 2^10 */
        {3, 3, 1},               /* 2 * 42 / 64 > 1 */
        {2, 5, 2 * 29.0 / 128},  /* 2 (1 + 7 + 21) / 2^7 */
        {0, 1, 1},               /* 2 / 2 */
    };
    for (size_t i = 0; i < sizeof hand / sizeof *hand; i++) {
        const double got = sekit_mcnemar_exact(hand[i].lost, hand[i].gained);
        ok(fabs(got - hand[i].p) <= 1e-15 * hand[i].p,
           "McNemar lost %lld, gained %lld: p = %.17g (by hand %.17g)", (long long)hand[i].lost,
           (long long)hand[i].gained, got, hand[i].p);
    }
    static const int64_t big[][2] = {{40, 60},     {400, 600}, {10, 150},
                                     {4990, 5010}, {0, 1000},  {1, 1000}};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        const double got = sekit_mcnemar_exact(big[i][0], big[i][1]),
                     want = ref_mcnemar(big[i][0], big[i][1]);
        ok(fabs(got - want) <= MCNEMAR_REL_TOL * want,
           "McNemar lost %lld, gained %lld: p = %.17g, the binomial recurrence's %.17g",
           (long long)big[i][0], (long long)big[i][1], got, want);
    }
}

/* Sets element i of dataset ablation/<name> of path (elements of size bytes, memory type mt,
 * read and written whole) to *value, keeping the old one in *old; 0 when it could not. */
static int h5_poke(const char *path, const char *name, hid_t mt, size_t size, size_t i,
                   const void *value, void *old)
{
    char full[96];
    snprintf(full, sizeof full, "ablation/%s", name);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, full, H5P_DEFAULT) : -1;
    hid_t s = d >= 0 ? H5Dget_space(d) : -1;
    const hssize_t npts = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    unsigned char *all = npts > (hssize_t)i ? malloc(size * (size_t)npts) : NULL;
    int done = all && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0;
    if (done) {
        memcpy(old, all + i * size, size);
        memcpy(all + i * size, value, size);
        done = H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0;
    }
    free(all);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    return done;
}

/* The reader refuses a p-value that is not its counts' and a bit row that does not count its
 * variant's lost images; the file is put back after each. */
static void changes_refused(const char *path, const struct sekit_ablation_table *t)
{
    struct sekit_ablation_table *r = NULL;
    struct sekit_err e = {0};
    const double p = t->p_top1[1] / 2 + 0.01;
    double oldp, scratch;
    unsigned char oldb, scratchb;
    int edited = h5_poke(path, "mcnemar_p_top1", H5T_NATIVE_DOUBLE, sizeof p, 1, &p, &oldp);
    ok(edited && sekit_ablation_read(&r, path, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "mcnemar_p_top1[1]") && strstr(e.msg, "not the p-value"),
       "a McNemar p-value that is not its counts' is refused: %s", e.msg);
    sekit_ablation_table_free(r), r = NULL;
    if (edited) h5_poke(path, "mcnemar_p_top1", H5T_NATIVE_DOUBLE, sizeof p, 1, &oldp, &scratch);
    /* variant 1's first byte of lost bits gains or loses a bit its count does not have */
    const size_t at = (size_t)(t->nimages + 7) / 8;
    const unsigned char flip = (unsigned char)(t->lost_bits[at] ^ 1);
    edited = h5_poke(path, "top1_lost", H5T_NATIVE_UCHAR, 1, at, &flip, &oldb);
    ok(edited && sekit_ablation_read(&r, path, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "per-image bits") && strstr(e.msg, "do not match its counts"),
       "a bit row that does not count its variant's lost images is refused: %s", e.msg);
    sekit_ablation_table_free(r), r = NULL;
    if (edited) h5_poke(path, "top1_lost", H5T_NATIVE_UCHAR, 1, at, &oldb, &scratchb);
    ok(sekit_ablation_read(&r, path, &e) == SEKIT_OK, "the file put back reads again: %s", e.msg);
    sekit_ablation_table_free(r);
}

/* Each variant's lost and gained images, by their hits: counts, bits and p-values as the table
 * holds them, and the evaluated images' dataset rows. */
static void round_trip_changes(const struct sekit_ablation_table *t, const struct sekit_variant *v,
                               int n, const int *classes, const int64_t *index)
{
    int64_t m = 0;
    int same = 1;
    for (int64_t j = 0; j < v[0].nimg; j++) {
        const int y = v[0].label[j];
        if (y != classes[0] && y != classes[1] && y != classes[2]) continue;
        same &= m < t->nimages && t->image_index[m] == index[j];
        m++;
    }
    ok(same && t->nimages == m, "round trip: the %lld evaluated images' dataset rows, in order",
       (long long)m);
    const size_t bytes = (size_t)(m + 7) / 8;
    int bits_ok = 1, counts_ok = 1, moved = 0;
    for (int i = 0; i < n; i++) {
        int64_t lost[2] = {0, 0}, gained[2] = {0, 0}, k = 0;
        for (int64_t j = 0; j < v[0].nimg; j++) {
            const int y = v[0].label[j];
            if (y != classes[0] && y != classes[1] && y != classes[2]) continue;
            for (int b = 0; b < 2; b++) {
                const int f = v[0].hit[j] >> b & 1, h = v[i].hit[j] >> b & 1;
                lost[b] += f && !h, gained[b] += !f && h;
                if (b == 0) {
                    const int lb = t->lost_bits[(size_t)i * bytes + (size_t)(k / 8)] >> k % 8 & 1,
                              gb = t->gained_bits[(size_t)i * bytes + (size_t)(k / 8)] >> k % 8 & 1;
                    bits_ok &= lb == (f && !h) && gb == (!f && h);
                }
            }
            k++;
        }
        moved += lost[0] + gained[0] > 0;
        const double got[6] = {t->lost_top1[i], t->gained_top1[i], t->p_top1[i],
                               t->lost_top5[i], t->gained_top5[i], t->p_top5[i]},
                     want[6] = {
                         (double)lost[0], (double)gained[0], ref_mcnemar(lost[0], gained[0]),
                         (double)lost[1], (double)gained[1], ref_mcnemar(lost[1], gained[1])};
        for (int c = 0; c < 6; c++)
            if (!(fabs(got[c] - want[c]) <= MCNEMAR_REL_TOL * want[c])) {
                diag("variant %d '%s' column %d: %.17g in PREFIX.h5, %.17g from the hits", i,
                     v[i].name, c, got[c], want[c]);
                counts_ok = 0;
            }
    }
    ok(counts_ok && moved > 0,
       "round trip: lost, gained and McNemar p of every variant from its hits (%d variants "
       "change images)",
       moved);
    ok(bits_ok, "round trip: a top-1 lost and a gained bit per image, image j at bit j %% 8 of "
                "byte j / 8");
}

static void round_trip_intervals(const struct sekit_ablation_table *t,
                                 const struct sekit_variant *v, int n, const int *classes,
                                 const char *prefix)
{
    const int64_t nimg = v[0].nimg;
    unsigned char *hit = malloc((size_t)(n * 2 * nimg + 1));
    const unsigned char **hv = malloc(sizeof *hv * (size_t)(2 * n));
    int m = 0;
    for (int64_t j = 0; j < nimg; j++) {
        const int y = v[0].label[j];
        if (y != classes[0] && y != classes[1] && y != classes[2]) continue;
        for (int i = 0; i < n; i++)
            for (int b = 0; b < 2; b++)
                hit[(size_t)(2 * i + b) * nimg + m] = v[i].hit[j] >> b & 1;
        m++;
    }
    for (int s = 0; s < 2 * n; s++)
        hv[s] = hit + (size_t)s * nimg;
    double *lo = malloc(sizeof(double) * 4 * n), *hi = lo + 2 * n;
    /* series 2i: variant i's top-1 against row 0's, 2i + 1 its top-5 */
    for (int b = 0; b < 2; b++) {
        const unsigned char *sv[64];
        for (int i = 0; i < n; i++)
            sv[i] = hv[2 * i + b];
        double l[64], h[64];
        ref_bootstrap(sv, hv[b], n, m, SEKIT_ABLATION_CI_RESAMPLES,
                      (uint64_t)SEKIT_ABLATION_CI_SEED, SEKIT_ABLATION_CI_LEVEL, l, h);
        for (int i = 0; i < n; i++)
            lo[2 * i + b] = l[i], hi[2 * i + b] = h[i];
    }
    int same = t->ci_resamples == SEKIT_ABLATION_CI_RESAMPLES &&
               t->ci_seed == SEKIT_ABLATION_CI_SEED && t->ci_level == SEKIT_ABLATION_CI_LEVEL;
    for (int i = 0; i < n; i++) {
        const double got[4] = {t->delta_top1_lo[i], t->delta_top1_hi[i], t->delta_top5_lo[i],
                               t->delta_top5_hi[i]},
                     want[4] = {lo[2 * i], hi[2 * i], lo[2 * i + 1], hi[2 * i + 1]};
        for (int c = 0; c < 4; c++)
            if (got[c] != want[c]) {
                diag("variant %d '%s' bound %d: %.17g in PREFIX.h5, %.17g by brute force", i,
                     v[i].name, c, got[c], want[c]);
                same = 0;
            }
    }
    ok(same, "round trip: PREFIX.h5's intervals are the brute-force bootstrap's over %d images", m);
    ok(t->delta_top1_lo[0] == 0 && t->delta_top1_hi[0] == 0 && t->delta_top5_lo[0] == 0 &&
           t->delta_top5_hi[0] == 0,
       "round trip: row 0 is [0, 0]");
    ok(t->delta_top1[1] == 0 && t->delta_top1_lo[1] == 0 && t->delta_top1_hi[1] == 0 &&
           t->delta_top5_lo[1] == 0 && t->delta_top5_hi[1] == 0,
       "round trip: a variant predicting as the full model does gets [0, 0] (top-1 [%g, %g], "
       "top-5 [%g, %g])",
       t->delta_top1_lo[1], t->delta_top1_hi[1], t->delta_top5_lo[1], t->delta_top5_hi[1]);
    int differ = 0;
    for (int i = 2; i < n; i++)
        differ += t->delta_top1_lo[i] < t->delta_top1_hi[i];
    ok(differ > 0, "round trip: %d variants with intervals of non-zero width", differ);

    /* PREFIX.csv: columns 8..11 (1-based) of each row are the bounds, to 2 decimals */
    char path[800], line[4096], want[160], got[160];
    snprintf(path, sizeof path, "%s.csv", prefix);
    FILE *fp = fopen(path, "r");
    int rows = 0, csv_same = fp && fgets(line, sizeof line, fp) &&
                             strstr(line, ",delta_top5,delta_top1_lo,delta_top1_hi,"
                                          "delta_top5_lo,delta_top5_hi,");
    while (csv_same && fgets(line, sizeof line, fp) && rows < n) {
        /* the first three fields are quoted or plain without commas inside */
        char *p = line;
        int field = 0, quoted = 0;
        for (; *p && field < 7; p++) {
            if (*p == '"') quoted = !quoted;
            if (*p == ',' && !quoted) field++;
        }
        snprintf(want, sizeof want, "%+.2f,%+.2f,%+.2f,%+.2f,", lo[2 * rows], hi[2 * rows],
                 lo[2 * rows + 1], hi[2 * rows + 1]);
        snprintf(got, sizeof got, "%.*s", (int)strlen(want), p);
        if (strcmp(got, want)) {
            diag("PREFIX.csv row %d: bounds '%s', brute force '%s'", rows, got, want);
            csv_same = 0;
        }
        rows++;
    }
    if (fp) fclose(fp);
    ok(csv_same && rows == n, "round trip: PREFIX.csv's bounds are the brute force's (%d rows)",
       rows);
    /* PREFIX.md: "delta [lo, hi]" for the top-1 change of each variant but row 0 */
    snprintf(path, sizeof path, "%s.md", prefix);
    fp = fopen(path, "r");
    char md[16384] = "";
    size_t len = fp ? fread(md, 1, sizeof md - 1, fp) : 0;
    md[len] = 0;
    if (fp) fclose(fp);
    int md_same = len > 0;
    for (int i = 1; md_same && i < n; i++) {
        snprintf(want, sizeof want, "| %+.2f [%+.2f, %+.2f] | %+.2f [%+.2f, %+.2f] |",
                 t->delta_top1[i], lo[2 * i], hi[2 * i], t->delta_top5[i], lo[2 * i + 1],
                 hi[2 * i + 1]);
        if (!strstr(md, want)) {
            diag("PREFIX.md has no '%s' for variant %d", want, i);
            md_same = 0;
        }
    }
    ok(md_same, "round trip: PREFIX.md shows every change with its interval");
    free(hit), free(hv), free(lo);

    /* files the reader refuses: an interval upside down, then a format 2 file */
    snprintf(path, sizeof path, "%s.h5", prefix);
    struct sekit_ablation_table *r = NULL;
    struct sekit_err e = {0};
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, "ablation/delta_top5_ci", H5P_DEFAULT) : -1;
    double *ci = malloc(sizeof(double) * 2 * n);
    int edited =
        d >= 0 && ci && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ci) >= 0;
    if (edited) {
        ci[2 * 2] = 5, ci[2 * 2 + 1] = -5;
        edited = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ci) >= 0;
    }
    free(ci);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    ok(edited && sekit_ablation_read(&r, path, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "delta_top5_ci[2] = [5, -5]"),
       "an interval with lower > upper is refused: %s", e.msg);
    sekit_ablation_table_free(r);
    r = NULL;
    const int64_t old = 2;
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = f >= 0 ? H5Aopen(f, "ablation_format_version", H5P_DEFAULT) : -1;
    edited = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &old) >= 0;
    if (a >= 0) H5Aclose(a);
    if (f >= 0) H5Fclose(f);
    ok(edited && sekit_ablation_read(&r, path, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "ablation_format_version 2; this sekit reads version 5") &&
           strstr(e.msg, "sekit ablate"),
       "a format 2 file (no intervals) is refused, asking to rerun sekit ablate: %s", e.msg);
    sekit_ablation_table_free(r);
}

/* PREFIX.h5 describes itself: a scale on every axis of /ablation, the evaluated classes, the
 * model's classes and the interval bounds named (cn: the K model class names, classes[3] the
 * evaluated ones). */
static void round_trip_scales(const char *path, char *const *cn, int K, const int *classes)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT),
          g = f < 0 ? -1 : H5Gopen2(f, "ablation", H5P_DEFAULT);
    int n = 0;
    const int unscaled = h5check_unscaled_axes(g, &n);
    ok(n >= 15 && unscaled == 0,
       "round trip: every axis of the %d datasets of /ablation has a scale", n);
    char got[512], want[512] = "", all[512] = "";
    for (int c = 0; c < 3; c++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", c ? "|" : "",
                 cn[classes[c]]);
    for (int k = 0; k < K; k++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", k ? "|" : "", cn[k]);
    h5check_strings(g, "label", got, sizeof got);
    is_str(got, want, "round trip: /ablation/label names the evaluated classes");
    h5check_strings(g, "class_names", got, sizeof got);
    is_str(got, all, "round trip: /ablation/class_names names the model's classes");
    h5check_strings(g, "bound", got, sizeof got);
    is_str(got, "lo|hi", "round trip: /ablation/bound names the interval columns");
    ok(h5check_attached(g, "top1_per_class", "variant", 0) &&
           h5check_attached(g, "top1_per_class", "label", 1) &&
           h5check_attached(g, "delta_top5_ci", "bound", 1) &&
           h5check_attached(g, "dropped", "block", 1) &&
           h5check_attached(g, "classes", "label", 0) &&
           h5check_attached(g, "class_names", "model_class", 0) &&
           h5check_attached(g, "block_stage", "block", 0) &&
           h5check_attached(g, "top5", "variant", 0),
       "round trip: the scales sit on the axes they name");
    if (g >= 0) H5Gclose(g);
    if (f >= 0) H5Fclose(f);
}

/* The table written from known tallies reads back field for field. */
static void round_trip(struct engine *g)
{
    struct sekit_variant *v = NULL;
    int n = 0;
    struct sekit_err e = {0};
    const char *drops[] = {"SE_3_1"};
    if (!ok(sekit_ablation_variants(g->m, "stage", drops, 1, SEKIT_MODES_BOTH, &v, &n, &e) == 0,
            "round trip: variants built"))
        return;
    /* tallies: variant i, class k: 10 + k images, (i + k) % 11 top-1 hits, one more top-5 (up
     * to all); variant 1 predicts as the full model does. Per image, class by class: the hits
     * are the first ones of the class for even variants, the last ones for odd variants. */
    int64_t nimg = 0;
    for (int k = 0; k < K; k++)
        nimg += 10 + k;
    if (!ok(sekit_ablation_reserve(v, n, nimg, &e) == 0, "round trip: room for %lld images",
            (long long)nimg)) {
        sekit_ablation_free(v, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        const int like = i == 1 ? 0 : i;
        for (int k = 0; k < K; k++) {
            v[i].n[k] = 10 + k;
            v[i].top1[k] = (like + k) % 11;
            v[i].top5[k] = v[i].top1[k] + (v[i].top1[k] < v[i].n[k]);
            for (int j = 0; j < v[i].n[k]; j++) {
                const int r = like % 2 ? (int)v[i].n[k] - 1 - j : j;
                v[i].label[v[i].nimg] = k;
                v[i].hit[v[i].nimg++] =
                    (unsigned char)((r < v[i].top1[k]) | (r < v[i].top5[k]) << 1);
            }
        }
    }
    const int classes[3] = {7, 0, 4};
    char *cn[K];
    char names[K][8];
    for (int k = 0; k < K; k++) {
        snprintf(names[k], sizeof names[k], "c%d", k);
        cn[k] = names[k];
    }
    char prefix[700], path[720];
    snprintf(prefix, sizeof prefix, "%s/rt", tap_tmpdir());
    snprintf(path, sizeof path, "%s.h5", prefix);
    struct sekit_ablation_table *t = NULL;
    /* dataset rows of the tallied images: any distinct numbers, here 1000 + 3 j */
    int64_t *index = malloc(sizeof(int64_t) * (size_t)nimg);
    for (int64_t j = 0; j < nimg; j++)
        index[j] = 1000 + 3 * j;
    if (!ok(sekit_ablation_write(prefix, v, n, g->m, cn, classes, 3, index, "round trip", &e) ==
                    0 &&
                sekit_ablation_read(&t, path, &e) == 0,
            "round trip: written and read back: %s", e.msg)) {
        sekit_ablation_free(v, n);
        free(index);
        return;
    }
    const int nse = sekit_model_se_count(g->m);
    int same = t->n == n && t->nse == nse && t->nclasses == 3 &&
               t->total_params == sekit_model_params(g->m) &&
               !strcmp(t->description, "round trip") &&
               !memcmp(t->classes, classes, sizeof classes);
    double base1 = 0, base5 = 0;
    for (int i = 0; same && i < n; i++) {
        int64_t h1 = 0, h5 = 0, tot = 0;
        for (int c = 0; c < 3; c++) {
            int k = classes[c];
            h1 += v[i].top1[k], h5 += v[i].top5[k], tot += v[i].n[k];
            same &= t->top1_per_class[i * 3 + c] == 100.0 * v[i].top1[k] / v[i].n[k];
        }
        double t1 = 100.0 * (double)h1 / (double)tot, t5 = 100.0 * (double)h5 / (double)tot;
        if (i == 0) base1 = t1, base5 = t5;
        same &=
            !strcmp(t->names[i], v[i].name) && t->mode[i] == (v[i].nblocks ? (int)v[i].mode : -1);
        same &= t->top1[i] == t1 && t->top5[i] == t5 && t->delta_top1[i] == t1 - base1 &&
                t->delta_top5[i] == t5 - base5;
        same &= t->se_params_removed[i] == (double)v[i].se_params &&
                t->share_of_params[i] == (double)v[i].se_params / (double)t->total_params &&
                t->flops_removed[i] == v[i].flops;
        int ndrop = 0;
        for (int j = 0; j < nse; j++)
            ndrop += t->dropped[i * nse + j];
        same &= ndrop == v[i].nblocks;
        for (int j = 0; j < v[i].nblocks; j++)
            same &= t->dropped[i * nse + v[i].blocks[j]] == 1;
        if (!same) diag("variant %d '%s' differs", i, v[i].name);
    }
    ok(same, "round trip: every field of every variant as written");
    round_trip_changes(t, v, n, classes, index);
    changes_refused(path, t);
    round_trip_intervals(t, v, n, classes, prefix);
    round_trip_scales(path, cn, K, classes);
    sekit_ablation_table_free(t);

    /* writes that fail: a file-size limit (each of the three files in turn), a directory the
     * user may not write, a missing directory; never a crash, never a file under its final
     * name, no .tmp left */
    struct wjob job = {v, n, g, cn, classes, index, prefix};
    int (*fn)(void *, struct sekit_err *) = ablate_job;
    struct stat sb[3];
    const char *ext[3] = {".csv", ".md", ".h5"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", prefix, ext[i]);
        if (stat(path, &sb[i])) sb[i].st_size = 100;
    }
    snprintf(prefix, sizeof prefix, "%s/limited", tap_tmpdir());
    const long limits[3] = {(long)sb[0].st_size / 2, (long)sb[2].st_size / 2,
                            (long)sb[2].st_size - 1};
    for (int i = 0; i < 3; i++) {
        struct failenv_result res;
        if (failenv_run(FAILENV_FSIZE, limits[i], fn, &job, &res)) {
            skip("no child process");
            continue;
        }
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "File too large") &&
               strstr(res.msg, "limited."),
           "file-size limit %ld: SEKIT_EIO naming the file, no crash: %s", limits[i], res.msg);
        ok(nothing_left(prefix), "file-size limit %ld: no file, no .tmp", limits[i]);
    }
    char rodir[600];
    snprintf(rodir, sizeof rodir, "%s/ro", tap_tmpdir());
    snprintf(prefix, sizeof prefix, "%s/x", rodir);
    struct failenv_result res;
    if (failenv_readonly_dir(tap_tmpdir(), rodir) ||
        failenv_run(FAILENV_READONLY, 0, fn, &job, &res)) {
        skip("cannot run as a user who may not write a directory");
    } else {
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "Permission denied") &&
               strstr(res.msg, prefix),
           "read-only directory: SEKIT_EIO, Permission denied: %s", res.msg);
        ok(nothing_left(prefix), "read-only directory: nothing written");
    }
    snprintf(prefix, sizeof prefix, "%s/missing/x", tap_tmpdir());
    ok(ablate_job(&job, &e) == SEKIT_EIO && strstr(e.msg, "No such file"),
       "missing directory: SEKIT_EIO, No such file or directory: %s", e.msg);
    sekit_ablation_free(v, n);
    free(index);
}

/* The intervals in a file sekit ablate wrote (remove mode) against the brute-force bootstrap
 * of per-image hits the engine gives, in the order the images are evaluated. */
static void intervals_agree(struct engine *g, const char *path)
{
    struct sekit_ablation_table *t = NULL;
    struct sekit_err e = {0};
    if (!ok(sekit_ablation_read(&t, path, &e) == 0, "%s reads: %s", path, e.msg)) return;
    const int nse = sekit_model_se_count(g->m), n = t->n;
    unsigned char *hit = calloc((size_t)n * 2 * NIMG, 1);
    for (int v = 0; v < n; v++) {
        for (int i = 0; i < nse; i++)
            if (t->dropped[(size_t)v * nse + i])
                sekit_model_se_set(g->m, i, SEKIT_SE_REMOVED, NULL);
        for (int b = 0; b * BATCH < g->n; b++) {
            if (!load_batch(g, b)) break;
            sekit_model_forward(g->m, g->x, BATCH, g->logits);
            for (int i = 0; i < BATCH; i++) {
                const float *l = g->logits + (size_t)i * K;
                int above = 0;
                for (int k = 0; k < K; k++)
                    above += l[k] > l[g->labels[i]];
                hit[(size_t)(2 * v) * NIMG + b * BATCH + i] = above == 0;
                hit[(size_t)(2 * v + 1) * NIMG + b * BATCH + i] = above < 5;
            }
        }
        for (int i = 0; i < nse; i++)
            sekit_model_se_set(g->m, i, SEKIT_SE_NORMAL, NULL);
    }
    int bad = 0;
    for (int b = 0; b < 2; b++) {
        const unsigned char *sv[64];
        double lo[64], hi[64];
        for (int v = 0; v < n; v++)
            sv[v] = hit + (size_t)(2 * v + b) * NIMG;
        ref_bootstrap(sv, sv[0], n, NIMG, SEKIT_ABLATION_CI_RESAMPLES,
                      (uint64_t)SEKIT_ABLATION_CI_SEED, SEKIT_ABLATION_CI_LEVEL, lo, hi);
        for (int v = 0; v < n; v++) {
            const double gl = b ? t->delta_top5_lo[v] : t->delta_top1_lo[v],
                         gh = b ? t->delta_top5_hi[v] : t->delta_top1_hi[v];
            if (gl != lo[v] || gh != hi[v]) {
                diag("'%s' top-%d: [%.17g, %.17g] in the file, [%.17g, %.17g] from the engine's "
                     "hits",
                     t->names[v], b ? 5 : 1, gl, gh, lo[v], hi[v]);
                bad++;
            }
        }
    }
    ok(!bad,
       "every variant's intervals are the brute-force bootstrap of the engine's per-image "
       "hits (%d variants, %d images)",
       n, NIMG);
    free(hit);
    sekit_ablation_table_free(t);
}

static void remove_mode(struct engine *g)
{
    char prefix[700], cmd[3000], p[760];
    int lines;
    snprintf(prefix, sizeof prefix, "%s/rm", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --out '%s' --batch %d --quiet "
             "--drop SE_2_2,SE_4_1",
             model, data, prefix, BATCH);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit ablate, remove mode, default presets")) {
        diag("%s", fixture_stderr());
        return;
    }
    const char *ext[4] = {"csv", "md", "h5", "png"};
    int all = 1;
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s.%s", prefix, ext[i]);
        all &= access(p, F_OK) == 0;
    }
    ok(all, "PREFIX.csv, .md, .h5 and .png written");
    struct table t;
    snprintf(p, sizeof p, "%s.h5", prefix);
    if (!ok(read_table(p, &t), "the ablation file reads")) return;
    /* six blocks: full, single x6, stage x3 (last-stage = stage 4), cumulative last 3..5
     * (last 1, 2 and 6 coincide with single, stage 4 and all), all, the --drop set */
    is_int(t.n, 1 + 6 + 3 + 3 + 1 + 1, "full model + 14 distinct variants");
    int customs = 0;
    for (int v = 0; v < t.n; v++)
        customs += t.dropped[v * t.nse + 1] && t.dropped[v * t.nse + 4] &&
                   t.dropped[v * t.nse] + t.dropped[v * t.nse + 2] + t.dropped[v * t.nse + 3] +
                           t.dropped[v * t.nse + 5] ==
                       0;
    is_int(customs, 1, "the --drop SE_2_2,SE_4_1 variant is there once");
    compare_variants(g, &t, NULL, "remove");
    reader_agrees(p, &t);
    intervals_agree(g, p);
    table_free(&t);

    /* SEKIT_SE_REMOVED and a fixed gate of ones compute the same logits */
    int nse = sekit_model_se_count(g->m);
    float *a = malloc(sizeof(float) * BATCH * K), *ones = malloc(sizeof(float) * 64);
    for (int c = 0; c < 64; c++)
        ones[c] = 1;
    load_batch(g, 3);
    for (int i = 0; i < nse; i++) {
        sekit_model_se_set(g->m, i, SEKIT_SE_REMOVED, NULL);
        sekit_model_forward(g->m, g->x, BATCH, a);
        sekit_model_se_set(g->m, i, SEKIT_SE_FIXED, ones);
        sekit_model_forward(g->m, g->x, BATCH, g->logits);
        sekit_model_se_set(g->m, i, SEKIT_SE_NORMAL, NULL);
        is_close(a, g->logits, BATCH * K, 0, "%s removed == %s gate fixed at 1, exactly",
                 sekit_model_se_info(g->m, i)->name, sekit_model_se_info(g->m, i)->name);
    }
    free(a), free(ones);
}

/* Block means of every recorded gate in path (per block, [C]), as `--means` defines them. */
static float **recorded_means(struct engine *g, const char *path)
{
    int nse = sekit_model_se_count(g->m);
    float **mu = calloc((size_t)nse, sizeof *mu);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (int i = 0; f >= 0 && i < nse; i++) {
        const struct sekit_se_info *s = sekit_model_se_info(g->m, i);
        char name[64];
        snprintf(name, sizeof name, "excitation/%s", s->name);
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
        hid_t sp = H5Dget_space(d);
        hsize_t dims[2];
        H5Sget_simple_extent_dims(sp, dims, NULL);
        float *v = malloc(sizeof(float) * dims[0] * dims[1]);
        H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        mu[i] = calloc((size_t)s->channels, sizeof(float));
        for (int c = 0; c < s->channels; c++) {
            double a = 0;
            for (hsize_t j = 0; j < dims[0]; j++)
                a += v[j * dims[1] + (hsize_t)c];
            mu[i][c] = (float)(a / (double)dims[0]);
        }
        free(v);
        H5Sclose(sp);
        H5Dclose(d);
    }
    if (f >= 0) H5Fclose(f);
    return mu;
}

/* Block means of the gates over the evaluated images, from normal forward passes. */
static float **evaluated_means(struct engine *g)
{
    int nse = sekit_model_se_count(g->m);
    float **mu = calloc((size_t)nse, sizeof *mu);
    double **sum = calloc((size_t)nse, sizeof *sum);
    for (int i = 0; i < nse; i++)
        sum[i] = calloc((size_t)sekit_model_se_info(g->m, i)->channels, sizeof(double));
    for (int b = 0; b * BATCH < g->n && load_batch(g, b); b++) {
        sekit_model_forward(g->m, g->x, BATCH, g->logits);
        for (int i = 0; i < nse; i++) {
            int C = sekit_model_se_info(g->m, i)->channels;
            const float *gate = sekit_model_gate(g->m, i);
            for (int n = 0; n < BATCH; n++)
                for (int c = 0; c < C; c++)
                    sum[i][c] += gate[n * C + c];
        }
    }
    for (int i = 0; i < nse; i++) {
        int C = sekit_model_se_info(g->m, i)->channels;
        mu[i] = malloc(sizeof(float) * (size_t)C);
        for (int c = 0; c < C; c++)
            mu[i][c] = (float)(sum[i][c] / (double)g->n);
        free(sum[i]);
    }
    free(sum);
    return mu;
}

static void mean_mode(struct engine *g)
{
    char rec[700], prefix[700], cmd[3000], p[760];
    int lines, nse = sekit_model_se_count(g->m);
    snprintf(rec, sizeof rec, "%s/run-%s.h5", tap_tmpdir(),
             sekit_backend_name((enum sekit_backend)backend));
    snprintf(prefix, sizeof prefix, "%s/mean", tap_tmpdir());
    /* the recording holds other images than the evaluation: Trouser and Bag, 20 each */
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --classes Trouser,Bag --per-class 20 --out '%s' "
             "--quiet",
             model, data, rec);
    if (!is_int(fixture_run(cmd, &lines), 0, "record 40 images for --means")) return;
    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --out '%s' --batch %d --quiet --mode mean "
             "--variants single,all --means '%s'",
             model, data, prefix, BATCH, rec);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit ablate --mode mean --means RUN.h5")) {
        diag("%s", fixture_stderr());
        return;
    }
    struct table t;
    snprintf(p, sizeof p, "%s.h5", prefix);
    float **mu = recorded_means(g, rec);
    if (ok(read_table(p, &t), "the mean-mode ablation file reads")) {
        is_int(t.n, 1 + 6 + 1, "full model + 6 single blocks + all");
        compare_variants(g, &t, mu, "mean mode, recorded means");
        table_free(&t);
    }
    for (int i = 0; i < nse; i++)
        free(mu[i]);
    free(mu);

    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --out '%s' --batch %d --quiet --mode mean "
             "--variants single,all",
             model, data, prefix, BATCH);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit ablate --mode mean (means of this pass)")) {
        diag("%s", fixture_stderr());
        return;
    }
    mu = evaluated_means(g);
    if (ok(read_table(p, &t), "the mean-mode ablation file reads")) {
        compare_variants(g, &t, mu, "mean mode, means over the evaluated images");
        table_free(&t);
    }
    for (int i = 0; i < nse; i++)
        free(mu[i]);
    free(mu);
}

/* The mean gates as sekit ablate sums them: in integers, so that the order of the images and
 * their split across MPI ranks (each rank summing its rows, the sums then added) change nothing,
 * and equal to the float64 sums in image order that they replace (evaluated_means,
 * recorded_means), channel for channel on these images. */
static void gate_means(struct engine *g)
{
    enum { NB = NIMG / BATCH };
    struct sekit_gate_means all, rev, half[2];
    struct sekit_err e = {0};
    const int nse = sekit_model_se_count(g->m);
    int made = !sekit_gate_means_new(&all, g->m, &e) && !sekit_gate_means_new(&rev, g->m, &e) &&
               !sekit_gate_means_new(&half[0], g->m, &e) &&
               !sekit_gate_means_new(&half[1], g->m, &e);
    if (!ok(made, "gate means: made: %s", e.msg)) return;
    for (int b = 0; b < NB && load_batch(g, b); b++) {
        sekit_model_forward(g->m, g->x, BATCH, g->logits);
        sekit_gate_means_add(&all, g->m, BATCH);
        sekit_gate_means_add(&half[b < NB / 3], g->m, BATCH);
    }
    for (int b = NB - 1; b >= 0 && load_batch(g, b); b--) {
        sekit_model_forward(g->m, g->x, BATCH, g->logits);
        sekit_gate_means_add(&rev, g->m, BATCH);
    }
    /* what sekit_dist_sum_i64 does with two ranks' sums */
    for (int i = 0; i < nse; i++)
        for (int k = 0; k < 3 * half[0].channels[i]; k++)
            half[0].sum[i][k] += half[1].sum[i][k];
    half[0].count += half[1].count;
    is_int(all.count, NIMG, "gate means: %d images summed", NIMG);
    sekit_gate_means_finish(&all);
    sekit_gate_means_finish(&rev);
    sekit_gate_means_finish(&half[0]);
    float **want = evaluated_means(g);
    int same_rev = 1, same_split = 1, same_f64 = 1, in01 = 1;
    for (int i = 0; i < nse; i++) {
        const size_t C = (size_t)all.channels[i];
        same_rev &= !memcmp(all.sum[i], rev.sum[i], sizeof(int64_t) * 3 * C) &&
                    !memcmp(all.mean[i], rev.mean[i], sizeof(float) * C);
        same_split &= !memcmp(all.sum[i], half[0].sum[i], sizeof(int64_t) * 3 * C) &&
                      !memcmp(all.mean[i], half[0].mean[i], sizeof(float) * C);
        for (size_t k = 0; k < C; k++) {
            in01 &= all.mean[i][k] > 0 && all.mean[i][k] < 1;
            if (all.mean[i][k] != want[i][k]) {
                if (same_f64)
                    diag("%s channel %zu: %.9g, float64 sums %.9g",
                         sekit_model_se_info(g->m, i)->name, k, (double)all.mean[i][k],
                         (double)want[i][k]);
                same_f64 = 0;
            }
        }
        free(want[i]);
    }
    free(want);
    ok(in01, "gate means: every block's mean gate lies in (0, 1)");
    ok(same_rev,
       "gate means: the images summed in reverse give the same sums and means, bit for bit");
    ok(same_split,
       "gate means: two parts summed apart and added give the same sums and means, bit for bit");
    ok(same_f64, "gate means: equal to float64 sums in image order on every channel");
    sekit_gate_means_free(&all), sekit_gate_means_free(&rev);
    sekit_gate_means_free(&half[0]), sekit_gate_means_free(&half[1]);
}

/* sekit_dist_range_batches: every rank's rows in whole batches of the one process's, contiguous
 * in rank order, covering the selection; batch counts differ by at most one. */
static void range_batches(void)
{
    static const int64_t ns[] = {0, 1, 15, 16, 17, 130, 400, 10001};
    static const int batches[] = {1, 5, 16};
    int bad = 0, cases = 0;
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++)
            for (int size = 1; size <= 5; size++) {
                const int64_t n = ns[a];
                const int B = batches[b];
                int64_t at = 0, most = 0, least = INT64_MAX;
                for (int r = 0; r < size; r++) {
                    int64_t lo, hi;
                    sekit_dist_range_batches(&(struct sekit_dist){r, size}, n, B, &lo, &hi);
                    const int64_t nb = (hi - lo + B - 1) / B;
                    if (lo != at || hi < lo || (lo % B && lo != n) || (hi % B && hi != n)) {
                        if (!bad)
                            diag("n %lld, batch %d, %d ranks: rank %d has [%lld, %lld) after %lld",
                                 (long long)n, B, size, r, (long long)lo, (long long)hi,
                                 (long long)at);
                        bad++;
                    }
                    at = hi;
                    most = nb > most ? nb : most;
                    least = nb < least ? nb : least;
                }
                bad += at != n || most - least > 1;
                cases++;
            }
    ok(!bad, "sekit_dist_range_batches: %d cases of rows, batch and ranks split in whole batches",
       cases);
}

static void bad_input(void)
{
    char prefix[700], cmd[3000], p[760];
    int lines;
    snprintf(prefix, sizeof prefix, "%s/bad", tap_tmpdir());
    snprintf(p, sizeof p, "%s.h5", prefix);
    struct {
        const char *what, *args, *needle;
    } cases[] = {
        {"unknown block in --drop", "--drop SE_2_1,SE_7_7", "SE_4_2"},
        {"unknown preset", "--variants single,first", "cumulative"},
        {"unknown mode", "--mode average", "--mode"},
        {"--means file that is not a recording", "--mode mean --means /nonexistent.h5",
         "/nonexistent.h5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "ablate --model '%s' --data '%s' --out '%s' --quiet %s", model,
                 data, prefix, cases[i].args);
        int st = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(st, lines, cases[i].needle, p),
           "%s: exit %d, one line, nothing written", cases[i].what, st);
    }
}

/* The closing line: variants, images, seconds and images x variants / seconds. */
static void closing_line(void)
{
    char prefix[700], cmd[3000];
    int lines;
    snprintf(prefix, sizeof prefix, "%s/said", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "ablate --model '%s' --data '%s' --out '%s' --variants single", model,
             data, prefix);
    if (!is_int(fixture_run(cmd, &lines), 0, "sekit ablate --variants single")) {
        diag("%s", fixture_stderr());
        return;
    }
    /* the closing line, after the progress lines */
    const char *err = fixture_stderr(), *at = strstr(err, " variants, ");
    while (at && at > err && at[-1] != '\n')
        at--;
    int nv = 0, nimg = 0, used = 0;
    double secs = 0, rate = 0;
    char tail[800];
    if (at)
        sscanf(at, "sekit ablate: %d variants, %d images in %lf s: %lf image-variants/s -> %n", &nv,
               &nimg, &secs, &rate, &used);
    snprintf(tail, sizeof tail, "%s.{csv,md,h5,png}\n", prefix);
    ok(used > 0 && nv == 7 && nimg == NIMG && rate > 0 && strcmp(at + used, tail) == 0,
       "the closing line: 7 variants, %d images, %g s, %g image-variants/s, the files", nimg, secs,
       rate);
    /* the seconds are printed to 0.1 s, so the true time lies within 0.05 s of secs, and the
     * rate agrees with secs within 0.05 / (the least true time) */
    ok(secs <= 0.1 || fabs(rate * secs / (NIMG * 7.0) - 1) <= 0.05 / (secs - 0.05) + 1e-3,
       "%g image-variants/s agrees with %d x 7 / %g s", rate, NIMG, secs);
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --quiet");
    const int st = fixture_run(cmd, &lines);
    ok(st == 0 && lines == 0, "--quiet: no line (%d)", lines);
}

/* Freezing an SE block at a constant gate g is the network without that SE block whose BatchNorm
 * before the gate has its weight and bias multiplied by g: (x - mu) / sigma * w * g + b * g. The
 * last stage's blocks are frozen at their mean gates over a batch; the same weight file with that
 * fold applied to its tensors, run with those blocks removed, must give the same logits. Remove
 * mode on the unfolded file (gate := 1) is another network, and must not. */
#define FOLD_TOL 1e-4 /* of the largest logit magnitude: float rounding of the folded products */

static unsigned char *fold_last_stage(struct sekit_model *m, const float *const *gate, size_t *len)
{
    unsigned char *b = fixture_slurp(model, len);
    const uint64_t hl = b ? fixture_st_header_len(b, *len) : 0;
    json_t *h = hl ? json_loadb((const char *)b + 8, hl, 0, NULL) : NULL;
    const int nse = sekit_model_se_count(m);
    const int last = sekit_model_se_info(m, nse - 1)->stage;
    int folded = 0;
    for (int i = 0; h && i < nse; i++) {
        const struct sekit_se_info *si = sekit_model_se_info(m, i);
        if (si->stage != last) continue;
        /* the block's last BatchNorm (bn2 of a basic block, bn3 of a bottleneck) precedes the
         * gate: module "layerX.Y.se" -> "layerX.Y.bnK" */
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(si->module) - 3), si->module);
        for (int k = 9; k >= 1; k--) {
            char wn[96], bn[96];
            snprintf(wn, sizeof wn, "%s.bn%d.weight", prefix, k);
            snprintf(bn, sizeof bn, "%s.bn%d.bias", prefix, k);
            json_t *tw = json_object_get(h, wn), *tb = json_object_get(h, bn);
            if (!tw || !tb) continue;
            json_t *tt[2] = {tw, tb};
            for (int t = 0; t < 2; t++) {
                const json_int_t off =
                    json_integer_value(json_array_get(json_object_get(tt[t], "data_offsets"), 0));
                float *v = (float *)(b + 8 + hl + off);
                for (int c = 0; c < si->channels; c++)
                    v[c] *= gate[i][c];
            }
            folded++;
            break;
        }
    }
    json_decref(h);
    if (!folded) free(b), b = NULL;
    return b;
}

static void fold_into_bn(void)
{
    enum { N = 8 };
    struct sekit_err e = {0};
    struct sekit_model *m = NULL, *f = NULL;
    static float x[N * 784], fixed[N * K], fold[N * K], removed[N * K];
    uint64_t r = 12345;
    for (int i = 0; i < N * 784; i++) {
        r = r * 6364136223846793005u + 1442695040888963407u;
        x[i] = (float)((double)(r >> 11) / 9007199254740992.0 * 4 - 2);
    }
    char path[700];
    snprintf(path, sizeof path, "%s/folded.safetensors", tap_tmpdir());
    int rc = sekit_model_load(&m, model, &e);
    if (!rc) rc = sekit_model_set_backend(m, (enum sekit_backend)backend, &e);
    if (!rc) rc = sekit_model_prepare(m, N, 28, 28, &e);
    if (rc) {
        ok(0, "fold: the model loads (%s)", e.msg);
        sekit_model_free(m);
        return;
    }
    const int nse = sekit_model_se_count(m);
    const int last = sekit_model_se_info(m, nse - 1)->stage;
    sekit_model_forward(m, x, N, fixed);
    float *gate[64] = {0};
    for (int i = 0; i < nse && i < 64; i++) {
        const int C = sekit_model_se_info(m, i)->channels;
        gate[i] = calloc((size_t)C, sizeof(float));
        const float *g = sekit_model_gate(m, i);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                gate[i][c] += g[n * C + c] / N;
    }
    for (int i = 0; i < nse; i++)
        if (sekit_model_se_info(m, i)->stage == last)
            sekit_model_se_set(m, i, SEKIT_SE_FIXED, gate[i]);
    sekit_model_forward(m, x, N, fixed);
    for (int i = 0; i < nse; i++)
        if (sekit_model_se_info(m, i)->stage == last)
            sekit_model_se_set(m, i, SEKIT_SE_REMOVED, NULL);
    sekit_model_forward(m, x, N, removed);
    size_t len = 0;
    unsigned char *b = fold_last_stage(m, (const float *const *)gate, &len);
    rc = b && fixture_spit(path, b, len) ? sekit_model_load(&f, path, &e) : -1;
    if (!rc) rc = sekit_model_set_backend(f, (enum sekit_backend)backend, &e);
    if (!rc) rc = sekit_model_prepare(f, N, 28, 28, &e);
    if (!ok(rc == 0, "fold: the last stage's BatchNorms folded with the mean gates load")) {
        diag("%s", b ? e.msg : "no BatchNorm before a last-stage gate found");
    } else {
        for (int i = 0; i < nse; i++)
            if (sekit_model_se_info(m, i)->stage == last)
                sekit_model_se_set(f, i, SEKIT_SE_REMOVED, NULL);
        sekit_model_forward(f, x, N, fold);
        double big = 0, diff = 0, rdiff = 0;
        for (int j = 0; j < N * K; j++) {
            big = fmax(big, fabs(fixed[j]));
            diff = fmax(diff, fabs(fold[j] - fixed[j]));
            rdiff = fmax(rdiff, fabs(removed[j] - fixed[j]));
        }
        ok(diff <= FOLD_TOL * big,
           "fold: mean-frozen last stage = its gates folded into BatchNorm, SE removed: largest "
           "logit difference %.3g (tolerance %.3g)",
           diff, FOLD_TOL * big);
        ok(rdiff > 100 * FOLD_TOL * big,
           "fold: gate := 1 instead of the mean gates is another network (logits differ by %.3g)",
           rdiff);
    }
    for (int i = 0; i < nse && i < 64; i++)
        free(gate[i]);
    free(b);
    unlink(path);
    sekit_model_free(f);
    sekit_model_free(m);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(NIMG));
    /* every check on each backend: the engine side directly, sekit ablate through SEKIT_BACKEND */
    for (backend = 0; backend <= SEKIT_BACKEND_ONEDNN; backend++) {
        if (!sekit_backend_available((enum sekit_backend)backend)) continue;
        diag("the %s backend", sekit_backend_name((enum sekit_backend)backend));
        setenv("SEKIT_BACKEND", sekit_backend_name((enum sekit_backend)backend), 1);
        struct engine g;
        if (engine_open(&g)) {
            remove_mode(&g);
            mean_mode(&g);
            gate_means(&g);
            round_trip(&g);
            fold_into_bn();
        } else {
            ok(0, "the engine opens the model and the dataset");
        }
        engine_close(&g);
    }
    unsetenv("SEKIT_BACKEND");
    bootstrap_brute();
    bootstrap_exact();
    mcnemar_exact();
    range_batches();
    bad_input();
    closing_line();
    return tap_done();
}
