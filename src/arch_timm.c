/*
 * arch_timm.c -- the block facts of timm's EfficientNet-builder models that weights cannot show:
 * each block's stride and activation, whether it has a residual, whether a depthwise-separable
 * block's 1x1 projection is activated, and its SE's inner activation and gate.
 *
 * Each model is timm's arch_def (timm/models/efficientnet.py, mobilenetv3.py, hardcorenas.py at
 * aa4b5850), written as timm's decode_arch_def reads it: stages separated by '|', rows by ' ',
 * a row's options by '_': its block type (ir InvertedResidual, ds DepthwiseSeparable, dsa the
 * same with an activated projection and no residual, er EdgeResidual, cn ConvBnAct), r repeats,
 * k kernel ("3.5.7": MixNet's split kernels), s the stage's stride (timm strides only a stage's
 * first block), n the activation (re relu, r6 relu6, hs hard swish, sw SiLU; else the model's),
 * se the SE ratio (its presence is what matters here: the widths come from the weights),
 * noskip / skip. Widths and expansion ratios (c, e, a, p) are in the weights and ignored.
 *
 * A file fits a model when its stages hold the same block types, kernels and SE placement,
 * stage for stage; a depth multiplier (mobilenetv3_large_150d, mixnet_xl) changes the repeats,
 * which fit when every row of the stage gives its blocks the same facts.
 */
#include "arch_zoo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum row_type { ROW_IR, ROW_DS, ROW_DSA, ROW_ER, ROW_CN };

struct timm_def {
    const char *names; /* the timm model names, space-separated (tf_ ports: the name after tf_) */
    enum sekit_family cls; /* EfficientNet class (conv_head, bn2) or MobileNetV3 (pool first) */
    enum sekit_act act;    /* the model's activation: stem, head and blocks without n */
    enum sekit_act gate;   /* the SE gate */
    int se_relu; /* the SE's inner activation is ReLU (force_act_layer), else the block's */
    int tf;      /* timm also has TensorFlow ports (tf_<name>: 'same' padding, eps 1e-3) */
    const char *def;
};

