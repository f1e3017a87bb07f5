/*
 * arch_timm.c -- timm's models sekit knows by name, and the block facts of timm's EfficientNet-
 * builder models that weights cannot show.
 *
 * The EfficientNet builder (timm/models/efficientnet.py, mobilenetv3.py, hardcorenas.py at
 * aa4b5850): each generator's arch_def, written as timm's decode_arch_def reads it: stages
 * separated by '|', rows by ' ', a row's options by '_': its block type (ir InvertedResidual, ds
 * DepthwiseSeparable, dsa the same with an activated projection and no residual, er EdgeResidual,
 * cn ConvBnAct), r repeats, k kernel ("3.5.7": MixNet's split kernels), a and p the split of the
 * 1x1 expansion and projection ("1.1": two groups), s the stage's stride (timm strides only a
 * stage's first block), e expansion ratio, c output width, n the activation (re relu, r6 relu6,
 * hs hard swish, sw SiLU; else the model's), se the SE ratio, noskip / skip.
 *
 * Two uses. A file's blocks fit a generator when its stages hold the same block types, kernels
 * and SE placement stage for stage, each stage's rows repeated as timm's depth scaling spreads
 * the stage's block count over them; the generator then gives every block its stride,
 * activation, residual, activated projection and SE inner activation and gate. And every model
 * of `models` is built by name, its widths, depths, SE widths, stem and head as the generator
 * and timm's EfficientNet or MobileNetV3 class compute them from the model's multipliers.
 */
#include "arch_zoo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum row_type { ROW_IR, ROW_DS, ROW_DSA, ROW_ER, ROW_CN };

/* How a generator's stem and head widths follow its channel multiplier m: scaled as the blocks'
 * widths, fixed, fixed when m < 0.75 (MobileNetV3), or the larger of the width and its scaled
 * value (tinynet); how its SE widths are rounded: Python's round, make_divisible(x, 8), or the
 * generator's own round_channels (multiplier and round_limit; FBNetV3) */
enum width_rule { W_SCALED, W_FIXED, W_FIXED_BELOW_075, W_AT_LEAST };
enum se_round { SE_ROUND, SE_DIVISIBLE, SE_CHANNELS };

struct timm_def {
    enum sekit_family cls; /* EfficientNet class (conv_head, bn2) or MobileNetV3 (pool first) */
    enum sekit_act act;    /* the model's activation: stem, head and blocks without n */
    enum sekit_act gate;   /* the SE gate */
    int se_relu; /* the SE's inner activation is ReLU (force_act_layer), else the block's */
    int stem, head; /* base widths of the stem and of conv_head */
    enum width_rule stem_rule, head_rule;
    int head_bias;      /* MobileNetV3 class: conv_head has a bias */
    double round_limit; /* round_channels' round_limit */
    int depth_round;    /* depth_trunc 'round' (else 'ceil') */
    int se_from_exp;    /* SE ratio of the expanded width (else divided by e) */
    enum se_round se_round;
    const char *def;
};

#define EFFNET_DEF                                                                                 \
    "ds_r1_k3_s1_e1_c16_se0.25|ir_r2_k3_s2_e6_c24_se0.25|ir_r2_k5_s2_e6_c40_se0.25|"               \
    "ir_r3_k3_s2_e6_c80_se0.25|ir_r3_k5_s1_e6_c112_se0.25|ir_r4_k5_s2_e6_c192_se0.25|"             \
    "ir_r1_k3_s1_e6_c320_se0.25"
#define EFFNETV2_S_DEF(first, last)                                                                \
    first "|er_r4_k3_s2_e4_c48|er_r4_k3_s2_e4_c64|ir_r6_k3_s2_e4_c128_se0.25|"                     \
          "ir_r9_k3_s1_e6_c160_se0.25|ir_r15_k3_s2_e6_c" last "_se0.25"

enum {
    D_MNV3_LARGE,
    D_MNV3_SMALL,
    D_MNV3_RW,
    D_SEMNASNET,
    D_MNASNET_SMALL,
    D_LCNET,
    D_FBNETV3_B,
    D_FBNETV3_D,
    D_FBNETV3_G,
    D_HCN_A,
    D_HCN_B,
    D_HCN_C,
    D_HCN_D,
    D_HCN_E,
    D_HCN_F,
    D_MIXNET_S,
    D_MIXNET_M,
    D_EFFNET,
    D_TINYNET,
    D_EFFV2_BASE,
    D_EFFV2_S,
    D_EFFV2_RW_S,
    D_EFFV2_M,
    D_EFFV2_L,
    D_EFFV2_XL,
    NDEFS
};

/* the EfficientNet class's SE: Python's round of the block input's share; its default width
 * rules, and the MobileNetV3 class's */
#define EFF(act, stem, head, head_rule)                                                            \
    SEKIT_FAMILY_EFFICIENTNET, act, SEKIT_ACT_SIGMOID, 0, stem, head, W_SCALED, head_rule, 0, 0.9, \
        0, 0, SE_ROUND
