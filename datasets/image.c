/* image.c -- see image.h. */
#include "image.h"
#include "../src/fileio.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h> /* after stdio.h, which it needs */

/* ---------------------------------------------------------------------------------------- */
/* decoded pixels before conversion: what Pillow's decoders hand to convert() */

enum raw_kind { RAW_L, RAW_I16, RAW_LA, RAW_RGB, RAW_RGBA, RAW_P, RAW_CMYK };

static const int raw_bytes[] = {1, 2, 2, 3, 4, 1, 4};

struct raw {
    enum raw_kind kind;
    int w, h;
    unsigned char *pix;         /* (h, w, raw_bytes[kind]); RAW_I16 big-endian */
    unsigned char palette[768]; /* RAW_P */
};

/* Pillow's ITU-R 601-2 luma (Convert.c L24). */
static unsigned char luma(const unsigned char *rgb)
{
    return (unsigned char)((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

/* Pillow's cmyk2rgb on the inverted samples it reads ("CMYK;I"): with k' = 255 - k and
 * c' = 255 - c, R = nk - c' nk / 255 where nk = 255 - k', the division rounded as MULDIV255. */
static void cmyk_to_rgb(unsigned char *rgb, const unsigned char *cmyk)
{
    const int nk = cmyk[3];
    for (int i = 0; i < 3; i++) {
        const int t = (255 - cmyk[i]) * nk + 128, v = nk - (((t >> 8) + t) >> 8);
        rgb[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* Pillow reads 16-bit gray PNG as its 32-bit mode I, which convert() clips to 0..255; it does
 * not scale it */
static unsigned char clip16(const unsigned char *be)
{
    const int v = be[0] << 8 | be[1];
    return (unsigned char)(v > 255 ? 255 : v);
}

/* One pixel of r (at q) as channels 1 or 3 into out. */
static void convert_pixel(unsigned char *out, const unsigned char *q, const struct raw *r,
                          int channels)
{
    unsigned char rgb[3];
    switch (r->kind) {
    case RAW_L:
    case RAW_LA:
        rgb[0] = rgb[1] = rgb[2] = q[0];
        break;
    case RAW_I16:
        rgb[0] = rgb[1] = rgb[2] = clip16(q);
        break;
    case RAW_RGB:
    case RAW_RGBA:
        memcpy(rgb, q, 3);
        break;
    case RAW_P:
        memcpy(rgb, r->palette + 3 * q[0], 3);
        break;
    case RAW_CMYK:
        cmyk_to_rgb(rgb, q);
        break;
    }
    if (channels == 3)
        memcpy(out, rgb, 3);
    else
        /* luma of gray (l, l, l) is l: the weights sum to 65536 */
        out[0] = luma(rgb);
}

static int to_image(struct sekit_image *img, struct raw *r, int channels, const char *path,
                    struct sekit_err *e)
{
    const size_t n = (size_t)r->w * r->h;
    const int in = raw_bytes[r->kind];
    unsigned char *out = r->pix;
    /* in place when the pixels do not grow: each output pixel lands at or before its source */
    if (channels > in && !(out = malloc(n * (size_t)channels)))
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %dx%d pixels", path, r->w, r->h);
    for (size_t i = 0; i < n; i++) {
        unsigned char px[3];
        convert_pixel(px, r->pix + i * (size_t)in, r, channels);
        memcpy(out + i * (size_t)channels, px, (size_t)channels);
    }
    if (out != r->pix) free(r->pix);
    r->pix = NULL;
    img->w = r->w;
    img->h = r->h;
    img->c = channels;
    img->pix = out;
    return SEKIT_OK;
}

static int check_size(uint64_t w, uint64_t h, const char *path, struct sekit_err *e)
{
    if (w * h > (uint64_t)SEKIT_IMAGE_MAX_PIXELS)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %llux%llu image has more than %lld pixels (a decompression bomb?)",
                          path, (unsigned long long)w, (unsigned long long)h,
                          SEKIT_IMAGE_MAX_PIXELS);
    return SEKIT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* JPEG (libjpeg-turbo) */

struct jpeg_fail {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    int truncated; /* the decoder wanted bytes past the end of the file */
    int rows_done; /* ... after every row was decoded */
};

static void jpeg_fail_exit(j_common_ptr ci)
{
    longjmp(((struct jpeg_fail *)ci->err)->jb, 1);
}

/* Pillow drops libjpeg's warnings ("Corrupt JPEG data: ...") and decodes on; so does sekit */
static void jpeg_quiet(j_common_ptr ci)
{
    (void)ci;
}

static void src_nothing(j_decompress_ptr ci)
{
    (void)ci;
}

/* The source is the whole file: wanting more is truncation, which Pillow refuses ("image file
 * is truncated") rather than padding the image as libjpeg would. */
static boolean src_fill(j_decompress_ptr ci)
{
    struct jpeg_fail *f = (struct jpeg_fail *)ci->err;
    f->truncated = 1;
    longjmp(f->jb, 1);
}

static void src_skip(j_decompress_ptr ci, long n)
{
    struct jpeg_source_mgr *s = ci->src;
    if (n <= 0) return;
    if ((unsigned long)n > s->bytes_in_buffer) src_fill(ci);
    s->next_input_byte += n;
    s->bytes_in_buffer -= (size_t)n;
}

static int decode_jpeg(struct raw *r, const unsigned char *buf, size_t len, const char *path,
                       struct sekit_err *e)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_fail fail;
    struct jpeg_source_mgr src = {.next_input_byte = buf,
                                  .bytes_in_buffer = len,
                                  .init_source = src_nothing,
                                  .fill_input_buffer = src_fill,
                                  .skip_input_data = src_skip,
                                  .resync_to_restart = jpeg_resync_to_restart,
                                  .term_source = src_nothing};
    ci.err = jpeg_std_error(&fail.pub);
    fail.pub.error_exit = jpeg_fail_exit;
    fail.pub.output_message = jpeg_quiet;
    fail.truncated = fail.rows_done = 0;
    /* written between setjmp and longjmp, read after: volatile keeps the value */
    unsigned char *volatile pix = NULL;
    if (setjmp(fail.jb)) {
        if (fail.truncated && fail.rows_done) {
            /* Pillow too keeps an image whose rows are all in when only the end (up to the
             * end-of-image marker) is missing */
            jpeg_destroy_decompress(&ci);
            r->pix = pix;
            return SEKIT_OK;
        }
        char msg[JMSG_LENGTH_MAX] = "";
        if (!fail.truncated) fail.pub.format_message((j_common_ptr)&ci, msg);
        jpeg_destroy_decompress(&ci);
        free(pix);
        return fail.truncated
                   ? sekit_errf(e, SEKIT_EFORMAT, "%s: JPEG file is truncated", path)
                   : sekit_errf(e, SEKIT_EFORMAT, "%s: cannot decode JPEG: %s", path, msg);
    }
    jpeg_create_decompress(&ci);
    ci.src = &src;
    while (jpeg_read_header(&ci, FALSE) == JPEG_HEADER_TABLES_ONLY)
        ;
    int rc = check_size(ci.image_width, ci.image_height, path, e);
    if (!rc && ci.num_components != 1 && ci.num_components != 3 && ci.num_components != 4)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: JPEG with %d components (1, 3 or 4 supported)", path,
                        ci.num_components);
    if (rc) {
        jpeg_destroy_decompress(&ci);
        return rc;
    }
    /* Pillow's JpegDecode: the colour space by component count, libjpeg's default DCT (islow)
     * and fancy upsampling */
    r->kind = ci.num_components == 1 ? RAW_L : ci.num_components == 3 ? RAW_RGB : RAW_CMYK;
    ci.out_color_space = ci.num_components == 1   ? JCS_GRAYSCALE
                         : ci.num_components == 3 ? JCS_RGB
                                                  : JCS_CMYK;
    jpeg_start_decompress(&ci);
    r->w = (int)ci.output_width;
    r->h = (int)ci.output_height;
    const size_t stride = (size_t)r->w * (size_t)raw_bytes[r->kind];
    if (ci.output_components != raw_bytes[r->kind] || !(pix = malloc(stride * (size_t)r->h))) {
        jpeg_destroy_decompress(&ci);
        return ci.output_components != raw_bytes[r->kind]
                   ? sekit_errf(e, SEKIT_EFORMAT, "%s: JPEG decodes to %d components, not %d", path,
                                ci.output_components, raw_bytes[r->kind])
                   : sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %dx%d pixels", path, r->w,
                                r->h);
    }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = pix + ci.output_scanline * stride;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    /* Pillow reads on to the end-of-image marker: a broken marker there (a second frame
     * header, ...) is an error, a missing end is not */
    fail.rows_done = 1;
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    r->pix = pix;
    return SEKIT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* PNG (libpng) */

struct png_ctx {
    const unsigned char *p;
    size_t left;
    png_uint_32 h;  /* once the header is read */
    int interlaced; /* ... */
    int rows_done;  /* the data ran out after the last row was in */
    char msg[200];
};

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->left) {
        /* libpng reads on to the end of the image data (zlib checksum, CRC, next chunk);
         * Pillow stops once it has every row, so a file that ends after them is whole to it */
        c->rows_done = c->h && (png_get_current_pass_number(png) >= 7 ||
                                (!c->interlaced && png_get_current_row_number(png) >= c->h));
        png_error(png, "file is truncated");
    }
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
}

static void png_fail(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

static int decode_png(struct raw *r, const unsigned char *buf, size_t len, const char *path,
                      struct sekit_err *e)
{
    struct png_ctx c = {.p = buf, .left = len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *volatile pix = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
    }
    int rc = SEKIT_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (c.rows_done) {
            r->pix = pix;
            pix = NULL;
        } else {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: cannot decode PNG: %s", path, c.msg);
        }
        goto out;
    }
    png_set_read_fn(png, &c, png_read_mem);
    /* Pillow checks the CRC of every chunk before the image data, ancillary ones too, and of
     * no chunk from the first IDAT on */
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, info);
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    const int ct = png_get_color_type(png, info), bd = png_get_bit_depth(png, info);
    if ((rc = check_size(w, h, path, e))) goto out;
    /* unpacked as Pillow's PngImagePlugin modes: 1/2/4-bit gray scaled to 8 bits (its "1",
     * "L;2", "L;4"), palette indices one per byte, 16-bit samples to their high byte
     * ("RGB;16B", "LA;16B", "RGBA;16B") except gray (mode I, clipped later); tRNS ignored */
    if (ct == PNG_COLOR_TYPE_GRAY && bd < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (ct == PNG_COLOR_TYPE_PALETTE && bd < 8) png_set_packing(png);
    if (bd == 16 && ct != PNG_COLOR_TYPE_GRAY) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    c.h = h;
    c.interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    r->kind = ct == PNG_COLOR_TYPE_GRAY         ? (bd == 16 ? RAW_I16 : RAW_L)
              : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? RAW_LA
              : ct == PNG_COLOR_TYPE_RGB        ? RAW_RGB
              : ct == PNG_COLOR_TYPE_RGB_ALPHA  ? RAW_RGBA
                                                : RAW_P;
    const size_t stride = (size_t)w * (size_t)raw_bytes[r->kind];
    if (png_get_rowbytes(png, info) != stride) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: PNG colour type %d at %d bits is not supported",
                        path, ct, bd);
        goto out;
    }
    if (r->kind == RAW_P) {
        /* Pillow's palette starts as a gray ramp; the PLTE replaces its first entries */
        for (int i = 0; i < 256; i++)
            r->palette[3 * i] = r->palette[3 * i + 1] = r->palette[3 * i + 2] = (unsigned char)i;
        png_colorp plte;
        int n = 0;
        if (png_get_PLTE(png, info, &plte, &n) == 0) n = 0;
        for (int i = 0; i < n && i < 256; i++) {
            r->palette[3 * i] = plte[i].red;
            r->palette[3 * i + 1] = plte[i].green;
            r->palette[3 * i + 2] = plte[i].blue;
        }
    }
    pix = malloc(stride * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!pix || !rows) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %ux%u pixels", path, (unsigned)w,
                        (unsigned)h);
        goto out;
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = pix + y * stride;
    r->w = (int)w;
    r->h = (int)h;
    png_read_image(png, rows);
    r->pix = pix;
    pix = NULL;
