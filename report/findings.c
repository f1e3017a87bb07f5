/* findings.c -- see findings.h. */
#include "findings.h"

#include <string.h>

enum sekit_dependence sekit_dependence(const struct sekit_block_stats *s)
{
    if (s->class_dev < SEKIT_DEV_AGNOSTIC || s->effect < SEKIT_EFFECT_AGNOSTIC)
        return SEKIT_AGNOSTIC;
    if (s->class_dev >= SEKIT_DEV_SPECIFIC && s->effect >= SEKIT_EFFECT_SPECIFIC)
        return SEKIT_SPECIFIC;
    return SEKIT_INTERMEDIATE;
}

const char *sekit_dependence_name(enum sekit_dependence d)
{
    return d == SEKIT_AGNOSTIC   ? "class-agnostic"
           : d == SEKIT_SPECIFIC ? "class-specific"
                                 : "in between";
}

double sekit_ncm_lift(const struct sekit_block_stats *s)
{
    return s->ncm_chance < 1 ? (s->ncm_accuracy - s->ncm_chance) / (1 - s->ncm_chance) : 0;
}

const char *sekit_verdict_name(enum sekit_verdict v)
{
    static const char *const names[] = {"disagrees", "tendency", "agrees", "not measured",
                                        "inconclusive"};
    return names[v];
}

enum sekit_verdict sekit_costs_little(const struct sekit_ablation_effect *a)
{
    if (!a->measured) return SEKIT_NOT_MEASURED;
    if (a->top1_lo >= -1.0 && a->top5_lo >= -0.1) return SEKIT_AGREES;
    if (a->top1_hi < -1.0 || a->top5_hi < -0.1) return SEKIT_DISAGREES;
    return SEKIT_INCONCLUSIVE;
}

void sekit_se_check_judge(struct sekit_se_check *c)
{
    const double lift = c->chance < 100 ? (c->top1 - c->chance) / (100 - c->chance) : 0;
    c->near_chance = lift < SEKIT_CHANCE_LIFT;
    c->inert = c->frozen_all.measured && !(c->frozen_all.top1_hi < 0);
}

const char *sekit_se_check_reason(const struct sekit_se_check *c, char *buf, size_t size)
{
    if (c->near_chance)
        snprintf(buf, size,
                 "the full model's top-1 (%.2f%%) is near chance (%.1f%%), as with wrong weights, "
                 "preprocessing or class map, so its gates are not a trained network's",
                 c->top1, c->chance);
    else if (c->inert)
        snprintf(buf, size,
                 "freezing every SE block at its mean gate changes top-1 by %+.2f points [%+.2f, "
                 "%+.2f], so the gates' dependence on the input does not measurably matter",
                 c->frozen_all.delta_top1, c->frozen_all.top1_lo, c->frozen_all.top1_hi);
    else
        return NULL;
    return buf;
}

double sekit_spearman_depth(const double *v, int n)
{
    if (n < 3) return 0;
    double d2 = 0;
    for (int i = 0; i < n; i++) {
        int rank = 0;
        for (int j = 0; j < n; j++)
            rank += v[j] < v[i];
        d2 += (double)(rank - i) * (rank - i);
    }
    return 1 - 6 * d2 / ((double)n * ((double)n * n - 1));
}

