/*
 * findings.h -- turning measured numbers into the paper's observations and a verdict on each
 * (analysis/findings.c). Pure computation over statistics and ablation results: it never runs
 * a network or reads a file, so each rule is tested on hand-made numbers.
 *
 * The observations (SENet paper Sec. 7.2 and Sec. 4) and the rule for each verdict:
 *   1. class-agnostic early: the first stage's mean class specificity is at most half of the
 *      most class-specific block's (agrees), else not clearly;
 *   2. class-specific late: the last stage's mean specificity exceeds the first stage's and
 *      Spearman's rank correlation of specificity with depth is positive;
 *   3. saturation in the last stage: the most saturated last-stage block has >= 50% of its gates
 *      above 0.99 (agrees), or more than any earlier block and >= 5% (tendency), else not;
 *   4. scale-only differences in the last block: its class-mean vectors correlate >= 0.9;
 *   5. removing the last stage's SE costs little: top-5 changes by >= -0.1 points and top-1 by
 *      >= -1.0 point (only when that ablation was run).
 */
#ifndef SEKIT_FINDINGS_H
#define SEKIT_FINDINGS_H

#include "analysis.h"

#include <stdio.h>

enum sekit_verdict { SEKIT_DISAGREES, SEKIT_TENDENCY, SEKIT_AGREES, SEKIT_NOT_MEASURED };

/* The last stage's SE blocks removed: the measured change (points) and parameter share. */
struct sekit_last_stage_ablation {
    int measured;
    double delta_top1, delta_top5, share_of_params;
};

struct sekit_findings {
    int first_stage, last_stage;
    int first_end, last_begin; /* blocks [0, first_end) are the first stage, [last_begin, n) the
                                  last */
    double spec_first, spec_last, spec_max, rho;
    int spec_argmax;
    double sat_last, sat_rest; /* the most saturated last-stage block's share, and earlier */
    int sat_argmax;
    int last; /* the last block */
    struct sekit_last_stage_ablation ablation;
    enum sekit_verdict verdict[5];
};

/* Spearman's rank correlation of st[0..n).specificity with depth (ties take the lower rank;
 * 0 for fewer than 3 blocks). */
double sekit_spearman_depth(const struct sekit_block_stats *st, int n);

/* The findings over st[0..n) (network order, n >= 1) and an optional last-stage ablation. */
void sekit_findings_compute(struct sekit_findings *f, const struct sekit_block_stats *st, int n,
                            const struct sekit_last_stage_ablation *ablation);

/* The numbered Markdown list of the observations, each with its numbers and verdict. */
void sekit_findings_markdown(FILE *out, const struct sekit_findings *f,
                             const struct sekit_block_stats *st);

#endif
