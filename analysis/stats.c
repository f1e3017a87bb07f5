/*
 * stats.c -- per-class, per-channel statistics of SE gates and the per-block indices of
 * analysis.h, and the statistics file.
 */
#include "analysis.h"
#include "../recording/formats.h"
#include "../recording/h5io.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* numpy's default quantile: linear between order statistics. v sorted, n >= 1. */
static float quantile(const float *v, int64_t n, double q)
{
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    int64_t hi = lo + 1 < n ? lo + 1 : lo;
    double f = pos - (double)lo;
    return (float)(v[lo] + (v[hi] - v[lo]) * f);
}

void sekit_stats_free(struct sekit_block_stats *s)
{
    if (!s) return;
    free(s->classes);
    free(s->count);
    free(s->mean);
    free(s->std);
    free(s->median);
    free(s->q1);
    free(s->q3);
    free(s->all_mean);
    free(s->class_sat);
    memset(s, 0, sizeof *s);
}

/* Nearest-class-mean accuracy on the gate vectors g (n, C), 5-fold cross-validated (see
 * analysis.h), into s->ncm_*. row_class[i]: the index into classes of image i's label, or -1. */
static int ncm_cv(struct sekit_block_stats *s, const float *g, const int *row_class, int64_t n,
                  int C, int K, struct sekit_err *e)
{
    enum { FOLDS = 5 };
    int64_t present = 0, largest = 0;
    for (int k = 0; k < K; k++) {
        present += s->count[k];
        if (s->count[k] > largest) largest = s->count[k];
    }
    s->ncm_chance = present ? (double)largest / (double)present : 0;
    if (present == 0 || K < 2) return SEKIT_OK;
    const double work = (double)present * K * C;
    const int64_t step = work > SEKIT_NCM_MAX_WORK ? (int64_t)ceil(work / SEKIT_NCM_MAX_WORK) : 1;
    double *sum = calloc((size_t)FOLDS * K * C, sizeof(double));
    int64_t *cnt = calloc((size_t)FOLDS * K, sizeof(int64_t)),
            *rank = calloc((size_t)K, sizeof(int64_t)), *hv = malloc(sizeof(int64_t) * (size_t)K);
    int *fold = malloc(sizeof(int) * (size_t)(n + 1));
    float *mean = malloc(sizeof(float) * (size_t)K * C);
    if (!sum || !cnt || !rank || !hv || !fold || !mean) {
        free(sum), free(cnt), free(rank), free(hv), free(fold), free(mean);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory for the class-information measure");
    }
    for (int64_t i = 0; i < n; i++) {
        const int k = row_class[i];
        fold[i] = -1;
        if (k < 0 || rank[k]++ % step) continue;
        const int f = (int)(((rank[k] - 1) / step) % FOLDS);
        fold[i] = f;
        cnt[f * K + k]++;
        double *d = sum + ((size_t)f * K + k) * C;
        for (int c = 0; c < C; c++)
            d[c] += g[i * C + c];
    }
    int64_t hits = 0, used = 0;
    for (int f = 0; f < FOLDS; f++) {
        /* the class means of the other folds (hv: their images); a class absent from them
         * cannot be predicted */
        for (int k = 0; k < K; k++) {
            hv[k] = 0;
            for (int o = 0; o < FOLDS; o++)
                if (o != f) hv[k] += cnt[o * K + k];
            for (int c = 0; c < C; c++) {
                double a = 0;
                for (int o = 0; o < FOLDS; o++)
                    if (o != f) a += sum[((size_t)o * K + k) * C + c];
                mean[(size_t)k * C + c] = hv[k] ? (float)(a / (double)hv[k]) : 0;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            if (fold[i] != f) continue;
            int best = -1;
            double bd = 0;
            for (int k = 0; k < K; k++) {
                if (!hv[k]) continue;
                double d = 0;
                for (int c = 0; c < C; c++) {
                    const double x = g[i * C + c] - mean[(size_t)k * C + c];
                    d += x * x;
                }
                if (best < 0 || d < bd) best = k, bd = d;
            }
            hits += best == row_class[i];
            used++;
        }
    }
    s->ncm_images = used;
    s->ncm_accuracy = used ? (double)hits / (double)used : 0;
    free(sum), free(cnt), free(rank), free(hv), free(fold), free(mean);
    return SEKIT_OK;
}

int sekit_stats_compute(struct sekit_block_stats *s, const float *g, const int32_t *labels,
                        int64_t n, int C, const int *classes, int nclasses, struct sekit_err *e)
{
    memset(s, 0, sizeof *s);
    snprintf(s->gate, sizeof s->gate, "sigmoid");
    s->channels = C;
    s->nclasses = nclasses;
    size_t kc = (size_t)nclasses * C;
    s->classes = malloc(sizeof(int) * (size_t)nclasses);
    s->count = calloc((size_t)nclasses, sizeof(int64_t));
    s->mean = calloc(kc, sizeof(float));
    s->std = calloc(kc, sizeof(float));
    s->median = calloc(kc, sizeof(float));
    s->q1 = calloc(kc, sizeof(float));
    s->q3 = calloc(kc, sizeof(float));
    s->all_mean = calloc((size_t)C, sizeof(float));
    s->class_sat = calloc((size_t)nclasses * 4, sizeof(double));
    int *row_class = malloc(sizeof(int) * (size_t)(n + 1));
    float *col = malloc(sizeof(float) * (size_t)(n + 1));
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)(n + 1));
    double *sum = calloc((size_t)C, sizeof(double)), *sum2 = calloc((size_t)C, sizeof(double));
    /* the block indices use the class means in double: differences between class means can be
     * small next to the means themselves */
    double *dm = calloc(kc, sizeof(double)), *cm = calloc((size_t)nclasses, sizeof(double));
    if (!s->classes || !s->count || !s->mean || !s->std || !s->median || !s->q1 || !s->q3 ||
        !s->all_mean || !s->class_sat || !row_class || !col || !rows || !sum || !sum2 || !dm ||
        !cm) {
        free(row_class), free(col), free(rows), free(sum), free(sum2), free(dm), free(cm);
        sekit_stats_free(s);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory for statistics");
    }
    memcpy(s->classes, classes, sizeof(int) * (size_t)nclasses);
    int64_t total = 0, high = 0, low = 0, sat[4] = {0}, one = 0, zero = 0;
    double gmin = INFINITY, gmax = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        row_class[i] = -1;
    for (int k = 0; k < nclasses; k++) {
        int64_t m = 0, ks[4] = {0};
        for (int64_t i = 0; i < n; i++)
            if (labels[i] == classes[k]) row_class[i] = k, rows[m++] = i;
        s->count[k] = m;
        total += m;
        for (int c = 0; c < C && m > 0; c++) {
            double a = 0, a2 = 0;
            for (int64_t j = 0; j < m; j++) {
                double v = g[rows[j] * C + c];
                col[j] = (float)v;
                a += v;
                gmin = v < gmin ? v : gmin;
                gmax = v > gmax ? v : gmax;
                ks[0] += v > 0.9;
                ks[1] += v > 0.99;
                ks[2] += v < 0.1;
                ks[3] += v < 0.01;
                one += v == 1;
                zero += v == 0;
            }
            double mu = a / (double)m;
            for (int64_t j = 0; j < m; j++)
                a2 += (col[j] - mu) * (col[j] - mu);
            sum[c] += a;
            sum2[c] += a2; /* within-class sum of squares */
            qsort(col, (size_t)m, sizeof *col, cmp_float);
            size_t at = (size_t)k * C + c;
            dm[at] = mu;
            s->mean[at] = (float)mu;
            s->std[at] = (float)sqrt(a2 / (double)m);
            s->median[at] = quantile(col, m, 0.5);
            s->q1[at] = quantile(col, m, 0.25);
            s->q3[at] = quantile(col, m, 0.75);
        }
        for (int t = 0; t < 4; t++) {
            s->class_sat[k * 4 + t] = m ? (double)ks[t] / ((double)m * C) : 0;
            sat[t] += ks[t];
        }
    }
    high = sat[1];
    low = sat[3];
    int present = 0;
    for (int k = 0; k < nclasses; k++)
        present += s->count[k] > 0;
    for (int c = 0; c < C; c++) {
        double a = 0;
        for (int k = 0; k < nclasses; k++)
            if (s->count[k]) a += dm[(size_t)k * C + c];
        s->all_mean[c] = present ? (float)(a / present) : 0;
    }
    /* eta^2 per channel: between / (between + within), over the images of the present classes;
     * the total sum of squares also gives each channel's spread over those images */
    double spec = 0, spread = 0;
    for (int c = 0; c < C && total > 0; c++) {
        double grand = sum[c] / (double)total, between = 0;
        for (int k = 0; k < nclasses; k++) {
            double d = dm[(size_t)k * C + c] - grand;
            between += (double)s->count[k] * d * d;
        }
        double tot = between + sum2[c];
        spec += tot > 0 ? between / tot : 0;
        spread += sqrt(tot / (double)total);
    }
    s->specificity = C ? spec / C : 0;
    s->image_spread = C ? spread / C : 0;
    s->gate_min = total ? gmin : 0;
    s->gate_max = total ? gmax : 0;
    double dist = 0, corr = 0;
    int pairs = 0;
    for (int k = 0; k < nclasses; k++)
        for (int c = 0; c < C; c++)
            cm[k] += dm[(size_t)k * C + c] / C;
    for (int a = 0; a < nclasses; a++)
        for (int b = a + 1; b < nclasses; b++) {
            if (!s->count[a] || !s->count[b]) continue;
            double d2 = 0, sab = 0, saa = 0, sbb = 0;
            for (int c = 0; c < C; c++) {
                double x = dm[(size_t)a * C + c], y = dm[(size_t)b * C + c];
                d2 += (x - y) * (x - y);
                sab += (x - cm[a]) * (y - cm[b]);
                saa += (x - cm[a]) * (x - cm[a]);
                sbb += (y - cm[b]) * (y - cm[b]);
            }
            dist += sqrt(d2 / C);
            corr += saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 1.0;
            pairs++;
        }
    s->distance = pairs ? dist / pairs : 0;
    s->correlation = pairs ? corr / pairs : 1;
    double mm = 0, mv = 0;
    for (int k = 0; k < nclasses; k++)
        if (s->count[k]) mm += cm[k] / present;
    for (int k = 0; k < nclasses; k++)
        if (s->count[k]) mv += (cm[k] - mm) * (cm[k] - mm) / present;
    s->scale_spread = mm > 0 ? sqrt(mv) / mm : 0;
    int64_t nv = total * C;
    s->sat_high = nv ? (double)high / (double)nv : 0;
    s->sat_low = nv ? (double)low / (double)nv : 0;
    s->sat_09 = nv ? (double)sat[0] / (double)nv : 0;
    s->sat_01 = nv ? (double)sat[2] / (double)nv : 0;
    s->sat_one = nv ? (double)one / (double)nv : 0;
    s->sat_zero = nv ? (double)zero / (double)nv : 0;
    /* the scale-aware effect: class means against the "all" curve, in gate units and next to
     * the channel-to-channel variation of that curve */
    double dev = 0, am = 0, av = 0;
    for (int k = 0; k < nclasses; k++)
        for (int c = 0; s->count[k] && c < C; c++) {
            const double d = dm[(size_t)k * C + c] - s->all_mean[c];
            dev += d * d;
        }
    s->class_dev = present && C ? sqrt(dev / ((double)present * C)) : 0;
    for (int c = 0; c < C; c++)
        am += s->all_mean[c] / C;
    for (int c = 0; c < C; c++)
        av += (s->all_mean[c] - am) * (s->all_mean[c] - am) / C;
    s->channel_spread = sqrt(av);
    s->effect = s->channel_spread > 0 ? s->class_dev / s->channel_spread : 0;
    int rc = ncm_cv(s, g, row_class, n, C, nclasses, e);
    free(row_class), free(col), free(rows), free(sum), free(sum2), free(dm), free(cm);
    if (rc) sekit_stats_free(s);
    return rc;
}

