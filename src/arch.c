/*
 * arch.c -- SE-ResNet architectures: named presets, inference from a weight file, and the
 * derived shape of every residual block.
 *
 * Inference reads only names and shapes; it forms a hypothesis that model.c then checks tensor
 * by tensor. Rules (each matches the project that publishes that layout):
 *   layout  layer0.conv1.weight -> legacy (Cadene); *.se.fc.0.weight -> moskomule; else timm;
 *           stem.* / stages.* -> timm's ByobNet, refused
 *   stem    conv1.0.weight (timm) or layer0.conv2.weight (legacy) -> deep, three 3x3 convs;
 *           else kernel 3 -> small (no pool); kernel 7 -> caffe pool for legacy, imagenet else
 *   block   layer1.0.conv3.weight present -> bottleneck, else basic; conv1's outputs against
 *           conv2's give groups and SENet-154's half-width first 1x1 (reduce_first)
 *   stride  legacy SE-ResNet bottlenecks (groups 1) stride the first 1x1 like the Caffe release;
 *           everything else strides the 3x3 (timm, torchvision, Cadene's SE-ResNeXt)
 *   short   downsample.1.weight without downsample.0.weight -> timm's average-pool shortcut;
 *           the projection kernel (1 or SENet-154's 3) from its shape
 *   relu    Cadene's basic block (legacy_seresnet18/34) applies a ReLU to the branch before SE
 * The __metadata__ keys "sekit.stem" (imagenet|caffe|small), "sekit.stride_on" (1x1|3x3) and
 * "sekit.aa" (avgpool|none) override the rules for files whose names cannot tell; anti-aliasing
 * never shows in names, so a claimed upstream model (sekit_arch_match) supplies it.
 */
#include "arch_zoo.h"
#include "sekit.h"

#include <stdio.h>
#include <string.h>

/* Why timm's ByobNet SE models (stem.*, stages.* names) are not run: their blocks differ from
 * the paper's SE-ResNet module, not only their names. */
#define BYOBNET_WHY                                                                                \
    "timm ByobNet layout of a kind sekit does not run: it runs ByobNet's SE-ResNe(X)ts "           \
    "(seresnet33ts, seresnext26ts: a tiered stem, SiLU bottlenecks with SE on the middle conv)"

const char *sekit_layout_name(enum sekit_layout l)
{
    switch (l) {
    case SEKIT_LAYOUT_TIMM:
        return "timm";
    case SEKIT_LAYOUT_LEGACY:
        return "legacy";
    case SEKIT_LAYOUT_MOSKOMULE:
        return "moskomule";
    case SEKIT_LAYOUT_TORCHVISION:
        return "torchvision";
    case SEKIT_LAYOUT_TIMM_ZOO:
        return "timm";
    }
    return "?";
}

const char *sekit_family_name(enum sekit_family f)
{
    switch (f) {
    case SEKIT_FAMILY_SERESNET:
        return "SE-ResNet";
    case SEKIT_FAMILY_EFFICIENTNET:
        return "EfficientNet";
    case SEKIT_FAMILY_MOBILENETV3:
        return "MobileNetV3";
    case SEKIT_FAMILY_REGNETY:
        return "RegNetY";
    case SEKIT_FAMILY_REXNET:
        return "ReXNet";
    case SEKIT_FAMILY_BYOBNET:
        return "ByobNet";
    case SEKIT_FAMILY_GHOSTNET:
        return "GhostNet";
    }
    return "?";
}

const char *sekit_stem_name(enum sekit_stem s)
{
    switch (s) {
    case SEKIT_STEM_IMAGENET:
        return "imagenet";
    case SEKIT_STEM_CAFFE:
        return "caffe";
    case SEKIT_STEM_SMALL:
        return "small";
    }
    return "?";
}

static int expansion(const struct sekit_arch *a)
{
    return a->block == SEKIT_BLOCK_BOTTLENECK ? 4 : 1;
}

static int block_width(const struct sekit_arch *a, int s)
{
    if (a->block == SEKIT_BLOCK_BASIC) return a->planes[s];
    return a->planes[s] * a->base_width / 64 * a->groups;
}

