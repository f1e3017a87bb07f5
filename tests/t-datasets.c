/*
 * t-datasets.c -- the dataset readers on tiny files this test writes: IDX (raw and gzip),
 * CIFAR-10 binary batches, image folders of PNG and JPEG (made with libpng and libjpeg), class
 * selection, and the rejection of malformed input with a one-line message naming the file.
 */
#include "dataset.h"
#include "imgwrite.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static char dirbuf[600];

static const char *mkdir_in(const char *name)
{
    snprintf(dirbuf, sizeof dirbuf, "%s/%s", tap_tmpdir(), name);
    mkdir(dirbuf, 0755);
    return dirbuf;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Writes an IDX pair of n images of h x w with pixel (i, y, x) = (i * 7 + y * w + x) % 256 and
 * label i % 10. Corruptions: 1 wrong image magic, 2 truncated pixels, 3 label count mismatch. */
static void write_idx(const char *dir, const char *prefix, int n, int h, int w, int gz, int bad)
{
    char path[700];
    size_t ni = 16 + (size_t)n * h * w, nl = 8 + (size_t)n;
    unsigned char *img = malloc(ni), *lab = malloc(nl);
    put_be32(img, bad == 1 ? 0x00000804 : 0x00000803);
    put_be32(img + 4, (uint32_t)n), put_be32(img + 8, (uint32_t)h), put_be32(img + 12, (uint32_t)w);
    for (int i = 0; i < n; i++)
        for (int p = 0; p < h * w; p++)
            img[16 + (size_t)i * h * w + p] = (unsigned char)((i * 7 + p) % 256);
    put_be32(lab, 0x00000801);
    put_be32(lab + 4, (uint32_t)(bad == 3 ? n - 1 : n));
    for (int i = 0; i < n; i++)
        lab[8 + i] = (unsigned char)(i % 10);
    if (bad == 2) ni -= 5;
    const char *ext = gz ? ".gz" : "";
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, prefix, ext);
    gzFile g = gzopen(path, gz ? "wb" : "wbT");
    gzwrite(g, img, (unsigned)ni);
    gzclose(g);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte%s", dir, prefix, ext);
    g = gzopen(path, gz ? "wb" : "wbT");
    gzwrite(g, lab, (unsigned)nl);
    gzclose(g);
    free(img);
    free(lab);
}

static void expect_open_fails(const char *dir, enum sekit_ds_format f, const char *what,
                              const char *needle)
{
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {dir, f, "test", NULL, 0};
    int rc = sekit_ds_open(&ds, &o, &e);
    ok(rc != SEKIT_OK && strstr(e.msg, dir) && !strchr(e.msg, '\n') && strstr(e.msg, needle),
       "%s: refused, naming the file (%s)", what, e.msg);
    sekit_ds_close(ds);
}