int sekit_stats_blocks(const struct sekit_recording *r, int from, int to,
                       struct sekit_block_stats *stats, struct sekit_err *e)
{
    int maxc = 0;
    for (int b = from; b < to; b++)
        if (r->blocks[b].channels > maxc) maxc = r->blocks[b].channels;
    float *g = malloc(sizeof(float) * (size_t)r->n * (size_t)maxc + 1);
    if (!g)
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %lld x %d gates", r->path,
                          (long long)r->n, maxc);
    int rc = SEKIT_OK, b = from;
    for (; b < to && !rc; b++) {
        const struct sekit_recording_block *bi = &r->blocks[b];
        struct sekit_block_stats *s = &stats[b - from];
        if ((rc = sekit_recording_read(r, "excitation", b, g, e))) break;
        rc = sekit_stats_compute(s, g, r->labels, r->n, bi->channels, r->sel_classes, r->nsel, e);
        snprintf(s->name, sizeof s->name, "%s", bi->name);
        snprintf(s->module, sizeof s->module, "%s", bi->module);
        s->stage = bi->stage;
        s->block = bi->block;
        snprintf(s->gate, sizeof s->gate, "%s", bi->gate[0] ? bi->gate : "sigmoid");
    }
    if (rc)
        for (int j = from; j < b; j++)
            sekit_stats_free(&stats[j - from]);
    free(g);
    return rc;
}