#define MNV3(se_relu, stem, head, head_bias, se_round)                                             \
    SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, se_relu, stem, head,     \
        W_SCALED, W_FIXED, head_bias, 0.9, 0, 1, se_round
#define HCN(def)                                                                                   \
    {                                                                                              \
        MNV3(1, 32, 1280, 1, SE_DIVISIBLE), "ds_r1_k3_s1_e1_c16_nre|" def "|cn_r1_k1_s1_c960"      \
    }

static const struct timm_def defs[NDEFS] = {
    [D_MNV3_LARGE] = {SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 16,
                      1280, W_FIXED_BELOW_075, W_FIXED, 1, 0.9, 0, 1, SE_DIVISIBLE,
                      "ds_r1_k3_s1_e1_c16_nre|ir_r1_k3_s2_e4_c24_nre ir_r1_k3_s1_e3_c24_nre|"
                      "ir_r3_k5_s2_e3_c40_se0.25_nre|"
                      "ir_r1_k3_s2_e6_c80 ir_r1_k3_s1_e2.5_c80 ir_r2_k3_s1_e2.3_c80|"
                      "ir_r2_k3_s1_e6_c112_se0.25|ir_r3_k5_s2_e6_c160_se0.25|cn_r1_k1_s1_c960"},
    [D_MNV3_SMALL] = {SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 1, 16,
                      1024, W_FIXED_BELOW_075, W_FIXED, 1, 0.9, 0, 1, SE_DIVISIBLE,
                      "ds_r1_k3_s2_e1_c16_se0.25_nre|"
                      "ir_r1_k3_s2_e4.5_c24_nre ir_r1_k3_s1_e3.67_c24_nre|"
                      "ir_r1_k5_s2_e4_c40_se0.25 ir_r2_k5_s1_e6_c40_se0.25|"
                      "ir_r2_k5_s1_e3_c48_se0.25|ir_r3_k5_s2_e6_c96_se0.25|cn_r1_k1_s1_c576"},
    /* the SE of timm's own MobileNetV3: the block's activation inside, Python's round */
    [D_MNV3_RW] = {MNV3(0, 16, 1280, 0, SE_ROUND),
                   "ds_r1_k3_s1_e1_c16_nre_noskip|ir_r1_k3_s2_e4_c24_nre ir_r1_k3_s1_e3_c24_nre|"
                   "ir_r3_k5_s2_e3_c40_se0.25_nre|"
                   "ir_r1_k3_s2_e6_c80 ir_r1_k3_s1_e2.5_c80 ir_r2_k3_s1_e2.3_c80|"
                   "ir_r2_k3_s1_e6_c112_se0.25|ir_r3_k5_s2_e6_c160_se0.25|cn_r1_k1_s1_c960"},
    [D_SEMNASNET] = {EFF(SEKIT_ACT_RELU, 32, 1280, W_FIXED),
                     "ds_r1_k3_s1_e1_c16_noskip|ir_r2_k3_s2_e6_c24|ir_r3_k5_s2_e3_c40_se0.25|"
                     "ir_r4_k3_s2_e6_c80|ir_r2_k3_s1_e6_c112_se0.25|ir_r3_k5_s2_e6_c160_se0.25|"
                     "ir_r1_k3_s1_e6_c320"},
    [D_MNASNET_SMALL] = {EFF(SEKIT_ACT_RELU, 8, 1280, W_FIXED),
                         "ds_r1_k3_s1_c8|ir_r1_k3_s2_e3_c16|ir_r2_k3_s2_e6_c16|"
                         "ir_r4_k5_s2_e6_c32_se0.25|ir_r3_k3_s1_e6_c32_se0.25|"
                         "ir_r3_k5_s2_e6_c88_se0.25|ir_r1_k3_s1_e6_c144"},
    [D_LCNET] = {MNV3(1, 16, 1280, 1, SE_ROUND),
                 "dsa_r1_k3_s1_c32|dsa_r2_k3_s2_c64|dsa_r2_k3_s2_c128|"
                 "dsa_r1_k3_s2_c256 dsa_r1_k5_s1_c256|dsa_r4_k5_s1_c256|dsa_r2_k5_s2_c512_se0.25"},
    /* FBNetV3: round_channels with round_limit 0.95 for the widths and the SE, which is
     * reduced from the block input */
    [D_FBNETV3_B] = {SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 16,
                     1984, W_SCALED, W_FIXED, 0, 0.95, 0, 0, SE_CHANNELS,
                     "ds_r2_k3_s1_e1_c16|ir_r1_k5_s2_e4_c24 ir_r3_k5_s1_e2_c24|"
                     "ir_r1_k5_s2_e5_c40_se0.25 ir_r4_k5_s1_e3_c40_se0.25|"
                     "ir_r1_k5_s2_e5_c72 ir_r4_k3_s1_e3_c72|"
                     "ir_r1_k3_s1_e5_c120_se0.25 ir_r5_k5_s1_e3_c120_se0.25|"
                     "ir_r1_k3_s2_e6_c184_se0.25 ir_r5_k5_s1_e4_c184_se0.25 "
                     "ir_r1_k5_s1_e6_c224_se0.25|cn_r1_k1_s1_c1344"},
    [D_FBNETV3_D] = {SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 24,
                     1984, W_SCALED, W_FIXED, 0, 0.95, 0, 0, SE_CHANNELS,
                     "ds_r2_k3_s1_e1_c16|ir_r1_k3_s2_e5_c24 ir_r5_k3_s1_e2_c24|"
                     "ir_r1_k5_s2_e4_c40_se0.25 ir_r4_k3_s1_e3_c40_se0.25|"
                     "ir_r1_k3_s2_e5_c72 ir_r4_k3_s1_e3_c72|"
                     "ir_r1_k3_s1_e5_c128_se0.25 ir_r6_k5_s1_e3_c128_se0.25|"
                     "ir_r1_k3_s2_e6_c208_se0.25 ir_r5_k5_s1_e5_c208_se0.25 "
                     "ir_r1_k5_s1_e6_c240_se0.25|cn_r1_k1_s1_c1440"},
    [D_FBNETV3_G] = {SEKIT_FAMILY_MOBILENETV3, SEKIT_ACT_HARDSWISH, SEKIT_ACT_HARDSIGMOID, 0, 32,
                     1984, W_SCALED, W_FIXED, 0, 0.95, 0, 0, SE_CHANNELS,
                     "ds_r3_k3_s1_e1_c24|ir_r1_k5_s2_e4_c40 ir_r4_k5_s1_e2_c40|"
                     "ir_r1_k5_s2_e4_c56_se0.25 ir_r4_k5_s1_e3_c56_se0.25|"
                     "ir_r1_k5_s2_e5_c104 ir_r4_k3_s1_e3_c104|"
                     "ir_r1_k3_s1_e5_c160_se0.25 ir_r8_k5_s1_e3_c160_se0.25|"
                     "ir_r1_k3_s2_e6_c264_se0.25 ir_r6_k5_s1_e5_c264_se0.25 "
                     "ir_r2_k5_s1_e6_c288_se0.25|cn_r1_k1_s1_c1728"},
    [D_HCN_A] = HCN("ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25|"
                    "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e6_c40_nre_se0.25|"
                    "ir_r1_k5_s2_e6_c80_se0.25 ir_r1_k5_s1_e6_c80_se0.25|"
                    "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25"),
    [D_HCN_B] = HCN("ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25 ir_r1_k3_s1_e3_c24_nre|"
                    "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e3_c40_nre ir_r1_k5_s1_e3_c40_nre|"
                    "ir_r1_k5_s2_e3_c80 ir_r1_k5_s1_e3_c80 ir_r1_k3_s1_e3_c80 ir_r1_k3_s1_e3_c80|"
                    "ir_r1_k5_s1_e3_c112 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112 "
                    "ir_r1_k3_s1_e3_c112|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
                    "ir_r1_k3_s1_e3_c192_se0.25"),
    [D_HCN_C] = HCN("ir_r1_k5_s2_e3_c24_nre ir_r1_k5_s1_e3_c24_nre_se0.25|"
                    "ir_r1_k5_s2_e3_c40_nre ir_r1_k5_s1_e3_c40_nre ir_r1_k5_s1_e3_c40_nre "
                    "ir_r1_k5_s1_e3_c40_nre|"
                    "ir_r1_k5_s2_e4_c80 ir_r1_k5_s1_e6_c80_se0.25 ir_r1_k3_s1_e3_c80 "
                    "ir_r1_k3_s1_e3_c80|"
                    "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k3_s1_e3_c112 ir_r1_k3_s1_e3_c112 "
                    "ir_r1_k3_s1_e3_c112|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
                    "ir_r1_k3_s1_e3_c192_se0.25"),
    [D_HCN_D] = HCN("ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
                    "ir_r1_k5_s2_e3_c40_nre_se0.25 ir_r1_k5_s1_e4_c40_nre_se0.25 "
                    "ir_r1_k3_s1_e3_c40_nre_se0.25|"
                    "ir_r1_k5_s2_e4_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25 "
                    "ir_r1_k3_s1_e3_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25|"
                    "ir_r1_k3_s1_e4_c112_se0.25 ir_r1_k5_s1_e4_c112_se0.25 "
                    "ir_r1_k3_s1_e3_c112_se0.25 ir_r1_k5_s1_e3_c112_se0.25|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
                    "ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k3_s1_e6_c192_se0.25"),
    [D_HCN_E] = HCN("ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
                    "ir_r1_k5_s2_e6_c40_nre_se0.25 ir_r1_k5_s1_e4_c40_nre_se0.25 "
                    "ir_r1_k5_s1_e4_c40_nre_se0.25 ir_r1_k3_s1_e3_c40_nre_se0.25|"
                    "ir_r1_k5_s2_e4_c80_se0.25 ir_r1_k3_s1_e6_c80_se0.25|"
                    "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 "
                    "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k5_s1_e3_c112_se0.25|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
                    "ir_r1_k5_s1_e6_c192_se0.25 ir_r1_k3_s1_e6_c192_se0.25"),
    [D_HCN_F] = HCN("ir_r1_k5_s2_e3_c24_nre_se0.25 ir_r1_k5_s1_e3_c24_nre_se0.25|"
                    "ir_r1_k5_s2_e6_c40_nre_se0.25 ir_r1_k5_s1_e6_c40_nre_se0.25|"
                    "ir_r1_k5_s2_e6_c80_se0.25 ir_r1_k5_s1_e6_c80_se0.25 "
                    "ir_r1_k3_s1_e3_c80_se0.25 ir_r1_k3_s1_e3_c80_se0.25|"
                    "ir_r1_k3_s1_e6_c112_se0.25 ir_r1_k5_s1_e6_c112_se0.25 "
                    "ir_r1_k5_s1_e6_c112_se0.25 ir_r1_k3_s1_e3_c112_se0.25|"
                    "ir_r1_k5_s2_e6_c192_se0.25 ir_r1_k5_s1_e6_c192_se0.25 "
                    "ir_r1_k3_s1_e6_c192_se0.25 ir_r1_k3_s1_e6_c192_se0.25"),
    [D_MIXNET_S] = {EFF(SEKIT_ACT_RELU, 16, 1536, W_FIXED),
                    "ds_r1_k3_s1_e1_c16|ir_r1_k3_a1.1_p1.1_s2_e6_c24 ir_r1_k3_a1.1_p1.1_s1_e3_c24|"
                    "ir_r1_k3.5.7_s2_e6_c40_se0.5_nsw ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw|"
                    "ir_r1_k3.5.7_p1.1_s2_e6_c80_se0.25_nsw ir_r2_k3.5_p1.1_s1_e6_c80_se0.25_nsw|"
                    "ir_r1_k3.5.7_a1.1_p1.1_s1_e6_c120_se0.5_nsw "
                    "ir_r2_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw|"
                    "ir_r1_k3.5.7.9.11_s2_e6_c200_se0.5_nsw "
                    "ir_r2_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"},
    [D_MIXNET_M] = {SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_RELU, SEKIT_ACT_SIGMOID, 0, 24, 1536,
                    W_SCALED, W_FIXED, 0, 0.9, 1, 0, SE_ROUND,
                    "ds_r1_k3_s1_e1_c24|"
                    "ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c32 ir_r1_k3_a1.1_p1.1_s1_e3_c32|"
                    "ir_r1_k3.5.7.9_s2_e6_c40_se0.5_nsw ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw|"
                    "ir_r1_k3.5.7_s2_e6_c80_se0.25_nsw "
                    "ir_r3_k3.5.7.9_a1.1_p1.1_s1_e6_c80_se0.25_nsw|"
                    "ir_r1_k3_s1_e6_c120_se0.5_nsw ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw|"
                    "ir_r1_k3.5.7.9_s2_e6_c200_se0.5_nsw ir_r3_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"},
    [D_EFFNET] = {EFF(SEKIT_ACT_SILU, 32, 1280, W_SCALED), EFFNET_DEF},
    /* tinynet: a fixed stem, depth rounded, conv_head never narrower than 1280 */
    [D_TINYNET] = {SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_SILU, SEKIT_ACT_SIGMOID, 0, 32, 1280,
                   W_FIXED, W_AT_LEAST, 0, 0.9, 1, 0, SE_ROUND, EFFNET_DEF},
    /* EfficientNetV2 B0-B3: round_channels with round_limit 0 (never rounded up) */
    [D_EFFV2_BASE] = {SEKIT_FAMILY_EFFICIENTNET, SEKIT_ACT_SILU, SEKIT_ACT_SIGMOID, 0, 32, 1280,
                      W_SCALED, W_SCALED, 0, 0.0, 0, 0, SE_ROUND,
                      "cn_r1_k3_s1_e1_c16_skip|er_r2_k3_s2_e4_c32|er_r2_k3_s2_e4_c48|"
                      "ir_r3_k3_s2_e4_c96_se0.25|ir_r5_k3_s1_e6_c112_se0.25|"
                      "ir_r8_k3_s2_e6_c192_se0.25"},
    [D_EFFV2_S] = {EFF(SEKIT_ACT_SILU, 24, 1280, W_SCALED),
                   EFFNETV2_S_DEF("cn_r2_k3_s1_e1_c24_skip", "256")},
    [D_EFFV2_RW_S] = {EFF(SEKIT_ACT_SILU, 24, 1792, W_SCALED),
                      EFFNETV2_S_DEF("er_r2_k3_s1_e1_c24", "272")},
    [D_EFFV2_M] = {EFF(SEKIT_ACT_SILU, 24, 1280, W_FIXED),
                   "cn_r3_k3_s1_e1_c24_skip|er_r5_k3_s2_e4_c48|er_r5_k3_s2_e4_c80|"
                   "ir_r7_k3_s2_e4_c160_se0.25|ir_r14_k3_s1_e6_c176_se0.25|"
                   "ir_r18_k3_s2_e6_c304_se0.25|ir_r5_k3_s1_e6_c512_se0.25"},
    [D_EFFV2_L] = {EFF(SEKIT_ACT_SILU, 32, 1280, W_FIXED),
                   "cn_r4_k3_s1_e1_c32_skip|er_r7_k3_s2_e4_c64|er_r7_k3_s2_e4_c96|"
                   "ir_r10_k3_s2_e4_c192_se0.25|ir_r19_k3_s1_e6_c224_se0.25|"
                   "ir_r25_k3_s2_e6_c384_se0.25|ir_r7_k3_s1_e6_c640_se0.25"},
    [D_EFFV2_XL] = {EFF(SEKIT_ACT_SILU, 32, 1280, W_FIXED),
                    "cn_r4_k3_s1_e1_c32_skip|er_r8_k3_s2_e4_c64|er_r8_k3_s2_e4_c96|"
                    "ir_r16_k3_s2_e4_c192_se0.25|ir_r24_k3_s1_e6_c256_se0.25|"
                    "ir_r32_k3_s2_e6_c512_se0.25|ir_r8_k3_s1_e6_c640_se0.25"},
};