static const struct timm_def defs[] = {
    {"mobilenetv3_large_075 mobilenetv3_large_100 mobilenetv3_large_150d", SEKIT_FAMILY_MOBILENETV3,
     SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 1,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k3_s2_e4_c24_nre ir_r1_k3_s1_e3_c24_nre|"
     "ir_r3_k5_s2_e3_c40_se0.25_nre|ir_r1_k3_s2_e6_c80 ir_r1_k3_s1_e2.5_c80 ir_r2_k3_s1_e2.3_c80|"
     "ir_r2_k3_s1_e6_c112_se0.25|ir_r3_k5_s2_e6_c160_se0.25|cn_r1_k1_s1_c960"},
    {"mobilenetv3_small_050 mobilenetv3_small_075 mobilenetv3_small_100", SEKIT_FAMILY_MOBILENETV3,
     SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 1,
     "ds_r1_k3_s2_e1_c16_se0.25_nre|ir_r1_k3_s2_e4.5_c24_nre ir_r1_k3_s1_e3.67_c24_nre|"
     "ir_r1_k5_s2_e4_c40_se0.25 ir_r2_k5_s1_e6_c40_se0.25|ir_r2_k5_s1_e3_c48_se0.25|"
     "ir_r3_k5_s2_e6_c96_se0.25|cn_r1_k1_s1_c576"},
    {"semnasnet_050 semnasnet_075 semnasnet_100 semnasnet_140", SEKIT_FAMILY_EFFICIENTNET,
     SEKIT_ACT_RELU, SEKIT_ACT_SIGMOID, 0, 0,
     "ds_r1_k3_s1_e1_c16_noskip|ir_r2_k3_s2_e6_c24|ir_r3_k5_s2_e3_c40_se0.25|ir_r4_k3_s2_e6_c80|"
     "ir_r2_k3_s1_e6_c112_se0.25|ir_r3_k5_s2_e6_c160_se0.25|ir_r1_k3_s1_e6_c320"},
    {"mnasnet_small", SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_RELU, SEKIT_ACT_SIGMOID, 0, 0,
     "ds_r1_k3_s1_c8|ir_r1_k3_s2_e3_c16|ir_r2_k3_s2_e6_c16|ir_r4_k5_s2_e6_c32_se0.25|"
     "ir_r3_k3_s1_e6_c32_se0.25|ir_r3_k5_s2_e6_c88_se0.25|ir_r1_k3_s1_e6_c144"},
    {"lcnet_035 lcnet_050 lcnet_075 lcnet_100 lcnet_150", SEKIT_FAMILY_MOBILENETV3,
     SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "dsa_r1_k3_s1_c32|dsa_r2_k3_s2_c64|dsa_r2_k3_s2_c128|dsa_r1_k3_s2_c256 dsa_r1_k5_s1_c256|"
     "dsa_r4_k5_s1_c256|dsa_r2_k5_s2_c512_se0.25"},
    {"fbnetv3_b", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 0,
     "ds_r2_k3_s1_e1_c16|ir_r1_k5_s2_e4_c24 ir_r3_k5_s1_e2_c24|"
     "ir_r1_k5_s2_e5_c40_se0.25 ir_r4_k5_s1_e3_c40_se0.25|ir_r1_k5_s2_e5_c72 ir_r4_k3_s1_e3_c72|"
     "ir_r1_k3_s1_e5_c120_se0.25 ir_r5_k5_s1_e3_c120_se0.25|"
     "ir_r1_k3_s2_e6_c184_se0.25 ir_r5_k5_s1_e4_c184_se0.25 ir_r1_k5_s1_e6_c224_se0.25|"
     "cn_r1_k1_s1_c1344"},
    {"fbnetv3_d", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 0,
     "ds_r2_k3_s1_e1_c16|ir_r1_k3_s2_e5_c24 ir_r5_k3_s1_e2_c24|"
     "ir_r1_k5_s2_e4_c40_se0.25 ir_r4_k3_s1_e3_c40_se0.25|ir_r1_k3_s2_e5_c72 ir_r4_k3_s1_e3_c72|"
     "ir_r1_k3_s1_e5_c128_se0.25 ir_r6_k5_s1_e3_c128_se0.25|"
     "ir_r1_k3_s2_e6_c208_se0.25 ir_r5_k5_s1_e5_c208_se0.25 ir_r1_k5_s1_e6_c240_se0.25|"
     "cn_r1_k1_s1_c1440"},
    {"fbnetv3_g", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 0,
     "ds_r3_k3_s1_e1_c24|ir_r1_k5_s2_e4_c40 ir_r4_k5_s1_e2_c40|"
     "ir_r1_k5_s2_e4_c56_se0.25 ir_r4_k5_s1_e3_c56_se0.25|ir_r1_k5_s2_e5_c104 ir_r4_k3_s1_e3_c104|"
     "ir_r1_k3_s1_e5_c160_se0.25 ir_r8_k5_s1_e3_c160_se0.25|"
     "ir_r1_k3_s2_e6_c264_se0.25 ir_r6_k5_s1_e5_c264_se0.25 ir_r2_k5_s1_e6_c288_se0.25|"
     "cn_r1_k1_s1_c1728"},
    {"hardcorenas_a", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25|"
     "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e6_c40_nre_se0.25|"
     "ir_r1_k5_s2_e6_c80_se0.25 ir_r1_k5_s1_e6_c80_se0.25|"
     "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25|cn_r1_k1_s1_c960"},
    {"hardcorenas_b", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|"
     "ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25 ir_r1_k3_s1_e3_c24_nre|"
     "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e3_c40_nre ir_r1_k5_s1_e3_c40_nre|"
     "ir_r1_k5_s2_e3_c80 ir_r1_k5_s1_e3_c80 ir_r1_k3_s1_e3_c80 ir_r1_k3_s1_e3_c80|"
     "ir_r1_k5_s1_e3_c112 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k3_s1_e3_c192_se0.25|"
     "cn_r1_k1_s1_c960"},
    {"hardcorenas_c", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25|"
     "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e3_c40_nre ir_r1_k5_s1_e3_c40_nre ir_r1_k5_s1_e3_c40_nre|"
     "ir_r1_k5_s2_e4_c80 ir_r1_k5_s1_e6_c80_se0.25 ir_r1_k3_s1_e3_c80 ir_r1_k3_s1_e3_c80|"
     "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k3_s1_e3_c192_se0.25|"
     "cn_r1_k1_s1_c960"},
    {"hardcorenas_d", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
     "ir_r1_k5_s2_e3_c40_nre_se0.25 ir_r1_k5_s1_e4_c40_nre_se0.25 ir_r1_k3_s1_e3_c40_nre_se0.25|"
     "ir_r1_k5_s2_e4_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25 "
     "ir_r1_k3_s1_e3_c80_se0.25|"
     "ir_r1_k3_s1_e4_c112_se0.25 ir_r1_k5_s1_e4_c112_se0.25 ir_r1_k3_s1_e3_c112_se0.25 "
     "ir_r1_k5_s1_e3_c112_se0.25|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
     "ir_r1_k3_s1_e6_c192_se0.25|cn_r1_k1_s1_c960"},
    {"hardcorenas_e", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
     "ir_r1_k5_s2_e6_c40_nre_se0.25 ir_r1_k5_s1_e4_c40_nre_se0.25 ir_r1_k5_s1_e4_c40_nre_se0.25 "
     "ir_r1_k3_s1_e3_c40_nre_se0.25|ir_r1_k5_s2_e4_c80_se0.25 ir_r1_k3_s1_e6_c80_se0.25|"
     "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 "
     "ir_r1_k5_s1_e3_c112_se0.25|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
     "ir_r1_k3_s1_e6_c192_se0.25|cn_r1_k1_s1_c960"},
    {"hardcorenas_f", SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 0,
     "ds_r1_k3_s1_e1_c16_nre|ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
     "ir_r1_k5_s2_e6_c40_nre_se0.25 ir_r1_k5_s1_e6_c40_nre_se0.25|"
     "ir_r1_k5_s2_e6_c80_se0.25 ir_r1_k5_s1_e6_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25 "
     "ir_r1_k3_s1_e3_c80_se0.25|"
     "ir_r1_k3_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 "
     "ir_r1_k3_s1_e3_c112_se0.25|"
     "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k3_s1_e6_c192_se0.25 "
     "ir_r1_k3_s1_e6_c192_se0.25|cn_r1_k1_s1_c960"},
    {"mixnet_s", SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_RELU, SEKIT_ACT_SIGMOID, 0, 1,
     "ds_r1_k3_s1_e1_c16|ir_r1_k3_a1.1_p1.1_s2_e6_c24 ir_r1_k3_a1.1_p1.1_s1_e3_c24|"
     "ir_r1_k3.5.7_s2_e6_c40_se0.5_nsw ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw|"
     "ir_r1_k3.5.7_p1.1_s2_e6_c80_se0.25_nsw ir_r2_k3.5_p1.1_s1_e6_c80_se0.25_nsw|"
     "ir_r1_k3.5.7_a1.1_p1.1_s1_e6_c120_se0.5_nsw ir_r2_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw|"
     "ir_r1_k3.5.7.9.11_s2_e6_c200_se0.5_nsw ir_r2_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"},
    {"mixnet_m mixnet_l mixnet_xl mixnet_xxl", SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_RELU,
     SEKIT_ACT_SIGMOID, 0, 1,
     "ds_r1_k3_s1_e1_c24|ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c32 ir_r1_k3_a1.1_p1.1_s1_e3_c32|"
     "ir_r1_k3.5.7.9_s2_e6_c40_se0.5_nsw ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw|"
     "ir_r1_k3.5.7_s2_e6_c80_se0.25_nsw ir_r3_k3.5.7.9_a1.1_p1.1_s1_e6_c80_se0.25_nsw|"
     "ir_r1_k3_s1_e6_c120_se0.5_nsw ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw|"
     "ir_r1_k3.5.7.9_s2_e6_c200_se0.5_nsw ir_r3_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"},
};
enum { NDEFS = sizeof defs / sizeof defs[0] };

