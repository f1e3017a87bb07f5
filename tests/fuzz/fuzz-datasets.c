/*
 * fuzz-datasets.c -- libFuzzer harness for the IDX and CIFAR readers.
 *
 * Input: one mode byte, then the dataset's files separated by the 8 bytes "SEKITSEP" (a file
 * not given is not written). Mode bits:
 *   0-1  0, 3: IDX (images, labels); 1: CIFAR-10 (test: test_batch.bin, batches.meta.txt;
 *        train: data_batch_1..5.bin, batches.meta.txt); 2: CIFAR-100 (test.bin,
 *        fine_label_names.txt, train.bin)
 *   2    open with SEKIT_DS_AUTO instead of the format
 *   3    split "train" (else "test")
 *   4    IDX files named .gz (gzread passes plain data through)
 *   5    the directory is called "mnist" (digit class names) instead of "fashion"
 *   6    load 3-channel images (else 1)
 *   7    centre crop of one pixel less than the image (else none)
 * An opened set is read in full: class names, labels, three items, class parsing and the
 * seeded and unseeded selections.
 */
#include "dataset.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "SEKITSEP"
#define MAX_PARTS 7

static void load_item(struct sekit_ds *ds, int64_t i, const struct sekit_preproc *pp)
{
    int S = sekit_ds_out_size(ds, pp);
    FZ_CHECK(S >= 0);
    float *dst = malloc(((size_t)pp->channels * S * S + 1) * sizeof *dst);
    FZ_CHECK(dst != NULL);
    struct sekit_err e = {0};
    int rc = sekit_ds_load(ds, i, pp, dst, &e);
    if (rc) fz_check_err(rc, &e);
    free(dst);
}

static void select_all(const struct sekit_ds *ds, const char *spec, int64_t per_class,
                       uint64_t seed)
{
    struct sekit_err e = {0};
    int *cls = NULL, n = 0;
    int rc = sekit_ds_parse_classes(ds, spec, &cls, &n, &e);
    if (rc) {
        fz_check_err(rc, &e);
        return;
    }
    int64_t *idx = NULL, cnt = 0;
    rc = sekit_ds_select(ds, cls, n, per_class, seed, &idx, &cnt, &e);
    if (rc) {
        fz_check_err(rc, &e);
    } else {
        FZ_CHECK(cnt >= 0 && cnt <= sekit_ds_count(ds));
        for (int64_t j = 0; j < cnt; j++) {
            FZ_CHECK(idx[j] >= 0 && idx[j] < sekit_ds_count(ds));
            int l = sekit_ds_label(ds, idx[j]), in = 0;
            for (int k = 0; k < n; k++)
                in |= l == cls[k];
            FZ_CHECK(in);
        }
    }
    free(idx);
    free(cls);
}

static void read_set(struct sekit_ds *ds, uint8_t mode)
{
    int64_t n = sekit_ds_count(ds);
    int K = sekit_ds_num_classes(ds);
    FZ_CHECK(n >= 1 && K >= 1);
    for (int k = 0; k < K; k++)
        FZ_CHECK(sekit_ds_class_name(ds, k) != NULL);
    for (int64_t i = 0; i < n; i++) {
        int l = sekit_ds_label(ds, i);
        FZ_CHECK(l >= 0 && l < K);
        FZ_CHECK(sekit_ds_item_path(ds, i) == NULL);
    }
    int c, h, w;
    sekit_ds_native(ds, &c, &h, &w);
    FZ_CHECK(c >= 1 && h >= 1 && w >= 1);
    struct sekit_preproc pp = {.channels = mode & 64 ? 3 : 1,
                               .crop = mode & 128 ? (h < w ? h : w) - 1 : 0,
                               .mean = {0.5f, 0.4f, 0.3f},
                               .std = {0.2f, 0.25f, 0.3f}};
    pp.bgr = pp.scale255 = pp.crop & 1; /* the Caffe options vary with the crop's parity */
    int64_t items[3] = {0, n / 2, n - 1};
    for (int j = 0; j < 3; j++)
        load_item(ds, items[j], &pp);
    select_all(ds, "all", 1, 0);
    select_all(ds, "all", 0, 0);
    select_all(ds, "Trouser,1,7", 1, 42);
    select_all(ds, "0,0", 1, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    const uint8_t *part[MAX_PARTS];
    size_t len[MAX_PARTS];
    int np = 0;
    const uint8_t *p = data + 1, *end = data + size;
    while (np < MAX_PARTS) {
        const uint8_t *s = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        part[np] = p;
        len[np++] = (size_t)((s ? s : end) - p);
        if (!s) break;
        p = s + strlen(SEP);
    }
    const int kind = mode & 3, train = mode & 8;
    const char *sub = mode & 32 ? "mnist" : "fashion";
    const char *names[MAX_PARTS] = {0};
    char idxn[2][64];
    if (kind == 1 && train) {
        static const char *const b[6] = {"data_batch_1.bin", "data_batch_2.bin",
                                         "data_batch_3.bin", "data_batch_4.bin",
                                         "data_batch_5.bin", "batches.meta.txt"};
        memcpy(names, b, sizeof b);
    } else if (kind == 1) {
        names[0] = "test_batch.bin", names[1] = "batches.meta.txt";
    } else if (kind == 2) {
        names[0] = "test.bin", names[1] = "fine_label_names.txt", names[2] = "train.bin";
    } else {
        const char *pre = train ? "train" : "t10k", *gz = mode & 16 ? ".gz" : "";
        snprintf(idxn[0], sizeof idxn[0], "%s-images-idx3-ubyte%s", pre, gz);
        snprintf(idxn[1], sizeof idxn[1], "%s-labels-idx1-ubyte%s", pre, gz);
        names[0] = idxn[0], names[1] = idxn[1];
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", fz_dir(), sub);
    for (int i = 0; i < np; i++) {
        if (!names[i]) continue;
        char rel[128];
        snprintf(rel, sizeof rel, "%s/%s", sub, names[i]);
        FZ_CHECK(fz_write(rel, part[i], len[i]) != NULL);
    }
    struct sekit_ds_opts o = {.path = dir,
                              .split = train ? "train" : "test",
                              .format = mode & 4    ? SEKIT_DS_AUTO
                                        : kind == 1 ? SEKIT_DS_CIFAR
                                        : kind == 2 ? SEKIT_DS_CIFAR
                                                    : SEKIT_DS_IDX};
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    int rc = sekit_ds_open(&ds, &o, &e);
    if (rc) {
        fz_check_err(rc, &e);
        FZ_CHECK(ds == NULL);
    } else {
        FZ_CHECK(strcmp(sekit_ds_path(ds), dir) == 0);
        read_set(ds, mode);
        sekit_ds_close(ds);
    }
    fz_clear();
    return 0;
}
