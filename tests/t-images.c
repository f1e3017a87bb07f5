/*
 * t-images.c -- image decoding and resizing against Pillow 9.4 / torchvision 0.14.
 *
 * Golden data (tests/reference/images, written by make_images.py): every image's Resize +
 * CenterCrop result must equal torchvision's on a PIL image byte for byte, and a few images'
 * ToTensor + Normalize tensors must match through sekit_ds_load. Then synthetic edge cases with
 * values worked out by hand, and the errors of broken files: one line naming the file, nothing
 * printed by libjpeg or libpng.
 */
#include "dataset.h"
#include "image.h"
#include "imgwrite.h"
#include "preproc.h"
#include "fixture.h"
#include "tap.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char imgdir[512];

/* torchvision's CenterCrop offset, int(round(d / 2.0)) with ties to even, written apart from
 * dataset.c's: rint rounds half to even in the default rounding mode. */
static int crop_offset(int d)
{
    return (int)rint(d / 2.0);
}

static int spit_str(const char *path, const char *s)
{
    return fixture_spit(path, s, strlen(s));
}

/* Resize(resize) + CenterCrop(crop) of path as channels, the way load_folder does it. */
static int pipeline(const char *path, int channels, int resize, int crop, int bicubic,
                    unsigned char *out, struct sekit_err *e)
{
    struct sekit_image img, rs = {0};
    int rc = sekit_image_load(&img, path, channels, e);
    if (rc) return rc;
    int nw, nh;
    sekit_image_shorter_side(img.w, img.h, resize, &nw, &nh);
    const struct sekit_image *src = &img;
    if (nw != img.w || nh != img.h) {
        rc = sekit_image_resize(&rs, &img, nw, nh,
                                bicubic ? SEKIT_FILTER_BICUBIC : SEKIT_FILTER_BILINEAR, path, e);
        src = &rs;
    }
    if (!rc) {
        const int y0 = crop_offset(src->h - crop), x0 = crop_offset(src->w - crop);
        for (int y = 0; y < crop; y++)
            memcpy(out + (size_t)y * crop * channels,
                   src->pix + ((size_t)(y + y0) * src->w + x0) * channels, (size_t)crop * channels);
    }
    sekit_image_free(&img);
    sekit_image_free(&rs);
    return rc;
}

/* Byte equality, printing the first differing pixel and both values. */
static int same_pixels(const unsigned char *got, const unsigned char *want, int side, int c,
                       const char *what)
{
    for (size_t i = 0; i < (size_t)side * side * c; i++)
        if (got[i] != want[i]) {
            const size_t px = i / (size_t)c;
            ok(0, "%s equals Pillow", what);
            diag("first difference at x=%zu y=%zu channel %zu: sekit %d, Pillow %d", px % side,
                 px / side, i % (size_t)c, got[i], want[i]);
            return 0;
        }
    return ok(1, "%s equals Pillow", what);
}

static void golden(int *nimages, int *nequal)
{
    char p[700];
    snprintf(imgdir, sizeof imgdir, "%s/tests/reference/images", tap_srcdir());
    snprintf(p, sizeof p, "%s/index.json", imgdir);
    json_error_t jerr;
    json_t *idx = json_load_file(p, 0, &jerr);
    if (!ok(idx != NULL, "index.json loads")) {
        diag("%s: %s", p, jerr.text);
        return;
    }
    snprintf(p, sizeof p, "%s/expected.bin", imgdir);
    size_t blen = 0;
    unsigned char *blob = fixture_slurp(p, &blen);
    ok(blob != NULL, "expected.bin reads (%zu bytes)", blen);
    json_t *variants = json_object_get(idx, "variants"), *images = json_object_get(idx, "images");
    size_t i;
    json_t *im;
    json_array_foreach(images, i, im)
    {
        const char *file = json_string_value(json_object_get(im, "file"));
        snprintf(p, sizeof p, "%s/%s", imgdir, file);
        const char *vname;
        json_t *off;
        int all = 1;
        json_object_foreach(json_object_get(im, "expect"), vname, off)
        {
            json_t *v = json_object_get(variants, vname);
            const int resize = (int)json_integer_value(json_object_get(v, "resize"));
            const int crop = (int)json_integer_value(json_object_get(v, "crop"));
            const int bicubic =
                strcmp(json_string_value(json_object_get(v, "interpolation")), "bicubic") == 0;
            const int c = strcmp(json_string_value(json_object_get(v, "mode")), "L") ? 3 : 1;
            const size_t at = (size_t)json_integer_value(off), n = (size_t)crop * crop * c;
            if (!blob || at + n > blen) {
                all = ok(0, "%s %s: expected data within expected.bin", file, vname);
                continue;
            }
            unsigned char *got = malloc(n);
            struct sekit_err e = {0};
            char what[300];
            snprintf(what, sizeof what, "%s %s (%s resize %d crop %d, %s)", file, vname,
                     bicubic ? "bicubic" : "bilinear", resize, crop, c == 1 ? "L" : "RGB");
            if (pipeline(p, c, resize, crop, bicubic, got, &e)) {
                all = ok(0, "%s: %s", what, e.msg);
            } else {
                all &= same_pixels(got, blob + at, crop, c, what);
            }
            free(got);
        }
        ++*nimages;
        *nequal += all;
    }
    free(blob);
    json_decref(idx);
}

