/*
 * pipeline.c -- model + dataset + class subset + preprocessing, and the batch loop. See
 * pipeline.h.
 *
 * Preprocessing is resolved in this order, each step overriding the previous one:
 *   1. nothing: native size, pixel values in [0, 1], mean 0, std 1;
 *   2. timm's config.json next to the weight file (input_size, crop_pct, mean, std,
 *      interpolation): crop = input size, resize = floor(crop / crop_pct), as timm evaluates;
 *   3. the weight file's own __metadata__ (mean, std, input_size, resize, interpolation);
 *   4. --preset timm|legacy|caffe|none (for image folders with none of the above, the model's
 *      layout picks timm or legacy);
 *   5. --resize, --crop, --mean, --std.
 */
#include "pipeline.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SEKIT_DEFAULT_MODEL
#define SEKIT_DEFAULT_MODEL "models/fashion_mnist_seresnet.safetensors"
#endif

const char pipeline_help[] =
    "  --model FILE        weight file (default: the bundled Fashion-MNIST SE-ResNet)\n"
    "  --data PATH         dataset: IDX directory, CIFAR binary directory or image folder\n"
    "                      (default " SEKIT_DEFAULT_DATA ")\n"
    "  --format F          idx|cifar|folder (default: detected)\n"
    "  --split S           train|test (default test)\n"
    "  --classes LIST      class names or indices, comma-separated, or 'all' (default all)\n"
    "  --per-class N       images per class (default: all of them)\n"
    "  --seed N            sample the images with this seed (default 0: the first N)\n"
    "  --class-map FILE    image folders: one folder name per line fixes class order\n"
    "  --preset P          timm|legacy|caffe|none preprocessing for image folders\n"
    "  --resize N --crop N --mean a,b,c --std a,b,c   override the preprocessing\n"
    "  --batch B           images per forward pass (default 16)\n"
    "  --threads T         engine threads (default: all cores)\n";

void pipeline_defaults(struct pipeline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = SEKIT_DEFAULT_MODEL;
    o->data = SEKIT_DEFAULT_DATA;
    o->split = "test";
    o->classes = "all";
    o->batch = 16;
}

int pipeline_flag(struct pipeline_opts *o, const char *cmd, int argc, char **argv, int *i)
{
    static const char *const strs[] = {"--model",  "--data",    "--format",
                                       "--split",  "--classes", "--class-map",
                                       "--preset", "--mean",    "--std"};
    const char **dst[] = {&o->model,     &o->data,   &o->format, &o->split, &o->classes,
                          &o->class_map, &o->preset, &o->mean,   &o->std};
    static const char *const ints[] = {"--per-class", "--batch", "--threads", "--resize", "--crop"};
    long *idst[] = {&o->per_class, &o->batch, &o->threads, &o->resize, &o->crop};
    static const long lo[] = {1, 1, 0, 0, 0}, hi[] = {100000000, 4096, 1024, 8192, 8192};
    const char *f = argv[*i], *v;
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
        if (strcmp(f, strs[k]) == 0) {
            if (!(v = cli_value(cmd, argc, argv, i))) return -1;
            *dst[k] = v;
            return 1;
        }
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (strcmp(f, ints[k]) == 0) {
            if (!(v = cli_value(cmd, argc, argv, i))) return -1;
            return cli_int(cmd, f, v, lo[k], hi[k], idst[k]) ? -1 : 1;
        }
    if (strcmp(f, "--seed") == 0) {
        long s;
        if (!(v = cli_value(cmd, argc, argv, i))) return -1;
        if (cli_int(cmd, f, v, 0, 2147483647L, &s)) return -1;
        o->seed = (unsigned long long)s;
        return 1;
    }
    if (strcmp(f, "--quiet") == 0) {
        o->quiet = 1;
        return 1;
    }
    return 0;
}

/* "a,b,c" (or one value for every channel) into v[channels]. */
static int parse_floats(const char *what, const char *s, float *v, int channels,
                        struct sekit_err *e)
{
    float tmp[3];
    int n = 0;
    const char *p = s;
    while (*p && n < 3) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || !isfinite(d)) break;
        tmp[n++] = (float)d;
        p = end;
        if (*p == ',')
            p++;
        else
            break;
    }
    if (*p || (n != 1 && n != channels))
        return sekit_errf(e, SEKIT_EINVAL, "%s '%s' needs 1 or %d comma-separated numbers", what, s,
                          channels);
    for (int c = 0; c < channels; c++)
        v[c] = tmp[n == 1 ? 0 : c];
    return SEKIT_OK;
}

