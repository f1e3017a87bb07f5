/*
 * t-model.c -- architecture presets against the paper and PyTorch's counts, and the hooks later
 * stages rely on: gate and squeeze read-back, removed and fixed gates, batch consistency.
 */
#include "sekit.h"
#include "fixture.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Batch composition and thread count change only the GEMM summation order. */
#define TOL_ORDER 1e-5

static void presets(void)
{
    struct sekit_arch a;
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    ok(sekit_arch_preset(&a, "seresnet50", &e) == SEKIT_OK, "seresnet50 preset exists");
    ok(sekit_model_synthetic(&m, &a, 7, &e) == SEKIT_OK,
       "seresnet50 builds with synthetic weights");
    /* sum(p.numel() for p in model.parameters()) of timm's seresnet50 */
    is_int(sekit_model_params(m), 28088024, "SE-ResNet-50 has PyTorch's 28,088,024 parameters");
    int64_t se_w = 0;
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        se_w += 2 * (int64_t)s->channels * s->reduced;
    }
    /* paper Eq. 5 with r = 16: (2/r) sum N_s C_s^2 */
    is_int(se_w, 2514944, "SE FC weights match paper Eq. 5 (2,514,944)");
    is_int(sekit_model_se_count(m), 16, "16 SE blocks (3 + 4 + 6 + 3)");
    int i46 = sekit_model_se_find(m, "SE_4_6");
    ok(i46 >= 0 && strcmp(sekit_model_se_info(m, i46)->module, "layer3.5.se") == 0,
       "SE_4_6 is layer3.5.se");
    is_int(sekit_model_se_find(m, "layer4.0.se"), sekit_model_se_find(m, "SE_5_1"),
           "blocks can be found by module prefix too");
    is_int(sekit_model_se_info(m, 15)->channels, 2048, "SE_5_3 has 2048 channels");
    is_int(sekit_model_se_info(m, 15)->reduced, 128, "and reduces to 128");
    sekit_model_free(m);

    ok(sekit_arch_preset(&a, "legacy_seresnet50", &e) == SEKIT_OK &&
           sekit_model_synthetic(&m, &a, 7, &e) == SEKIT_OK,
       "legacy_seresnet50 builds");
    double gmacs = sekit_model_macs(m, 224, 224) / 1e9;
    /* paper Sec. 4: 3.87 GFLOPs (multiply-adds) for SE-ResNet-50 with the Caffe stride */
    ok(fabs(gmacs - 3.87) / 3.87 < 0.005, "legacy SE-ResNet-50 costs %.4f GMACs (paper: 3.87)",
       gmacs);
    sekit_model_free(m);

    ok(sekit_arch_preset(&a, "seresnext50_32x4d", &e) == SEKIT_OK &&
           sekit_model_synthetic(&m, &a, 7, &e) == SEKIT_OK,
       "seresnext50_32x4d builds");
    is_int(sekit_model_params(m), 27559896, "SE-ResNeXt-50 32x4d has timm's 27,559,896");
    sekit_model_free(m);

    ok(sekit_arch_preset(&a, "resnet50", &e) == SEKIT_EINVAL && strstr(e.msg, "seresnet50"),
       "an unknown preset is refused with the list of known ones");
}

/* The upstream models of timm's resnet.py and senet.py: sum(p.numel() for p in
 * timm.create_model(name).parameters()), timm 0.9.16; and of rexnet.py and ghostnet.py, timm
 * aa4b5850 (every ReXNet and GhostNet name agrees; these span the channel divisors 1, 8, 16 and
 * 4 and widths below and above 1), byobnet.py's two SE models, regnet.py's RegNetYs and the
 * models of timm's EfficientNet builder (every name sekit knows agrees:
 * tests/reference/check_presets.py). */