/* The tensors after ToTensor + Normalize, through sekit_ds_load on a folder of the images. */
static void tensors(void)
{
    char p[700], dir[600], cls[700];
    snprintf(p, sizeof p, "%s/index.json", imgdir);
    json_t *idx = json_load_file(p, 0, NULL);
    snprintf(p, sizeof p, "%s/expected.bin", imgdir);
    size_t blen = 0;
    unsigned char *blob = fixture_slurp(p, &blen);
    if (!idx || !blob) {
        ok(0, "golden data for the tensors");
        json_decref(idx);
        free(blob);
        return;
    }
    snprintf(dir, sizeof dir, "%s/tensors", tap_tmpdir());
    snprintf(cls, sizeof cls, "%s/all", dir);
    mkdir(dir, 0755);
    mkdir(cls, 0755);
    json_t *variants = json_object_get(idx, "variants"), *images = json_object_get(idx, "images");
    size_t i;
    json_t *im;
    int n = 0;
    json_array_foreach(images, i, im)
    {
        json_t *t = json_object_get(im, "tensor");
        if (!t) continue;
        const char *file = json_string_value(json_object_get(im, "file"));
        char src[700], dst[800];
        snprintf(src, sizeof src, "%s/%s", imgdir, file);
        snprintf(dst, sizeof dst, "%s/%s", cls, file);
        ok(symlink(src, dst) == 0, "link %s", file);
        n++;
    }
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    struct sekit_ds_opts o = {dir, SEKIT_DS_FOLDER, NULL, NULL, 0};
    if (!ok(sekit_ds_open(&ds, &o, &e) == SEKIT_OK && sekit_ds_count(ds) == n,
            "a folder of the %d tensor images opens", n)) {
        diag("%s", e.msg);
        goto out;
    }
    /* folder order is sorted file names, the order of index.json */
    int64_t k = 0;
    json_array_foreach(images, i, im)
    {
        json_t *t = json_object_get(im, "tensor");
        if (!t) continue;
        json_t *v = json_object_get(variants, json_string_value(json_object_get(t, "variant")));
        struct sekit_preproc pp = {
            .channels = 3,
            .resize = (int)json_integer_value(json_object_get(v, "resize")),
            .crop = (int)json_integer_value(json_object_get(v, "crop")),
            .bicubic =
                strcmp(json_string_value(json_object_get(v, "interpolation")), "bicubic") == 0};
        for (int c = 0; c < 3; c++) {
            pp.mean[c] = (float)json_number_value(json_array_get(json_object_get(t, "mean"), c));
            pp.std[c] = (float)json_number_value(json_array_get(json_object_get(t, "std"), c));
        }
        const size_t count = (size_t)3 * pp.crop * pp.crop;
        const size_t at = (size_t)json_integer_value(json_object_get(t, "offset"));
        float *got = malloc(sizeof(float) * count), *want = malloc(sizeof(float) * count);
        if (at + sizeof(float) * count <= blen) memcpy(want, blob + at, sizeof(float) * count);
        int rc = sekit_ds_load(ds, k, &pp, got, &e);
        const char *file = json_string_value(json_object_get(im, "file"));
        if (ok(rc == SEKIT_OK && strstr(sekit_ds_item_path(ds, k), file), "sekit_ds_load %s: %s",
               file, rc ? e.msg : "ok"))
            is_close(got, want, count, 1e-6, "%s: ToTensor + Normalize tensor", file);
        free(got);
        free(want);
        k++;
    }
out:
    sekit_ds_close(ds);
    free(blob);
    json_decref(idx);
}

