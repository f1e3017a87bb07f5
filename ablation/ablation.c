/*
 * ablation.c -- variants, their cost accounting, tallies and output files. See ablation.h.
 */
#include "ablation.h"
#include "../recording/formats.h"
#include "../recording/h5io.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double sekit_ablation_se_flops(const struct sekit_model *m, int i, enum sekit_ablation_mode mode)
{
    const struct sekit_se_info *s = sekit_model_se_info(m, i);
    int h, w;
    sekit_model_block_hw(m, i, &h, &w);
    double fc = 4.0 * s->channels * s->reduced, hw = (double)s->channels * h * w;
    return mode == SEKIT_ABLATE_REMOVE ? fc + 2 * hw : fc + hw;
}

void sekit_ablation_free(struct sekit_variant *v, int n)
{
    for (int i = 0; v && i < n; i++) {
        free(v[i].blocks);
        free(v[i].n);
        free(v[i].top1);
        free(v[i].top5);
        free(v[i].label);
        free(v[i].hit);
    }
    free(v);
}

struct vlist {
    struct sekit_variant *v;
    int n;
};

/* v->name := name, tagged " [mean]" when v ablates blocks in mean mode. */
static void set_name(struct sekit_variant *v, const char *name)
{
    snprintf(v->name, sizeof v->name, "%.80s%s", name,
             v->nblocks == 0                ? ""
             : v->mode == SEKIT_ABLATE_MEAN ? " [mean]"
                                            : "");
}

/* alias: when the set is already there under another name, that name gains " = alias", so that
 * a reader looking for it (e.g. "last two blocks") sees it whichever preset came first. */
