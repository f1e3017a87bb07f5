/*
 * input.c -- 8-bit images in memory to a model's input, as sekit record reads them from files
 * (sekit.h: sekit_input_resolve, sekit_input_convert). The preprocessing is resolved by
 * preproc.c, as for a dataset; resizing is image.c's Pillow resampling; the crop offset and the
 * normalisation are dataset.c's, which its loads and this path must both keep.
 */
#include "image.h"
#include "preproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sekit_input_resolve(struct sekit_input *in, const struct sekit_model *m, const char *model_path,
                        enum sekit_input_kind kind, int h, int w, int c, struct sekit_err *e)
{
    memset(in, 0, sizeof *in);
    if (kind != SEKIT_INPUT_STORED && kind != SEKIT_INPUT_FOLDER)
        return sekit_errf(e, SEKIT_EINVAL, "input kind %d is neither stored (0) nor folder (1)",
                          (int)kind);
    if (h <= 0 || w <= 0 || (c != 1 && c != 3))
        return sekit_errf(e, SEKIT_EINVAL,
                          "images of %dx%d pixels with %d channels: expected a positive size and "
                          "1 (gray) or 3 (RGB) channels",
                          w, h, c);
    const int folder = kind == SEKIT_INPUT_FOLDER;
    char data[64];
    snprintf(data, sizeof data, "the %dx%d input images", w, h);
    struct sekit_preproc_resolved r;
    const struct sekit_preproc_request rq = {0};
    /* a folder's images vary in size, so its resolution sees none (dataset.h: native 0s) */
    int rc = sekit_preproc_resolve_for(&r, m, model_path, folder, folder ? 0 : c, folder ? 0 : h,
                                       folder ? 0 : w, data, &rq, e);
    if (rc) return rc;
    if (c == 3 && r.pp.channels == 1)
        return sekit_errf(e, SEKIT_EINVAL, "%s: colour images for a 1-channel model", data);
    if (!folder && !r.pp.crop && h != w)
        return sekit_errf(e, SEKIT_EINVAL, "%s need a square crop (--crop)", data);
    *in = (struct sekit_input){.kind = kind,
                               .h = h,
                               .w = w,
                               .c = c,
                               .channels = r.pp.channels,
                               .size = r.size,
                               .resize = r.pp.resize,
                               .crop = r.pp.crop,
                               .bicubic = r.pp.bicubic,
                               .bgr = r.pp.bgr,
                               .scale255 = r.pp.scale255};
    memcpy(in->mean, r.pp.mean, sizeof in->mean);
    memcpy(in->std, r.pp.std, sizeof in->std);
    snprintf(in->desc, sizeof in->desc, "%s", r.desc);
    if (folder) {
        int nw = w, nh = h;
        if (in->resize) sekit_image_shorter_side(w, h, in->resize, &nw, &nh);
        if (nw < in->size || nh < in->size)
            return sekit_errf(e, SEKIT_EINVAL,
                              "%s: %dx%d after resizing, smaller than the %dx%d crop", data, nw, nh,
                              in->size, in->size);
    }
    return SEKIT_OK;
}

int sekit_input_convert(const struct sekit_input *in, const uint8_t *src, int64_t n, float *dst,
                        struct sekit_err *e)
{
    SEKIT_ASSERT(n >= 0 && in->size > 0);
    const size_t isz = (size_t)in->h * in->w * in->c;
    const size_t osz = (size_t)in->channels * in->size * in->size;
    struct sekit_preproc pp = {.channels = in->channels, .bgr = in->bgr, .scale255 = in->scale255};
    memcpy(pp.mean, in->mean, sizeof pp.mean);
    memcpy(pp.std, in->std, sizeof pp.std);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *img = src + (size_t)i * isz;
        int W = in->w, H = in->h;
        struct sekit_image rs = {0};
        if (in->kind == SEKIT_INPUT_FOLDER && in->resize) {
            int nw, nh;
            sekit_image_shorter_side(in->w, in->h, in->resize, &nw, &nh);
            /* Pillow returns a copy when the size does not change */
            if (nw != in->w || nh != in->h) {
                const struct sekit_image orig = {in->w, in->h, in->c, (unsigned char *)img};
                char name[48];
                snprintf(name, sizeof name, "input image %lld", (long long)i);
                int rc = sekit_image_resize(
                    &rs, &orig, nw, nh, in->bicubic ? SEKIT_FILTER_BICUBIC : SEKIT_FILTER_BILINEAR,
                    name, e);
                if (rc) return rc;
                img = rs.pix, W = nw, H = nh;
            }
        }
        const int S = in->size;
        sekit_ds_to_chw(dst + (size_t)i * osz, img, in->c, W, sekit_ds_center_offset(H - S),
                        sekit_ds_center_offset(W - S), S, &pp);
        sekit_image_free(&rs);
    }
    return SEKIT_OK;
}