static void upstream_presets(void)
{
    static const struct {
        const char *name;
        long long params;
    } up[] = {
        {"seresnext26d_32x4d", 16809512},
        {"seresnext26t_32x4d", 16806976},
        {"seresnet50t", 28104720},
        {"seresnet152d", 66841080},
        {"seresnetaa50d", 28107256},
        {"senet154", 115088984},
        {"legacy_senet154", 115088984},
        {"rexnet_100", 4796873},
        {"rexnetr_150", 9782256},
        {"rexnetr_300", 34810008},
        {"ghostnet_050", 2587292},
        {"ghostnet_130", 7358820},
        {"seresnet33ts", 19779200},
        {"seresnext26ts", 10388064},
        /* the EfficientNet builder's: widths scaled with round_limit 0.9, 0 (EfficientNetV2
         * B3) and 0.95 (FBNetV3, its SE too); depth by ceil, round (tinynet, MixNet) and per
         * stage (efficientnetv2_rw_m); fixed stems (tinynet, MobileNetV3 below 0.75), heads
         * fixed, scaled and at least 1280 (tinynet); MixNet's split convs */
        {"timm/efficientnet_b3", 12233232},
        {"tf_efficientnetv2_b3", 14358406},
        {"efficientnetv2_rw_m", 53236442},
        {"tinynet_d", 2338446},
        {"mixnet_xl", 11896768},
        {"mobilenetv3_small_050", 1593224},
        {"mobilenetv3_rw", 5479918},
        {"fbnetv3_d", 10306272},
        {"lcnet_035", 1644370},
        {"hardcorenas_b", 5176544},
        {"semnasnet_075", 2912278},
        {"regnety_002", 3162996},
        {"regnety_008_tv", 6432512},
    };
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        struct sekit_arch a;
        struct sekit_err e = {0};
        struct sekit_model *m = NULL;
        if (!ok(sekit_arch_preset(&a, up[i].name, &e) == SEKIT_OK &&
                    sekit_model_synthetic(&m, &a, 3, &e) == SEKIT_OK,
                "%s builds", up[i].name)) {
            diag("%s", e.msg);
            continue;
        }
        is_int(sekit_model_params(m), up[i].params, "%s has timm's parameter count", up[i].name);
        sekit_model_free(m);
    }
    struct sekit_arch a;
    struct sekit_err e = {0};
    /* the other SE families sekit does not run, by name and by the tensors only they have */
    static const struct {
        const char *name, *tensor, *family;
    } other[] = {{"dm_nfnet_f0", "stem.conv1.gain", "NFNet"},
                 {"ecaresnet50d", "layer1.0.se.conv.weight", "ECA"},
                 {"ese_vovnet19b_dw", "stages.0.blocks.0.conv_reduction.conv.weight", "VoVNet"},
                 {"tresnet_m", "body.conv1.conv.weight", "TResNet"},
                 {"resnetrs50", "maxpool.0.weight", "ResNet-RS"}};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        ok(sekit_arch_preset(&a, other[i].name, &e) == SEKIT_EINVAL &&
               strstr(e.msg, "not supported") && strstr(e.msg, other[i].family),
           "%s is refused by name with the reason: %s", other[i].name, e.msg);
        char path[800], header[400];
        snprintf(path, sizeof path, "%s/%s.safetensors", tap_tmpdir(), other[i].name);
        snprintf(header, sizeof header,
                 "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                 other[i].tensor);
        const float data[2] = {1, 1};
        struct sekit_model *m = NULL;
        ok(fixture_write_st(path, header, data, sizeof data) &&
               sekit_model_load(&m, path, &e) == SEKIT_ESHAPE && strstr(e.msg, other[i].tensor) &&
               strstr(e.msg, other[i].family),
           "%s weights are refused by their %s: %s", other[i].family, other[i].tensor, e.msg);
        sekit_model_free(m);
    }
}

/* torchvision's SE families: sum(p.numel() for p in torchvision.models.<name>().parameters()),
 * torchvision 0.14.1 (regnet_y_32gf and _128gf, 145M and 645M, too large to build here: sekit
 * info --arch gives 145,046,770 and 644,812,894, torchvision's counts). */