int sekit_arch_stride(const struct sekit_arch *a)
{
    if (a->family == SEKIT_FAMILY_SERESNET)
        /* the stem's stride (2 x 2 for the ImageNet and Caffe stems), one halving per later stage
         */
        return (a->stem == SEKIT_STEM_SMALL ? 1 : 4) << (a->nstages - 1);
    int stride = 2; /* every other family's stem conv */
    for (int i = 0; i < a->nnet && stride < (1 << 20); i++)
        stride *= a->net[i].stride == 2 ? 2 : 1;
    return stride;
}

int sekit_arch_features(const struct sekit_arch *a)
{
    if (a->family != SEKIT_FAMILY_SERESNET) return sekit_zoo_features(a);
    return a->planes[a->nstages - 1] * expansion(a);
}

struct sekit_block_shape sekit_arch_block(const struct sekit_arch *a, int s, int b)
{
    SEKIT_ASSERT(s >= 0 && s < a->nstages && b >= 0 && b < a->blocks[s]);
    struct sekit_block_shape k = {0};
    k.stage_index = s;
    k.block_index = b;
    k.out_c = a->planes[s] * expansion(a);
    k.in_c = b > 0 ? k.out_c : s > 0 ? a->planes[s - 1] * expansion(a) : a->stem_width;
    k.width = block_width(a, s);
    k.first = k.width / (a->reduce_first > 0 ? a->reduce_first : 1);
    k.stride = (b == 0 && s > 0) ? 2 : 1;
    k.groups = a->block == SEKIT_BLOCK_BOTTLENECK ? a->groups : 1;
    k.se_reduced = a->se_reduced[s][b];
    k.has_downsample = a->has_downsample[s][b];
    k.downsample_kernel = a->downsample_kernel[s][b];
    return k;
}

/* timm's SEModule width: make_divisible(C / 16, 8, round_limit=0), i.e. the nearest multiple of
 * 8, at least 8 (round_limit 0 disables make_divisible's "not 10% below" bump). */
static int timm_reduced(int c)
{
    int r = (int)(c / 16.0 + 4) / 8 * 8;
    return r < 8 ? 8 : r;
}

/* Fills the per-block tables of a preset: standard projection rule and SE width. */
static void fill_blocks(struct sekit_arch *a)
{
    for (int s = 0; s < a->nstages; s++)
        for (int b = 0; b < a->blocks[s]; b++) {
            int out = a->planes[s] * expansion(a);
            int in = b > 0 ? out : s > 0 ? a->planes[s - 1] * expansion(a) : a->stem_width;
            int stride = (b == 0 && s > 0) ? 2 : 1;
            a->has_downsample[s][b] = stride != 1 || in != out;
            a->downsample_kernel[s][b] = 1;
            a->se_reduced[s][b] = a->layout == SEKIT_LAYOUT_TIMM ? timm_reduced(out) : out / 16;
        }
}

/* An upstream model. stem: 0 the 7x7 conv; else a deep stem whose first two convs have
 * `stem` outputs each (tiered: 3/4 of it, then it) and whose third has twice `stem` (timm's
 * stem_width and stem_type rules). */
struct preset {
    const char *name;
    enum sekit_layout layout;
    enum sekit_block_kind block;
    int b[4];
    int groups, base_width;
    int stem, tiered, avg_down, aa, reduce_first, down_k;
};

#define TIMM_B(n, b0, b1, b2, b3)                                                                  \
    .name = n, .layout = SEKIT_LAYOUT_TIMM, .block = SEKIT_BLOCK_BASIC, .b = {b0, b1, b2, b3},     \
    .groups = 1, .base_width = 64
#define TIMM(n, b0, b1, b2, b3, g, bw)                                                             \
    .name = n, .layout = SEKIT_LAYOUT_TIMM, .block = SEKIT_BLOCK_BOTTLENECK,                       \
    .b = {b0, b1, b2, b3}, .groups = g, .base_width = bw
#define LEGACY(n, blk, b0, b1, b2, b3, g, bw)                                                      \
    .name = n, .layout = SEKIT_LAYOUT_LEGACY, .block = blk, .b = {b0, b1, b2, b3}, .groups = g,    \
    .base_width = bw

