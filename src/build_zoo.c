/*
 * build_zoo.c -- EfficientNet, MobileNetV3 and RegNetY (torchvision's and timm's layouts) from
 * the block list arch_zoo.c inferred or named.
 *
 * Blocks, as torchvision builds them (torchvision/models/efficientnet.py, mobilenetv3.py,
 * regnet.py), each conv followed by BN and, but for the last, the block's activation:
 *   MBConv / InvertedResidual  block.<j>: [1x1 expand], depthwise k x k (the stride), [SE],
 *                              1x1 project; + input when stride 1 and width unchanged
 *   FusedMBConv (V2)           block.<j>: k x k (the stride), [1x1 project]; no SE
 *   RegNetY bottleneck         f.a 1x1, f.b grouped 3x3 (the stride), f.se, f.c 1x1;
 *                              + input or proj (1x1 strided conv, BN); ReLU after the sum
 * timm names the same blocks by role (block_names): conv_pw, conv_dw, se.conv_reduce /
 * conv_expand, conv_pwl (InvertedResidual), conv_dw, conv_pw (DepthwiseSeparable), conv_exp,
 * conv_pwl (EdgeResidual), conv (ConvBnAct); RegNet conv1-3, se.fc1/fc2, downsample; timm's
 * MobileNetV3 pools before conv_head (a 1x1 conv with bias, so a head FC here).
 * SE (torchvision.ops.SqueezeExcitation, timm's SqueezeExcite / SEModule): two 1x1 convs with
 * bias; ReLU between them but SiLU in EfficientNet; the gate a sigmoid, MobileNetV3's a hard
 * sigmoid. timm's TensorFlow ports pad every conv 'same'.
 *
 * SE names: SE_<stage>_<block> with the stage counted by resolution as the paper counts
 * ResNet's (conv2_x, at 1/4 of the input, is stage 2): stage = log2 of the block output's
 * stride, block = its place among the blocks at that stride (blocks without SE keep their
 * numbers, so MobileNetV3's names have gaps). EfficientNet-B0's features.1.0 is SE_1_1,
 * features.2.0 SE_2_1, features.4.* and features.5.* are all stage 4.
 */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names of one block's tensors in its layout: per branch conv (in order) the weight and
 * the BN prefix, the SE prefix and its two FCs, the projection's conv and BN. */
struct names {
    char conv[BRANCH_MAX][96], bn[BRANCH_MAX][96];
    char cheap[BRANCH_MAX][96], cheap_bn[BRANCH_MAX][96]; /* GhostNet's cheap convs */
    char proj2_conv[96], proj2_bn[96];                    /* GhostNet's second shortcut conv */
    char se[96], proj_conv[96], proj_bn[96];
    const char *fc1, *fc2;
};

