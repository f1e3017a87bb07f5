/*
 * findings.h -- turning measured numbers into the paper's observations and a verdict on each
 * (report/findings.c). Pure computation over statistics and ablation results: it never runs
 * a network or reads a file, so each rule is tested on hand-made numbers (t-analysis).
 *
 * The blocks each observation speaks of, on SE-ResNet-50 and in general (docs/findings.md):
 *   early  SE_2_3: the last block of the first stage;
 *   late   SE_4_6 and SE_5_1: the last block of the next-to-last stage and the first of the last;
 *   sat    SE_5_2: the second block of the last stage (the last block when it has one);
 *   final  SE_5_3: the network's last block.
 *
 * A block's class dependence (analysis.h defines the measures):
 *   agnostic      class deviation < SEKIT_DEV_AGNOSTIC or effect size < SEKIT_EFFECT_AGNOSTIC:
 *                 the class curves sit on the "all" curve, in gate units or next to its
 *                 channel-to-channel pattern;
 *   specific      class deviation >= SEKIT_DEV_SPECIFIC and effect size >= SEKIT_EFFECT_SPECIFIC;
 *   intermediate  otherwise.
 * Class information: lift = (NCM accuracy - chance) / (1 - chance), informative from
 * SEKIT_LIFT_INFORMATIVE. Class specificity (eta^2) is reported beside them but decides nothing:
 * it is scale-free, so gates that barely vary at all can look class-specific by it.
 *
 * The observations (SENet paper v4 Sec. 7.2 and Sec. 4) and their rules:
 *   1. class-agnostic early: early is agnostic and not informative (agrees); agnostic but
 *      informative, or intermediate (inconclusive: the measures disagree); specific (disagrees);
 *   2. class-specific late: every late block specific with a larger effect size than early
 *      (agrees); every late block agnostic (disagrees); otherwise inconclusive;
 *   3. saturation at sat: at least half of its gates above 0.9 (agrees: most gates near one);
 *      else at least 10% above 0.9 and more than every earlier block (tendency); else disagrees;
 *   4. one pattern up to scale at final: the class-mean vectors correlate >= 0.9 on average
 *      (agrees), < 0.7 (disagrees), in between inconclusive;
 *   5. removing the last stage's SE costs little (only when that ablation was run): the 95%
 *      interval of the top-1 change lies above -1 point and that of the top-5 change above
 *      -0.1 point (agrees); an interval entirely below its bound (disagrees); otherwise the
 *      interval allows both (inconclusive). The digest's "last two blocks" is reported beside it
 *      by the same rule.
 */
#ifndef SEKIT_FINDINGS_H
#define SEKIT_FINDINGS_H

#include "../analysis/analysis.h"

#include <stdio.h>

enum sekit_verdict {
    SEKIT_DISAGREES,
    SEKIT_TENDENCY,
    SEKIT_AGREES,
    SEKIT_NOT_MEASURED,
    SEKIT_INCONCLUSIVE,
};

enum sekit_dependence { SEKIT_AGNOSTIC, SEKIT_INTERMEDIATE, SEKIT_SPECIFIC };

#define SEKIT_DEV_AGNOSTIC 0.01 /* gate units */
#define SEKIT_DEV_SPECIFIC 0.02
#define SEKIT_EFFECT_AGNOSTIC 0.1
#define SEKIT_EFFECT_SPECIFIC 0.25
#define SEKIT_LIFT_INFORMATIVE 0.5

/* The class dependence of a block's gates, by the rule above. */
enum sekit_dependence sekit_dependence(const struct sekit_block_stats *s);
const char *sekit_dependence_name(enum sekit_dependence d);
/* (NCM accuracy - chance) / (1 - chance); 0 when chance is 1. */
double sekit_ncm_lift(const struct sekit_block_stats *s);
const char *sekit_verdict_name(enum sekit_verdict v);

/* An ablation the findings use: the measured change (points), its 95% interval, and the share of
 * the parameters the ablated SE blocks hold. */
struct sekit_last_stage_ablation {
    int measured;
    double delta_top1, delta_top5, share_of_params;
    double top1_lo, top1_hi, top5_lo, top5_hi;
};

/* The rule of observation 5 on one ablation. */
enum sekit_verdict sekit_costs_little(const struct sekit_last_stage_ablation *a);

struct sekit_findings {
    int first_stage, last_stage;
    int early, late[2], nlate, sat, final; /* block indices (see above) */
    double rho;                            /* Spearman: effect size against depth */
    double sat_rest;                       /* the largest share > 0.9 before the sat block */
    struct sekit_last_stage_ablation ablation, last_two;
    enum sekit_verdict verdict[5];
};

/* Spearman's rank correlation of v[0..n) with depth (ties take the lower rank; 0 for fewer than
 * 3 values). */
double sekit_spearman_depth(const double *v, int n);

/* The findings over st[0..n) (network order, n >= 1) and optional ablations (NULL: not run). */
void sekit_findings_compute(struct sekit_findings *f, const struct sekit_block_stats *st, int n,
                            const struct sekit_last_stage_ablation *last_stage,
                            const struct sekit_last_stage_ablation *last_two);

/* The numbered Markdown list of the observations, each with its numbers, rule and verdict. */
void sekit_findings_markdown(FILE *out, const struct sekit_findings *f,
                             const struct sekit_block_stats *st);

#endif