int sekit_stats_recording(const struct sekit_recording *r, struct sekit_block_stats *stats,
                          struct sekit_err *e)
{
    return sekit_stats_blocks(r, 0, r->nblocks, stats, e);
}

/* Every array of a block's statistics s, with its length: X(array, length) each. */
#define STATS_ARRAYS(X, s)                                                                         \
    X((s)->classes, (size_t)(s)->nclasses)                                                         \
    X((s)->count, (size_t)(s)->nclasses)                                                           \
    X((s)->mean, (size_t)(s)->nclasses *(s)->channels)                                             \
    X((s)->std, (size_t)(s)->nclasses *(s)->channels)                                              \
    X((s)->median, (size_t)(s)->nclasses *(s)->channels)                                           \
    X((s)->q1, (size_t)(s)->nclasses *(s)->channels)                                               \
    X((s)->q3, (size_t)(s)->nclasses *(s)->channels)                                               \
    X((s)->all_mean, (size_t)(s)->channels)                                                        \
    X((s)->class_sat, (size_t)(s)->nclasses * 4)

int sekit_stats_pack(const struct sekit_block_stats *stats, int nb, void **out, size_t *bytes,
                     struct sekit_err *e)
{
    size_t total = 0;
#define SIZE(a, n) total += sizeof *(a) * (n);
    for (int b = 0; b < nb; b++) {
        total += sizeof stats[b];
        STATS_ARRAYS(SIZE, &stats[b])
    }
#undef SIZE
    unsigned char *at = malloc(total + 1);
    *out = at, *bytes = total;
    if (!at) return sekit_errf(e, SEKIT_ENOMEM, "out of memory for the statistics");
#define PUT(a, n) memcpy(at, a, sizeof *(a) * (n)), at += sizeof *(a) * (n);
    for (int b = 0; b < nb; b++) {
        memcpy(at, &stats[b], sizeof stats[b]);
        at += sizeof stats[b];
        STATS_ARRAYS(PUT, &stats[b])
    }
#undef PUT
    return SEKIT_OK;
}

/* One block from *at (not past end) into s, its arrays allocated, *at moved past it; s is left
 * empty on failure. */
static int unpack_block(const unsigned char **at, const unsigned char *end,
                        struct sekit_block_stats *s)
{
    if ((size_t)(end - *at) < sizeof *s) return SEKIT_EFORMAT;
    memcpy(s, *at, sizeof *s);
    *at += sizeof *s;
    /* the packed pointers were the sender's */
#define CLEAR(a, n) (a) = NULL;
    STATS_ARRAYS(CLEAR, s)
#undef CLEAR
    int rc = SEKIT_OK;
#define GET(a, n)                                                                                  \
    if (!rc) {                                                                                     \
        const size_t k = sizeof *(a) * (n);                                                        \
        if ((size_t)(end - *at) < k)                                                               \
            rc = SEKIT_EFORMAT;                                                                    \
        else if (!((a) = malloc(k + 1)))                                                           \
            rc = SEKIT_ENOMEM;                                                                     \
        else                                                                                       \
            memcpy(a, *at, k), *at += k;                                                           \
    }
    STATS_ARRAYS(GET, s)
#undef GET
    if (rc) sekit_stats_free(s);
    return rc;
}

