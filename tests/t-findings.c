/*
 * t-findings.c -- the measures of class dependence (analysis/stats.c) on constructed
 * recordings, and the verdict rules of report/findings.h on hand-made numbers.
 *
 * The constructed recordings are gate matrices with labels whose truth is known by
 * construction: classes drawn from one distribution (agnostic), classes whose means are shifted
 * on channels of their own (specific), and near-constant gates with tiny class shifts, which
 * class specificity (eta^2) calls class-specific and the scale-aware measures do not.
 */
#include "../report/findings.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 4, PER = 50, N = K * PER, C = 64 };

static uint64_t rng = 7;
static double uniform(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
    const double u = uniform() + 1e-12, v = uniform();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Gates (N, C) of K classes: a channel pattern shared by all, class k's shift on its own
 * quarter of the channels, and per-image noise; clamped to (0, 1). */
static void construct(float *g, int32_t *labels, double pattern, double shift, double noise)
{
    double base[C];
    for (int c = 0; c < C; c++)
        base[c] = 0.5 + pattern * (uniform() - 0.5);
    for (int i = 0; i < N; i++) {
        const int k = i % K;
        labels[i] = k;
        for (int c = 0; c < C; c++) {
            double v = base[c] + (c / (C / K) == k ? shift : 0) + noise * gauss();
            g[(size_t)i * C + c] = (float)(v < 1e-6 ? 1e-6 : v > 1 - 1e-6 ? 1 - 1e-6 : v);
        }
    }
}

/* How much the gates move with the input, by hand: channel 0 takes 0.2, 0.4, 0.6, 0.8 (population
 * std sqrt(0.05)), channel 1 0.5 throughout (std 0); image 4 belongs to no recorded class. */
static void input_dependence(void)
{
    const float g[5 * 2] = {0.2f, 0.5f, 0.4f, 0.5f, 0.6f, 0.5f, 0.8f, 0.5f, 0.99f, 0.01f};
    const int32_t labels[5] = {0, 1, 0, 1, 7};
    const int classes[2] = {0, 1};
    struct sekit_block_stats s;
    struct sekit_err e = {0};
    if (!ok(sekit_stats_compute(&s, g, labels, 5, 2, classes, 2, &e) == 0, "four images, two "
                                                                           "channels"))
        diag("%s", e.msg);
    const double want = sqrt(0.05) / 2;
    ok(fabs(s.image_spread - want) < 1e-7,
       "image spread: mean of the channels' stds %.8f (got "
       "%.8f)",
       want, s.image_spread);
    ok(s.gate_min == 0.2f && s.gate_max == 0.8f,
       "gate range over the recorded classes' images: 0.2 .. 0.8 (got %.9g .. %.9g)", s.gate_min,
       s.gate_max);
    sekit_stats_free(&s);
}

static void measures(void)
{
    static float g[N * C];
    int32_t labels[N];
    const int classes[K] = {0, 1, 2, 3};
    struct sekit_block_stats s;
    struct sekit_err e = {0};

    construct(g, labels, 0.6, 0, 0.05);
    if (!ok(sekit_stats_compute(&s, g, labels, N, C, classes, K, &e) == 0, "identical classes"))
        diag("%s", e.msg);
    is_int(sekit_dependence(&s), SEKIT_AGNOSTIC,
           "identical classes: agnostic (deviation %.4f, effect %.3f)", s.class_dev, s.effect);
    ok(sekit_ncm_lift(&s) < 0.2,
       "identical classes: the gates do not identify the class (NCM %.2f, "
       "chance %.2f)",
       s.ncm_accuracy, s.ncm_chance);
    is_int(s.ncm_images, N, "every image cross-validated");
    ok(fabs(s.ncm_chance - 0.25) < 1e-12, "chance: 4 balanced classes, 0.25 (got %g)",
       s.ncm_chance);
    sekit_stats_free(&s);

    construct(g, labels, 0.6, 0.15, 0.05);
    sekit_stats_compute(&s, g, labels, N, C, classes, K, &e);
    is_int(sekit_dependence(&s), SEKIT_SPECIFIC,
           "shifted class means: specific (deviation %.4f, effect %.3f)", s.class_dev, s.effect);
    ok(sekit_ncm_lift(&s) > 0.9, "shifted class means: the gates identify the class (NCM %.2f)",
       s.ncm_accuracy);
    /* each class shifts a quarter of the channels by 0.15: the RMS deviation from the mean of
     * the class means is 0.15 * sqrt(3/16) */
    ok(fabs(s.class_dev - 0.15 * sqrt(3.0 / 16)) < 0.01, "class deviation %.4f (want about %.4f)",
       s.class_dev, 0.15 * sqrt(3.0 / 16));
    sekit_stats_free(&s);

    construct(g, labels, 0.0005, 0.002, 0.0005);
    sekit_stats_compute(&s, g, labels, N, C, classes, K, &e);
    ok(s.specificity > 0.5, "near-constant gates, tiny shifts: eta^2 %.2f looks class-specific",
       s.specificity);
    is_int(sekit_dependence(&s), SEKIT_AGNOSTIC,
           "near-constant gates, tiny shifts: agnostic (deviation %.5f gate units)", s.class_dev);
    sekit_stats_free(&s);

    /* saturation per class and block: class 0 all above 0.99, class 1 all below 0.01 */
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            g[(size_t)i * C + c] = labels[i] == 0 ? 0.995f : labels[i] == 1 ? 0.005f : 0.5f;
    sekit_stats_compute(&s, g, labels, N, C, classes, K, &e);
    const float want0[4] = {1, 1, 0, 0}, want1[4] = {0, 0, 1, 1};
    float got[8];
    for (int t = 0; t < 8; t++)
        got[t] = (float)s.class_sat[t];
    is_close(got, want0, 4, 0, "class 0: every gate above 0.9 and 0.99");
    is_close(got + 4, want1, 4, 0, "class 1: every gate below 0.1 and 0.01");
    ok(s.sat_09 == 0.25 && s.sat_high == 0.25 && s.sat_01 == 0.25 && s.sat_low == 0.25,
       "block shares: a quarter each (%g %g %g %g)", s.sat_09, s.sat_high, s.sat_01, s.sat_low);
    sekit_stats_free(&s);
}

/* Statistics of n blocks with these stages, effect sizes and shares above 0.9; every block
 * informative or not as given. */
static void blocks(struct sekit_block_stats *st, int n, const int *stage, const double *dev,
                   const double *sat09, double lift)
{
    memset(st, 0, sizeof *st * (size_t)n);
    for (int b = 0; b < n; b++) {
        snprintf(st[b].name, sizeof st[b].name, "SE_%d_%d", stage[b], b + 1);
        st[b].stage = stage[b];
        st[b].class_dev = dev[b];
        st[b].channel_spread = 0.1;
        st[b].effect = dev[b] / 0.1;
        st[b].sat_09 = sat09[b];
        st[b].correlation = 0.95;
        st[b].ncm_chance = 0.25;
        st[b].ncm_accuracy = 0.25 + lift * 0.75;
    }
}

static void rules(void)
{
    enum { B = 6 };
    struct sekit_block_stats st[B];
    const int stage[B] = {2, 2, 3, 3, 4, 4};
    const double rising[B] = {0.005, 0.005, 0.03, 0.08, 0.1, 0.1}, none[B] = {0};
    struct sekit_findings f;
    blocks(st, B, stage, rising, none, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    ok(f.early == 1 && f.nlate == 2 && f.late[0] == 3 && f.late[1] == 4 && f.sat == 5 &&
           f.final == 5,
       "blocks: early SE_2_2, late SE_3_4 and SE_4_5, saturation and final SE_4_6");
    is_int(f.verdict[0], SEKIT_AGREES, "early agnostic, uninformative: agrees");
    is_int(f.verdict[1], SEKIT_AGREES, "late specific with larger effects: agrees");
    is_int(f.verdict[2], SEKIT_DISAGREES, "no saturation: disagrees");
    is_int(f.verdict[3], SEKIT_AGREES, "correlation 0.95: agrees");
    is_int(f.verdict[4], SEKIT_NOT_MEASURED, "no ablation: not measured");
    ok(fabs(f.rho - 1) < 0.2, "effect size rises with depth (Spearman %.2f)", f.rho);

    blocks(st, B, stage, rising, none, 0.8);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[0], SEKIT_INCONCLUSIVE,
           "early agnostic but its gates identify the class: inconclusive");

    const double flat[B] = {0.005, 0.005, 0.005, 0.005, 0.005, 0.005};
    blocks(st, B, stage, flat, none, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[1], SEKIT_DISAGREES, "late blocks agnostic: disagrees");
    const double early_specific[B] = {0.1, 0.1, 0.03, 0.03, 0.1, 0.1};
    blocks(st, B, stage, early_specific, none, 0.9);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[0], SEKIT_DISAGREES, "early specific: disagrees");
    is_int(f.verdict[1], SEKIT_INCONCLUSIVE, "late specific, not above early: inconclusive");

    const double sat_most[B] = {0, 0, 0, 0, 0.2, 0.6}, sat_tend[B] = {0.05, 0, 0, 0, 0, 0.12},
                 sat_earlier[B] = {0.3, 0, 0, 0, 0, 0.2};
    blocks(st, B, stage, rising, sat_most, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[2], SEKIT_AGREES, "60%% above 0.9: agrees");
    blocks(st, B, stage, rising, sat_tend, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[2], SEKIT_TENDENCY, "12%%, more than before: a tendency");
    blocks(st, B, stage, rising, sat_earlier, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[2], SEKIT_DISAGREES, "an earlier block more saturated: disagrees");

    st[B - 1].correlation = 0.8;
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[3], SEKIT_INCONCLUSIVE, "correlation 0.8: inconclusive");
    st[B - 1].correlation = 0.6;
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[3], SEKIT_DISAGREES, "correlation 0.6: disagrees");

    /* rule 2: rising without crossing the bar is a tendency */
    const double creeping[B] = {0.004, 0.005, 0.006, 0.007, 0.008, 0.009};
    blocks(st, B, stage, creeping, none, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[1], SEKIT_TENDENCY,
           "late blocks agnostic but larger than early, rising with depth (Spearman %.2f): "
           "tendency",
           f.rho);
    const double falling_late[B] = {0.004, 0.005, 0.009, 0.003, 0.006, 0.002};
    blocks(st, B, stage, falling_late, none, 0.1);
    sekit_findings_compute(&f, st, B, NULL, NULL);
    is_int(f.verdict[1], SEKIT_DISAGREES, "a late block below early: no tendency, disagrees");
    blocks(st, B, stage, rising, none, 0.1);

    /* observation 5 on the intervals of the mean-frozen variants; remove mode decides nothing */
    const struct sekit_ablation_effect little = {1, -0.3, 0, 0.04, -0.8, 0.2, -0.05, 0.05, 0.4},
                                       wide = {1, -0.6, 0, 0.04, -1.4, 0.2, -0.05, 0.05, 0.2},
                                       costly = {1,    -2.0, -0.3,  0.04, -2.6,
                                                 -1.4, -0.5, -0.12, 1e-6};
    struct sekit_findings_ablations abl = {.stage = little, .two = wide};
    sekit_findings_compute(&f, st, B, &abl, NULL);
    is_int(f.verdict[4], SEKIT_AGREES, "interval [-0.8, +0.2] above -1: agrees");
    abl = (struct sekit_findings_ablations){.stage = wide, .stage_removed = costly};
    sekit_findings_compute(&f, st, B, &abl, NULL);
    is_int(f.verdict[4], SEKIT_INCONCLUSIVE, "interval [-1.4, +0.2] across -1: inconclusive");
    abl = (struct sekit_findings_ablations){.stage = costly, .stage_removed = little};
    sekit_findings_compute(&f, st, B, &abl, NULL);
    is_int(f.verdict[4], SEKIT_DISAGREES,
           "interval [-2.6, -1.4] below -1: disagrees, whatever remove mode shows");

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    abl = (struct sekit_findings_ablations){
        .stage = little, .two = wide, .stage_removed = costly, .two_removed = costly};
    sekit_findings_compute(&f, st, B, &abl, NULL);
    sekit_findings_markdown(mem, &f, st);
    fclose(mem);
    ok(text && strstr(text, "1. **Class-agnostic early**") && strstr(text, "**Verdict: agrees**") &&
           strstr(text, "frozen at their mean gates: top-1 -0.30 points [-0.80, +0.20]") &&
           strstr(text, "The last two blocks frozen") &&
           strstr(text, "stage 4 removed: top-1 -2.00 points [-2.60, -1.40]") &&
           strstr(text, "McNemar p = 1e-06"),
       "the Markdown states each observation with its numbers, interval and verdict, remove mode "
       "beside");
    if (!(text && strstr(text, "stage 4 removed"))) diag("%s", text ? text : "(null)");
    free(text);
}