static void torchvision_presets(void)
{
    static const struct {
        const char *name;
        long long params;
        int se, network_blocks;
        enum sekit_act gate;
    } up[] = {
        {"efficientnet_b0", 5288548, 16, 16, SEKIT_ACT_SIGMOID},
        {"efficientnet_b1", 7794184, 23, 23, SEKIT_ACT_SIGMOID},
        {"efficientnet_b2", 9109994, 23, 23, SEKIT_ACT_SIGMOID},
        {"efficientnet_b3", 12233232, 26, 26, SEKIT_ACT_SIGMOID},
        {"efficientnet_b4", 19341616, 32, 32, SEKIT_ACT_SIGMOID},
        {"efficientnet_b5", 30389784, 39, 39, SEKIT_ACT_SIGMOID},
        {"efficientnet_b6", 43040704, 45, 45, SEKIT_ACT_SIGMOID},
        {"efficientnet_b7", 66347960, 55, 55, SEKIT_ACT_SIGMOID},
        {"efficientnet_v2_s", 21458488, 30, 40, SEKIT_ACT_SIGMOID},
        {"efficientnet_v2_m", 54139356, 44, 57, SEKIT_ACT_SIGMOID},
        {"efficientnet_v2_l", 118515272, 61, 79, SEKIT_ACT_SIGMOID},
        {"mobilenet_v3_large", 5483032, 8, 15, SEKIT_ACT_HARDSIGMOID},
        {"mobilenet_v3_small", 2542856, 9, 11, SEKIT_ACT_HARDSIGMOID},
        {"regnet_y_400mf", 4344144, 16, 16, SEKIT_ACT_SIGMOID},
        {"regnet_y_800mf", 6432512, 14, 14, SEKIT_ACT_SIGMOID},
        {"regnet_y_1_6gf", 11202430, 27, 27, SEKIT_ACT_SIGMOID},
        {"regnet_y_3_2gf", 19436338, 21, 21, SEKIT_ACT_SIGMOID},
        {"regnet_y_8gf", 39381472, 17, 17, SEKIT_ACT_SIGMOID},
        {"regnet_y_16gf", 83590140, 18, 18, SEKIT_ACT_SIGMOID},
    };
    struct sekit_arch a;
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        m = NULL;
        if (!ok(sekit_arch_preset(&a, up[i].name, &e) == SEKIT_OK &&
                    sekit_model_synthetic(&m, &a, 3, &e) == SEKIT_OK,
                "%s builds", up[i].name)) {
            diag("%s", e.msg);
            continue;
        }
        is_int(sekit_model_params(m), up[i].params, "%s has torchvision's parameter count",
               up[i].name);
        is_int(sekit_model_se_count(m), up[i].se, "%s has %d SE blocks", up[i].name, up[i].se);
        is_int(a.nnet, up[i].network_blocks, "%s has %d blocks", up[i].name, up[i].network_blocks);
        is_str(sekit_act_name(sekit_model_se_info(m, 0)->gate), sekit_act_name(up[i].gate),
               "%s: gate", up[i].name);
        sekit_model_free(m);
    }
    /* the paper's stage numbering by resolution: EfficientNet-B0's features.1.0 works at 1/2 of
     * the input (stage 1), features.4 and .5 at 1/16 (stage 4); MobileNetV3-large's first SE
     * sits in features.4, the first block at 1/8 */
    if (ok(sekit_arch_preset(&a, "efficientnet_b0", &e) == SEKIT_OK &&
               sekit_model_synthetic(&m, &a, 3, &e) == SEKIT_OK,
           "efficientnet_b0 builds")) {
        is_str(sekit_model_se_info(m, 0)->name, "SE_1_1", "features.1.0's SE is SE_1_1");
        is_str(sekit_model_se_info(m, 0)->module, "features.1.0.block.1", "at block.1");
        is_int(sekit_model_se_find(m, "features.5.0.block.2"), sekit_model_se_find(m, "SE_4_4"),
               "features.5.0 continues stage 4 as SE_4_4");
        is_str(sekit_model_se_info(m, 15)->name, "SE_5_5", "features.7.0 is SE_5_5");
    }
    sekit_model_free(m);
    if (ok(sekit_arch_preset(&a, "mobilenet_v3_large", &e) == SEKIT_OK &&
               sekit_model_synthetic(&m, &a, 3, &e) == SEKIT_OK,
           "mobilenet_v3_large builds")) {
        is_str(sekit_model_se_info(m, 0)->name, "SE_3_1", "features.4's SE is SE_3_1");
        is_str(sekit_model_se_info(m, 3)->name, "SE_4_5",
               "features.11's is SE_4_5: the SE-less features.7-10 keep their numbers");
    }
    sekit_model_free(m);
}

/* A safetensors file of zero-filled F32 tensors: enough for inference to read names and
 * shapes. */
struct zt {
    const char *name;
    int ndim;
    int64_t shape[4];
};

static void write_zero_tensors(const char *path, const struct zt *t, int n)
{
    char hdr[2048];
    size_t len = 0;
    int64_t off = 0;
    len += (size_t)snprintf(hdr + len, sizeof hdr - len, "{");
    for (int i = 0; i < n; i++) {
        int64_t numel = 1;
        char shape[96] = "";
        for (int d = 0; d < t[i].ndim; d++) {
            numel *= t[i].shape[d];
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", d ? "," : "",
                     (long long)t[i].shape[d]);
        }
        len += (size_t)snprintf(hdr + len, sizeof hdr - len,
                                "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],"
                                "\"data_offsets\":[%lld,%lld]}",
                                i ? "," : "", t[i].name, shape, (long long)off,
                                (long long)(off + 4 * numel));
        off += 4 * numel;
    }
    snprintf(hdr + len, sizeof hdr - len, "}");
    unsigned char *zeros = calloc((size_t)off + 1, 1);
    if (zeros) fixture_write_st(path, hdr, zeros, (size_t)off);
    free(zeros);
}