static int add(struct vlist *l, const struct sekit_model *m, const char *name, const int *blocks,
               int nb, enum sekit_ablation_mode mode, const char *alias)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i].mode == mode && l->v[i].nblocks == nb &&
            memcmp(l->v[i].blocks, blocks, sizeof(int) * (size_t)nb) == 0) {
            struct sekit_variant *v = &l->v[i];
            if (alias && strcmp(v->name, name) != 0 && !strstr(v->name, alias)) {
                char base[96], merged[96];
                size_t len = strlen(v->name),
                       tag = mode == SEKIT_ABLATE_MEAN ? sizeof " [mean]" - 1 : 0;
                snprintf(base, sizeof base, "%.*s", (int)(len - tag), v->name);
                snprintf(merged, sizeof merged, "%.60s = %s", base, alias);
                set_name(v, merged);
            }
            return SEKIT_OK; /* the same set under another preset name */
        }
    struct sekit_variant *nv = realloc(l->v, sizeof *nv * (size_t)(l->n + 1));
    if (!nv) return SEKIT_ENOMEM;
    l->v = nv;
    struct sekit_variant *v = &l->v[l->n];
    memset(v, 0, sizeof *v);
    const int K = sekit_model_arch(m)->num_classes;
    v->blocks = malloc(sizeof(int) * (size_t)(nb + 1));
    v->n = calloc((size_t)K, sizeof(int64_t));
    v->top1 = calloc((size_t)K, sizeof(int64_t));
    v->top5 = calloc((size_t)K, sizeof(int64_t));
    if (!v->blocks || !v->n || !v->top1 || !v->top5) {
        free(v->blocks), free(v->n), free(v->top1), free(v->top5);
        return SEKIT_ENOMEM;
    }
    l->n++;
    v->mode = mode;
    v->nblocks = nb;
    set_name(v, name);
    memcpy(v->blocks, blocks, sizeof(int) * (size_t)nb);
    for (int j = 0; j < nb; j++) {
        v->se_params += sekit_model_se_info(m, blocks[j])->params;
        v->flops += sekit_ablation_se_flops(m, blocks[j], mode);
    }
    return SEKIT_OK;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int sekit_ablation_variants(const struct sekit_model *m, const char *presets,
                            const char *const *drops, int ndrops, enum sekit_ablation_modes modes,
                            struct sekit_variant **out, int *n, struct sekit_err *e)
{
    *out = NULL;
    *n = 0;
    const int nse = sekit_model_se_count(m);
    struct vlist l = {0};
    int *set = malloc(sizeof(int) * (size_t)(nse + 1)), rc = SEKIT_OK;
    if (!set) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (add(&l, m, "full model", set, 0, SEKIT_ABLATE_REMOVE, NULL)) goto oom;
    const int last_stage = sekit_model_se_info(m, nse - 1)->stage;
    for (int mode = SEKIT_ABLATE_REMOVE; mode <= SEKIT_ABLATE_MEAN; mode++) {
        char *copy = strdup(presets ? presets : ""), *save = NULL;
        if (!copy) goto oom;
        for (char *p = strtok_r(copy, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
            char name[96];
            /* "remove:" or "mean:" runs that preset in that mode alone, whatever the modes */
            const int only = strncmp(p, "remove:", 7) == 0 ? SEKIT_ABLATE_REMOVE
                             : strncmp(p, "mean:", 5) == 0 ? SEKIT_ABLATE_MEAN
                                                           : -1;
            if (only >= 0) p = strchr(p, ':') + 1;
            if (only >= 0 ? only != mode : !(modes & (1 << mode))) continue;
            if (strcmp(p, "single") == 0) {
                for (int i = 0; i < nse && !rc; i++) {
                    snprintf(name, sizeof name, "%s", sekit_model_se_info(m, i)->name);
                    set[0] = i;
                    if (add(&l, m, name, set, 1, mode, NULL)) goto oom;
                }
            } else if (strcmp(p, "stage") == 0 || strcmp(p, "last-stage") == 0) {
                int first_stage = sekit_model_se_info(m, 0)->stage;
                for (int s = strcmp(p, "stage") == 0 ? first_stage : last_stage; s <= last_stage;
                     s++) {
                    int k = 0;
                    for (int i = 0; i < nse; i++)
                        if (sekit_model_se_info(m, i)->stage == s) set[k++] = i;
                    if (s == last_stage)
                        snprintf(name, sizeof name, "stage %d (last; paper Sec. 4)", s);
                    else
                        snprintf(name, sizeof name, "stage %d", s);
                    if (k && add(&l, m, name, set, k, mode, NULL)) goto oom;
                }
            } else if (strcmp(p, "cumulative") == 0) {
                for (int k = 1; k <= nse; k++) {
                    for (int j = 0; j < k; j++)
                        set[j] = nse - k + j;
                    snprintf(name, sizeof name, "last %d block%s (from %s)", k, k > 1 ? "s" : "",
                             sekit_model_se_info(m, nse - k)->name);
                    if (add(&l, m, name, set, k, mode, NULL)) goto oom;
                }
            } else if (strcmp(p, "last-two") == 0) {
                if (nse < 2) {
                    rc = sekit_errf(e, SEKIT_EINVAL,
                                    "preset last-two: the model has %d SE block%s, not two", nse,
                                    nse == 1 ? "" : "s");
                    break;
                }
                set[0] = nse - 2, set[1] = nse - 1;
                snprintf(name, sizeof name, "last two blocks (%s, %s)",
                         sekit_model_se_info(m, nse - 2)->name,
                         sekit_model_se_info(m, nse - 1)->name);
                if (add(&l, m, name, set, 2, mode, "last two blocks")) goto oom;
            } else if (strcmp(p, "all") == 0) {
                for (int i = 0; i < nse; i++)
                    set[i] = i;
                if (add(&l, m, "all SE blocks", set, nse, mode, NULL)) goto oom;
            } else {
                rc = sekit_errf(e, SEKIT_EINVAL,
                                "unknown ablation preset '%s' (single, stage, last-stage, "
                                "last-two, cumulative, all; each may be prefixed remove: or "
                                "mean:)",
                                p);
            }
        }
        free(copy);
        for (int d = 0; d < ndrops && !rc && (modes & (1 << mode)); d++) {
            char *dc = strdup(drops[d]), *sv = NULL;
            if (!dc) goto oom;
            int k = 0;
            for (char *t = strtok_r(dc, ",", &sv); t && !rc; t = strtok_r(NULL, ",", &sv)) {
                int i = sekit_model_se_find(m, t);
                if (i < 0) {
                    char list[2048];
                    rc = sekit_errf(e, SEKIT_EINVAL, "--drop: no SE block '%.64s' (blocks: %s)", t,
                                    sekit_model_se_names(m, list, sizeof list));
                    break;
                }
                int dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= set[j] == i;
                if (!dup) set[k++] = i;
            }
            free(dc);
            if (!rc && k == 0) rc = sekit_errf(e, SEKIT_EINVAL, "empty --drop");
            if (!rc) {
                qsort(set, (size_t)k, sizeof *set, cmp_int);
                if (add(&l, m, drops[d], set, k, mode, NULL)) goto oom;
            }
        }
    }
    free(set);
    if (rc) {
        sekit_ablation_free(l.v, l.n);
        return rc;
    }
    if (l.n < 2) {
        sekit_ablation_free(l.v, l.n);
        return sekit_errf(e, SEKIT_EINVAL, "no ablation variant (give --preset or --drop)");
    }
    *out = l.v;
    *n = l.n;
    return SEKIT_OK;
oom:
    free(set);
    sekit_ablation_free(l.v, l.n);
    return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
}

int sekit_ablation_reserve(struct sekit_variant *v, int n, int64_t nimg, struct sekit_err *e)
{
    for (int i = 0; i < n; i++) {
        if (v[i].cap >= nimg) continue;
        int *label = realloc(v[i].label, sizeof(int) * (size_t)nimg);
        if (label) v[i].label = label;
        unsigned char *hit = realloc(v[i].hit, (size_t)nimg);
        if (hit) v[i].hit = hit;
        if (!label || !hit) return sekit_errf(e, SEKIT_ENOMEM, "out of memory for per-image hits");
        v[i].cap = nimg;
    }
    return SEKIT_OK;
}

void sekit_ablation_tally(struct sekit_variant *v, const float *logits, const int *labels, int nb,
                          int K)
{
    SEKIT_ASSERT(v->nimg + nb <= v->cap);
    /* image by image through the one definition of a hit, reading it back from the counts */
    for (int b = 0; b < nb; b++) {
        const int y = labels[b];
        const int64_t t1 = v->top1[y], t5 = v->top5[y];
        sekit_tally_topk(logits + (size_t)b * K, labels + b, 1, K, K < 5 ? K : 5, v->n, v->top1,
                         v->top5);
        v->label[v->nimg] = y;
        v->hit[v->nimg++] = (unsigned char)((v->top1[y] != t1) | (v->top5[y] != t5) << 1);
    }
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int sekit_ablation_bootstrap(const signed char *const *d, int nd, int64_t n, int B, uint64_t seed,
                             int level, double *lo, double *hi, struct sekit_err *e)
{
    if (B < 1 || level <= 0 || level >= 100 || n < 0)
        return sekit_errf(e, SEKIT_EINVAL, "bootstrap: B %d, level %d%%, n %lld", B, level,
                          (long long)n);
    /* the non-zero differences of each series: a resample's sum needs only them */
    int64_t *nnz = calloc((size_t)nd + 1, sizeof *nnz), total = 0;
    if (!nnz) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int k = 0; k < nd; k++)
        for (int64_t i = 0; i < n; i++) {
            if (d[k][i] < -1 || d[k][i] > 1) {
                free(nnz);
                return sekit_errf(e, SEKIT_EINVAL, "bootstrap: d[%d][%lld] = %d, not -1, 0 or 1", k,
                                  (long long)i, d[k][i]);
            }
            nnz[k] += d[k][i] != 0;
        }
    for (int k = 0; k < nd; k++)
        total += nnz[k];
    int64_t *at = malloc(sizeof(int64_t) * (size_t)(total + 1));
    signed char *val = malloc((size_t)total + 1);
    uint32_t *count = calloc((size_t)n + 1, sizeof *count);
    int64_t *sum = malloc(sizeof(int64_t) * (size_t)B * (size_t)(nd + 1));
    int rc = SEKIT_OK;
    if (!at || !val || !count || !sum) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for the bootstrap");
        goto out;
    }
    for (int k = 0, j = 0; k < nd; k++)
        for (int64_t i = 0; i < n; i++)
            if (d[k][i]) at[j] = i, val[j++] = d[k][i];
    uint64_t state = seed;
    for (int b = 0; b < B; b++) {
        /* how often each image is drawn, then each series' sum over the draws */
        memset(count, 0, sizeof *count * (size_t)n);
        for (int64_t i = 0; i < n; i++)
            count[splitmix64(&state) % (uint64_t)n]++;
        for (int k = 0, j = 0; k < nd; k++) {
            int64_t s = 0;
            for (int64_t end = j + nnz[k]; j < end; j++)
                s += val[j] * (int64_t)count[at[j]];
            sum[(size_t)k * B + b] = s;
        }
    }
    /* ceil(p B) in integers: p = (100 - level) / 200 */
    const int64_t klo = ((int64_t)B * (100 - level) + 199) / 200,
                  khi = ((int64_t)B * (100 + level) + 199) / 200;
    for (int k = 0; k < nd; k++) {
        int64_t *s = sum + (size_t)k * B;
        qsort(s, (size_t)B, sizeof *s, cmp_i64);
        lo[k] = n ? 100.0 * (double)s[klo < 1 ? 0 : klo - 1] / (double)n : 0;
        hi[k] = n ? 100.0 * (double)s[khi > B ? B - 1 : khi - 1] / (double)n : 0;
    }
out:
    free(nnz), free(at), free(val), free(count), free(sum);
    return rc;
}

