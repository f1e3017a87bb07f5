/*
 * analysis.h -- reading recordings and computing the statistics of the SENet paper's
 * excitation analysis (Sec. 7.2) (libsekit_an). Reads only the HDF5 file that `sekit record`
 * writes (docs/record-format.md); never runs the network.
 *
 * Definitions (also written into the statistics file's attributes):
 *   class mean, std (population, ddof 0), median, q1, q3 (linear interpolation between order
 *     statistics, numpy's default) of each channel's gate over one class's images;
 *   all_mean: the mean of the class means, so every class weighs the same (the paper's "all"
 *     curve averages ImageNet's balanced classes);
 *   class specificity: the correlation ratio eta^2 = between-class variance of the gates /
 *     total variance, per channel, averaged over channels (0: every class gates a channel alike;
 *     1: the class alone decides the gate);
 *   pairwise distance: the mean over class pairs of the RMS difference of their class-mean
 *     vectors;
 *   pattern correlation: the mean over class pairs of the Pearson correlation of their
 *     class-mean vectors, and scale spread: the coefficient of variation of the class-mean
 *     vectors' means (high correlation with a scale spread is the paper's "similar pattern up to
 *     a change in scale");
 *   saturation: the share of all gate values above 0.99 and below 0.01.
 */
#ifndef SEKIT_ANALYSIS_H
#define SEKIT_ANALYSIS_H

#include "sekit.h"

#include <stdint.h>

/* ---------------------------------------------------------------------------------------- */
/* recordings (analysis/recording.c) */

struct sekit_rec_block_info {
    char name[32], module[64];
    int stage, block, channels;
};

struct sekit_recording {
    char *path;
    int64_t file; /* hid_t */
    int64_t n;
    int num_classes;
    char **class_names;      /* [num_classes] */
    char **class_synsets;    /* [num_classes] ImageNet synsets, "" where unknown; NULL: none */
    int nsel, *sel_classes;  /* the recorded classes, in recording order */
    int32_t *labels, *preds; /* [n] */
    int nblocks;
    struct sekit_rec_block_info *blocks;
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

/* ---------------------------------------------------------------------------------------- */
/* statistics (analysis/stats.c) */

struct sekit_block_stats {
    char name[32], module[64];
    int stage, block, channels;
    int nclasses;
    int *classes;                         /* [nclasses] model class index of each row */
    int64_t *count;                       /* [nclasses] images per class */
    float *mean, *std, *median, *q1, *q3; /* [nclasses, channels] */
    float *all_mean;                      /* [channels] */
    double specificity, distance, correlation, scale_spread, sat_high, sat_low;
};

/* Statistics of one block from its gates g (n, C) and labels, over the classes present. */
int sekit_stats_compute(struct sekit_block_stats *s, const float *g, const int32_t *labels,
                        int64_t n, int C, const int *classes, int nclasses, struct sekit_err *e);
void sekit_stats_free(struct sekit_block_stats *s);

/* Statistics of every block of a recording (stats[r->nblocks], caller frees each). */
int sekit_stats_recording(const struct sekit_recording *r, struct sekit_block_stats *stats,
                          struct sekit_err *e);

/* Writes the statistics file (schema: docs/record-format.md, "Statistics file") and a CSV of
 * the per-block summary next to it (path with .csv for .h5): each to its .tmp, checked, then
 * renamed into place; on any failure neither exists under its final name and no .tmp remains. */
int sekit_stats_write(const char *path, const struct sekit_recording *r,
                      const struct sekit_block_stats *stats, struct sekit_err *e);

/* A statistics file read back: everything the figures need, without the recording. */
struct sekit_stats_file {
    char *path;
    char *recording_path, *dataset, *split, *model_sha256; /* of the recording */
    int64_t n;                                             /* its images */
    int num_classes;
    char **class_names;     /* [num_classes] the model's classes */
    char **class_synsets;   /* [num_classes] ImageNet synsets, "" where unknown; NULL: none */
    int nsel, *sel_classes; /* the recorded classes, in recording order (the rows) */
    int nblocks;
    struct sekit_block_stats *blocks; /* [nblocks] network order, every field filled */
};

/* Reads and validates a statistics file: its version, every dataset's type class and shape,
 * class indices in range. SEKIT_EFORMAT naming the dataset or attribute that is wrong. */
int sekit_stats_read(struct sekit_stats_file **out, const char *path, struct sekit_err *e);
void sekit_stats_file_free(struct sekit_stats_file *s);

/* The statistics of path: read from a statistics file (sekit stats), or computed from a
 * recording when path is one (the figures' input either way). */
int sekit_stats_load(struct sekit_stats_file **out, const char *path, struct sekit_err *e);
/* Index of a block by paper name or module prefix, or -1. */
int sekit_stats_find(const struct sekit_stats_file *s, const char *name);
/* Row (index into sel_classes) of a recorded class by name (unique among the rows), ImageNet
 * synset or number, or -1. */
int sekit_stats_row(const struct sekit_stats_file *s, const char *name);

#endif