/* Every timm model name of these generators with SE, its channel and depth multipliers (dm_late:
 * the depth of stages 4 and on, efficientnetv2_rw_m's). tf_*: the TensorFlow ports, 'same'
 * padding and eps 1e-3. timm/: torchvision has a model of the same name (sekit's by that name). */
static const struct timm_model {
    const char *name;
    int def;
    double cm, dm, dm_late;
} models[] = {
    {"mobilenetv3_large_075", D_MNV3_LARGE, 0.75, 1, 0},
    {"mobilenetv3_large_100", D_MNV3_LARGE, 1.0, 1, 0},
    {"mobilenetv3_large_150d", D_MNV3_LARGE, 1.5, 1.2, 0},
    {"tf_mobilenetv3_large_075", D_MNV3_LARGE, 0.75, 1, 0},
    {"tf_mobilenetv3_large_100", D_MNV3_LARGE, 1.0, 1, 0},
    {"mobilenetv3_small_050", D_MNV3_SMALL, 0.5, 1, 0},
    {"mobilenetv3_small_075", D_MNV3_SMALL, 0.75, 1, 0},
    {"mobilenetv3_small_100", D_MNV3_SMALL, 1.0, 1, 0},
    {"tf_mobilenetv3_small_075", D_MNV3_SMALL, 0.75, 1, 0},
    {"tf_mobilenetv3_small_100", D_MNV3_SMALL, 1.0, 1, 0},
    {"mobilenetv3_rw", D_MNV3_RW, 1.0, 1, 0},
    {"semnasnet_050", D_SEMNASNET, 0.5, 1, 0},
    {"semnasnet_075", D_SEMNASNET, 0.75, 1, 0},
    {"semnasnet_100", D_SEMNASNET, 1.0, 1, 0},
    {"semnasnet_140", D_SEMNASNET, 1.4, 1, 0},
    {"mnasnet_small", D_MNASNET_SMALL, 1.0, 1, 0},
    {"lcnet_035", D_LCNET, 0.35, 1, 0},
    {"lcnet_050", D_LCNET, 0.5, 1, 0},
    {"lcnet_075", D_LCNET, 0.75, 1, 0},
    {"lcnet_100", D_LCNET, 1.0, 1, 0},
    {"lcnet_150", D_LCNET, 1.5, 1, 0},
    {"fbnetv3_b", D_FBNETV3_B, 1.0, 1, 0},
    {"fbnetv3_d", D_FBNETV3_D, 1.0, 1, 0},
    {"fbnetv3_g", D_FBNETV3_G, 1.0, 1, 0},
    {"hardcorenas_a", D_HCN_A, 1.0, 1, 0},
    {"hardcorenas_b", D_HCN_B, 1.0, 1, 0},
    {"hardcorenas_c", D_HCN_C, 1.0, 1, 0},
    {"hardcorenas_d", D_HCN_D, 1.0, 1, 0},
    {"hardcorenas_e", D_HCN_E, 1.0, 1, 0},
    {"hardcorenas_f", D_HCN_F, 1.0, 1, 0},
    {"mixnet_s", D_MIXNET_S, 1.0, 1, 0},
    {"tf_mixnet_s", D_MIXNET_S, 1.0, 1, 0},
    {"mixnet_m", D_MIXNET_M, 1.0, 1, 0},
    {"mixnet_l", D_MIXNET_M, 1.3, 1, 0},
    {"mixnet_xl", D_MIXNET_M, 1.6, 1.2, 0},
    {"mixnet_xxl", D_MIXNET_M, 2.4, 1.3, 0},
    {"tf_mixnet_m", D_MIXNET_M, 1.0, 1, 0},
    {"tf_mixnet_l", D_MIXNET_M, 1.3, 1, 0},
    {"timm/efficientnet_b0", D_EFFNET, 1.0, 1.0, 0},
    {"timm/efficientnet_b1", D_EFFNET, 1.0, 1.1, 0},
    {"timm/efficientnet_b2", D_EFFNET, 1.1, 1.2, 0},
    {"timm/efficientnet_b3", D_EFFNET, 1.2, 1.4, 0},
    {"timm/efficientnet_b4", D_EFFNET, 1.4, 1.8, 0},
    {"timm/efficientnet_b5", D_EFFNET, 1.6, 2.2, 0},
    {"timm/efficientnet_b6", D_EFFNET, 1.8, 2.6, 0},
    {"timm/efficientnet_b7", D_EFFNET, 2.0, 3.1, 0},
    {"efficientnet_b8", D_EFFNET, 2.2, 3.6, 0},
    {"efficientnet_l2", D_EFFNET, 4.3, 5.3, 0},
    {"tf_efficientnet_b0", D_EFFNET, 1.0, 1.0, 0},
    {"tf_efficientnet_b1", D_EFFNET, 1.0, 1.1, 0},
    {"tf_efficientnet_b2", D_EFFNET, 1.1, 1.2, 0},
    {"tf_efficientnet_b3", D_EFFNET, 1.2, 1.4, 0},
    {"tf_efficientnet_b4", D_EFFNET, 1.4, 1.8, 0},
    {"tf_efficientnet_b5", D_EFFNET, 1.6, 2.2, 0},
    {"tf_efficientnet_b6", D_EFFNET, 1.8, 2.6, 0},
    {"tf_efficientnet_b7", D_EFFNET, 2.0, 3.1, 0},
    {"tf_efficientnet_b8", D_EFFNET, 2.2, 3.6, 0},
    {"tf_efficientnet_l2", D_EFFNET, 4.3, 5.3, 0},
    {"tinynet_a", D_TINYNET, 1.0, 1.2, 0},
    {"tinynet_b", D_TINYNET, 0.75, 1.1, 0},
    {"tinynet_c", D_TINYNET, 0.54, 0.85, 0},
    {"tinynet_d", D_TINYNET, 0.54, 0.695, 0},
    {"tinynet_e", D_TINYNET, 0.51, 0.6, 0},
    {"tf_efficientnetv2_b0", D_EFFV2_BASE, 1.0, 1.0, 0},
    {"tf_efficientnetv2_b1", D_EFFV2_BASE, 1.0, 1.1, 0},
    {"tf_efficientnetv2_b2", D_EFFV2_BASE, 1.1, 1.2, 0},
    {"tf_efficientnetv2_b3", D_EFFV2_BASE, 1.2, 1.4, 0},
    {"efficientnetv2_rw_t", D_EFFV2_S, 0.8, 0.9, 0},
    {"efficientnetv2_s", D_EFFV2_S, 1.0, 1.0, 0},
    {"tf_efficientnetv2_s", D_EFFV2_S, 1.0, 1.0, 0},
    {"efficientnetv2_rw_s", D_EFFV2_RW_S, 1.0, 1.0, 0},
    {"efficientnetv2_rw_m", D_EFFV2_RW_S, 1.2, 1.2, 1.6},
    {"efficientnetv2_m", D_EFFV2_M, 1.0, 1.0, 0},
    {"tf_efficientnetv2_m", D_EFFV2_M, 1.0, 1.0, 0},
    {"efficientnetv2_l", D_EFFV2_L, 1.0, 1.0, 0},
    {"tf_efficientnetv2_l", D_EFFV2_L, 1.0, 1.0, 0},
    {"efficientnetv2_xl", D_EFFV2_XL, 1.0, 1.0, 0},
    {"tf_efficientnetv2_xl", D_EFFV2_XL, 1.0, 1.0, 0},
};
enum { NMODELS = sizeof models / sizeof models[0] };