int sekit_stats_unpack(const void *buf, size_t bytes, struct sekit_block_stats *stats, int nb,
                       struct sekit_err *e)
{
    const unsigned char *at = buf, *end = at + bytes;
    int b = 0, rc = SEKIT_OK;
    while (b < nb && !(rc = unpack_block(&at, end, &stats[b])))
        b++;
    if (!rc && at != end) rc = SEKIT_EFORMAT;
    if (rc)
        for (int j = 0; j < b; j++)
            sekit_stats_free(&stats[j]);
    if (rc == SEKIT_ENOMEM) return sekit_errf(e, rc, "out of memory for the statistics");
    if (rc)
        return sekit_errf(e, rc, "statistics of %d blocks: %zu bytes do not hold them", nb, bytes);
    return SEKIT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* the statistics file (docs/record-format.md, "Statistics file") */

static const char definitions[] =
    "mean, std (population), median, q1, q3 (linear interpolation): per recorded class and "
    "channel over that class's images; all_mean: mean of the class means; specificity: "
    "correlation ratio eta^2 = between-class variance / total variance of each channel's gate, "
    "averaged over channels; distance: mean over class pairs of the RMS difference of "
    "class-mean vectors; correlation: mean over class pairs of the Pearson correlation of "
    "class-mean vectors; scale_spread: coefficient of variation of the class-mean vectors' "
    "means; saturation_high / saturation_low: share of gate values > 0.99 / < 0.01, "
    "saturation_above_0.9 / saturation_below_0.1 the same at 0.9 / 0.1, and per block group "
    "saturation [classes, 4]: shares > 0.9, > 0.99, < 0.1, < 0.01 within each class; "
    "class_deviation: RMS over classes and channels of class mean - all_mean (gate units); "
    "channel_spread: std over channels of all_mean; effect: class_deviation / channel_spread; "
    "ncm_accuracy: 5-fold cross-validated accuracy of a nearest-class-mean classifier on the "
    "gate vectors (image j of a class in fold j mod 5) over ncm_images images, against "
    "ncm_chance, the largest class's share; image_spread: mean over channels of the "
    "population std of the gate over every image of the recorded classes; gate_min, gate_max: "
    "the smallest and largest gate value of the block over those images; saturation_at_1, "
    "saturation_at_0: share of gate values exactly 1 and exactly 0 (a hard sigmoid, "
    "clamp(x + 3, 0, 6) / 6, reaches both; a float32 sigmoid reaches 1 from a logit of about "
    "+17 and never 0); each block group's gate attribute names its gate";

/* The per-block indices, in the columns of /stats/summary. */
enum { NSUMMARY = 18, NCLASSWISE = 5 };
static const char *const summary_name[NSUMMARY] = {"specificity",
                                                   "distance",
                                                   "correlation",
                                                   "scale_spread",
                                                   "saturation_high",
                                                   "saturation_low",
                                                   "saturation_above_0.9",
                                                   "saturation_below_0.1",
                                                   "class_deviation",
                                                   "channel_spread",
                                                   "effect",
                                                   "ncm_accuracy",
                                                   "ncm_chance",
                                                   "image_spread",
                                                   "gate_min",
                                                   "gate_max",
                                                   "saturation_at_1",
                                                   "saturation_at_0"};

static double *summary_field(struct sekit_block_stats *s, int c)
{
    double *f[NSUMMARY] = {&s->specificity, &s->distance,       &s->correlation, &s->scale_spread,
                           &s->sat_high,    &s->sat_low,        &s->sat_09,      &s->sat_01,
                           &s->class_dev,   &s->channel_spread, &s->effect,      &s->ncm_accuracy,
                           &s->ncm_chance,  &s->image_spread,   &s->gate_min,    &s->gate_max,
                           &s->sat_one,     &s->sat_zero};
    return f[c];
}

/* The [classes, channels] arrays of a block group. */
static const char *const classwise_name[NCLASSWISE] = {"mean", "std", "median", "q1", "q3"};

static float **classwise_field(struct sekit_block_stats *s, int i)
{
    float **f[NCLASSWISE] = {&s->mean, &s->std, &s->median, &s->q1, &s->q3};
    return f[i];
}

/* The saturation columns, as the coordinate of their axis. */
static const char *const threshold_name[4] = {">0.9", ">0.99", "<0.1", "<0.01"};

/* Writes block group /stats/NAME of s into g; labels: the names of its M rows; -1 on an HDF5
 * failure. Every axis has its scale in the group itself, so that xarray opens the group alone
 * with coordinates to select on (a scale in an ancestor gives only a bare dimension). */
static int write_block(hid_t g, const struct sekit_block_stats *s, const char *const *labels, int M)
{
    hid_t bg = H5Gcreate2(g, s->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    char cname[64];
    snprintf(cname, sizeof cname, "channel_%s", s->name);
    hid_t lab = bg < 0 ? -1 : sekit_h5_str_scale(bg, "label", labels, (hsize_t)M),
          ch = lab < 0 ? -1 : sekit_h5_scale(bg, cname, (hsize_t)s->channels, 1 << 16),
          th = ch < 0 ? -1 : sekit_h5_str_scale(bg, "threshold", threshold_name, 4);
    const int64_t stage = s->stage, block = s->block;
    int bad = th < 0;
    for (int i = 0; !bad && i < NCLASSWISE; i++)
        bad = sekit_h5_write(bg, classwise_name[i], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)M,
                             (hsize_t)s->channels,
                             *classwise_field((struct sekit_block_stats *)s, i)) ||
              sekit_h5_attach(bg, classwise_name[i], lab, ch);
    bad = bad ||
          sekit_h5_write(bg, "all_mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)s->channels, 0,
                         s->all_mean) ||
          sekit_h5_attach(bg, "all_mean", ch, -1) ||
          sekit_h5_write(bg, "count", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)M, 0, s->count) ||
          sekit_h5_attach(bg, "count", lab, -1) ||
          sekit_h5_write(bg, "saturation", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)M, 4,
                         s->class_sat) ||
          sekit_h5_attach(bg, "saturation", lab, th) ||
          sekit_h5_attr_i64(bg, "ncm_images", &s->ncm_images, 0) ||
          sekit_h5_attr_str(bg, "module", s->module) || sekit_h5_attr_str(bg, "gate", s->gate) ||
          sekit_h5_attr_i64(bg, "stage", &stage, 0) || sekit_h5_attr_i64(bg, "block", &block, 0);
    hid_t ids[3] = {lab, ch, th};
    for (int i = 0; i < 3; i++)
        if (ids[i] >= 0) H5Dclose(ids[i]);
    if (bg >= 0) H5Gclose(bg);
    return bad ? -1 : 0;
}