struct row {
    enum row_type type;
    int r, s, se, noskip, skip, nk, k[SEKIT_MAX_SPLIT];
    enum sekit_act act; /* SEKIT_ACT_NONE: the model's */
};

/* Row text [p, end) into *w: 0, or -1 on text this reader does not know (a bug in the table). */
static int parse_row(const char *p, const char *end, struct row *w)
{
    memset(w, 0, sizeof *w);
    char buf[96];
    const size_t len = (size_t)(end - p);
    SEKIT_ASSERT(len < sizeof buf);
    memcpy(buf, p, len);
    buf[len] = 0;
    char *save = NULL, *op = strtok_r(buf, "_", &save);
    static const char *const types[] = {"ir", "ds", "dsa", "er", "cn"};
    int t = -1;
    for (int i = 0; op && i < 5; i++)
        if (!strcmp(op, types[i])) t = i;
    if (t < 0) return -1;
    w->type = (enum row_type)t;
    while ((op = strtok_r(NULL, "_", &save))) {
        if (!strcmp(op, "noskip")) {
            w->noskip = 1;
        } else if (!strcmp(op, "skip")) {
            w->skip = 1;
        } else if (!strncmp(op, "se", 2)) {
            w->se = 1;
        } else if (op[0] == 'n') {
            static const char *const n[] = {"nre", "nr6", "nhs", "nsw"};
            static const enum sekit_act act[] = {SEKIT_ACT_RELU, SEKIT_ACT_RELU6,
                                                 SEKIT_ACT_HARDSWISH, SEKIT_ACT_SILU};
            for (int i = 0; i < 4; i++)
                if (!strcmp(op, n[i])) w->act = act[i];
            if (w->act == SEKIT_ACT_NONE) return -1;
        } else if (op[0] == 'r') {
            w->r = atoi(op + 1);
        } else if (op[0] == 's') {
            w->s = atoi(op + 1);
        } else if (op[0] == 'k') {
            for (const char *q = op + 1; *q && w->nk < SEKIT_MAX_SPLIT; q = strchr(q, '.') + 1) {
                w->k[w->nk++] = atoi(q);
                if (!strchr(q, '.')) break;
            }
        }
    }
    return w->r > 0 && (w->s == 1 || w->s == 2) && w->nk > 0 ? 0 : -1;
}

