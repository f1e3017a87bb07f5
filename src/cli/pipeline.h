/*
 * pipeline.h -- the path every data-driven subcommand shares: a model, a dataset, a class
 * subset, preprocessing, and a loop that streams batches of images through the engine.
 */
#ifndef SEKIT_CLI_PIPELINE_H
#define SEKIT_CLI_PIPELINE_H

#include "../../datasets/dataset.h"
#include "cli.h"

#define SEKIT_DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

struct pipeline_opts {
    const char *model, *data, *format, *split, *classes, *class_map, *preset;
    const char *mean, *std;
    long per_class, batch, threads, resize, crop;
    unsigned long long seed;
    int quiet;
};

struct pipeline {
    const char *model_path;
    struct sekit_model *m;
    struct sekit_ds *ds;
    struct sekit_preproc pp;
    char preproc_desc[256];
    int size; /* input side */
    int *classes, nclasses;
    int64_t *idx, n;
    int batch;
    /* per batch */
    float *x, *logits;
    int *labels, *preds;
    char **class_names, **numbered; /* per model class (pipeline_class_names) */
};

/* Fills o's defaults (bundled model, Fashion-MNIST test split, batch 64, all threads). */
void pipeline_defaults(struct pipeline_opts *o);
/* Consumes argv[*i] (and its value) when it is a pipeline flag: returns 1 consumed, 0 not a
 * pipeline flag, -1 bad value (already reported). */
int pipeline_flag(struct pipeline_opts *o, const char *cmd, int argc, char **argv, int *i);
/* The help text for the pipeline flags. */
extern const char pipeline_help[];

/* Opens model and data, resolves preprocessing, selects the images. Prints nothing. */
int pipeline_open(struct pipeline *p, const struct pipeline_opts *o, struct sekit_err *e);
void pipeline_close(struct pipeline *p);

/* The name of every model class: the dataset's where it has the class, else the number.
 * Owned by p. */
char *const *pipeline_class_names(struct pipeline *p);

/* Called after each batch's forward pass: rows [first, first + nb) of the selection; p->labels,
 * p->preds, p->logits hold the batch, and the model's SE vectors can be read. */
typedef int (*pipeline_fn)(struct pipeline *p, int64_t first, int nb, void *ctx,
                           struct sekit_err *e);

/* Runs rows [from, p->n) through the engine, calling fn per batch; draws a progress bar on
 * stderr when it is a terminal and quiet is 0. */
int pipeline_run(struct pipeline *p, int64_t from, pipeline_fn fn, void *ctx, int quiet,
                 struct sekit_err *e);

/* The work of `sekit record` (record.c), `sekit ablate` (ablate.c) and `sekit stats` (stats.c),
 * callable from other commands. */
int record_run(const struct pipeline_opts *o, const char *out, const char *blocks, int squeeze,
               int resume, int force, struct sekit_err *e);
int ablate_run(const struct pipeline_opts *o, const char *out, const char *presets,
               const char *const *drops, int ndrops, int modes, const char *means_path,
               struct sekit_err *e);
int stats_run(const char *in, const char *out, int print, struct sekit_err *e);

#endif