static void set_imagenet(struct sekit_preproc *pp)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) {
        pp->mean[c] = mean[c];
        pp->std[c] = std[c];
    }
}

static int apply_preset(struct sekit_preproc *pp, const char *name, struct sekit_err *e)
{
    if (strcmp(name, "none") == 0) return SEKIT_OK;
    if (pp->channels != 3)
        return sekit_errf(e, SEKIT_EINVAL, "preset '%s' is for 3-channel ImageNet models", name);
    pp->bgr = pp->scale255 = 0;
    if (strcmp(name, "timm") == 0) {
        pp->crop = 224;
        pp->resize = (int)floor(224 / 0.875);
        pp->bicubic = 1;
        set_imagenet(pp);
    } else if (strcmp(name, "legacy") == 0) {
        pp->crop = 224;
        pp->resize = 256;
        pp->bicubic = 0;
        set_imagenet(pp);
    } else if (strcmp(name, "caffe") == 0) {
        static const float bgr_mean[3] = {104, 117, 123};
        pp->crop = 224;
        pp->resize = 256;
        pp->bicubic = 0;
        pp->bgr = pp->scale255 = 1;
        for (int c = 0; c < 3; c++) {
            pp->mean[c] = bgr_mean[c];
            pp->std[c] = 1;
        }
    } else {
        return sekit_errf(e, SEKIT_EINVAL, "unknown preset '%s' (timm, legacy, caffe, none)", name);
    }
    return SEKIT_OK;
}

/* timm's config.json beside the weights, if any. */
static int apply_config_json(struct sekit_preproc *pp, const char *model_path, struct sekit_err *e)
{
    char *dir = strdup(model_path), *slash = dir ? strrchr(dir, '/') : NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", slash ? (*slash = 0, dir) : ".");
    free(dir);
    if (access(path, F_OK) != 0) return SEKIT_OK;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not valid JSON: %s (line %d)", path, jerr.text,
                          jerr.line);
    json_t *cfg = json_object_get(root, "pretrained_cfg");
    if (!json_is_object(cfg)) cfg = root;
    int rc = SEKIT_OK;
    json_t *is = json_object_get(cfg, "input_size"), *cp = json_object_get(cfg, "crop_pct");
    json_t *mean = json_object_get(cfg, "mean"), *std = json_object_get(cfg, "std");
    json_t *interp = json_object_get(cfg, "interpolation");
    if (is &&
        (!json_is_array(is) || json_array_size(is) != 3 ||
         !json_is_integer(json_array_get(is, 2)) || json_integer_value(json_array_get(is, 2)) < 8 ||
         json_integer_value(json_array_get(is, 2)) > 8192)) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: input_size is not [channels, height, width]", path);
    } else if (is) {
        pp->crop = (int)json_integer_value(json_array_get(is, 2));
        double pct = json_is_number(cp) ? json_number_value(cp) : 0.875;
        if (pct <= 0.1 || pct > 1.0)
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: crop_pct %g outside (0.1, 1]", path, pct);
        else
            pp->resize = (int)floor(pp->crop / pct);
    }
    for (int k = 0; k < 2 && !rc; k++) {
        json_t *a = k ? std : mean;
        if (!a) continue;
        if (!json_is_array(a) || (int)json_array_size(a) != pp->channels) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s needs %d numbers", path, k ? "std" : "mean",
                            pp->channels);
            break;
        }
        for (int c = 0; c < pp->channels; c++) {
            double v = json_number_value(json_array_get(a, (size_t)c));
            if (!json_is_number(json_array_get(a, (size_t)c)) || (k && v <= 0))
                rc = sekit_errf(e, SEKIT_EFORMAT, "%s: bad %s value", path, k ? "std" : "mean");
            (k ? pp->std : pp->mean)[c] = (float)v;
        }
    }
    if (json_is_string(interp)) pp->bicubic = strcmp(json_string_value(interp), "bicubic") == 0;
    json_decref(root);
    return rc;
}

static int apply_metadata(struct sekit_preproc *pp, const struct sekit_model *m, const char *path,
                          struct sekit_err *e)
{
    const char *v;
    int rc = SEKIT_OK;
    if ((v = sekit_model_meta(m, "mean")) &&
        (rc = parse_floats("mean", v, pp->mean, pp->channels, e)))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ %s", path, e->msg);
    if ((v = sekit_model_meta(m, "std")) && (rc = parse_floats("std", v, pp->std, pp->channels, e)))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ %s", path, e->msg);
    const char *keys[2] = {"input_size", "resize"};
    int *dst[2] = {&pp->crop, &pp->resize};
    for (int k = 0; k < 2; k++)
        if ((v = sekit_model_meta(m, keys[k]))) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s < 1 || s > 8192)
                return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ %s '%s' is not a size", path,
                                  keys[k], v);
            *dst[k] = (int)s;
        }
    if ((v = sekit_model_meta(m, "interpolation"))) pp->bicubic = strcmp(v, "bicubic") == 0;
    return rc;
}