/* The rows of stage `stage` of d into w (at most max); their count, or -1 past the last stage. */
static int stage_rows(const struct timm_def *d, int stage, struct row *w, int max)
{
    const char *p = d->def;
    for (int s = 0; s < stage; s++) {
        p = strchr(p, '|');
        if (!p) return -1;
        p++;
    }
    const char *stop = strchr(p, '|');
    if (!stop) stop = p + strlen(p);
    int n = 0;
    while (p < stop && n < max) {
        const char *sp = memchr(p, ' ', (size_t)(stop - p));
        const char *end = sp ? sp : stop;
        SEKIT_ASSERT(parse_row(p, end, &w[n]) == 0);
        n++;
        p = end + (sp != NULL);
    }
    return n;
}

/* Block b is what row w builds: its type, kernels and SE presence. */
static int row_fits(const struct sekit_net_block *b, const struct row *w)
{
    const int mb = b->kind == SEKIT_NB_MBCONV, fused = b->kind == SEKIT_NB_FUSED;
    int type_ok = 0;
    switch (w->type) {
    case ROW_IR:
        type_ok = mb && b->expand;
        break;
    case ROW_DS:
    case ROW_DSA:
        type_ok = mb && !b->expand;
        break;
    case ROW_ER:
        type_ok = fused && b->expand;
        break;
    case ROW_CN:
        type_ok = fused && !b->expand;
        break;
    }
    if (!type_ok || (w->se != 0) != (b->se_reduced > 0)) return 0;
    const int nk = b->nsplit > 1 ? b->nsplit : 1;
    if (nk != w->nk) return 0;
    for (int j = 0; j < nk; j++)
        if ((nk > 1 ? b->split_k[j] : b->k) != w->k[j]) return 0;
    return 1;
}

