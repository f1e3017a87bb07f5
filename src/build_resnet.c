/*
 * build_resnet.c -- SE-ResNets, SE-ResNeXts and SENet-154 (timm, Cadene/legacy, moskomule
 * layouts) from the architecture arch.c inferred or named.
 *
 * Walks the network in order and asks the weight source for each tensor by its name in the
 * file's layout. Block (paper Fig. 3): branch = convs with BN and ReLU, the last without ReLU;
 * SE on the branch's output; out = relu(branch * s + shortcut).
 */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_EPS 1e-5

static int load_se(struct wsrc *w, struct se_block *se, const struct sekit_arch *a,
                   const struct sekit_block_shape *k)
{
    const int s = k->stage_index, b = k->block_index;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "layer%d.%d.%s", s + 1, b,
             a->layout == SEKIT_LAYOUT_LEGACY ? "se_module" : "se");
    const int mosko = a->layout == SEKIT_LAYOUT_MOSKOMULE;
    int rc = sekit_load_se(w, se, prefix, mosko ? "fc.0" : "fc1", mosko ? "fc.2" : "fc2", k->out_c,
                           k->se_reduced, a->se_bias, a->se_linear);
    if (rc) return rc;
    struct sekit_se_info *in = &se->info;
    snprintf(in->name, sizeof in->name, "SE_%d_%d", s + 2, b + 1);
    in->stage = s + 2;
    in->block = b + 1;
    in->act = SEKIT_ACT_RELU;
    in->gate = SEKIT_ACT_SIGMOID;
    return SEKIT_OK;
}

