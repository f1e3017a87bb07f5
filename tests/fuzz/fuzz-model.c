/*
 * fuzz-model.c -- libFuzzer harness for weight files: the input is a safetensors file. It goes
 * through the reader (every tensor read), architecture inference and sekit_model_load; a model
 * that loads is compared with the presets of its family and runs one forward pass on a tiny
 * input, so the stems' max-pools (imagenet: padded; caffe: ceil mode, no padding) run too.
 * Anything but a clean error (crash, sanitizer report, leak, a message on several lines, a
 * broken invariant below) is a finding.
 */
#include "fuzz.h"
#include "sekit.h"

#include <stdlib.h>
#include <string.h>

/* Every block of a preset takes what the one before it gives and has a projection shortcut
 * exactly when it changes shape: the presets are fixed, so this runs once, at start. */
static void check_presets(void)
{
    for (const char *const *n = sekit_arch_preset_names(); *n; n++) {
        struct sekit_arch p;
        struct sekit_err e = {0};
        FZ_CHECK(sekit_arch_preset(&p, *n, &e) == SEKIT_OK);
        int prev = p.stem_width;
        /* the other families: a chain of blocks, each taking what the one before gives */
        for (int i = 0; i < p.nnet; i++) {
            const struct sekit_net_block *b = &p.net[i];
            FZ_CHECK(b->in_c == prev && b->groups >= 1 && b->mid % b->groups == 0);
            FZ_CHECK(b->stride == 1 || b->stride == 2);
            prev = b->out_c;
        }
        if (p.family != SEKIT_FAMILY_SERESNET)
            FZ_CHECK(sekit_arch_features(&p) == (p.head_width ? p.head_width : prev));
        for (int s = 0; s < p.nstages; s++)
            for (int b = 0; b < p.blocks[s]; b++) {
                struct sekit_block_shape k = sekit_arch_block(&p, s, b);
                FZ_CHECK(k.in_c == prev && k.se_reduced >= 1 && k.width % k.groups == 0);
                FZ_CHECK(k.has_downsample == (k.in_c != k.out_c || k.stride != 1));
                prev = k.out_c;
            }
        if (p.family == SEKIT_FAMILY_SERESNET) FZ_CHECK(sekit_arch_features(&p) == prev);
    }
    struct sekit_arch p;
    struct sekit_err e = {0};
    fz_check_err(sekit_arch_preset(&p, "seresnet0", &e), &e);
}

/* A loaded model agrees with every preset of its family (layout, block kind, groups) on what
 * inference derives from the family alone: the stem kind of a 7x7 stem, which conv of a
 * bottleneck strides and the ReLU before SE, unless the file's metadata overrides them. */
static void check_family(const struct sekit_model *m)
{
    const struct sekit_arch *a = sekit_model_arch(m);
    for (const char *const *n = sekit_arch_preset_names(); *n; n++) {
        struct sekit_arch p;
        struct sekit_err e = {0};
        FZ_CHECK(sekit_arch_preset(&p, *n, &e) == SEKIT_OK);
        if (a->family != SEKIT_FAMILY_SERESNET || p.family != SEKIT_FAMILY_SERESNET ||
            a->layout != p.layout || a->block != p.block || a->groups != p.groups)
            continue;
        if (a->stem != SEKIT_STEM_SMALL && !sekit_model_meta(m, "sekit.stem"))
            FZ_CHECK(a->stem == p.stem);
        if (a->block == SEKIT_BLOCK_BOTTLENECK && !sekit_model_meta(m, "sekit.stride_on"))
            FZ_CHECK(a->stride_on_3x3 == p.stride_on_3x3);
        FZ_CHECK(a->relu_before_se == p.relu_before_se);
    }
}

static void read_tensors(const struct sekit_st *st)
{
    uint64_t pos = 0;
    for (int i = 0; i < sekit_st_count(st); i++) {
        const struct sekit_st_tensor *t = sekit_st_tensor(st, i);
        FZ_CHECK(t->begin == pos && sekit_st_find(st, t->name) == t);
        FZ_CHECK(strcmp(sekit_dtype_name(t->dtype), "?") != 0);
        pos = t->end;
        /* the data of a valid file is in the file, so numel is bounded by the input's size */
        float *dst = malloc((t->numel ? t->numel : 1) * sizeof *dst);
        FZ_CHECK(dst != NULL);
        struct sekit_err e = {0};
        int rc = sekit_st_read_f32(st, t, dst, &e);
        int is_float =
            t->dtype == SEKIT_DT_F32 || t->dtype == SEKIT_DT_F16 || t->dtype == SEKIT_DT_BF16;
        if (is_float)
            FZ_CHECK(rc == SEKIT_OK);
        else
            fz_check_err(rc, &e);
        free(dst);
    }
}

