/*
 * arch_zoo.c -- the SE families beyond SE-ResNets: torchvision's EfficientNet (B0-B7, V2 S/M/L),
 * MobileNetV3 (large, small) and RegNetY: presets built from the upstream configurations, and
 * inference from a weight file's names and shapes in torchvision's and in timm's layout.
 *
 * Weight names show every width, kernel and SE; they do not show strides, activations or the
 * BatchNorm eps. Inference takes those from the upstream preset whose blocks match the file
 * exactly, else from the file's __metadata__ (sekit.block_strides, sekit.block_acts,
 * sekit.bn_eps), else it refuses and names what is missing. Rules that hold for a whole family
 * need no preset: EfficientNet's stages stride 1, 2, 2, 2, 1, 2, 1 and use SiLU (B-series and
 * V2 alike); RegNetY strides the first block of every stage and uses ReLU with eps 1e-5; timm's
 * MobileNetV3 large (7 stages) and small (6) stride and switch to hard swish by stage. timm's
 * names cannot tell a model from its TensorFlow port (tf_*: 'same' padding, eps 1e-3): the
 * claim (--arch, config.json, sekit.arch) or sekit.padding and sekit.bn_eps decide, else the
 * file is refused (sekit_zoo_check).
 * Presets: torchvision/models/efficientnet.py, mobilenetv3.py, regnet.py (0.14).
 */
#include "arch_zoo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sekit_zoo_divisible(double v, int d)
{
    int n = (int)(v + d / 2.0) / d * d;
    if (n < d) n = d;
    if (n < 0.9 * v) n += d;
    return n;
}

/* torchvision's _make_divisible(v, 8) */
static int make_divisible(double v)
{
    return sekit_zoo_divisible(v, 8);
}

struct sekit_net_block *sekit_zoo_add_block(struct sekit_arch *a)
{
    SEKIT_ASSERT(a->nnet < SEKIT_MAX_NET_BLOCKS);
    struct sekit_net_block *b = &a->net[a->nnet++];
    memset(b, 0, sizeof *b);
    return b;
}

void sekit_zoo_common(struct sekit_arch *a, const char *name, enum sekit_family f, double eps)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->family = f;
    a->layout = SEKIT_LAYOUT_TORCHVISION;
    a->in_chans = 3;
    a->num_classes = 1000;
    a->bn_eps = eps;
}

/* ---------------------------------------------------------------------------------------- */
/* EfficientNet */

struct mb_cfg {
    int fused, expand, k, stride, in, out, layers;
};

static const struct mb_cfg effnet_b[7] = {
    {0, 1, 3, 1, 32, 16, 1},   {0, 6, 3, 2, 16, 24, 2},  {0, 6, 5, 2, 24, 40, 2},
    {0, 6, 3, 2, 40, 80, 3},   {0, 6, 5, 1, 80, 112, 3}, {0, 6, 5, 2, 112, 192, 4},
    {0, 6, 3, 1, 192, 320, 1},
};
static const struct mb_cfg effnet_v2s[6] = {
    {1, 1, 3, 1, 24, 24, 2},  {1, 4, 3, 2, 24, 48, 4},   {1, 4, 3, 2, 48, 64, 4},
    {0, 4, 3, 2, 64, 128, 6}, {0, 6, 3, 1, 128, 160, 9}, {0, 6, 3, 2, 160, 256, 15},
};
static const struct mb_cfg effnet_v2m[7] = {
    {1, 1, 3, 1, 24, 24, 3},   {1, 4, 3, 2, 24, 48, 5},    {1, 4, 3, 2, 48, 80, 5},
    {0, 4, 3, 2, 80, 160, 7},  {0, 6, 3, 1, 160, 176, 14}, {0, 6, 3, 2, 176, 304, 18},
    {0, 6, 3, 1, 304, 512, 5},
};
static const struct mb_cfg effnet_v2l[7] = {
    {1, 1, 3, 1, 32, 32, 4},   {1, 4, 3, 2, 32, 64, 7},    {1, 4, 3, 2, 64, 96, 7},
    {0, 4, 3, 2, 96, 192, 10}, {0, 6, 3, 1, 192, 224, 19}, {0, 6, 3, 2, 224, 384, 25},
    {0, 6, 3, 1, 384, 640, 7},
};

/* The blocks of an EfficientNet from its stage configuration, as torchvision's EfficientNet
 * class builds them (MBConvConfig's width and depth scaling; SE reduced from the block input). */
static void effnet_build(struct sekit_arch *a, const struct mb_cfg *cfg, int nstages, double width,
                         double depth, int last_channel)
{
    a->stem_act = SEKIT_ACT_SILU;
    a->stem_width = make_divisible(cfg[0].in * width);
    int in = a->stem_width;
    for (int s = 0; s < nstages; s++) {
        const struct mb_cfg *c = &cfg[s];
        const int out = make_divisible(c->out * width), n = (int)ceil(c->layers * depth);
        for (int i = 0; i < n; i++) {
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->kind = c->fused ? SEKIT_NB_FUSED : SEKIT_NB_MBCONV;
            b->in_c = in;
            b->out_c = out;
            b->k = c->k;
            b->stride = i ? 1 : c->stride;
            b->mid = make_divisible((double)in * c->expand);
            b->expand = b->mid != in;
            b->groups = c->fused ? 1 : b->mid;
            b->se_reduced = c->fused ? 0 : (in / 4 > 1 ? in / 4 : 1);
            b->act = SEKIT_ACT_SILU;
            b->up_stage = s + 1;
            b->up_index = i;
            if (c->fused && !b->expand) b->mid = out;
            in = out;
        }
    }
    a->head_width = last_channel ? last_channel : 4 * in;
}

/* ---------------------------------------------------------------------------------------- */
/* MobileNetV3 */

struct ir_cfg {
    int in, k, mid, out, se, hs, stride;
};

static const struct ir_cfg mnv3_large[15] = {
    {16, 3, 16, 16, 0, 0, 1},    {16, 3, 64, 24, 0, 0, 2},    {24, 3, 72, 24, 0, 0, 1},
    {24, 5, 72, 40, 1, 0, 2},    {40, 5, 120, 40, 1, 0, 1},   {40, 5, 120, 40, 1, 0, 1},
    {40, 3, 240, 80, 0, 1, 2},   {80, 3, 200, 80, 0, 1, 1},   {80, 3, 184, 80, 0, 1, 1},
    {80, 3, 184, 80, 0, 1, 1},   {80, 3, 480, 112, 1, 1, 1},  {112, 3, 672, 112, 1, 1, 1},
    {112, 5, 672, 160, 1, 1, 2}, {160, 5, 960, 160, 1, 1, 1}, {160, 5, 960, 160, 1, 1, 1},
};
static const struct ir_cfg mnv3_small[11] = {
    {16, 3, 16, 16, 1, 0, 2},  {16, 3, 72, 24, 0, 0, 2},  {24, 3, 88, 24, 0, 0, 1},
    {24, 5, 96, 40, 1, 1, 2},  {40, 5, 240, 40, 1, 1, 1}, {40, 5, 240, 40, 1, 1, 1},
    {40, 5, 120, 48, 1, 1, 1}, {48, 5, 144, 48, 1, 1, 1}, {48, 5, 288, 96, 1, 1, 2},
    {96, 5, 576, 96, 1, 1, 1}, {96, 5, 576, 96, 1, 1, 1},
};

static void mnv3_build(struct sekit_arch *a, const struct ir_cfg *cfg, int n, int last_channel)
{
    a->stem_act = SEKIT_ACT_HARDSWISH;
    a->stem_width = cfg[0].in;
    for (int i = 0; i < n; i++) {
        const struct ir_cfg *c = &cfg[i];
        struct sekit_net_block *b = sekit_zoo_add_block(a);
        b->kind = SEKIT_NB_MBCONV;
        b->in_c = c->in;
        b->mid = c->mid;
        b->out_c = c->out;
        b->k = c->k;
        b->stride = c->stride;
        b->groups = c->mid;
        b->expand = c->mid != c->in;
        b->se_reduced = c->se ? make_divisible(c->mid / 4) : 0;
        b->act = c->hs ? SEKIT_ACT_HARDSWISH : SEKIT_ACT_RELU;
        b->up_stage = i + 1;
    }
    a->head_width = 6 * cfg[n - 1].out;
    a->head_hidden = last_channel;
}

