/*
 * fuzz-images.c -- libFuzzer harness for image decoding and resizing (datasets/image.c).
 *
 * Input: one mode byte, then the image file's bytes (JPEG, PNG or anything else). Mode bits:
 *   0    3 channels (convert('RGB')), else 1 (convert('L'))
 *   1    bicubic, else bilinear
 *   2-7  the shorter side after resizing, 1 to 64
 * A decoded image must have the channels asked for and a size within the pixel limit; it is
 * then resized as a folder image is (unless the result would exceed FZ_MAX_PIXELS: a 1 x 100000
 * image resized to 64 rows is a legitimate 6.4-megapixel result, slow but not a finding), and
 * the result must have the size asked for. A refused file must give one line naming it.
 *
 * Files that declare more than FZ_MAX_PIXELS pixels but no more than SEKIT_IMAGE_MAX_PIXELS are
 * not decoded: a few bytes of JPEG make a 100-megapixel image that sekit may decode, and under
 * the sanitizers and the fuzzer's instrumentation its conversion and resize take about 0.4 s a
 * megapixel, so such inputs took most of a run's time (a 600 s run fell to 234 executions a
 * second with a limit of 1 Mpx). Decoding and resizing are the same code at every size; the
 * refusal above SEKIT_IMAGE_MAX_PIXELS is still fuzzed.
 */
#include "fuzz.h"
#include "image.h"

#include <string.h>

#define FZ_MAX_PIXELS ((int64_t)1 << 16)

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t be32(const uint8_t *p)
{
    return be16(p) << 16 | be16(p + 2);
}

/* The pixels a PNG's IHDR or a JPEG's first frame header declares, as libpng and libjpeg read
 * them; 0 when the file has neither (it may still decode: then it is decoded). */
static uint64_t declared_pixels(const uint8_t *d, size_t n)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 24 && !memcmp(d, png, 8) && !memcmp(d + 12, "IHDR", 4))
        return (uint64_t)be32(d + 16) * be32(d + 20);
    if (n < 2 || d[0] != 0xff || d[1] != 0xd8) return 0;
    /* libjpeg's next_marker skips bytes up to a 0xff; markers without a length (RSTn, TEM)
     * stand alone; the first SOFn (0xc0..0xcf but DHT, JPG, DAC) holds height and width */
    for (size_t i = 2; i + 1 < n;) {
        if (d[i] != 0xff || d[i + 1] == 0xff || d[i + 1] == 0) {
            i++;
            continue;
        }
        const uint8_t m = d[i + 1];
        if ((m >= 0xd0 && m <= 0xd8) || m == 0x01) {
            i += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda || i + 4 > n) return 0;
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            return i + 9 <= n ? (uint64_t)be16(d + i + 5) * be16(d + i + 7) : 0;
        i += 2 + be16(d + i + 2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    const int channels = mode & 1 ? 3 : 1, side = (mode >> 2) + 1;
    const enum sekit_filter f = mode & 2 ? SEKIT_FILTER_BICUBIC : SEKIT_FILTER_BILINEAR;
    const uint64_t px = declared_pixels(data + 1, size - 1);
    if (px > (uint64_t)FZ_MAX_PIXELS && px <= (uint64_t)SEKIT_IMAGE_MAX_PIXELS) return 0;
    const char *path = fz_write("image", data + 1, size - 1);
    FZ_CHECK(path != NULL);
    struct sekit_image img, rs;
    struct sekit_err e = {0};
    int rc = sekit_image_load(&img, path, channels, &e);
    if (rc) {
        fz_check_err(rc, &e);
        FZ_CHECK(strstr(e.msg, path) != NULL);
        fz_clear();
        return 0;
    }
    FZ_CHECK(img.w >= 1 && img.h >= 1 && img.c == channels && img.pix != NULL);
    FZ_CHECK((int64_t)img.w * img.h <= SEKIT_IMAGE_MAX_PIXELS);
    int w, h;
    sekit_image_shorter_side(img.w, img.h, side, &w, &h);
    FZ_CHECK(w >= side && h >= side && (w == side || h == side));
    /* the resize's cost grows with the output's pixels as well as the input's (a file whose
     * header this harness did not read may still decode to a large image) */
    if ((int64_t)w * h <= FZ_MAX_PIXELS && (int64_t)img.w * img.h <= FZ_MAX_PIXELS) {
        rc = sekit_image_resize(&rs, &img, w, h, f, path, &e);
        if (rc) {
            fz_check_err(rc, &e);
        } else {
            FZ_CHECK(rs.w == w && rs.h == h && rs.c == channels);
            sekit_image_free(&rs);
        }
    }
    sekit_image_free(&img);
    fz_clear();
    return 0;
}