int sekit_build_resnet(struct sekit_model *m, struct wsrc *w)
{
    const struct sekit_arch *a = &m->arch;
    const int legacy = a->layout == SEKIT_LAYOUT_LEGACY;
    int rc;
    if (a->nstages < 1 || a->nstages > SEKIT_MAX_STAGES || a->in_chans < 1 || a->stem_width < 1 ||
        a->num_classes < 1 || a->groups < 1)
        return sekit_errf(w->e, SEKIT_EINVAL, "invalid architecture description");
    int small = a->stem == SEKIT_STEM_SMALL;
    if (a->stem_deep) {
        /* timm conv1.0 / .1 (BN) / .3 / .4 / .6 + bn1; Cadene layer0.conv1-3 + bn1-3 */
        static const char *const tw[3] = {"conv1.0.weight", "conv1.3.weight", "conv1.6.weight"},
                                 *tb[3] = {"conv1.1", "conv1.4", "bn1"},
                                 *lw[3] = {"layer0.conv1.weight", "layer0.conv2.weight",
                                           "layer0.conv3.weight"},
                                 *lb[3] = {"layer0.bn1", "layer0.bn2", "layer0.bn3"};
        const int outs[3] = {a->stem_chs[0], a->stem_chs[1], a->stem_width};
        if (outs[0] < 1 || outs[1] < 1)
            return sekit_errf(w->e, SEKIT_EINVAL, "invalid deep stem widths");
        m->nstem = 3;
        for (int j = 0; j < 3; j++) {
            sekit_conv_init(&m->stem[j], j ? outs[j - 1] : a->in_chans, outs[j], 3, j ? 1 : 2, 1,
                            SEKIT_ACT_RELU);
            if ((rc = sekit_load_conv_bn(w, &m->stem[j], legacy ? lw[j] : tw[j],
                                         legacy ? lb[j] : tb[j], BN_EPS)))
                return rc;
        }
    } else {
        m->nstem = 1;
        sekit_conv_init(&m->stem[0], a->in_chans, a->stem_width, small ? 3 : 7, small ? 1 : 2, 1,
                        SEKIT_ACT_RELU);
        if ((rc =
                 sekit_load_conv_bn(w, &m->stem[0], legacy ? "layer0.conv1.weight" : "conv1.weight",
                                    legacy ? "layer0.bn1" : "bn1", BN_EPS)))
            return rc;
    }
    /* timm's aa stem replaces the max-pool by AvgPool2d(2) */
    m->pool_avg = a->aa && !small;
    m->pool_k = small ? 0 : a->aa ? 2 : 3;
    m->pool_stride = 2;
    m->pool_pad = a->stem == SEKIT_STEM_IMAGENET && !a->aa ? 1 : 0;
    m->pool_ceil = a->stem == SEKIT_STEM_CAFFE && !a->aa;

    m->nblocks = 0;
    for (int s = 0; s < a->nstages; s++) {
        if (a->blocks[s] < 1 || a->blocks[s] > SEKIT_MAX_BLOCKS)
            return sekit_errf(w->e, SEKIT_EINVAL, "stage %d has %d blocks", s + 2, a->blocks[s]);
        m->nblocks += a->blocks[s];
    }
    m->blocks = calloc((size_t)m->nblocks, sizeof *m->blocks);
    m->se = calloc((size_t)m->nblocks, sizeof *m->se);
    m->se_cap = m->se ? m->nblocks : 0;
    m->se_block = calloc((size_t)m->nblocks, sizeof *m->se_block);
    if (!m->blocks || !m->se || !m->se_block)
        return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory");
    int i = 0;
    for (int s = 0; s < a->nstages; s++) {
        for (int b = 0; b < a->blocks[s]; b++, i++) {
            struct block *bl = &m->blocks[i];
            struct sekit_block_shape k = sekit_arch_block(a, s, b);
            snprintf(bl->name, sizeof bl->name, "layer%d.%d", s + 1, b);
            bl->in_c = k.in_c;
            bl->out_c = k.out_c;
            bl->aa_after = -1;
            if (k.width < 1 || k.out_c < 1 || k.width % k.groups || k.se_reduced < 1)
                return sekit_errf(w->e, SEKIT_ESHAPE, "%s: inconsistent widths", bl->name);
            if (a->block == SEKIT_BLOCK_BOTTLENECK) {
                int s1 = a->stride_on_3x3 ? 1 : k.stride, s3 = a->stride_on_3x3 ? k.stride : 1;
                /* timm's aa: the 3x3 keeps stride 1 and a 2x2/2 average pool strides after it */
                if (a->aa && s3 == 2) bl->aa_after = 1, s3 = 1;
                if (k.first < 1 || k.first % k.groups)
                    return sekit_errf(w->e, SEKIT_ESHAPE, "%s: inconsistent widths", bl->name);
                sekit_conv_init(&bl->branch[0], k.in_c, k.first, 1, s1, 1, SEKIT_ACT_RELU);
                sekit_conv_init(&bl->branch[1], k.first, k.width, 3, s3, k.groups, SEKIT_ACT_RELU);
                sekit_conv_init(&bl->branch[2], k.width, k.out_c, 1, 1, 1, SEKIT_ACT_NONE);
                bl->nbranch = 3;
            } else {
                sekit_conv_init(&bl->branch[0], k.in_c, k.width, 3, k.stride, 1, SEKIT_ACT_RELU);
                sekit_conv_init(&bl->branch[1], k.width, k.out_c, 3, 1, 1,
                                a->relu_before_se ? SEKIT_ACT_RELU : SEKIT_ACT_NONE);
                bl->nbranch = 2;
            }
            for (int j = 0; j < bl->nbranch; j++) {
                char wn[160], bn[160];
                snprintf(wn, sizeof wn, "%s.conv%d.weight", bl->name, j + 1);
                snprintf(bn, sizeof bn, "%s.bn%d", bl->name, j + 1);
                if ((rc = sekit_load_conv_bn(w, &bl->branch[j], wn, bn, BN_EPS))) return rc;
            }
            bl->se_after = bl->nbranch - 1;
            bl->se = i;
            m->se_block[i] = i;
            if ((rc = load_se(w, &m->se[i], a, &k))) return rc;
            bl->out_act = SEKIT_ACT_RELU;
            bl->shortcut = SHORTCUT_IDENTITY;
            if (k.has_downsample) {
                /* avg_down: downsample.0 is the pool (an identity at stride 1), .1 the conv */
                const int j = a->avg_down;
                char wn[160], bn[160];
                bl->shortcut = SHORTCUT_PROJECTION;
                bl->ds_pool = a->avg_down && k.stride != 1;
                sekit_conv_init(&bl->ds, k.in_c, k.out_c, a->avg_down ? 1 : k.downsample_kernel,
                                a->avg_down ? 1 : k.stride, 1, SEKIT_ACT_NONE);
                snprintf(wn, sizeof wn, "%s.downsample.%d.weight", bl->name, j);
                snprintf(bn, sizeof bn, "%s.downsample.%d", bl->name, j + 1);
                if ((rc = sekit_load_conv_bn(w, &bl->ds, wn, bn, BN_EPS))) return rc;
            } else if (k.in_c != k.out_c || k.stride != 1) {
                return sekit_errf(w->e, SEKIT_ESHAPE,
                                  "%s: block %s changes shape but has no projection shortcut "
                                  "(%s.downsample.%d.weight)",
                                  w->st ? sekit_st_path(w->st) : a->name, bl->name, bl->name,
                                  a->avg_down);
            }
        }
    }
    m->nse = m->nblocks;
    m->features = sekit_arch_features(a);
    m->nfc = 1;
    if ((rc = sekit_load_fc(w, &m->fc[0], legacy ? "last_linear" : "fc", m->features,
                            a->num_classes, 1, 0)))
        return rc;
    char what[96];
    snprintf(what, sizeof what, "the inferred architecture (%s layout, %d stages)",
             sekit_layout_name(a->layout), a->nstages);
    return sekit_check_all_used(w, what);
}