static double pct(const int64_t *hit, const int64_t *n, const int *classes, int nc)
{
    int64_t h = 0, t = 0;
    for (int i = 0; i < nc; i++)
        h += hit[classes[i]], t += n[classes[i]];
    return t ? 100.0 * (double)h / (double)t : 0;
}

/* Bytes of a row of per-image bits for m images (one at least, so that the dataset stays 2-D). */
static size_t bit_bytes(int64_t m)
{
    return m > 0 ? (size_t)(m + 7) / 8 : 1;
}

double sekit_mcnemar_exact(int64_t lost, int64_t gained)
{
    SEKIT_ASSERT(lost >= 0 && gained >= 0);
    const int64_t n = lost + gained, k = lost < gained ? lost : gained;
    if (n == 0) return 1;
    /* P(X <= k) = sum_i C(n, i) / 2^n: the terms relative to the largest (i = k, as k <= n/2),
     * each from the next by C(n, i - 1) = C(n, i) i / (n - i + 1). The largest, C(n, k) / 2^n:
     * up to 1000 disagreements as a product of k ratios (C(1000, 500) < 2^1000 fits a double),
     * exact to a few roundings; beyond, from lgamma */
    double lead;
    if (n <= 1000) {
        double c = 1;
        for (int64_t i = 1; i <= k; i++)
            c = c * (double)(n - k + i) / (double)i;
        lead = ldexp(c, -(int)n);
    } else {
        lead = exp(lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) -
                   (double)n * log(2.0));
    }
    double sum = 0, term = 1;
    for (int64_t i = k; i >= 0 && term >= 1e-17 * sum; i--) { /* the rest cannot change a double */
        sum += term;
        term *= (double)i / (double)(n - i + 1);
    }
    const double p = 2 * lead * sum;
    return p < 1 ? p : 1;
}

/* ---------------------------------------------------------------------------------------- */
/* the ablation files (docs/record-format.md, "Ablations") */

enum { NCOLS = 13 };
static const char *const col_name[NCOLS] = {"top1",
                                            "top5",
                                            "delta_top1",
                                            "delta_top5",
                                            "se_params_removed",
                                            "share_of_params",
                                            "flops_removed",
                                            "lost_top1",
                                            "gained_top1",
                                            "mcnemar_p_top1",
                                            "lost_top5",
                                            "gained_top5",
                                            "mcnemar_p_top5"};

/* the intervals, stored as [V, 2] datasets: lo, hi of delta_top1, then of delta_top5 */
enum { NCI = 4 };
static const char *const ci_name[2] = {"delta_top1_ci", "delta_top5_ci"};
#define CI_METHOD                                                                                  \
    "paired percentile bootstrap over images (splitmix64 stream, index = draw mod n; bounds the "  \
    "ceil(pB)-th smallest of B resampled deltas, p = (1 - level) / 2 and 1 - p)"

#define BIT_ORDER                                                                                  \
    "image j of image_index is bit j % 8 (least significant first) of byte j / 8 of its "          \
    "variant's row: numpy.unpackbits(row, bitorder='little')[:len(image_index)]"
#define MCNEMAR_METHOD                                                                             \
    "exact two-sided McNemar: p = min(1, 2 P(X <= min(lost, gained))), X ~ Binomial(lost + "       \
    "gained, 1/2)"

/* Columns 0..NCOLS-1 as named in col_name, then the NCI interval bounds. */
static double **table_col(struct sekit_ablation_table *t, int c)
{
    double **f[NCOLS + NCI] = {&t->top1,
                               &t->top5,
                               &t->delta_top1,
                               &t->delta_top5,
                               &t->se_params_removed,
                               &t->share_of_params,
                               &t->flops_removed,
                               &t->lost_top1,
                               &t->gained_top1,
                               &t->p_top1,
                               &t->lost_top5,
                               &t->gained_top5,
                               &t->p_top5,
                               &t->delta_top1_lo,
                               &t->delta_top1_hi,
                               &t->delta_top5_lo,
                               &t->delta_top5_hi};
    return f[c];
}

void sekit_ablation_table_free(struct sekit_ablation_table *t)
{
    if (!t) return;
    sekit_h5_strings_free(t->names, t->n);
    sekit_h5_strings_free(t->block_names, t->nse);
    for (int c = 0; c < NCOLS + NCI; c++)
        free(*table_col(t, c));
    free(t->path), free(t->description), free(t->mode), free(t->block_stage), free(t->dropped);
    free(t->classes), free(t->top1_per_class);
    free(t->image_index), free(t->lost_bits), free(t->gained_bits);
    free(t);
}

static char *dup_or_null(const char *s, int *bad)
{
    char *d = strdup(s);
    *bad |= !d;
    return d;
}

/* The images of the tallies whose label is one of classes, as indices into the per-image
 * hits; SEKIT_EINVAL when the variants' per-image hits do not cover their tallies alike. */