static void idx(void)
{
    const char *d = mkdir_in("idx");
    write_idx(d, "t10k", 30, 5, 5, 1, 0);
    write_idx(d, "train", 20, 4, 5, 0, 0);
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {d, SEKIT_DS_AUTO, "test", NULL, 0};
    if (!ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK, "gzip IDX test split opens")) {
        diag("%s", e.msg);
        return;
    }
    is_str(sekit_ds_format_name(ds), "idx", "format detected");
    is_int(sekit_ds_count(ds), 30, "30 images");
    is_str(sekit_ds_class_name(ds, 1), "Trouser", "Fashion-MNIST names built in");
    is_int(sekit_ds_label(ds, 13), 3, "labels read");
    struct sekit_preproc pp = {
        .channels = 1, .mean = {0.5f, 0.5f, 0.5f}, .std = {0.25f, 0.25f, 0.25f}};
    float img[25], want[25];
    ok(sekit_ds_load(ds, 2, &pp, img, &e) == SEKIT_OK, "image loads");
    for (int p = 0; p < 25; p++)
        want[p] = (float)(((2 * 7 + p) % 256) / 255.0 - 0.5) / 0.25f;
    is_close(img, want, 25, 1e-6, "pixels scaled to [0,1] and normalised");
    pp.channels = 3;
    float img3[75];
    sekit_ds_load(ds, 2, &pp, img3, &e);
    is_close(img3 + 50, want, 25, 1e-6, "gray replicated into 3 channels");
    pp.crop = 3;
    sekit_ds_load(ds, 2, &pp, img3, &e);
    is_close(img3, (float[]){want[6], want[7], want[8]}, 3, 1e-6, "a centre crop of stored images");
    /* 5 - 2 = 3 pixels left over: torchvision's CenterCrop offset is round(1.5) = 2 (half to
     * even), so the crop starts at row 2, column 2 */
    pp.crop = 2;
    sekit_ds_load(ds, 2, &pp, img3, &e);
    is_close(img3, (float[]){want[12], want[13], want[17], want[18]}, 4, 1e-6,
             "a 2x2 centre crop of 5x5 starts at (2, 2), as torchvision's round half to even");

    int *cls, nc;
    ok(sekit_ds_parse_classes(ds, "Trouser,8", &cls, &nc, &e) == SEKIT_OK && nc == 2 &&
           cls[0] == 1 && cls[1] == 8,
       "classes by name and index");
    int64_t *sel, n;
    ok(sekit_ds_select(ds, cls, nc, 2, 0, &sel, &n, &e) == SEKIT_OK && n == 4, "2 per class");
    ok(sel[0] == 1 && sel[1] == 11 && sel[2] == 8 && sel[3] == 18,
       "first N in dataset order, grouped by class");
    free(sel);
    int64_t *s1, *s2, n1, n2;
    sekit_ds_select(ds, cls, nc, 2, 7, &s1, &n1, &e);
    sekit_ds_select(ds, cls, nc, 2, 7, &s2, &n2, &e);
    ok(n1 == 4 && memcmp(s1, s2, sizeof *s1 * 4) == 0 && s1[0] < s1[1] &&
           sekit_ds_label(ds, s1[0]) == 1 && sekit_ds_label(ds, s1[3]) == 8,
       "a seeded sample is reproducible, sorted and balanced");
    free(s1), free(s2);
    ok(sekit_ds_select(ds, cls, nc, 4, 0, &sel, &n, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "has 3 images"),
       "asking for more than exist says how many: %s", e.msg);
    free(cls);
    ok(sekit_ds_parse_classes(ds, "Trouser,Jumper", &cls, &nc, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "Jumper") && strstr(e.msg, "Ankle boot"),
       "an unknown class lists the valid ones: %s", e.msg);
    sekit_ds_close(ds);

    o.split = "train";
    ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK && sekit_ds_count(ds) == 20,
       "raw (uncompressed) train split opens");
    pp.channels = 1;
    pp.crop = 0;
    ok(sekit_ds_load(ds, 0, &pp, img, &e) == SEKIT_EINVAL && strstr(e.msg, "square"),
       "non-square stored images need a crop: %s", e.msg);
    sekit_ds_close(ds);

    write_idx(mkdir_in("idx_magic"), "t10k", 10, 4, 4, 1, 1);
    expect_open_fails(dirbuf, SEKIT_DS_IDX, "wrong IDX magic", "magic");
    write_idx(mkdir_in("idx_trunc"), "t10k", 10, 4, 4, 1, 2);
    expect_open_fails(dirbuf, SEKIT_DS_IDX, "truncated IDX pixels", "truncated");
    write_idx(mkdir_in("idx_count"), "t10k", 10, 4, 4, 0, 3);
    expect_open_fails(dirbuf, SEKIT_DS_IDX, "label count mismatch", "labels");
    expect_open_fails("/nonexistent/fashion", SEKIT_DS_AUTO, "missing dataset path",
                      "no such dataset directory");
    {
        const char *dd = mkdir_in("idx_gzbad");
        char p[700];
        snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dd);
        FILE *f = fopen(p, "wb");
        fwrite("\x1f\x8b\x08\x00garbage-not-deflate", 1, 24, f);
        fclose(f);
        snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dd);
        fclose(fopen(p, "wb"));
        expect_open_fails(dd, SEKIT_DS_IDX, "corrupt gzip", "t10k-images");
    }
}

/* The reader's buffer starts at 64 KB and doubles: image files of 300 28x28 images (235 KB),
 * gzip'd and plain, read whole, up to the last pixel. */
