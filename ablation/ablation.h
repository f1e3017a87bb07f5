/*
 * ablation.h -- inference-time SE block ablations (ablation/ablation.c).
 *
 * A variant is a set of SE blocks and a mode:
 *   remove  gate := 1, the block is the identity on its residual branch (what dropping SE from
 *           those blocks does to a trained network, paper Sec. 4);
 *   mean    gate := the block's mean excitation over the evaluated images, class-agnostic (keeps
 *           the average recalibration, drops the input-dependent part).
 * Presets: single (each block alone), stage (each stage), last-stage (the paper's Sec. 4 claim),
 * last-two (the SE modules of the network's last two residual blocks), cumulative (the last k
 * blocks, k = 1..all), all.
 *
 * Cost accounting per image, for a block of C channels, reduced width CR, output H x W:
 *   SE parameters: the FC weights and biases;
 *   SE FLOPs: 2 (C CR + CR C) for the FCs (a multiply-add counts 2), C H W for the squeeze
 *     (additions), C H W for the scale (multiplications); remove saves all of it, mean mode
 *     saves the FCs and the squeeze (the scale by a constant vector stays).
 */
#ifndef SEKIT_ABLATION_H
#define SEKIT_ABLATION_H

#include "sekit.h"

#include <stdint.h>

enum sekit_ablation_mode { SEKIT_ABLATE_REMOVE, SEKIT_ABLATE_MEAN };
/* The modes a run takes, as a set. */
enum sekit_ablation_modes {
    SEKIT_MODES_REMOVE = 1 << SEKIT_ABLATE_REMOVE,
    SEKIT_MODES_MEAN = 1 << SEKIT_ABLATE_MEAN,
    SEKIT_MODES_BOTH = SEKIT_MODES_REMOVE | SEKIT_MODES_MEAN
};

struct sekit_variant {
    char name[96];
    enum sekit_ablation_mode mode;
    int nblocks, *blocks;     /* model SE block indices, ascending */
    int64_t se_params;        /* removed */
    double flops;             /* removed per image */
    int64_t *n, *top1, *top5; /* per class of the model: images, top-1 hits, top-5 hits */
    /* per image in the order tallied (sekit_ablation_reserve): its label, and bit 0 a top-1
     * hit, bit 1 a top-5 hit; the paired intervals compare them image by image */
    int64_t nimg, cap;
    int *label;
    unsigned char *hit;
};

/* The paired bootstrap of the deltas (see sekit_ablation_bootstrap). */
#define SEKIT_ABLATION_CI_RESAMPLES 2000
#define SEKIT_ABLATION_CI_SEED INT64_C(20171231) /* fits the int64 attribute ci_seed */
#define SEKIT_ABLATION_CI_LEVEL 95               /* percent */

/* SE FLOPs per image of block i at its prepared size (see above). */
double sekit_ablation_se_flops(const struct sekit_model *m, int i, enum sekit_ablation_mode mode);

/* Builds the variants: presets is a comma list of single, stage, last-stage, last-two,
 * cumulative, all (or NULL for none), each in every mode of `modes` (a set of enum
 * sekit_ablation_modes) or, prefixed "remove:" or "mean:", in that mode alone; each drops[j] a
 * comma list of block names forming one more variant in every mode of `modes`. Variants come
 * remove mode first. Identical block sets of the same mode appear
 * once, under the first name given to them; when last-two meets its set already made by another
 * preset (a last stage of two blocks, cumulative's last 2), that name gains " = last two blocks".
 * The model must be prepared. */
int sekit_ablation_variants(const struct sekit_model *m, const char *presets,
                            const char *const *drops, int ndrops, enum sekit_ablation_modes modes,
                            struct sekit_variant **out, int *n, struct sekit_err *e);
void sekit_ablation_free(struct sekit_variant *v, int n);

/* Room for nimg per-image hits in each of v[0..n): call before the first tally. */
int sekit_ablation_reserve(struct sekit_variant *v, int n, int64_t nimg, struct sekit_err *e);
/* Adds one batch's logits (nb, K) against labels to v's tallies, per class and per image (the
 * reserved room must hold them). */
void sekit_ablation_tally(struct sekit_variant *v, const float *logits, const int *labels, int nb,
                          int K);

/*
 * Paired percentile bootstrap over images. d[k][0..n) are per-image differences in {-1, 0, 1}
 * (a variant's hit minus the full model's) of nd series, all resampled alike. Resample b =
 * 0..B-1 draws n image indices, each splitmix64(state) mod n from one stream seeded with seed
 * (state += 0x9e3779b97f4a7c15; z = state; z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9;
 * z = (z ^ z >> 27) * 0x94d049bb133111eb; z ^ z >> 31), and gives each series
 * delta_b = 100 S_b / n points, S_b the sum of d over the drawn indices. lo[k] and hi[k] are
 * the ceil(p B)-th smallest delta_b for p = (1 - level/100) / 2 and 1 - that (the inverse of the
 * empirical distribution function; ceil taken exactly on integers). O(B n + B nnz), nnz the
 * non-zero d. SEKIT_EINVAL on a d outside {-1, 0, 1}, B < 1 or level outside (0, 100).
 */