/* ---------------------------------------------------------------------------------------- */
/* RegNetY */

/* widths as torchvision's _make_divisible(w, g) and timm's _tv models round them, or as timm's
 * other RegNetYs do (quantize_float: the nearest multiple of g, halves to even) */
enum regnet_round { RG_DIVISIBLE, RG_QUANTIZE };

struct regnet_cfg {
    const char *name;
    int depth;
    double w0, wa, wm;
    int group_width;
    enum sekit_layout layout;
    enum regnet_round round;
};

#define TV SEKIT_LAYOUT_TORCHVISION, RG_DIVISIBLE
#define TIMM SEKIT_LAYOUT_TIMM_ZOO, RG_QUANTIZE
#define TIMM_TV SEKIT_LAYOUT_TIMM_ZOO, RG_DIVISIBLE
/* torchvision's regnet_y_* and timm's regnety_* (timm/models/regnet.py model_cfgs, aa4b5850) */
static const struct regnet_cfg regnets[] = {
    {"regnet_y_400mf", 16, 48, 27.89, 2.09, 8, TV},
    {"regnet_y_800mf", 14, 56, 38.84, 2.4, 16, TV},
    {"regnet_y_1_6gf", 27, 48, 20.71, 2.65, 24, TV},
    {"regnet_y_3_2gf", 21, 80, 42.63, 2.66, 24, TV},
    {"regnet_y_8gf", 17, 192, 76.82, 2.19, 56, TV},
    {"regnet_y_16gf", 18, 200, 106.23, 2.48, 112, TV},
    {"regnet_y_32gf", 20, 232, 115.89, 2.53, 232, TV},
    {"regnet_y_128gf", 27, 456, 160.83, 2.52, 264, TV},
    {"regnety_002", 13, 24, 36.44, 2.49, 8, TIMM},
    {"regnety_004", 16, 48, 27.89, 2.09, 8, TIMM},
    {"regnety_006", 15, 48, 32.54, 2.32, 16, TIMM},
    {"regnety_008", 14, 56, 38.84, 2.4, 16, TIMM},
    {"regnety_008_tv", 14, 56, 38.84, 2.4, 16, TIMM_TV},
    {"regnety_016", 27, 48, 20.71, 2.65, 24, TIMM},
    {"regnety_032", 21, 80, 42.63, 2.66, 24, TIMM},
    {"regnety_040", 22, 96, 31.41, 2.24, 64, TIMM},
    {"regnety_064", 25, 112, 33.22, 2.27, 72, TIMM},
    {"regnety_080", 17, 192, 76.82, 2.19, 56, TIMM},
    {"regnety_080_tv", 17, 192, 76.82, 2.19, 56, TIMM_TV},
    {"regnety_120", 19, 168, 73.36, 2.37, 112, TIMM},
    {"regnety_160", 18, 200, 106.23, 2.48, 112, TIMM},
    {"regnety_320", 20, 232, 115.89, 2.53, 232, TIMM},
    {"regnety_640", 20, 352, 147.48, 2.4, 328, TIMM},
    {"regnety_1280", 27, 456, 160.83, 2.52, 264, TIMM},
    {"regnety_2560", 27, 640, 230.83, 2.53, 373, TIMM},
};
#undef TV
#undef TIMM
#undef TIMM_TV
#define NREGNETS ((int)(sizeof regnets / sizeof regnets[0]))

/* torchvision's BlockParams.from_init_params and _adjust_widths_groups_compatibilty, and timm's
 * generate_regnet and adjust_widths_groups_comp, for bottleneck ratio 1 and SE ratio 0.25 */
