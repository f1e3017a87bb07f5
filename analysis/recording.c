/*
 * recording.c -- opening a sekit recording for analysis, validating it on the way in.
 */
#include "analysis.h"
#include "record.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h5err(struct sekit_err *e, const char *path, const char *what)
{
    H5Eclear2(H5E_DEFAULT);
    return sekit_errf(e, SEKIT_EFORMAT, "%s: %s", path, what);
}

/* A string attribute (fixed or variable length) as a malloc'd string, or NULL. */
static char *attr_string(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0) return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no character sets */
            if (H5Aread(a, mt, &v) >= 0 && v) out = strdup(v);
            H5free_memory(v);
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            out = calloc(n + 1, 1);
            if (out && H5Aread(a, t, out) < 0) {
                free(out);
                out = NULL;
            }
        }
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

static int attr_int(hid_t obj, const char *name, int64_t *v)
{
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), s = H5Aget_space(a);
    int rc = H5Sget_simple_extent_npoints(s) == 1 && H5Aread(a, H5T_NATIVE_INT64, v) >= 0 ? 0 : -1;
    H5Sclose(s);
    H5Aclose(a);
    return rc;
}

/* Reads a 1-D dataset of n elements of memtype; -1 if absent or of another length. */
static int read_1d(hid_t f, const char *name, hid_t memtype, int64_t n, void *dst)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = H5Dget_space(d);
    int ok = H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_npoints(s) == n &&
             H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0;
    H5Sclose(s);
    H5Dclose(d);
    return ok ? 0 : -1;
}

struct iter_ctx {
    struct sekit_recording *r;
    hid_t group;
    int bad;
};

static herr_t add_block(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    struct iter_ctx *c = data;
    struct sekit_recording *r = c->r;
    if (strncmp(name, "SE_", 3) != 0) return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        c->bad = 1;
        return 1;
    }
    hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int nd = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    struct sekit_rec_block_info *nb = realloc(r->blocks, sizeof *nb * (size_t)(r->nblocks + 1));
    if (!nb || nd != 2 || (int64_t)dims[0] != r->n || dims[1] < 1) {
        if (nb) r->blocks = nb;
        H5Dclose(d);
        c->bad = 2;
        return 1;
    }
    r->blocks = nb;
    struct sekit_rec_block_info *b = &r->blocks[r->nblocks++];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    char *mod = attr_string(d, "module");
    snprintf(b->module, sizeof b->module, "%s", mod ? mod : "");
    free(mod);
    int64_t st = 0, bk = 0;
    attr_int(d, "stage", &st);
    attr_int(d, "block", &bk);
    if (st < 1 || bk < 1) sscanf(name, "SE_%" SCNd64 "_%" SCNd64, &st, &bk);
    b->stage = (int)st;
    b->block = (int)bk;
    b->channels = (int)dims[1];
    H5Dclose(d);
    return 0;
}

static int cmp_block(const void *x, const void *y)
{
    const struct sekit_rec_block_info *a = x, *b = y;
    return a->stage != b->stage ? a->stage - b->stage : a->block - b->block;
}