struct row {
    enum row_type type;
    int r, s, c, noskip, skip, nk, k[SEKIT_MAX_SPLIT], na, np;
    double e, se;       /* expansion ratio (1 when absent), SE ratio (0: no SE) */
    enum sekit_act act; /* SEKIT_ACT_NONE: the model's */
};

/* The number of '.'-separated values in s. */
static int count_values(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

/* Row text [p, end) into *w: 0, or -1 on text this reader does not know (a bug in the table). */
static int parse_row(const char *p, const char *end, struct row *w)
{
    memset(w, 0, sizeof *w);
    w->e = 1;
    w->na = w->np = 1;
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
            w->se = atof(op + 2);
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
        } else if (op[0] == 'c') {
            w->c = atoi(op + 1);
        } else if (op[0] == 'e') {
            w->e = atof(op + 1);
        } else if (op[0] == 'a') {
            w->na = count_values(op + 1);
        } else if (op[0] == 'p') {
            w->np = count_values(op + 1);
        } else if (op[0] == 'k') {
            for (const char *q = op + 1; *q && w->nk < SEKIT_MAX_SPLIT; q = strchr(q, '.') + 1) {
                w->k[w->nk++] = atoi(q);
                if (!strchr(q, '.')) break;
            }
        }
    }
    return w->r > 0 && w->c > 0 && w->e > 0 && (w->s == 1 || w->s == 2) && w->nk > 0 ? 0 : -1;
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

