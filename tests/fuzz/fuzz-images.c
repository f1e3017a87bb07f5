/*
 * fuzz-images.c -- libFuzzer harness for image decoding and resizing (datasets/image.c).
 *
 * Input: one mode byte, then the image file's bytes (JPEG, PNG or anything else). Mode bits:
 *   0    3 channels (convert('RGB')), else 1 (convert('L'))
 *   1    bicubic, else bilinear
 *   2-7  the shorter side after resizing, 1 to 64
 * A decoded image must have the channels asked for and a size within the pixel limit; it is
 * then resized as a folder image is (unless the result would exceed 2^22 pixels: a 1 x 100000
 * image resized to 64 rows is a legitimate 6.4-megapixel result, slow but not a finding), and
 * the result must have the size asked for. A refused file must give one line naming it.
 */
#include "fuzz.h"
#include "image.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    const int channels = mode & 1 ? 3 : 1, side = (mode >> 2) + 1;
    const enum sekit_filter f = mode & 2 ? SEKIT_FILTER_BICUBIC : SEKIT_FILTER_BILINEAR;
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
    /* the resize's cost grows with the input's pixels as well as the output's: past 4 Mpx either
     * way one input runs for seconds under the fuzzer's instrumentation (a timeout, not a bug);
     * decoding is fuzzed at every size */
    if ((int64_t)w * h <= (1 << 22) && (int64_t)img.w * img.h <= (1 << 22)) {
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