/* The per-block summary table /stats/summary, one row per block in network order, along the
 * scale of block names; -1 on an HDF5 failure. */
static int write_summary(hid_t g, const struct sekit_block_stats *stats, int nb)
{
    hid_t sg = H5Gcreate2(g, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), bs = -1;
    double *col = malloc(sizeof(double) * (size_t)nb);
    const char **names = malloc(sizeof *names * (size_t)nb);
    int bad = sg < 0 || !col || !names;
    for (int b = 0; !bad && b < nb; b++)
        names[b] = stats[b].name;
    bad = bad || (bs = sekit_h5_str_scale(sg, "block", names, (hsize_t)nb)) < 0;
    for (int c = 0; !bad && c < NSUMMARY; c++) {
        for (int b = 0; b < nb; b++)
            col[b] = *summary_field((struct sekit_block_stats *)&stats[b], c);
        bad = sekit_h5_write(sg, summary_name[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nb, 0,
                             col) ||
              sekit_h5_attach(sg, summary_name[c], bs, -1);
    }
    free(col), free(names);
    if (bs >= 0) H5Dclose(bs);
    if (sg >= 0) H5Gclose(sg);
    return bad ? -1 : 0;
}

/* Writes everything but the CSVs into the open file f; -1 on an HDF5 failure. */
static int write_stats(hid_t f, const struct sekit_recording *r,
                       const struct sekit_block_stats *stats)
{
    const int nb = r->nblocks, M = stats[0].nclasses;
    hid_t g = H5Gcreate2(f, "stats", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), lab = -1, mc = -1;
    /* the rows are named by their classes: .sel(label="Bag") */
    const char **labels = malloc(sizeof *labels * (size_t)M);
    int bad = g < 0 || !labels;
    for (int k = 0; !bad && k < M; k++)
        labels[k] = r->class_names[stats[0].classes[k]];
    for (int b = 0; !bad && b < nb; b++)
        bad = write_block(g, &stats[b], labels, M);
    bad = bad || write_summary(g, stats, nb);
    const int64_t fv = SEKIT_STATS_FORMAT_VERSION, n = r->n, nk = r->num_classes;
    bad = bad || (lab = sekit_h5_str_scale(g, "label", labels, (hsize_t)M)) < 0 ||
          (mc = sekit_h5_scale(g, "model_class", (hsize_t)r->num_classes, 1 << 16)) < 0 ||
          sekit_h5_write(g, "classes", H5T_STD_I32LE, H5T_NATIVE_INT, (hsize_t)M, 0,
                         stats[0].classes) ||
          sekit_h5_attach(g, "classes", lab, -1) ||
          sekit_h5_write_strings(g, "class_names", (const char *const *)r->class_names,
                                 (hsize_t)r->num_classes) ||
          sekit_h5_attach(g, "class_names", mc, -1) ||
          (r->class_synsets &&
           (sekit_h5_write_strings(g, "class_synsets", (const char *const *)r->class_synsets,
                                   (hsize_t)r->num_classes) ||
            sekit_h5_attach(g, "class_synsets", mc, -1))) ||
          sekit_h5_attr_str(g, "definitions", definitions) ||
          sekit_h5_attr_i64(f, "stats_format_version", &fv, 0) ||
          sekit_h5_attr_str(f, "recording", r->path) ||
          sekit_h5_attr_str(f, "model_sha256", r->model_sha256 ? r->model_sha256 : "") ||
          sekit_h5_attr_str(f, "dataset", r->dataset ? r->dataset : "") ||
          sekit_h5_attr_str(f, "split", r->split ? r->split : "") ||
          sekit_h5_attr_i64(f, "n_images", &n, 0) || sekit_h5_attr_i64(f, "num_classes", &nk, 0);
    free(labels);
    if (lab >= 0) H5Dclose(lab);
    if (mc >= 0) H5Dclose(mc);
    if (g >= 0) H5Gclose(g);
    return bad ? -1 : 0;
}

/* A CSV field: quoted, inner quotes doubled (class names may hold commas). */
static void csv_quoted(FILE *fp, const char *v)
{
    fputc('"', fp);
    for (; *v; v++) {
        if (*v == '"') fputc('"', fp);
        fputc(*v, fp);
    }
    fputc('"', fp);
}

static void write_summary_csv(FILE *fp, const struct sekit_block_stats *stats, int nb)
{
    fprintf(fp, "block,module,stage,block_index,channels,gate");
    for (int c = 0; c < NSUMMARY; c++)
        fprintf(fp, ",%s", summary_name[c]);
    fprintf(fp, ",ncm_images\n");
    for (int b = 0; b < nb; b++) {
        struct sekit_block_stats *s = (struct sekit_block_stats *)&stats[b];
        fprintf(fp, "%s,%s,%d,%d,%d,%s", s->name, s->module, s->stage, s->block, s->channels,
                s->gate);
        for (int c = 0; c < NSUMMARY; c++)
            fprintf(fp, ",%.6f", *summary_field(s, c));
        fprintf(fp, ",%lld\n", (long long)s->ncm_images);
    }
}

/* The class means behind Fig. 6, in long form: one row per block, recorded class and channel
 * (network order, then recording order, then channel), with the "all" curve's value of that
 * channel alongside; %.9g gives back every float32 exactly. */
static void write_means_csv(FILE *fp, const struct sekit_recording *r,
                            const struct sekit_block_stats *stats, int nb)
{
    fprintf(fp, "block,label,class_index,channel,mean,all_mean,count\n");
    for (int b = 0; b < nb; b++) {
        const struct sekit_block_stats *s = &stats[b];
        for (int k = 0; k < s->nclasses; k++)
            for (int c = 0; c < s->channels; c++) {
                fprintf(fp, "%s,", s->name);
                csv_quoted(fp, r->class_names[s->classes[k]]);
                fprintf(fp, ",%d,%d,%.9g,%.9g,%lld\n", s->classes[k], c,
                        (double)s->mean[(size_t)k * s->channels + c], (double)s->all_mean[c],
                        (long long)s->count[k]);
            }
    }
}

char *sekit_stats_means_path(const char *path)
{
    size_t stem = strlen(path);
    if (stem > 3 && !strcmp(path + stem - 3, ".h5")) stem -= 3;
    if (stem > 6 && !strncmp(path + stem - 6, ".stats", 6)) stem -= 6;
    char *p = malloc(stem + 11);
    if (p) snprintf(p, stem + 11, "%.*s.means.csv", (int)stem, path);
    return p;
}

int sekit_stats_write(const char *path, const struct sekit_recording *r,
                      const struct sekit_block_stats *stats, struct sekit_err *e)
{
    char csv[PATH_MAX + 8];
    size_t pl = strlen(path);
    int stem = (int)(pl > 3 && !strcmp(path + pl - 3, ".h5") ? pl - 3 : pl);
    if ((size_t)snprintf(csv, sizeof csv, "%.*s.csv", stem, path) >= sizeof csv)
        return sekit_errf(e, SEKIT_EINVAL, "%s: path too long", path);
    char *means = sekit_stats_means_path(path);
    if (!means) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    struct sekit_h5_out h;
    struct sekit_text_out t = {0}, m = {0};
    int rc = sekit_h5_create(&h, path, "the statistics file", e);
    if (!rc && write_stats(h.f, r, stats)) rc = sekit_h5_write_failed(&h, e);
    rc = sekit_h5_close(&h, rc, e);
    if (!rc && !(rc = sekit_text_create(&t, csv, e))) write_summary_csv(t.fp, stats, r->nblocks);
    rc = sekit_text_close(&t, rc, e);
    if (!rc && !(rc = sekit_text_create(&m, means, e))) write_means_csv(m.fp, r, stats, r->nblocks);
    rc = sekit_text_close(&m, rc, e);
    const char *tmp[3] = {h.tmp, t.tmp, m.tmp}, *dst[3] = {path, csv, means};
    for (int i = 0; !rc && i < 3; i++)
        if ((rc = sekit_publish(tmp[i], dst[i], e)))
            for (int j = 0; j < 3; j++) /* nothing that looks complete */
                unlink(j < i ? dst[j] : tmp[j]);
    if (rc)
        for (int i = 0; i < 3; i++)
            if (*tmp[i]) unlink(tmp[i]);
    free(means);
    return rc;
}

void sekit_stats_file_free(struct sekit_stats_file *s)
{
    if (!s) return;
    for (int b = 0; s->blocks && b < s->nblocks; b++)
        sekit_stats_free(&s->blocks[b]);
    free(s->blocks);
    sekit_h5_strings_free(s->class_names, s->num_classes);
    if (s->class_synsets) sekit_h5_strings_free(s->class_synsets, s->num_classes);
    free(s->sel_classes);
    free(s->path), free(s->recording_path), free(s->dataset), free(s->split);
    free(s->model_sha256);
    free(s);
}

/* Reads block group /stats/NAME of M classes into b; the index columns come from the summary. */
static int read_block(hid_t f, const char *path, struct sekit_block_stats *b, int M,
                      struct sekit_err *e)
{
    char where[96], name[128];
    snprintf(where, sizeof where, "/stats/%s", b->name);
    if (H5LTpath_valid(f, where, 1) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: no group %s", path, where);
    }
    int64_t dims[2] = {M, -1}, stage = 0, block = 0;
    char *module = NULL, *gate = NULL;
    int rc = SEKIT_OK;
    for (int i = 0; !rc && i < NCLASSWISE; i++) {
        snprintf(name, sizeof name, "%s/%s", where, classwise_name[i]);
        rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_FLOAT, 2, dims,
                           (void **)classwise_field(b, i), e);
    }
    int64_t cdims[2] = {dims[1], 0}, ndims[2] = {M, 0};
    if (!rc && dims[1] < 1) rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has no channel", path, where);
    snprintf(name, sizeof name, "%s/all_mean", where);
    if (!rc)
        rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_FLOAT, 1, cdims,
                           (void **)&b->all_mean, e);
    snprintf(name, sizeof name, "%s/count", where);
    if (!rc)
        rc = sekit_h5_read(f, path, name, SEKIT_H5_INT, H5T_NATIVE_INT64, 1, ndims,
                           (void **)&b->count, e);
    int64_t sdims[2] = {M, 4};
    snprintf(name, sizeof name, "%s/saturation", where);
    if (!rc)
        rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_DOUBLE, 2, sdims,
                           (void **)&b->class_sat, e);
    hid_t bg = rc ? -1 : H5Gopen2(f, where, H5P_DEFAULT);
    if (!rc && bg < 0) rc = sekit_h5_fail(e, path, "open a block group");
    if (!rc)
        rc = sekit_h5_attr_read_str(bg, path, where, "module", 1, sizeof b->module - 1, &module, e);
    if (!rc) rc = sekit_h5_attr_read_str(bg, path, where, "gate", 1, sizeof b->gate - 1, &gate, e);
    if (!rc && strcmp(gate, "sigmoid") && strcmp(gate, "hardsigmoid"))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has gate '%s' (sigmoid, hardsigmoid)", path,
                        where, gate);
    if (!rc) rc = sekit_h5_attr_read_i64(bg, path, where, "stage", 1, &stage, e);
    if (!rc) rc = sekit_h5_attr_read_i64(bg, path, where, "block", 1, &block, e);
    if (!rc) rc = sekit_h5_attr_read_i64(bg, path, where, "ncm_images", 1, &b->ncm_images, e);
    for (int k = 0; !rc && k < M; k++)
        if (b->count[k] < 0)
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s/count[%d] is negative", path, where, k);
    if (!rc) {
        snprintf(b->module, sizeof b->module, "%s", module);
        snprintf(b->gate, sizeof b->gate, "%s", gate);
        b->stage = (int)stage;
        b->block = (int)block;
        b->channels = (int)dims[1];
    }
    free(module);
    free(gate);
    if (bg >= 0) H5Gclose(bg);
    return rc;
}