static void regnet_build(struct sekit_arch *a, const struct regnet_cfg *c)
{
    a->stem_act = SEKIT_ACT_RELU;
    a->stem_width = 32;
    a->layout = c->layout;
    int widths[64], nw = 0;
    for (int i = 0; i < c->depth; i++) {
        const double cont = i * c->wa + c->w0;
        /* torch.round rounds halves to even, as nearbyint does */
        const double cap = nearbyint(log(cont / c->w0) / log(c->wm));
        widths[nw++] = (int)(nearbyint(c->w0 * pow(c->wm, cap) / 8) * 8);
    }
    int in = a->stem_width, stage = 0;
    for (int i = 0; i < nw;) {
        int j = i;
        while (j < nw && widths[j] == widths[i])
            j++;
        const int g = c->group_width < widths[i] ? c->group_width : widths[i];
        /* _make_divisible(w, g) with min_value g, or Python's round(w / g) * g */
        const int w = c->round == RG_DIVISIBLE ? sekit_zoo_divisible(widths[i], g)
                                               : (int)nearbyint((double)widths[i] / g) * g;
        stage++;
        for (int k = i; k < j; k++) {
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->kind = SEKIT_NB_BOTTLENECK;
            b->in_c = in;
            b->mid = w;
            b->out_c = w;
            b->k = 3;
            b->stride = k == i ? 2 : 1;
            b->groups = w / g;
            b->se_reduced = (int)nearbyint(0.25 * in);
            b->projection = in != w || b->stride != 1;
            b->act = SEKIT_ACT_RELU;
            b->up_stage = stage;
            b->up_index = k - i;
            in = w;
        }
        i = j;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* presets */

static const char *const zoo_names[] = {
    "efficientnet_b0",    "efficientnet_b1",   "efficientnet_b2",   "efficientnet_b3",
    "efficientnet_b4",    "efficientnet_b5",   "efficientnet_b6",   "efficientnet_b7",
    "efficientnet_v2_s",  "efficientnet_v2_m", "efficientnet_v2_l", "mobilenet_v3_large",
    "mobilenet_v3_small",
};
#define NZOO ((int)(sizeof zoo_names / sizeof zoo_names[0]))

const char *sekit_zoo_name(int i)
{
    if (i >= 0 && i < NZOO) return zoo_names[i];
    if (i >= NZOO && i < NZOO + NREGNETS) return regnets[i - NZOO].name;
    return sekit_timm_preset_name(i - NZOO - NREGNETS);
}

int sekit_zoo_preset(struct sekit_arch *a, const char *name)
{
    static const double bw[8] = {1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0},
                        bd[8] = {1.0, 1.1, 1.2, 1.4, 1.8, 2.2, 2.6, 3.1};
    /* timm/NAME: timm's model, also where torchvision has one of the same name */
    const int timm = strncmp(name, "timm/", 5) == 0;
    int b;
    char tail;
    if (!timm && sscanf(name, "efficientnet_b%d%c", &b, &tail) == 1 && b >= 0 && b <= 7 &&
        strlen(name) == 15) {
        /* B5-B7 are ports whose BatchNorm keeps TensorFlow's eps */
        sekit_zoo_common(a, name, SEKIT_FAMILY_EFFICIENTNET, b >= 5 ? 1e-3 : 1e-5);
        effnet_build(a, effnet_b, 7, bw[b], bd[b], 0);
        return 1;
    }
    const struct {
        const char *name;
        const struct mb_cfg *cfg;
        int n;
    } v2[] = {{"efficientnet_v2_s", effnet_v2s, 6},
              {"efficientnet_v2_m", effnet_v2m, 7},
              {"efficientnet_v2_l", effnet_v2l, 7}};
    for (int i = 0; !timm && i < 3; i++)
        if (strcmp(name, v2[i].name) == 0) {
            sekit_zoo_common(a, name, SEKIT_FAMILY_EFFICIENTNET, 1e-3);
            effnet_build(a, v2[i].cfg, v2[i].n, 1.0, 1.0, 1280);
            return 1;
        }
    if (!timm &&
        (strcmp(name, "mobilenet_v3_large") == 0 || strcmp(name, "mobilenet_v3_small") == 0)) {
        const int large = name[13] == 'l';
        sekit_zoo_common(a, name, SEKIT_FAMILY_MOBILENETV3, 1e-3);
        mnv3_build(a, large ? mnv3_large : mnv3_small, large ? 15 : 11, large ? 1280 : 1024);
        return 1;
    }
    for (int i = 0; i < NREGNETS; i++)
        if (strcmp(name + (timm ? 5 : 0), regnets[i].name) == 0 &&
            (!timm || regnets[i].layout == SEKIT_LAYOUT_TIMM_ZOO)) {
            sekit_zoo_common(a, name, SEKIT_FAMILY_REGNETY, 1e-5);
            regnet_build(a, &regnets[i]);
            return 1;
        }
    return sekit_timm_preset(a, name);
}

/* ---------------------------------------------------------------------------------------- */
/* inference */

static const struct sekit_st_tensor *findv(const struct sekit_st *st, const char *fmt, va_list ap)
{
    char name[192];
    vsnprintf(name, sizeof name, fmt, ap);
    return sekit_st_find(st, name);
}

static const struct sekit_st_tensor *find(const struct sekit_st *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const struct sekit_st_tensor *t = findv(st, fmt, ap);
    va_end(ap);
    return t;
}

/* A conv weight [out, in, k, k] with sane sizes, or NULL. */
static const struct sekit_st_tensor *conv4(const struct sekit_st *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const struct sekit_st_tensor *t = findv(st, fmt, ap);
    va_end(ap);
    if (!t || t->ndim != 4 || t->shape[2] != t->shape[3]) return NULL;
    for (int i = 0; i < 4; i++)
        if (t->shape[i] < 1 || t->shape[i] > 65536) return NULL;
    return t;
}

static int bad(struct sekit_err *e, const char *path, const char *what)
{
    return sekit_errf(e, SEKIT_ESHAPE, "%s: %s", path, what);
}

/* An SE's reduced width from `prefix`.`fc1`.weight [CR, C, 1, 1] (0: none), checked against C. */
static int se_width_named(const struct sekit_st *st, const char *prefix, const char *fc1, int C)
{
    const struct sekit_st_tensor *t = conv4(st, "%s.%s.weight", prefix, fc1);
    return t && t->shape[1] == C && t->shape[2] == 1 ? (int)t->shape[0] : t ? -1 : 0;
}

static int se_width(const struct sekit_st *st, const char *prefix, int C)
{
    return se_width_named(st, prefix, "fc1", C);
}

/* The 3x3 stem conv `name`: its widths into a; SEKIT_ESHAPE when it is no such conv. */
static int take_stem(struct sekit_arch *a, const struct sekit_st *st, const char *name,
                     struct sekit_err *e)
{
    const struct sekit_st_tensor *t = conv4(st, "%s", name);
    if (!t || t->shape[2] != 3)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s is not a 3x3 stem conv", sekit_st_path(st),
                          name);
    a->stem_width = (int)t->shape[0];
    a->in_chans = (int)t->shape[1];
    return SEKIT_OK;
}

/* The classifier `name` [classes, in]: its class count into a; SEKIT_ESHAPE when it is no such
 * matrix. */
static int take_classifier(struct sekit_arch *a, const struct sekit_st *st, const char *name,
                           int64_t in, struct sekit_err *e)
{
    const struct sekit_st_tensor *fc = find(st, "%s", name);
    if (!fc || fc->ndim != 2 || fc->shape[1] != in || fc->shape[0] < 1)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s is not the classifier", sekit_st_path(st), name);
    a->num_classes = (int)fc->shape[0];
    return SEKIT_OK;
}

/* torchvision EfficientNet (features.<s>.<i>.block.*) or MobileNetV3 (features.<i>.block.*) */
static int infer_features(struct sekit_arch *a, const struct sekit_st *st, int mnv3,
                          struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    int rc = take_stem(a, st, "features.0.0.weight", e);
    if (rc) return rc;
    a->stem_act = mnv3 ? SEKIT_ACT_HARDSWISH : SEKIT_ACT_SILU;
    int in = a->stem_width, s = 1;
    for (;; s++) {
        int n = 0;
        for (int i = 0;; i++, n++) {
            char pre[64];
            if (mnv3)
                snprintf(pre, sizeof pre, "features.%d.block", s + i);
            else
                snprintf(pre, sizeof pre, "features.%d.%d.block", s, i);
            const struct sekit_st_tensor *c0 = conv4(st, "%s.0.0.weight", pre);
            if (!c0) break;
            if (a->nnet == SEKIT_MAX_NET_BLOCKS) return bad(e, path, "too many blocks");
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->in_c = in;
            b->up_stage = mnv3 ? s + i : s;
            b->up_index = mnv3 ? 0 : i;
            if (c0->shape[1] != in && c0->shape[1] != 1)
                return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.0.0.weight takes %lld channels, not %d",
                                  path, pre, (long long)c0->shape[1], in);
            int j;
            const struct sekit_st_tensor *dw;
            if (c0->shape[2] == 1 && c0->shape[1] == in) {
                /* a 1x1 expansion, then the depthwise conv */
                b->expand = 1;
                b->mid = (int)c0->shape[0];
                dw = conv4(st, "%s.1.0.weight", pre);
                j = 2;
            } else if (c0->shape[1] == 1 && c0->shape[0] == in) {
                /* no expansion: block.0 is the depthwise conv */
                b->mid = in;
                dw = c0;
                j = 1;
            } else if (!mnv3 && c0->shape[1] == in) {
                /* EfficientNetV2's fused block: a full k x k conv, then maybe a 1x1 project */
                b->kind = SEKIT_NB_FUSED;
                b->k = (int)c0->shape[2];
                b->mid = (int)c0->shape[0];
                b->groups = 1;
                const struct sekit_st_tensor *p = conv4(st, "%s.1.0.weight", pre);
                b->expand = p != NULL;
                b->out_c = p ? (int)p->shape[0] : b->mid;
                if (p && (p->shape[1] != b->mid || p->shape[2] != 1))
                    return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.1.0.weight is not a 1x1 projection",
                                      path, pre);
                in = b->out_c;
                continue;
            } else {
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: %s.0.0.weight is neither a 1x1 expansion nor a depthwise "
                                  "conv",
                                  path, pre);
            }
            if (!dw || dw->shape[0] != b->mid || dw->shape[1] != 1)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: %s.%d.0.weight is not a depthwise conv of %d channels", path,
                                  pre, j - 1, b->mid);
            b->kind = SEKIT_NB_MBCONV;
            b->k = (int)dw->shape[2];
            b->groups = b->mid;
            char se[80];
            snprintf(se, sizeof se, "%s.%d", pre, j);
            b->se_reduced = se_width(st, se, b->mid);
            if (b->se_reduced < 0)
                return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.fc1.weight does not fit %d channels",
                                  path, se, b->mid);
            if (b->se_reduced) j++;
            const struct sekit_st_tensor *p = conv4(st, "%s.%d.0.weight", pre, j);
            if (!p || p->shape[1] != b->mid || p->shape[2] != 1)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: %s.%d.0.weight is missing or not a 1x1 projection of %d "
                                  "channels",
                                  path, pre, j, b->mid);
            b->out_c = (int)p->shape[0];
            in = b->out_c;
        }
        if (mnv3) {
            s += n;
            break;
        }
        if (n == 0) break;
    }
    if (a->nnet == 0) return bad(e, path, "no blocks under features.1");
    /* the head conv follows the last block: features.<s>.0 (a 1x1 conv) */
    const struct sekit_st_tensor *h = conv4(st, "features.%d.0.weight", s);
    if (!h || h->shape[1] != in || h->shape[2] != 1)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: features.%d.0.weight is not the 1x1 head conv",
                          path, s);
    a->head_width = (int)h->shape[0];
    const struct sekit_st_tensor *fc =
        find(st, mnv3 ? "classifier.3.weight" : "classifier.1.weight");
    if (!fc || fc->ndim != 2 || fc->shape[0] < 1 || fc->shape[0] > 1000000)
        return bad(e, path,
                   mnv3 ? "classifier.3.weight is not the classifier"
                        : "classifier.1.weight is not the classifier");
    a->num_classes = (int)fc->shape[0];
    if (mnv3) {
        const struct sekit_st_tensor *h0 = find(st, "classifier.0.weight");
        if (!h0 || h0->ndim != 2 || h0->shape[1] != a->head_width || h0->shape[0] != fc->shape[1])
            return bad(e, path, "classifier.0.weight does not fit the head");
        a->head_hidden = (int)h0->shape[0];
    }
    return SEKIT_OK;
}