/* timm's resnet.py and senet.py (legacy_*, Cadene's module tree) SE models, moskomule's. */
static const struct preset presets[] = {
    {TIMM_B("seresnet18", 2, 2, 2, 2)},
    {TIMM_B("seresnet34", 3, 4, 6, 3)},
    {TIMM("seresnet50", 3, 4, 6, 3, 1, 64)},
    {TIMM("seresnet50t", 3, 4, 6, 3, 1, 64), .stem = 32, .tiered = 1, .avg_down = 1},
    {TIMM("seresnet101", 3, 4, 23, 3, 1, 64)},
    {TIMM("seresnet152", 3, 8, 36, 3, 1, 64)},
    {TIMM("seresnet152d", 3, 8, 36, 3, 1, 64), .stem = 32, .avg_down = 1},
    {TIMM("seresnet200d", 3, 24, 36, 3, 1, 64), .stem = 32, .avg_down = 1},
    {TIMM("seresnet269d", 3, 30, 48, 8, 1, 64), .stem = 32, .avg_down = 1},
    {TIMM("seresnetaa50d", 3, 4, 6, 3, 1, 64), .stem = 32, .avg_down = 1, .aa = 1},
    {TIMM("seresnext26d_32x4d", 2, 2, 2, 2, 32, 4), .stem = 32, .avg_down = 1},
    {TIMM("seresnext26t_32x4d", 2, 2, 2, 2, 32, 4), .stem = 32, .tiered = 1, .avg_down = 1},
    /* timm's deprecated name for seresnext26t_32x4d, whose weights carry it */
    {TIMM("seresnext26tn_32x4d", 2, 2, 2, 2, 32, 4), .stem = 32, .tiered = 1, .avg_down = 1},
    {TIMM("seresnext50_32x4d", 3, 4, 6, 3, 32, 4)},
    {TIMM("seresnext101_32x4d", 3, 4, 23, 3, 32, 4)},
    {TIMM("seresnext101_32x8d", 3, 4, 23, 3, 32, 8)},
    {TIMM("seresnext101d_32x8d", 3, 4, 23, 3, 32, 8), .stem = 32, .avg_down = 1},
    {TIMM("seresnext101_64x4d", 3, 4, 23, 3, 64, 4)},
    {TIMM("seresnextaa101d_32x8d", 3, 4, 23, 3, 32, 8), .stem = 32, .avg_down = 1, .aa = 1},
    {TIMM("seresnextaa201d_32x8d", 3, 24, 36, 4, 32, 8), .stem = 64, .avg_down = 1, .aa = 1},
    {TIMM("senet154", 3, 8, 36, 3, 64, 4), .stem = 64, .reduce_first = 2, .down_k = 3},
    {LEGACY("legacy_seresnet18", SEKIT_BLOCK_BASIC, 2, 2, 2, 2, 1, 64)},
    {LEGACY("legacy_seresnet34", SEKIT_BLOCK_BASIC, 3, 4, 6, 3, 1, 64)},
    {LEGACY("legacy_seresnet50", SEKIT_BLOCK_BOTTLENECK, 3, 4, 6, 3, 1, 64)},
    {LEGACY("legacy_seresnet101", SEKIT_BLOCK_BOTTLENECK, 3, 4, 23, 3, 1, 64)},
    {LEGACY("legacy_seresnet152", SEKIT_BLOCK_BOTTLENECK, 3, 8, 36, 3, 1, 64)},
    {LEGACY("legacy_seresnext26_32x4d", SEKIT_BLOCK_BOTTLENECK, 2, 2, 2, 2, 32, 4)},
    {LEGACY("legacy_seresnext50_32x4d", SEKIT_BLOCK_BOTTLENECK, 3, 4, 6, 3, 32, 4)},
    {LEGACY("legacy_seresnext101_32x4d", SEKIT_BLOCK_BOTTLENECK, 3, 4, 23, 3, 32, 4)},
    {LEGACY("legacy_senet154", SEKIT_BLOCK_BOTTLENECK, 3, 8, 36, 3, 64, 4), .stem = 64,
     .reduce_first = 2, .down_k = 3},
    {.name = "moskomule_se_resnet50",
     .layout = SEKIT_LAYOUT_MOSKOMULE,
     .block = SEKIT_BLOCK_BOTTLENECK,
     .b = {3, 4, 6, 3},
     .groups = 1,
     .base_width = 64},
};
#define NPRESETS ((int)(sizeof presets / sizeof presets[0]))