int sekit_stats_read(struct sekit_stats_file **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    hid_t f;
    int rc = sekit_h5_open(path, &f, e);
    if (rc) return rc;
    struct sekit_stats_file *s = calloc(1, sizeof *s);
    int64_t K = -1, M = -1, B = -1, bdims[2] = {-1, 0}, cdims[2] = {-1, 0};
    int32_t *cls = NULL;
    char **bnames = NULL;
    if (!s || !(s->path = strdup(path))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sekit_h5_check_version(f, path, "stats_format_version", SEKIT_STATS_FORMAT_VERSION,
                                     "statistics file", "sekit stats", e)))
        goto out;
    int64_t n = 0;
    if ((rc = sekit_h5_attr_read_str(f, path, "/", "recording", 1, SEKIT_H5_MAX_STRING,
                                     &s->recording_path, e)) ||
        (rc = sekit_h5_attr_read_str(f, path, "/", "dataset", 1, SEKIT_H5_MAX_STRING, &s->dataset,
                                     e)) ||
        (rc =
             sekit_h5_attr_read_str(f, path, "/", "split", 1, SEKIT_H5_MAX_STRING, &s->split, e)) ||
        (rc = sekit_h5_attr_read_str(f, path, "/", "model_sha256", 1, SEKIT_H5_MAX_STRING,
                                     &s->model_sha256, e)) ||
        (rc = sekit_h5_attr_read_i64(f, path, "/", "n_images", 1, &n, e)))
        goto out;
    s->n = n;
    if ((rc = sekit_h5_read_strings(f, path, "/stats/class_names", &K, SEKIT_CLASS_NAME_MAX,
                                    &s->class_names, e)))
        goto out;
    if (K < 1 || K > SEKIT_MAX_CLASSES) {
        sekit_h5_strings_free(s->class_names, K);
        s->class_names = NULL;
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /stats/class_names names %lld classes (1 to %d)",
                        path, (long long)K, SEKIT_MAX_CLASSES);
        goto out;
    }
    s->num_classes = (int)K;
    if (H5LTpath_valid(f, "/stats/class_synsets", 1) > 0 &&
        (rc = sekit_h5_read_strings(f, path, "/stats/class_synsets", &K, SEKIT_CLASS_NAME_MAX,
                                    &s->class_synsets, e)))
        goto out;
    H5Eclear2(H5E_DEFAULT);
    if ((rc = sekit_h5_read(f, path, "/stats/classes", SEKIT_H5_INT, H5T_NATIVE_INT32, 1, cdims,
                            (void **)&cls, e)))
        goto out;
    M = cdims[0];
    if (M > SEKIT_MAX_CLASSES) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /stats/classes holds %lld rows (at most %d)", path,
                        (long long)M, SEKIT_MAX_CLASSES);
        goto out;
    }
    s->sel_classes = malloc(sizeof(int) * (size_t)(M + 1));
    if (!s->sel_classes) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    for (int64_t k = 0; k < M; k++) {
        if (cls[k] < 0 || cls[k] >= K) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /stats/classes[%lld] = %d outside 0..%lld", path,
                            (long long)k, cls[k], (long long)K - 1);
            goto out;
        }
        s->sel_classes[k] = cls[k];
    }
    s->nsel = (int)M;
    if (M < 1) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /stats/classes is empty", path);
        goto out;
    }
    if ((rc = sekit_h5_read_strings(f, path, "/stats/summary/block", &B, sizeof s->blocks->name - 1,
                                    &bnames, e)))
        goto out;
    if (B < 1 || B > SEKIT_MAX_STAGES * SEKIT_MAX_BLOCKS) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /stats/summary/block names %lld blocks (1 to %d)",
                        path, (long long)B, SEKIT_MAX_STAGES * SEKIT_MAX_BLOCKS);
        goto out;
    }
    if (!(s->blocks = calloc((size_t)B, sizeof *s->blocks))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    s->nblocks = (int)B;
    for (int b = 0; b < B; b++) {
        struct sekit_block_stats *bs = &s->blocks[b];
        snprintf(bs->name, sizeof bs->name, "%s", bnames[b]);
        bs->nclasses = (int)M;
        if (!(bs->classes = malloc(sizeof(int) * (size_t)M))) {
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(bs->classes, s->sel_classes, sizeof(int) * (size_t)M);
        if ((rc = read_block(f, path, bs, (int)M, e))) goto out;
    }
    for (int c = 0; c < NSUMMARY; c++) {
        char name[64];
        double *col = NULL;
        bdims[0] = B;
        snprintf(name, sizeof name, "/stats/summary/%s", summary_name[c]);
        if ((rc = sekit_h5_read(f, path, name, SEKIT_H5_FLOAT, H5T_NATIVE_DOUBLE, 1, bdims,
                                (void **)&col, e)))
            goto out;
        for (int b = 0; b < B; b++)
            *summary_field(&s->blocks[b], c) = col[b];
        free(col);
    }
out:
    free(cls);
    sekit_h5_strings_free(bnames, B);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc) {
        sekit_stats_file_free(s);
        return rc;
    }
    *out = s;
    return SEKIT_OK;
}