out:
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    free(pix);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */

static int read_file(const char *path, unsigned char **buf, size_t *len, struct sekit_err *e)
{
    struct stat sb;
    FILE *f = sekit_fopen_regular(path, &sb, e);
    if (!f) return SEKIT_EIO;
    /* compressed data of a SEKIT_IMAGE_MAX_PIXELS image stays far below this */
    if (sb.st_size > (off_t)1 << 31) {
        fclose(f);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %lld bytes is too large for an image", path,
                          (long long)sb.st_size);
    }
    *len = (size_t)sb.st_size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        fclose(f);
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
    }
    size_t got = fread(*buf, 1, *len, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (got != *len) {
        free(*buf);
        return sekit_errf(e, SEKIT_EIO, "%s: read error: %s", path,
                          err ? strerror(err) : "file shrank while read");
    }
    return SEKIT_OK;
}

int sekit_image_load(struct sekit_image *img, const char *path, int channels, struct sekit_err *e)
{
    SEKIT_ASSERT(channels == 1 || channels == 3);
    memset(img, 0, sizeof *img);
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, e);
    if (rc) return rc;
    struct raw r = {0};
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
        rc = decode_jpeg(&r, buf, len, path, e);
    else if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
        rc = decode_png(&r, buf, len, path, e);
    else
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: not a JPEG or PNG image", path);
    free(buf);
    if (!rc) rc = to_image(img, &r, channels, path, e);
    free(r.pix);
    return rc;
}