static void block_names(const struct sekit_arch *a, const struct sekit_net_block *nb,
                        const char *blk, struct names *n)
{
    memset(n, 0, sizeof *n);
    n->fc1 = "fc1";
    n->fc2 = "fc2";
    const int tv = a->layout == SEKIT_LAYOUT_TORCHVISION;
    if (nb->kind == SEKIT_NB_GHOST) {
        /* ghost1, [conv_dw], ghost2 */
        const char *g[3] = {"ghost1", nb->stride > 1 ? "conv_dw" : NULL, "ghost2"};
        for (int j = 0, r = 0; r < 3; r++) {
            if (!g[r]) continue;
            if (r == 1) {
                snprintf(n->conv[j], sizeof n->conv[j], "%s.conv_dw.weight", blk);
                snprintf(n->bn[j], sizeof n->bn[j], "%s.bn_dw", blk);
            } else {
                snprintf(n->conv[j], sizeof n->conv[j], "%s.%s.primary_conv.0.weight", blk, g[r]);
                snprintf(n->bn[j], sizeof n->bn[j], "%s.%s.primary_conv.1", blk, g[r]);
                snprintf(n->cheap[j], sizeof n->cheap[j], "%s.%s.cheap_operation.0.weight", blk,
                         g[r]);
                snprintf(n->cheap_bn[j], sizeof n->cheap_bn[j], "%s.%s.cheap_operation.1", blk,
                         g[r]);
            }
            j++;
        }
        snprintf(n->se, sizeof n->se, "%s.se", blk);
        n->fc1 = "conv_reduce";
        n->fc2 = "conv_expand";
        snprintf(n->proj_conv, sizeof n->proj_conv, "%s.shortcut.0.weight", blk);
        snprintf(n->proj_bn, sizeof n->proj_bn, "%s.shortcut.1", blk);
        snprintf(n->proj2_conv, sizeof n->proj2_conv, "%s.shortcut.2.weight", blk);
        snprintf(n->proj2_bn, sizeof n->proj2_bn, "%s.shortcut.3", blk);
        return;
    }
    if (a->family == SEKIT_FAMILY_BYOBNET) {
        static const char *const c[3] = {"conv1_1x1", "conv2_kxk", "conv3_1x1"};
        for (int j = 0; j < 3; j++) {
            snprintf(n->conv[j], sizeof n->conv[j], "%s.%s.conv.weight", blk, c[j]);
            snprintf(n->bn[j], sizeof n->bn[j], "%s.%s.bn", blk, c[j]);
        }
        snprintf(n->se, sizeof n->se, "%s.attn", blk);
        snprintf(n->proj_conv, sizeof n->proj_conv, "%s.shortcut.conv.weight", blk);
        snprintf(n->proj_bn, sizeof n->proj_bn, "%s.shortcut.bn", blk);
        return;
    }
    if (nb->kind == SEKIT_NB_BOTTLENECK) {
        static const char *const tvc[3] = {"f.a.0", "f.b.0", "f.c.0"},
                                 *tvb[3] = {"f.a.1", "f.b.1", "f.c.1"},
                                 *tmc[3] = {"conv1.conv", "conv2.conv", "conv3.conv"},
                                 *tmb[3] = {"conv1.bn", "conv2.bn", "conv3.bn"};
        for (int j = 0; j < 3; j++) {
            snprintf(n->conv[j], sizeof n->conv[j], "%s.%s.weight", blk, tv ? tvc[j] : tmc[j]);
            snprintf(n->bn[j], sizeof n->bn[j], "%s.%s", blk, tv ? tvb[j] : tmb[j]);
        }
        snprintf(n->se, sizeof n->se, "%s.%s", blk, tv ? "f.se" : "se");
        snprintf(n->proj_conv, sizeof n->proj_conv, "%s.%s.weight", blk,
                 tv ? "proj.0" : "downsample.conv");
        snprintf(n->proj_bn, sizeof n->proj_bn, "%s.%s", blk, tv ? "proj.1" : "downsample.bn");
        return;
    }
    if (a->family == SEKIT_FAMILY_REXNET) {
        static const char *const rx[3] = {"conv_exp", "conv_dw", "conv_pwl"};
        for (int j = 0, r = !nb->expand; r < 3; j++, r++) {
            snprintf(n->conv[j], sizeof n->conv[j], "%s.%s.conv.weight", blk, rx[r]);
            snprintf(n->bn[j], sizeof n->bn[j], "%s.%s.bn", blk, rx[r]);
        }
        snprintf(n->se, sizeof n->se, "%s.se", blk);
        return;
    }
    /* MBConv: [expand], depthwise, project; fused: k x k, [project] */
    const int nconv = nb->kind == SEKIT_NB_MBCONV ? 2 + nb->expand : 1 + nb->expand;
    const int se_after = nb->kind == SEKIT_NB_MBCONV ? nb->expand : 0;
    if (tv) {
        /* torchvision numbers the block's modules in order, the SE among them */
        for (int j = 0, k = 0; j < nconv; j++, k++) {
            if (nb->se_reduced && j == se_after + 1)
                snprintf(n->se, sizeof n->se, "%s.block.%d", blk, k++);
            snprintf(n->conv[j], sizeof n->conv[j], "%s.block.%d.0.weight", blk, k);
            snprintf(n->bn[j], sizeof n->bn[j], "%s.block.%d.1", blk, k);
        }
        return;
    }
    static const char *const ir[3] = {"conv_pw", "conv_dw", "conv_pwl"},
                             *ds[2] = {"conv_dw", "conv_pw"}, *er[2] = {"conv_exp", "conv_pwl"},
                             *cn[1] = {"conv"};
    const char *const *c =
        nb->kind == SEKIT_NB_MBCONV ? (nb->expand ? ir : ds) : (nb->expand ? er : cn);
    for (int j = 0; j < nconv; j++) {
        snprintf(n->conv[j], sizeof n->conv[j], "%s.%s.weight", blk, c[j]);
        snprintf(n->bn[j], sizeof n->bn[j], "%s.bn%d", blk, j + 1);
    }
    snprintf(n->se, sizeof n->se, "%s.se", blk);
    n->fc1 = "conv_reduce";
    n->fc2 = "conv_expand";
}