/* A bottleneck block of in channels from its convs ca (1x1), cb (grouped k x k) and cc (1x1) of
 * block pre, appended to a; NULL with e set when they do not form one. */
static struct sekit_net_block *bottleneck(struct sekit_arch *a, const struct sekit_st *st,
                                          const char *pre, const struct sekit_st_tensor *ca,
                                          const struct sekit_st_tensor *cb,
                                          const struct sekit_st_tensor *cc, int in,
                                          struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    if (a->nnet == SEKIT_MAX_NET_BLOCKS) {
        bad(e, path, "too many blocks");
        return NULL;
    }
    if (ca->shape[1] != in || ca->shape[2] != 1 || !cb || cb->shape[0] != ca->shape[0] ||
        ca->shape[0] % cb->shape[1] || !cc || cc->shape[1] != ca->shape[0] || cc->shape[2] != 1) {
        sekit_errf(e, SEKIT_ESHAPE, "%s: the convs of %s do not form a bottleneck", path, pre);
        return NULL;
    }
    struct sekit_net_block *b = sekit_zoo_add_block(a);
    b->kind = SEKIT_NB_BOTTLENECK;
    b->in_c = in;
    b->mid = (int)ca->shape[0];
    b->out_c = (int)cc->shape[0];
    b->k = (int)cb->shape[2];
    b->groups = (int)(ca->shape[0] / cb->shape[1]);
    return b;
}

/* RegNetY in torchvision's layout (stem.0, trunk_output.block<s>.block<s>-<i>.f.a/b/se/c, proj,
 * fc; i from 0) or timm's (stem.conv, s<s>.b<i>.conv1/2/3, se, downsample, head.fc; i from 1) */
static int infer_regnet(struct sekit_arch *a, const struct sekit_st *st, int timm,
                        struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    const char *stem = timm ? "stem.conv.weight" : "stem.0.weight",
               *fcname = timm ? "head.fc.weight" : "fc.weight";
    const char *cw[3] = {"f.a.0", "f.b.0", "f.c.0"}, *proj = "proj.0", *sename = "f.se";
    if (timm)
        cw[0] = "conv1.conv", cw[1] = "conv2.conv", cw[2] = "conv3.conv", proj = "downsample.conv",
        sename = "se";
    const int first = timm ? 1 : 0;
    int rc = take_stem(a, st, stem, e);
    if (rc) return rc;
    a->stem_act = SEKIT_ACT_RELU;
    int in = a->stem_width;
    for (int s = 1;; s++) {
        int n = 0;
        for (int i = first;; i++, n++) {
            char pre[80];
            if (timm)
                snprintf(pre, sizeof pre, "s%d.b%d", s, i);
            else
                snprintf(pre, sizeof pre, "trunk_output.block%d.block%d-%d", s, s, i);
            const struct sekit_st_tensor *ca = conv4(st, "%s.%s.weight", pre, cw[0]);
            if (!ca) break;
            struct sekit_net_block *b =
                bottleneck(a, st, pre, ca, conv4(st, "%s.%s.weight", pre, cw[1]),
                           conv4(st, "%s.%s.weight", pre, cw[2]), in, e);
            if (!b) return e->code;
            b->stride = i == first ? 2 : 1;
            b->projection = find(st, "%s.%s.weight", pre, proj) != NULL;
            b->act = SEKIT_ACT_RELU;
            b->up_stage = s;
            b->up_index = i;
            char se[96];
            snprintf(se, sizeof se, "%s.%s", pre, sename);
            b->se_reduced = se_width(st, se, b->mid);
            if (b->se_reduced <= 0)
                return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.fc1.weight is missing or does not fit",
                                  path, se);
            in = b->out_c;
        }
        if (n == 0) break;
    }
    if (a->nnet == 0) return sekit_errf(e, SEKIT_ESHAPE, "%s: no RegNet blocks", path);
    a->bn_eps = 1e-5;
    return take_classifier(a, st, fcname, in, e);
}

/* timm's ReXNet: stem.conv, features.<i> LinearBottleneck blocks ([conv_exp], conv_dw, [se with
 * bn], conv_pwl; each .conv and .bn), features.<n> the 1x1 head conv, head.fc. Every upstream
 * ReXNet (rexnet_*, rexnetr_*: widths and channel divisors differ, depth never) has 16 blocks
 * striding as stages of 1, 2, 2, 3, 3, 5 blocks with strides 1, 2, 2, 2, 1, 2; SiLU after the
 * expansion, stem and head, ReLU6 after the depthwise conv (and its SE), BN eps 1e-5. */
static int infer_rexnet(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    int rc = take_stem(a, st, "stem.conv.weight", e);
    if (rc) return rc;
    a->stem_act = a->head_act = SEKIT_ACT_SILU;
    a->bn_eps = 1e-5;
    int in = a->stem_width, i = 0;
    for (;; i++) {
        char pre[64];
        snprintf(pre, sizeof pre, "features.%d", i);
        const struct sekit_st_tensor *dw = conv4(st, "%s.conv_dw.conv.weight", pre),
                                     *ex = conv4(st, "%s.conv_exp.conv.weight", pre),
                                     *pwl = conv4(st, "%s.conv_pwl.conv.weight", pre);
        if (!dw) break;
        if (a->nnet == SEKIT_MAX_NET_BLOCKS) return bad(e, path, "too many blocks");
        struct sekit_net_block *b = sekit_zoo_add_block(a);
        b->kind = SEKIT_NB_MBCONV;
        b->in_c = in;
        b->expand = ex != NULL;
        b->mid = ex ? (int)ex->shape[0] : in;
        b->k = (int)dw->shape[2];
        b->groups = b->mid;
        b->out_c = pwl ? (int)pwl->shape[0] : 0;
        b->up_stage = i;
        b->act = SEKIT_ACT_SILU;
        if ((ex && (ex->shape[1] != in || ex->shape[2] != 1)) || dw->shape[0] != b->mid ||
            dw->shape[1] != 1 || !pwl || pwl->shape[1] != b->mid || pwl->shape[2] != 1)
            return sekit_errf(e, SEKIT_ESHAPE,
                              "%s: the convs of %s form no ReXNet block (or do not take %d "
                              "channels)",
                              path, pre, in);
        char se[80];
        snprintf(se, sizeof se, "%s.se", pre);
        if ((b->se_reduced = se_width(st, se, b->mid)) < 0)
            return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.fc1.weight does not fit %d channels", path,
                              se, b->mid);
        b->se_act = SEKIT_ACT_RELU;
        b->gate = SEKIT_ACT_SIGMOID;
        in = b->out_c;
    }
    if (a->nnet == 0) return bad(e, path, "no ReXNet blocks under features.0");
    const struct sekit_st_tensor *h = conv4(st, "features.%d.conv.weight", i);
    if (!h || h->shape[1] != in || h->shape[2] != 1)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: features.%d.conv.weight is not the 1x1 head conv",
                          path, i);
    a->head_width = (int)h->shape[0];
    if ((rc = take_classifier(a, st, "head.fc.weight", a->head_width, e))) return rc;
    if (a->nnet == 16) {
        static const int stride[16] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1};
        for (int j = 0; j < 16; j++)
            a->net[j].stride = stride[j];
    }
    return SEKIT_OK;
}

/* timm's ByobNet SE-ResNe(X)ts (seresnet33ts, seresnext26ts): a tiered stem stem.conv1-3 (3x3,
 * the first strided), stages.<s>.<b> bottlenecks (conv1_1x1, grouped conv2_kxk, attn.fc1/fc2
 * SE, conv3_1x1 (each .conv and .bn), shortcut.conv/.bn projection), SiLU, the first block of every
 * stage but the first striding, an optional final_conv, head.fc. Whether the stem pools or
 * strides its third conv is not in the weights (stem_pool -1 until a claim says). */