static char *dup_or_null(const char *v)
{
    return v ? strdup(v) : NULL;
}

/* The statistics file that sekit stats would write for recording r, in memory. */
static int from_recording(struct sekit_stats_file *s, const struct sekit_recording *r,
                          struct sekit_err *e)
{
    s->path = strdup(r->path);
    s->recording_path = strdup(r->path);
    s->dataset = dup_or_null(r->dataset);
    s->split = dup_or_null(r->split);
    s->model_sha256 = dup_or_null(r->model_sha256);
    s->n = r->n;
    s->class_names = calloc((size_t)r->num_classes, sizeof *s->class_names);
    s->sel_classes = malloc(sizeof(int) * (size_t)(r->nsel + 1));
    s->blocks = calloc((size_t)r->nblocks, sizeof *s->blocks);
    if (!s->path || !s->recording_path || !s->class_names || !s->sel_classes || !s->blocks)
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (; s->num_classes < r->num_classes; s->num_classes++)
        if (!(s->class_names[s->num_classes] = strdup(r->class_names[s->num_classes])))
            return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (r->class_synsets) {
        if (!(s->class_synsets = calloc((size_t)r->num_classes, sizeof *s->class_synsets)))
            return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        for (int k = 0; k < r->num_classes; k++)
            if (!(s->class_synsets[k] = strdup(r->class_synsets[k])))
                return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    s->nsel = r->nsel;
    memcpy(s->sel_classes, r->sel_classes, sizeof(int) * (size_t)r->nsel);
    int rc = sekit_stats_recording(r, s->blocks, e);
    if (!rc) s->nblocks = r->nblocks;
    return rc;
}

int sekit_stats_load(struct sekit_stats_file **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    hid_t f;
    int rc = sekit_h5_open(path, &f, e);
    if (rc) return rc;
    const int is_stats = H5Aexists(f, "stats_format_version") > 0;
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (is_stats) return sekit_stats_read(out, path, e);
    struct sekit_recording *r;
    if ((rc = sekit_recording_open(&r, path, e))) return rc;
    struct sekit_stats_file *s = calloc(1, sizeof *s);
    rc = s ? from_recording(s, r, e) : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    sekit_recording_close(r);
    if (rc) {
        sekit_stats_file_free(s);
        return rc;
    }
    *out = s;
    return SEKIT_OK;
}

int sekit_stats_find(const struct sekit_stats_file *s, const char *name)
{
    for (int b = 0; b < s->nblocks; b++)
        if (strcmp(s->blocks[b].name, name) == 0 || strcmp(s->blocks[b].module, name) == 0)
            return b;
    return -1;
}

int sekit_stats_row(const struct sekit_stats_file *s, const char *name)
{
    /* names are matched among the rows only, so that a name two model classes share (ImageNet's
     * crane) still picks the one recorded; two recorded classes of one name pick neither */
    int row = -1, hits = 0;
    for (int i = 0; i < s->nsel; i++)
        if (strcasecmp(s->class_names[s->sel_classes[i]], name) == 0 && hits++ == 0) row = i;
    if (hits == 1) return row;
    if (hits > 1) return -1;
    int k = -1;
    for (int i = 0; s->class_synsets && *name && i < s->num_classes && k < 0; i++)
        if (strcasecmp(s->class_synsets[i], name) == 0) k = i;
    char *end;
    long v = strtol(name, &end, 10);
    if (k < 0 && *name && !*end && v >= 0 && v < s->num_classes) k = (int)v;
    for (int i = 0; k >= 0 && i < s->nsel; i++)
        if (s->sel_classes[i] == k) return i;
    return -1;
}
