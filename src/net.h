/*
 * net.h -- the network the engine runs, whatever family it came from (internal to src/).
 *
 * Every supported family is a stem, a chain of blocks and a head. A block is a short branch of
 * convolutions (each with BN folded in and its activation), optionally an SE block scaling one
 * of the branch's outputs, and optionally a residual sum followed by an activation:
 *   SE-ResNet   1x1, 3x3, 1x1; SE on the last; identity or projection; ReLU after the sum
 *   RegNetY     1x1, grouped 3x3, 1x1; SE on the 3x3; as SE-ResNet
 *   MBConv, IR  [1x1 expand], depthwise kxk, 1x1 project; SE on the depthwise; identity, no act
 * The builders (build_*.c) read a family's weights into this form; model.c runs it on both
 * backends and offers the SE hooks. The SE blocks are numbered in network order and the
 * engine's "block i" of the public API (capture, forward_from) is the block holding SE i.
 */
#ifndef SEKIT_NET_H
#define SEKIT_NET_H
#include "onednn.h"
#include "ops/ops.h"
#include "sekit.h"

struct conv {
    char name[160]; /* the weight's name, for messages */
    int cin, cout, kh, kw, stride, groups;
    int pad;  /* symmetric padding; with `same`, ignored */
    int same; /* TF 'same' padding: from the input size, the extra row/column bottom/right */
    enum sekit_act act;
    int64_t taps;               /* weights per output pixel when w holds zeros between split
                                   convs (sekit_load_conv_bn_split), else 0 */
    float *w;                   /* (cout, cin/groups, kh, kw), BN folded */
    float *b;                   /* (cout) */
    struct sekit_dnn_conv *dnn; /* the oneDNN backend's compiled convolution, or NULL */
};

struct se_block {
    struct sekit_se_info info; /* with the inner activation and the gate */
    float *w1, *b1;            /* (CR, C), (CR) or NULL */
    float *w2, *b2;            /* (C, CR), (C) or NULL */
    enum sekit_se_mode mode;
    float *fixed;          /* (C) for SEKIT_SE_FIXED */
    float *gate, *squeeze; /* (max_n, C): the last batch's vectors */
    float *hidden;         /* (max_n, CR) scratch */
};

#define BRANCH_MAX 4

/* PARTIAL: RexNet's, the input added to the branch's first in_c channels (in_c <= out_c) */
enum shortcut { SHORTCUT_NONE, SHORTCUT_IDENTITY, SHORTCUT_PROJECTION, SHORTCUT_PARTIAL };

struct block {
    char name[64]; /* the upstream module, e.g. layer3.2 or features.4.0 */
    int in_c, out_c;
    struct conv branch[BRANCH_MAX];
    int nbranch;
    int aa_after; /* a 2x2/2 average pool follows branch[aa_after] (timm's aa); -1: none */
    int se_after; /* the SE block scales branch[se_after]'s output; -1: no SE */
    int se;       /* that SE block's index, or -1 */
    enum sekit_act se_out_act; /* after the SE's scaling (RexNet's ReLU6), else none */
    enum shortcut shortcut;
    /* GhostNet's ghost modules: where cheap[j].w is set, branch[j] is the primary conv and the
     * module's output is its output and cheap[j]'s (a depthwise conv of it) concatenated, cut
     * to ghost_out[j] channels */
    struct conv cheap[BRANCH_MAX];
    int ghost_out[BRANCH_MAX];
    struct conv ds;               /* the projection */
    struct conv ds2;              /* GhostNet: a 1x1 conv after ds (then a depthwise conv) */
    int ds_pool;                  /* a 2x2/2 ceil-mode average pool before ds (avg_down) */
    enum sekit_act out_act;       /* after the residual sum, or on the branch without one */
    int in_h, in_w, out_h, out_w; /* at the prepared input size */
    float *capture;               /* where forward copies this block's input, or NULL */
};

/* A fully connected layer of the head, after the global pool: Linear, or a 1x1 conv with bias. */
struct fc {
    int in, out;
    enum sekit_act act;
    float *w, *b; /* (out, in), (out) or NULL */
};

#define HEAD_FC_MAX 2