static int infer_byob(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    const struct sekit_st_tensor *c[3];
    int in = 0;
    for (int j = 0; j < 3; j++) {
        c[j] = conv4(st, "stem.conv%d.conv.weight", j + 1);
        if (!c[j] || c[j]->shape[2] != 3 || (j && c[j]->shape[1] != c[j - 1]->shape[0]))
            return sekit_errf(e, SEKIT_ESHAPE,
                              "%s: stem.conv%d.conv.weight is not the tiered stem's 3x3 conv "
                              "(sekit runs ByobNet's SE-ResNe(X)ts, seresnet33ts and "
                              "seresnext26ts)",
                              path, j + 1);
    }
    a->in_chans = (int)c[0]->shape[1];
    a->stem_chs[0] = (int)c[0]->shape[0];
    a->stem_chs[1] = (int)c[1]->shape[0];
    a->stem_width = in = (int)c[2]->shape[0];
    a->stem_act = a->head_act = SEKIT_ACT_SILU;
    /* the stem's pool: not in the weights; __metadata__ sekit.stem_pool (maxpool|conv) or a
     * claim says it */
    const char *pool = sekit_st_meta(st, "sekit.stem_pool");
    a->stem_pool = !pool ? -1 : !strcmp(pool, "maxpool") ? 1 : !strcmp(pool, "conv") ? 0 : -2;
    if (a->stem_pool == -2)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: __metadata__ sekit.stem_pool '%.32s' is neither maxpool nor conv",
                          path, pool);
    a->bn_eps = 1e-5;
    for (int s = 0;; s++) {
        int n = 0;
        for (int i = 0;; i++, n++) {
            char pre[64];
            snprintf(pre, sizeof pre, "stages.%d.%d", s, i);
            const struct sekit_st_tensor *ca = conv4(st, "%s.conv1_1x1.conv.weight", pre),
                                         *cb = conv4(st, "%s.conv2_kxk.conv.weight", pre),
                                         *cc = conv4(st, "%s.conv3_1x1.conv.weight", pre);
            if (!ca) break;
            struct sekit_net_block *b = bottleneck(a, st, pre, ca, cb, cc, in, e);
            if (!b) return e->code;
            b->stride = s > 0 && i == 0 ? 2 : 1;
            b->projection = find(st, "%s.shortcut.conv.weight", pre) != NULL;
            b->act = SEKIT_ACT_SILU;
            b->se_act = SEKIT_ACT_RELU;
            b->gate = SEKIT_ACT_SIGMOID;
            b->up_stage = s;
            b->up_index = i;
            char se[96];
            snprintf(se, sizeof se, "%s.attn", pre);
            if ((b->se_reduced = se_width(st, se, b->mid)) <= 0)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: %s.fc1.weight is missing or does not fit: sekit runs the "
                                  "ByobNet models whose attention is SE",
                                  path, se);
            in = b->out_c;
        }
        if (n == 0) break;
    }
    if (a->nnet == 0) return bad(e, path, "no ByobNet blocks under stages.0");
    const struct sekit_st_tensor *h = conv4(st, "final_conv.conv.weight");
    if (h && (h->shape[1] != in || h->shape[2] != 1))
        return bad(e, path, "final_conv.conv.weight is not a 1x1 conv of the last block's output");
    a->head_width = h ? (int)h->shape[0] : 0;
    return take_classifier(a, st, "head.fc.weight", h ? a->head_width : in, e);
}

/* The output width of a ghost module <pre>.<g> (primary_conv.0 [init, in], cheap_operation.0
 * [init, 1, 3, 3]: init = ceil(width / 2) outputs each, concatenated and cut to the width)
 * whose consumer takes `used` channels: used, or -1 when the module cannot give it. */
static int ghost_width(const struct sekit_st *st, const char *pre, const char *g, int in, int used)
{
    const struct sekit_st_tensor *p = conv4(st, "%s.%s.primary_conv.0.weight", pre, g),
                                 *c = conv4(st, "%s.%s.cheap_operation.0.weight", pre, g);
    if (!p || !c || p->shape[1] != in || p->shape[2] != 1 || c->shape[0] != p->shape[0] ||
        c->shape[1] != 1 || used < 1 || (used + 1) / 2 != p->shape[0])
        return -1;
    return used;
}

/* timm's GhostNet (v1): conv_stem, blocks.<s>.<i> GhostBottlenecks (ghost1, conv_dw/bn_dw only
 * where the block strides 2, se (SqueezeExcite, hard-sigmoid gate), ghost2, shortcut.0-3: a
 * depthwise conv and a 1x1 conv, each with BN, where the shape changes), the last stage one
 * ConvBnAct (its conv becomes the head conv), then pool, conv_head (1x1 with bias), ReLU,
 * classifier. ReLU everywhere but in ghost2 and after conv_dw and the shortcut's convs; BN eps
 * 1e-5. A ghost module's width is its consumer's input (conv_dw, se, the next block or the
 * head conv): weights show only ceil(width / 2). */
static int infer_ghostnet(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    int rc = take_stem(a, st, "conv_stem.weight", e);
    if (rc) return rc;
    a->stem_act = a->head_act = SEKIT_ACT_RELU;
    a->bn_eps = 1e-5;
    int in = a->stem_width, s = 0;
    for (;; s++) {
        int n = 0;
        for (int i = 0;; i++, n++) {
            char pre[64];
            snprintf(pre, sizeof pre, "blocks.%d.%d", s, i);
            const struct sekit_st_tensor *p1 = conv4(st, "%s.ghost1.primary_conv.0.weight", pre),
                                         *p2 = conv4(st, "%s.ghost2.primary_conv.0.weight", pre),
                                         *dw = conv4(st, "%s.conv_dw.weight", pre),
                                         *s0 = conv4(st, "%s.shortcut.0.weight", pre),
                                         *s2 = conv4(st, "%s.shortcut.2.weight", pre);
            if (!p1) break;
            if (a->nnet == SEKIT_MAX_NET_BLOCKS) return bad(e, path, "too many blocks");
            if (a->nnet > 0) {
                /* the previous block's ghost2 feeds this one */
                struct sekit_net_block *prev = &a->net[a->nnet - 1];
                char pp[64];
                snprintf(pp, sizeof pp, "blocks.%d.%d", prev->up_stage, prev->up_index);
                if ((prev->out_c && prev->out_c != p1->shape[1]) ||
                    ghost_width(st, pp, "ghost2", prev->mid, (int)p1->shape[1]) < 0)
                    return sekit_errf(e, SEKIT_ESHAPE, "%s: %s.ghost2 does not give %s's %d inputs",
                                      path, pp, pre, (int)p1->shape[1]);
                prev->out_c = in = (int)p1->shape[1];
            }
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->kind = SEKIT_NB_GHOST;
            b->in_c = in;
            b->up_stage = s;
            b->up_index = i;
            b->act = b->se_act = SEKIT_ACT_RELU;
            b->gate = SEKIT_ACT_HARDSIGMOID;
            b->mid = p2 ? (int)p2->shape[1] : -1;
            b->stride = dw ? 2 : 1;
            b->k = dw ? (int)dw->shape[2] : s0 ? (int)s0->shape[2] : 3;
            b->groups = 1;
            b->projection = s0 != NULL;
            b->out_c = s2 ? (int)s2->shape[0] : 0;
            char se[80];
            snprintf(se, sizeof se, "%s.se", pre);
            b->se_reduced = p2 ? se_width_named(st, se, "conv_reduce", b->mid) : -1;
            if (!p2 || ghost_width(st, pre, "ghost1", in, b->mid) < 0 || b->se_reduced < 0 ||
                (dw && (dw->shape[0] != b->mid || dw->shape[1] != 1)) ||
                (s0 && (!s2 || s0->shape[0] != in || s0->shape[1] != 1 || s2->shape[1] != in ||
                        s2->shape[2] != 1)) ||
                (!s0 && dw))
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: the convs of %s form no ghost bottleneck (or do not take "
                                  "%d channels)",
                                  path, pre, in);
        }
        if (n == 0) break;
    }
    if (a->nnet == 0) return bad(e, path, "no ghost bottlenecks under blocks.0");
    const struct sekit_st_tensor *h = conv4(st, "blocks.%d.0.conv.weight", s);
    struct sekit_net_block *last = &a->net[a->nnet - 1];
    char pl[64];
    snprintf(pl, sizeof pl, "blocks.%d.%d", last->up_stage, last->up_index);
    if (!h || h->shape[2] != 1 || (last->out_c && last->out_c != h->shape[1]) ||
        ghost_width(st, pl, "ghost2", last->mid, (int)h->shape[1]) < 0)
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: blocks.%d.0.conv.weight is not a 1x1 conv of the last ghost "
                          "module's output",
                          path, s);
    last->out_c = (int)h->shape[1];
    for (int i = 0; i < a->nnet; i++)
        if (!a->net[i].projection && (a->net[i].in_c != a->net[i].out_c || a->net[i].stride != 1))
            return sekit_errf(e, SEKIT_ESHAPE,
                              "%s: blocks.%d.%d changes shape but has no shortcut convs", path,
                              a->net[i].up_stage, a->net[i].up_index);
    a->head_width = (int)h->shape[0];
    const struct sekit_st_tensor *ch = conv4(st, "conv_head.weight");
    if (!ch || ch->shape[1] != a->head_width || ch->shape[2] != 1)
        return bad(e, path, "conv_head.weight is not a 1x1 conv of the head conv's output");
    a->head_hidden = (int)ch->shape[0];
    a->head_bias = find(st, "conv_head.bias") != NULL;
    return take_classifier(a, st, "classifier.weight", a->head_hidden, e);
}