static int build_block(struct sekit_model *m, struct wsrc *w, int i, int *nse)
{
    const struct sekit_arch *a = &m->arch;
    const struct sekit_net_block *nb = &a->net[i];
    struct block *bl = &m->blocks[i];
    const double eps = a->bn_eps;
    const enum sekit_act act = nb->act;
    const int regnet = a->family == SEKIT_FAMILY_REGNETY,
              tv = a->layout == SEKIT_LAYOUT_TORCHVISION, rexnet = a->family == SEKIT_FAMILY_REXNET,
              byob = a->family == SEKIT_FAMILY_BYOBNET, ghost = nb->kind == SEKIT_NB_GHOST;
    if (byob)
        snprintf(bl->name, sizeof bl->name, "stages.%d.%d", nb->up_stage, nb->up_index);
    else if (rexnet)
        snprintf(bl->name, sizeof bl->name, "features.%d", nb->up_stage);
    else if (regnet && tv)
        snprintf(bl->name, sizeof bl->name, "trunk_output.block%d.block%d-%d", nb->up_stage,
                 nb->up_stage, nb->up_index);
    else if (regnet)
        snprintf(bl->name, sizeof bl->name, "s%d.b%d", nb->up_stage, nb->up_index);
    else if (!tv)
        snprintf(bl->name, sizeof bl->name, "blocks.%d.%d", nb->up_stage, nb->up_index);
    else if (a->family == SEKIT_FAMILY_MOBILENETV3)
        snprintf(bl->name, sizeof bl->name, "features.%d", nb->up_stage);
    else
        snprintf(bl->name, sizeof bl->name, "features.%d.%d", nb->up_stage, nb->up_index);
    if (nb->in_c < 1 || nb->mid < 1 || nb->out_c < 1 || nb->groups < 1 || nb->mid % nb->groups ||
        nb->k < 1 || nb->k > 15 || nb->stride < 1 || nb->stride > 2 || nb->se_reduced < 0)
        return sekit_errf(w->e, SEKIT_EINVAL, "%s: invalid block description", bl->name);
    struct names nm;
    block_names(a, nb, bl->name, &nm);
    bl->in_c = nb->in_c;
    bl->out_c = nb->out_c;
    bl->aa_after = -1;
    bl->se_after = -1;
    bl->se = -1;
    int n = 0;
    switch (nb->kind) {
    case SEKIT_NB_MBCONV:
        if (nb->expand) sekit_conv_init(&bl->branch[n++], nb->in_c, nb->mid, 1, 1, 1, act);
        /* ReXNet: no activation on the depthwise conv, ReLU6 after it and its SE */
        sekit_conv_init(&bl->branch[n++], nb->mid, nb->mid, nb->k, nb->stride, nb->mid,
                        !rexnet          ? act
                        : nb->se_reduced ? SEKIT_ACT_NONE
                                         : SEKIT_ACT_RELU6);
        if (nb->se_reduced) bl->se_after = n - 1;
        bl->se_out_act = rexnet && nb->se_reduced ? SEKIT_ACT_RELU6 : SEKIT_ACT_NONE;
        sekit_conv_init(&bl->branch[n++], nb->mid, nb->out_c, 1, 1, 1,
                        nb->pw_act ? act : SEKIT_ACT_NONE);
        break;
    case SEKIT_NB_FUSED:
        sekit_conv_init(&bl->branch[n++], nb->in_c, nb->mid, nb->k, nb->stride, 1, act);
        if (nb->se_reduced) bl->se_after = 0;
        if (nb->expand)
            sekit_conv_init(&bl->branch[n++], nb->mid, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
        break;
    case SEKIT_NB_GHOST: {
        /* ghost modules: primary 1x1 to ceil(width / 2), its depthwise 3x3 "cheap" copy */
        const int i1 = (nb->mid + 1) / 2, i2 = (nb->out_c + 1) / 2;
        sekit_conv_init(&bl->branch[n], nb->in_c, i1, 1, 1, 1, act);
        sekit_conv_init(&bl->cheap[n], i1, i1, 3, 1, i1, act);
        bl->ghost_out[n++] = nb->mid;
        if (nb->stride > 1)
            sekit_conv_init(&bl->branch[n++], nb->mid, nb->mid, nb->k, nb->stride, nb->mid,
                            SEKIT_ACT_NONE);
        if (nb->se_reduced) bl->se_after = n - 1;
        sekit_conv_init(&bl->branch[n], nb->mid, i2, 1, 1, 1, SEKIT_ACT_NONE);
        sekit_conv_init(&bl->cheap[n], i2, i2, 3, 1, i2, SEKIT_ACT_NONE);
        bl->ghost_out[n++] = nb->out_c;
        break;
    }
    case SEKIT_NB_BOTTLENECK:
        sekit_conv_init(&bl->branch[n++], nb->in_c, nb->mid, 1, 1, 1, act);
        sekit_conv_init(&bl->branch[n++], nb->mid, nb->mid, nb->k, nb->stride, nb->groups, act);
        if (nb->se_reduced) bl->se_after = 1;
        sekit_conv_init(&bl->branch[n++], nb->mid, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
        break;
    }
    bl->nbranch = n;
    /* MixNet's split convs: per branch conv the splits and their kernels */
    int nsplit[BRANCH_MAX] = {0};
    const int *split_k[BRANCH_MAX] = {0};
    static const int ones[SEKIT_MAX_SPLIT] = {1, 1, 1, 1, 1};
    if (nb->kind == SEKIT_NB_MBCONV) {
        const int dwj = nb->expand;
        if (nb->expand) nsplit[0] = nb->exp_split, split_k[0] = ones;
        nsplit[dwj] = nb->nsplit, split_k[dwj] = nb->split_k;
        nsplit[dwj + 1] = nb->pwl_split, split_k[dwj + 1] = ones;
    }
    /* in the file's order: the SE's FCs come between the conv it scales and the next */
    int rc;
    for (int j = 0; j < n; j++) {
        bl->branch[j].same = a->same_pad;
        if (nsplit[j] > 1) {
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(nm.conv[j]) - strlen(".weight")),
                     nm.conv[j]);
            rc = sekit_load_conv_bn_split(w, &bl->branch[j], prefix, nsplit[j], split_k[j],
                                          nm.bn[j], eps);
        } else {
            rc = sekit_load_conv_bn(w, &bl->branch[j], nm.conv[j], nm.bn[j], eps);
        }
        if (!rc && ghost && nm.cheap[j][0]) {
            /* a ghost module's cheap conv, in the file's order after its primary */
            rc = sekit_load_conv_bn(w, &bl->cheap[j], nm.cheap[j], nm.cheap_bn[j], eps);
        }
        if (rc) return rc;
        if (j != bl->se_after) continue;
        struct se_block *s = &m->se[*nse];
        const int C = bl->cheap[j].cout ? bl->ghost_out[j] : bl->branch[j].cout;
        if ((rc = sekit_load_se(w, s, nm.se, nm.fc1, nm.fc2, C, nb->se_reduced, 1, 0)) ||
            (rexnet && (rc = sekit_load_se_bn(w, s, nm.se, 1e-5))))
            return rc;
        /* the families' own SE unless the block says otherwise (timm's arch_defs) */
        s->info.act = nb->se_act                               ? nb->se_act
                      : a->family == SEKIT_FAMILY_EFFICIENTNET ? SEKIT_ACT_SILU
                                                               : SEKIT_ACT_RELU;
        s->info.gate = nb->gate                                ? nb->gate
                       : a->family == SEKIT_FAMILY_MOBILENETV3 ? SEKIT_ACT_HARDSIGMOID
                                                               : SEKIT_ACT_SIGMOID;
        bl->se = *nse;
        m->se_block[(*nse)++] = i;
    }
    if (ghost) {
        bl->out_act = SEKIT_ACT_NONE;
        bl->shortcut = nb->projection ? SHORTCUT_PROJECTION : SHORTCUT_IDENTITY;
        if (nb->projection) {
            sekit_conv_init(&bl->ds, nb->in_c, nb->in_c, nb->k, nb->stride, nb->in_c,
                            SEKIT_ACT_NONE);
            sekit_conv_init(&bl->ds2, nb->in_c, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
            if ((rc = sekit_load_conv_bn(w, &bl->ds, nm.proj_conv, nm.proj_bn, eps)) ||
                (rc = sekit_load_conv_bn(w, &bl->ds2, nm.proj2_conv, nm.proj2_bn, eps)))
                return rc;
        }
    } else if (regnet || byob) {
        bl->out_act = act;
        bl->shortcut = nb->projection ? SHORTCUT_PROJECTION : SHORTCUT_IDENTITY;
        if (nb->projection) {
            sekit_conv_init(&bl->ds, nb->in_c, nb->out_c, 1, nb->stride, 1, SEKIT_ACT_NONE);
            if ((rc = sekit_load_conv_bn(w, &bl->ds, nm.proj_conv, nm.proj_bn, eps))) return rc;
        } else if (nb->in_c != nb->out_c || nb->stride != 1) {
            return sekit_errf(w->e, SEKIT_ESHAPE,
                              "%s: block %s changes shape but has no projection shortcut (%s)",
                              w->st ? sekit_st_path(w->st) : a->name, bl->name, nm.proj_conv);
        }
    } else {
        bl->out_act = SEKIT_ACT_NONE;
        bl->shortcut = !nb->noskip && nb->stride == 1 && nb->in_c == nb->out_c ? SHORTCUT_IDENTITY
                       : rexnet && nb->stride == 1 && nb->in_c < nb->out_c     ? SHORTCUT_PARTIAL
                                                                               : SHORTCUT_NONE;
    }
    return SEKIT_OK;
}

int sekit_build_zoo(struct sekit_model *m, struct wsrc *w)
{
    const struct sekit_arch *a = &m->arch;
    const int regnet = a->family == SEKIT_FAMILY_REGNETY,
              mnv3 = a->family == SEKIT_FAMILY_MOBILENETV3,
              rexnet = a->family == SEKIT_FAMILY_REXNET,
              ghostnet = a->family == SEKIT_FAMILY_GHOSTNET;
    int rc;
    if (a->nnet < 1 || a->nnet > SEKIT_MAX_NET_BLOCKS || a->in_chans < 1 || a->stem_width < 1 ||
        a->num_classes < 1 || !(a->bn_eps > 0) || a->head_width < 0 || a->head_hidden < 0)
        return sekit_errf(w->e, SEKIT_EINVAL, "invalid architecture description");
    const int tv = a->layout == SEKIT_LAYOUT_TORCHVISION, byob = a->family == SEKIT_FAMILY_BYOBNET;
    if (byob) {
        /* the tiered stem: 3x3/2, 3x3, 3x3 (/2 unless a max-pool follows) */
        if (a->stem_pool < 0 || a->stem_chs[0] < 1 || a->stem_chs[1] < 1)
            return sekit_errf(w->e, SEKIT_EINVAL, "invalid architecture description");
        const int cin[3] = {a->in_chans, a->stem_chs[0], a->stem_chs[1]},
                  cout[3] = {a->stem_chs[0], a->stem_chs[1], a->stem_width},
                  stride[3] = {2, 1, a->stem_pool ? 1 : 2};
        m->nstem = 3;
        for (int j = 0; j < 3; j++) {
            char wn[64], bn[64];
            snprintf(wn, sizeof wn, "stem.conv%d.conv.weight", j + 1);
            snprintf(bn, sizeof bn, "stem.conv%d.bn", j + 1);
            sekit_conv_init(&m->stem[j], cin[j], cout[j], 3, stride[j], 1, a->stem_act);
            if ((rc = sekit_load_conv_bn(w, &m->stem[j], wn, bn, a->bn_eps))) return rc;
        }
        if (a->stem_pool) m->pool_k = 3, m->pool_stride = 2, m->pool_pad = 1;
    }
    m->nstem = byob ? 3 : 1;
    if (!byob) sekit_conv_init(&m->stem[0], a->in_chans, a->stem_width, 3, 2, 1, a->stem_act);
    m->stem[0].same = a->same_pad;
    if (!byob &&
        (rc = sekit_load_conv_bn(w, &m->stem[0],
                                 tv ? (regnet ? "stem.0.weight" : "features.0.0.weight")
                                    : (regnet || rexnet ? "stem.conv.weight" : "conv_stem.weight"),
                                 tv ? (regnet ? "stem.1" : "features.0.1")
                                    : (regnet || rexnet ? "stem.bn" : "bn1"),
                                 a->bn_eps)))
        return rc;
    const size_t nb = (size_t)a->nnet;
    m->nblocks = a->nnet;
    int nse = 0;
    for (int i = 0; i < a->nnet; i++)
        nse += a->net[i].se_reduced > 0;
    m->blocks = calloc(nb, sizeof *m->blocks);
    m->se = calloc((size_t)nse + 1, sizeof *m->se);
    m->se_cap = m->se ? nse + 1 : 0;
    m->se_block = calloc((size_t)nse + 1, sizeof *m->se_block);
    if (!m->blocks || !m->se || !m->se_block)
        return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory");
    /* SE names by resolution (see the top of this file); the stem strides 2 (ByobNet's 4) */
    int stage = byob ? 2 : 1, in_stage = 0, log2_stride = byob ? 2 : 1;
    for (int i = 0; i < a->nnet; i++) {
        const int first = m->nse;
        if ((rc = build_block(m, w, i, &m->nse))) return rc;
        log2_stride += a->net[i].stride == 2;
        const int s = log2_stride;
        in_stage = s == stage ? in_stage + 1 : 1;
        stage = s;
        if (m->nse > first) {
            struct sekit_se_info *in = &m->se[first].info;
            snprintf(in->name, sizeof in->name, "SE_%d_%d", stage, in_stage);
            in->stage = stage;
            in->block = in_stage;
        }
    }
    const int last = a->net[a->nnet - 1].up_stage;
    m->features = a->head_width ? a->head_width : a->net[a->nnet - 1].out_c;
    if (a->head_width) {
        char wn[64], bn[64];
        snprintf(wn, sizeof wn,
                 tv         ? "features.%d.0.weight"
                 : rexnet   ? "features.%d.conv.weight"
                 : byob     ? "final_conv.conv.weight"
                 : ghostnet ? "blocks.%d.0.conv.weight"
                            : "conv_head.weight",
                 last + 1);
        snprintf(bn, sizeof bn,
                 tv         ? "features.%d.1"
                 : rexnet   ? "features.%d.bn"
                 : byob     ? "final_conv.bn"
                 : ghostnet ? "blocks.%d.0.bn1"
                            : "bn2",
                 last + 1);
        sekit_conv_init(&m->head, a->net[a->nnet - 1].out_c, a->head_width, 1, 1, 1,
                        a->head_act ? a->head_act
                        : mnv3      ? SEKIT_ACT_HARDSWISH
                                    : SEKIT_ACT_SILU);
        m->head.same = a->same_pad;
        if ((rc = sekit_load_conv_bn(w, &m->head, wn, bn, a->bn_eps))) return rc;
    }
    if ((mnv3 || ghostnet) && !tv) {
        /* timm: pooled, then conv_head (a 1x1 conv with bias on a 1 x 1 map) */
        m->nfc = 2;
        m->fc[0].act = a->head_act ? a->head_act : SEKIT_ACT_HARDSWISH;
        if ((rc = sekit_load_fc(w, &m->fc[0], "conv_head", m->features, a->head_hidden,
                                a->head_bias, 1)) ||
            (rc = sekit_load_fc(w, &m->fc[1], "classifier", a->head_hidden, a->num_classes, 1, 0)))
            return rc;
    } else if (mnv3) {
        m->nfc = 2;
        m->fc[0].act = a->head_act ? a->head_act : SEKIT_ACT_HARDSWISH;
        if ((rc = sekit_load_fc(w, &m->fc[0], "classifier.0", m->features, a->head_hidden, 1, 0)) ||
            (rc =
                 sekit_load_fc(w, &m->fc[1], "classifier.3", a->head_hidden, a->num_classes, 1, 0)))
            return rc;
    } else {
        m->nfc = 1;
        if ((rc = sekit_load_fc(w, &m->fc[0],
                                tv ? (regnet ? "fc" : "classifier.1")
                                   : (regnet || rexnet || byob ? "head.fc" : "classifier"),
                                m->features, a->num_classes, 1, 0)))
            return rc;
    }
    return sekit_check_all_used(w, tv ? "the inferred architecture (torchvision layout)"
                                      : "the inferred architecture (timm layout)");
}
