/*
 * t-golden.c -- whole networks against PyTorch.
 *
 * tests/reference/make_golden.py and make_golden_zoo.py (run by hand) wrote, for every family
 * and block type, a weight file CASE.safetensors in that project's layout (make_golden_zoo.py:
 * torchvision's own EfficientNet, MobileNetV3 and RegNetY classes) and CASE.expected.safetensors
 * with the inputs,
 * PyTorch's logits and every SE block's gate and squeeze vectors, computed in float64 from the
 * float32 weights. sekit must infer the architecture the metadata describes and match every
 * output within GOLDEN_REL of the largest reference magnitude, on every backend this build has,
 * on one thread and on two (the batch then runs in two concurrent shares).
 */
#include "sekit.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bound: max |sekit - PyTorch| <= 1e-4 x max |reference|, for logits and gates. */
#define GOLDEN_REL 1e-4

static float *read_tensor(struct sekit_st *st, const char *name, const struct sekit_st_tensor **t)
{
    struct sekit_err e = {0};
    *t = sekit_st_find(st, name);
    if (!*t) return NULL;
    float *v = malloc(((*t)->numel + 1) * sizeof *v);
    if (sekit_st_read_f32(st, *t, v, &e)) {
        diag("%s", e.msg);
        free(v);
        return NULL;
    }
    return v;
}

static void check_meta(const char *c, struct sekit_st *ex, const char *key, const char *got)
{
    const char *want = sekit_st_meta(ex, key);
    is_str(got, want, "%s: %s", c, key);
}

/* The SE-ResNet cases (make_golden.py): the architecture the metadata describes. */
static void check_resnet(const char *c, struct sekit_st *ex, const struct sekit_arch *a)
{
    char buf[64];
    check_meta(c, ex, "stem", sekit_stem_name(a->stem));
    check_meta(c, ex, "block", a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic");
    if (a->block == SEKIT_BLOCK_BOTTLENECK)
        check_meta(c, ex, "stride_on", a->stride_on_3x3 ? "3x3" : "1x1");
    char blocks[128] = "";
    for (int s = 0; s < a->nstages; s++)
        snprintf(blocks + strlen(blocks), sizeof blocks - strlen(blocks), "%s%d", s ? "," : "",
                 a->blocks[s]);
    check_meta(c, ex, "blocks", blocks);
    snprintf(buf, sizeof buf, "%d", a->groups);
    check_meta(c, ex, "groups", buf);
    snprintf(buf, sizeof buf, "%d", a->se_bias);
    check_meta(c, ex, "se_bias", buf);
    /* the options of the newer cases, stated in their files only where used */
    if (sekit_st_meta(ex, "stem_deep")) {
        snprintf(buf, sizeof buf, "%d,%d,%d", a->stem_chs[0], a->stem_chs[1], a->stem_width);
        check_meta(c, ex, "stem_deep", a->stem_deep ? buf : "none");
    } else {
        ok(!a->stem_deep, "%s: single-conv stem", c);
    }
    is_int(a->avg_down, sekit_st_meta(ex, "avg_down") != NULL, "%s: average-pool shortcuts", c);
    is_int(a->aa, sekit_st_meta(ex, "aa") != NULL, "%s: anti-aliased downsampling", c);
    const char *rf = sekit_st_meta(ex, "reduce_first");
    is_int(a->reduce_first, rf ? atoi(rf) : 1, "%s: reduce_first", c);
    const char *dk = sekit_st_meta(ex, "down_kernel");
    if (a->nstages > 1 && a->has_downsample[1][0])
        is_int(a->downsample_kernel[1][0], dk ? atoi(dk) : 1, "%s: strided projection kernel", c);
}

/* The torchvision cases (make_golden_zoo.py): the family, and every SE block in network order
 * with the upstream module path, gate and inner activation the reference hooked. */
static void check_zoo(const char *c, struct sekit_st *ex, const struct sekit_model *m)
{
    static const char *const families[] = {"seresnet", "efficientnet", "mobilenetv3", "regnety",
                                           "rexnet",   "byobnet",      "ghostnet"};
    const struct sekit_arch *a = sekit_model_arch(m);
    check_meta(c, ex, "family", families[a->family]);
    char mods[4096] = "", gates[1024] = "", acts[1024] = "", buf[64];
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        const char *sep = i ? "," : "";
        snprintf(mods + strlen(mods), sizeof mods - strlen(mods), "%s%s", sep, s->module);
        snprintf(gates + strlen(gates), sizeof gates - strlen(gates), "%s%s", sep,
                 sekit_act_name(s->gate));
        snprintf(acts + strlen(acts), sizeof acts - strlen(acts), "%s%s", sep,
                 sekit_act_name(s->act));
    }
    check_meta(c, ex, "se_modules", mods);
    check_meta(c, ex, "gates", gates);
    check_meta(c, ex, "se_acts", acts);
    snprintf(buf, sizeof buf, "%g", a->bn_eps);
    check_meta(c, ex, "bn_eps", buf);
    /* what timm's names cannot show, where the case states it */
    char strides[512] = "", bacts[2048] = "";
    for (int i = 0; i < a->nnet; i++) {
        snprintf(strides + strlen(strides), sizeof strides - strlen(strides), "%s%d", i ? "," : "",
                 a->net[i].stride);
        snprintf(bacts + strlen(bacts), sizeof bacts - strlen(bacts), "%s%s", i ? "," : "",
                 sekit_act_name(a->net[i].act));
    }
    if (sekit_st_meta(ex, "block_strides")) check_meta(c, ex, "block_strides", strides);
    if (sekit_st_meta(ex, "block_acts")) check_meta(c, ex, "block_acts", bacts);
    if (sekit_st_meta(ex, "padding"))
        check_meta(c, ex, "padding", a->same_pad ? "same" : "symmetric");
}