/* The conv <pre>.<name> of a timm block into *t: one tensor <name>.weight, or MixNet's
 * MixedConv2d, <name>.<i>.weight for i from 0, which *t then sums up: outputs and (but for a
 * depthwise split, 1 per group) inputs added, the largest kernel; its splits' count and kernels
 * into *n and k. NULL when absent or when the splits are not timm's: channel parts as
 * _split_channels cuts them, odd kernels, square. */
static const struct sekit_st_tensor *timm_conv(const struct sekit_st *st, const char *pre,
                                               const char *name, struct sekit_st_tensor *t, int *n,
                                               int k[SEKIT_MAX_SPLIT])
{
    const struct sekit_st_tensor *one = conv4(st, "%s.%s.weight", pre, name);
    *n = 1;
    if (one) {
        *t = *one;
        k[0] = (int)one->shape[2];
        return t;
    }
    const struct sekit_st_tensor *p[SEKIT_MAX_SPLIT + 1];
    int m = 0;
    while (m <= SEKIT_MAX_SPLIT && (p[m] = conv4(st, "%s.%s.%d.weight", pre, name, m)))
        m++;
    if (m < 2 || m > SEKIT_MAX_SPLIT) return NULL;
    memset(t, 0, sizeof *t);
    t->ndim = 4;
    const int dw = p[0]->shape[1] == 1;
    for (int i = 0; i < m; i++) {
        if ((p[i]->shape[1] == 1) != dw || p[i]->shape[2] % 2 == 0) return NULL;
        t->shape[0] += p[i]->shape[0];
        t->shape[1] += p[i]->shape[1];
        if (p[i]->shape[2] > t->shape[2]) t->shape[2] = t->shape[3] = p[i]->shape[2];
        k[i] = (int)p[i]->shape[2];
    }
    if (dw) t->shape[1] = 1;
    for (int i = 0; i < m; i++) {
        const int64_t out = t->shape[0] / m + (i ? 0 : t->shape[0] % m),
                      in = dw ? 1 : t->shape[1] / m + (i ? 0 : t->shape[1] % m);
        if (p[i]->shape[0] != out || p[i]->shape[1] != in) return NULL;
    }
    *n = m;
    return t;
}

/* timm's EfficientNet and MobileNetV3 (blocks.<s>.<i>), by the convs each block type names:
 *   InvertedResidual       conv_pw, conv_dw, [se], conv_pwl   -> MBConv with expansion
 *   DepthwiseSeparable     conv_dw, [se], conv_pw             -> MBConv without
 *   EdgeResidual           conv_exp, [se], conv_pwl           -> fused with projection
 *   ConvBnAct              conv                               -> fused without */
static int infer_timm_blocks(struct sekit_arch *a, const struct sekit_st *st, int mnv3,
                             struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    int rc = take_stem(a, st, "conv_stem.weight", e);
    if (rc) return rc;
    int in = a->stem_width;
    for (int s = 0;; s++) {
        int n = 0;
        for (int i = 0;; i++, n++) {
            char pre[64];
            snprintf(pre, sizeof pre, "blocks.%d.%d", s, i);
            struct sekit_st_tensor tpw, tdw, tpwl;
            int npw, ndw, npwl, kpw[SEKIT_MAX_SPLIT] = {0}, kdw[SEKIT_MAX_SPLIT] = {0},
                                kpwl[SEKIT_MAX_SPLIT] = {0};
            const struct sekit_st_tensor *pw = timm_conv(st, pre, "conv_pw", &tpw, &npw, kpw),
                                         *dw = timm_conv(st, pre, "conv_dw", &tdw, &ndw, kdw),
                                         *pwl = timm_conv(st, pre, "conv_pwl", &tpwl, &npwl, kpwl),
                                         *ex = conv4(st, "%s.conv_exp.weight", pre),
                                         *cv = conv4(st, "%s.conv.weight", pre);
            if (!pw && !dw && !ex && !cv) break;
            if (a->nnet == SEKIT_MAX_NET_BLOCKS) return bad(e, path, "too many blocks");
            struct sekit_net_block *b = sekit_zoo_add_block(a);
            b->in_c = in;
            b->up_stage = s;
            b->up_index = i;
            int ok;
            if (pw && dw && pwl) {
                b->kind = SEKIT_NB_MBCONV;
                b->expand = 1;
                b->mid = (int)pw->shape[0];
                b->out_c = (int)pwl->shape[0];
                b->k = (int)dw->shape[2];
                ok = pw->shape[1] == in && pw->shape[2] == 1 && dw->shape[0] == b->mid &&
                     dw->shape[1] == 1 && pwl->shape[1] == b->mid && pwl->shape[2] == 1;
            } else if (pw && dw) {
                b->kind = SEKIT_NB_MBCONV;
                b->mid = in;
                b->out_c = (int)pw->shape[0];
                b->k = (int)dw->shape[2];
                ok = dw->shape[0] == in && dw->shape[1] == 1 && pw->shape[1] == in &&
                     pw->shape[2] == 1;
            } else if (ex && pwl) {
                b->kind = SEKIT_NB_FUSED;
                b->expand = 1;
                b->mid = (int)ex->shape[0];
                b->out_c = (int)pwl->shape[0];
                b->k = (int)ex->shape[2];
                ok = ex->shape[1] == in && pwl->shape[1] == b->mid && pwl->shape[2] == 1;
            } else if (cv) {
                b->kind = SEKIT_NB_FUSED;
                b->mid = b->out_c = (int)cv->shape[0];
                b->k = (int)cv->shape[2];
                ok = cv->shape[1] == in;
            } else {
                ok = 0;
            }
            if (ok && b->kind == SEKIT_NB_MBCONV && (ndw > 1 || npw > 1 || npwl > 1)) {
                /* MixNet's split convs (the 1x1 ones' largest kernel was checked: all 1x1) */
                if (ndw > 1) {
                    b->nsplit = ndw;
                    memcpy(b->split_k, kdw, sizeof kdw);
                }
                b->exp_split = pwl ? npw : 1;
                b->pwl_split = pwl ? npwl : npw;
            }
            if (!ok)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: the convs of %s form no block timm builds (or do not take "
                                  "%d channels)",
                                  path, pre, in);
            b->groups = b->kind == SEKIT_NB_MBCONV ? b->mid : 1;
            char se[80];
            snprintf(se, sizeof se, "%s.se", pre);
            b->se_reduced = se_width_named(st, se, "conv_reduce", b->mid);
            if (b->se_reduced < 0)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: %s.conv_reduce.weight does not fit %d channels", path, se,
                                  b->mid);
            in = b->out_c;
        }
        if (n == 0) break;
    }
    if (a->nnet == 0) return bad(e, path, "no blocks under blocks.0");
    const struct sekit_st_tensor *h = conv4(st, "conv_head.weight");
    if (!h || h->shape[1] != in || h->shape[2] != 1)
        return bad(e, path, "conv_head.weight is not a 1x1 head conv of the last block's output");
    if (mnv3) {
        /* pooled first, then conv_head (a 1x1 conv on 1 x 1 maps) */
        a->head_hidden = (int)h->shape[0];
        a->head_bias = find(st, "conv_head.bias") != NULL;
    } else {
        a->head_width = (int)h->shape[0];
    }
    if ((rc = take_classifier(a, st, "classifier.weight", h->shape[0], e))) return rc;
    a->stem_act = mnv3 ? SEKIT_ACT_HARDSWISH : SEKIT_ACT_SILU;
    /* EfficientNet B0-B8, tinynet and V2 (any depth multiplier) by the family's rule, which
     * holds for files whose first stage is what those models build there: depthwise-separable
     * blocks with SE (B-series) or plain convs (V2). The other timm models (MobileNetV3, MNASNet,
     * MixNet, LCNet, FBNetV3, HardCoReNAS) by their arch_def, when the blocks fit one */
    const int stages = a->net[a->nnet - 1].up_stage + 1;
    int effnet = !mnv3 && stages <= 7;
    for (int i = 0; effnet && i < a->nnet && a->net[i].up_stage == 0; i++) {
        const struct sekit_net_block *b = &a->net[i];
        effnet = b->nsplit <= 1 && ((b->kind == SEKIT_NB_MBCONV && !b->expand && b->se_reduced) ||
                                    b->kind == SEKIT_NB_FUSED);
    }
    if (!effnet) {
        sekit_timm_infer(a);
        return SEKIT_OK;
    }
    static const int stride[7] = {1, 2, 2, 2, 1, 2, 1};
    for (int i = 0; i < a->nnet; i++) {
        struct sekit_net_block *b = &a->net[i];
        b->stride = b->up_index ? 1 : stride[b->up_stage];
        b->act = SEKIT_ACT_SILU;
    }
    return SEKIT_OK;
}