void sekit_findings_compute(struct sekit_findings *f, const struct sekit_block_stats *st, int n,
                            const struct sekit_findings_ablations *abl,
                            const struct sekit_se_check *check)
{
    SEKIT_ASSERT(n >= 1);
    memset(f, 0, sizeof *f);
    f->first_stage = st[0].stage;
    f->last_stage = st[n - 1].stage;
    f->final = n - 1;
    int first_end = 0, last_begin = n;
    while (first_end < n && st[first_end].stage == f->first_stage)
        first_end++;
    while (last_begin > 0 && st[last_begin - 1].stage == f->last_stage)
        last_begin--;
    f->early = first_end - 1;
    if (last_begin > 0 && last_begin - 1 != f->early) f->late[f->nlate++] = last_begin - 1;
    if (last_begin != f->early) f->late[f->nlate++] = last_begin;
    f->sat = last_begin + 1 < n ? last_begin + 1 : n - 1;
    double effect[256];
    const int ne = n < 256 ? n : 256;
    for (int b = 0; b < ne; b++)
        effect[b] = st[b].effect;
    f->rho = sekit_spearman_depth(effect, ne);
    for (int b = 0; b < f->sat; b++)
        if (st[b].sat_09 > f->sat_rest) f->sat_rest = st[b].sat_09;
    if (abl) f->abl = *abl;
    /* the mean over the last stage's blocks of each block's mean gate */
    int last_blocks = 0;
    for (int b = last_begin; b < n; b++) {
        if (!st[b].all_mean || st[b].channels < 1) continue;
        double g = 0;
        for (int c = 0; c < st[b].channels; c++)
            g += st[b].all_mean[c];
        f->last_stage_gate += g / st[b].channels;
        last_blocks++;
    }
    if (last_blocks) f->last_stage_gate /= last_blocks;

    const struct sekit_block_stats *early = &st[f->early];
    const enum sekit_dependence de = sekit_dependence(early);
    const int informative = sekit_ncm_lift(early) >= SEKIT_LIFT_INFORMATIVE;
    f->verdict[0] = de == SEKIT_SPECIFIC                   ? SEKIT_DISAGREES
                    : de == SEKIT_AGNOSTIC && !informative ? SEKIT_AGREES
                                                           : SEKIT_INCONCLUSIVE;
    int specific = 0, agnostic = 0, larger = 0;
    for (int i = 0; i < f->nlate; i++) {
        const enum sekit_dependence d = sekit_dependence(&st[f->late[i]]);
        specific += d == SEKIT_SPECIFIC;
        agnostic += d == SEKIT_AGNOSTIC;
        larger += st[f->late[i]].effect > early->effect;
    }
    f->verdict[1] = !f->nlate                                            ? SEKIT_NOT_MEASURED
                    : specific == f->nlate && larger == f->nlate         ? SEKIT_AGREES
                    : larger == f->nlate && f->rho >= SEKIT_RHO_TENDENCY ? SEKIT_TENDENCY
                    : agnostic == f->nlate                               ? SEKIT_DISAGREES
                                                                         : SEKIT_INCONCLUSIVE;
    const double sat = st[f->sat].sat_09;
    f->verdict[2] = sat >= 0.5                        ? SEKIT_AGREES
                    : sat >= 0.1 && sat > f->sat_rest ? SEKIT_TENDENCY
                                                      : SEKIT_DISAGREES;
    const double corr = st[f->final].correlation;
    f->verdict[3] = corr >= 0.9 ? SEKIT_AGREES : corr < 0.7 ? SEKIT_DISAGREES : SEKIT_INCONCLUSIVE;
    f->verdict[4] = sekit_costs_little(&f->abl.stage);
    if (check && sekit_se_check_reason(check, f->reason, sizeof f->reason))
        for (int i = 0; i < 5; i++)
            if (f->verdict[i] != SEKIT_NOT_MEASURED) f->verdict[i] = SEKIT_INCONCLUSIVE;
}

/* "**Verdict: agrees**", or with the SE check's reason when it overrules every rule */
static void verdict(FILE *out, const struct sekit_findings *f, int i)
{
    if (f->reason[0] && f->verdict[i] == SEKIT_INCONCLUSIVE)
        fprintf(out, "**Verdict: inconclusive: %s**", f->reason);
    else
        fprintf(out, "**Verdict: %s**", sekit_verdict_name(f->verdict[i]));
}

/* "SE_2_3 (class deviation 0.0031 gate units, effect size 0.12, NCM 41% against chance 25%)" */
static void block_numbers(FILE *out, const struct sekit_block_stats *s)
{
    fprintf(out,
            "%s: class deviation %.4f gate units, channel spread %.4f, effect size %.2f (%s); "
            "nearest-class-mean accuracy %.1f%% against chance %.1f%% (lift %.2f); class "
            "specificity %.3f",
            s->name, s->class_dev, s->channel_spread, s->effect,
            sekit_dependence_name(sekit_dependence(s)), 100 * s->ncm_accuracy, 100 * s->ncm_chance,
            sekit_ncm_lift(s), s->specificity);
}

static void ablation_numbers(FILE *out, const char *what, const struct sekit_ablation_effect *a,
                             int rule)
{
    fprintf(out,
            "%s: top-1 %+.2f points [%+.2f, %+.2f], top-5 %+.2f [%+.2f, %+.2f] (95%% paired "
            "intervals; McNemar p = %.2g), %.2f%% of the parameters",
            what, a->delta_top1, a->top1_lo, a->top1_hi, a->delta_top5, a->top5_lo, a->top5_hi,
            a->p_top1, 100 * a->share_of_params);
    if (rule) fprintf(out, "; by the rule: %s", sekit_verdict_name(sekit_costs_little(a)));
}

