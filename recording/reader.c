/*
 * reader.c -- opening a sekit recording for analysis (reader.h), validating it on the way in: every
 * dataset's type class and shape, labels and predictions in [0, num_classes), and gates that are
 * finite sigmoid outputs in [0, 1] (checked as each block is read).
 */
#include "reader.h"
#include "formats.h"
#include "h5io.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds far above any real network or dataset, so that products of them stay in range. */
enum {
    SEKIT_RECORDING_MAX_CHANNELS = 1 << 20,
    SEKIT_RECORDING_MAX_BLOCKS = SEKIT_MAX_STAGES * SEKIT_MAX_BLOCKS /* a network's SE blocks */
};
#define SEKIT_RECORDING_MAX_IMAGES ((int64_t)1 << 40)

/* The open file behind a struct sekit_recording: no caller sees an HDF5 handle. */
struct sekit_reader {
    hid_t file;
};

struct iter_ctx {
    struct sekit_recording *r;
    struct sekit_err *e;
    int rc;
};

static herr_t add_block(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    struct iter_ctx *c = data;
    struct sekit_recording *r = c->r;
    if (strncmp(name, "SE_", 3) != 0) return 0;
    if (r->nblocks == SEKIT_RECORDING_MAX_BLOCKS) {
        c->rc = sekit_errf(c->e, SEKIT_EFORMAT, "%s: /excitation holds more than %d SE blocks",
                           r->path, SEKIT_RECORDING_MAX_BLOCKS);
        return 1;
    }
    char where[96];
    snprintf(where, sizeof where, "/excitation/%s", name);
    int64_t dims[2] = {r->n, -1}, st = 0, bk = 0;
    char *mod = NULL;
    hid_t d = -1;
    if ((c->rc = sekit_h5_shape(g, r->path, where, SEKIT_H5_FLOAT, 2, dims, c->e))) return 1;
    /* channel counts size n x C buffers as int: a corrupt extent must not wrap them */
    if (dims[1] < 1 || dims[1] > SEKIT_RECORDING_MAX_CHANNELS) {
        c->rc = sekit_errf(c->e, SEKIT_EFORMAT, "%s: %s has %lld channels (1 to %d)", r->path,
                           where, (long long)dims[1], SEKIT_RECORDING_MAX_CHANNELS);
        return 1;
    }
    struct sekit_recording_block *nb = realloc(r->blocks, sizeof *nb * (size_t)(r->nblocks + 1));
    if (!nb) {
        c->rc = sekit_errf(c->e, SEKIT_ENOMEM, "out of memory");
        return 1;
    }
    r->blocks = nb;
    if ((d = H5Dopen2(g, where, H5P_DEFAULT)) < 0) {
        c->rc = sekit_h5_fail(c->e, r->path, "open a block dataset");
        return 1;
    }
    char *gate = NULL;
    if ((c->rc = sekit_h5_attr_read_str(d, r->path, where, "module", 0,
                                        sizeof r->blocks->module - 1, &mod, c->e)) ||
        (c->rc = sekit_h5_attr_read_str(d, r->path, where, "gate", 0, sizeof r->blocks->gate - 1,
                                        &gate, c->e)) ||
        (c->rc = sekit_h5_attr_read_i64(d, r->path, where, "stage", 0, &st, c->e)) ||
        (c->rc = sekit_h5_attr_read_i64(d, r->path, where, "block", 0, &bk, c->e))) {
        H5Dclose(d);
        free(mod);
        free(gate);
        return 1;
    }
    H5Dclose(d);
    if (st < 1 || bk < 1) sscanf(name, "SE_%" SCNd64 "_%" SCNd64, &st, &bk);
    /* stage 2 is the first residual stage (docs/record-format.md) */
    if (st < 1 || st > SEKIT_MAX_STAGES + 1 || bk < 1 || bk > SEKIT_MAX_BLOCKS) {
        c->rc =
            sekit_errf(c->e, SEKIT_EFORMAT,
                       "%s: %s is stage %lld, block %lld (stages 1 to %d, blocks 1 to %d)", r->path,
                       where, (long long)st, (long long)bk, SEKIT_MAX_STAGES + 1, SEKIT_MAX_BLOCKS);
        free(mod);
        free(gate);
        return 1;
    }
    if (gate && strcmp(gate, "sigmoid") && strcmp(gate, "hardsigmoid")) {
        c->rc = sekit_errf(c->e, SEKIT_EFORMAT, "%s: %s has gate '%.32s' (sigmoid, hardsigmoid)",
                           r->path, where, gate);
        free(mod);
        free(gate);
        return 1;
    }
    struct sekit_recording_block *b = &r->blocks[r->nblocks++];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->module, sizeof b->module, "%s", mod ? mod : "");
    /* recordings before the attribute hold only sigmoid gates */
    snprintf(b->gate, sizeof b->gate, "%s", gate ? gate : "sigmoid");
    free(mod);
    free(gate);
    b->stage = (int)st;
    b->block = (int)bk;
    b->channels = (int)dims[1];
    return 0;
}

