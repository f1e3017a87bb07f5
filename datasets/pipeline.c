/* pipeline.c -- see pipeline.h. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sekit_pipeline_defaults(struct sekit_pipeline_opts *o, const char *default_model)
{
    memset(o, 0, sizeof *o);
    o->model = default_model;
    o->data = SEKIT_DEFAULT_DATA;
    o->split = "test";
    o->batch = 16;
    o->backend = sekit_backend_default();
}

static int parse_format(const char *s, enum sekit_ds_format *f, struct sekit_err *e)
{
    static const char *const names[] = {"idx", "cifar", "folder"};
    static const enum sekit_ds_format formats[] = {SEKIT_DS_IDX, SEKIT_DS_CIFAR, SEKIT_DS_FOLDER};
    *f = SEKIT_DS_AUTO;
    if (!s) return SEKIT_OK;
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *f = formats[i];
            return SEKIT_OK;
        }
    return sekit_errf(e, SEKIT_EINVAL, "unknown data format '%s' (idx, cifar, folder)", s);
}

/* A set of stored images (IDX, CIFAR) has its classes, channels and size; a model made for
 * other ones would run and produce numbers of no meaning (an ImageNet model on Fashion-MNIST:
 * 0% top-1, 1,000 classes in the recording), so it is refused before any work. Folders are
 * matched to the model's classes and resized to its input, and need no such check. */
static int fits_stored(const struct sekit_model *m, const char *model, const struct sekit_ds *ds,
                       struct sekit_err *e)
{
    if (strcmp(sekit_ds_format_name(ds), "folder") == 0) return SEKIT_OK;
    const struct sekit_arch *a = sekit_model_arch(m);
    const char *data = sekit_ds_path(ds);
    int c, h, w;
    sekit_ds_native(ds, &c, &h, &w);
    const int nk = sekit_ds_num_classes(ds);
    if (a->num_classes != nk)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: the model has %d classes and %s (%s) has %d: not a model for this "
                          "data",
                          model, a->num_classes, data, sekit_ds_format_name(ds), nk);
    if (c != a->in_chans)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: the model takes %d input channels and %s holds %d-channel images",
                          model, a->in_chans, data, c);
    const int stride = sekit_arch_stride(a);
    if (h < stride || w < stride)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: the model reduces its input %d-fold (made for larger images) and %s "
                          "holds %dx%d images",
                          model, stride, data, h, w);
    return SEKIT_OK;
}

int sekit_pipeline_open(struct sekit_pipeline *p, const struct sekit_pipeline_opts *o,
                        struct sekit_err *e)
{
    memset(p, 0, sizeof *p);
    p->model_path = o->model;
    p->data_path = o->data;
    struct sekit_ds_opts dso = {o->data, SEKIT_DS_AUTO, o->split, o->class_map, 0};
    int rc = parse_format(o->format, &dso.format, e);
    if (rc) return rc;
    sekit_set_threads(o->threads);
    if ((rc = sekit_model_load_as(&p->m, o->model, o->arch, e))) return rc;
    if ((rc = sekit_model_set_backend(p->m, (enum sekit_backend)o->backend, e))) goto fail;
    /* folder labels are the model's class indices, so the folders are matched to its classes */
    dso.model_classes = sekit_model_arch(p->m)->num_classes;
    if ((rc = sekit_ds_open(&p->ds, &dso, e))) goto fail;
    if ((rc = fits_stored(p->m, o->model, p->ds, e))) goto fail;
    if ((rc = sekit_preproc_resolve(&p->pre, p->m, o->model, p->ds, &o->pp, e))) goto fail;
    p->batch = o->batch;
    const int size = p->pre.size, C = p->pre.pp.channels;
    const int K = sekit_model_arch(p->m)->num_classes;
    if ((rc = sekit_model_prepare(p->m, p->batch, size, size, e))) goto fail;
    p->x = malloc(sizeof(float) * (size_t)p->batch * C * size * size);
    p->logits = malloc(sizeof(float) * (size_t)p->batch * K);
    p->labels = malloc(sizeof(int) * (size_t)p->batch);
    p->preds = malloc(sizeof(int) * (size_t)p->batch);
    if (!p->x || !p->logits || !p->labels || !p->preds) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for a batch of %d", p->batch);
        goto fail;
    }
    return SEKIT_OK;
