/*
 * reader.h -- reading a sekit recording (docs/record-format.md) for analysis
 * (recording/reader.c): its metadata, opened and validated at once, and each block's gates or
 * squeeze vectors on demand. The HDF5 file behind it stays inside reader.c.
 */
#ifndef SEKIT_RECORDING_READER_H
#define SEKIT_RECORDING_READER_H

#include "sekit.h"

#include <stdint.h>

struct sekit_recording_block {
    char name[32], module[64];
    char gate[16]; /* the gate's activation: sigmoid, or hardsigmoid (exactly 0 and 1 reachable) */
    int stage, block, channels;
};

struct sekit_recording {
    char *path;
    struct sekit_reader *io; /* the open file: private to recording/reader.c */
    int64_t n;
    int num_classes;
    char **class_names;      /* [num_classes] */
    char **class_synsets;    /* [num_classes] ImageNet synsets, "" where unknown; NULL: none */
    int nsel, *sel_classes;  /* the recorded classes, in recording order */
    int32_t *labels, *preds; /* [n] */
    int nblocks;
    struct sekit_recording_block *blocks;
    int has_squeeze;
    char *model_path, *model_sha256, *dataset, *split, *architecture;
};

/* Opens and validates a sekit recording: refuses files not written by sekit, with missing
 * groups or datasets, or of a newer format_version. */
int sekit_recording_open(struct sekit_recording **out, const char *path, struct sekit_err *e);
void sekit_recording_close(struct sekit_recording *r);
/* Index of a block by paper name or module prefix, or -1. */
int sekit_recording_find(const struct sekit_recording *r, const char *name);
/* Index of a class by name (the first class bearing it), ImageNet synset or number, or -1. */
int sekit_recording_class(const struct sekit_recording *r, const char *name);
/* Reads block b's gates (group "excitation") or squeeze vectors into dst (n, C). */
int sekit_recording_read(const struct sekit_recording *r, const char *group, int b, float *dst,
                         struct sekit_err *e);

#endif
