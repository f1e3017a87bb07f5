/* preproc.c -- see preproc.h. */
#include "preproc.h"
#include "../src/config.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sekit_preproc_source_name(enum sekit_preproc_source s)
{
    static const char *const names[] = {"default", "config.json", "metadata", "preset", "option"};
    return names[s];
}

static int check_mean(double v)
{
    return isfinite(v) && fabs(v) <= SEKIT_PREPROC_MEAN_MAX;
}

static int check_std(double v)
{
    return isfinite(v) && v >= SEKIT_PREPROC_STD_MIN && v <= SEKIT_PREPROC_STD_MAX;
}

static const char range_mean[] = "a finite number from -1e+06 to 1e+06";
static const char range_std[] = "a number > 0, from 1e-06 to 1e+06";

/* Stores n (1 or channels) values into dst[channels], each checked. */
static int put_values(float *dst, int channels, const double *v, int n, int is_std,
                      const char *where, struct sekit_err *e)
{
    const char *what = is_std ? "std" : "mean";
    if (n != 1 && n != channels)
        return sekit_errf(e, SEKIT_EINVAL, "%s: %s has %d values; the model takes 1 or %d", where,
                          what, n, channels);
    for (int c = 0; c < n; c++)
        if (!(is_std ? check_std(v[c]) : check_mean(v[c])))
            return sekit_errf(e, SEKIT_EINVAL, "%s: %s value %g is not %s", where, what, v[c],
                              is_std ? range_std : range_mean);
    for (int c = 0; c < channels; c++)
        dst[c] = (float)v[n == 1 ? 0 : c];
    return SEKIT_OK;
}

/* The resize filters sekit reproduces (image.h); timm's other names (nearest, lanczos, ...)
 * are refused rather than replaced by a filter that gives other pixels. */
static const char interp_range[] = "is not bicubic or bilinear (the filters sekit reproduces)";

static int parse_interp(const char *v, int *bicubic)
{
    if (strcmp(v, "bicubic") && strcmp(v, "bilinear")) return -1;
    *bicubic = strcmp(v, "bicubic") == 0;
    return 0;
}

/* "a,b,c" from a metadata string into v[3]; the count in *n. */
static int parse_list(const char *s, double *v, int *n)
{
    *n = 0;
    for (const char *p = s;;) {
        char *end;
        if (*n == 3) return -1;
        v[*n] = strtod(p, &end);
        if (end == p || (*end && *end != ',')) return -1;
        ++*n;
        if (!*end) return 0;
        p = end + 1;
    }
}

static void set_imagenet(struct sekit_preproc *pp)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) {
        pp->mean[c] = mean[c];
        pp->std[c] = std[c];
    }
}

/* The presets and the pipelines they reproduce (docs/preprocessing.md):
 *   timm    timm's eval transform: Resize(floor(224 / 0.875) = 256, bicubic), CenterCrop(224),
 *           ToTensor, Normalize(ImageNet mean, std);
 *   legacy  Cadene's pretrainedmodels TransformImage: Resize(floor(224 / 0.875) = 256) with
 *           torchvision's default bilinear, CenterCrop(224), RGB in [0, 1], ImageNet mean, std;
 *   caffe   the SENet Caffe release (hujie-frank/SENet): centre 224 crop of the image resized to
 *           shorter side 256, BGR, 0..255, mean 104, 117, 123. The release does not say how it
 *           resized; sekit uses Pillow's bilinear, the kernel of the other 256 / 224 preset. */
static int apply_preset(struct sekit_preproc_resolved *r, const char *name, struct sekit_err *e)
{
    struct sekit_preproc *pp = &r->pp;
    if (strcmp(name, "none") == 0) return SEKIT_OK;
    if (strcmp(name, "timm") && strcmp(name, "legacy") && strcmp(name, "caffe"))
        return sekit_errf(e, SEKIT_EINVAL, "unknown preset '%s' (timm, legacy, caffe, none)", name);
    if (pp->channels != 3)
        return sekit_errf(e, SEKIT_EINVAL, "preset '%s' is for 3-channel ImageNet models", name);
    pp->bgr = pp->scale255 = 0;
    pp->crop = 224;
    pp->resize = (int)floor(224 / 0.875);
    pp->bicubic = strcmp(name, "timm") == 0;
    if (strcmp(name, "caffe") == 0) {
        static const float bgr_mean[3] = {104, 117, 123};
        pp->bgr = pp->scale255 = 1;
        for (int c = 0; c < 3; c++) {
            pp->mean[c] = bgr_mean[c];
            pp->std[c] = 1;
        }
    } else {
        set_imagenet(pp);
    }
    r->resize_from = r->crop_from = r->mean_from = r->std_from = r->interp_from =
        SEKIT_PREPROC_PRESET;
    return SEKIT_OK;
}