/* timm's _scale_stage_depth: the repeats of rows w[0..nr) spread over `total` blocks, from the
 * last row back (reps[j] for w[j]); 0 when no spread gives exactly that many. */
static int spread(const struct row *w, int nr, int total, int *reps)
{
    int left = 0, sum = 0;
    for (int j = 0; j < nr; j++)
        left += w[j].r;
    for (int j = nr - 1, t = total; j >= 0; j--) {
        /* Python's round: halves to even, as nearbyint does */
        const double x = nearbyint((double)w[j].r / left * t);
        reps[j] = x < 1 ? 1 : (int)x;
        left -= w[j].r;
        t -= reps[j];
        sum += reps[j];
    }
    return sum == total;
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
    if (!type_ok || (w->se > 0) != (b->se_reduced > 0)) return 0;
    const int nk = b->nsplit > 1 ? b->nsplit : 1;
    if (nk != w->nk) return 0;
    for (int j = 0; j < nk; j++)
        if ((nk > 1 ? b->split_k[j] : b->k) != w->k[j]) return 0;
    return 1;
}

/* Two rows give their blocks the same facts (but for the stride of a stage's first). */
static int same_facts(const struct row *x, const struct row *y)
{
    if (x->type != y->type || (x->se > 0) != (y->se > 0) || x->noskip != y->noskip ||
        x->skip != y->skip || x->act != y->act || x->nk != y->nk)
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
        int reps[8];
        const int nr = stage_rows(d, s, w, 8);
        int n = 0;
        while (i + n < a->nnet && a->net[i + n].up_stage == s)
            n++;
        if (nr < 0) return i == a->nnet;
        if (n == 0 || !spread(w, nr, n, reps)) return 0;
        for (int r = 0, j = 0; r < nr; r++)
            for (int k = 0; k < reps[r]; k++, j++) {
                rows[i + j] = w[r];
                rows[i + j].s = j ? 1 : w[0].s;
                if (!row_fits(&a->net[i + j], &rows[i + j])) return 0;
            }
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

/* The entry of model `name` (a pretrained tag after '.' and a leading timm/ ignored), or NULL. */
static const struct timm_model *find_model(const char *name)
{
    if (!strncmp(name, "timm/", 5)) name += 5;
    const size_t len = strcspn(name, ".");
    for (int i = 0; i < NMODELS; i++) {
        const char *m = models[i].name + (strncmp(models[i].name, "timm/", 5) ? 0 : 5);
        if (strlen(m) == len && !strncmp(m, name, len)) return &models[i];
    }
    return NULL;
}

/* Whether model m is a TensorFlow port, and whether it is one whose original timm also has. */
static int is_tf(const struct timm_model *m)
{
    return !strncmp(m->name, "tf_", 3);
}

static int has_original(const struct timm_model *m)
{
    return is_tf(m) && find_model(m->name + 3) != NULL;
}

int sekit_timm_claim(struct sekit_arch *a, const char *name, const char *path, const char *what,
                     struct sekit_err *e)
{
    const struct timm_model *m = find_model(name);
    if (!m) return 1;
    const struct timm_def *d = &defs[m->def];
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

/* The generators a's blocks fit: fit[d] for defs[d]; their count. */
static int fitting(const struct sekit_arch *a, int *fit)
{
    struct row *rows = calloc((size_t)a->nnet + 1, sizeof *rows);
    int count = 0;
    for (int d = 0; d < NDEFS; d++)
        count += fit[d] = rows && fit_rows(a, &defs[d], rows);
    free(rows);
    return count;
}

int sekit_timm_fits(const struct sekit_arch *a, char *list, size_t n)
{
    int fit[NDEFS], count = 0;
    size_t at = 0;
    list[0] = 0;
    fitting(a, fit);
    /* a TensorFlow port goes unlisted beside its original: the messages name the ports */
    for (int i = 0; i < NMODELS; i++)
        if (fit[models[i].def] && !has_original(&models[i])) {
            const char *name = models[i].name + (strncmp(models[i].name, "timm/", 5) ? 0 : 5);
            at += (size_t)snprintf(list + (at < n ? at : n), at < n ? n - at : 0, "%s%s",
                                   count ? ", " : "", name);
            count++;
        }
    if (!count)
        snprintf(list, n, "no timm model sekit knows");
    else if (at >= n && n > 4)
        strcpy(list + n - 4, "...");
    return count;
}

int sekit_timm_tf_twin(const struct sekit_arch *a)
{
    int fit[NDEFS], twin = 0;
    if (!fitting(a, fit)) return 1;
    for (int i = 0; i < NMODELS; i++)
        twin |= fit[models[i].def] && is_tf(&models[i]);
    return twin;
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

/* timm's make_divisible(v, 8, round_limit=limit) */
static int divisible8(double v, double limit)
{
    int n = (int)(v + 4.0) / 8 * 8;
    if (n < 8) n = 8;
    if (n < limit * v) n += 8;
    return n;
}

/* Model m as its generator and timm's builder make it. */
static void effnet_builder(struct sekit_arch *a, const struct timm_model *m)
{
    const struct timm_def *d = &defs[m->def];
    const double cm = m->cm;
    struct row rows[SEKIT_MAX_NET_BLOCKS];
    a->family = d->cls;
    a->stem_width = d->stem_rule == W_FIXED || (d->stem_rule == W_FIXED_BELOW_075 && cm < 0.75)
                        ? d->stem
                        : divisible8(d->stem * cm, d->round_limit);
    int in = a->stem_width;
    for (int s = 0;; s++) {
        struct row w[8];
        int reps[8], total = 0;
        const int nr = stage_rows(d, s, w, 8);
        if (nr < 0) break;
        for (int r = 0; r < nr; r++)
            total += w[r].r;
        const double dm = m->dm_late && s >= 4 ? m->dm_late : m->dm;
        const double x = d->depth_round ? nearbyint(total * dm) : ceil(total * dm);
        SEKIT_ASSERT(spread(w, nr, x < 1 ? 1 : (int)x, reps));
        for (int r = 0, i = 0; r < nr; r++)
            for (int k = 0; k < reps[r]; k++, i++) {
                const struct row *v = &w[r];
                rows[a->nnet] = *v;
                rows[a->nnet].s = i ? 1 : w[0].s;
                struct sekit_net_block *b = sekit_zoo_add_block(a);
                b->in_c = in;
                b->out_c = divisible8(v->c * cm, d->round_limit);
                b->kind = v->type == ROW_ER || v->type == ROW_CN ? SEKIT_NB_FUSED : SEKIT_NB_MBCONV;
                b->expand = v->type == ROW_IR || v->type == ROW_ER;
                b->mid = b->expand                   ? divisible8(in * v->e, 0.9)
                         : b->kind == SEKIT_NB_FUSED ? b->out_c
                                                     : in;
                b->groups = b->kind == SEKIT_NB_MBCONV ? b->mid : 1;
                for (int j = 0; j < v->nk; j++)
                    b->k = v->k[j] > b->k ? v->k[j] : b->k;
                if (v->nk > 1) {
                    b->nsplit = v->nk;
                    memcpy(b->split_k, v->k, sizeof v->k);
                }
                if (b->kind == SEKIT_NB_MBCONV && (v->nk > 1 || v->na > 1 || v->np > 1)) {
                    b->exp_split = b->expand ? v->na : 1;
                    b->pwl_split = v->np;
                }
                if (v->se > 0) {
                    /* the builder divides the ratio by e where the SE is not of the expansion */
                    const double ratio = d->se_from_exp ? v->se : v->se / v->e,
                                 chs = b->mid * ratio;
                    b->se_reduced = d->se_round == SE_ROUND ? (int)nearbyint(chs)
                                    : d->se_round == SE_DIVISIBLE
                                        ? divisible8(chs, 0.9)
                                        : divisible8(chs * cm, d->round_limit);
                }
                b->up_stage = s;
                b->up_index = i;
                in = b->out_c;
            }
    }
    apply(a, d, rows);
    if (d->cls == SEKIT_FAMILY_MOBILENETV3) {
        a->head_hidden = d->head;
        a->head_bias = d->head_bias;
    } else {
        const int scaled = divisible8(d->head * cm, d->round_limit);
        a->head_width = d->head_rule == W_FIXED    ? d->head
                        : d->head_rule == W_SCALED ? scaled
                        : scaled > d->head         ? scaled
                                                   : d->head;
    }
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
    const char *bare = strncmp(name, "timm/", 5) ? name : name + 5;
    for (int i = 0; i < NNAMED; i++) {
        if (strcmp(bare, named[i].name)) continue;
        timm_common(a, name, named[i].f);
        if (named[i].f == SEKIT_FAMILY_REXNET)
            rexnet_build(a, named[i].w, named[i].div);
        else if (named[i].f == SEKIT_FAMILY_BYOBNET)
            byob_build(a, named[i].w > 0);
        else
            ghostnet_build(a, named[i].w);
        return 1;
    }
    const struct timm_model *m = find_model(name);
    if (!m) return 0;
    timm_common(a, name, defs[m->def].cls);
    effnet_builder(a, m);
    if (is_tf(m)) {
        a->same_pad = 1;
        a->bn_eps = 1e-3;
    }
    return 1;
}

const char *sekit_timm_preset_name(int i)
{
    if (i >= 0 && i < NNAMED) return named[i].name;
    return i >= NNAMED && i < NNAMED + NMODELS ? models[i - NNAMED].name : NULL;
}