/* Two rows give their blocks the same facts (but for the stride of a stage's first). */
static int same_facts(const struct row *x, const struct row *y)
{
    if (x->type != y->type || x->se != y->se || x->noskip != y->noskip || x->skip != y->skip ||
        x->act != y->act || x->nk != y->nk)
        return 0;
    for (int j = 0; j < x->nk; j++)
        if (x->k[j] != y->k[j]) return 0;
    return 1;
}

/* The row of every block of a under d (rows[i] for a->net[i]): 1 when a fits d, else 0. */
static int fit_rows(const struct sekit_arch *a, const struct timm_def *d, struct row *rows)
{
    if (a->family != d->cls || a->layout != SEKIT_LAYOUT_TIMM_ZOO) return 0;
    int i = 0;
    for (int s = 0;; s++) {
        struct row w[8];
        const int nr = stage_rows(d, s, w, 8);
        int n = 0;
        while (i + n < a->nnet && a->net[i + n].up_stage == s)
            n++;
        if (nr < 0) return i == a->nnet;
        if (n == 0) return 0;
        int total = 0, uniform = 1;
        for (int r = 0; r < nr; r++) {
            total += w[r].r;
            uniform &= same_facts(&w[r], &w[0]);
        }
        if (total != n && !uniform) return 0;
        for (int j = 0, r = 0, left = w[0].r; j < n; j++) {
            rows[i + j] = total == n ? w[r] : w[0];
            if (total == n && --left == 0 && r + 1 < nr) left = w[++r].r;
            if (!row_fits(&a->net[i + j], &rows[i + j])) return 0;
        }
        rows[i].s = w[0].s;
        for (int j = 1; j < n; j++)
            rows[i + j].s = 1;
        i += n;
    }
}

/* The facts of rows (from fit_rows) and d onto a. */
static void apply(struct sekit_arch *a, const struct timm_def *d, const struct row *rows)
{
    for (int i = 0; i < a->nnet; i++) {
        struct sekit_net_block *b = &a->net[i];
        const struct row *w = &rows[i];
        b->stride = w->s;
        b->act = w->act ? w->act : d->act;
        b->pw_act = w->type == ROW_DSA;
        b->noskip = w->noskip || w->type == ROW_DSA || (w->type == ROW_CN && !w->skip);
        b->se_act = d->se_relu ? SEKIT_ACT_RELU : b->act;
        b->gate = d->gate;
    }
    a->stem_act = d->act;
    a->head_act = d->act;
}

/* d's entry for model name (tf_ ports by the name after tf_; a pretrained tag after '.' is
 * dropped), or NULL. */
static const struct timm_def *find_def(const char *name)
{
    const int tf = !strncmp(name, "tf_", 3);
    if (tf) name += 3;
    const size_t len = strcspn(name, ".");
    for (int i = 0; i < NDEFS; i++)
        for (const char *p = defs[i].names; *p;) {
            const size_t l = strcspn(p, " ");
            if (l == len && !strncmp(p, name, len)) return !tf || defs[i].tf ? &defs[i] : NULL;
            p += l + (p[l] == ' ');
        }
    return NULL;
}