static int resolve_preproc(struct pipeline *p, const struct pipeline_opts *o, struct sekit_err *e)
{
    struct sekit_preproc *pp = &p->pp;
    const struct sekit_arch *a = sekit_model_arch(p->m);
    memset(pp, 0, sizeof *pp);
    if (a->in_chans != 1 && a->in_chans != 3)
        return sekit_errf(e, SEKIT_EINVAL, "%s: models with %d input channels are not supported",
                          p->model_path, a->in_chans);
    pp->channels = a->in_chans;
    for (int c = 0; c < 3; c++)
        pp->std[c] = 1;
    int rc;
    if ((rc = apply_config_json(pp, p->model_path, e))) return rc;
    if ((rc = apply_metadata(pp, p->m, p->model_path, e))) return rc;
    int folder = strcmp(sekit_ds_format_name(p->ds), "folder") == 0;
    const char *preset = o->preset;
    if (!preset && folder && !pp->crop) preset = a->layout == SEKIT_LAYOUT_TIMM ? "timm" : "legacy";
    if (preset && (rc = apply_preset(pp, preset, e))) return rc;
    if (o->resize) pp->resize = (int)o->resize;
    if (o->crop) pp->crop = (int)o->crop;
    if (o->mean && (rc = parse_floats("--mean", o->mean, pp->mean, pp->channels, e))) return rc;
    if (o->std && (rc = parse_floats("--std", o->std, pp->std, pp->channels, e))) return rc;
    for (int c = 0; c < pp->channels; c++)
        if (!(pp->std[c] > 0))
            return sekit_errf(e, SEKIT_EINVAL, "std must be positive (channel %d is %g)", c,
                              (double)pp->std[c]);
    int nc, nh, nw;
    sekit_ds_native(p->ds, &nc, &nh, &nw);
    if (!folder) {
        /* stored images have one size: resizing is for folders, a crop must fit */
        if (pp->crop > nh) pp->crop = 0;
        pp->resize = 0;
        if (nc == 3 && pp->channels == 1)
            return sekit_errf(e, SEKIT_EINVAL, "%s: colour images for a 1-channel model",
                              sekit_ds_path(p->ds));
    } else if (!pp->crop) {
        return sekit_errf(e, SEKIT_EINVAL, "image folders need a crop size (--crop or --preset)");
    }
    p->size = sekit_ds_out_size(p->ds, pp);
    char mean[64] = "", std[64] = "";
    for (int c = 0; c < pp->channels; c++) {
        snprintf(mean + strlen(mean), sizeof mean - strlen(mean), "%s%g", c ? "," : "",
                 (double)pp->mean[c]);
        snprintf(std + strlen(std), sizeof std - strlen(std), "%s%g", c ? "," : "",
                 (double)pp->std[c]);
    }
    snprintf(p->preproc_desc, sizeof p->preproc_desc,
             "resize=%d crop=%d size=%d interpolation=%s channels=%d order=%s range=%s mean=%s "
             "std=%s",
             pp->resize, pp->crop, p->size, pp->bicubic ? "bicubic" : "bilinear", pp->channels,
             pp->bgr ? "BGR" : "RGB", pp->scale255 ? "0-255" : "0-1", mean, std);
    return SEKIT_OK;
}