void sekit_findings_markdown(FILE *out, const struct sekit_findings *f,
                             const struct sekit_block_stats *st)
{
    const struct sekit_block_stats *early = &st[f->early], *sat = &st[f->sat], *fin = &st[f->final];
    fprintf(out, "1. **Class-agnostic early** (paper: \"the distribution across different classes "
                 "is very similar at the earlier layers of the network, e.g. SE_2_3\"). ");
    block_numbers(out, early);
    fprintf(out,
            ". Rule: agrees when the block is class-agnostic and its gates do not identify "
            "the class (lift < %.1f). ",
            SEKIT_LIFT_INFORMATIVE);
    verdict(out, f, 0);
    fprintf(out, "%s\n",
            !f->reason[0] && f->verdict[0] == SEKIT_INCONCLUSIVE &&
                    sekit_dependence(early) == SEKIT_AGNOSTIC
                ? ": the class means coincide, yet the gate vectors still tell the classes "
                  "apart; agnostic in magnitude, not in information."
                : ".");
    fprintf(out, "2. **Class-specific late** (paper: \"at greater depth, the value of each channel "
                 "becomes much more class-specific ... e.g. SE_4_6 and SE_5_1\"). ");
    for (int i = 0; i < f->nlate; i++) {
        if (i) fprintf(out, "; ");
        block_numbers(out, &st[f->late[i]]);
    }
    fprintf(out,
            ". Spearman's rank correlation of effect size with depth: %.2f. Rule: agrees when "
            "every one is class-specific with a larger effect size than %s; a tendency when "
            "every one has a larger effect size than %s and the effect size rises with depth "
            "(Spearman >= %.1f) without crossing the bar. ",
            f->rho, early->name, early->name, SEKIT_RHO_TENDENCY);
    verdict(out, f, 1);
    fprintf(out,
            ".\n3. **Saturation** (paper: \"SE_5_2 exhibits an interesting tendency towards a "
            "saturated state in which most of the activations are close to one\"; v3: \"and the "
            "remainder is close to zero\"). %s (a %s gate): %.1f%% of its gates above 0.9 "
            "(%.1f%% above 0.99, %.1f%% exactly 1), %.1f%% below 0.1 (%.1f%% below 0.01, %.1f%% "
            "exactly 0); the most saturated earlier block has %.1f%% above 0.9. Rule: agrees "
            "from 50%% above 0.9; a tendency from 10%% when no earlier block has as many. ",
            sat->name, strcmp(sat->gate, "hardsigmoid") ? "sigmoid" : "hard-sigmoid",
            100 * sat->sat_09, 100 * sat->sat_high, 100 * sat->sat_one, 100 * sat->sat_01,
            100 * sat->sat_low, 100 * sat->sat_zero, 100 * f->sat_rest);
    verdict(out, f, 2);
    fprintf(out,
            ".\n4. **One pattern up to scale at the end** (paper: at SE_5_3 \"a similar pattern "
            "emerges over different classes, up to a modest change in scale\"). %s: the class-mean "
            "vectors correlate at %.3f on average, with a coefficient of variation of their means "
            "of %.3f (scale); ",
            fin->name, fin->correlation, fin->scale_spread);
    block_numbers(out, fin);
    fprintf(out, ". Rule: agrees from a correlation of 0.9, disagrees below 0.7. ");
    verdict(out, f, 3);
    fprintf(out, ".\n");
    const struct sekit_findings_ablations *a = &f->abl;
    if (!a->stage.measured && !a->two.measured && !a->stage_removed.measured &&
        !a->two_removed.measured)
        return;
    fprintf(out,
            "5. **An SE-free last stage costs little** (paper Sec. 4: removing the last stage's "
            "SE blocks costs \"<0.1%% top-5 error\" on ImageNet while cutting the parameter "
            "overhead from ~10%% to ~4%%). The network the paper means has no SE blocks in its "
            "last stage: freezing them at their mean gates is such a network, since a constant "
            "gate folds into the BatchNorm before it (docs/findings.md). Rule: agrees when the "
            "95%% interval of the top-1 change lies above -1 point and that of top-5 above -0.1; "
            "disagrees when an interval lies entirely below its bound; otherwise the data cannot "
            "tell (inconclusive). ");
    char what[96];
    if (a->stage.measured) {
        snprintf(what, sizeof what, "Stage %d's SE blocks frozen at their mean gates",
                 f->last_stage);
        ablation_numbers(out, what, &a->stage, 0);
        fprintf(out, ". ");
    }
    if (a->two.measured) {
        ablation_numbers(out, "The last two blocks frozen (the digest's claim)", &a->two,
                         !f->reason[0]);
        fprintf(out, ". ");
    }
    if (a->stage_removed.measured || a->two_removed.measured) {
        fprintf(out,
                "Beside them, as a reading only, gate := 1 (remove mode), which doubles "
                "branches the network was trained to see at a mean gate of %.2f and so measures "
                "more than the blocks' absence: ",
                f->last_stage_gate);
        if (a->stage_removed.measured) {
            snprintf(what, sizeof what, "stage %d removed", f->last_stage);
            ablation_numbers(out, what, &a->stage_removed, 0);
        }
        if (a->two_removed.measured) {
            if (a->stage_removed.measured) fprintf(out, "; ");
            ablation_numbers(out, "the last two removed", &a->two_removed, 0);
        }
        fprintf(out, ". ");
    }
    verdict(out, f, 4);
    fprintf(out, ".\n");
}