/* The SE check: a model near chance, or whose gates can be frozen at their means at no cost,
 * turns every verdict into "inconclusive" with the reason, and never "agrees". */
static void se_check(void)
{
    enum { B = 6 };
    struct sekit_block_stats st[B];
    const int stage[B] = {2, 2, 3, 3, 4, 4};
    const double rising[B] = {0.005, 0.005, 0.03, 0.08, 0.1, 0.1}, none[B] = {0};
    blocks(st, B, stage, rising, none, 0.1);
    const struct sekit_ablation_effect costly = {1,    -2.0, -0.3,  0.04, -2.6,
                                                 -1.4, -0.5, -0.12, 1e-6},
                                       free_ = {1, -0.06, 0, 1, -0.18, 0.06, -0.02, 0.02, 0.5},
                                       little = {1, -0.3, 0, 0.04, -0.8, 0.2, -0.05, 0.05, 0.4};
    const struct sekit_findings_ablations abl = {.stage = little};
    struct sekit_findings f;

    struct sekit_se_check c = {.top1 = 93.7, .chance = 10, .frozen_all = costly};
    sekit_se_check_judge(&c);
    ok(!c.near_chance && !c.inert, "93.7%% against 10%%, freezing all costs [-2.6, -1.4]: the "
                                   "gates matter");
    sekit_findings_compute(&f, st, B, &abl, &c);
    ok(f.reason[0] == 0 && f.verdict[0] == SEKIT_AGREES && f.verdict[4] == SEKIT_AGREES,
       "gates that matter: the rules decide");

    c = (struct sekit_se_check){.top1 = 93.7, .chance = 10, .frozen_all = free_};
    sekit_se_check_judge(&c);
    ok(!c.near_chance && c.inert, "freezing all costs [-0.18, +0.06]: inert");
    sekit_findings_compute(&f, st, B, &abl, &c);
    int agrees = 0;
    for (int i = 0; i < 5; i++)
        agrees += f.verdict[i] == SEKIT_AGREES;
    ok(!agrees && f.verdict[0] == SEKIT_INCONCLUSIVE && f.verdict[4] == SEKIT_INCONCLUSIVE &&
           strstr(f.reason, "[-0.18, +0.06]"),
       "inert gates: every verdict inconclusive, the reason names the interval (%s)", f.reason);

    c = (struct sekit_se_check){.top1 = 0.0, .chance = 25, .frozen_all = costly};
    sekit_se_check_judge(&c);
    ok(c.near_chance, "0%% top-1 against 25%% chance: near chance");
    c.top1 = 39.9;
    sekit_se_check_judge(&c);
    ok(c.near_chance, "39.9%% against 25%% (lift 0.199): near chance");
    c.top1 = 40.1;
    sekit_se_check_judge(&c);
    ok(!c.near_chance, "40.1%% against 25%% (lift 0.201): not near chance");
    c.top1 = 0.0;
    sekit_se_check_judge(&c);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    sekit_findings_compute(&f, st, B, &abl, &c);
    sekit_findings_markdown(mem, &f, st);
    fclose(mem);
    ok(text && !strstr(text, "agrees**") &&
           strstr(text, "**Verdict: inconclusive: the full model's top-1 (0.00%) is near chance "
                        "(25.0%)"),
       "near chance: the Markdown gives no agreement and says why");
    if (!text || strstr(text, "agrees**")) diag("%s", text ? text : "(null)");
    free(text);

    c = (struct sekit_se_check){.top1 = 93.7, .chance = 10};
    sekit_se_check_judge(&c);
    ok(!c.inert && !c.near_chance, "freezing all not measured: no reason to overrule");
}

int main(void)
{
    input_dependence();
    measures();
    rules();
    se_check();
    return tap_done();
}