/* The blocks of a and p agree in everything weights show. */
static int same_shapes(const struct sekit_arch *a, const struct sekit_arch *p)
{
    if (a->family != p->family || a->layout != p->layout || a->nnet != p->nnet ||
        a->stem_width != p->stem_width || a->head_width != p->head_width ||
        a->head_hidden != p->head_hidden)
        return 0;
    for (int i = 0; i < a->nnet; i++) {
        const struct sekit_net_block *x = &a->net[i], *y = &p->net[i];
        if (x->kind != y->kind || x->in_c != y->in_c || x->mid != y->mid || x->out_c != y->out_c ||
            x->k != y->k || x->groups != y->groups || x->expand != y->expand ||
            x->se_reduced != y->se_reduced)
            return 0;
    }
    return 1;
}

/* Comma-separated values of metadata key, one per block, into a; 0 when absent. */
static int meta_list(const struct sekit_st *st, const char *key, struct sekit_arch *a, int acts,
                     struct sekit_err *e)
{
    const char *v = sekit_st_meta(st, key);
    if (!v) return 0;
    int n = 0;
    for (const char *p = v; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (n == a->nnet) break;
        struct sekit_net_block *b = &a->net[n++];
        if (acts) {
            int found = 0;
            for (int k = SEKIT_ACT_RELU; k <= SEKIT_ACT_HARDSWISH; k++)
                if (strlen(sekit_act_name((enum sekit_act)k)) == len &&
                    strncmp(p, sekit_act_name((enum sekit_act)k), len) == 0)
                    b->act = (enum sekit_act)k, found = 1;
            if (!found) n = -1;
        } else if (len == 1 && (*p == '1' || *p == '2')) {
            b->stride = *p - '0';
        } else {
            n = -1;
        }
        if (n < 0) break;
        p += len + (end != NULL);
    }
    if (n != a->nnet)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: __metadata__ %s must list %s for each of the %d blocks",
                          sekit_st_path(st), key,
                          acts ? "an activation (relu, relu6, silu, "
                                 "hardswish)"
                               : "a stride (1 or 2)",
                          a->nnet);
    return 1;
}

int sekit_zoo_detect(const struct sekit_st *st)
{
    if (sekit_st_find(st, "features.0.0.weight") &&
        sekit_st_find(st, "features.1.0.block.0.0.weight"))
        return SEKIT_FAMILY_EFFICIENTNET;
    if (sekit_st_find(st, "features.0.0.weight") &&
        sekit_st_find(st, "features.1.block.0.0.weight"))
        return SEKIT_FAMILY_MOBILENETV3;
    if (sekit_st_find(st, "stem.0.weight") &&
        sekit_st_find(st, "trunk_output.block1.block1-0.f.a.0.weight"))
        return SEKIT_FAMILY_REGNETY;
    if (sekit_st_find(st, "conv_stem.weight") &&
        sekit_st_find(st, "blocks.0.0.ghost1.primary_conv.0.weight"))
        return SEKIT_FAMILY_GHOSTNET;
    if (sekit_st_find(st, "conv_stem.weight") && sekit_st_find(st, "conv_head.weight"))
        /* timm's EfficientNet normalises conv_head's output (bn2); MobileNetV3 pools first */
        return sekit_st_find(st, "bn2.weight") ? SEKIT_FAMILY_EFFICIENTNET
                                               : SEKIT_FAMILY_MOBILENETV3;
    if (sekit_st_find(st, "stem.conv.weight") && sekit_st_find(st, "s1.b1.conv1.conv.weight"))
        return SEKIT_FAMILY_REGNETY;
    if (sekit_st_find(st, "stem.conv.weight") &&
        sekit_st_find(st, "features.0.conv_dw.conv.weight"))
        return SEKIT_FAMILY_REXNET;
    if (sekit_st_find(st, "stem.conv1.conv.weight") &&
        sekit_st_find(st, "stages.0.0.conv1_1x1.conv.weight"))
        return SEKIT_FAMILY_BYOBNET;
    return -1;
}

int sekit_zoo_infer(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    const int f = sekit_zoo_detect(st);
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "inferred");
    a->family = (enum sekit_family)f;
    const int timm = sekit_st_find(st, "conv_stem.weight") ||
                     sekit_st_find(st, "stem.conv.weight") || f == SEKIT_FAMILY_BYOBNET;
    a->layout = timm ? SEKIT_LAYOUT_TIMM_ZOO : SEKIT_LAYOUT_TORCHVISION;
    int rc;
    if (f == SEKIT_FAMILY_REXNET)
        rc = infer_rexnet(a, st, e);
    else if (f == SEKIT_FAMILY_BYOBNET)
        rc = infer_byob(a, st, e);
    else if (f == SEKIT_FAMILY_GHOSTNET)
        rc = infer_ghostnet(a, st, e);
    else if (timm)
        rc = f == SEKIT_FAMILY_REGNETY ? infer_regnet(a, st, 1, e)
                                       : infer_timm_blocks(a, st, f == SEKIT_FAMILY_MOBILENETV3, e);
    else
        rc = f == SEKIT_FAMILY_REGNETY ? infer_regnet(a, st, 0, e)
                                       : infer_features(a, st, f == SEKIT_FAMILY_MOBILENETV3, e);
    if (rc) return rc;
    /* the upstream preset these exact shapes are, if any: its strides, activations and eps */
    struct sekit_arch p;
    for (int i = 0; !timm && i < NZOO + NREGNETS; i++)
        if (sekit_zoo_preset(&p, sekit_zoo_name(i)) && same_shapes(a, &p)) {
            const int classes = a->num_classes, chans = a->in_chans;
            *a = p;
            a->num_classes = classes;
            a->in_chans = chans;
            snprintf(a->name, sizeof a->name, "inferred");
            break;
        }
    /* strides and activations a family rule fixes */
    if (f == SEKIT_FAMILY_EFFICIENTNET && !timm) {
        static const int stage_stride[7] = {1, 2, 2, 2, 1, 2, 1};
        for (int i = 0; i < a->nnet; i++) {
            struct sekit_net_block *b = &a->net[i];
            if (b->up_stage > 7)
                return bad(e, path, "an EfficientNet of more than 7 stages: strides unknown");
            b->stride = b->up_index == 0 ? stage_stride[b->up_stage - 1] : 1;
            b->act = SEKIT_ACT_SILU;
        }
    }
    if ((rc = meta_list(st, "sekit.block_strides", a, 0, e)) < 0 ||
        (rc = meta_list(st, "sekit.block_acts", a, 1, e)) < 0)
        return rc;
    /* torchvision's MobileNetV3 class fixes its eps */
    if (f == SEKIT_FAMILY_MOBILENETV3 && !timm && a->bn_eps == 0) a->bn_eps = 1e-3;
    const char *eps = sekit_st_meta(st, "sekit.bn_eps");
    if (eps) {
        char *end;
        const double v = strtod(eps, &end);
        if (*end || !(v > 0 && v < 1))
            return sekit_errf(e, SEKIT_EFORMAT,
                              "%s: __metadata__ sekit.bn_eps '%.32s' is not a "
                              "BatchNorm eps",
                              path, eps);
        a->bn_eps = v;
    }
    const char *pad = sekit_st_meta(st, "sekit.padding");
    if (pad && strcmp(pad, "same") && strcmp(pad, "symmetric"))
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: __metadata__ sekit.padding '%.32s' is neither same nor symmetric",
                          path, pad);
    if (pad) a->same_pad = strcmp(pad, "same") == 0;
    /* timm's ports of TensorFlow models differ only in padding and eps: both must be known,
     * unless the models the blocks fit have no such port */
    if (timm && f != SEKIT_FAMILY_REGNETY && f != SEKIT_FAMILY_REXNET &&
        f != SEKIT_FAMILY_BYOBNET && f != SEKIT_FAMILY_GHOSTNET && !pad)
        a->bn_eps = sekit_timm_tf_twin(a) ? 0 : 1e-5;
    return SEKIT_OK;
}

