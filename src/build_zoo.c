/*
 * build_zoo.c -- EfficientNet, MobileNetV3 and RegNetY (torchvision's layout) from the block
 * list arch_zoo.c inferred or named.
 *
 * Blocks, as torchvision builds them (torchvision/models/efficientnet.py, mobilenetv3.py,
 * regnet.py), each conv followed by BN and, but for the last, the block's activation:
 *   MBConv / InvertedResidual  block.<j>: [1x1 expand], depthwise k x k (the stride), [SE],
 *                              1x1 project; + input when stride 1 and width unchanged
 *   FusedMBConv (V2)           block.<j>: k x k (the stride), [1x1 project]; no SE
 *   RegNetY bottleneck         f.a 1x1, f.b grouped 3x3 (the stride), f.se, f.c 1x1;
 *                              + input or proj (1x1 strided conv, BN); ReLU after the sum
 * SE (torchvision.ops.SqueezeExcitation): fc1, fc2 as 1x1 convs with bias; ReLU between them
 * but SiLU in EfficientNet; the gate a sigmoid, MobileNetV3's a hard sigmoid.
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

/* Loads conv c from `pre`.<j>.0.weight and BN `pre`.<j>.1 (torchvision's Conv2dNormActivation). */
static int load_cna(struct wsrc *w, struct conv *c, const char *pre, int j, double eps)
{
    char wn[160], bn[160];
    snprintf(wn, sizeof wn, "%s.%d.0.weight", pre, j);
    snprintf(bn, sizeof bn, "%s.%d.1", pre, j);
    return sekit_load_conv_bn(w, c, wn, bn, eps);
}

/* Loads conv c from `pre`.`conv`.weight and BN `pre`.`bn` (RegNet's f.a.0 / f.a.1). */
static int load_named(struct wsrc *w, struct conv *c, const char *pre, const char *conv,
                      const char *bn, double eps)
{
    char wn[160], bp[160];
    snprintf(wn, sizeof wn, "%s.%s.weight", pre, conv);
    snprintf(bp, sizeof bp, "%s.%s", pre, bn);
    return sekit_load_conv_bn(w, c, wn, bp, eps);
}

