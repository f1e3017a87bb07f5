/* findings.c -- see findings.h. */
#include "findings.h"

#include <string.h>

static double mean_spec(const struct sekit_block_stats *st, int from, int to)
{
    double a = 0;
    for (int b = from; b < to; b++)
        a += st[b].specificity;
    return to > from ? a / (to - from) : 0;
}

double sekit_spearman_depth(const struct sekit_block_stats *st, int n)
{
    if (n < 3) return 0;
    double d2 = 0;
    for (int i = 0; i < n; i++) {
        int rank = 0;
        for (int j = 0; j < n; j++)
            rank += st[j].specificity < st[i].specificity;
        d2 += (double)(rank - i) * (rank - i);
    }
    return 1 - 6 * d2 / ((double)n * ((double)n * n - 1));
}

void sekit_findings_compute(struct sekit_findings *f, const struct sekit_block_stats *st, int n,
                            const struct sekit_last_stage_ablation *ablation)
{
    SEKIT_ASSERT(n >= 1);
    memset(f, 0, sizeof *f);
    f->first_stage = st[0].stage;
    f->last_stage = st[n - 1].stage;
    f->last = n - 1;
    while (f->first_end < n && st[f->first_end].stage == f->first_stage)
        f->first_end++;
    f->last_begin = n;
    while (f->last_begin > 0 && st[f->last_begin - 1].stage == f->last_stage)
        f->last_begin--;
    f->spec_first = mean_spec(st, 0, f->first_end);
    f->spec_last = mean_spec(st, f->last_begin, n);
    f->rho = sekit_spearman_depth(st, n);
    for (int b = 0; b < n; b++)
        if (st[b].specificity > f->spec_max) f->spec_max = st[b].specificity, f->spec_argmax = b;
    f->sat_argmax = f->last_begin;
    for (int b = 0; b < n; b++) {
        if (b >= f->last_begin && st[b].sat_high >= f->sat_last)
            f->sat_last = st[b].sat_high, f->sat_argmax = b;
        if (b < f->last_begin && st[b].sat_high > f->sat_rest) f->sat_rest = st[b].sat_high;
    }
    if (ablation) f->ablation = *ablation;

    f->verdict[0] = f->spec_first <= 0.5 * f->spec_max ? SEKIT_AGREES : SEKIT_DISAGREES;
    f->verdict[1] = f->spec_last > f->spec_first && f->rho > 0 ? SEKIT_AGREES : SEKIT_DISAGREES;
    f->verdict[2] = f->sat_last >= 0.5                                 ? SEKIT_AGREES
                    : f->sat_last > f->sat_rest && f->sat_last >= 0.05 ? SEKIT_TENDENCY
                                                                       : SEKIT_DISAGREES;
    f->verdict[3] = st[n - 1].correlation >= 0.9 ? SEKIT_AGREES : SEKIT_DISAGREES;
    f->verdict[4] = !f->ablation.measured ? SEKIT_NOT_MEASURED
                    : f->ablation.delta_top5 >= -0.1 && f->ablation.delta_top1 >= -1.0
                        ? SEKIT_AGREES
                        : SEKIT_DISAGREES;
}

void sekit_findings_markdown(FILE *out, const struct sekit_findings *f,
                             const struct sekit_block_stats *st)
{
    const struct sekit_block_stats *last = &st[f->last], *sat = &st[f->sat_argmax];
    fprintf(out,
            "1. **Class-agnostic early** (paper: \"the distribution across different classes "
            "is very similar at the earlier layers\"). The first stage's blocks have class "
            "specificity %.3f on average, against %.3f for the most class-specific block "
            "(%s). %s\n",
            f->spec_first, f->spec_max, st[f->spec_argmax].name,
            f->verdict[0] == SEKIT_AGREES
                ? "This model agrees: early gates depend little on the class."
                : "This model does not show it clearly: its early gates are already "
                  "comparatively class-dependent.");
    fprintf(out,
            "2. **Class-specific late** (paper: \"at greater depth, the value of each channel "
            "becomes much more class-specific\"). Specificity rises from %.3f (stage %d) to "
            "%.3f (stage %d); Spearman's rank correlation of specificity with depth is %.2f. "
            "%s\n",
            f->spec_first, f->first_stage, f->spec_last, f->last_stage, f->rho,
            f->verdict[1] == SEKIT_AGREES ? "This model agrees."
                                          : "This model does not follow the paper here.");
    fprintf(out,
            "3. **Saturation in the last stage** (paper: SE_5_2 tends to a state where most "
            "activations are close to one, where an SE block is the identity). The most "
            "saturated last-stage block, %s, has %.2f%% of its gates above 0.99 (and %.2f%% "
            "below 0.01); the most saturated earlier block has %.2f%% above 0.99. %s\n",
            sat->name, 100 * f->sat_last, 100 * sat->sat_low, 100 * f->sat_rest,
            f->verdict[2] == SEKIT_AGREES
                ? "This model agrees: that block is close to the identity."
            : f->verdict[2] == SEKIT_TENDENCY
                ? "This model shows the tendency, but far from the paper's near-identity state."
                : "This model does not show it.");
    fprintf(out,
            "4. **Scale-only differences in the last block** (paper: at SE_5_3 \"a similar "
            "pattern emerges over different classes, up to a modest change in scale\"). In "
            "%s the class-mean vectors correlate at %.3f on average (pattern), with a "
            "coefficient of variation of their means of %.3f (scale), and class specificity "
            "%.3f. %s\n",
            last->name, last->correlation, last->scale_spread, last->specificity,
            f->verdict[3] == SEKIT_AGREES
                ? "This model agrees: the classes share one pattern there."
                : "This model does not: its last block's pattern differs between classes.");
    if (f->verdict[4] == SEKIT_NOT_MEASURED) return;
    fprintf(out,
            "5. **Removing the last stage's SE blocks costs little** (paper Sec. 4: "
            "\"<0.1%% top-5 error\" on ImageNet while cutting the parameter overhead from "
            "~10%% to ~4%%). Removing stage %d's SE blocks here changes top-1 by %+.2f and "
            "top-5 by %+.2f points and removes %.2f%% of the parameters. %s\n",
            f->last_stage, f->ablation.delta_top1, f->ablation.delta_top5,
            100 * f->ablation.share_of_params,
            f->verdict[4] == SEKIT_AGREES ? "This model agrees."
                                          : "On this model the last stage's SE blocks matter "
                                            "more than the paper found on ImageNet.");
}
