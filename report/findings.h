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
 *      (agrees); else every late block with a larger effect size than early and the effect size
 *      rising with depth (Spearman >= SEKIT_RHO_TENDENCY: tendency); else every late block
 *      agnostic (disagrees); otherwise inconclusive;
 *   3. saturation at sat: at least half of its gates above 0.9 (agrees: most gates near one);
 *      else at least 10% above 0.9 and more than every earlier block (tendency); else disagrees;
 *   4. one pattern up to scale at final: the class-mean vectors correlate >= 0.9 on average
 *      (agrees), < 0.7 (disagrees), in between inconclusive;
 *   5. an SE-free last stage costs little (only when that ablation was run): the last stage's
 *      SE blocks frozen at their mean gates, a network without them (each constant gate folds
 *      into the BatchNorm before it); the 95% interval of the top-1 change lies above -1 point
 *      and that of the top-5 change above -0.1 point (agrees); an interval entirely below its
 *      bound (disagrees); otherwise the interval allows both (inconclusive). The digest's "last
 *      two blocks" is reported beside it by the same rule, and both with gate := 1 (remove) as
 *      a reading only: that doubles branches trained near a gate of 0.5.
 *
 * Before all of them, the SE check (struct sekit_se_check): when the full model is near chance
 * or freezing every block at its mean gate does not measurably lower top-1, the gates' input
 * dependence cannot be what the observations are about, and every verdict is inconclusive with
 * that reason.
 */
#ifndef SEKIT_FINDINGS_H
#define SEKIT_FINDINGS_H

#include "../analysis/analysis.h"

#include <stddef.h>
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
#define SEKIT_RHO_TENDENCY 0.5
/* the full model's top-1 lift over chance, (top1 - chance) / (100 - chance), below which it is
 * near chance: wrong weights, preset or class map */
#define SEKIT_CHANCE_LIFT 0.2

/* The class dependence of a block's gates, by the rule above. */
enum sekit_dependence sekit_dependence(const struct sekit_block_stats *s);
const char *sekit_dependence_name(enum sekit_dependence d);
/* (NCM accuracy - chance) / (1 - chance); 0 when chance is 1. */
double sekit_ncm_lift(const struct sekit_block_stats *s);
const char *sekit_verdict_name(enum sekit_verdict v);

/* An ablation the findings use: the measured change (points), its 95% interval, the share of
 * the parameters the ablated SE blocks hold, and the exact McNemar p-value of the top-1 change. */
struct sekit_ablation_effect {
    int measured;
    double delta_top1, delta_top5, share_of_params;
    double top1_lo, top1_hi, top5_lo, top5_hi;
    double p_top1;
};

/* The rule of observation 5 on one ablation. */
enum sekit_verdict sekit_costs_little(const struct sekit_ablation_effect *a);

/* The ablations observation 5 reads: frozen at the mean gates (deciding), gate := 1 (beside). */
struct sekit_findings_ablations {
    struct sekit_ablation_effect stage, two;
    struct sekit_ablation_effect stage_removed, two_removed;
};

/* "Are the SE blocks doing anything?": the full model against chance, and every block frozen
 * at its mean gate. */
struct sekit_se_check {
    double top1, chance; /* percent: the full model's top-1, and 100 / the evaluated classes */
    struct sekit_ablation_effect frozen_all;
    int near_chance; /* top-1 lift over chance below SEKIT_CHANCE_LIFT */
    int inert;       /* frozen_all measured, and its top-1 interval does not lie below 0 */
};

/* Fills near_chance and inert from the other fields. */
void sekit_se_check_judge(struct sekit_se_check *c);
/* Why the verdicts cannot be read (one sentence without a final period), or NULL when they can. */
const char *sekit_se_check_reason(const struct sekit_se_check *c, char *buf, size_t size);

struct sekit_findings {
    int first_stage, last_stage;
    int early, late[2], nlate, sat, final; /* block indices (see above) */
    double rho;                            /* Spearman: effect size against depth */
    double sat_rest;                       /* the largest share > 0.9 before the sat block */
    double last_stage_gate;                /* the last stage's mean gate: what remove replaces */
    struct sekit_findings_ablations abl;
    char reason[256]; /* the SE check overrules every verdict for this reason; "" when none */
    enum sekit_verdict verdict[5];
};

/* Spearman's rank correlation of v[0..n) with depth (ties take the lower rank; 0 for fewer than
 * 3 values). */
double sekit_spearman_depth(const double *v, int n);

/* The findings over st[0..n) (network order, n >= 1), the ablations and the SE check (each
 * NULL when not run). */
void sekit_findings_compute(struct sekit_findings *f, const struct sekit_block_stats *st, int n,
                            const struct sekit_findings_ablations *abl,
                            const struct sekit_se_check *check);

/* The numbered Markdown list of the observations, each with its numbers, rule and verdict. */
void sekit_findings_markdown(FILE *out, const struct sekit_findings *f,
                             const struct sekit_block_stats *st);

#endif