void sekit_image_free(struct sekit_image *img)
{
    free(img->pix);
    img->pix = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* resampling, after Pillow's Resample.c */

void sekit_image_shorter_side(int w, int h, int shorter, int *ow, int *oh)
{
    /* Python's int(shorter * long / short): the float quotient of integers this small is never
     * within rounding of the next integer, so integer division gives the same floor */
    *ow = w <= h ? shorter : (int)((int64_t)shorter * w / h);
    *oh = h < w ? shorter : (int)((int64_t)shorter * h / w);
}

#define PRECISION_BITS (32 - 8 - 2)

static double filter_support(enum sekit_filter f)
{
    return f == SEKIT_FILTER_BICUBIC ? 2.0 : 1.0;
}

static double filter_eval(enum sekit_filter f, double x)
{
    if (x < 0.0) x = -x;
    if (f == SEKIT_FILTER_BILINEAR) return x < 1.0 ? 1.0 - x : 0.0;
    /* Keys' cubic convolution with a = -0.5, in Pillow's operation order */
    const double a = -0.5;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* The reduction factor (at least 1) and the support it scales. */
static void axis_scale(int n, int out, enum sekit_filter f, double *scale, double *filterscale,
                       double *support)
{
    *scale = *filterscale = (double)n / out;
    if (*filterscale < 1.0) *filterscale = 1.0;
    *support = filter_support(f) * *filterscale;
}

int sekit_resample_ksize(int n, int out, enum sekit_filter f)
{
    double scale, filterscale, support;
    axis_scale(n, out, f, &scale, &filterscale, &support);
    return (int)ceil(support) * 2 + 1;
}

void sekit_resample_coeffs(int n, int out, enum sekit_filter f, int ksize, int *bounds, int32_t *kk)
{
    double scale, filterscale, support;
    axis_scale(n, out, f, &scale, &filterscale, &support);
    const double ss = 1.0 / filterscale;
    for (int xx = 0; xx < out; xx++) {
        const double center = (xx + 0.5) * scale;
        /* the window rounds with (int)(v + 0.5), truncating toward zero as Pillow does */
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > n) xmax = n;
        xmax -= xmin;
        /* the weights are normalised in double first, then rounded half away from zero; they
         * are computed twice (sum, then value) so that no scratch buffer is needed */
        double ww = 0.0;
        for (int x = 0; x < xmax; x++)
            ww += filter_eval(f, (x + xmin - center + 0.5) * ss);
        int32_t *k = kk + (size_t)xx * ksize;
        for (int x = 0; x < xmax; x++) {
            double w = filter_eval(f, (x + xmin - center + 0.5) * ss);
            if (ww != 0.0) w /= ww;
            k[x] = w < 0 ? (int32_t)(-0.5 + w * (1 << PRECISION_BITS))
                         : (int32_t)(0.5 + w * (1 << PRECISION_BITS));
        }
        for (int x = xmax; x < ksize; x++)
            k[x] = 0;
        bounds[2 * xx] = xmin;
        bounds[2 * xx + 1] = xmax;
    }
}

static unsigned char clip8(int ss)
{
    if (ss < 0) return 0;
    ss >>= PRECISION_BITS;
    return (unsigned char)(ss > 255 ? 255 : ss);
}

void sekit_resample_h(unsigned char *dst, const unsigned char *src, int w, int c, int y0, int rows,
                      int ow, int ksize, const int *bounds, const int32_t *kk)
{
    for (int yy = 0; yy < rows; yy++) {
        const unsigned char *in = src + (size_t)(y0 + yy) * w * c;
        for (int xx = 0; xx < ow; xx++) {
            const int xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1];
            const int32_t *k = kk + (size_t)xx * ksize;
            for (int ch = 0; ch < c; ch++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < xmax; x++)
                    ss += in[(x + xmin) * c + ch] * k[x];
                dst[((size_t)yy * ow + xx) * c + ch] = clip8(ss);
            }
        }
    }
}