#define NFNET_WHY                                                                                  \
    "NFNet (timm nfnet_*, dm_nfnet_*, eca_nfnet_*, nf_*): normalizer-free, weight-standardised "   \
    "convs with learned gains and no BatchNorm, SE outputs scaled by 2 and skip-init gains; "      \
    "sekit "                                                                                       \
    "folds BatchNorm into its convs and has no weight standardisation"
#define ECA_WHY                                                                                    \
    "ECA (timm ecaresnet*, eca_*): the gate comes from a 1-D conv across channels, not from two "  \
    "FCs through a reduced width; sekit's gates are the SE block's"
#define VOVNET_WHY                                                                                 \
    "ESE-VoVNet (timm ese_vovnet*): one-shot aggregation blocks concatenating every conv's "       \
    "output, and effective SE (one FC, hard-sigmoid gate); not in sekit's engine"
#define TRESNET_WHY                                                                                \
    "TResNet (timm tresnet_*): a space-to-depth stem, anti-aliased downsampling by a fixed blur "  \
    "and in-place activated BatchNorm with leaky ReLU; not in sekit's engine"
#define RESNETRS_WHY                                                                               \
    "ResNet-RS (timm resnetrs*): its stem's max-pool is a strided 3x3 conv (replace_stem_pool); "  \
    "sekit's SE-ResNets pool there"
/* Upstream SE networks sekit does not run, and why: asked for by name (--arch, config.json;
 * a name with this prefix) they are refused with the reason rather than as unknown, and so are
 * weight files holding the tensor that only they have. */
static const struct {
    const char *prefix, *tensor, *why;
} refused[] = {
    {"nfnet_", "stem.conv1.gain", NFNET_WHY},
    {"dm_nfnet_", NULL, NFNET_WHY},
    {"eca_nfnet_", NULL, NFNET_WHY},
    {"nf_", NULL, NFNET_WHY},
    {"ecaresnet", "layer1.0.se.conv.weight", ECA_WHY},
    {"eca_", NULL, ECA_WHY},
    {"ese_vovnet", "stages.0.blocks.0.conv_reduction.conv.weight", VOVNET_WHY},
    {"tresnet_", "body.conv1.conv.weight", TRESNET_WHY},
    {"resnetrs", "maxpool.0.weight", RESNETRS_WHY},
};
#define NREFUSED ((int)(sizeof refused / sizeof refused[0]))

const char *sekit_arch_refusal(const char *name)
{
    for (int i = 0; i < NREFUSED; i++)
        if (strncmp(refused[i].prefix, name, strlen(refused[i].prefix)) == 0) return refused[i].why;
    return NULL;
}

const char *const *sekit_arch_preset_names(void)
{
    static const char *names[NPRESETS + 256];
    int n = 0;
    for (int i = 0; i < NPRESETS; i++)
        names[n++] = presets[i].name;
    for (int i = 0; sekit_zoo_name(i); i++) {
        SEKIT_ASSERT(n < NPRESETS + 255);
        names[n++] = sekit_zoo_name(i);
    }
    names[n] = NULL;
    return names;
}

static const char *preset_name(const void *ctx, int i)
{
    (void)ctx;
    return sekit_arch_preset_names()[i];
}

static int npreset_names(void)
{
    int n = 0;
    for (const char *const *p = sekit_arch_preset_names(); *p; p++)
        n++;
    return n;
}