static int table_images(const struct sekit_variant *v, int n, int K, const int *classes,
                        int nclasses, int64_t **out, int64_t *nout, struct sekit_err *e)
{
    for (int i = 0; i < n; i++) {
        int64_t tallied = 0;
        for (int k = 0; k < K; k++)
            tallied += v[i].n[k];
        if (v[i].nimg != tallied || v[i].nimg != v[0].nimg ||
            (v[i].nimg && memcmp(v[i].label, v[0].label, sizeof(int) * (size_t)v[i].nimg)))
            return sekit_errf(e, SEKIT_EINVAL,
                              "variant '%s': %lld per-image hits for %lld tallied images, not "
                              "the full model's %lld images in the same order",
                              v[i].name, (long long)v[i].nimg, (long long)tallied,
                              (long long)v[0].nimg);
    }
    unsigned char *in = calloc((size_t)K + 1, 1);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(v[0].nimg + 1)), m = 0;
    if (!in || !idx) {
        free(in), free(idx);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    for (int c = 0; c < nclasses; c++)
        in[classes[c]] = 1;
    for (int64_t j = 0; j < v[0].nimg; j++)
        if (in[v[0].label[j]]) idx[m++] = j;
    free(in);
    *out = idx;
    *nout = m;
    return SEKIT_OK;
}

/* The paired intervals of every variant's deltas against row 0 over the images idx[0..m), and
 * the images each variant lost and gained, counted and bit by bit, with their McNemar p. */
static int table_intervals(struct sekit_ablation_table *t, const struct sekit_variant *v,
                           const int64_t *idx, int64_t m, struct sekit_err *e)
{
    const int nd = 2 * (t->n - 1);
    signed char **d = calloc((size_t)nd + 1, sizeof *d);
    double *lo = malloc(sizeof(double) * (size_t)(nd + 1)),
           *hi = malloc(sizeof(double) * (size_t)(nd + 1));
    int bad = !d || !lo || !hi;
    for (int k = 0; !bad && k < nd; k++)
        bad = !(d[k] = malloc((size_t)m + 1));
    int rc = bad ? sekit_errf(e, SEKIT_ENOMEM, "out of memory") : SEKIT_OK;
    for (int i = 1; !rc && i < t->n; i++)
        for (int64_t j = 0; j < m; j++) {
            const int h = v[i].hit[idx[j]], f = v[0].hit[idx[j]];
            d[2 * (i - 1)][j] = (signed char)((h & 1) - (f & 1));
            d[2 * (i - 1) + 1][j] = (signed char)((h >> 1 & 1) - (f >> 1 & 1));
        }
    if (!rc)
        rc = sekit_ablation_bootstrap((const signed char *const *)d, nd, m,
                                      SEKIT_ABLATION_CI_RESAMPLES, (uint64_t)SEKIT_ABLATION_CI_SEED,
                                      SEKIT_ABLATION_CI_LEVEL, lo, hi, e);
    for (int i = 0; !rc && i < t->n; i++) {
        const size_t at = (size_t)i * bit_bytes(m);
        int64_t lost[2] = {0, 0}, gained[2] = {0, 0};
        for (int64_t j = 0; i && j < m; j++) {
            const int d1 = d[2 * (i - 1)][j], d5 = d[2 * (i - 1) + 1][j];
            lost[0] += d1 < 0;
            gained[0] += d1 > 0;
            lost[1] += d5 < 0;
            gained[1] += d5 > 0;
            unsigned char *row = d1 < 0 ? t->lost_bits : d1 > 0 ? t->gained_bits : NULL;
            if (row) row[at + (size_t)(j / 8)] |= (unsigned char)(1 << j % 8);
        }
        t->lost_top1[i] = (double)lost[0], t->gained_top1[i] = (double)gained[0];
        t->lost_top5[i] = (double)lost[1], t->gained_top5[i] = (double)gained[1];
        t->p_top1[i] = sekit_mcnemar_exact(lost[0], gained[0]);
        t->p_top5[i] = sekit_mcnemar_exact(lost[1], gained[1]);
        t->delta_top1_lo[i] = i ? lo[2 * (i - 1)] : 0;
        t->delta_top1_hi[i] = i ? hi[2 * (i - 1)] : 0;
        t->delta_top5_lo[i] = i ? lo[2 * (i - 1) + 1] : 0;
        t->delta_top5_hi[i] = i ? hi[2 * (i - 1) + 1] : 0;
    }
    for (int k = 0; d && k < nd; k++)
        free(d[k]);
    free(d), free(lo), free(hi);
    return rc;
}