/* ---------------------------------------------------------------------------------------- */
/* presets: what they resolve to, how they describe it, and the Caffe one end to end */

static int resolve(struct sekit_preproc_resolved *r, const struct sekit_model *m,
                   const char *model_path, const struct sekit_ds *ds, const char *preset,
                   int resize, int crop, struct sekit_err *e)
{
    struct sekit_preproc_request rq = {.preset = preset, .resize = resize, .crop = crop};
    return sekit_preproc_resolve(r, m, model_path, ds, &rq, e);
}

static void presets(void)
{
    struct sekit_arch a;
    struct sekit_model *m = NULL;
    struct sekit_ds *ds = NULL;
    struct sekit_err e = {0};
    char dir[600], cfgdir[600], model_path[700], cfg[700];
    snprintf(dir, sizeof dir, "%s/tensors", tap_tmpdir());
    struct sekit_ds_opts o = {dir, SEKIT_DS_FOLDER, NULL, NULL, 0};
    if (!ok(sekit_arch_preset(&a, "seresnet18", &e) == SEKIT_OK &&
                sekit_model_synthetic(&m, &a, 1, &e) == SEKIT_OK &&
                sekit_ds_open(&ds, &o, &e) == SEKIT_OK,
            "a 3-channel model and the tensor folder: %s", e.msg[0] ? e.msg : "ok"))
        goto out;
    snprintf(cfgdir, sizeof cfgdir, "%s/cfg", tap_tmpdir());
    mkdir(cfgdir, 0755);
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", cfgdir);
    snprintf(cfg, sizeof cfg, "%s/config.json", cfgdir);
    static const struct {
        const char *preset, *desc;
    } want[] = {
        {"timm", "resize=256 crop=224 size=224 interpolation=bicubic (Pillow) channels=3 "
                 "order=RGB range=0-1 mean=0.485,0.456,0.406 std=0.229,0.224,0.225"},
        {"legacy", "resize=256 crop=224 size=224 interpolation=bilinear (Pillow) channels=3 "
                   "order=RGB range=0-1 mean=0.485,0.456,0.406 std=0.229,0.224,0.225"},
        {"caffe", "resize=256 crop=224 size=224 interpolation=bilinear (Pillow) channels=3 "
                  "order=BGR range=0-255 mean=104,117,123 std=1,1,1"},
    };
    struct sekit_preproc_resolved r;
    for (int k = 0; k < 3; k++) {
        int rc = resolve(&r, m, model_path, ds, want[k].preset, 0, 0, &e);
        if (ok(rc == SEKIT_OK, "preset %s resolves: %s", want[k].preset, rc ? e.msg : "ok"))
            is_str(r.desc, want[k].desc, "preset %s describes itself", want[k].preset);
    }
    ok(resolve(&r, m, model_path, ds, NULL, 0, 0, &e) == SEKIT_OK &&
           strcmp(r.desc, want[0].desc) == 0 && r.interp_from == SEKIT_PREPROC_PRESET,
       "a timm-layout model on a folder gets the timm preset (%s)", r.desc);

    /* timm's config.json: crop = input size, resize = floor(crop / crop_pct), its filter */
    spit_str(cfg, "{\"input_size\": [3, 32, 32], \"crop_pct\": 0.875, "
                  "\"interpolation\": \"bilinear\"}");
    int rc = resolve(&r, m, model_path, ds, NULL, 0, 0, &e);
    ok(rc == SEKIT_OK && r.pp.resize == 36 && r.pp.crop == 32 && !r.pp.bicubic &&
           r.interp_from == SEKIT_PREPROC_CONFIG &&
           strstr(r.desc, "interpolation=bilinear (Pillow)"),
       "config.json: resize 36, crop 32, bilinear from config.json (%s)", rc ? e.msg : r.desc);
    spit_str(cfg, "{\"interpolation\": \"lanczos\"}");
    rc = resolve(&r, m, model_path, ds, NULL, 0, 0, &e);
    ok(rc == SEKIT_EFORMAT && strstr(e.msg, cfg) &&
           strstr(e.msg, "interpolation is not bicubic or bilinear"),
       "a filter sekit does not reproduce is refused: %s", e.msg);
    unlink(cfg);

    /* Caffe end to end on the golden images, at the small size: BGR, 0..255, minus the mean,
     * from the same pixels as torchvision's bilinear legacy36 */
    char p[700];
    snprintf(p, sizeof p, "%s/index.json", imgdir);
    json_t *idx = json_load_file(p, 0, NULL);
    snprintf(p, sizeof p, "%s/expected.bin", imgdir);
    size_t blen = 0;
    unsigned char *blob = fixture_slurp(p, &blen);
    rc = resolve(&r, m, model_path, ds, "caffe", 36, 32, &e);
    if (ok(rc == SEKIT_OK && idx && blob, "caffe preset at resize 36 crop 32: %s",
           rc ? e.msg : r.desc)) {
        float got[3 * 32 * 32];
        size_t i;
        json_t *im;
        int64_t k = 0;
        json_array_foreach(json_object_get(idx, "images"), i, im)
        {
            if (!json_object_get(im, "tensor")) continue;
            const size_t at = (size_t)json_integer_value(
                json_object_get(json_object_get(im, "expect"), "legacy36"));
            int bad = sekit_ds_load(ds, k++, &r.pp, got, &e) != SEKIT_OK || at + 3072 > blen;
            static const float mean[3] = {104, 117, 123};
            for (int c = 0; c < 3 && !bad; c++)
                for (int y = 0; y < 32 && !bad; y++)
                    for (int x = 0; x < 32 && !bad; x++) {
                        const float w = blob[at + (y * 32 + x) * 3 + 2 - c] - mean[c],
                                    g = got[(c * 32 + y) * 32 + x];
                        if (g != w) {
                            diag("channel %d y %d x %d: sekit %g, want %g", c, y, x, (double)g,
                                 (double)w);
                            bad = 1;
                        }
                    }
            ok(!bad, "caffe tensor of %s is Pillow's bilinear pixels, BGR minus the mean",
               json_string_value(json_object_get(im, "file")));
        }
    }
    free(blob);
    json_decref(idx);
out:
    sekit_ds_close(ds);
    sekit_model_free(m);
}

