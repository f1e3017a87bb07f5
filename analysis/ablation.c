/*
 * ablation.c -- variants, their cost accounting, tallies and output files. See ablation.h.
 */
#include "ablation.h"

#include <hdf5.h>
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
    }
    free(v);
}

struct vlist {
    struct sekit_variant *v;
    int n;
};

static int add(struct vlist *l, const struct sekit_model *m, const char *name, const int *blocks,
               int nb, enum sekit_ablation_mode mode)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i].mode == mode && l->v[i].nblocks == nb &&
            memcmp(l->v[i].blocks, blocks, sizeof(int) * (size_t)nb) == 0)
            return SEKIT_OK; /* the same set under another preset name */
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
    snprintf(v->name, sizeof v->name, "%.80s%s", name,
             nb == 0                     ? ""
             : mode == SEKIT_ABLATE_MEAN ? " [mean]"
                                         : "");
    v->mode = mode;
    v->nblocks = nb;
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
                            const char *const *drops, int ndrops, int modes,
                            struct sekit_variant **out, int *n, struct sekit_err *e)
{
    *out = NULL;
    *n = 0;
    const int nse = sekit_model_se_count(m);
    struct vlist l = {0};
    int *set = malloc(sizeof(int) * (size_t)(nse + 1)), rc = SEKIT_OK;
    if (!set) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (add(&l, m, "full model", set, 0, SEKIT_ABLATE_REMOVE)) goto oom;
    const int last_stage = sekit_model_se_info(m, nse - 1)->stage;
    for (int mode = 0; mode < 2; mode++) {
        if (!(modes & (1 << mode))) continue;
        char *copy = strdup(presets ? presets : ""), *save = NULL;
        if (!copy) goto oom;
        for (char *p = strtok_r(copy, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
            char name[96];
            if (strcmp(p, "single") == 0) {
                for (int i = 0; i < nse && !rc; i++) {
                    snprintf(name, sizeof name, "%s", sekit_model_se_info(m, i)->name);
                    set[0] = i;
                    if (add(&l, m, name, set, 1, mode)) goto oom;
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
                    if (k && add(&l, m, name, set, k, mode)) goto oom;
                }
            } else if (strcmp(p, "cumulative") == 0) {
                for (int k = 1; k <= nse; k++) {
                    for (int j = 0; j < k; j++)
                        set[j] = nse - k + j;
                    snprintf(name, sizeof name, "last %d block%s (from %s)", k, k > 1 ? "s" : "",
                             sekit_model_se_info(m, nse - k)->name);
                    if (add(&l, m, name, set, k, mode)) goto oom;
                }
            } else if (strcmp(p, "all") == 0) {
                for (int i = 0; i < nse; i++)
                    set[i] = i;
                if (add(&l, m, "all SE blocks", set, nse, mode)) goto oom;
            } else {
                rc = sekit_errf(e, SEKIT_EINVAL,
                                "unknown ablation preset '%s' (single, stage, last-stage, "
                                "cumulative, all)",
                                p);
            }
        }
        free(copy);
        for (int d = 0; d < ndrops && !rc; d++) {
            char *dc = strdup(drops[d]), *sv = NULL;
            if (!dc) goto oom;
            int k = 0;
            for (char *t = strtok_r(dc, ",", &sv); t && !rc; t = strtok_r(NULL, ",", &sv)) {
                int i = sekit_model_se_find(m, t);
                if (i < 0) {
                    char list[2048] = "";
                    for (int j = 0; j < nse && strlen(list) < sizeof list - 40; j++)
                        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                                 j ? ", " : "", sekit_model_se_info(m, j)->name);
                    rc = sekit_errf(e, SEKIT_EINVAL, "--drop: no SE block '%s' (blocks: %s)", t,
                                    list);
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
                if (add(&l, m, drops[d], set, k, mode)) goto oom;
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

void sekit_ablation_tally(struct sekit_variant *v, const float *logits, const int *labels, int nb,
                          int K)
{
    const int topk = K < 5 ? K : 5;
    for (int b = 0; b < nb; b++) {
        const float *l = logits + (size_t)b * K;
        int y = labels[b], above = 0;
        for (int k = 0; k < K; k++)
            above += l[k] > l[y];
        v->n[y]++;
        v->top1[y] += above == 0;
        v->top5[y] += above < topk;
    }
}

static double pct(const int64_t *hit, const int64_t *n, const int *classes, int nc)
{
    int64_t h = 0, t = 0;
    for (int i = 0; i < nc; i++)
        h += hit[classes[i]], t += n[classes[i]];
    return t ? 100.0 * (double)h / (double)t : 0;
}

static int put1(hid_t g, const char *name, hid_t ft, hid_t mt, hsize_t r, hsize_t c, const void *v)
{
    hsize_t dims[2] = {r, c};
    hid_t sp = H5Screate_simple(c ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return bad;
}

int sekit_ablation_write(const char *prefix, const struct sekit_variant *v, int n,
                         const struct sekit_model *m, char *const *class_names, const int *classes,
                         int nclasses, const char *what, struct sekit_err *e)
{
    const int64_t total_params = sekit_model_params(m);
    char path[3][4096], tmp[3][4104];
    const char *ext[3] = {".csv", ".md", ".h5"};
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%.4000s%s", prefix, ext[i]);
        snprintf(tmp[i], sizeof tmp[i], "%.4090s.tmp", path[i]);
    }
    double base1 = pct(v[0].top1, v[0].n, classes, nclasses),
           base5 = pct(v[0].top5, v[0].n, classes, nclasses);
    int rc = SEKIT_OK;
    FILE *csv = fopen(tmp[0], "w"), *md = fopen(tmp[1], "w");
    if (!csv || !md) {
        if (csv) fclose(csv);
        if (md) fclose(md);
        unlink(tmp[0]);
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create", csv ? tmp[1] : tmp[0]);
    }
    fprintf(csv, "variant,mode,blocks,top1,top5,delta_top1,delta_top5,se_params_removed,"
                 "share_of_params,flops_removed_per_image");
    for (int c = 0; c < nclasses; c++)
        fprintf(csv, ",\"top1 %s\"", class_names[classes[c]]);
    fputc('\n', csv);
    fprintf(md, "| variant | mode | top-1 | top-5 | \xce\x94 top-1 | \xce\x94 top-5 | SE params "
                "removed | share of params | SE FLOPs removed / image |\n"
                "|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        double t1 = pct(v[i].top1, v[i].n, classes, nclasses),
               t5 = pct(v[i].top5, v[i].n, classes, nclasses);
        const char *mode = v[i].nblocks == 0                ? "-"
                           : v[i].mode == SEKIT_ABLATE_MEAN ? "mean"
                                                            : "remove";
        fprintf(csv, "\"%s\",%s,\"", v[i].name, mode);
        for (int j = 0; j < v[i].nblocks; j++)
            fprintf(csv, "%s%s", j ? " " : "", sekit_model_se_info(m, v[i].blocks[j])->name);
        fprintf(csv, "\",%.2f,%.2f,%+.2f,%+.2f,%lld,%.4f,%.0f", t1, t5, t1 - base1, t5 - base5,
                (long long)v[i].se_params, (double)v[i].se_params / (double)total_params,
                v[i].flops);
        for (int c = 0; c < nclasses; c++) {
            int k = classes[c];
            fprintf(csv, ",%.2f", v[i].n[k] ? 100.0 * v[i].top1[k] / v[i].n[k] : 0.0);
        }
        fputc('\n', csv);
        fprintf(md, "| %s | %s | %.2f | %.2f | %+.2f | %+.2f | %lld | %.2f%% | %.0f |\n", v[i].name,
                mode, t1, t5, t1 - base1, t5 - base5, (long long)v[i].se_params,
                100.0 * (double)v[i].se_params / (double)total_params, v[i].flops);
    }
    fprintf(md,
            "\n%s. Total parameters %lld. \xce\x94 against the full model (%.2f top-1, "
            "%.2f top-5).\n",
            what, (long long)total_params, base1, base5);
    int bad = ferror(csv) | ferror(md);
    bad |= fclose(csv) != 0;
    bad |= fclose(md) != 0;
    if (bad) rc = sekit_errf(e, SEKIT_EIO, "%s: write error", tmp[0]);

    if (!rc) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        hid_t f = H5Fcreate(tmp[2], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t g = f >= 0 ? H5Gcreate2(f, "ablation", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        bad = g < 0;
        const char **names = malloc(sizeof *names * (size_t)n);
        double *cols[7];
        for (int c = 0; c < 7; c++)
            cols[c] = malloc(sizeof(double) * (size_t)n);
        double *per = malloc(sizeof(double) * (size_t)n * (size_t)nclasses);
        int32_t *mode = malloc(sizeof(int32_t) * (size_t)n),
                *cls = malloc(sizeof(int32_t) * (size_t)nclasses);
        bad |= !names || !per || !mode || !cls;
        for (int c = 0; c < 7; c++)
            bad |= !cols[c];
        for (int i = 0; !bad && i < n; i++) {
            names[i] = v[i].name;
            mode[i] = v[i].nblocks ? (int32_t)v[i].mode : -1;
            cols[0][i] = pct(v[i].top1, v[i].n, classes, nclasses);
            cols[1][i] = pct(v[i].top5, v[i].n, classes, nclasses);
            cols[2][i] = cols[0][i] - base1;
            cols[3][i] = cols[1][i] - base5;
            cols[4][i] = (double)v[i].se_params;
            cols[5][i] = (double)v[i].se_params / (double)total_params;
            cols[6][i] = v[i].flops;
            for (int c = 0; c < nclasses; c++) {
                int k = classes[c];
                per[(size_t)i * nclasses + c] = v[i].n[k] ? 100.0 * v[i].top1[k] / v[i].n[k] : 0;
            }
        }
        for (int c = 0; c < nclasses && cls; c++)
            cls[c] = classes[c];
        const char *cn[7] = {"top1",
                             "top5",
                             "delta_top1",
                             "delta_top5",
                             "se_params_removed",
                             "share_of_params",
                             "flops_removed"};
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, H5T_VARIABLE);
        H5Tset_cset(st, H5T_CSET_UTF8);
        bad = bad || put1(g, "variant", st, st, (hsize_t)n, 0, names) ||
              put1(g, "mode", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)n, 0, mode) ||
              put1(g, "top1_per_class", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)n,
                   (hsize_t)nclasses, per) ||
              put1(g, "classes", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)nclasses, 0, cls);
        for (int c = 0; !bad && c < 7; c++)
            bad |= put1(g, cn[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)n, 0, cols[c]);
        if (!bad) {
            /* what was evaluated, and the schema version (docs/record-format.md, "Ablations") */
            hid_t sp = H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(g, "description", st, sp, H5P_DEFAULT, H5P_DEFAULT);
            bad |= a < 0 || H5Awrite(a, st, &what) < 0;
            if (a >= 0) H5Aclose(a);
            const int64_t fv = 1, tp = total_params;
            a = H5Acreate2(f, "ablation_format_version", H5T_STD_I64LE, sp, H5P_DEFAULT,
                           H5P_DEFAULT);
            bad |= a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &fv) < 0;
            if (a >= 0) H5Aclose(a);
            a = H5Acreate2(g, "total_params", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
            bad |= a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &tp) < 0;
            if (a >= 0) H5Aclose(a);
            H5Sclose(sp);
        }
        /* block membership as a variants x blocks 0/1 matrix */
        const int nse = sekit_model_se_count(m);
        int8_t *mem = calloc((size_t)n * (size_t)nse, 1);
        const char **bn = malloc(sizeof *bn * (size_t)nse);
        for (int i = 0; mem && i < n; i++)
            for (int j = 0; j < v[i].nblocks; j++)
                mem[(size_t)i * nse + v[i].blocks[j]] = 1;
        for (int j = 0; bn && j < nse; j++)
            bn[j] = sekit_model_se_info(m, j)->name;
        bad = bad || !mem || !bn ||
              put1(g, "dropped", H5T_STD_I8LE, H5T_NATIVE_INT8, (hsize_t)n, (hsize_t)nse, mem) ||
              put1(g, "block", st, st, (hsize_t)nse, 0, bn);
        free(mem), free(bn), free(names), free(per), free(mode), free(cls);
        for (int c = 0; c < 7; c++)
            free(cols[c]);
        H5Tclose(st);
        if (g >= 0) H5Gclose(g);
        if (f >= 0 && H5Fclose(f) < 0) bad = 1;
        H5Eclear2(H5E_DEFAULT);
        if (bad) rc = sekit_errf(e, SEKIT_EHDF5, "%s: cannot write", tmp[2]);
    }
    for (int i = 0; !rc && i < 3; i++)
        if (rename(tmp[i], path[i]) != 0)
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot move into place", path[i]);
    if (rc)
        for (int i = 0; i < 3; i++)
            unlink(tmp[i]);
    return rc;
}