struct sekit_model {
    struct sekit_arch arch;
    struct sekit_st *st; /* the weight file, kept for its metadata; NULL when synthetic */
    struct conv stem[3]; /* one conv, or a deep stem's three */
    int nstem;
    int pool_k, pool_stride, pool_pad, pool_ceil; /* pool_k == 0: no pool */
    int pool_avg;                                 /* the pool averages (aa) instead of max */
    struct block *blocks;
    int nblocks;
    struct se_block *se;
    int nse, se_cap;  /* SE blocks built; allocated (a failed build frees all se_cap) */
    int *se_block;    /* (nse) the block holding SE i */
    struct conv head; /* a 1x1 conv before the pool (EfficientNet, MobileNetV3); w NULL: none */
    struct fc fc[HEAD_FC_MAX];
    int nfc;
    int features; /* channels into the global pool */
    int64_t params;
    enum sekit_backend backend;
    /* activation buffers, sized by sekit_model_prepare */
    int max_n, H, W;
    size_t act_pi, col_pi; /* floats per image of the act-sized buffers and of col */
    float *act[2], *t1, *t2, *sc, *col, *tmp, *pooled, *fc_mid; /* fc_mid: (max_n, fc[0].out) */
    /* oneDNN backend: the plans its convolutions are compiled for, at dnn_threads threads.
     * A pass of N images runs in `shares` parallel shares (N >= dnn_threads: one per thread,
     * one oneDNN thread each; else one share on all threads), and a share runs its images in
     * chunks of plan sizes, largest first: plans[mode[k].first ..] for k = shares > 1. */
    struct sekit_dnn *dnn;
    int dnn_threads, nplans;
    struct sekit_dnn_plan plans[4];
    struct {
        int first, count;
    } mode[2];
};

/* ---------------------------------------------------------------------------------------- */
/* weight sources (model.c): the builders ask for each tensor by name and shape */

enum wkind { W_CONV, W_LINEAR, W_BIAS, W_BN_WEIGHT, W_BN_BIAS, W_BN_MEAN, W_BN_VAR };

struct wsrc {
    const struct sekit_st *st; /* NULL: synthetic */
    unsigned char *used;       /* per file tensor */
    uint64_t rng;
    int64_t params;
    struct sekit_err *e;
};

/* Fills dst with the tensor called name, which must have the given shape (synthetic: seeded
 * values of the kind's usual scale). */
int sekit_take(struct wsrc *w, float *dst, const char *name, int ndim, const int64_t *shape,
               enum wkind kind);
/* A conv of the given geometry, symmetric padding (kh - 1) / 2, not yet loaded. */
void sekit_conv_init(struct conv *c, int cin, int cout, int k, int stride, int groups,
                     enum sekit_act act);
/* Reads c's weight `wname` and BN `bnprefix`.{weight,bias,running_mean,running_var} and folds
 * the BN (eval mode, eps) into it; c->name becomes wname. */
int sekit_load_conv_bn(struct wsrc *w, struct conv *c, const char *wname, const char *bnprefix,
                       double eps);
/* MixNet's MixedConv2d: nsplit convs `prefix`.<i>.weight (i from 0) over channel groups split
 * as timm's _split_channels splits cin and cout (equal parts, the first with the remainder),
 * kernel ks[i], read into c's dense weight: a depthwise split's kernel centred in c's kh x kw
 * with zeros around it (the same outputs under its own padding, symmetric or 'same', since
 * kernels are odd), a 1x1 split as its block of a block-diagonal 1x1 conv; then the BN folded
 * in as sekit_load_conv_bn does. Only the splits' weights count as parameters and MACs. */
int sekit_load_conv_bn_split(struct wsrc *w, struct conv *c, const char *prefix, int nsplit,
                             const int *ks, const char *bnprefix, double eps);
/* Reads c's weight `prefix`.weight and bias `prefix`.bias (a conv without BN). */
int sekit_load_conv_bias(struct wsrc *w, struct conv *c, const char *prefix);
/* Allocates SE block se of C channels reduced to CR (info filled but for names) and reads its
 * FCs: `prefix`.`fc1`.weight [CR, C(, 1, 1)] and so on; biases when `bias`. */
int sekit_load_se(struct wsrc *w, struct se_block *se, const char *prefix, const char *fc1,
                  const char *fc2, int C, int CR, int bias, int linear);
/* ReXNet's SE: BatchNorm `prefix`.bn (eval mode, eps) after fc1, folded into se's fc1; its
 * weight and bias count as the SE's parameters. */
int sekit_load_se_bn(struct wsrc *w, struct se_block *se, const char *prefix, double eps);
/* Reads a head FC `prefix`.weight [out, in(, 1, 1)] and, when `bias`, `prefix`.bias. */
int sekit_load_fc(struct wsrc *w, struct fc *f, const char *prefix, int in, int out, int bias,
                  int conv);
/* After building: SEKIT_ESHAPE naming the first tensor of the file nothing read. */
int sekit_check_all_used(struct wsrc *w, const char *what);

/* The builders: fill m (arch set) from w. */
int sekit_build_resnet(struct sekit_model *m, struct wsrc *w);
int sekit_build_zoo(struct sekit_model *m, struct wsrc *w);

#endif