/* What a weight file claims to be (config.json beside it, --arch) is checked, and supplies
 * what names cannot show. */
static void claimed_architectures(void)
{
    char dir[1024], w[1200], cfg[1200], src[1200];
    snprintf(dir, sizeof dir, "%s/claims", tap_tmpdir());
    snprintf(w, sizeof w, "%s/model.safetensors", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(src, sizeof src, "%s/tests/reference/data/timm_deep_avgdown.safetensors",
             tap_srcdir());
    size_t n;
    unsigned char *weights = fixture_slurp(src, &n);
    mkdir(dir, 0755);
    const int copied = weights && fixture_spit(w, weights, n);
    free(weights);
    if (!ok(copied, "weights copied")) return;
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    ok(sekit_model_load(&m, w, &e) == SEKIT_OK && !sekit_model_arch(m)->aa,
       "no claim: the inferred -d architecture, without anti-aliasing (no upstream model of "
       "these shapes has it)");
    /* weights of seresnetaa50d's shapes may be with or without anti-aliasing: loading refuses
     * them without a claim */
    struct sekit_arch twin;
    if (ok(sekit_arch_preset(&twin, "seresnetaa50d", &e) == SEKIT_OK, "seresnetaa50d preset")) {
        twin.aa = 0;
        twin.num_classes = 10;
        const char *t = sekit_arch_aa_twin(&twin);
        is_str(t ? t : "(none)", "seresnetaa50d",
               "its shapes without anti-aliasing have an anti-aliased twin");
    }
    if (ok(sekit_arch_preset(&twin, "seresnext26d_32x4d", &e) == SEKIT_OK, "seresnext26d preset"))
        ok(sekit_arch_aa_twin(&twin) == NULL, "seresnext26d_32x4d has none");
    sekit_model_free(m);
    m = NULL;
    const char *j1 = "{\"architecture\": \"seresnetaa50d\", \"num_classes\": 5}";
    fixture_spit(cfg, j1, strlen(j1));
    ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "config.json") &&
           strstr(e.msg, "seresnetaa50d") && strstr(e.msg, "number of stages differs"),
       "config.json naming another model: refused with the difference: %s", e.msg);
    sekit_model_free(m);
    m = NULL;
    const char *j2 = "{\"architecture\": \"seresnext26ts\"}";
    fixture_spit(cfg, j2, strlen(j2));
    ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "seresnext26ts") &&
           strstr(e.msg, "another family"),
       "config.json naming a ByobNet model for SE-ResNet weights: refused: %s", e.msg);
    const char *j4 = "{\"architecture\": 5}";
    fixture_spit(cfg, j4, strlen(j4));
    ok(sekit_model_load(&m, w, &e) == SEKIT_EFORMAT && strstr(e.msg, "config.json") &&
           strstr(e.msg, "not a model name"),
       "config.json whose architecture is not a name: refused naming the file: %s", e.msg);
    const char *j3 = "{\"architecture\": \"convnext_tiny\"}";
    fixture_spit(cfg, j3, strlen(j3));
    ok(sekit_model_load(&m, w, &e) == SEKIT_OK, "config.json naming a model sekit does not know: "
                                                "inference decides");
    sekit_model_free(m);
    m = NULL;
    ok(sekit_model_load_as(&m, w, "seresnext26d_32x4d", &e) == SEKIT_ESHAPE &&
           strstr(e.msg, "architecture 'seresnext26d_32x4d'"),
       "an explicit architecture is checked too: %s", e.msg);
    ok(sekit_model_load_as(&m, w, "nosuchnet", &e) == SEKIT_EINVAL && strstr(e.msg, "nosuchnet"),
       "an unknown explicit architecture is refused");
    remove(cfg);

    /* timm's ByobNet files by their names alone */
    static const struct zt byob[] = {{"stem.conv1.conv.weight", 1, {1}}};
    snprintf(w, sizeof w, "%s/byob.safetensors", dir);
    write_zero_tensors(w, byob, 1);
    ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "ByobNet") &&
           strstr(e.msg, "byob.safetensors"),
       "a ByobNet weight file is refused naming the layout: %s", e.msg);

    /* timm's ECA attention sits where SE would, under the same module name */
    static const struct zt eca[] = {
        {"conv1.weight", 4, {4, 3, 7, 7}},          {"layer1.0.conv1.weight", 4, {2, 4, 1, 1}},
        {"layer1.0.conv2.weight", 4, {2, 2, 3, 3}}, {"layer1.0.conv3.weight", 4, {8, 2, 1, 1}},
        {"layer1.0.se.conv.weight", 3, {1, 1, 3}},
    };
    snprintf(w, sizeof w, "%s/eca.safetensors", dir);
    write_zero_tensors(w, eca, 5);
    ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "ECA") &&
           strstr(e.msg, "not supported"),
       "an ECA-ResNet weight file is refused naming its attention: %s", e.msg);

    /* anti-aliasing floors odd sizes where the shortcut's pool rounds up */
    snprintf(w, sizeof w, "%s/tests/reference/data/timm_aa.safetensors", tap_srcdir());
    if (ok(sekit_model_load(&m, w, &e) == SEKIT_OK && sekit_model_arch(m)->aa,
           "metadata sekit.aa marks anti-aliasing")) {
        ok(sekit_model_prepare(m, 1, 72, 72, &e) == SEKIT_EINVAL && strstr(e.msg, "layer3.0"),
           "an input that anti-aliasing cannot take is refused before running: %s", e.msg);
        ok(sekit_model_prepare(m, 1, 64, 64, &e) == SEKIT_OK, "64x64 fits");
    }
    sekit_model_free(m);
}