fail:
    sekit_pipeline_close(p);
    return rc;
}

int sekit_pipeline_select(struct sekit_pipeline *p, const char *spec, int64_t per_class,
                          uint64_t seed, struct sekit_err *e)
{
    free(p->classes), free(p->idx);
    p->classes = NULL, p->idx = NULL, p->nclasses = 0, p->n = 0;
    int rc = sekit_ds_parse_classes(p->ds, spec ? spec : "all", &p->classes, &p->nclasses, e);
    if (rc) return rc;
    const int K = sekit_model_arch(p->m)->num_classes;
    for (int i = 0; i < p->nclasses; i++)
        if (p->classes[i] >= K)
            return sekit_errf(
                e, SEKIT_EINVAL, "%s: class '%s' has index %d but the model has only %d classes",
                p->data_path, sekit_ds_class_name(p->ds, p->classes[i]), p->classes[i], K);
    p->per_class = per_class;
    p->seed = seed;
    return sekit_ds_select(p->ds, p->classes, p->nclasses, per_class, seed, &p->idx, &p->n, e);
}

char *const *sekit_pipeline_class_names(struct sekit_pipeline *p)
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

char *const *sekit_pipeline_class_synsets(struct sekit_pipeline *p)
{
    if (p->class_synsets) return p->class_synsets;
    const int K = sekit_model_arch(p->m)->num_classes, nk = sekit_ds_num_classes(p->ds);
    int known = 0;
    for (int k = 0; k < K && k < nk; k++)
        known |= sekit_ds_class_synset(p->ds, k) != NULL;
    if (!known || !(p->class_synsets = calloc((size_t)K, sizeof *p->class_synsets))) return NULL;
    for (int k = 0; k < K && k < nk; k++)
        p->class_synsets[k] = (char *)sekit_ds_class_synset(p->ds, k);
    return p->class_synsets;
}

void sekit_pipeline_close(struct sekit_pipeline *p)
{
    for (int k = 0; p->numbered && p->m && k < sekit_model_arch(p->m)->num_classes; k++)
        free(p->numbered[k]);
    free(p->numbered);
    free(p->class_names);
    free(p->class_synsets);
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

int sekit_pipeline_run(struct sekit_pipeline *p, int64_t from, sekit_batch_fn fn, void *ctx,
                       const struct sekit_progress *progress, struct sekit_err *e)
{
    return sekit_pipeline_run_rows(p, from, p->n, fn, ctx, progress, e);
}

int sekit_pipeline_run_rows(struct sekit_pipeline *p, int64_t from, int64_t to, sekit_batch_fn fn,
                            void *ctx, const struct sekit_progress *progress, struct sekit_err *e)
{
    SEKIT_ASSERT(0 <= from && from <= to && to <= p->n);
    const int K = sekit_model_arch(p->m)->num_classes;
    const size_t img = (size_t)p->pre.pp.channels * p->pre.size * p->pre.size;
    if (progress && progress->fn) progress->fn(from, to, progress->ctx);
    for (int64_t first = from; first < to; first += p->batch) {
        const int nb = (int)(to - first < p->batch ? to - first : p->batch);
        for (int b = 0; b < nb; b++) {
            const int64_t i = p->idx[first + b];
            int rc = sekit_ds_load(p->ds, i, &p->pre.pp, p->x + img * b, e);
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
        if (progress && progress->fn) progress->fn(first + nb, to, progress->ctx);
    }
    return SEKIT_OK;
}