/* timm's config.json beside the weights, if any. */
static int apply_config_json(struct sekit_preproc_resolved *r, const char *model_path,
                             struct sekit_err *e)
{
    struct sekit_preproc *pp = &r->pp;
    char path[4096];
    json_t *root;
    int rc0 = sekit_config_json(model_path, path, sizeof path, &root, e);
    if (rc0 || !root) return rc0;
    json_t *cfg = json_object_get(root, "pretrained_cfg");
    if (!json_is_object(cfg)) cfg = root;
    int rc = SEKIT_OK;
    json_t *is = json_object_get(cfg, "input_size"), *cp = json_object_get(cfg, "crop_pct");
    json_t *interp = json_object_get(cfg, "interpolation");
    json_t *side = json_array_get(is, 2);
    if (is && (!json_is_array(is) || json_array_size(is) != 3 || !json_is_integer(side) ||
               json_integer_value(side) < 8 || json_integer_value(side) > 8192)) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: input_size is not [channels, height, width]", path);
    } else if (is) {
        pp->crop = (int)json_integer_value(side);
        double pct = json_is_number(cp) ? json_number_value(cp) : 0.875;
        if (!(pct > 0.1 && pct <= 1.0))
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: crop_pct %g outside (0.1, 1]", path, pct);
        else
            pp->resize = (int)floor(pp->crop / pct);
        r->crop_from = r->resize_from = SEKIT_PREPROC_CONFIG;
    }
    for (int k = 0; k < 2 && !rc; k++) {
        json_t *a = json_object_get(cfg, k ? "std" : "mean");
        if (!a) continue;
        double v[3];
        int n = json_is_array(a) ? (int)json_array_size(a) : 0;
        for (int c = 0; c < n && c < 3 && !rc; c++) {
            if (!json_is_number(json_array_get(a, (size_t)c)))
                rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s[%d] is not a number", path,
                                k ? "std" : "mean", c);
            v[c] = json_number_value(json_array_get(a, (size_t)c));
        }
        if (!rc && (n < 1 || n > 3))
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s needs %d numbers", path, k ? "std" : "mean",
                            pp->channels);
        if (!rc && (rc = put_values(k ? pp->std : pp->mean, pp->channels, v, n, k, path, e)))
            rc = e->code = SEKIT_EFORMAT;
        if (!rc) *(k ? &r->std_from : &r->mean_from) = SEKIT_PREPROC_CONFIG;
    }
    if (!rc && interp) {
        if (!json_is_string(interp) || parse_interp(json_string_value(interp), &pp->bicubic))
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: interpolation %s", path, interp_range);
        r->interp_from = SEKIT_PREPROC_CONFIG;
    }
    json_decref(root);
    return rc;
}

static int apply_metadata(struct sekit_preproc_resolved *r, const struct sekit_model *m,
                          const char *path, struct sekit_err *e)
{
    struct sekit_preproc *pp = &r->pp;
    char where[4200];
    snprintf(where, sizeof where, "%s: __metadata__", path);
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "std" : "mean", *v = sekit_model_meta(m, key);
        if (!v) continue;
        double vals[3];
        int n, rc;
        if (parse_list(v, vals, &n))
            return sekit_errf(e, SEKIT_EFORMAT,
                              "%s %s '%.64s' is not 1 or 3 comma-separated numbers", where, key, v);
        if ((rc = put_values(k ? pp->std : pp->mean, pp->channels, vals, n, k, where, e)))
            return e->code = SEKIT_EFORMAT;
        *(k ? &r->std_from : &r->mean_from) = SEKIT_PREPROC_METADATA;
    }
    const char *keys[2] = {"input_size", "resize"};
    int *dst[2] = {&pp->crop, &pp->resize};
    enum sekit_preproc_source *from[2] = {&r->crop_from, &r->resize_from};
    for (int k = 0; k < 2; k++) {
        const char *v = sekit_model_meta(m, keys[k]);
        if (!v) continue;
        char *end;
        long s = strtol(v, &end, 10);
        if (end == v || *end || s < 1 || s > 8192)
            return sekit_errf(e, SEKIT_EFORMAT, "%s %s '%.64s' is not a size from 1 to 8192", where,
                              keys[k], v);
        *dst[k] = (int)s;
        *from[k] = SEKIT_PREPROC_METADATA;
    }
    const char *v = sekit_model_meta(m, "interpolation");
    if (v) {
        if (parse_interp(v, &pp->bicubic))
            return sekit_errf(e, SEKIT_EFORMAT, "%s interpolation '%.64s' %s", where, v,
                              interp_range);
        r->interp_from = SEKIT_PREPROC_METADATA;
    }
    return SEKIT_OK;
}