int sekit_arch_preset(struct sekit_arch *a, const char *name, struct sekit_err *e)
{
    const struct preset *p = NULL;
    for (int i = 0; i < NPRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) p = &presets[i];
    if (!p && sekit_zoo_preset(a, name)) return SEKIT_OK;
    const char *why = p ? NULL : sekit_arch_refusal(name);
    if (why)
        return sekit_errf(e, SEKIT_EINVAL, "architecture '%s' is not supported: %s", name, why);
    if (!p) {
        char list[1024];
        return sekit_errf(e, SEKIT_EINVAL, "unknown architecture '%.64s' (known: %s)", name,
                          sekit_name_list(list, sizeof list, preset_name, NULL, npreset_names()));
    }
    memset(a, 0, sizeof *a);
    a->bn_eps = 1e-5;
    snprintf(a->name, sizeof a->name, "%s", p->name);
    a->layout = p->layout;
    a->stem = p->layout == SEKIT_LAYOUT_LEGACY ? SEKIT_STEM_CAFFE : SEKIT_STEM_IMAGENET;
    a->block = p->block;
    a->stride_on_3x3 = !(p->layout == SEKIT_LAYOUT_LEGACY && p->groups == 1);
    a->in_chans = 3;
    a->num_classes = 1000;
    a->stem_width = p->stem ? 2 * p->stem : 64;
    a->stem_deep = p->stem > 0;
    a->stem_chs[0] = p->tiered ? 3 * (p->stem / 4) : p->stem;
    a->stem_chs[1] = p->stem;
    a->avg_down = p->avg_down;
    a->aa = p->aa;
    a->reduce_first = p->reduce_first ? p->reduce_first : 1;
    a->nstages = 4;
    for (int s = 0; s < 4; s++) {
        a->blocks[s] = p->b[s];
        a->planes[s] = 64 << s;
    }
    a->groups = p->groups;
    a->base_width = p->base_width;
    a->se_bias = p->layout != SEKIT_LAYOUT_MOSKOMULE;
    a->se_linear = p->layout == SEKIT_LAYOUT_MOSKOMULE;
    a->relu_before_se = p->layout == SEKIT_LAYOUT_LEGACY && p->block == SEKIT_BLOCK_BASIC;
    fill_blocks(a);
    /* SENet-154 strides its projections with a 3x3 conv, except layer1's (stride 1) */
    for (int s = 1; p->down_k && s < a->nstages; s++)
        a->downsample_kernel[s][0] = (unsigned char)p->down_k;
    return SEKIT_OK;
}

static const char *field_diff(const struct sekit_arch *a, const struct sekit_arch *p)
{
    if (a->layout != p->layout) return "weight-name layout";
    if (a->block != p->block) return "block type";
    if (a->nstages != p->nstages) return "number of stages";
    for (int s = 0; s < a->nstages; s++) {
        if (a->blocks[s] != p->blocks[s]) return "blocks per stage";
        if (a->planes[s] != p->planes[s]) return "stage widths";
    }
    if (a->stem_deep != p->stem_deep) return "stem (one 7x7 conv or three 3x3)";
    if (a->stem_deep && (a->stem_chs[0] != p->stem_chs[0] || a->stem_chs[1] != p->stem_chs[1]))
        return "deep stem widths";
    if (a->stem_width != p->stem_width) return "stem width";
    if (a->groups != p->groups || a->base_width != p->base_width) return "groups or base width";
    if (a->reduce_first != p->reduce_first) return "first 1x1 width of the bottlenecks";
    if (a->avg_down != p->avg_down) return "projection shortcut (average pool or strided conv)";
    for (int s = 0; s < a->nstages; s++)
        for (int b = 0; b < a->blocks[s]; b++)
            if (a->has_downsample[s][b] != p->has_downsample[s][b] ||
                (a->has_downsample[s][b] &&
                 a->downsample_kernel[s][b] != p->downsample_kernel[s][b]))
                return "projection shortcuts";
    return NULL;
}

const char *sekit_arch_aa_twin(const struct sekit_arch *a)
{
    if (a->family != SEKIT_FAMILY_SERESNET || a->aa) return NULL;
    for (int i = 0; i < NPRESETS; i++) {
        struct sekit_arch p;
        if (!presets[i].aa || sekit_arch_preset(&p, presets[i].name, NULL)) continue;
        p.num_classes = a->num_classes;
        p.in_chans = a->in_chans;
        if (!field_diff(a, &p)) return presets[i].name;
    }
    return NULL;
}

int sekit_arch_match(struct sekit_arch *a, const struct sekit_arch *p, const char *path,
                     const char *what, struct sekit_err *e)
{
    if (a->family != p->family)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s does not fit the weights: another family", path,
                          what);
    if (a->family != SEKIT_FAMILY_SERESNET) return sekit_zoo_match(a, p, path, what, e);
    const char *d = field_diff(a, p);
    if (d)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: %s does not fit the weights: the %s differs", path,
                          what, d);
    a->aa = p->aa;
    snprintf(a->name, sizeof a->name, "%s", p->name);
    return SEKIT_OK;
}