static struct sekit_model *small_model(void)
{
    return fixture_small_model(16, 5, 99);
}

static void hooks(enum sekit_backend b)
{
    struct sekit_model *m = small_model();
    struct sekit_err e = {0};
    diag("the forward pass's hooks on the %s backend", sekit_backend_name(b));
    if (!ok(sekit_model_set_backend(m, b, &e) == SEKIT_OK, "%s backend", sekit_backend_name(b)))
        diag("%s", e.msg);
    const int N = 4, H = 12, W = 12, K = 5;
    float x[4 * 144], logits[20], one[5], base[20], removed[20], fixed[20];
    uint64_t s = 5;
    for (int i = 0; i < N * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
    ok(sekit_model_prepare(m, N, H, W, &e) == SEKIT_OK, "prepare for 4 images of 12x12");
    sekit_model_forward(m, x, N, base);
    int nse = sekit_model_se_count(m);
    is_int(nse, 4, "4 SE blocks");
    float *gates[4];
    for (int i = 0; i < nse; i++) {
        int C = sekit_model_se_info(m, i)->channels;
        gates[i] = malloc(sizeof(float) * N * C);
        memcpy(gates[i], sekit_model_gate(m, i), sizeof(float) * N * C);
    }
    int in01 = 1, varied = 0;
    for (int i = 0; i < nse; i++) {
        const float *g = sekit_model_gate(m, i);
        int C = sekit_model_se_info(m, i)->channels;
        for (int j = 0; j < N * C; j++) {
            in01 &= g[j] > 0 && g[j] < 1;
            varied |= fabsf(g[j] - g[0]) > 1e-3f;
        }
    }
    ok(in01 && varied, "gates lie in (0, 1) and differ between channels");

    /* each image alone gives the same logits and gates as within the batch */
    float single[5];
    int same = 1;
    for (int n = 0; n < N; n++) {
        sekit_model_forward(m, x + n * H * W, 1, single);
        for (int k = 0; k < K; k++)
            same &= fabsf(single[k] - base[n * K + k]) <= TOL_ORDER * (1 + fabsf(base[n * K + k]));
        const float *g = sekit_model_gate(m, 3);
        for (int c = 0; c < 32; c++)
            same &= fabsf(g[c] - gates[3][n * 32 + c]) <= TOL_ORDER;
    }
    ok(same, "one image at a time matches the batch");

    sekit_model_se_set(m, 2, SEKIT_SE_REMOVED, NULL);
    sekit_model_forward(m, x, N, removed);
    const float *g2 = sekit_model_gate(m, 2);
    int ones = 1;
    for (int j = 0; j < N * 32; j++)
        ones &= g2[j] == 1.0f;
    ok(ones, "a removed block applies gate 1");
    is_close(sekit_model_gate(m, 1), gates[1], (size_t)N * 16, 0.0,
             "blocks before it are unchanged");
    float maxd = 0;
    for (int j = 0; j < N * K; j++)
        maxd = fmaxf(maxd, fabsf(removed[j] - base[j]));
    ok(maxd > 1e-4f, "removing SE_3_1 changes the logits (max change %.3g)", (double)maxd);

    float ones_v[32];
    for (int c = 0; c < 32; c++)
        ones_v[c] = 1.0f;
    sekit_model_se_set(m, 2, SEKIT_SE_FIXED, ones_v);
    sekit_model_forward(m, x, N, fixed);
    is_close(fixed, removed, (size_t)N * K, 0.0, "a fixed gate of ones equals removal");

    /* a fixed gate equal to image 0's own gate reproduces image 0 exactly */
    sekit_model_se_set(m, 2, SEKIT_SE_FIXED, gates[2]);
    sekit_model_forward(m, x, 1, one);
    is_close(one, base, (size_t)K, TOL_ORDER, "fixing image 0's own gate reproduces its logits");
    sekit_model_se_set(m, 2, SEKIT_SE_NORMAL, NULL);
    sekit_model_forward(m, x, N, logits);
    is_close(logits, base, (size_t)N * K, 0.0, "back to normal gives the original logits");

    sekit_set_threads(1);
    sekit_model_forward(m, x, N, logits);
    is_close(logits, base, (size_t)N * K, TOL_ORDER, "one thread matches all threads");

    /* 3 threads split the 4 images into shares of 1, 1 and 2: logits, gates, captured block
     * inputs and passes from a captured block agree with one thread's */
    const size_t in2 = sekit_model_block_input_size(m, 2);
    float *cap1 = malloc(sizeof(float) * N * in2), *cap3 = malloc(sizeof(float) * N * in2);
    float from1[20], from3[20];
    sekit_model_capture(m, 2, cap1);
    sekit_model_forward(m, x, N, logits);
    sekit_model_se_set(m, 2, SEKIT_SE_REMOVED, NULL);
    sekit_model_forward_from(m, 2, cap1, N, from1);
    sekit_model_se_set(m, 2, SEKIT_SE_NORMAL, NULL);
    is_int(sekit_set_threads(3), 3, "3 threads on any machine");
    sekit_model_capture(m, 2, cap3);
    sekit_model_forward(m, x, N, logits);
    is_close(logits, base, (size_t)N * K, TOL_ORDER, "3 uneven shares: logits");
    is_close(sekit_model_gate(m, 3), gates[3], (size_t)N * 32, TOL_ORDER, "3 uneven shares: gates");
    is_close(cap3, cap1, (size_t)N * in2, TOL_ORDER, "3 uneven shares: captured block input");
    sekit_model_se_set(m, 2, SEKIT_SE_REMOVED, NULL);
    sekit_model_forward_from(m, 2, cap3, N, from3);
    sekit_model_se_set(m, 2, SEKIT_SE_NORMAL, NULL);
    sekit_model_capture(m, 2, NULL);
    is_close(from3, from1, (size_t)N * K, TOL_ORDER, "3 uneven shares: a pass from SE_3_1");
    is_close(from3, removed, (size_t)N * K, TOL_ORDER,
             "which equals the full pass with it removed");
    /* a pass in two legs, blocks 0..1 then 2.., with SE_2_2 removed in the first leg, equals
     * the whole pass with it removed (still 3 uneven shares) */
    const size_t in0 = sekit_model_block_input_size(m, 0);
    float *cap0 = malloc(sizeof(float) * N * in0), *mid = malloc(sizeof(float) * N * in2);
    float legs[20], whole[20];
    sekit_model_capture(m, 0, cap0);
    sekit_model_forward(m, x, N, logits);
    sekit_model_capture(m, 0, NULL);
    sekit_model_se_set(m, 1, SEKIT_SE_REMOVED, NULL);
    sekit_model_forward(m, x, N, whole);
    sekit_model_forward_range(m, 0, 2, cap0, N, mid);
    sekit_model_forward_from(m, 2, mid, N, legs);
    sekit_model_se_set(m, 1, SEKIT_SE_NORMAL, NULL);
    is_close(legs, whole, (size_t)N * K, TOL_ORDER, "blocks 0..1 then 2.. equal the whole pass");
    free(cap0), free(mid);
    free(cap1), free(cap3);
    sekit_set_threads(0);

    const float *sq = sekit_model_squeeze(m, 0);
    ok(sq != NULL && isfinite(sq[0]), "squeeze vectors are readable");
    ok(sekit_model_prepare(m, 0, 12, 12, &e) == SEKIT_EINVAL, "a batch of 0 is refused: %s", e.msg);
    for (int i = 0; i < nse; i++)
        free(gates[i]);
    sekit_model_free(m);
}

/* Seeded inputs in [-1, 1). */
static void fill(float *x, size_t n, uint64_t s)
{
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

/* The two backends compute the same network: preset architectures with synthetic weights, run
 * on batches that split into uneven shares and into chunks of different compiled sizes, and
 * with the thread count changed after prepare (the oneDNN backend compiles again). */
static void backends_agree(void)
{
    if (!sekit_backend_available(SEKIT_BACKEND_ONEDNN)) {
        skip("this build has no oneDNN backend");
        return;
    }
    static const struct {
        const char *arch;
        int size;
    } cases[] = {
        {"seresnet18", 64},         /* basic blocks, 7x7 stem, max-pool padding 1 */
        {"legacy_seresnet18", 65},  /* Caffe's ceil-mode max-pool on an odd size */
        {"seresnext26d_32x4d", 64}, /* deep stem, grouped 3x3, average-pool shortcuts */
        {"seresnetaa50d", 64},      /* anti-aliased stem and strides */
        {"seresnext26t_32x4d", 96},
    };
    const int N = 5;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct sekit_arch a;
        struct sekit_model *m = NULL;
        struct sekit_err e = {0};
        const char *name = cases[c].arch;
        const int S = cases[c].size;
        if (!ok(sekit_arch_preset(&a, name, &e) == 0 && sekit_model_synthetic(&m, &a, 7, &e) == 0,
                "%s: synthetic model", name)) {
            diag("%s", e.msg);
            continue;
        }
        const int K = a.num_classes, nse = sekit_model_se_count(m);
        const size_t nx = (size_t)N * a.in_chans * S * S;
        float *x = malloc(sizeof(float) * nx), *ref = malloc(sizeof(float) * N * K),
              *got = malloc(sizeof(float) * N * K), **gates = calloc((size_t)nse, sizeof *gates);
        fill(x, nx, 3 + c);
        sekit_set_threads(1);
        sekit_model_set_backend(m, SEKIT_BACKEND_OPENBLAS, &e);
        if (!ok(sekit_model_prepare(m, N, S, S, &e) == 0, "%s: prepared at %dx%d", name, S, S))
            diag("%s", e.msg);
        sekit_model_forward(m, x, N, ref);
        for (int i = 0; i < nse; i++) {
            const size_t n = (size_t)N * sekit_model_se_info(m, i)->channels;
            gates[i] = malloc(sizeof(float) * n);
            memcpy(gates[i], sekit_model_gate(m, i), sizeof(float) * n);
        }
        const double tol = 1e-4 * tap_maxabs(ref, (size_t)N * K);
        /* prepared for 5 images on 2 threads: shares of 2 and 3 run as chunks of 1 + 1 and 3 */
        sekit_set_threads(2);
        if (!ok(sekit_model_set_backend(m, SEKIT_BACKEND_ONEDNN, &e) == 0,
                "%s: switched to oneDNN, prepared again", name))
            diag("%s", e.msg);
        const int threads[3] = {2, 3, 1};
        for (int t = 0; t < 3; t++) {
            sekit_set_threads(threads[t]);
            for (int n = N; n >= 1; n -= 3) {
                sekit_model_forward(m, x, n, got);
                is_close(got, ref, (size_t)n * K, tol, "%s: %d images, %d threads: logits", name, n,
                         threads[t]);
            }
        }
        sekit_model_forward(m, x, N, got);
        double worst = 0;
        for (int i = 0; i < nse; i++) {
            const float *g = sekit_model_gate(m, i);
            for (size_t j = 0; j < (size_t)N * sekit_model_se_info(m, i)->channels; j++)
                worst = fmax(worst, fabs(g[j] - gates[i][j]));
        }
        ok(worst <= 1e-4, "%s: every gate of every block within 1e-4 (%.2g)", name, worst);
        for (int i = 0; i < nse; i++)
            free(gates[i]);
        free(gates), free(x), free(ref), free(got);
        sekit_model_free(m);
    }
    sekit_set_threads(0);
    is_int(sekit_backend_parse("onednn"), SEKIT_BACKEND_ONEDNN, "'onednn' names the backend");
    is_int(sekit_backend_parse("cuda"), -1, "'cuda' names none");
}

/* A copy of weight file src at dst whose __metadata__ no longer holds key: the key renamed in
 * place (its last letter X), the file otherwise byte for byte the same; 1 when written. */
static int hide_meta_key(const char *src, const char *key, const char *dst)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const size_t q = strlen(quoted);
    size_t len = 0;
    unsigned char *b = fixture_slurp(src, &len), *k = NULL;
    for (size_t i = 0; b && i + q < len && !k; i++)
        if (!memcmp(b + i, quoted, q)) k = b + i + q - 2;
    const int written = k && (*k = 'X', fixture_spit(dst, b, len));
    free(b);
    return written;
}