static int cmp_block(const void *x, const void *y)
{
    const struct sekit_recording_block *a = x, *b = y;
    if (a->stage != b->stage) return a->stage < b->stage ? -1 : 1;
    return (a->block > b->block) - (a->block < b->block);
}

/* Reads a per-image class index dataset ([n] integers in [0, K)). */
static int read_classes(struct sekit_recording *r, const char *name, int32_t **out,
                        struct sekit_err *e)
{
    int64_t dims[2] = {r->n, 0};
    int rc = sekit_h5_read(r->io->file, r->path, name, SEKIT_H5_INT, H5T_NATIVE_INT32, 1, dims,
                           (void **)out, e);
    for (int64_t i = 0; !rc && i < r->n; i++)
        if ((*out)[i] < 0 || (*out)[i] >= r->num_classes)
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s row %lld: %d outside [0, %d)", r->path, name,
                            (long long)i, (*out)[i], r->num_classes);
    return rc;
}

/* The recorded classes: the attribute class_indices, else the labels present. */
static int read_selection(struct sekit_recording *r, struct sekit_err *e)
{
    int64_t *ci = NULL, cnt = 0;
    int rc = sekit_h5_attr_read_i64s(r->io->file, r->path, "/", "class_indices", 0, &ci, &cnt, e);
    if (rc) return rc;
    r->sel_classes = malloc(sizeof(int) * (size_t)r->num_classes);
    int64_t *listed = calloc((size_t)r->num_classes, sizeof *listed); /* position + 1 */
    if (!r->sel_classes || !listed) {
        free(ci), free(listed);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < cnt; i++) {
        if (ci[i] < 0 || ci[i] >= r->num_classes) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: attribute class_indices[%lld] = %lld outside "
                            "[0, %d)",
                            r->path, (long long)i, (long long)ci[i], r->num_classes);
            break;
        }
        /* a class listed twice would be two rows of the statistics that split its images,
         * and take the place of a class the recording holds */
        if (listed[ci[i]]) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: attribute class_indices lists class %lld twice ([%lld] and "
                            "[%lld])",
                            r->path, (long long)ci[i], (long long)listed[ci[i]] - 1, (long long)i);
            break;
        }
        listed[ci[i]] = i + 1;
        r->sel_classes[r->nsel++] = (int)ci[i];
    }
    free(ci), free(listed);
    if (!rc && r->nsel == 0)
        for (int k = 0; k < r->num_classes; k++)
            for (int64_t i = 0; i < r->n; i++)
                if (r->labels[i] == k) {
                    r->sel_classes[r->nsel++] = k;
                    break;
                }
    return rc;
}