/* Shapes, SE bookkeeping, one forward pass. */
static void run_model(struct sekit_model *m, const uint8_t *data, size_t size)
{
    const struct sekit_arch *a = sekit_model_arch(m);
    check_family(m);
    int i = 0;
    for (int s = 0; s < a->nstages; s++)
        for (int b = 0; b < a->blocks[s]; b++, i++) {
            FZ_CHECK(i < sekit_model_se_count(m));
            struct sekit_block_shape k = sekit_arch_block(a, s, b);
            const struct sekit_se_info *in = sekit_model_se_info(m, i);
            FZ_CHECK(in->channels == k.out_c && in->reduced == k.se_reduced);
            FZ_CHECK(sekit_model_se_find(m, in->name) == i);
        }
    /* the other families: one SE per block that has one, in network order */
    for (int j = 0; j < a->nnet; j++) {
        if (!a->net[j].se_reduced) continue;
        FZ_CHECK(i < sekit_model_se_count(m));
        const struct sekit_se_info *in = sekit_model_se_info(m, i);
        FZ_CHECK(in->reduced == a->net[j].se_reduced && in->channels == a->net[j].mid);
        FZ_CHECK(sekit_model_se_find(m, in->name) == i);
        i++;
    }
    FZ_CHECK(i == sekit_model_se_count(m) && sekit_model_params(m) > 0);
    /* the smallest input every stem and up to eight stages keep at least 1x1; the other
     * families: their total stride, when a pass that size stays cheap */
    const int S = a->family != SEKIT_FAMILY_SERESNET ? sekit_arch_stride(a)
                  : a->stem == SEKIT_STEM_SMALL      ? 16
                                                     : 32;
    if (S > 256) return;
    struct sekit_err e = {0};
    int rc = sekit_model_prepare(m, 1, S, S, &e);
    if (rc) {
        fz_check_err(rc, &e);
        return;
    }
    FZ_CHECK(sekit_model_macs(m, S, S) > 0);
    size_t nx = (size_t)a->in_chans * S * S;
    float *x = malloc(nx * sizeof *x), *logits = malloc((size_t)a->num_classes * sizeof *logits);
    FZ_CHECK(x && logits);
    for (size_t j = 0; j < nx; j++)
        x[j] = data[j % size] / 255.0f - 0.5f;
    sekit_model_forward(m, x, 1, logits);
    for (int j = 0; j < sekit_model_se_count(m); j++) {
        const float *g = sekit_model_gate(m, j);
        for (int c = 0; c < sekit_model_se_info(m, j)->channels; c++)
            FZ_CHECK(!(g[c] < 0.0f || g[c] > 1.0f)); /* a sigmoid (NaN passes: inf - inf) */
    }
    free(x);
    free(logits);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* one thread: executions stay deterministic, and a fuzzer takes one core of the machine */
    sekit_set_threads(1);
    check_presets();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *path = fz_write("w.safetensors", data, size);
    FZ_CHECK(path != NULL);
    struct sekit_err e = {0};
    struct sekit_st *st = NULL;
    int rc = sekit_st_open(&st, path, &e);
    if (rc) {
        fz_check_err(rc, &e);
        FZ_CHECK(st == NULL && strstr(e.msg, path));
    } else {
        read_tensors(st);
        struct sekit_arch a;
        rc = sekit_arch_infer(&a, st, &e);
        if (rc) fz_check_err(rc, &e);
        sekit_st_close(st);
    }
    /* sekit_model_load starts with these same two steps, so a file they refuse it refuses with
     * the same message: parsing the header again (most of an execution's time) adds nothing */
    if (rc) {
        fz_clear();
        return 0;
    }
    struct sekit_model *m = NULL;
    rc = sekit_model_load(&m, path, &e);
    if (rc) {
        fz_check_err(rc, &e);
        FZ_CHECK(m == NULL);
    } else {
        run_model(m, data, size);
        sekit_model_free(m);
    }
    fz_clear();
    return 0;
}
