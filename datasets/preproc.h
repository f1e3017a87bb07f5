/*
 * preproc.h -- resolving how a dataset's images become a model's input (libsekit_ds).
 *
 * Each setting comes from the first of these that gives it, last first:
 *   5. the request: --resize, --crop, --mean, --std (SEKIT_PREPROC_OPTION);
 *   4. a preset, timm|legacy|caffe|none; image folders with none of 2-5 get the model layout's
 *      own (timm or legacy) (SEKIT_PREPROC_PRESET);
 *   3. the weight file's __metadata__: mean, std, input_size, resize, interpolation
 *      (SEKIT_PREPROC_METADATA);
 *   2. timm's config.json next to the weight file: input_size, crop_pct, mean, std,
 *      interpolation; crop = input size, resize = floor(crop / crop_pct), as timm evaluates
 *      (SEKIT_PREPROC_CONFIG);
 *   1. nothing: native size, pixel values in [0, 1], mean 0, std 1 (SEKIT_PREPROC_DEFAULT).
 * Every value is checked whatever its source (std > 0 and not denormal, a crop that fits the
 * image, ...), and an error says where the bad value came from. docs/preprocessing.md gives
 * each preset's reference pipeline and the exactness tests/t-images.c checks.
 */
#ifndef SEKIT_PREPROC_H
#define SEKIT_PREPROC_H

#include "dataset.h"

enum sekit_preproc_source {
    SEKIT_PREPROC_DEFAULT,
    SEKIT_PREPROC_CONFIG,
    SEKIT_PREPROC_METADATA,
    SEKIT_PREPROC_PRESET,
    SEKIT_PREPROC_OPTION
};

/* Accepted ranges of mean and std values (std below the lower bound is zero or denormal in
 * effect: dividing by it overflows). */
#define SEKIT_PREPROC_MEAN_MAX 1e6
#define SEKIT_PREPROC_STD_MIN 1e-6
#define SEKIT_PREPROC_STD_MAX 1e6

/* What the user asked for; zeros and NULLs leave a setting to the lower levels. */
struct sekit_preproc_request {
    const char *preset; /* timm|legacy|caffe|none or NULL */
    int resize, crop;
    int nmean, nstd; /* 0, 1 (every channel) or the model's channel count */
    double mean[3], std[3];
};

struct sekit_preproc_resolved {
    struct sekit_preproc pp;
    int size; /* the network's input side */
    enum sekit_preproc_source resize_from, crop_from, mean_from, std_from, interp_from;
    char desc[256];    /* one line: the settings (recorded in output files) */
    char sources[160]; /* one line: where each setting came from */
};

const char *sekit_preproc_source_name(enum sekit_preproc_source s);

/* Resolves the preprocessing of model m (loaded from model_path) on ds. */
int sekit_preproc_resolve(struct sekit_preproc_resolved *out, const struct sekit_model *m,
                          const char *model_path, const struct sekit_ds *ds,
                          const struct sekit_preproc_request *rq, struct sekit_err *e);

/* The same for images not read through a dataset (sekit_input_resolve): folder says whether they
 * are read as image folders are (1) or as stored sets (0) of nc x nh x nw images; data names
 * them in messages. */
int sekit_preproc_resolve_for(struct sekit_preproc_resolved *r, const struct sekit_model *m,
                              const char *model_path, int folder, int nc, int nh, int nw,
                              const char *data, const struct sekit_preproc_request *rq,
                              struct sekit_err *e);

#endif