static void run_case(const char *dir, const char *name, enum sekit_backend b, int threads)
{
    char mpath[1200], epath[1200], buf[64], c[256];
    snprintf(mpath, sizeof mpath, "%s/%s.safetensors", dir, name);
    snprintf(epath, sizeof epath, "%s/%s.expected.safetensors", dir, name);
    snprintf(c, sizeof c, "%s [%s, %d thread%s]", name, sekit_backend_name(b), threads,
             threads > 1 ? "s" : "");
    sekit_set_threads(threads);
    struct sekit_err e = {0};
    struct sekit_st *ex = NULL;
    struct sekit_model *m = NULL;
    if (!ok(sekit_st_open(&ex, epath, &e) == SEKIT_OK, "%s: expected values open", c)) {
        diag("%s", e.msg);
        return;
    }
    if (!ok(sekit_model_load(&m, mpath, &e) == SEKIT_OK, "%s: model loads", c)) {
        diag("%s", e.msg);
        sekit_st_close(ex);
        return;
    }
    if (!ok(sekit_model_set_backend(m, b, &e) == SEKIT_OK, "%s: backend set", c)) {
        diag("%s", e.msg);
        sekit_model_free(m);
        sekit_st_close(ex);
        return;
    }
    const struct sekit_arch *a = sekit_model_arch(m);
    check_meta(c, ex, "layout", sekit_layout_name(a->layout));
    /* the cases of make_golden_zoo.py and make_golden_timm.py name their family */
    const int zoo = sekit_st_meta(ex, "family") != NULL;
    if (zoo)
        check_zoo(c, ex, m);
    else
        check_resnet(c, ex, a);
    snprintf(buf, sizeof buf, "%lld", (long long)sekit_model_params(m));
    check_meta(c, ex, "num_params", buf);
    long long se_params = 0;
    for (int i = 0; i < sekit_model_se_count(m); i++)
        se_params += sekit_model_se_info(m, i)->params;
    snprintf(buf, sizeof buf, "%lld", se_params);
    check_meta(c, ex, "se_params", buf);

    const struct sekit_st_tensor *ti, *tl, *tg;
    float *x = read_tensor(ex, "input", &ti), *want = read_tensor(ex, "logits", &tl);
    if (!ok(x && want && ti->ndim == 4 && tl->ndim == 2, "%s: input and logits present", c))
        goto out;
    int N = (int)ti->shape[0], H = (int)ti->shape[2], W = (int)ti->shape[3];
    is_int(ti->shape[1], a->in_chans, "%s: input channels", c);
    is_int(tl->shape[1], a->num_classes, "%s: classes", c);
    if (sekit_model_prepare(m, N, H, W, &e)) {
        ok(0, "%s: prepare: %s", c, e.msg);
        goto out;
    }
    float *logits = malloc(sizeof(float) * (size_t)N * a->num_classes);
    sekit_model_forward(m, x, N, logits);
    size_t nl = (size_t)N * a->num_classes;
    is_close(logits, want, nl, GOLDEN_REL * tap_maxabs(want, nl), "%s: logits (%dx%d input)", c, H,
             W);
    free(logits);
    int checked = 0;
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        char name[128];
        size_t n = (size_t)N * s->channels;
        /* the torchvision cases key their vectors by the upstream module */
        const char *key = zoo ? s->module : s->name;
        snprintf(name, sizeof name, "gate.%s", key);
        float *g = read_tensor(ex, name, &tg);
        if (ok(g && tg->numel == n, "%s: %s has a reference gate [%d, %d]", c, s->name, N,
               s->channels)) {
            is_close(sekit_model_gate(m, i), g, n, GOLDEN_REL * tap_maxabs(g, n), "%s: gate %s", c,
                     s->name);
            checked++;
        }
        free(g);
        snprintf(name, sizeof name, "squeeze.%s", key);
        g = read_tensor(ex, name, &tg);
        if (g && tg->numel == n)
            is_close(sekit_model_squeeze(m, i), g, n, GOLDEN_REL * tap_maxabs(g, n),
                     "%s: squeeze %s", c, s->name);
        free(g);
    }
    int ref_gates = 0;
    for (int i = 0; i < sekit_st_count(ex); i++)
        ref_gates += strncmp(sekit_st_tensor(ex, i)->name, "gate.", 5) == 0;
    is_int(checked, ref_gates, "%s: every reference gate was compared", c);