/* ---------------------------------------------------------------------------------------- */
/* synthetic cases */

static void synthetic(void)
{
    char p[600];
    struct sekit_err e = {0};
    struct sekit_image img, rs;

    /* 1x1 upscaled: every weight set sums to one, so every pixel keeps the value */
    snprintf(p, sizeof p, "%s/one.png", tap_tmpdir());
    const unsigned char one[3] = {10, 128, 250};
    imgwrite_png(p, 1, 1, 3, one);
    unsigned char out[36 * 36 * 3];
    for (int bicubic = 0; bicubic < 2; bicubic++) {
        int rc = pipeline(p, 3, 36, 36, bicubic, out, &e), same = rc == 0;
        for (int i = 0; same && i < 36 * 36; i++)
            same = memcmp(out + 3 * i, one, 3) == 0;
        ok(same, "1x1 image resized to 36x36 (%s) keeps its colour (first pixel %d %d %d)",
           bicubic ? "bicubic" : "bilinear", out[0], out[1], out[2]);
    }

    /* bilinear 2 -> 4 by hand (Pillow's windows): centres 0.25, 0.75, 1.25, 1.75 in source
     * pixels; the first and last see one pixel, the middle ones weigh 3:1 and 1:3 */
    snprintf(p, sizeof p, "%s/two.png", tap_tmpdir());
    const unsigned char two[2] = {0, 255};
    imgwrite_png(p, 2, 1, 1, two);
    if (ok(sekit_image_load(&img, p, 1, &e) == SEKIT_OK, "2x1 gray PNG loads")) {
        if (ok(sekit_image_resize(&rs, &img, 4, 1, SEKIT_FILTER_BILINEAR, p, &e) == SEKIT_OK,
               "upscale 2x1 -> 4x1")) {
            ok(rs.pix[0] == 0 && rs.pix[1] == 64 && rs.pix[2] == 191 && rs.pix[3] == 255,
               "bilinear upscale is 0 64 191 255 (got %d %d %d %d)", rs.pix[0], rs.pix[1],
               rs.pix[2], rs.pix[3]);
            sekit_image_free(&rs);
        }
        sekit_image_free(&img);
    }

    /* bicubic 4 -> 2: scale 2 doubles the support to 4 source pixels; output 0 has centre 1,
     * window int(1 - 4 + 0.5) = -2 (clamped to 0) to int(1 + 4 + 0.5) = 5 (clamped to 4),
     * weights c((x - 1 + 0.5) / 2) for x = 0..3: c(-0.25), c(0.25), c(0.75), c(1.25) */
    snprintf(p, sizeof p, "%s/four.png", tap_tmpdir());
    const unsigned char four[4] = {0, 100, 200, 40};
    /* c(x) = 1.5|x|^3 - 2.5|x|^2 + 1 below 1, -0.5 (|x|^3 - 5|x|^2 + 8|x| - 4) below 2:
     * c(.25) = .8671875, c(.75) = .2265625, c(1.25) = -.0703125 */
    const double w0 = .8671875, w1 = .8671875, w2 = .2265625, w3 = -.0703125;
    const double v = (0 * w0 + 100 * w1 + 200 * w2 + 40 * w3) / (w0 + w1 + w2 + w3);
    /* along x (the horizontal pass alone), then along y (the vertical pass alone) */
    for (int tall = 0; tall < 2; tall++) {
        imgwrite_png(p, tall ? 1 : 4, tall ? 4 : 1, 1, four);
        if (!ok(sekit_image_load(&img, p, 1, &e) == SEKIT_OK, "4-pixel gray PNG loads")) continue;
        if (ok(sekit_image_resize(&rs, &img, tall ? 1 : 2, tall ? 2 : 1, SEKIT_FILTER_BICUBIC, p,
                                  &e) == SEKIT_OK,
               "downscale %s", tall ? "1x4 -> 1x2" : "4x1 -> 2x1")) {
            ok(rs.pix[0] == (int)(v + 0.5), "bicubic 4 -> 2 %s, first pixel %d (by hand %.3f)",
               tall ? "vertically" : "horizontally", rs.pix[0], v);
            sekit_image_free(&rs);
        }
        sekit_image_free(&img);
    }

    /* exactly the resized size: no resampling, the crop is the source's own pixels */
    unsigned char src[40 * 36 * 3];
    for (int i = 0; i < 40 * 36 * 3; i++)
        src[i] = (unsigned char)(i * 7 + i / 97);
    snprintf(p, sizeof p, "%s/exact.png", tap_tmpdir());
    imgwrite_png(p, 36, 40, 3, src);
    unsigned char crop[32 * 32 * 3], want[32 * 32 * 3];
    for (int y = 0; y < 32; y++)
        memcpy(want + y * 32 * 3, src + ((y + 4) * 36 + 2) * 3, 32 * 3);
    ok(pipeline(p, 3, 36, 32, 1, crop, &e) == SEKIT_OK, "36x40 image, resize 36: %s",
       e.msg[0] ? e.msg : "ok");
    same_pixels(crop, want, 32, 3, "36x40 at its own size, centre crop 32 at (2, 4),");

    /* very wide and very tall: the shorter side 3 becomes 36, the longer side int(36 * 1000 /
     * 3) = 12000; a constant image stays constant */
    static unsigned char flat[1000 * 3 * 3];
    memset(flat, 77, sizeof flat);
    for (int tall = 0; tall < 2; tall++) {
        snprintf(p, sizeof p, "%s/flat%d.png", tap_tmpdir(), tall);
        imgwrite_png(p, tall ? 3 : 1000, tall ? 1000 : 3, 3, flat);
        int w, h;
        sekit_image_shorter_side(tall ? 3 : 1000, tall ? 1000 : 3, 36, &w, &h);
        ok(w == (tall ? 36 : 12000) && h == (tall ? 12000 : 36), "%s 1000:3 resizes to %dx%d",
           tall ? "tall" : "wide", w, h);
        int rc = pipeline(p, 3, 36, 32, 1, out, &e), same = rc == 0;
        for (int i = 0; same && i < 32 * 32 * 3; i++)
            same = out[i] == 77;
        ok(same, "%s image: bicubic resize and crop keep a flat colour (%s)",
           tall ? "tall" : "wide", rc ? e.msg : "ok");
    }

    /* convert('L') of colour: (19595 R + 38470 G + 7471 B + 0x8000) >> 16 */
    const unsigned char rgb[3] = {200, 100, 50};
    snprintf(p, sizeof p, "%s/rgb1.png", tap_tmpdir());
    imgwrite_png(p, 1, 1, 3, rgb);
    if (ok(sekit_image_load(&img, p, 1, &e) == SEKIT_OK, "RGB to L")) {
        is_int(img.pix[0], (200 * 19595 + 100 * 38470 + 50 * 7471 + 0x8000) >> 16,
               "Pillow's luma of (200, 100, 50)");
        sekit_image_free(&img);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* broken files */

static void expect_error(const char *path, const char *needle, const char *what)
{
    struct sekit_image img;
    struct sekit_err e = {0};
    int rc = sekit_image_load(&img, path, 3, &e);
    ok(rc == SEKIT_EFORMAT && strstr(e.msg, path) && strstr(e.msg, needle) && !strchr(e.msg, '\n'),
       "%s: one line naming the file and '%s' (%s)", what, needle, e.msg);
    if (!rc) sekit_image_free(&img);
}

static void errors(void)
{
    char src[700], p[600];
    size_t n;
    /* stderr to a file: libjpeg and libpng must not print anything (stdout flushed first, so
     * that a crash in here loses no earlier result) */
    snprintf(p, sizeof p, "%s/stderr.txt", tap_tmpdir());
    fflush(stdout);
    fflush(stderr);
    const int saved = dup(2), fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);

    snprintf(src, sizeof src, "%s/07_300x400_jpeg_q90-444-progressive.jpg", imgdir);
    unsigned char *jpg = fixture_slurp(src, &n);
    const char *names[3] = {"cut.jpg", "cutbase.jpg", "cut.png"};
    char paths[5][600];
    for (int k = 0; k < 5; k++)
        snprintf(paths[k], sizeof paths[k], "%s/%s", tap_tmpdir(),
                 k < 3    ? names[k]
                 : k == 3 ? "text.jpg"
                          : "huge.png");
    if (jpg) fixture_spit(paths[0], jpg, n / 2);
    free(jpg);
    snprintf(src, sizeof src, "%s/06_400x300_jpeg_q75-420.jpg", imgdir);
    size_t nb = 0;
    unsigned char *base = fixture_slurp(src, &nb);
    /* baseline cut just before its end-of-image marker: Pillow wants more data too */
    if (base) fixture_spit(paths[1], base, nb - 2);
    snprintf(src, sizeof src, "%s/52_222x333_png_rgb.png", imgdir);
    unsigned char *png = fixture_slurp(src, &n);
    if (png) fixture_spit(paths[2], png, n * 2 / 3);
    free(png);
    spit_str(paths[3], "not an image\n");
    /* a PNG declaring 20000 x 20000 pixels, more than Pillow's bomb limit, then an empty IDAT */
    static const unsigned char ihdr[17] = {'I', 'H',  'D',  'R', 0, 0, 0x4e, 0x20, 0,
                                           0,   0x4e, 0x20, 8,   2, 0, 0,    0};
    unsigned char huge[45] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    memcpy(huge + 12, ihdr, sizeof ihdr);
    memcpy(huge + 37, "IDAT", 4);
    const uLong crcs[2] = {crc32(0, huge + 12, 17), crc32(0, huge + 37, 4)};
    for (int k = 0; k < 4; k++) {
        huge[29 + k] = (unsigned char)(crcs[0] >> (24 - 8 * k));
        huge[41 + k] = (unsigned char)(crcs[1] >> (24 - 8 * k));
    }
    fixture_spit(paths[4], huge, sizeof huge);
    /* entropy data overwritten mid-stream: libjpeg warns, Pillow decodes on; so must sekit,
     * quietly */
    char noisy[600];
    snprintf(noisy, sizeof noisy, "%s/noisy.jpg", tap_tmpdir());
    if (base) {
        base[nb - 300] = 0xff;
        base[nb - 299] = 0xd0;
        fixture_spit(noisy, base, nb);
    }
    size_t nnoisy = 0;
    unsigned char *noisydata = fixture_slurp(noisy, &nnoisy);
    /* a JPEG whose frame header claims 60000 x 60000 */
    char hugej[600];
    snprintf(hugej, sizeof hugej, "%s/huge.jpg", tap_tmpdir());
    for (size_t i = 0; base && i + 9 < nb; i++)
        if (base[i] == 0xff && (base[i + 1] == 0xc0 || base[i + 1] == 0xc2)) {
            base[i + 5] = base[i + 7] = 0xea;
            base[i + 6] = base[i + 8] = 0x60;
            break;
        }
    if (base) fixture_spit(hugej, base, nb);
    /* the end-of-image marker replaced by a second frame header: Pillow reads on to the end
     * after the last row and refuses it ("broken data stream") */
    char twosof[600];
    snprintf(twosof, sizeof twosof, "%s/twosof.jpg", tap_tmpdir());
    if (noisydata && nnoisy > 2) {
        static const unsigned char sof[21] = {0xff, 0xc0, 0, 0x11, 8, 0, 0x10, 0, 0x10, 3,   1,
                                              0x22, 0,    2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9};
        FILE *f = fopen(twosof, "wb");
        fwrite(noisydata, 1, nnoisy - 2, f);
        fwrite(sof, 1, sizeof sof, f);
        fclose(f);
    }
    free(base);

    /* a frame header declaring height 0; a PNG whose IHDR fails its CRC */
    char badj[600], badp[600];
    snprintf(badj, sizeof badj, "%s/empty.jpg", tap_tmpdir());
    fixture_spit(badj, "\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x10\x01\x01\x11\x00", 15);
    snprintf(badp, sizeof badp, "%s/crc.png", tap_tmpdir());
    huge[20] ^= 1;
    fixture_spit(badp, huge, sizeof huge);
    expect_error(badj, "cannot decode JPEG: Empty JPEG image", "a JPEG frame of height 0");
    expect_error(badp, "cannot decode PNG: IHDR: CRC error", "a PNG header with a bad CRC");
    /* a bad CRC on an ancillary chunk before the image data is an error to Pillow, one on the
     * image data is not checked at all */
    snprintf(src, sizeof src, "%s/27_80x60_png_rgb.png", imgdir);
    struct sekit_err ec = {0};
    size_t np = 0;
    unsigned char *rgbpng = fixture_slurp(src, &np);
    struct sekit_image want, got;
    if (rgbpng && np > 45 && !memcmp(rgbpng + 37, "IDAT", 4) &&
        sekit_image_load(&want, src, 3, &ec) == SEKIT_OK) {
        char badidat[600], badtext[600];
        snprintf(badidat, sizeof badidat, "%s/idat-crc.png", tap_tmpdir());
        snprintf(badtext, sizeof badtext, "%s/text-crc.png", tap_tmpdir());
        const size_t idat_len = (size_t)rgbpng[33] << 24 | (size_t)rgbpng[34] << 16 |
                                (size_t)rgbpng[35] << 8 | rgbpng[36];
        rgbpng[41 + idat_len] ^= 1;
        fixture_spit(badidat, rgbpng, np);
        rgbpng[41 + idat_len] ^= 1;
        /* a tEXt chunk with a wrong CRC between IHDR and IDAT */
        static const unsigned char text[15] = {0,   0, 0,   3, 't', 'E', 'X', 't',
                                               'a', 0, 'b', 0, 0,   0,   0};
        FILE *f = fopen(badtext, "wb");
        fwrite(rgbpng, 1, 33, f);
        fwrite(text, 1, sizeof text, f);
        fwrite(rgbpng + 33, 1, np - 33, f);
        fclose(f);
        int rc = sekit_image_load(&got, badidat, 3, &ec);
        ok(rc == SEKIT_OK && got.w == want.w && got.h == want.h &&
               !memcmp(got.pix, want.pix, (size_t)got.w * got.h * 3),
           "a PNG whose IDAT fails its CRC decodes, as in Pillow (%s)", rc ? ec.msg : "ok");
        if (!rc) sekit_image_free(&got);
        expect_error(badtext, "tEXt: CRC error", "an ancillary chunk before IDAT with a bad CRC");
        /* Pillow stops reading once it has every row: without IEND (12 bytes) and the last
         * IDAT's CRC (16) the image is whole to it; 24 bytes short it is not (20, inside the
         * zlib checksum, is where libpng and Pillow differ: docs/preprocessing.md) */
        char cut[600];
        snprintf(cut, sizeof cut, "%s/cut-tail.png", tap_tmpdir());
        static const int shorts[3] = {12, 16, 24};
        for (int k = 0; k < 3; k++) {
            const int short_by = shorts[k];
            fixture_spit(cut, rgbpng, np - (size_t)short_by);
            rc = sekit_image_load(&got, cut, 3, &ec);
            if (short_by < 24)
                ok(rc == SEKIT_OK && !memcmp(got.pix, want.pix, (size_t)want.w * want.h * 3),
                   "a PNG %d bytes short decodes, as in Pillow (%s)", short_by, rc ? ec.msg : "ok");
            else
                ok(rc == SEKIT_EFORMAT && strstr(ec.msg, "truncated"),
                   "a PNG %d bytes short is truncated, as in Pillow (%s)", short_by,
                   rc ? ec.msg : "decoded");
            if (!rc) sekit_image_free(&got);
        }
        sekit_image_free(&want);
    } else {
        ok(0, "%s: IDAT right after IHDR", src);
    }
    free(rgbpng);
    expect_error(paths[0], "truncated", "progressive JPEG cut in half");
    expect_error(paths[1], "truncated", "baseline JPEG without its last two bytes");
    expect_error(paths[2], "truncated", "PNG cut at two thirds");
    expect_error(paths[3], "not a JPEG or PNG image", "a text file named .jpg");
    expect_error(paths[4], "more than 178956970 pixels", "PNG declaring 20000x20000");
    expect_error(twosof, "cannot decode JPEG: ", "a second frame header after the last scan");
    char twoc[600];
    snprintf(twoc, sizeof twoc, "%s/two-components.jpg", tap_tmpdir());
    static const unsigned char gray2[8 * 8 * 2] = {0};
    ok(imgwrite_jpeg(twoc, 8, 8, 2, gray2, 90) == 0, "a 2-component JPEG written");
    expect_error(twoc, "JPEG with 2 components (1, 3 or 4 supported)", "a 2-component JPEG");
    expect_error(hugej, "more than 178956970 pixels", "JPEG declaring 60000x60000");
    struct sekit_image img;
    struct sekit_err e = {0};
    int rc = sekit_image_load(&img, noisy, 3, &e);
    ok(rc == SEKIT_OK, "a JPEG with corrupt entropy data decodes as Pillow does (%s)",
       rc ? e.msg : "ok");
    if (!rc) sekit_image_free(&img);
    /* the marker stops the entropy decoder, so the rows are all in without the last bytes;
     * Pillow accepts that too (only a decoder still wanting data means truncation) */
    char noisycut[600];
    snprintf(noisycut, sizeof noisycut, "%s/noisycut.jpg", tap_tmpdir());
    if (noisydata && nnoisy > 2) fixture_spit(noisycut, noisydata, nnoisy - 2);
    rc = sekit_image_load(&img, noisycut, 3, &e);
    ok(rc == SEKIT_OK, "the same without its end-of-image marker decodes as in Pillow (%s)",
       rc ? e.msg : "ok");
    if (!rc) sekit_image_free(&img);
    free(noisydata);
    e.msg[0] = 0;
    rc = sekit_image_load(&img, "/nonexistent/x.jpg", 3, &e);
    ok(rc == SEKIT_EIO && strstr(e.msg, "/nonexistent/x.jpg"), "a missing file: %s", e.msg);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t len = 0;
    char *printed = (char *)fixture_slurp(p, &len);
    ok(printed && len == 0, "libjpeg and libpng printed nothing (%zu bytes: %.200s)", len,
       printed && len ? printed : "");
    free(printed);
}

int main(void)
{
    int nimages = 0, nequal = 0;
    golden(&nimages, &nequal);
    ok(nimages >= 50, "%d golden images (at least 50)", nimages);
    ok(nequal == nimages, "%d of %d golden images equal Pillow's in every variant", nequal,
       nimages);
    tensors();
    presets();
    synthetic();
    errors();
    return tap_done();
}