/* timm's EfficientNet-builder models whose blocks' strides, activations, residuals and SE gates
 * sekit takes from their arch_def: a claim that does not fit is refused naming what fits, and
 * weights with no claim at all get the facts of the one model they fit, but not its padding. */
static void timm_arch_defs(void)
{
    char src[800], w[800];
    snprintf(src, sizeof src, "%s/tests/reference/data/timm_lcnet_100_narrow.safetensors",
             tap_srcdir());
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    if (ok(sekit_model_load(&m, src, &e) == SEKIT_OK, "LCNet claimed in its metadata: %s", e.msg)) {
        const struct sekit_arch *a = sekit_model_arch(m);
        ok(a->net[0].pw_act && a->net[0].noskip && a->net[7].noskip && a->net[7].stride == 1 &&
               a->net[11].stride == 2 && a->net[11].act == SEKIT_ACT_HARDSWISH &&
               a->net[11].se_act == SEKIT_ACT_RELU && a->net[11].gate == SEKIT_ACT_HARDSIGMOID,
           "LCNet's dsa blocks: activated projections, no residual (even at 256 -> 256, stride "
           "1), SE with ReLU inside and a hard-sigmoid gate");
    }
    sekit_model_free(m);
    m = NULL;
    ok(sekit_model_load_as(&m, src, "fbnetv3_b", &e) == SEKIT_ESHAPE &&
           strstr(e.msg, "'fbnetv3_b' does not fit") &&
           strstr(e.msg, "these blocks fit lcnet_035, lcnet_050, lcnet_075, lcnet_100"),
       "claimed as FBNetV3: refused, naming the models that fit: %s", e.msg);
    sekit_model_free(m);
    m = NULL;
    /* the same weights without their claim */
    snprintf(w, sizeof w, "%s/lcnet_unclaimed.safetensors", tap_tmpdir());
    if (ok(hide_meta_key(src, "sekit.arch", w), "LCNet weights without a claim")) {
        /* timm has no TensorFlow port of LCNet: nothing is left open */
        ok(sekit_model_load(&m, w, &e) == SEKIT_OK && !sekit_model_arch(m)->same_pad &&
               sekit_model_arch(m)->bn_eps == 1e-5 && sekit_model_arch(m)->net[0].pw_act,
           "no claim: the one model the blocks fit, which has no TensorFlow port: %s", e.msg);
        sekit_model_free(m);
        m = NULL;
        ok(sekit_model_load_as(&m, w, "tf_lcnet_100", &e) != SEKIT_OK &&
               strstr(e.msg, "tf_lcnet_100"),
           "a TensorFlow port timm does not have is no name sekit knows: %s", e.msg);
        sekit_model_free(m);
    }
    /* ByobNet's two SE models differ only in the stem's pool: weights that do not say it are
     * refused; a claim must fit the named model's widths */
    snprintf(src, sizeof src, "%s/tests/reference/data/timm_seresnet33ts_narrow.safetensors",
             tap_srcdir());
    m = NULL;
    ok(sekit_model_load(&m, src, &e) == SEKIT_OK && sekit_model_arch(m)->stem_pool == 0,
       "narrowed seresnet33ts: __metadata__ sekit.stem_pool conv, a strided third conv (%s)",
       e.msg);
    sekit_model_free(m);
    m = NULL;
    snprintf(w, sizeof w, "%s/byob_unclaimed.safetensors", tap_tmpdir());
    if (ok(hide_meta_key(src, "sekit.stem_pool", w),
           "ByobNet weights that do not say their stem")) {
        ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "seresnext26ts") &&
               strstr(e.msg, "seresnet33ts") && strstr(e.msg, "max-pool"),
           "refused, naming both models and how they differ: %s", e.msg);
        sekit_model_free(m);
        m = NULL;
        ok(sekit_model_load_as(&m, w, "seresnext26ts", &e) == SEKIT_ESHAPE &&
               strstr(e.msg, "'seresnext26ts' does not fit the weights: the blocks differ"),
           "claimed as seresnext26ts, whose widths they do not have: refused: %s", e.msg);
        sekit_model_free(m);
        m = NULL;
    }
    /* MobileNetV3 has one: its weights without a claim are refused, naming both */
    snprintf(src, sizeof src, "%s/tests/reference/data/timm_mobilenetv3_small.safetensors",
             tap_srcdir());
    m = NULL;
    snprintf(w, sizeof w, "%s/mnv3_unclaimed.safetensors", tap_tmpdir());
    if (ok(hide_meta_key(src, "sekit.padding", w), "MobileNetV3 weights, padding unsaid"))
        ok(sekit_model_load(&m, w, &e) == SEKIT_ESHAPE && strstr(e.msg, "TensorFlow ports") &&
               strstr(e.msg, "MobileNetV3"),
           "refused: padding and eps left open: %s", e.msg);
    sekit_model_free(m);
}

int main(void)
{
    presets();
    upstream_presets();
    torchvision_presets();
    claimed_architectures();
    timm_arch_defs();
    for (int b = 0; b <= SEKIT_BACKEND_ONEDNN; b++)
        if (sekit_backend_available(b)) hooks(b);
    backends_agree();
    return tap_done();
}