out:
    free(x);
    free(want);
    sekit_model_free(m);
    sekit_st_close(ex);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    /* SEKIT_GOLDEN_DIR: files in the same format from elsewhere, e.g. the full-size upstream
     * models tests/reference/check_upstream.py writes */
    char dir[1024];
    const char *other = getenv("SEKIT_GOLDEN_DIR");
    if (other && *other)
        snprintf(dir, sizeof dir, "%s", other);
    else
        snprintf(dir, sizeof dir, "%s/tests/reference/data", tap_srcdir());
    DIR *d = opendir(dir);
    if (!ok(d != NULL, "golden data directory %s exists", dir)) return tap_done();
    char *cases[64];
    int n = 0;
    const char *suffix = ".expected.safetensors";
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        size_t l = strlen(de->d_name), sl = strlen(suffix);
        if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0)
            cases[n++] = strndup(de->d_name, l - sl);
    }
    closedir(d);
    qsort(cases, (size_t)n, sizeof *cases, cmp_str);
    ok(n >= (other && *other ? 1 : 13), "%d golden cases found (every family and block type)", n);
    for (int b = 0; b <= SEKIT_BACKEND_ONEDNN; b++) {
        if (!sekit_backend_available(b)) {
            diag("this build has no %s backend", sekit_backend_name(b));
            continue;
        }
        for (int t = 1; t <= 2; t++)
            for (int i = 0; i < n; i++)
                run_case(dir, cases[i], b, t);
    }
    for (int i = 0; i < n; i++)
        free(cases[i]);
    return tap_done();
}