static void describe(struct sekit_preproc_resolved *r)
{
    const struct sekit_preproc *pp = &r->pp;
    char mean[64] = "", std[64] = "";
    for (int c = 0; c < pp->channels; c++) {
        snprintf(mean + strlen(mean), sizeof mean - strlen(mean), "%s%g", c ? "," : "",
                 (double)pp->mean[c]);
        snprintf(std + strlen(std), sizeof std - strlen(std), "%s%g", c ? "," : "",
                 (double)pp->std[c]);
    }
    /* the resampler is named: bicubic and bilinear differ between libraries (image.h) */
    snprintf(r->desc, sizeof r->desc,
             "resize=%d crop=%d size=%d interpolation=%s channels=%d order=%s range=%s mean=%s "
             "std=%s",
             pp->resize, pp->crop, r->size,
             !pp->resize   ? "none"
             : pp->bicubic ? "bicubic (Pillow)"
                           : "bilinear (Pillow)",
             pp->channels, pp->bgr ? "BGR" : "RGB", pp->scale255 ? "0-255" : "0-1", mean, std);
    snprintf(r->sources, sizeof r->sources,
             "resize from %s, crop from %s, mean from %s, std from %s, interpolation from %s",
             sekit_preproc_source_name(r->resize_from), sekit_preproc_source_name(r->crop_from),
             sekit_preproc_source_name(r->mean_from), sekit_preproc_source_name(r->std_from),
             sekit_preproc_source_name(r->interp_from));
}

int sekit_preproc_resolve(struct sekit_preproc_resolved *r, const struct sekit_model *m,
                          const char *model_path, const struct sekit_ds *ds,
                          const struct sekit_preproc_request *rq, struct sekit_err *e)
{
    int nc, nh, nw;
    sekit_ds_native(ds, &nc, &nh, &nw);
    return sekit_preproc_resolve_for(r, m, model_path,
                                     strcmp(sekit_ds_format_name(ds), "folder") == 0, nc, nh, nw,
                                     sekit_ds_path(ds), rq, e);
}

int sekit_preproc_resolve_for(struct sekit_preproc_resolved *r, const struct sekit_model *m,
                              const char *model_path, int folder, int nc, int nh, int nw,
                              const char *data, const struct sekit_preproc_request *rq,
                              struct sekit_err *e)
{
    struct sekit_preproc *pp = &r->pp;
    const struct sekit_arch *a = sekit_model_arch(m);
    memset(r, 0, sizeof *r);
    if (a->in_chans != 1 && a->in_chans != 3)
        return sekit_errf(e, SEKIT_EINVAL, "%s: models with %d input channels are not supported",
                          model_path, a->in_chans);
    pp->channels = a->in_chans;
    for (int c = 0; c < 3; c++)
        pp->std[c] = 1;
    int rc;
    if ((rc = apply_config_json(r, model_path, e))) return rc;
    if ((rc = apply_metadata(r, m, model_path, e))) return rc;
    const char *preset = rq->preset;
    /* legacy's transform is also torchvision's classic one (Resize 256, CenterCrop 224) */
    if (!preset && folder && !pp->crop)
        preset = a->layout == SEKIT_LAYOUT_TIMM || a->layout == SEKIT_LAYOUT_TIMM_ZOO ? "timm"
                                                                                      : "legacy";
    if (preset && (rc = apply_preset(r, preset, e))) return rc;
    if (rq->resize) pp->resize = rq->resize, r->resize_from = SEKIT_PREPROC_OPTION;
    if (rq->crop) pp->crop = rq->crop, r->crop_from = SEKIT_PREPROC_OPTION;
    if (rq->nmean) {
        if ((rc = put_values(pp->mean, pp->channels, rq->mean, rq->nmean, 0, "--mean", e)))
            return rc;
        r->mean_from = SEKIT_PREPROC_OPTION;
    }
    if (rq->nstd) {
        if ((rc = put_values(pp->std, pp->channels, rq->std, rq->nstd, 1, "--std", e))) return rc;
        r->std_from = SEKIT_PREPROC_OPTION;
    }
    if (!folder) {
        /* stored images have one size: a crop must fit it, and there is nothing to resize */
        if (rq->resize)
            return sekit_errf(e, SEKIT_EINVAL,
                              "--resize is for image folders; %s holds %dx%d images", data, nh, nw);
        if (pp->crop > nh || pp->crop > nw)
            return sekit_errf(e, SEKIT_EINVAL,
                              "crop %d (from %s) is larger than the %dx%d images of %s", pp->crop,
                              sekit_preproc_source_name(r->crop_from), nh, nw, data);
        pp->resize = 0;
        if (nc == 3 && pp->channels == 1)
            return sekit_errf(e, SEKIT_EINVAL, "%s: colour images for a 1-channel model", data);
    } else if (!pp->crop) {
        return sekit_errf(e, SEKIT_EINVAL, "image folders need a crop size (--crop or --preset)");
    } else if (pp->resize && pp->crop > pp->resize) {
        return sekit_errf(e, SEKIT_EINVAL,
                          "crop %d (from %s) is larger than the resized image (shorter side %d, "
                          "from %s)",
                          pp->crop, sekit_preproc_source_name(r->crop_from), pp->resize,
                          sekit_preproc_source_name(r->resize_from));
    }
    r->size = pp->crop ? pp->crop : nh;
    describe(r);
    return SEKIT_OK;
}