int sekit_timm_claim(struct sekit_arch *a, const char *name, const char *path, const char *what,
                     struct sekit_err *e)
{
    const struct timm_def *d = find_def(name);
    if (!d) return 1;
    struct row *rows = calloc((size_t)a->nnet + 1, sizeof *rows);
    if (!rows) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    const int fits = fit_rows(a, d, rows);
    if (fits) apply(a, d, rows);
    free(rows);
    if (!fits) {
        char list[512];
        sekit_timm_fits(a, list, sizeof list);
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: %s does not fit the weights: its blocks' types, kernels or SE "
                          "placement differ (these blocks fit %s)",
                          path, what, list);
    }
    return SEKIT_OK;
}

int sekit_timm_fits(const struct sekit_arch *a, char *list, size_t n)
{
    struct row *rows = calloc((size_t)a->nnet + 1, sizeof *rows);
    int count = 0;
    size_t at = 0;
    list[0] = 0;
    for (int i = 0; rows && i < NDEFS; i++)
        if (fit_rows(a, &defs[i], rows)) {
            for (const char *p = defs[i].names; *p;) {
                const int l = (int)strcspn(p, " ");
                at += (size_t)snprintf(list + (at < n ? at : n), at < n ? n - at : 0, "%s%.*s",
                                       count ? ", " : "", l, p);
                count++;
                p += l + (p[l] == ' ');
            }
        }
    free(rows);
    if (!count)
        snprintf(list, n, "no timm model sekit knows");
    else if (at >= n && n > 4)
        strcpy(list + n - 4, "...");
    return count;
}

int sekit_timm_tf_twin(const struct sekit_arch *a)
{
    struct row *rows = calloc((size_t)a->nnet + 1, sizeof *rows);
    int fits = 0, twin = 0;
    for (int i = 0; rows && i < NDEFS; i++)
        if (fit_rows(a, &defs[i], rows)) fits = 1, twin |= defs[i].tf;
    free(rows);
    return !fits || twin;
}

void sekit_timm_infer(struct sekit_arch *a)
{
    struct row *rows = calloc((size_t)a->nnet + 1, sizeof *rows),
               *other = calloc((size_t)a->nnet + 1, sizeof *other);
    int found = -1, agree = 1;
    for (int i = 0; rows && other && i < NDEFS && agree; i++) {
        if (!fit_rows(a, &defs[i], found < 0 ? rows : other)) continue;
        if (found < 0) {
            found = i;
            continue;
        }
        /* a second fit: unambiguous only when it gives every block the same facts */
        agree = defs[i].act == defs[found].act && defs[i].gate == defs[found].gate &&
                defs[i].se_relu == defs[found].se_relu;
        for (int j = 0; agree && j < a->nnet; j++)
            agree = same_facts(&rows[j], &other[j]) && rows[j].s == other[j].s;
    }
    if (found >= 0 && agree) apply(a, &defs[found], rows);
    free(rows);
    free(other);
}

/* ---------------------------------------------------------------------------------------- */
/* timm's ReXNet, GhostNet and ByobNet SE models by name: their widths as timm's model code
 * computes them */

static void timm_common(struct sekit_arch *a, const char *name, enum sekit_family f)
{
    sekit_zoo_common(a, name, f, 1e-5);
    a->layout = SEKIT_LAYOUT_TIMM_ZOO;
}

/* timm/models/rexnet.py, _block_cfg and _build_blocks at depth 1: 16 blocks in stages of 1, 2,
 * 2, 3, 3, 5 striding 1, 2, 2, 2, 1, 2; output widths stepping by 180/16 from 16 (16 / w below
 * width 1), scaled by w and rounded (Python's round: half to even); expansion 6 but in the
 * first; SE (ratio 1/12, BatchNorm inside) from the fourth block. */