const char *sekit_arch_stem_desc(const struct sekit_arch *a, char *buf, size_t size)
{
    const char *pool = a->aa                            ? "2x2 average pool"
                       : a->stem == SEKIT_STEM_IMAGENET ? "max-pool padding 1"
                       : a->stem == SEKIT_STEM_CAFFE    ? "max-pool ceil mode"
                                                        : "no pool";
    if (a->stem_deep)
        snprintf(buf, size, "deep 3x3 stem %d-%d-%d, %s", a->stem_chs[0], a->stem_chs[1],
                 a->stem_width, pool);
    else
        snprintf(buf, size, "%s stem %d, %s", a->stem == SEKIT_STEM_SMALL ? "3x3" : "7x7",
                 a->stem_width, pool);
    return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* inference */

static const struct sekit_st_tensor *findf(const struct sekit_st *st, const char *fmt, int s, int b,
                                           const char *suffix)
{
    char name[128];
    snprintf(name, sizeof name, fmt, s, b, suffix);
    return sekit_st_find(st, name);
}

/* A __metadata__ override: *i the value's position in choices (NULL-terminated), -1 when key is
 * absent; SEKIT_EFORMAT listing the accepted values (said) when it is none of them. */
static int meta_choice(const struct sekit_st *st, const char *key, const char *const *choices,
                       const char *said, int *i, struct sekit_err *e)
{
    const char *v = sekit_st_meta(st, key);
    *i = -1;
    if (!v) return SEKIT_OK;
    for (int k = 0; choices[k]; k++)
        if (strcmp(v, choices[k]) == 0) {
            *i = k;
            return SEKIT_OK;
        }
    return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ %s is '%.*s' (%s)", sekit_st_path(st),
                      key, (int)strcspn(v, "\r\n"), v, said);
}