static void idx_large(void)
{
    for (int gz = 0; gz < 2; gz++) {
        const char *d = mkdir_in(gz ? "idx_large_gz" : "idx_large");
        write_idx(d, "t10k", 300, 28, 28, gz, 0);
        struct sekit_ds *ds = NULL;
        struct sekit_err e = {0};
        struct sekit_ds_opts o = {d, SEKIT_DS_IDX, "test", NULL, 0};
        if (!ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK && sekit_ds_count(ds) == 300,
                "%s IDX of 235 KB opens with 300 images", gz ? "gzip'd" : "plain")) {
            diag("%s", e.msg);
            sekit_ds_close(ds);
            continue;
        }
        struct sekit_preproc pp = {.channels = 1, .mean = {0, 0, 0}, .std = {1, 1, 1}};
        static float img[784], want[784];
        for (int p = 0; p < 784; p++)
            want[p] = (float)(((299 * 7 + p) % 256) / 255.0);
        ok(sekit_ds_load(ds, 299, &pp, img, &e) == SEKIT_OK, "its last image loads");
        is_close(img, want, 784, 1e-6, "the last image's pixels, the file's last bytes");
        is_int(sekit_ds_label(ds, 299), 9, "the last label");
        sekit_ds_close(ds);
    }
}

static void cifar(void)
{
    const char *d = mkdir_in("cifar");
    char p[700];
    snprintf(p, sizeof p, "%s/test_batch.bin", d);
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 5; i++) {
        fputc(9 - i, f);
        for (int c = 0; c < 3; c++)
            for (int q = 0; q < 1024; q++)
                fputc((c * 50 + q + i) % 256, f);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/batches.meta.txt", d);
    f = fopen(p, "w");
    fputs("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n", f);
    fclose(f);
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {d, SEKIT_DS_AUTO, "test", NULL, 0};
    if (!ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK, "CIFAR-10 test batch opens")) {
        diag("%s", e.msg);
        return;
    }
    is_str(sekit_ds_format_name(ds), "cifar", "format detected");
    is_int(sekit_ds_count(ds), 5, "5 records");
    is_int(sekit_ds_label(ds, 1), 8, "label byte read");
    is_str(sekit_ds_class_name(ds, 9), "truck", "names from batches.meta.txt");
    struct sekit_preproc pp = {.channels = 3, .std = {1, 1, 1}, .scale255 = 1};
    float *img = malloc(sizeof(float) * 3072);
    sekit_ds_load(ds, 2, &pp, img, &e);
    ok(img[0] == 2 && img[1024] == 52 && img[2048 + 5] == 107, "planes R, G, B land in channels");
    pp.bgr = 1;
    sekit_ds_load(ds, 2, &pp, img, &e);
    ok(img[0] == 102 && img[2048] == 2, "BGR order for Caffe models");
    free(img);
    sekit_ds_close(ds);
    f = fopen(p, "w");
    fputs("a\nb\n", f);
    fclose(f);
    expect_open_fails(d, SEKIT_DS_CIFAR, "a names file with the wrong count", "class names");
    snprintf(p, sizeof p, "%s/test_batch.bin", d);
    f = fopen(p, "ab");
    fputs("xyz", f);
    fclose(f);
    expect_open_fails(d, SEKIT_DS_CIFAR, "CIFAR file of the wrong size", "whole number");
}

/* A w x h RGB image with pixel (x, y) = (x * 10, y * 10, 200), PNG or JPEG by the name. */
static int write_image(const char *path, int w, int h)
{
    unsigned char *pix = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *q = pix + ((size_t)y * w + x) * 3;
            q[0] = (unsigned char)(x * 10), q[1] = (unsigned char)(y * 10), q[2] = 200;
        }
    int rc = strstr(path, ".jpg") ? imgwrite_jpeg(path, w, h, 3, pix, 90)
                                  : imgwrite_png(path, w, h, 3, pix);
    free(pix);
    return rc;
}