/* The table the three files show, from the tallies. */
static int build_table(struct sekit_ablation_table **out, const struct sekit_variant *v, int n,
                       const struct sekit_model *m, const int *classes, int nclasses,
                       const int64_t *image_index, const char *what, struct sekit_err *e)
{
    *out = NULL;
    const int K = sekit_model_arch(m)->num_classes;
    int64_t *idx = NULL, nimg = 0;
    int rc = table_images(v, n, K, classes, nclasses, &idx, &nimg, e);
    if (rc) return rc;
    struct sekit_ablation_table *t = calloc(1, sizeof *t);
    if (!t) {
        free(idx);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    const int nse = sekit_model_se_count(m);
    int bad = 0;
    t->n = n;
    t->nse = nse;
    t->nclasses = nclasses;
    t->total_params = sekit_model_params(m);
    t->ci_resamples = SEKIT_ABLATION_CI_RESAMPLES;
    t->ci_seed = SEKIT_ABLATION_CI_SEED;
    t->ci_level = SEKIT_ABLATION_CI_LEVEL;
    t->description = dup_or_null(what, &bad);
    t->names = calloc((size_t)n, sizeof *t->names);
    t->mode = malloc(sizeof(int) * (size_t)n);
    t->block_names = calloc((size_t)nse, sizeof *t->block_names);
    t->block_stage = malloc(sizeof(int) * (size_t)nse);
    t->dropped = calloc((size_t)n * (size_t)nse, 1);
    t->classes = malloc(sizeof(int) * (size_t)(nclasses + 1));
    t->top1_per_class = malloc(sizeof(double) * ((size_t)n * (size_t)nclasses + 1));
    t->nimages = nimg;
    t->image_index = malloc(sizeof(int64_t) * (size_t)(nimg + 1));
    t->lost_bits = calloc((size_t)n * bit_bytes(nimg), 1);
    t->gained_bits = calloc((size_t)n * bit_bytes(nimg), 1);
    bad |= !t->image_index || !t->lost_bits || !t->gained_bits;
    for (int64_t j = 0; !bad && j < nimg; j++)
        t->image_index[j] = image_index[idx[j]];
    for (int c = 0; c < NCOLS + NCI; c++)
        bad |= !(*table_col(t, c) = malloc(sizeof(double) * (size_t)n));
    if (bad || !t->names || !t->mode || !t->block_names || !t->block_stage || !t->dropped ||
        !t->classes || !t->top1_per_class) {
        sekit_ablation_table_free(t);
        free(idx);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    memcpy(t->classes, classes, sizeof(int) * (size_t)nclasses);
    for (int j = 0; j < nse; j++) {
        t->block_names[j] = dup_or_null(sekit_model_se_info(m, j)->name, &bad);
        t->block_stage[j] = sekit_model_se_info(m, j)->stage;
    }
    const double base1 = pct(v[0].top1, v[0].n, classes, nclasses),
                 base5 = pct(v[0].top5, v[0].n, classes, nclasses);
    for (int i = 0; i < n; i++) {
        t->names[i] = dup_or_null(v[i].name, &bad);
        t->mode[i] = v[i].nblocks ? (int)v[i].mode : -1;
        for (int j = 0; j < v[i].nblocks; j++)
            t->dropped[(size_t)i * nse + v[i].blocks[j]] = 1;
        t->top1[i] = pct(v[i].top1, v[i].n, classes, nclasses);
        t->top5[i] = pct(v[i].top5, v[i].n, classes, nclasses);
        t->delta_top1[i] = t->top1[i] - base1;
        t->delta_top5[i] = t->top5[i] - base5;
        t->se_params_removed[i] = (double)v[i].se_params;
        t->share_of_params[i] = (double)v[i].se_params / (double)t->total_params;
        t->flops_removed[i] = v[i].flops;
        for (int c = 0; c < nclasses; c++) {
            int k = classes[c];
            t->top1_per_class[(size_t)i * nclasses + c] =
                v[i].n[k] ? 100.0 * (double)v[i].top1[k] / (double)v[i].n[k] : 0;
        }
    }
    rc = bad ? sekit_errf(e, SEKIT_ENOMEM, "out of memory") : table_intervals(t, v, idx, nimg, e);
    free(idx);
    if (rc) {
        sekit_ablation_table_free(t);
        return rc;
    }
    *out = t;
    return SEKIT_OK;
}

static const char *mode_name(const struct sekit_ablation_table *t, int i)
{
    return t->mode[i] < 0 ? "-" : t->mode[i] == SEKIT_ABLATE_MEAN ? "mean" : "remove";
}

static void write_csv(FILE *fp, const struct sekit_ablation_table *t, char *const *class_names)
{
    fprintf(fp, "variant,mode,blocks,top1,top5,delta_top1,delta_top5,delta_top1_lo,delta_top1_hi,"
                "delta_top5_lo,delta_top5_hi,lost_top1,gained_top1,mcnemar_p_top1,lost_top5,"
                "gained_top5,mcnemar_p_top5,se_params_removed,share_of_params,"
                "flops_removed_per_image");
    for (int c = 0; c < t->nclasses; c++)
        fprintf(fp, ",\"top1 %s\"", class_names[t->classes[c]]);
    fputc('\n', fp);
    for (int i = 0; i < t->n; i++) {
        fprintf(fp, "\"%s\",%s,\"", t->names[i], mode_name(t, i));
        for (int j = 0, k = 0; j < t->nse; j++)
            if (t->dropped[(size_t)i * t->nse + j])
                fprintf(fp, "%s%s", k++ ? " " : "", t->block_names[j]);
        fprintf(
            fp,
            "\",%.2f,%.2f,%+.2f,%+.2f,%+.2f,%+.2f,%+.2f,%+.2f,%.0f,%.0f,%.4g,%.0f,%.0f,%.4g,%.0f,"
            "%.4f,%.0f",
            t->top1[i], t->top5[i], t->delta_top1[i], t->delta_top5[i], t->delta_top1_lo[i],
            t->delta_top1_hi[i], t->delta_top5_lo[i], t->delta_top5_hi[i], t->lost_top1[i],
            t->gained_top1[i], t->p_top1[i], t->lost_top5[i], t->gained_top5[i], t->p_top5[i],
            t->se_params_removed[i], t->share_of_params[i], t->flops_removed[i]);
        for (int c = 0; c < t->nclasses; c++)
            fprintf(fp, ",%.2f", t->top1_per_class[(size_t)i * t->nclasses + c]);
        fputc('\n', fp);
    }
}

static void write_md(FILE *fp, const struct sekit_ablation_table *t)
{
    fprintf(fp, "| variant | mode | top-1 | top-5 | \xce\x94 top-1 | \xce\x94 top-5 | top-1 "
                "lost / gained, McNemar p | SE params removed | share of params | SE FLOPs "
                "removed / image |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < t->n; i++) {
        char d1[64] = "+0.00", d5[64] = "+0.00", ch[64] = "-"; /* row 0, the reference itself */
        if (i) {
            snprintf(ch, sizeof ch, "%.0f / %.0f, p = %.2g", t->lost_top1[i], t->gained_top1[i],
                     t->p_top1[i]);
            snprintf(d1, sizeof d1, "%+.2f [%+.2f, %+.2f]", t->delta_top1[i], t->delta_top1_lo[i],
                     t->delta_top1_hi[i]);
            snprintf(d5, sizeof d5, "%+.2f [%+.2f, %+.2f]", t->delta_top5[i], t->delta_top5_lo[i],
                     t->delta_top5_hi[i]);
        }
        fprintf(fp, "| %s | %s | %.2f | %.2f | %s | %s | %s | %.0f | %.2f%% | %.0f |\n",
                t->names[i], mode_name(t, i), t->top1[i], t->top5[i], d1, d5, ch,
                t->se_params_removed[i], 100.0 * t->share_of_params[i], t->flops_removed[i]);
    }
    fprintf(fp,
            "\n%s. Total parameters %lld. \xce\x94 against the full model (%.2f top-1, "
            "%.2f top-5), in brackets its paired %d%% interval (percentile bootstrap over the "
            "images, %d resamples, seed %lld). Lost / gained: the images the variant gets wrong "
            "that the full model gets right, and the reverse; p: the exact two-sided McNemar "
            "test of those counts.\n",
            t->description, (long long)t->total_params, t->top1[0], t->top5[0], t->ci_level,
            t->ci_resamples, (long long)t->ci_seed);
}

/* Writes the table into the open file f, every axis along a scale of /ablation (variant and
 * block names, the evaluated classes' names, the interval bounds, the model's classes); K model
 * classes named class_names; -1 on an HDF5 failure. */
static int write_h5(hid_t f, const struct sekit_ablation_table *t, char *const *class_names, int K)
{
    hid_t g = H5Gcreate2(f, "ablation", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t n = (hsize_t)t->n, nse = (hsize_t)t->nse, nc = (hsize_t)t->nclasses;
    const int64_t fv = SEKIT_ABLATION_FORMAT_VERSION;
    static const char *const bound_name[2] = {"lo", "hi"};
    const char **labels = malloc(sizeof *labels * (nc + 1));
    for (hsize_t c = 0; labels && c < nc; c++)
        labels[c] = class_names[t->classes[c]];
    hid_t var = -1, blk = -1, lab = -1, bnd = -1, mc = -1, img = -1, byt = -1;
    int bad =
        g < 0 || !labels ||
        (var = sekit_h5_str_scale(g, "variant", (const char *const *)t->names, n)) < 0 ||
        (blk = sekit_h5_str_scale(g, "block", (const char *const *)t->block_names, nse)) < 0 ||
        (lab = sekit_h5_str_scale(g, "label", labels, nc)) < 0 ||
        (bnd = sekit_h5_str_scale(g, "bound", bound_name, 2)) < 0 ||
        (mc = sekit_h5_scale(g, "model_class", (hsize_t)K, 1 << 16)) < 0 ||
        sekit_h5_write(g, "mode", H5T_STD_I32LE, H5T_NATIVE_INT, n, 0, t->mode) ||
        sekit_h5_attach(g, "mode", var, -1) ||
        sekit_h5_write(g, "dropped", H5T_STD_I8LE, H5T_NATIVE_UCHAR, n, nse, t->dropped) ||
        sekit_h5_attach(g, "dropped", var, blk) ||
        sekit_h5_write(g, "block_stage", H5T_STD_I32LE, H5T_NATIVE_INT, nse, 0, t->block_stage) ||
        sekit_h5_attach(g, "block_stage", blk, -1) ||
        sekit_h5_write(g, "classes", H5T_STD_I32LE, H5T_NATIVE_INT, nc, 0, t->classes) ||
        sekit_h5_attach(g, "classes", lab, -1) ||
        sekit_h5_write_strings(g, "class_names", (const char *const *)class_names, (hsize_t)K) ||
        sekit_h5_attach(g, "class_names", mc, -1) ||
        sekit_h5_write(g, "top1_per_class", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, nc,
                       t->top1_per_class) ||
        sekit_h5_attach(g, "top1_per_class", var, lab) ||
        /* the images' axis is named by their dataset rows; the packed bits' by byte number */
        sekit_h5_write(g, "image_index", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)t->nimages, 0,
                       t->image_index) ||
        (img = H5Dopen2(g, "image_index", H5P_DEFAULT)) < 0 ||
        H5DSset_scale(img, "image_index") < 0 ||
        (byt = sekit_h5_scale(g, "image_byte", bit_bytes(t->nimages), 1 << 16)) < 0 ||
        sekit_h5_write(g, "top1_lost", H5T_STD_U8LE, H5T_NATIVE_UCHAR, n, bit_bytes(t->nimages),
                       t->lost_bits) ||
        sekit_h5_attach(g, "top1_lost", var, byt) ||
        sekit_h5_write(g, "top1_gained", H5T_STD_U8LE, H5T_NATIVE_UCHAR, n, bit_bytes(t->nimages),
                       t->gained_bits) ||
        sekit_h5_attach(g, "top1_gained", var, byt) ||
        sekit_h5_attr_str(g, "bit_order", BIT_ORDER) ||
        sekit_h5_attr_str(g, "mcnemar_method", MCNEMAR_METHOD) ||
        sekit_h5_attr_str(g, "description", t->description) ||
        sekit_h5_attr_i64(g, "total_params", &t->total_params, 0) ||
        sekit_h5_attr_i64(f, "ablation_format_version", &fv, 0);
    for (int c = 0; !bad && c < NCOLS; c++)
        bad = sekit_h5_write(g, col_name[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, 0,
                             *table_col((struct sekit_ablation_table *)t, c)) ||
              sekit_h5_attach(g, col_name[c], var, -1);
    const int64_t B = t->ci_resamples, level = t->ci_level;
    double *ci = bad ? NULL : malloc(sizeof(double) * 2 * n);
    bad = bad || !ci || sekit_h5_attr_str(g, "ci_method", CI_METHOD) ||
          sekit_h5_attr_i64(g, "ci_resamples", &B, 0) ||
          sekit_h5_attr_i64(g, "ci_seed", &t->ci_seed, 0) ||
          sekit_h5_attr_i64(g, "ci_level_percent", &level, 0);
    for (int k = 0; !bad && k < 2; k++) {
        const double *lo = k ? t->delta_top5_lo : t->delta_top1_lo,
                     *hi = k ? t->delta_top5_hi : t->delta_top1_hi;
        for (hsize_t i = 0; i < n; i++)
            ci[2 * i] = lo[i], ci[2 * i + 1] = hi[i];
        bad = sekit_h5_write(g, ci_name[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, 2, ci) ||
              sekit_h5_attach(g, ci_name[k], var, bnd);
    }
    free(ci);
    free(labels);
    hid_t ids[7] = {var, blk, lab, bnd, mc, img, byt};
    for (int i = 0; i < 7; i++)
        if (ids[i] >= 0) H5Dclose(ids[i]);
    if (g >= 0) H5Gclose(g);
    return bad ? -1 : 0;
}

int sekit_ablation_write(const char *prefix, const struct sekit_variant *v, int n,
                         const struct sekit_model *m, char *const *class_names, const int *classes,
                         int nclasses, const int64_t *image_index, const char *what,
                         struct sekit_err *e)
{
    char path[3][PATH_MAX];
    const char *ext[3] = {".csv", ".md", ".h5"};
    for (int i = 0; i < 3; i++)
        if ((size_t)snprintf(path[i], sizeof path[i], "%s%s", prefix, ext[i]) >= sizeof path[i])
            return sekit_errf(e, SEKIT_EINVAL, "%s: path too long", prefix);
    struct sekit_ablation_table *t;
    int rc = build_table(&t, v, n, m, classes, nclasses, image_index, what, e);
    if (rc) return rc;
    struct sekit_text_out csv = {0}, md = {0};
    struct sekit_h5_out h = {.f = -1};
    rc = sekit_text_create(&csv, path[0], e);
    if (!rc) write_csv(csv.fp, t, class_names);
    rc = sekit_text_close(&csv, rc, e);
    if (!rc && !(rc = sekit_text_create(&md, path[1], e))) write_md(md.fp, t);
    rc = sekit_text_close(&md, rc, e);
    if (!rc && !(rc = sekit_h5_create(&h, path[2], "the ablation table", e)) &&
        write_h5(h.f, t, class_names, sekit_model_arch(m)->num_classes))
        rc = sekit_h5_write_failed(&h, e);
    rc = sekit_h5_close(&h, rc, e);
    sekit_ablation_table_free(t);
    const char *tmp[3] = {csv.tmp, md.tmp, h.tmp};
    for (int i = 0; !rc && i < 3; i++)
        if ((rc = sekit_publish(tmp[i], path[i], e)))
            for (int j = 0; j < 3; j++) /* nothing that looks complete */
                unlink(j < i ? path[j] : tmp[j]);
    if (rc)
        for (int i = 0; i < 3; i++)
            unlink(tmp[i]);
    return rc;
}

/* The count of set bits in row[0..bytes), and whether a bit past image m - 1 is set. */
static int64_t popcount_row(const unsigned char *row, size_t bytes, int64_t m, int *past)
{
    int64_t c = 0;
    for (size_t b = 0; b < bytes; b++)
        for (int k = 0; k < 8; k++)
            if (row[b] >> k & 1) {
                c++;
                if ((int64_t)(8 * b + (size_t)k) >= m) *past = 1;
            }
    return c;
}

/* The evaluated images and each variant's changes against the full model: counts that are
 * whole numbers within the images, lost + gained no more than them, p-values in [0, 1] equal to
 * the counts' own McNemar p (to 1e-9 relative), and bit rows whose counts are the top-1
 * counts, with no bit past the last image; row 0 changes nothing. */
static int read_changes(hid_t f, const char *path, struct sekit_ablation_table *t,
                        struct sekit_err *e)
{
    int64_t nd[2] = {-1, 0};
    int rc = sekit_h5_read(f, path, "/ablation/image_index", SEKIT_H5_INT, H5T_NATIVE_INT64, 1, nd,
                           (void **)&t->image_index, e);
    if (rc) return rc;
    t->nimages = nd[0];
    for (int64_t j = 0; j < t->nimages; j++)
        if (t->image_index[j] < 0)
            return sekit_errf(e, SEKIT_EFORMAT, "%s: /ablation/image_index[%lld] = %lld < 0", path,
                              (long long)j, (long long)t->image_index[j]);
    int64_t bd[2] = {t->n, (int64_t)bit_bytes(t->nimages)};
    if ((rc = sekit_h5_read(f, path, "/ablation/top1_lost", SEKIT_H5_INT, H5T_NATIVE_UCHAR, 2, bd,
                            (void **)&t->lost_bits, e)))
        return rc;
    bd[0] = t->n, bd[1] = (int64_t)bit_bytes(t->nimages);
    if ((rc = sekit_h5_read(f, path, "/ablation/top1_gained", SEKIT_H5_INT, H5T_NATIVE_UCHAR, 2, bd,
                            (void **)&t->gained_bits, e)))
        return rc;
    const double m = (double)t->nimages;
    for (int i = 0; i < t->n; i++) {
        const double l[2] = {t->lost_top1[i], t->lost_top5[i]},
                     g[2] = {t->gained_top1[i], t->gained_top5[i]},
                     p[2] = {t->p_top1[i], t->p_top5[i]};
        for (int k = 0; k < 2; k++) {
            /* written as !(ok) so that NaN fails too */
            if (!(l[k] >= 0 && g[k] >= 0 && l[k] + g[k] <= m && l[k] == floor(l[k]) &&
                  g[k] == floor(g[k])) ||
                (i == 0 && (l[k] != 0 || g[k] != 0)))
                return sekit_errf(e, SEKIT_EFORMAT,
                                  "%s: variant %d lost %g and gained %g top-%d images of %lld",
                                  path, i, l[k], g[k], k ? 5 : 1, (long long)t->nimages);
            const double want = sekit_mcnemar_exact((int64_t)l[k], (int64_t)g[k]);
            if (!(fabs(p[k] - want) <= 1e-9 * want))
                return sekit_errf(e, SEKIT_EFORMAT,
                                  "%s: /ablation/mcnemar_p_top%d[%d] = %g, not the p-value %g of "
                                  "its counts",
                                  path, k ? 5 : 1, i, p[k], want);
        }
        const size_t bytes = bit_bytes(t->nimages);
        int past = 0;
        const int64_t nl = popcount_row(t->lost_bits + (size_t)i * bytes, bytes, t->nimages, &past),
                      ng = popcount_row(t->gained_bits + (size_t)i * bytes, bytes, t->nimages,
                                        &past);
        if (past || (double)nl != l[0] || (double)ng != g[0])
            return sekit_errf(e, SEKIT_EFORMAT,
                              "%s: variant %d's per-image bits (%lld lost, %lld gained%s) do not "
                              "match its counts (%g, %g)",
                              path, i, (long long)nl, (long long)ng,
                              past ? ", bits past the last image" : "", l[0], g[0]);
    }
    return SEKIT_OK;
}

int sekit_ablation_read(struct sekit_ablation_table **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    hid_t f;
    int rc = sekit_h5_open(path, &f, e);
    if (rc) return rc;
    struct sekit_ablation_table *t = calloc(1, sizeof *t);
    int64_t n = -1, nse = -1, nc[2] = {-1, 0}, vd[2], md[2], sd[2];
    int8_t *dropped = NULL;
    if (!t || !(t->path = strdup(path))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sekit_h5_check_version(f, path, "ablation_format_version",
                                     SEKIT_ABLATION_FORMAT_VERSION, "ablation table",
                                     "sekit ablate", e)))
        goto out;
    if (H5LTpath_valid(f, "/ablation", 1) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: no group /ablation", path);
        goto out;
    }
    hid_t g = H5Gopen2(f, "/ablation", H5P_DEFAULT);
    if (g < 0) {
        rc = sekit_h5_fail(e, path, "open /ablation");
        goto out;
    }
    int64_t B = 0, level = 0;
    rc = sekit_h5_attr_read_str(g, path, "/ablation", "description", 1, SEKIT_H5_MAX_STRING,
                                &t->description, e);
    if (!rc)
        rc = sekit_h5_attr_read_i64(g, path, "/ablation", "total_params", 1, &t->total_params, e);
    if (!rc) rc = sekit_h5_attr_read_i64(g, path, "/ablation", "ci_resamples", 1, &B, e);
    if (!rc) rc = sekit_h5_attr_read_i64(g, path, "/ablation", "ci_seed", 1, &t->ci_seed, e);
    if (!rc) rc = sekit_h5_attr_read_i64(g, path, "/ablation", "ci_level_percent", 1, &level, e);
    H5Gclose(g);
    if (!rc && (B < 1 || B > INT_MAX || level <= 0 || level >= 100))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /ablation@ci_resamples %lld, ci_level_percent %lld",
                        path, (long long)B, (long long)level);
    t->ci_resamples = (int)B, t->ci_level = (int)level;
    if (rc) goto out;
    if ((rc = sekit_h5_read_strings(f, path, "/ablation/variant", &n, SEKIT_H5_MAX_STRING,
                                    &t->names, e)) ||
        (rc = sekit_h5_read_strings(f, path, "/ablation/block", &nse, SEKIT_H5_MAX_STRING,
                                    &t->block_names, e)))
        goto out;
    t->n = (int)n;
    t->nse = (int)nse;
    vd[0] = n, vd[1] = 0, sd[0] = nse, sd[1] = 0, md[0] = n, md[1] = nse;
    if ((rc = sekit_h5_read(f, path, "/ablation/mode", SEKIT_H5_INT, H5T_NATIVE_INT, 1, vd,
                            (void **)&t->mode, e)) ||
        (rc = sekit_h5_read(f, path, "/ablation/block_stage", SEKIT_H5_INT, H5T_NATIVE_INT, 1, sd,
                            (void **)&t->block_stage, e)) ||
        (rc = sekit_h5_read(f, path, "/ablation/dropped", SEKIT_H5_INT, H5T_NATIVE_INT8, 2, md,
                            (void **)&dropped, e)) ||
        (rc = sekit_h5_read(f, path, "/ablation/classes", SEKIT_H5_INT, H5T_NATIVE_INT, 1, nc,
                            (void **)&t->classes, e)))
        goto out;
    t->nclasses = (int)nc[0];
    int64_t pd[2] = {n, nc[0]};
    if ((rc = sekit_h5_read(f, path, "/ablation/top1_per_class", SEKIT_H5_FLOAT, H5T_NATIVE_DOUBLE,
                            2, pd, (void **)&t->top1_per_class, e)))
        goto out;
    for (int c = 0; c < NCOLS; c++) {
        char name[64];
        snprintf(name, sizeof name, "/ablation/%s", col_name[c]);
        vd[0] = n, vd[1] = 0;
        if ((rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_DOUBLE, 1, vd,
                                (void **)table_col(t, c), e)))
            goto out;
    }
    for (int k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "/ablation/%s", ci_name[k]);
        int64_t cd[2] = {n, 2};
        double *ci = NULL;
        if ((rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_DOUBLE, 2, cd,
                                (void **)&ci, e)))
            goto out;
        double *lo = malloc(sizeof(double) * (size_t)(n + 1)),
               *hi = malloc(sizeof(double) * (size_t)(n + 1));
        *table_col(t, NCOLS + 2 * k) = lo, *table_col(t, NCOLS + 2 * k + 1) = hi;
        if (!lo || !hi) {
            free(ci);
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            goto out;
        }
        for (int64_t i = 0; i < n; i++) {
            lo[i] = ci[2 * i], hi[i] = ci[2 * i + 1];
            /* written as !(ok) so that NaN fails too */
            if (!(lo[i] <= hi[i] && lo[i] >= -100 && hi[i] <= 100) ||
                (i == 0 && (lo[i] != 0 || hi[i] != 0))) {
                rc = sekit_errf(e, SEKIT_EFORMAT,
                                "%s: %s[%lld] = [%g, %g], not an interval of points%s", path, name,
                                (long long)i, lo[i], hi[i], i ? "" : " (row 0 must be [0, 0])");
                break;
            }
        }
        free(ci);
        if (rc) goto out;
    }
    if (n < 1 || t->mode[0] != -1) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: row 0 of /ablation is not the full model", path);
        goto out;
    }
    t->dropped = malloc((size_t)(n * nse) + 1);
    if (!t->dropped) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    for (int64_t i = 0; i < n; i++) {
        int any = 0;
        for (int64_t j = 0; j < nse; j++) {
            int8_t d = dropped[i * nse + j];
            if (d != 0 && d != 1) {
                rc = sekit_errf(e, SEKIT_EFORMAT,
                                "%s: /ablation/dropped[%lld, %lld] = %d, not 0 "
                                "or 1",
                                path, (long long)i, (long long)j, d);
                goto out;
            }
            t->dropped[i * nse + j] = (unsigned char)d;
            any |= d;
        }
        if (t->mode[i] < -1 || t->mode[i] > 1 || (t->mode[i] == -1) != !any) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: /ablation/mode[%lld] = %d does not fit its dropped row", path,
                            (long long)i, t->mode[i]);
            goto out;
        }
    }
    rc = read_changes(f, path, t, e);