int sekit_recording_open(struct sekit_recording **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        FILE *f = fopen(path, "rb");
        if (!f) return sekit_errf(e, SEKIT_EIO, "%s: cannot open", path);
        fclose(f);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not an HDF5 file", path);
    }
    struct sekit_recording *r = calloc(1, sizeof *r);
    if (!r) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    r->path = strdup(path);
    r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int rc = SEKIT_OK;
    int64_t fv = 0, nk = 0, n = 0;
    if (r->file < 0) {
        rc = h5err(e, path, "cannot open the HDF5 file");
        goto fail;
    }
    hid_t f = (hid_t)r->file;
    if (attr_int(f, "format_version", &fv) != 0 || attr_int(f, "n_images", &n) != 0) {
        rc =
            sekit_errf(e, SEKIT_EFORMAT,
                       "%s: not a sekit recording (no format_version / n_images attributes)", path);
        goto fail;
    }
    if (fv > SEKIT_RECORD_FORMAT_VERSION || fv < 1) {
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: format_version %lld; this sekit reads version %d (upgrade sekit)",
                        path, (long long)fv, SEKIT_RECORD_FORMAT_VERSION);
        goto fail;
    }
    if (attr_int(f, "num_classes", &nk) != 0 || nk < 1 || nk > 1000000 || n < 1) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: bad num_classes or n_images attribute", path);
        goto fail;
    }
    r->n = n;
    r->num_classes = (int)nk;
    r->model_path = attr_string(f, "model_path");
    r->model_sha256 = attr_string(f, "model_sha256");
    r->dataset = attr_string(f, "dataset");
    r->split = attr_string(f, "split");
    r->architecture = attr_string(f, "architecture");
    r->labels = malloc(sizeof(int32_t) * (size_t)n);
    r->preds = malloc(sizeof(int32_t) * (size_t)n);
    r->class_names = calloc((size_t)nk, sizeof *r->class_names);
    if (!r->labels || !r->preds || !r->class_names) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto fail;
    }
    if (read_1d(f, "labels", H5T_NATIVE_INT32, n, r->labels) ||
        read_1d(f, "predictions", H5T_NATIVE_INT32, n, r->preds)) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: missing or malformed /labels or /predictions", path);
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        if (r->labels[i] < 0 || r->labels[i] >= nk) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /labels[%lld] = %d outside 0..%lld", path,
                            (long long)i, r->labels[i], (long long)nk - 1);
            goto fail;
        }
    {
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, H5T_VARIABLE);
        H5Tset_cset(st, H5T_CSET_UTF8);
        char **names = calloc((size_t)nk, sizeof *names);
        int bad = !names || read_1d(f, "class_names", st, nk, names);
        for (int k = 0; k < nk; k++) {
            char num[16];
            snprintf(num, sizeof num, "%d", k);
            r->class_names[k] = strdup(!bad && names[k] ? names[k] : num);
            if (names) H5free_memory(names[k]);
        }
        free(names);
        H5Tclose(st);
        if (bad) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: missing or malformed /class_names", path);
            goto fail;
        }
    }
    /* the recorded classes: the attribute, else the labels present */
    {
        hid_t a = H5Aexists(f, "class_indices") > 0 ? H5Aopen(f, "class_indices", H5P_DEFAULT) : -1;
        int64_t *ci = NULL;
        int cnt = 0;
        if (a >= 0) {
            hid_t s = H5Aget_space(a);
            cnt = (int)H5Sget_simple_extent_npoints(s);
            H5Sclose(s);
            ci = calloc((size_t)(cnt + 1), sizeof *ci);
            if (!ci || H5Aread(a, H5T_NATIVE_INT64, ci) < 0) cnt = 0;
            H5Aclose(a);
        }
        r->sel_classes = malloc(sizeof(int) * (size_t)nk);
        for (int i = 0; r->sel_classes && i < cnt && r->nsel < nk; i++)
            if (ci[i] >= 0 && ci[i] < nk) r->sel_classes[r->nsel++] = (int)ci[i];
        free(ci);
        if (r->sel_classes && r->nsel == 0) {
            for (int k = 0; k < nk; k++)
                for (int64_t i = 0; i < n; i++)
                    if (r->labels[i] == k) {
                        r->sel_classes[r->nsel++] = k;
                        break;
                    }
        }
    }
    if (H5Lexists(f, "excitation", H5P_DEFAULT) <= 0) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: no /excitation group: not a sekit recording", path);
        goto fail;
    }
    {
        struct iter_ctx c = {r, -1, 0};
        hid_t g = H5Gopen2(f, "excitation", H5P_DEFAULT);
        H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, add_block, &c);
        H5Gclose(g);
        if (c.bad || r->nblocks == 0) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /excitation holds %s", path,
                            r->nblocks ? "a malformed block dataset" : "no SE block");
            goto fail;
        }
        qsort(r->blocks, (size_t)r->nblocks, sizeof *r->blocks, cmp_block);
    }
    r->has_squeeze = H5Lexists(f, "squeeze", H5P_DEFAULT) > 0;
    H5Eclear2(H5E_DEFAULT);
    *out = r;
    return SEKIT_OK;
fail:
    sekit_recording_close(r);
    return rc;
}

void sekit_recording_close(struct sekit_recording *r)
{
    if (!r) return;
    if (r->file > 0) H5Fclose((hid_t)r->file);
    for (int k = 0; r->class_names && k < r->num_classes; k++)
        free(r->class_names[k]);
    free(r->class_names);
    free(r->sel_classes);
    free(r->labels);
    free(r->preds);
    free(r->blocks);
    free(r->model_path);
    free(r->model_sha256);
    free(r->dataset);
    free(r->split);
    free(r->architecture);
    free(r->path);
    free(r);
}

int sekit_recording_find(const struct sekit_recording *r, const char *name)
{
    for (int b = 0; b < r->nblocks; b++)
        if (strcmp(r->blocks[b].name, name) == 0 || strcmp(r->blocks[b].module, name) == 0)
            return b;
    return -1;
}

int sekit_recording_class(const struct sekit_recording *r, const char *name)
{
    for (int k = 0; k < r->num_classes; k++)
        if (strcasecmp(r->class_names[k], name) == 0) return k;
    char *end;
    long v = strtol(name, &end, 10);
    return *name && !*end && v >= 0 && v < r->num_classes ? (int)v : -1;
}

int sekit_recording_read(const struct sekit_recording *r, const char *group, int b, float *dst,
                         struct sekit_err *e)
{
    char name[96];
    snprintf(name, sizeof name, "%s/%s", group, r->blocks[b].name);
    hid_t f = (hid_t)r->file;
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: no /%s", r->path, name);
    }
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst);
    H5Dclose(d);
    if (rc < 0) return h5err(e, r->path, "cannot read a block dataset");
    return SEKIT_OK;
}
