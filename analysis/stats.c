/*
 * stats.c -- per-class, per-channel statistics of SE gates and the per-block indices of
 * analysis.h, and the statistics file.
 */
#include "analysis.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    memset(s, 0, sizeof *s);
}

int sekit_stats_compute(struct sekit_block_stats *s, const float *g, const int32_t *labels,
                        int64_t n, int C, const int *classes, int nclasses, struct sekit_err *e)
{
    memset(s, 0, sizeof *s);
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
    float *col = malloc(sizeof(float) * (size_t)(n + 1));
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)(n + 1));
    double *sum = calloc((size_t)C, sizeof(double)), *sum2 = calloc((size_t)C, sizeof(double));
    /* the block indices use the class means in double: differences between class means can be
     * small next to the means themselves */
    double *dm = calloc(kc, sizeof(double)), *cm = calloc((size_t)nclasses, sizeof(double));
    if (!s->classes || !s->count || !s->mean || !s->std || !s->median || !s->q1 || !s->q3 ||
        !s->all_mean || !col || !rows || !sum || !sum2 || !dm || !cm) {
        free(col), free(rows), free(sum), free(sum2), free(dm), free(cm);
        sekit_stats_free(s);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory for statistics");
    }
    memcpy(s->classes, classes, sizeof(int) * (size_t)nclasses);
    int64_t total = 0, high = 0, low = 0;
    for (int k = 0; k < nclasses; k++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (labels[i] == classes[k]) rows[m++] = i;
        s->count[k] = m;
        total += m;
        for (int c = 0; c < C && m > 0; c++) {
            double a = 0, a2 = 0;
            for (int64_t j = 0; j < m; j++) {
                double v = g[rows[j] * C + c];
                col[j] = (float)v;
                a += v;
                high += v > 0.99;
                low += v < 0.01;
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
    }
    int present = 0;
    for (int k = 0; k < nclasses; k++)
        present += s->count[k] > 0;
    for (int c = 0; c < C; c++) {
        double a = 0;
        for (int k = 0; k < nclasses; k++)
            if (s->count[k]) a += dm[(size_t)k * C + c];
        s->all_mean[c] = present ? (float)(a / present) : 0;
    }
    /* eta^2 per channel: between / (between + within), over the images of the present classes */
    double spec = 0;
    for (int c = 0; c < C && total > 0; c++) {
        double grand = sum[c] / (double)total, between = 0;
        for (int k = 0; k < nclasses; k++) {
            double d = dm[(size_t)k * C + c] - grand;
            between += (double)s->count[k] * d * d;
        }
        double tot = between + sum2[c];
        spec += tot > 0 ? between / tot : 0;
    }
    s->specificity = C ? spec / C : 0;
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
    free(col), free(rows), free(sum), free(sum2), free(dm), free(cm);
    return SEKIT_OK;
}

int sekit_stats_recording(const struct sekit_recording *r, struct sekit_block_stats *stats,
                          struct sekit_err *e)
{
    int maxc = 0;
    for (int b = 0; b < r->nblocks; b++)
        if (r->blocks[b].channels > maxc) maxc = r->blocks[b].channels;
    float *g = malloc(sizeof(float) * (size_t)r->n * (size_t)maxc);
    if (!g)
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %lld x %d gates", r->path,
                          (long long)r->n, maxc);
    int rc = SEKIT_OK, b = 0;
    for (; b < r->nblocks && !rc; b++) {
        const struct sekit_rec_block_info *bi = &r->blocks[b];
        if ((rc = sekit_recording_read(r, "excitation", b, g, e))) break;
        rc = sekit_stats_compute(&stats[b], g, r->labels, r->n, bi->channels, r->sel_classes,
                                 r->nsel, e);
        snprintf(stats[b].name, sizeof stats[b].name, "%s", bi->name);
        snprintf(stats[b].module, sizeof stats[b].module, "%s", bi->module);
        stats[b].stage = bi->stage;
        stats[b].block = bi->block;
    }
    if (rc)
        for (int j = 0; j < b; j++)
            sekit_stats_free(&stats[j]);
    free(g);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* the statistics file */

static hid_t write_2d(hid_t loc, const char *name, hid_t ft, hid_t mt, hsize_t r, hsize_t c,
                      const void *v)
{
    hsize_t dims[2] = {r, c};
    hid_t sp = H5Screate_simple(c ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        H5Dclose(d);
        d = -1;
    }
    H5Sclose(sp);
    return d;
}

static int put(hid_t loc, const char *name, hid_t ft, hid_t mt, hsize_t r, hsize_t c, const void *v)
{
    hid_t d = write_2d(loc, name, ft, mt, r, c, v);
    if (d < 0) return 1;
    H5Dclose(d);
    return 0;
}

static int put_attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, t, &v) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return bad;
}

static const char definitions[] =
    "mean, std (population), median, q1, q3 (linear interpolation): per recorded class and "
    "channel over that class's images; all_mean: mean of the class means; specificity: "
    "correlation ratio eta^2 = between-class variance / total variance of each channel's gate, "
    "averaged over channels; distance: mean over class pairs of the RMS difference of "
    "class-mean vectors; correlation: mean over class pairs of the Pearson correlation of "
    "class-mean vectors; scale_spread: coefficient of variation of the class-mean vectors' "
    "means; saturation_high / saturation_low: share of gate values > 0.99 / < 0.01";

