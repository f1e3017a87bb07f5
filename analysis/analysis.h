/*
 * analysis.h -- the statistics of the SENet paper's excitation analysis (Sec. 7.2) (libsekit_an),
 * computed from recordings opened by recording/reader.h (docs/record-format.md); never runs the
 * network.
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
 *   saturation: the share of all gate values above 0.9 and 0.99 and below 0.1 and 0.01, over
 *     the block and per class;
 *   class deviation: the RMS over classes and channels of (class mean - all_mean), in gate
 *     units: how far the class curves of Fig. 6 sit from the "all" curve;
 *   channel spread: the standard deviation over channels of all_mean, in gate units: how much
 *     the "all" curve itself varies from channel to channel;
 *   effect size: class deviation / channel spread (0 when the spread is 0). Class specificity
 *     is scale-free: when a block's gates barely vary, tiny class differences make a large share
 *     of a tiny variance. The class deviation says how large the differences are in gate units,
 *     the effect size how large next to the channel-to-channel pattern a figure shows;
 *   class information: the accuracy of a nearest-class-mean classifier on the gate vectors
 *     (Euclidean), 5-fold cross-validated (image j of a class in fold j mod 5, so every fold
 *     holds a fifth of every class), against chance (the largest class's share of the images);
 *     over at most SEKIT_NCM_MAX_WORK / (classes x channels) images, taken evenly from every
 *     class, so that 1,000 ImageNet classes stay affordable.
 */
#ifndef SEKIT_ANALYSIS_H
#define SEKIT_ANALYSIS_H

#include "../recording/reader.h"
#include "sekit.h"

#include <stdint.h>

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
    double class_dev, channel_spread, effect;
    double ncm_accuracy, ncm_chance;
    int64_t ncm_images;    /* the images the classifier was cross-validated on */
    double sat_09, sat_01; /* share of gates > 0.9 and < 0.1 (sat_high: > 0.99, sat_low: < 0.01) */
    double *class_sat;     /* [nclasses, 4]: shares > 0.9, > 0.99, < 0.1, < 0.01 per class */
    /* how much the gates move with the input: the mean over channels of each channel's
     * population std over every image of the recorded classes, and the block's smallest and
     * largest gate (their logits bound its pre-sigmoid values) */
    double image_spread, gate_min, gate_max;
    /* the gate's activation (sigmoid, hardsigmoid) and the share of gate values exactly 1 and
     * exactly 0: a hard sigmoid reaches both on a finite input, a float32 sigmoid reaches 1 from
     * a logit of about +17 and never 0 */
    char gate[16];
    double sat_one, sat_zero;
};

/* Image-class-channel products the nearest-class-mean cross-validation may spend per block. */
#define SEKIT_NCM_MAX_WORK 4e9

/* Statistics of one block from its gates g (n, C) and labels, over the classes present. */
int sekit_stats_compute(struct sekit_block_stats *s, const float *g, const int32_t *labels,
                        int64_t n, int C, const int *classes, int nclasses, struct sekit_err *e);
void sekit_stats_free(struct sekit_block_stats *s);

/* Statistics of every block of a recording (stats[r->nblocks], caller frees each). */
int sekit_stats_recording(const struct sekit_recording *r, struct sekit_block_stats *stats,
                          struct sekit_err *e);
/* The same for blocks [from, to) only, into stats[0 .. to - from): each block's statistics
 * depend on its own gates alone, so the blocks can be computed apart (one range per rank). */
int sekit_stats_blocks(const struct sekit_recording *r, int from, int to,
                       struct sekit_block_stats *stats, struct sekit_err *e);

/* stats[0..nb) as one buffer (*out, malloc'd, *bytes long), to send to another process of the
 * same build; sekit_stats_unpack makes stats[0..nb) of it again, every array allocated (the
 * caller frees each), or fails with SEKIT_EFORMAT when the bytes do not hold nb blocks exactly
 * (nothing allocated then). */
int sekit_stats_pack(const struct sekit_block_stats *stats, int nb, void **out, size_t *bytes,
                     struct sekit_err *e);
int sekit_stats_unpack(const void *buf, size_t bytes, struct sekit_block_stats *stats, int nb,
                       struct sekit_err *e);

/* Writes the statistics file (schema: docs/record-format.md, "Statistics file"), a CSV of the
 * per-block summary next to it (path with .csv for .h5) and the CSV of the class means
 * (sekit_stats_means_path): each to a temporary of its own (fileio.h), checked, then renamed into
 * place; on any failure none exists under its final name and no temporary remains. */
int sekit_stats_write(const char *path, const struct sekit_recording *r,
                      const struct sekit_block_stats *stats, struct sekit_err *e);
/* The class-means CSV of statistics file path: without .h5 and then without .stats, plus
 * .means.csv (RUN.stats.h5 -> RUN.means.csv); malloc'd, NULL when out of memory. */
char *sekit_stats_means_path(const char *path);

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