static void folder(void)
{
    const char *d = mkdir_in("folder");
    char p[800];
    snprintf(p, sizeof p, "%s/zebra", d);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/apple", d);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/empty", d);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/apple/a1.png", d);
    int rc = write_image(p, 12, 8);
    snprintf(p, sizeof p, "%s/apple/a2.jpg", d);
    rc |= write_image(p, 8, 12);
    snprintf(p, sizeof p, "%s/zebra/z1.PNG", d);
    rc |= write_image(p, 10, 10);
    snprintf(p, sizeof p, "%s/zebra/notes.txt", d);
    fclose(fopen(p, "w"));
    ok(rc == 0, "test images written (PNG and JPEG)");

    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {d, SEKIT_DS_AUTO, NULL, NULL, 0};
    if (!ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK, "image folder opens")) {
        diag("%s", e.msg);
        return;
    }
    is_int(sekit_ds_num_classes(ds), 3, "3 class folders (one empty)");
    is_str(sekit_ds_class_name(ds, 0), "apple", "sorted folder names");
    is_int(sekit_ds_count(ds), 3, "3 images; the .txt is ignored");
    ok(strstr(sekit_ds_item_path(ds, 1), "a2.jpg") != NULL, "paths kept");
    /* PNG is lossless: an 8x8 centre crop without resizing gives the exact pixels */
    struct sekit_preproc pp = {.channels = 3, .crop = 8, .std = {1, 1, 1}, .scale255 = 1};
    float *img = malloc(sizeof(float) * 3 * 64);
    ok(sekit_ds_load(ds, 0, &pp, img, &e) == SEKIT_OK, "PNG loads");
    ok(img[0] == 20 && img[1] == 30 && img[64 + 8] == 10 && img[128 + 63] == 200,
       "PNG centre crop is exact (got %g %g %g %g)", (double)img[0], (double)img[1],
       (double)img[64 + 8], (double)img[128 + 63]);
    ok(sekit_ds_load(ds, 1, &pp, img, &e) == SEKIT_OK, "JPEG loads");
    ok(fabsf(img[0] - 0) < 12 && fabsf(img[64 + 8] - 30) < 12 && fabsf(img[128] - 200) < 12,
       "JPEG pixels close to the source (got %g %g %g)", (double)img[0], (double)img[64 + 8],
       (double)img[128]);
    pp.resize = 4;
    pp.crop = 4;
    ok(sekit_ds_load(ds, 0, &pp, img, &e) == SEKIT_OK, "resize 12x8 -> 6x4, crop 4");
    ok(img[0] > 15 && img[0] < 45 && img[3] > img[0], "resized values interpolate (%g, %g)",
       (double)img[0], (double)img[3]);
    pp.resize = 0;
    pp.crop = 16;
    ok(sekit_ds_load(ds, 0, &pp, img, &e) == SEKIT_EFORMAT && strstr(e.msg, "a1.png"),
       "a crop larger than the image is refused: %s", e.msg);
    free(img);
    sekit_ds_close(ds);

    snprintf(p, sizeof p, "%s/map.txt", tap_tmpdir());
    FILE *f = fopen(p, "w");
    fputs("zebra Striped horse\napple\n", f);
    fclose(f);
    o.class_map = p;
    ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK && sekit_ds_num_classes(ds) == 2 &&
           strcmp(sekit_ds_class_name(ds, 0), "Striped horse") == 0 && sekit_ds_label(ds, 0) == 0,
       "a class map fixes order and names");
    sekit_ds_close(ds);
    o.class_map = NULL;

    snprintf(p, sizeof p, "%s/zebra/broken.jpg", d);
    f = fopen(p, "wb");
    fwrite("\xff\xd8\xff\xe0 not really a jpeg", 1, 22, f);
    fclose(f);
    ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK, "a folder with a corrupt image still opens");
    struct sekit_preproc pp2 = {.channels = 3, .crop = 8, .std = {1, 1, 1}};
    float *buf = malloc(sizeof(float) * 3 * 64);
    int bad = -1;
    for (int64_t i = 0; i < sekit_ds_count(ds); i++)
        if (strstr(sekit_ds_item_path(ds, i), "broken")) bad = (int)i;
    ok(bad >= 0 && sekit_ds_load(ds, bad, &pp2, buf, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "broken.jpg") && !strchr(e.msg, '\n'),
       "the corrupt image is an error naming it: %s", e.msg);
    free(buf);
    sekit_ds_close(ds);
}

int main(void)
{
    idx();
    idx_large();
    cifar();
    folder();
    return tap_done();
}