int sekit_zoo_claim(struct sekit_arch *a, const char *name, const char *path, const char *what,
                    struct sekit_err *e)
{
    /* the timm families sekit runs, and the TensorFlow ports among them */
    static const struct {
        const char *prefix;
        enum sekit_family f;
    } fams[] = {{"efficientnet", SEKIT_FAMILY_EFFICIENTNET},
                {"tinynet", SEKIT_FAMILY_EFFICIENTNET},
                {"mobilenetv3", SEKIT_FAMILY_MOBILENETV3},
                {"regnety", SEKIT_FAMILY_REGNETY},
                {"rexnet", SEKIT_FAMILY_REXNET},
                {"seresnet33ts", SEKIT_FAMILY_BYOBNET},
                {"seresnext26ts", SEKIT_FAMILY_BYOBNET},
                {"ghostnet_", SEKIT_FAMILY_GHOSTNET}};
    if (strncmp(name, "timm/", 5) == 0) name += 5;
    const int tf = strncmp(name, "tf_", 3) == 0;
    const char *base = tf ? name + 3 : name;
    /* the models of timm's EfficientNet builder with an arch_def here: their blocks' facts */
    int rc = sekit_timm_claim(a, name, path, what, e);
    if (rc != 1 && rc != SEKIT_OK) return rc;
    int known = rc == SEKIT_OK;
    for (size_t i = 0; !known && i < sizeof fams / sizeof fams[0]; i++) {
        if (strncmp(base, fams[i].prefix, strlen(fams[i].prefix)) != 0) continue;
        if (fams[i].f != a->family)
            return sekit_errf(e, SEKIT_ESHAPE, "%s: %s does not fit the weights: they are a %s",
                              path, what, sekit_family_name(a->family));
        known = 1;
    }
    if (!known) return 1;
    /* a model sekit builds by name must have the weights' blocks, widths included */
    struct sekit_arch p;
    char exact[64];
    snprintf(exact, sizeof exact, "%.*s", (int)strcspn(base, "."), base);
    if (a->family != SEKIT_FAMILY_EFFICIENTNET && a->family != SEKIT_FAMILY_MOBILENETV3 &&
        sekit_zoo_preset(&p, exact) && !same_shapes(a, &p))
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s does not fit the weights: the blocks differ",
                          path, what);
    /* ByobNet's SE models: seresnext26ts pools after its stem, seresnet33ts strides conv3 */
    if (a->family == SEKIT_FAMILY_BYOBNET) a->stem_pool = strncmp(base, "seresnext26ts", 13) == 0;
    a->same_pad = tf;
    if (a->family != SEKIT_FAMILY_REGNETY) a->bn_eps = tf ? 1e-3 : 1e-5;
    snprintf(a->name, sizeof a->name, "%s", name);
    return SEKIT_OK;
}

int sekit_zoo_check(const struct sekit_arch *a, const char *path, struct sekit_err *e)
{
    char fits[400];
    const int timm = a->layout == SEKIT_LAYOUT_TIMM_ZOO && a->family != SEKIT_FAMILY_REGNETY &&
                     a->family != SEKIT_FAMILY_REXNET && a->family != SEKIT_FAMILY_BYOBNET &&
                     a->family != SEKIT_FAMILY_GHOSTNET;
    if (a->family == SEKIT_FAMILY_BYOBNET && a->stem_pool < 0)
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: timm's ByobNet stems either max-pool after their third conv "
                          "(seresnext26ts) or stride it (seresnet33ts), with the same weights; "
                          "say which with --arch, the config.json beside the file or "
                          "__metadata__ sekit.arch",
                          path);
    for (int i = 0; i < a->nnet; i++)
        if (timm && (!a->net[i].stride || a->net[i].act == SEKIT_ACT_NONE)) {
            if (sekit_timm_fits(a, fits, sizeof fits) == 0)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: weights cannot show each block's stride and activation, "
                                  "and these blocks are no timm model sekit knows; say them in "
                                  "__metadata__ sekit.block_strides and sekit.block_acts",
                                  path);
            return sekit_errf(e, SEKIT_ESHAPE,
                              "%s: weights cannot show each block's stride and activation, and "
                              "timm models that differ in them have these blocks (%s); say which "
                              "with --arch, the config.json beside the file or __metadata__ "
                              "sekit.arch",
                              path, fits);
        } else if (!a->net[i].stride || a->net[i].act == SEKIT_ACT_NONE) {
            return sekit_errf(e, SEKIT_ESHAPE,
                              "%s: a %s of blocks no upstream model has: weights cannot show each "
                              "block's stride and activation; say them in __metadata__ "
                              "sekit.block_strides and sekit.block_acts, or load it as the "
                              "architecture it is (--arch)",
                              path, sekit_family_name(a->family));
        }
    if (a->bn_eps == 0 && a->layout == SEKIT_LAYOUT_TIMM_ZOO) {
        if (sekit_timm_fits(a, fits, sizeof fits) == 0)
            snprintf(fits, sizeof fits, "%s", sekit_family_name(a->family));
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: timm's %s and their TensorFlow ports (tf_*) have these weight names "
                          "and shapes but differ in padding and BatchNorm eps; say which with "
                          "--arch, the config.json beside the file, __metadata__ sekit.arch, or "
                          "__metadata__ sekit.padding (same|symmetric) and sekit.bn_eps",
                          path, fits);
    }
    if (a->bn_eps == 0)
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: an EfficientNet of blocks no upstream model has: weights cannot "
                          "show its BatchNorm eps (1e-5 in B0-B4, 1e-3 in B5-B7 and V2); say it "
                          "in __metadata__ sekit.bn_eps, or load it as the architecture it is "
                          "(--arch)",
                          path);
    return SEKIT_OK;
}

int sekit_zoo_match(struct sekit_arch *a, const struct sekit_arch *p, const char *path,
                    const char *what, struct sekit_err *e)
{
    if (a->layout != p->layout || !same_shapes(a, p))
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s does not fit the weights: the blocks differ",
                          path, what);
    for (int i = 0; i < a->nnet; i++) {
        a->net[i].stride = p->net[i].stride;
        a->net[i].act = p->net[i].act;
    }
    a->bn_eps = p->bn_eps;
    a->same_pad = p->same_pad;
    snprintf(a->name, sizeof a->name, "%s", p->name);
    return SEKIT_OK;
}

int sekit_zoo_features(const struct sekit_arch *a)
{
    return a->head_width ? a->head_width : a->net[a->nnet - 1].out_c;
}