static void rexnet_build(struct sekit_arch *a, double w, int div)
{
    static const int layers[6] = {1, 2, 2, 3, 3, 5}, strides[6] = {1, 2, 2, 2, 1, 2};
    a->stem_act = a->head_act = SEKIT_ACT_SILU;
    int in = a->stem_width = sekit_zoo_divisible(nearbyint((w < 1 ? 32 / w : 32) * w), div);
    double base = w < 1 ? 16 / w : 16;
    for (int s = 0, i = 0; s < 6; s++)
        for (int r = 0; r < layers[s]; r++, i++) {
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->kind = SEKIT_NB_MBCONV;
            b->in_c = in;
            b->out_c = sekit_zoo_divisible(nearbyint(base * w), div);
            base += 180.0 / 16;
            b->expand = i > 0;
            b->mid = b->expand ? sekit_zoo_divisible(nearbyint(in * 6.0), div) : in;
            b->k = 3;
            b->stride = r == 0 ? strides[s] : 1;
            b->groups = b->mid;
            b->act = SEKIT_ACT_SILU;
            b->se_reduced = i >= 3 ? sekit_zoo_divisible((int)(b->mid * (1.0 / 12)), div) : 0;
            b->se_act = SEKIT_ACT_RELU;
            b->gate = SEKIT_ACT_SIGMOID;
            b->up_stage = i;
            in = b->out_c;
        }
    a->head_width = sekit_zoo_divisible(1280 * w, div);
}

/* timm/models/ghostnet.py (v1): the cfgs of _create_ghostnet, each row kernel, expanded width,
 * output width, SE ratio, stride, grouped into the stages blocks.<s>; widths scaled by w and
 * made divisible by 4; the last stage a 1x1 ConvBnAct to 960 w, then conv_head 1280. */
static void ghostnet_build(struct sekit_arch *a, double w)
{
    static const struct {
        int k, exp, c;
        double se;
        int s, stage;
    } cfg[16] = {{3, 16, 16, 0, 1, 0},      {3, 48, 24, 0, 2, 1},      {3, 72, 24, 0, 1, 2},
                 {5, 72, 40, 0.25, 2, 3},   {5, 120, 40, 0.25, 1, 4},  {3, 240, 80, 0, 2, 5},
                 {3, 200, 80, 0, 1, 6},     {3, 184, 80, 0, 1, 6},     {3, 184, 80, 0, 1, 6},
                 {3, 480, 112, 0.25, 1, 6}, {3, 672, 112, 0.25, 1, 6}, {5, 672, 160, 0.25, 2, 7},
                 {5, 960, 160, 0, 1, 8},    {5, 960, 160, 0.25, 1, 8}, {5, 960, 160, 0, 1, 8},
                 {5, 960, 160, 0.25, 1, 8}};
    a->stem_act = a->head_act = SEKIT_ACT_RELU;
    int in = a->stem_width = sekit_zoo_divisible(16 * w, 4);
    for (int i = 0; i < 16; i++) {
        struct sekit_net_block *b = sekit_zoo_add_block(a);
        b->kind = SEKIT_NB_GHOST;
        b->in_c = in;
        b->mid = sekit_zoo_divisible(cfg[i].exp * w, 4);
        b->out_c = sekit_zoo_divisible(cfg[i].c * w, 4);
        b->stride = cfg[i].s;
        b->groups = 1;
        b->projection = in != b->out_c || b->stride != 1;
        /* the kernel of its depthwise convs (conv_dw, the shortcut's): a block with neither
         * has no use for one, and says 3 as inference from its weights does */
        b->k = b->stride > 1 || b->projection ? cfg[i].k : 3;
        b->act = b->se_act = SEKIT_ACT_RELU;
        b->gate = SEKIT_ACT_HARDSIGMOID;
        b->se_reduced = cfg[i].se > 0 ? sekit_zoo_divisible(b->mid * cfg[i].se, 4) : 0;
        b->up_stage = cfg[i].stage;
        b->up_index = i > 0 && cfg[i - 1].stage == cfg[i].stage ? b[-1].up_index + 1 : 0;
        in = b->out_c;
    }
    a->head_width = sekit_zoo_divisible(960 * w, 4);
    a->head_hidden = 1280;
    a->head_bias = 1;
}