int sekit_recording_open(struct sekit_recording **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    hid_t f;
    int rc = sekit_h5_open(path, &f, e);
    if (rc) return rc;
    struct sekit_recording *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path)) || !(r->io = malloc(sizeof *r->io))) {
        if (r) free(r->path);
        free(r);
        H5Fclose(f);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    r->io->file = f;
    int64_t fv = 0, nk = 0, n = 0, K = -1;
    if ((rc = sekit_h5_attr_read_i64(f, path, "/", "format_version", 0, &fv, e)) ||
        (rc = sekit_h5_attr_read_i64(f, path, "/", "n_images", 0, &n, e)))
        goto fail;
    if (fv == 0 || n == 0) {
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
    if ((rc = sekit_h5_attr_read_i64(f, path, "/", "num_classes", 1, &nk, e))) goto fail;
    if (nk < 1 || nk > SEKIT_MAX_CLASSES || n < 1 || n > SEKIT_RECORDING_MAX_IMAGES) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: bad num_classes or n_images attribute", path);
        goto fail;
    }
    r->n = n;
    r->num_classes = (int)nk;
    if ((rc = sekit_h5_attr_read_str(f, path, "/", "model_path", 0, SEKIT_H5_MAX_STRING,
                                     &r->model_path, e)) ||
        (rc = sekit_h5_attr_read_str(f, path, "/", "model_sha256", 0, SEKIT_H5_MAX_STRING,
                                     &r->model_sha256, e)) ||
        (rc = sekit_h5_attr_read_str(f, path, "/", "dataset", 0, SEKIT_H5_MAX_STRING, &r->dataset,
                                     e)) ||
        (rc =
             sekit_h5_attr_read_str(f, path, "/", "split", 0, SEKIT_H5_MAX_STRING, &r->split, e)) ||
        (rc = sekit_h5_attr_read_str(f, path, "/", "architecture", 0, SEKIT_H5_MAX_STRING,
                                     &r->architecture, e)))
        goto fail;
    K = nk;
    if ((rc = sekit_h5_read_strings(f, path, "/class_names", &K, SEKIT_CLASS_NAME_MAX,
                                    &r->class_names, e)) ||
        (rc = read_classes(r, "/labels", &r->labels, e)) ||
        (rc = read_classes(r, "/predictions", &r->preds, e)) || (rc = read_selection(r, e)))
        goto fail;
    /* optional: recordings of ImageNet synset folders name each class's synset */
    if (H5LTpath_valid(f, "/class_synsets", 1) > 0 &&
        (rc = sekit_h5_read_strings(f, path, "/class_synsets", &K, SEKIT_CLASS_NAME_MAX,
                                    &r->class_synsets, e)))
        goto fail;
    H5Eclear2(H5E_DEFAULT);
    if (H5LTpath_valid(f, "/excitation", 1) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: no /excitation group: not a sekit recording", path);
        goto fail;
    }
    {
        struct iter_ctx c = {r, e, SEKIT_OK};
        hid_t g = H5Gopen2(f, "excitation", H5P_DEFAULT);
        if (g < 0 || H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, add_block, &c) < 0)
            c.rc = c.rc ? c.rc : sekit_h5_fail(e, path, "list /excitation");
        if (g >= 0) H5Gclose(g);
        if ((rc = c.rc)) goto fail;
        if (r->nblocks == 0) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: /excitation holds no SE block", path);
            goto fail;
        }
        qsort(r->blocks, (size_t)r->nblocks, sizeof *r->blocks, cmp_block);
    }
    r->has_squeeze = H5LTpath_valid(f, "/squeeze", 1) > 0;
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
    if (r->io) H5Fclose(r->io->file);
    free(r->io);
    sekit_h5_strings_free(r->class_names, r->num_classes);
    if (r->class_synsets) sekit_h5_strings_free(r->class_synsets, r->num_classes);
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
    for (int k = 0; r->class_synsets && *name && k < r->num_classes; k++)
        if (strcasecmp(r->class_synsets[k], name) == 0) return k;
    char *end;
    long v = strtol(name, &end, 10);
    return *name && !*end && v >= 0 && v < r->num_classes ? (int)v : -1;
}

int sekit_recording_read(const struct sekit_recording *r, const char *group, int b, float *dst,
                         struct sekit_err *e)
{
    char name[96];
    snprintf(name, sizeof name, "/%s/%s", group, r->blocks[b].name);
    const int C = r->blocks[b].channels;
    int64_t dims[2] = {r->n, C};
    int rc = sekit_h5_read_into(r->io->file, r->path, name, SEKIT_H5_FLOAT, H5T_NATIVE_FLOAT, 2,
                                dims, dst, e);
    /* gates are sigmoid outputs; squeeze vectors are means of activations, any finite value */
    const int gates = strcmp(group, "excitation") == 0;
    for (int64_t i = 0; !rc && i < r->n; i++)
        for (int c = 0; c < C; c++) {
            float v = dst[i * C + c];
            if (!isfinite(v))
                return sekit_errf(e, SEKIT_EFORMAT, "%s: %s row %lld: %s %s", r->path, name,
                                  (long long)i, isnan(v) ? "NaN" : "infinite",
                                  gates ? "gate" : "value");
            if (gates && (v < 0 || v > 1))
                return sekit_errf(e, SEKIT_EFORMAT,
                                  "%s: %s row %lld: gate %g outside [0, 1] (not a sigmoid output)",
                                  r->path, name, (long long)i, (double)v);
        }
    return rc;
}