out:
    free(dropped);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc) {
        sekit_ablation_table_free(t);
        return rc;
    }
    *out = t;
    return SEKIT_OK;
}

int sekit_ablation_find(const struct sekit_ablation_table *t, const unsigned char *dropped,
                        int mode)
{
    for (int i = 0; i < t->n; i++)
        if (t->mode[i] == mode && !memcmp(t->dropped + (size_t)i * t->nse, dropped, (size_t)t->nse))
            return i;
    return -1;
}

int sekit_ablation_find_stage(const struct sekit_ablation_table *t, int stage, int mode)
{
    unsigned char *want = malloc((size_t)t->nse + 1);
    if (!want) return -1;
    for (int j = 0; j < t->nse; j++)
        want[j] = t->block_stage[j] == stage;
    int i = sekit_ablation_find(t, want, mode);
    free(want);
    return i;
}

int sekit_ablation_find_last(const struct sekit_ablation_table *t, int k, int mode)
{
    if (k < 1 || k > t->nse) return -1;
    unsigned char *want = malloc((size_t)t->nse + 1);
    if (!want) return -1;
    for (int j = 0; j < t->nse; j++)
        want[j] = j >= t->nse - k;
    int i = sekit_ablation_find(t, want, mode);
    free(want);
    return i;
}