/* timm/models/byobnet.py's seresnet33ts (pool 0, final conv 1280) and seresnext26ts (pool 1,
 * group size 32, no final conv): a tiered stem 24-32-64, four stages of bottlenecks (middle
 * width make_sekit_zoo_divisible(c / 4)), SE with ratio 1/16 rounded to a multiple of 8
 * (round_limit 0: never up), SiLU. */
static void byob_build(struct sekit_arch *a, int next)
{
    static const int c33[4] = {256, 512, 1536, 1536}, d33[4] = {2, 3, 3, 2},
                     c26[4] = {256, 512, 1024, 2048}, d26[4] = {2, 2, 2, 2};
    const int *c = next ? c26 : c33, *d = next ? d26 : d33, gs = next ? 32 : 0;
    a->stem_act = a->head_act = SEKIT_ACT_SILU;
    a->stem_chs[0] = 24, a->stem_chs[1] = 32;
    a->stem_pool = next;
    int in = a->stem_width = 64;
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < d[s]; i++) {
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->kind = SEKIT_NB_BOTTLENECK;
            b->in_c = in;
            b->out_c = c[s];
            b->mid = sekit_zoo_divisible(c[s] * 0.25, 8);
            b->k = 3;
            b->stride = s > 0 && i == 0 ? 2 : 1;
            b->groups = gs ? b->mid / gs : 1;
            b->projection = in != b->out_c || b->stride != 1;
            b->act = SEKIT_ACT_SILU;
            b->se_act = SEKIT_ACT_RELU;
            b->gate = SEKIT_ACT_SIGMOID;
            const int rd = (int)(b->mid / 16.0 + 4) / 8 * 8;
            b->se_reduced = rd < 8 ? 8 : rd;
            b->up_stage = s;
            b->up_index = i;
            in = b->out_c;
        }
    a->head_width = next ? 0 : 1280;
}

static const struct {
    const char *name;
    enum sekit_family f;
    double w;
    int div;
} named[] = {{"seresnet33ts", SEKIT_FAMILY_BYOBNET, 0, 0},
             {"seresnext26ts", SEKIT_FAMILY_BYOBNET, 1, 0},
             {"rexnet_100", SEKIT_FAMILY_REXNET, 1.0, 1},
             {"rexnet_130", SEKIT_FAMILY_REXNET, 1.3, 1},
             {"rexnet_150", SEKIT_FAMILY_REXNET, 1.5, 1},
             {"rexnet_200", SEKIT_FAMILY_REXNET, 2.0, 1},
             {"rexnet_300", SEKIT_FAMILY_REXNET, 3.0, 1},
             {"rexnetr_100", SEKIT_FAMILY_REXNET, 1.0, 8},
             {"rexnetr_130", SEKIT_FAMILY_REXNET, 1.3, 8},
             {"rexnetr_150", SEKIT_FAMILY_REXNET, 1.5, 8},
             {"rexnetr_200", SEKIT_FAMILY_REXNET, 2.0, 8},
             {"rexnetr_300", SEKIT_FAMILY_REXNET, 3.0, 16},
             {"ghostnet_050", SEKIT_FAMILY_GHOSTNET, 0.5, 4},
             {"ghostnet_100", SEKIT_FAMILY_GHOSTNET, 1.0, 4},
             {"ghostnet_130", SEKIT_FAMILY_GHOSTNET, 1.3, 4}};
enum { NNAMED = sizeof named / sizeof named[0] };

int sekit_timm_preset(struct sekit_arch *a, const char *name)
{
    for (int i = 0; i < NNAMED; i++) {
        if (strcmp(name, named[i].name)) continue;
        timm_common(a, name, named[i].f);
        if (named[i].f == SEKIT_FAMILY_REXNET)
            rexnet_build(a, named[i].w, named[i].div);
        else if (named[i].f == SEKIT_FAMILY_BYOBNET)
            byob_build(a, named[i].w > 0);
        else
            ghostnet_build(a, named[i].w);
        return 1;
    }
    return 0;
}

const char *sekit_timm_preset_name(int i)
{
    return i >= 0 && i < NNAMED ? named[i].name : NULL;
}
