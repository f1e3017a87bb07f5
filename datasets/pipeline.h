/*
 * pipeline.h -- a model, a dataset, its preprocessing and a selection of images, and the loop
 * that streams them through the engine in batches (libsekit_ds). Every data-driven job (eval,
 * record, ablate, reproduce) runs on one. Opening loads the model and the data once; the
 * selection can change between runs (reproduce records several class subsets).
 */
#ifndef SEKIT_PIPELINE_H
#define SEKIT_PIPELINE_H

#include "preproc.h"

#define SEKIT_DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

struct sekit_pipeline_opts {
    const char *model, *data;
    const char *arch;      /* the upstream model the weights are (sekit_model_load_as), or NULL */
    const char *format;    /* idx|cifar|folder or NULL: detected */
    const char *split;     /* train|test or NULL: test */
    const char *class_map; /* folders: "folder index [name]" lines (dataset.h), or NULL */
    struct sekit_preproc_request pp;
    int batch;   /* images per forward pass */
    int threads; /* engine threads, 0: all cores */
    int backend; /* enum sekit_backend */
};

struct sekit_pipeline {
    const char *model_path, *data_path;
    struct sekit_model *m;
    struct sekit_ds *ds;
    struct sekit_preproc_resolved pre;
    int batch;
    /* the selection */
    int *classes, nclasses;
    int64_t per_class;
    uint64_t seed;
    int64_t *idx, n;
    /* the current batch */
    float *x, *logits;
    int *labels, *preds;
    char **class_names, **numbered, **class_synsets;
};

/* Fills o's defaults: the bundled model (default_model), Fashion-MNIST's test split, batch 16,
 * all cores, the default backend. */
void sekit_pipeline_defaults(struct sekit_pipeline_opts *o, const char *default_model);

/* Loads the model, opens the data, resolves preprocessing and prepares batch buffers. The
 * selection is empty until sekit_pipeline_select. */
int sekit_pipeline_open(struct sekit_pipeline *p, const struct sekit_pipeline_opts *o,
                        struct sekit_err *e);
void sekit_pipeline_close(struct sekit_pipeline *p);

/* Selects per_class images (0: all) of each class in spec ("all", names or indices), seed 0 the
 * first ones, else a seeded sample (dataset.h: sekit_ds_select). */
int sekit_pipeline_select(struct sekit_pipeline *p, const char *spec, int64_t per_class,
                          uint64_t seed, struct sekit_err *e);

/* The name of every model class: the dataset's where it has the class, else the number.
 * Owned by p; NULL when out of memory. */
char *const *sekit_pipeline_class_names(struct sekit_pipeline *p);

/* The ImageNet synset of every model class, NULL entries where unknown; NULL when the dataset
 * knows none (or out of memory). Owned by p. */
char *const *sekit_pipeline_class_synsets(struct sekit_pipeline *p);

/* Called after each batch's forward pass with rows [first, first + nb) of the selection;
 * p->labels, p->preds and p->logits hold the batch, and the model's SE vectors can be read. */
typedef int (*sekit_batch_fn)(struct sekit_pipeline *p, int64_t first, int nb, void *ctx,
                              struct sekit_err *e);

/* What a long job tells its caller, who may show it: fn how many of total rows are done (once
 * before the first batch, then after each); note a one-line announcement of a stage. Either may
 * be NULL. */
struct sekit_progress {
    void (*fn)(int64_t done, int64_t total, void *ctx);
    void (*note)(const char *msg, void *ctx);
    void *ctx;
};

/* Runs rows [from, p->n) through the engine, calling fn per batch (progress may be NULL). */
int sekit_pipeline_run(struct sekit_pipeline *p, int64_t from, sekit_batch_fn fn, void *ctx,
                       const struct sekit_progress *progress, struct sekit_err *e);
/* The same over rows [from, to) (one rank's share of the selection); progress counts rows done
 * of [from, to). */
int sekit_pipeline_run_rows(struct sekit_pipeline *p, int64_t from, int64_t to, sekit_batch_fn fn,
                            void *ctx, const struct sekit_progress *progress, struct sekit_err *e);

#endif
