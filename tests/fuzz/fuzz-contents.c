/*
 * fuzz-contents.c -- libFuzzer harness for what sekit's readers check inside well-formed HDF5:
 * the input bytes choose a recording's attributes, dataset types, shapes and values (labels out
 * of range, float labels, integer or NaN gates, missing groups, a newer format, block names...),
 * the harness writes that file through libhdf5's own API, and sekit_recording_open reads it;
 * a recording it accepts is then read block by block and turned into statistics, which for one
 * input in four (with_file) are written as a statistics file and read back (sekit_stats_read
 * and sekit_stats_load must agree).
 *
 * fuzz-recording feeds raw bytes, which mostly exercises libhdf5's parser of corrupt files (and
 * its crashes, tests/fuzz/README.md); here every file is valid HDF5, so every finding is sekit's.
 */
#include "analysis.h"
#include "formats.h"
#include "fuzz.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The input read as a stream of choices; past its end every choice is 0. */
struct bytes {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct bytes *b)
{
    if (!b->n) return 0;
    b->n--;
    return *b->p++;
}

static const hid_t *type_choice(unsigned c)
{
    static hid_t t[5];
    t[0] = H5T_NATIVE_INT32, t[1] = H5T_NATIVE_INT8, t[2] = H5T_NATIVE_INT64;
    t[3] = H5T_NATIVE_FLOAT, t[4] = H5T_NATIVE_DOUBLE;
    return &t[c % 5];
}

/* A value of class-index data: mostly in [0, K), sometimes just outside. */
static double class_value(struct bytes *b, int K)
{
    const unsigned v = take(b);
    return v == 255 ? -1 : v == 254 ? K : v == 253 ? 0.5 : (double)(v % (unsigned)K);
}

/* A gate: mostly in (0, 1), sometimes NaN, infinite, negative or above 1. */
static double gate_value(struct bytes *b)
{
    const unsigned v = take(b);
    return v == 255 ? NAN : v == 254 ? INFINITY : v == 253 ? -0.5 : v == 252 ? 1.5 : v / 252.0;
}

/* A dataset of rows x cols (cols 0: rank 1) of the chosen type, values from the bytes; returns
 * it open (the caller closes it), or -1. */
static hid_t dataset(hid_t loc, const char *name, hid_t type, hsize_t rows, hsize_t cols,
                     struct bytes *b, int K, int gates)
{
    hsize_t dims[2] = {rows, cols};
    const size_t count = (size_t)rows * (cols ? cols : 1);
    double *v = malloc(sizeof *v * (count + 1));
    if (!v) return -1;
    for (size_t i = 0; i < count; i++)
        v[i] = gates ? gate_value(b) : class_value(b, K);
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    /* libhdf5 converts doubles to the file type (NaN to an integer type is its own affair) */
    if (d >= 0) H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Sclose(sp);
    free(v);
    return d;
}

static void attr_i64(hid_t obj, const char *name, const int64_t *v, hsize_t n)
{
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, H5T_NATIVE_INT64, v);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

static void attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, t, &v);
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static void strings(hid_t loc, const char *name, int n, struct bytes *b)
{
    static const char *const pool[] = {"Trouser", "Bag", "7", "", "T-shirt/top", "bag"};
    const char **v = malloc(sizeof *v * (size_t)(n + 1));
    if (!v) return;
    for (int i = 0; i < n; i++)
        v[i] = pool[take(b) % 6];
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Tclose(t);
    free(v);
}

/* A block group (excitation or squeeze) of nb blocks. */
static void blocks(hid_t f, const char *group, int nb, hsize_t n, struct bytes *b)
{
    hid_t g = H5Gcreate2(f, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return;
    for (int i = 0; i < nb; i++) {
        char name[32];
        const unsigned how = take(b);
        if (how % 11 == 0)
            snprintf(name, sizeof name, "junk%d", i);
        else
            snprintf(name, sizeof name, "SE_%u_%u", 2 + how % 4, 1 + (how >> 2) % 3 + 3 * i);
        const hid_t type = *type_choice(how % 13 == 1 ? take(b) : 3 + take(b) % 2);
        const unsigned shape = take(b);
        const hsize_t rows = shape % 17 == 1 ? n + 1 : n,
                      cols = shape % 19 == 1 ? 0 : 1 + shape % 8;
        if (H5Lexists(g, name, H5P_DEFAULT) > 0) continue;
        hid_t d = dataset(g, name, type, rows, cols, b, 1, 1);
        if (d < 0) continue;
        if (take(b) % 3) {
            const int64_t stage = 2 + (int64_t)(how % 4), block = (int64_t)take(b) % 5;
            attr_str(d, "module", "layer1.0.se");
            attr_i64(d, "stage", &stage, 1);
            attr_i64(d, "block", &block, 1);
        }
        H5Dclose(d);
    }
    H5Gclose(g);
}

/* Writes the recording the bytes describe; returns its path, or NULL. */
static const char *build(struct bytes *b)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/run.h5", fz_dir());
    const unsigned shape = take(b);
    const int64_t n = 1 + take(b) % 24, K = 1 + take(b) % 12;
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return NULL;
    const int64_t version = shape % 23 == 0   ? SEKIT_RECORD_FORMAT_VERSION + 1
                            : shape % 29 == 0 ? 0
                                              : 1;
    if (version) attr_i64(f, "format_version", &version, 1);
    const int64_t n_attr = shape % 31 == 0 ? n + 1 : shape % 37 == 0 ? -n : n;
    if (shape % 41) attr_i64(f, "n_images", &n_attr, 1);
    const int64_t k_attr = shape % 43 == 0 ? 0 : K;
    attr_i64(f, "num_classes", &k_attr, 1);
    attr_str(f, "model_sha256", "0123");
    attr_str(f, "dataset", "fuzz");
    attr_str(f, "split", "test");
    const int nsel = (int)(take(b) % 4);
    int64_t sel[4];
    for (int i = 0; i < nsel; i++)
        sel[i] = (int64_t)class_value(b, (int)K);
    if (nsel) attr_i64(f, "class_indices", sel, (hsize_t)nsel);
    strings(f, "class_names", (int)(shape % 47 == 0 ? K + 1 : K), b);
    const unsigned lab = take(b), pred = take(b);
    hid_t d = dataset(f, "labels", *type_choice(lab % 7 == 0 ? lab / 7 : lab % 3),
                      lab % 53 == 1 ? n + 1 : n, 0, b, (int)K, 0);
    if (d >= 0) H5Dclose(d);
    d = dataset(f, "predictions", *type_choice(pred % 7 == 0 ? pred / 7 : pred % 3), (hsize_t)n,
                pred % 59 == 1 ? 2 : 0, b, (int)K, 0);
    if (d >= 0) H5Dclose(d);
    const int nb = (int)(take(b) % 5);
    if (shape % 61) blocks(f, "excitation", nb, (hsize_t)n, b);
    if (take(b) % 4 == 0) blocks(f, "squeeze", nb, (hsize_t)n, b);
    return H5Fclose(f) < 0 ? NULL : path;
}