static int build_block(struct sekit_model *m, struct wsrc *w, int i, int *nse)
{
    const struct sekit_arch *a = &m->arch;
    const struct sekit_net_block *nb = &a->net[i];
    struct block *bl = &m->blocks[i];
    const double eps = a->bn_eps;
    const enum sekit_act act = nb->act;
    const int regnet = a->family == SEKIT_FAMILY_REGNETY;
    char pre[96], se[112];
    if (regnet)
        snprintf(bl->name, sizeof bl->name, "trunk_output.block%d.block%d-%d", nb->up_stage,
                 nb->up_stage, nb->up_index);
    else if (a->family == SEKIT_FAMILY_MOBILENETV3)
        snprintf(bl->name, sizeof bl->name, "features.%d", nb->up_stage);
    else
        snprintf(bl->name, sizeof bl->name, "features.%d.%d", nb->up_stage, nb->up_index);
    snprintf(pre, sizeof pre, "%s.%s", bl->name, regnet ? "f" : "block");
    if (nb->in_c < 1 || nb->mid < 1 || nb->out_c < 1 || nb->groups < 1 || nb->mid % nb->groups ||
        nb->k < 1 || nb->k > 15 || nb->stride < 1 || nb->stride > 2 || nb->se_reduced < 0)
        return sekit_errf(w->e, SEKIT_EINVAL, "%s: invalid block description", bl->name);
    bl->in_c = nb->in_c;
    bl->out_c = nb->out_c;
    bl->aa_after = -1;
    bl->se_after = -1;
    bl->se = -1;
    int rc, j = 0, n = 0;
    switch (nb->kind) {
    case SEKIT_NB_MBCONV:
        if (nb->expand) {
            sekit_conv_init(&bl->branch[n], nb->in_c, nb->mid, 1, 1, 1, act);
            if ((rc = load_cna(w, &bl->branch[n++], pre, j++, eps))) return rc;
        }
        sekit_conv_init(&bl->branch[n], nb->mid, nb->mid, nb->k, nb->stride, nb->mid, act);
        if ((rc = load_cna(w, &bl->branch[n++], pre, j++, eps))) return rc;
        if (nb->se_reduced) {
            bl->se_after = n - 1;
            snprintf(se, sizeof se, "%s.%d", pre, j++);
        }
        sekit_conv_init(&bl->branch[n], nb->mid, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
        if ((rc = load_cna(w, &bl->branch[n++], pre, j++, eps))) return rc;
        break;
    case SEKIT_NB_FUSED:
        sekit_conv_init(&bl->branch[n], nb->in_c, nb->mid, nb->k, nb->stride, 1, act);
        if ((rc = load_cna(w, &bl->branch[n++], pre, j++, eps))) return rc;
        if (nb->expand) {
            sekit_conv_init(&bl->branch[n], nb->mid, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
            if ((rc = load_cna(w, &bl->branch[n++], pre, j++, eps))) return rc;
        }
        if (nb->se_reduced) return sekit_errf(w->e, SEKIT_EINVAL, "%s: SE in a fused block", pre);
        break;
    case SEKIT_NB_BOTTLENECK:
        sekit_conv_init(&bl->branch[0], nb->in_c, nb->mid, 1, 1, 1, act);
        sekit_conv_init(&bl->branch[1], nb->mid, nb->mid, nb->k, nb->stride, nb->groups, act);
        sekit_conv_init(&bl->branch[2], nb->mid, nb->out_c, 1, 1, 1, SEKIT_ACT_NONE);
        if ((rc = load_named(w, &bl->branch[0], pre, "a.0", "a.1", eps)) ||
            (rc = load_named(w, &bl->branch[1], pre, "b.0", "b.1", eps)))
            return rc;
        n = 3;
        if (nb->se_reduced) {
            bl->se_after = 1;
            snprintf(se, sizeof se, "%s.se", pre);
        }
        break;
    }
    bl->nbranch = n;
    if (bl->se_after >= 0) {
        struct se_block *s = &m->se[*nse];
        const int C = bl->branch[bl->se_after].cout;
        if ((rc = sekit_load_se(w, s, se, "fc1", "fc2", C, nb->se_reduced, 1, 0))) return rc;
        s->info.act = a->family == SEKIT_FAMILY_EFFICIENTNET ? SEKIT_ACT_SILU : SEKIT_ACT_RELU;
        s->info.gate =
            a->family == SEKIT_FAMILY_MOBILENETV3 ? SEKIT_ACT_HARDSIGMOID : SEKIT_ACT_SIGMOID;
        bl->se = *nse;
        m->se_block[(*nse)++] = i;
    }
    /* the SE sits between f.b and f.c in the file's order too */
    if (regnet && (rc = load_named(w, &bl->branch[2], pre, "c.0", "c.1", eps))) return rc;
    if (regnet) {
        bl->out_act = act;
        bl->shortcut = nb->projection ? SHORTCUT_PROJECTION : SHORTCUT_IDENTITY;
        if (nb->projection) {
            sekit_conv_init(&bl->ds, nb->in_c, nb->out_c, 1, nb->stride, 1, SEKIT_ACT_NONE);
            if ((rc = load_named(w, &bl->ds, bl->name, "proj.0", "proj.1", eps))) return rc;
        } else if (nb->in_c != nb->out_c || nb->stride != 1) {
            return sekit_errf(w->e, SEKIT_ESHAPE,
                              "%s: block %s changes shape but has no projection shortcut (%s.proj)",
                              w->st ? sekit_st_path(w->st) : a->name, bl->name, bl->name);
        }
    } else {
        bl->out_act = SEKIT_ACT_NONE;
        bl->shortcut = nb->stride == 1 && nb->in_c == nb->out_c ? SHORTCUT_IDENTITY : SHORTCUT_NONE;
    }
    return SEKIT_OK;
}

int sekit_build_zoo(struct sekit_model *m, struct wsrc *w)
{
    const struct sekit_arch *a = &m->arch;
    const int regnet = a->family == SEKIT_FAMILY_REGNETY,
              mnv3 = a->family == SEKIT_FAMILY_MOBILENETV3;
    int rc;
    if (a->nnet < 1 || a->nnet > SEKIT_MAX_NET_BLOCKS || a->in_chans < 1 || a->stem_width < 1 ||
        a->num_classes < 1 || !(a->bn_eps > 0) || a->head_width < 0 || a->head_hidden < 0)
        return sekit_errf(w->e, SEKIT_EINVAL, "invalid architecture description");
    m->nstem = 1;
    sekit_conv_init(&m->stem[0], a->in_chans, a->stem_width, 3, 2, 1, a->stem_act);
    if ((rc = sekit_load_conv_bn(w, &m->stem[0], regnet ? "stem.0.weight" : "features.0.0.weight",
                                 regnet ? "stem.1" : "features.0.1", a->bn_eps)))
        return rc;
    const size_t nb = (size_t)a->nnet;
    m->nblocks = a->nnet;
    int nse = 0;
    for (int i = 0; i < a->nnet; i++)
        nse += a->net[i].se_reduced > 0;
    m->blocks = calloc(nb, sizeof *m->blocks);
    m->se = calloc((size_t)nse + 1, sizeof *m->se);
    m->se_block = calloc((size_t)nse + 1, sizeof *m->se_block);
    if (!m->blocks || !m->se || !m->se_block)
        return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory");
    /* SE names by resolution (see the top of this file); the stem strides 2 */
    int stage = 1, in_stage = 0, stride = 2;
    for (int i = 0; i < a->nnet; i++) {
        const int first = m->nse;
        if ((rc = build_block(m, w, i, &m->nse))) return rc;
        if (a->net[i].stride == 2) stride *= 2;
        int s = 0;
        while ((1 << (s + 1)) <= stride)
            s++;
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
        snprintf(wn, sizeof wn, "features.%d.0.weight", last + 1);
        snprintf(bn, sizeof bn, "features.%d.1", last + 1);
        sekit_conv_init(&m->head, a->net[a->nnet - 1].out_c, a->head_width, 1, 1, 1,
                        mnv3 ? SEKIT_ACT_HARDSWISH : SEKIT_ACT_SILU);
        if ((rc = sekit_load_conv_bn(w, &m->head, wn, bn, a->bn_eps))) return rc;
    }
    if (mnv3) {
        m->nfc = 2;
        m->fc[0].act = SEKIT_ACT_HARDSWISH;
        if ((rc = sekit_load_fc(w, &m->fc[0], "classifier.0", m->features, a->head_hidden, 1, 0)) ||
            (rc =
                 sekit_load_fc(w, &m->fc[1], "classifier.3", a->head_hidden, a->num_classes, 1, 0)))
            return rc;
    } else {
        m->nfc = 1;
        if ((rc = sekit_load_fc(w, &m->fc[0], regnet ? "fc" : "classifier.1", m->features,
                                a->num_classes, 1, 0)))
            return rc;
    }
    return sekit_check_all_used(w, "the inferred architecture (torchvision layout)");
}