int sekit_stats_write(const char *path, const struct sekit_recording *r,
                      const struct sekit_block_stats *stats, struct sekit_err *e)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5), *csv = malloc(pl + 5), *csvtmp = malloc(pl + 9);
    if (!tmp || !csv || !csvtmp) {
        free(tmp), free(csv), free(csvtmp);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    snprintf(tmp, pl + 5, "%s.tmp", path);
    snprintf(csv, pl + 5, "%.*s.csv", (int)(pl > 3 && !strcmp(path + pl - 3, ".h5") ? pl - 3 : pl),
             path);
    snprintf(csvtmp, pl + 9, "%s.tmp", csv);
    int rc = SEKIT_OK;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g = -1;
    int bad = f < 0;
    if (!bad) g = H5Gcreate2(f, "stats", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    const int nb = r->nblocks, K = stats[0].nclasses;
    double *tab = malloc(sizeof(double) * (size_t)nb * 6);
    bad |= !tab;
    for (int b = 0; !bad && b < nb; b++) {
        const struct sekit_block_stats *s = &stats[b];
        hid_t bg = H5Gcreate2(g, s->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const float *arrs[5] = {s->mean, s->std, s->median, s->q1, s->q3};
        const char *names[5] = {"mean", "std", "median", "q1", "q3"};
        bad |= bg < 0;
        for (int i = 0; !bad && i < 5; i++)
            bad |= put(bg, names[i], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)K,
                       (hsize_t)s->channels, arrs[i]);
        bad |= bad || put(bg, "all_mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)s->channels, 0,
                          s->all_mean);
        bad |= bad || put(bg, "count", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)K, 0, s->count);
        bad |= bad || put_attr_str(bg, "module", s->module);
        double v[6] = {s->specificity,  s->distance, s->correlation,
                       s->scale_spread, s->sat_high, s->sat_low};
        memcpy(tab + (size_t)b * 6, v, sizeof v);
        if (bg >= 0) H5Gclose(bg);
    }
    if (!bad) {
        bad |= put(g, "classes", H5T_STD_I32LE, H5T_NATIVE_INT, (hsize_t)K, 0, stats[0].classes);
        /* the summary table: one row per block in network order */
        const char *cols[6] = {"specificity",  "distance",        "correlation",
                               "scale_spread", "saturation_high", "saturation_low"};
        hid_t sg = H5Gcreate2(g, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        double *col = malloc(sizeof(double) * (size_t)nb);
        bad |= sg < 0 || !col;
        for (int c = 0; !bad && c < 6; c++) {
            for (int b = 0; b < nb; b++)
                col[b] = tab[(size_t)b * 6 + c];
            bad |= put(sg, cols[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)nb, 0, col);
        }
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, H5T_VARIABLE);
        const char **bn = malloc(sizeof *bn * (size_t)nb);
        for (int b = 0; bn && b < nb; b++)
            bn[b] = stats[b].name;
        bad |= bad || !bn || put(sg, "block", st, st, (hsize_t)nb, 0, bn);
        free(bn);
        H5Tclose(st);
        free(col);
        if (sg >= 0) H5Gclose(sg);
        bad |= bad || put_attr_str(g, "definitions", definitions) ||
               put_attr_str(f, "recording", r->path) ||
               put_attr_str(f, "model_sha256", r->model_sha256 ? r->model_sha256 : "");
        int64_t fv = 1;
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a =
            H5Acreate2(f, "stats_format_version", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        bad |= a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &fv) < 0;
        if (a >= 0) H5Aclose(a);
        H5Sclose(sp);
    }
    if (g >= 0) H5Gclose(g);
    if (f >= 0 && H5Fclose(f) < 0) bad = 1;
    if (bad) {
        H5Eclear2(H5E_DEFAULT);
        rc = sekit_errf(e, SEKIT_EHDF5, "%s: cannot write the statistics file", tmp);
    }
    if (!rc) {
        FILE *fc = fopen(csvtmp, "w");
        if (!fc) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create", csvtmp);
        } else {
            fprintf(fc, "block,module,stage,block_index,channels,specificity,distance,"
                        "correlation,scale_spread,saturation_high,saturation_low\n");
            for (int b = 0; b < nb; b++) {
                const struct sekit_block_stats *s = &stats[b];
                fprintf(fc, "%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", s->name, s->module,
                        s->stage, s->block, s->channels, s->specificity, s->distance,
                        s->correlation, s->scale_spread, s->sat_high, s->sat_low);
            }
            if (fclose(fc) != 0) rc = sekit_errf(e, SEKIT_EIO, "%s: write error", csvtmp);
        }
    }
    if (!rc && (rename(tmp, path) != 0 || rename(csvtmp, csv) != 0))
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot move into place", path);
    if (rc) {
        unlink(tmp);
        unlink(csvtmp);
    }
    free(tab), free(tmp), free(csv), free(csvtmp);
    return rc;
}