int pipeline_open(struct pipeline *p, const struct pipeline_opts *o, struct sekit_err *e)
{
    memset(p, 0, sizeof *p);
    p->model_path = o->model;
    struct sekit_ds_opts dso = {o->data, SEKIT_DS_AUTO, o->split, o->class_map};
    if (o->format) {
        if (strcmp(o->format, "idx") == 0)
            dso.format = SEKIT_DS_IDX;
        else if (strcmp(o->format, "cifar") == 0)
            dso.format = SEKIT_DS_CIFAR;
        else if (strcmp(o->format, "folder") == 0)
            dso.format = SEKIT_DS_FOLDER;
        else
            return sekit_errf(e, SEKIT_EINVAL, "unknown --format '%s' (idx, cifar, folder)",
                              o->format);
    }
    int rc;
    sekit_set_threads((int)o->threads);
    if ((rc = sekit_model_load(&p->m, o->model, e))) return rc;
    if ((rc = sekit_ds_open(&p->ds, &dso, e))) goto fail;
    if ((rc = resolve_preproc(p, o, e))) goto fail;
    if ((rc = sekit_ds_parse_classes(p->ds, o->classes, &p->classes, &p->nclasses, e))) goto fail;
    const int K = sekit_model_arch(p->m)->num_classes;
    for (int i = 0; i < p->nclasses; i++)
        if (p->classes[i] >= K) {
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "%s: class '%s' has index %d but the model has only %d classes",
                            o->data, sekit_ds_class_name(p->ds, p->classes[i]), p->classes[i], K);
            goto fail;
        }
    if ((rc = sekit_ds_select(p->ds, p->classes, p->nclasses, o->per_class, o->seed, &p->idx, &p->n,
                              e)))
        goto fail;
    p->batch = (int)o->batch;
    if ((rc = sekit_model_prepare(p->m, p->batch, p->size, p->size, e))) goto fail;
    const int C = p->pp.channels;
    p->x = malloc(sizeof(float) * (size_t)p->batch * C * p->size * p->size);
    p->logits = malloc(sizeof(float) * (size_t)p->batch * K);
    p->labels = malloc(sizeof(int) * (size_t)p->batch);
    p->preds = malloc(sizeof(int) * (size_t)p->batch);
    if (!p->x || !p->logits || !p->labels || !p->preds) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for a batch of %d", p->batch);
        goto fail;
    }
    return SEKIT_OK;
fail:
    pipeline_close(p);
    return rc;
}

char *const *pipeline_class_names(struct pipeline *p)
{
    if (p->class_names) return p->class_names;
    const int K = sekit_model_arch(p->m)->num_classes;
    p->class_names = calloc((size_t)K, sizeof *p->class_names);
    p->numbered = calloc((size_t)K, sizeof *p->numbered);
    if (!p->class_names || !p->numbered) {
        free(p->class_names), free(p->numbered);
        p->class_names = p->numbered = NULL;
        return NULL;
    }
    for (int k = 0; k < K; k++) {
        if (k < sekit_ds_num_classes(p->ds)) {
            p->class_names[k] = (char *)sekit_ds_class_name(p->ds, k);
        } else {
            p->numbered[k] = malloc(16);
            if (p->numbered[k]) snprintf(p->numbered[k], 16, "%d", k);
            p->class_names[k] = p->numbered[k] ? p->numbered[k] : "?";
        }
    }
    return p->class_names;
}

void pipeline_close(struct pipeline *p)
{
    for (int k = 0; p->numbered && p->m && k < sekit_model_arch(p->m)->num_classes; k++)
        free(p->numbered[k]);
    free(p->numbered);
    free(p->class_names);
    sekit_model_free(p->m);
    sekit_ds_close(p->ds);
    free(p->classes);
    free(p->idx);
    free(p->x);
    free(p->logits);
    free(p->labels);
    free(p->preds);
    memset(p, 0, sizeof *p);
}

static void progress(int64_t done, int64_t total, int64_t from, double t0, int final)
{
    double el = cli_now() - t0, rate = el > 0 ? (double)(done - from) / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)(width * done / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %lld/%lld images  %.1f img/s  ETA %d:%02d ", fill,
            "==============================", width - fill, "", (long long)done, (long long)total,
            rate, (int)eta / 60, (int)eta % 60);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

int pipeline_run(struct pipeline *p, int64_t from, pipeline_fn fn, void *ctx, int quiet,
                 struct sekit_err *e)
{
    const int K = sekit_model_arch(p->m)->num_classes;
    const size_t img = (size_t)p->pp.channels * p->size * p->size;
    const int bar = !quiet && isatty(2);
    double t0 = cli_now(), last = 0;
    for (int64_t first = from; first < p->n; first += p->batch) {
        int nb = (int)(p->n - first < p->batch ? p->n - first : p->batch);
        for (int b = 0; b < nb; b++) {
            int64_t i = p->idx[first + b];
            int rc = sekit_ds_load(p->ds, i, &p->pp, p->x + img * b, e);
            if (rc) return rc;
            p->labels[b] = sekit_ds_label(p->ds, i);
        }
        sekit_model_forward(p->m, p->x, nb, p->logits);
        for (int b = 0; b < nb; b++) {
            const float *l = p->logits + (size_t)b * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (l[k] > l[best]) best = k;
            p->preds[b] = best;
        }
        int rc = fn(p, first, nb, ctx, e);
        if (rc) return rc;
        if (bar && (cli_now() - last > 0.1 || first + nb == p->n)) {
            last = cli_now();
            progress(first + nb, p->n, from, t0, first + nb == p->n);
        }
    }
    return SEKIT_OK;
}