int sekit_ablation_bootstrap(const signed char *const *d, int nd, int64_t n, int B, uint64_t seed,
                             int level, double *lo, double *hi, struct sekit_err *e);

/*
 * Exact two-sided McNemar test of a variant against the full model on the same images: of the
 * images on which the two disagree, lost went from right (full model) to wrong (variant) and
 * gained from wrong to right. Under the null hypothesis (the ablation changes nothing) each
 * disagreement goes either way with probability 1/2, so p = min(1, 2 P(X <= min(lost, gained)))
 * for X ~ Binomial(lost + gained, 1/2); p = 1 when they never disagree. The terms are summed
 * relative to the largest, whose size is a product of ratios up to 1000 disagreements (exact to
 * a few roundings) and comes from lgamma beyond (about 1e-11 relative at ten thousand: lgamma's
 * rounding near 1e5); never an overflow or a lost tail.
 */
double sekit_mcnemar_exact(int64_t lost, int64_t gained);

/* Writes PREFIX.csv, PREFIX.md and PREFIX.h5 (schema: docs/record-format.md, "Ablations"):
 * variant 0 must be the full model (no block); every variant's per-image hits must cover the
 * images of its per-class tallies, in the same order for all (SEKIT_EINVAL otherwise);
 * image_index[v[0].nimg] is the dataset row of each tallied image, stored beside the per-image
 * changes. The intervals of the deltas are sekit_ablation_bootstrap's over the images of the given
 * classes, with SEKIT_ABLATION_CI_RESAMPLES, _SEED and _LEVEL. Each file goes to a temporary of its
 * own (fileio.h), is checked, and all three are renamed into place only when all were written; on
 * any failure none exists under its final name and no temporary remains. */
int sekit_ablation_write(const char *prefix, const struct sekit_variant *v, int n,
                         const struct sekit_model *m, char *const *class_names, const int *classes,
                         int nclasses, const int64_t *image_index, const char *what,
                         struct sekit_err *e);

/* An ablation table (PREFIX.h5) read back. Variants are identified by what they drop (their
 * dropped row and mode), never by their display names. */
struct sekit_ablation_table {
    char *path, *description;
    int n;              /* variants; row 0 is the full model */
    char **names;       /* [n] display labels */
    int *mode;          /* [n] -1 the full model, SEKIT_ABLATE_REMOVE (0), SEKIT_ABLATE_MEAN (1) */
    int nse;            /* the model's SE blocks, network order */
    char **block_names; /* [nse] SE_<stage>_<block> */
    int *block_stage;   /* [nse] */
    unsigned char *dropped; /* [n, nse] 1 where the variant ablates the block */
    /* [n] each: percent; points against row 0; SE parameters ablated, their share of all the
     * model's parameters; SE FLOPs saved per image */
    double *top1, *top5, *delta_top1, *delta_top5, *se_params_removed, *share_of_params,
        *flops_removed;
    /* [n] each: the paired bootstrap interval of delta_top1 and delta_top5, points (row 0 0) */
    double *delta_top1_lo, *delta_top1_hi, *delta_top5_lo, *delta_top5_hi;
    int ci_resamples, ci_level; /* B and the level in percent */
    int64_t ci_seed;
    /* [n] each: the images a variant got wrong that the full model got right (lost) and the
     * reverse (gained), top-1 and top-5, and the exact McNemar p-value of each pair (row 0: 0,
     * 0, 1); counts as doubles, as the other columns */
    double *lost_top1, *gained_top1, *p_top1, *lost_top5, *gained_top5, *p_top5;
    /* the evaluated images (those of the table's classes), in the order of the pass: their
     * dataset rows [nimages], and per variant a bit per image, image j in bit j % 8 of byte
     * j / 8 (numpy.unpackbits(..., bitorder="little")): top-1 lost and gained [n, bytes] */
    int64_t nimages, *image_index;
    unsigned char *lost_bits, *gained_bits;
    int nclasses, *classes; /* [nclasses] model class index of each column */
    double *top1_per_class; /* [n, nclasses] percent */
    int64_t total_params;
};

/* Reads and validates PREFIX.h5: its version (5; older files are refused, asking to rerun
 * sekit ablate), every dataset's type class and shape, dropped rows of 0/1 that agree with the
 * modes, intervals with lo <= hi within +/-100 points and row 0 = [0, 0]. SEKIT_EFORMAT naming what
 * is wrong. */
int sekit_ablation_read(struct sekit_ablation_table **out, const char *path, struct sekit_err *e);
void sekit_ablation_table_free(struct sekit_ablation_table *t);
/* The row of the variant that ablates exactly the blocks flagged in dropped[nse] in mode, or -1. */
int sekit_ablation_find(const struct sekit_ablation_table *t, const unsigned char *dropped,
                        int mode);
/* The row of the variant that ablates exactly the SE blocks of stage (every one of them, no
 * other) in mode, or -1: e.g. the paper's Sec. 4 last-stage variant. */
int sekit_ablation_find_stage(const struct sekit_ablation_table *t, int stage, int mode);
/* The row of the variant that ablates exactly the last k SE blocks in network order (no other)
 * in mode, or -1: k = 2 is the last-two preset. */
int sekit_ablation_find_last(const struct sekit_ablation_table *t, int k, int mode);

#endif