int sekit_arch_infer(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e)
{
    const char *path = sekit_st_path(st);
    if (sekit_zoo_detect(st) >= 0) return sekit_zoo_infer(a, st, e);
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "inferred");
    a->bn_eps = 1e-5;
    if (sekit_st_find(st, "stem.conv1.conv.weight") ||
        sekit_st_find(st, "stages.0.0.shortcut.conv.weight") ||
        sekit_st_find(st, "stem.conv.conv.weight"))
        return sekit_errf(e, SEKIT_ESHAPE, "%s: not supported: " BYOBNET_WHY, path);
    for (int i = 0; i < NREFUSED; i++)
        if (refused[i].tensor && sekit_st_find(st, refused[i].tensor))
            return sekit_errf(e, SEKIT_ESHAPE, "%s: not supported (it holds %s): %s", path,
                              refused[i].tensor, refused[i].why);
    /* the stem: one conv, or a deep stem of three (timm conv1.0/.3/.6, Cadene layer0.conv1-3) */
    const struct sekit_st_tensor *stem = sekit_st_find(st, "layer0.conv1.weight"), *deep[3] = {0};
    if (stem) {
        a->layout = SEKIT_LAYOUT_LEGACY;
        if ((deep[1] = sekit_st_find(st, "layer0.conv2.weight"))) {
            deep[0] = stem;
            deep[2] = sekit_st_find(st, "layer0.conv3.weight");
        }
    } else if ((stem = sekit_st_find(st, "conv1.weight")) ||
               (stem = deep[0] = sekit_st_find(st, "conv1.0.weight"))) {
        a->layout = findf(st, "layer%d.%d.se.fc.0.weight%s", 1, 0, "") ? SEKIT_LAYOUT_MOSKOMULE
                                                                       : SEKIT_LAYOUT_TIMM;
        if (deep[0]) {
            deep[1] = sekit_st_find(st, "conv1.3.weight");
            deep[2] = sekit_st_find(st, "conv1.6.weight");
        }
    } else {
        return sekit_errf(e, SEKIT_ESHAPE,
                          "%s: no stem convolution (conv1.weight, conv1.0.weight or "
                          "layer0.conv1.weight): not an SE-ResNet weight file",
                          path);
    }
    if (deep[0]) {
        a->stem_deep = 1;
        for (int i = 0; i < 3; i++) {
            const struct sekit_st_tensor *t = deep[i];
            if (!t || t->ndim != 4 || t->shape[2] != 3 || t->shape[3] != 3 || t->shape[0] < 1 ||
                t->shape[0] > 65536 || t->shape[1] < 1 || t->shape[1] > 65536)
                return sekit_errf(
                    e, SEKIT_ESHAPE,
                    "%s: deep stem conv %d (%s) is missing or not a 3x3 "
                    "convolution [out, in, 3, 3]",
                    path, i + 1,
                    a->layout == SEKIT_LAYOUT_LEGACY
                        ? (const char *[]){"layer0.conv1", "layer0.conv2", "layer0.conv3"}[i]
                        : (const char *[]){"conv1.0", "conv1.3", "conv1.6"}[i]);
            if (i < 2) a->stem_chs[i] = (int)t->shape[0];
        }
        a->stem_width = (int)deep[2]->shape[0];
        a->in_chans = (int)deep[0]->shape[1];
        a->stem = a->layout == SEKIT_LAYOUT_LEGACY ? SEKIT_STEM_CAFFE : SEKIT_STEM_IMAGENET;
    } else {
        if (stem->ndim != 4 || stem->shape[2] != stem->shape[3] ||
            (stem->shape[2] != 7 && stem->shape[2] != 3) || stem->shape[0] < 1 ||
            stem->shape[1] < 1 || stem->shape[0] > 65536 || stem->shape[1] > 65536)
            return sekit_errf(
                e, SEKIT_ESHAPE,
                "%s: tensor '%s' is not a 7x7 or 3x3 stem convolution [out, in, k, k]", path,
                stem->name);
        a->stem_width = (int)stem->shape[0];
        a->in_chans = (int)stem->shape[1];
        if (stem->shape[2] == 3)
            a->stem = SEKIT_STEM_SMALL;
        else
            a->stem = a->layout == SEKIT_LAYOUT_LEGACY ? SEKIT_STEM_CAFFE : SEKIT_STEM_IMAGENET;
    }
    a->reduce_first = 1;

    while (a->nstages < SEKIT_MAX_STAGES &&
           findf(st, "layer%d.%d.conv1.weight%s", a->nstages + 1, 0, ""))
        a->nstages++;
    if (a->nstages == 0)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: no residual stage (layer1.0.conv1.weight)", path);
    a->block = findf(st, "layer%d.%d.conv3.weight%s", 1, 0, "") ? SEKIT_BLOCK_BOTTLENECK
                                                                : SEKIT_BLOCK_BASIC;
    a->groups = 1;
    a->base_width = 64;
    const char *se_w = a->layout == SEKIT_LAYOUT_LEGACY      ? "layer%d.%d.se_module.fc1.%s"
                       : a->layout == SEKIT_LAYOUT_MOSKOMULE ? "layer%d.%d.se.fc.0.%s"
                                                             : "layer%d.%d.se.fc1.%s";
    for (int s = 0; s < a->nstages; s++) {
        while (a->blocks[s] < SEKIT_MAX_BLOCKS &&
               findf(st, "layer%d.%d.conv1.weight%s", s + 1, a->blocks[s], ""))
            a->blocks[s]++;
        const struct sekit_st_tensor *t =
            findf(st,
                  a->block == SEKIT_BLOCK_BOTTLENECK ? "layer%d.%d.conv3.weight%s"
                                                     : "layer%d.%d.conv2.weight%s",
                  s + 1, 0, "");
        if (!t || t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 65536)
            return sekit_errf(e, SEKIT_ESHAPE, "%s: layer%d.0 has no usable last convolution", path,
                              s + 1);
        int out = (int)t->shape[0];
        if (a->block == SEKIT_BLOCK_BOTTLENECK) {
            if (out % 4)
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: tensor '%s' has %d outputs, not a multiple of 4", path,
                                  t->name, out);
            a->planes[s] = out / 4;
            const struct sekit_st_tensor *c2 = findf(st, "layer%d.%d.conv2.weight%s", s + 1, 0, ""),
                                         *c1 = findf(st, "layer%d.%d.conv1.weight%s", s + 1, 0, "");
            /* width >= 1 and conv1's outputs a multiple of conv2's group width, or groups would
             * be 0 below; <= 65536, so the int casts are exact */
            if (!c2 || !c1 || c2->ndim != 4 || c1->ndim != 4 || c2->shape[1] < 1 ||
                c2->shape[0] < 1 || c2->shape[0] > 65536 || c1->shape[0] < 1 ||
                c1->shape[0] > 65536 || c1->shape[0] % c2->shape[1] ||
                c2->shape[0] % (c1->shape[0] / c2->shape[1]) || c2->shape[0] % c1->shape[0])
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: layer%d.0.conv1.weight and layer%d.0.conv2.weight are "
                                  "missing or not a 1x1 then a grouped 3x3 convolution",
                                  path, s + 1, s + 1);
            int width = (int)c2->shape[0], first = (int)c1->shape[0];
            int groups = (int)(first / c2->shape[1]);
            if (s == 0) {
                a->groups = groups;
                a->reduce_first = width / first;
                a->base_width = width / groups * 64 / a->planes[0];
            }
        } else {
            a->planes[s] = out;
        }
        for (int b = 0; b < a->blocks[s]; b++) {
            const struct sekit_st_tensor *fc1 = findf(st, se_w, s + 1, b, "weight");
            if (!fc1 && findf(st, "layer%d.%d.se.conv.weight%s", s + 1, b, ""))
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: not supported: layer%d.%d.se is timm's ECA attention "
                                  "(eca* models), a 1-D convolution across channels instead of "
                                  "the SE block's two FCs",
                                  path, s + 1, b);
            if (!fc1 || fc1->ndim < 1 || fc1->shape[0] < 1 || fc1->shape[0] > 65536) {
                char name[128];
                snprintf(name, sizeof name, se_w, s + 1, b, "weight");
                return sekit_errf(e, SEKIT_ESHAPE,
                                  "%s: block layer%d.%d has no SE excitation weight '%s'", path,
                                  s + 1, b, name);
            }
            if (s == 0 && b == 0) {
                a->se_linear = fc1->ndim == 2;
                a->se_bias = findf(st, se_w, s + 1, b, "bias") != NULL;
            }
            a->se_reduced[s][b] = (int)fc1->shape[0];
            const struct sekit_st_tensor *ds =
                findf(st, "layer%d.%d.downsample.0.weight%s", s + 1, b, "");
            /* timm's avg_down shortcut: downsample.0 is the pool, without parameters */
            if (!ds && (ds = findf(st, "layer%d.%d.downsample.1.weight%s", s + 1, b, "")) &&
                ds->ndim == 4)
                a->avg_down = 1;
            a->has_downsample[s][b] = ds != NULL;
            a->downsample_kernel[s][b] = 1;
            if (ds && ds->ndim == 4 && (ds->shape[2] == 1 || ds->shape[2] == 3))
                a->downsample_kernel[s][b] = (unsigned char)ds->shape[2];
        }
    }
    const struct sekit_st_tensor *head =
        sekit_st_find(st, a->layout == SEKIT_LAYOUT_LEGACY ? "last_linear.weight" : "fc.weight");
    if (!head || head->ndim != 2 || head->shape[0] < 1 || head->shape[0] > 1000000)
        return sekit_errf(e, SEKIT_ESHAPE, "%s: no classifier (%s [classes, features])", path,
                          a->layout == SEKIT_LAYOUT_LEGACY ? "last_linear.weight" : "fc.weight");
    a->num_classes = (int)head->shape[0];
    a->stride_on_3x3 =
        !(a->layout == SEKIT_LAYOUT_LEGACY && a->groups == 1 && a->block == SEKIT_BLOCK_BOTTLENECK);
    a->relu_before_se = a->layout == SEKIT_LAYOUT_LEGACY && a->block == SEKIT_BLOCK_BASIC;

    /* stems in enum sekit_stem's order */
    static const char *const stems[] = {"imagenet", "caffe", "small", NULL},
                             *aa[] = {"none", "avgpool", NULL}, *strides[] = {"1x1", "3x3", NULL};
    int i, rc;
    if ((rc = meta_choice(st, "sekit.stem", stems, "imagenet, caffe or small", &i, e))) return rc;
    if (i >= 0) a->stem = (enum sekit_stem)i;
    if ((rc = meta_choice(st, "sekit.aa", aa, "avgpool or none", &i, e))) return rc;
    if (i >= 0) a->aa = i;
    if ((rc = meta_choice(st, "sekit.stride_on", strides, "1x1 or 3x3", &i, e))) return rc;
    if (i >= 0) a->stride_on_3x3 = i;
    return SEKIT_OK;
}