/* The statistics file written from st reads back with the same values, and statistics loaded
 * from the recording agree with them. */
static void write_back(const struct sekit_recording *r, const struct sekit_block_stats *st,
                       const char *path)
{
    struct sekit_err e = {0};
    char out[4200];
    snprintf(out, sizeof out, "%s/run.stats.h5", fz_dir());
    int rc = sekit_stats_write(out, r, st, &e);
    if (rc) {
        fz_check_err(rc, &e);
        return;
    }
    struct sekit_stats_file *s = NULL, *l = NULL;
    FZ_CHECK(sekit_stats_read(&s, out, &e) == SEKIT_OK);
    FZ_CHECK(sekit_stats_load(&l, path, &e) == SEKIT_OK);
    FZ_CHECK(s->nblocks == r->nblocks && l->nblocks == r->nblocks && s->n == r->n);
    for (int b = 0; b < r->nblocks; b++) {
        FZ_CHECK(s->blocks[b].specificity == st[b].specificity);
        FZ_CHECK(l->blocks[b].specificity == st[b].specificity);
        FZ_CHECK(s->blocks[b].channels == st[b].channels);
    }
    sekit_stats_file_free(s);
    sekit_stats_file_free(l);
}

/* A recording sekit accepted: statistics compute (or the gates are refused), and, when
 * with_file, go through the statistics file (write_back). */
static void accepted(const struct sekit_recording *r, const char *path, int with_file)
{
    FZ_CHECK(r->n >= 1 && r->num_classes >= 1 && r->nblocks >= 1);
    for (int64_t i = 0; i < r->n; i++)
        FZ_CHECK(r->labels[i] >= 0 && r->labels[i] < r->num_classes && r->preds[i] >= 0 &&
                 r->preds[i] < r->num_classes);
    struct sekit_err e = {0};
    struct sekit_block_stats *st = calloc((size_t)r->nblocks, sizeof *st);
    FZ_CHECK(st != NULL);
    int rc = sekit_stats_recording(r, st, &e);
    if (rc) {
        /* only the gates themselves can still be refused (NaN, infinite, outside [0, 1]) */
        fz_check_err(rc, &e);
        free(st);
        return;
    }
    for (int b = 0; b < r->nblocks; b++) {
        FZ_CHECK(st[b].specificity >= -1e-9 && st[b].specificity <= 1 + 1e-9);
        FZ_CHECK(st[b].sat_high >= 0 && st[b].sat_high <= 1);
        for (int k = 0; k < st[b].nclasses * st[b].channels; k++)
            FZ_CHECK(st[b].mean[k] >= 0 && st[b].mean[k] <= 1);
    }
    if (with_file) write_back(r, st, path);
    for (int b = 0; b < r->nblocks; b++)
        sekit_stats_free(&st[b]);
    free(st);
}

/* Whether this input's accepted recording also goes through the statistics file: one input in
 * WRITE_BACK_EVERY, by a hash of all its bytes, so that a replay makes the same choice. Writing
 * and reading sekit's own statistics file (dimension scales, two CSVs, three more HDF5 opens)
 * took 57% of the harness's time when every accepted recording went through it; it is the same
 * code for most recordings, while the reader, the part that meets hostile files, runs on all. */
#define WRITE_BACK_EVERY 16

static int with_file(const uint8_t *data, size_t size)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211u;
    return h % WRITE_BACK_EVERY == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_h5_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bytes b = {data, size};
    const char *path = build(&b);
    if (path) {
        struct sekit_recording *r = NULL;
        struct sekit_err e = {0};
        int rc = sekit_recording_open(&r, path, &e);
        if (rc) {
            fz_check_err(rc, &e);
            FZ_CHECK(r == NULL);
        } else {
            accepted(r, path, with_file(data, size));
            sekit_recording_close(r);
        }
    }
    /* the files this harness wrote itself, so the next execution starts from none */
    static const char *const made[] = {"run.h5", "run.stats.h5", "run.stats.csv", "run.means.csv"};
    for (int i = 0; i < 4; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", fz_dir(), made[i]);
        remove(p);
    }
    fz_clear();
    return 0;
}