void sekit_resample_v(unsigned char *dst, const unsigned char *src, int w, int c, int oh, int ksize,
                      const int *bounds, const int32_t *kk)
{
    const size_t row = (size_t)w * c;
    for (int yy = 0; yy < oh; yy++) {
        const int ymin = bounds[2 * yy], ymax = bounds[2 * yy + 1];
        const int32_t *k = kk + (size_t)yy * ksize;
        for (size_t i = 0; i < row; i++) {
            int ss = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < ymax; y++)
                ss += src[(size_t)(y + ymin) * row + i] * k[y];
            dst[yy * row + i] = clip8(ss);
        }
    }
}

int sekit_image_resize(struct sekit_image *out, const struct sekit_image *in, int ow, int oh,
                       enum sekit_filter f, const char *path, struct sekit_err *e)
{
    SEKIT_ASSERT(ow > 0 && oh > 0);
    memset(out, 0, sizeof *out);
    const int c = in->c, kh = sekit_resample_ksize(in->w, ow, f),
              kv = sekit_resample_ksize(in->h, oh, f);
    int *bh = malloc(sizeof(int) * 2 * (size_t)ow), *bv = malloc(sizeof(int) * 2 * (size_t)oh);
    int32_t *kkh = malloc(sizeof(int32_t) * (size_t)ow * kh),
            *kkv = malloc(sizeof(int32_t) * (size_t)oh * kv);
    unsigned char *tmp = NULL, *pix = malloc((size_t)ow * oh * c);
    int rc = SEKIT_OK;
    if (!bh || !bv || !kkh || !kkv || !pix) goto nomem;
    sekit_resample_coeffs(in->w, ow, f, kh, bh, kkh);
    sekit_resample_coeffs(in->h, oh, f, kv, bv, kkv);
    const unsigned char *src = in->pix;
    int sw = in->w;
    if (ow != in->w) {
        /* only the source rows the vertical pass reads */
        const int first = bv[0], last = bv[2 * oh - 2] + bv[2 * oh - 1];
        if (oh == in->h) {
            sekit_resample_h(pix, in->pix, in->w, c, 0, oh, ow, kh, bh, kkh);
            goto done;
        }
        if (!(tmp = malloc((size_t)ow * (last - first) * c))) goto nomem;
        sekit_resample_h(tmp, in->pix, in->w, c, first, last - first, ow, kh, bh, kkh);
        for (int i = 0; i < oh; i++)
            bv[2 * i] -= first;
        src = tmp;
        sw = ow;
    }
    if (oh != in->h)
        sekit_resample_v(pix, src, sw, c, oh, kv, bv, kkv);
    else
        memcpy(pix, in->pix, (size_t)ow * oh * c);
    goto done;
nomem:
    rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory resizing %dx%d to %dx%d", path, in->w,
                    in->h, ow, oh);
    free(pix);
    pix = NULL;
done:
    free(bh);
    free(bv);
    free(kkh);
    free(kkv);
    free(tmp);
    if (!rc) *out = (struct sekit_image){ow, oh, c, pix};
    return rc;
}
