/*
 * model.c -- a network built from weights, and its forward pass on both backends.
 *
 * Loading infers the architecture (arch.c), and a family's builder (build_*.c) walks it in
 * network order, asking a weight source for each tensor by its name in the file's layout. A
 * file source checks presence, shape and dtype, and afterwards that the file holds nothing the
 * architecture does not use; a synthetic source draws seeded values instead. BatchNorm (eval
 * mode, the architecture's eps) is folded into the preceding convolution as it is read
 * (ops/bn.c). What the builders produce is described in net.h.
 *
 * Forward of one block (block_forward): the branch's convolutions in order, the SE block on
 * the output it belongs to (z = mean over H x W; s = gate(fc2(act(fc1(z)))); that output times
 * s), then the residual sum and the block's activation. Two backends run it (sekit.h: enum
 * sekit_backend): OpenBLAS on NCHW activations and oneDNN on NHWC activations, the same steps.
 */
#include "arch_zoo.h"
#include "config.h"
#include "fileio.h"
#include "net.h"
#include "threads.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One thread's share of the buffers: images [n0, n0 + n) of the batch. Every buffer holds
 * max_n images' worth, so shares at n0 * (floats per image) never overlap. */
struct ws {
    float *act[2], *t1, *t2, *sc, *col, *tmp, *pooled, *fc_mid;
    int n0;
    int plan, stream; /* oneDNN: the plan the N images run at, the thread's stream */
};

/* ---------------------------------------------------------------------------------------- */
/* weight sources */

static double rng_uniform(uint64_t *s)
{
    /* splitmix64: tiny, seedable, good enough for synthetic weights */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < n) snprintf(buf + o, n - o, "]");
}

int sekit_take(struct wsrc *w, float *dst, const char *name, int ndim, const int64_t *shape,
               enum wkind kind)
{
    uint64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= (uint64_t)shape[i];
    if (kind != W_BN_MEAN && kind != W_BN_VAR) w->params += (int64_t)numel;
    if (!w->st) {
        double fan_in = ndim > 1 ? (double)(numel / (uint64_t)shape[0]) : 1.0;
        double bound = sqrt(3.0 / fan_in); /* unit-variance outputs for unit-variance inputs */
        for (uint64_t i = 0; i < numel; i++) {
            double u = rng_uniform(&w->rng);
            switch (kind) {
            case W_CONV:
            case W_LINEAR:
                dst[i] = (float)((2 * u - 1) * bound);
                break;
            case W_BIAS:
            case W_BN_BIAS:
            case W_BN_MEAN:
                dst[i] = (float)(0.2 * u - 0.1);
                break;
            case W_BN_WEIGHT:
            case W_BN_VAR:
                dst[i] = (float)(0.5 + u);
                break;
            }
        }
        return SEKIT_OK;
    }
    const char *path = sekit_st_path(w->st);
    const struct sekit_st_tensor *t = sekit_st_find(w->st, name);
    char want[160], have[160];
    shape_str(want, sizeof want, ndim, shape);
    if (!t)
        return sekit_errf(w->e, SEKIT_ESHAPE,
                          "%s: missing tensor '%s' %s that the inferred architecture needs", path,
                          name, want);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        shape_str(have, sizeof have, t->ndim, t->shape);
        return sekit_errf(w->e, SEKIT_ESHAPE,
                          "%s: tensor '%s' has shape %s but the architecture needs %s", path, name,
                          have, want);
    }
    w->used[t - sekit_st_tensor(w->st, 0)] = 1;
    int rc = sekit_st_read_f32(w->st, t, dst, w->e);
    if (rc) return rc;
    for (uint64_t i = 0; i < numel; i++)
        if (!isfinite(dst[i]) || (kind == W_BN_VAR && dst[i] < 0))
            return sekit_errf(w->e, SEKIT_EFORMAT, "%s: tensor '%s' holds %s value %g at %llu",
                              path, name, kind == W_BN_VAR ? "an invalid variance" : "a non-finite",
                              (double)dst[i], (unsigned long long)i);
    return SEKIT_OK;
}

static float *falloc(size_t n)
{
    return malloc((n ? n : 1) * sizeof(float));
}

void sekit_conv_init(struct conv *c, int cin, int cout, int k, int stride, int groups,
                     enum sekit_act act)
{
    *c = (struct conv){.cin = cin,
                       .cout = cout,
                       .kh = k,
                       .kw = k,
                       .stride = stride,
                       .groups = groups,
                       .pad = (k - 1) / 2,
                       .act = act};
}

static int conv_alloc(struct wsrc *w, struct conv *c, const char *wname, int64_t wshape[4])
{
    snprintf(c->name, sizeof c->name, "%s", wname);
    wshape[0] = c->cout, wshape[1] = c->cin / c->groups, wshape[2] = c->kh, wshape[3] = c->kw;
    c->w = falloc((size_t)c->cout * (c->cin / c->groups) * c->kh * c->kw);
    c->b = falloc((size_t)c->cout);
    if (!c->w || !c->b) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for '%s'", wname);
    return SEKIT_OK;
}

/* BatchNorm `prefix`.{weight,bias,running_mean,running_var} of C channels into bn[4 C]. */
static int take_bn(struct wsrc *w, float *bn, const char *prefix, int C)
{
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    static const enum wkind kinds[4] = {W_BN_WEIGHT, W_BN_BIAS, W_BN_MEAN, W_BN_VAR};
    const int64_t vshape[1] = {C};
    int rc = SEKIT_OK;
    for (int i = 0; i < 4 && !rc; i++) {
        char name[200];
        snprintf(name, sizeof name, "%s.%s", prefix, parts[i]);
        rc = sekit_take(w, bn + (size_t)i * C, name, 1, vshape, kinds[i]);
    }
    return rc;
}

int sekit_load_conv_bn(struct wsrc *w, struct conv *c, const char *wname, const char *bnprefix,
                       double eps)
{
    int64_t wshape[4];
    int rc = conv_alloc(w, c, wname, wshape);
    if (rc) return rc;
    const size_t wn = (size_t)c->cout * wshape[1] * c->kh * c->kw;
    float *bn = falloc(4 * (size_t)c->cout);
    if (!bn) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for '%s'", wname);
    rc = sekit_take(w, c->w, wname, 4, wshape, W_CONV);
    if (!rc) rc = take_bn(w, bn, bnprefix, c->cout);
    if (!rc)
        sekit_bn_fold(c->w, c->b, bn, bn + c->cout, bn + 2 * c->cout, bn + 3 * c->cout, c->cout,
                      wn / (size_t)c->cout, eps);
    free(bn);
    return rc;
}

/* timm's _split_channels: part i of total in n parts */
static int split_part(int total, int n, int i)
{
    return total / n + (i == 0 ? total - total / n * n : 0);
}

int sekit_load_conv_bn_split(struct wsrc *w, struct conv *c, const char *prefix, int nsplit,
                             const int *ks, const char *bnprefix, double eps)
{
    const int dw = c->groups == c->cin && c->groups == c->cout;
    SEKIT_ASSERT(nsplit > 1 && (dw || (c->groups == 1 && c->kh == 1 && c->kw == 1)));
    char wname[160];
    snprintf(wname, sizeof wname, "%s.0.weight", prefix);
    int64_t wshape[4];
    int rc = conv_alloc(w, c, wname, wshape);
    if (rc) return rc;
    const int K = c->kh, cin_g = c->cin / c->groups;
    memset(c->w, 0, sizeof(float) * (size_t)c->cout * cin_g * K * K);
    c->taps = 0;
    for (int i = 0, o0 = 0, i0 = 0; i < nsplit && !rc; i++) {
        const int co = split_part(c->cout, nsplit, i), ci = split_part(c->cin, nsplit, i),
                  k = ks[i];
        SEKIT_ASSERT(k >= 1 && k <= K && (K - k) % 2 == 0);
        const int64_t shape[4] = {co, dw ? 1 : ci, k, k};
        float *part = falloc((size_t)co * shape[1] * k * k);
        if (!part) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for '%s'", prefix);
        snprintf(wname, sizeof wname, "%s.%d.weight", prefix, i);
        rc = sekit_take(w, part, wname, 4, shape, W_CONV);
        const int off = (K - k) / 2;
        for (int o = 0; !rc && o < co; o++)
            for (int j = 0; j < shape[1]; j++)
                for (int y = 0; y < k; y++)
                    for (int x = 0; x < k; x++)
                        c->w[(((size_t)(o0 + o) * cin_g + (dw ? 0 : i0 + j)) * K + off + y) * K +
                             off + x] = part[(((size_t)o * shape[1] + j) * k + y) * k + x];
        c->taps += (int64_t)co * shape[1] * k * k;
        free(part);
        o0 += co;
        i0 += ci;
    }
    float *bn = rc ? NULL : falloc(4 * (size_t)c->cout);
    if (!rc && !bn) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for '%s'", prefix);
    if (!rc) rc = take_bn(w, bn, bnprefix, c->cout);
    if (!rc)
        sekit_bn_fold(c->w, c->b, bn, bn + c->cout, bn + 2 * c->cout, bn + 3 * c->cout, c->cout,
                      (size_t)cin_g * K * K, eps);
    free(bn);
    return rc;
}

int sekit_load_se_bn(struct wsrc *w, struct se_block *se, const char *prefix, double eps)
{
    const int C = se->info.channels, CR = se->info.reduced;
    SEKIT_ASSERT(se->b1);
    float *bn = falloc(4 * (size_t)CR);
    if (!bn) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for %s", prefix);
    char bnprefix[160];
    snprintf(bnprefix, sizeof bnprefix, "%s.bn", prefix);
    int rc = take_bn(w, bn, bnprefix, CR);
    if (!rc) {
        /* (w z + b - mean) g / sqrt(var + eps) + beta: fc1's bias joins the BN's mean, which
         * sekit_bn_fold replaces the bias with */
        for (int r = 0; r < CR; r++)
            bn[2 * CR + r] -= se->b1[r];
        sekit_bn_fold(se->w1, se->b1, bn, bn + CR, bn + 2 * CR, bn + 3 * CR, CR, (size_t)C, eps);
        se->info.params += 2 * (int64_t)CR;
    }
    free(bn);
    return rc;
}

int sekit_load_conv_bias(struct wsrc *w, struct conv *c, const char *prefix)
{
    int64_t wshape[4];
    const int64_t vshape[1] = {c->cout};
    char wn[160], bn[160];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    int rc = conv_alloc(w, c, wn, wshape);
    if (!rc) rc = sekit_take(w, c->w, wn, 4, wshape, W_CONV);
    if (!rc) rc = sekit_take(w, c->b, bn, 1, vshape, W_BIAS);
    return rc;
}

int sekit_load_se(struct wsrc *w, struct se_block *se, const char *prefix, const char *fc1,
                  const char *fc2, int C, int CR, int bias, int linear)
{
    struct sekit_se_info *in = &se->info;
    snprintf(in->module, sizeof in->module, "%s", prefix);
    in->channels = C;
    in->reduced = CR;
    in->params = 2 * (int64_t)C * CR + (bias ? C + CR : 0);
    se->w1 = falloc((size_t)C * CR);
    se->w2 = falloc((size_t)C * CR);
    se->b1 = bias ? falloc((size_t)CR) : NULL;
    se->b2 = bias ? falloc((size_t)C) : NULL;
    se->fixed = falloc((size_t)C);
    se->mode = SEKIT_SE_NORMAL;
    if (!se->w1 || !se->w2 || !se->fixed || (bias && (!se->b1 || !se->b2)))
        return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory for %s", prefix);
    const int nd = linear ? 2 : 4;
    const int64_t s1[4] = {CR, C, 1, 1}, s2[4] = {C, CR, 1, 1}, v1[1] = {CR}, v2[1] = {C};
    char name[160];
    int rc;
    snprintf(name, sizeof name, "%s.%s.weight", prefix, fc1);
    if ((rc = sekit_take(w, se->w1, name, nd, s1, W_LINEAR))) return rc;
    if (bias) {
        snprintf(name, sizeof name, "%s.%s.bias", prefix, fc1);
        if ((rc = sekit_take(w, se->b1, name, 1, v1, W_BIAS))) return rc;
    }
    snprintf(name, sizeof name, "%s.%s.weight", prefix, fc2);
    if ((rc = sekit_take(w, se->w2, name, nd, s2, W_LINEAR))) return rc;
    if (bias) {
        snprintf(name, sizeof name, "%s.%s.bias", prefix, fc2);
        if ((rc = sekit_take(w, se->b2, name, 1, v2, W_BIAS))) return rc;
    }
    return SEKIT_OK;
}

int sekit_load_fc(struct wsrc *w, struct fc *f, const char *prefix, int in, int out, int bias,
                  int conv)
{
    f->in = in;
    f->out = out;
    f->w = falloc((size_t)in * out);
    f->b = bias ? falloc((size_t)out) : NULL;
    if (!f->w || (bias && !f->b)) return sekit_errf(w->e, SEKIT_ENOMEM, "out of memory");
    const int64_t ws[4] = {out, in, 1, 1}, bs[1] = {out};
    char name[160];
    snprintf(name, sizeof name, "%s.weight", prefix);
    int rc = sekit_take(w, f->w, name, conv ? 4 : 2, ws, conv ? W_CONV : W_LINEAR);
    if (!rc && bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        rc = sekit_take(w, f->b, name, 1, bs, W_BIAS);
    }
    return rc;
}

int sekit_check_all_used(struct wsrc *w, const char *what)
{
    for (int t = 0; w->st && t < sekit_st_count(w->st); t++) {
        const struct sekit_st_tensor *x = sekit_st_tensor(w->st, t);
        size_t nl = strlen(x->name);
        const char *bt = ".num_batches_tracked";
        int ignorable = x->dtype == SEKIT_DT_I64 && x->numel <= 1 && nl > strlen(bt) &&
                        strcmp(x->name + nl - strlen(bt), bt) == 0;
        if (!w->used[t] && !ignorable)
            return sekit_errf(w->e, SEKIT_ESHAPE, "%s: tensor '%s' does not belong to %s",
                              sekit_st_path(w->st), x->name, what);
    }
    return SEKIT_OK;
}

static int build(struct sekit_model *m, struct wsrc *w)
{
    int rc =
        m->arch.family == SEKIT_FAMILY_SERESNET ? sekit_build_resnet(m, w) : sekit_build_zoo(m, w);
    if (!rc) m->params = w->params;
    return rc;
}

int sekit_config_json(const char *weights, char *cfg, size_t size, json_t **root,
                      struct sekit_err *e)
{
    const char *slash = strrchr(weights, '/');
    snprintf(cfg, size, "%.*s/config.json", slash ? (int)(slash - weights) : 1,
             slash ? weights : ".");
    *root = NULL;
    if (access(cfg, F_OK) != 0) return SEKIT_OK;
    const int fd = sekit_open_regular(cfg, NULL, e);
    if (fd < 0) return SEKIT_EIO;
    json_error_t jerr;
    *root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
    close(fd);
    if (!*root)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not valid JSON: %s (line %d)", cfg, jerr.text,
                          jerr.line);
    return SEKIT_OK;
}

/* The upstream model timm's config.json beside path names ("architecture"), into name; "" when
 * there is no config.json or it names none. */
static int config_architecture(const char *path, char *name, size_t size, char *cfg,
                               size_t cfg_size, struct sekit_err *e)
{
    json_t *root;
    name[0] = '\0';
    int rc = sekit_config_json(path, cfg, cfg_size, &root, e);
    if (rc || !root) return rc;
    json_t *a = json_object_get(root, "architecture");
    if (a && (!json_is_string(a) || json_string_length(a) >= size))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: \"architecture\" is not a model name", cfg);
    else if (a)
        snprintf(name, size, "%s", json_string_value(a));
    json_decref(root);
    return rc;
}

/* Checks the inferred architecture against the upstream model the caller, the file's metadata
 * or config.json says the weights are (see sekit_model_load_as). */
static int claimed_arch(struct sekit_model *m, const char *path, const char *arch,
                        struct sekit_err *e)
{
    char name[64], cfg[4096], what[4200];
    int from_config = 0;
    if (arch) {
        snprintf(what, sizeof what, "architecture '%.63s'", arch);
    } else if ((arch = sekit_st_meta(m->st, "sekit.arch"))) {
        snprintf(what, sizeof what, "__metadata__ sekit.arch '%.63s'", arch);
    } else {
        int rc = config_architecture(path, name, sizeof name, cfg, sizeof cfg, e);
        if (rc) return rc;
        const char *twin = sekit_arch_aa_twin(&m->arch);
        if (!name[0] && twin && !sekit_st_meta(m->st, "sekit.aa"))
            /* the same names fit a network with and without anti-aliasing, whose gates differ
             * by their whole scale: no guess */
            return sekit_errf(
                e, SEKIT_ESHAPE,
                "%s: the weights fit both %s (anti-aliased downsampling) and the same "
                "network without anti-aliasing, and names cannot show which; say "
                "it with --arch, the config.json beside the file, or __metadata__ "
                "sekit.aa (avgpool|none)",
                path, twin);
        if (!name[0]) return SEKIT_OK;
        arch = name;
        from_config = 1;
        snprintf(what, sizeof what, "%s architecture '%s'", cfg, name);
    }
    if (m->arch.layout == SEKIT_LAYOUT_TIMM_ZOO) {
        /* timm's names: the claim settles what they leave open (padding, eps) */
        const int rc = sekit_zoo_claim(&m->arch, arch, path, what, e);
        if (rc != 1) return rc;
    }
    struct sekit_arch p;
    struct sekit_err pe = {0};
    int rc = sekit_arch_preset(&p, arch, &pe);
    /* config.json also describes models that are no SE-ResNet; inference decides for those */
    if (rc && from_config && !sekit_arch_refusal(arch)) return SEKIT_OK;
    if (rc) return sekit_errf(e, rc, "%s: %s", path, pe.msg);
    return sekit_arch_match(&m->arch, &p, path, what, e);
}

int sekit_model_load_as(struct sekit_model **out, const char *path, const char *arch,
                        struct sekit_err *e)
{
    *out = NULL;
    struct sekit_model *m = calloc(1, sizeof *m);
    if (!m) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    m->backend = sekit_backend_default();
    int rc = sekit_st_open(&m->st, path, e);
    if (!rc) rc = sekit_arch_infer(&m->arch, m->st, e);
    if (!rc) rc = claimed_arch(m, path, arch, e);
    if (!rc && m->arch.family != SEKIT_FAMILY_SERESNET) rc = sekit_zoo_check(&m->arch, path, e);
    if (!rc) {
        struct wsrc w = {.st = m->st, .e = e};
        w.used = calloc((size_t)sekit_st_count(m->st) + 1, 1);
        rc = w.used ? build(m, &w) : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        free(w.used);
    }
    if (rc) {
        sekit_model_free(m);
        return rc;
    }
    *out = m;
    return SEKIT_OK;
}

int sekit_model_load(struct sekit_model **out, const char *path, struct sekit_err *e)
{
    return sekit_model_load_as(out, path, NULL, e);
}

int sekit_model_synthetic(struct sekit_model **out, const struct sekit_arch *a, uint64_t seed,
                          struct sekit_err *e)
{
    *out = NULL;
    struct sekit_model *m = calloc(1, sizeof *m);
    if (!m) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    m->backend = sekit_backend_default();
    m->arch = *a;
    struct wsrc w = {.rng = seed, .e = e};
    int rc = build(m, &w);
    if (rc) {
        sekit_model_free(m);
        return rc;
    }
    *out = m;
    return SEKIT_OK;
}

static void dnn_free(struct sekit_model *m);

static void free_buffers(struct sekit_model *m)
{
    dnn_free(m);
    float **bufs[] = {&m->act[0], &m->act[1], &m->t1,     &m->t2,    &m->sc,
                      &m->col,    &m->tmp,    &m->pooled, &m->fc_mid};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        free(*bufs[i]);
        *bufs[i] = NULL;
    }
    for (int i = 0; m->se && i < m->se_cap; i++) {
        struct se_block *se = &m->se[i];
        free(se->gate);
        free(se->squeeze);
        free(se->hidden);
        se->gate = se->squeeze = se->hidden = NULL;
    }
    m->max_n = 0;
}

static void free_conv(struct conv *c)
{
    free(c->w);
    free(c->b);
}

void sekit_model_free(struct sekit_model *m)
{
    if (!m) return;
    free_buffers(m);
    for (int j = 0; j < 3; j++)
        free_conv(&m->stem[j]);
    for (int i = 0; m->blocks && i < m->nblocks; i++) {
        struct block *b = &m->blocks[i];
        for (int j = 0; j < BRANCH_MAX; j++) {
            free_conv(&b->branch[j]);
            free_conv(&b->cheap[j]);
        }
        free_conv(&b->ds);
        free_conv(&b->ds2);
    }
    for (int i = 0; m->se && i < m->se_cap; i++) {
        free(m->se[i].w1);
        free(m->se[i].b1);
        free(m->se[i].w2);
        free(m->se[i].b2);
        free(m->se[i].fixed);
    }
    free_conv(&m->head);
    for (int j = 0; j < HEAD_FC_MAX; j++) {
        free(m->fc[j].w);
        free(m->fc[j].b);
    }
    free(m->blocks);
    free(m->se);
    free(m->se_block);
    sekit_st_close(m->st);
    free(m);
}

const struct sekit_arch *sekit_model_arch(const struct sekit_model *m)
{
    return &m->arch;
}

int64_t sekit_model_params(const struct sekit_model *m)
{
    return m->params;
}

const char *sekit_model_meta(const struct sekit_model *m, const char *key)
{
    return m->st ? sekit_st_meta(m->st, key) : NULL;
}

int sekit_model_se_count(const struct sekit_model *m)
{
    return m->nse;
}

const struct sekit_se_info *sekit_model_se_info(const struct sekit_model *m, int i)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse);
    return &m->se[i].info;
}

int sekit_model_se_find(const struct sekit_model *m, const char *name)
{
    for (int i = 0; i < m->nse; i++)
        if (strcmp(m->se[i].info.name, name) == 0 || strcmp(m->se[i].info.module, name) == 0)
            return i;
    return -1;
}

void sekit_model_se_set(struct sekit_model *m, int i, enum sekit_se_mode mode, const float *gate)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse);
    struct se_block *se = &m->se[i];
    se->mode = mode;
    if (mode == SEKIT_SE_FIXED) {
        SEKIT_ASSERT(gate != NULL);
        memcpy(se->fixed, gate, sizeof(float) * (size_t)se->info.channels);
    }
}

const float *sekit_model_gate(const struct sekit_model *m, int i)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse && m->max_n > 0);
    return m->se[i].gate;
}

const float *sekit_model_squeeze(const struct sekit_model *m, int i)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse && m->max_n > 0);
    return m->se[i].squeeze;
}

/* ---------------------------------------------------------------------------------------- */
/* shapes, buffers, forward */

/* Padding of c applied at h x w: top, left, bottom, right. TF 'same' pads so that the output
 * is ceil(in / stride), the odd pixel bottom/right (timm's pad_same). */
static void conv_pads(const struct conv *c, int h, int w, int pad[4])
{
    if (!c->same) {
        pad[0] = pad[1] = pad[2] = pad[3] = c->pad;
        return;
    }
    const int in[2] = {h, w}, k[2] = {c->kh, c->kw};
    for (int d = 0; d < 2; d++) {
        int total = ((in[d] + c->stride - 1) / c->stride - 1) * c->stride + k[d] - in[d];
        if (total < 0) total = 0;
        pad[d] = total / 2;
        pad[d + 2] = total - total / 2;
    }
}

/* The output size of c applied at h x w (0 when a window would not fit). */
static void conv_out(const struct conv *c, int h, int w, int *oh, int *ow)
{
    int pad[4];
    conv_pads(c, h, w, pad);
    const int sh = h + pad[0] + pad[2] - c->kh, sw = w + pad[1] + pad[3] - c->kw;
    *oh = sh < 0 ? 0 : sh / c->stride + 1;
    *ow = sw < 0 ? 0 : sw / c->stride + 1;
}

struct sizes {
    size_t act, col;
    int64_t macs;
    int (*hw)[4]; /* per block: input h, w and output h, w */
};

static int depthwise(const struct conv *c)
{
    return c->groups > 1 && c->groups == c->cin && c->cin == c->cout;
}

/* Accounts one conv applied at (*h, *w); updates them to the output size. */
static void size_conv(struct sizes *z, const struct conv *c, int n, int *h, int *w)
{
    int oh, ow;
    conv_out(c, *h, *w, &oh, &ow);
    size_t out = (size_t)n * c->cout * oh * ow;
    size_t col = depthwise(c) ? 0 : sekit_conv2d_col_size(n, c->cin, c->kh, c->kw, oh, ow);
    if (out > z->act) z->act = out;
    if (col > z->col) z->col = col;
    z->macs +=
        (c->taps ? c->taps : (int64_t)c->cout * (c->cin / c->groups) * c->kh * c->kw) * oh * ow;
    *h = oh;
    *w = ow;
}

/* Walks the network at batch n and input H x W: 1, or 0 if some map would vanish, or -1 - i if
 * block i's branch and shortcut come out at different sizes. */
static int walk_sizes(const struct sekit_model *m, int n, int H, int W, struct sizes *z)
{
    int(*hw)[4] = z->hw;
    memset(z, 0, sizeof *z);
    z->hw = hw;
    int h = H, w = W;
    size_t in = (size_t)n * m->arch.in_chans * H * W;
    z->act = in;
    for (int j = 0; j < m->nstem; j++)
        size_conv(z, &m->stem[j], n, &h, &w);
    if (m->pool_k) {
        h = sekit_out_size(h, m->pool_k, m->pool_stride, m->pool_pad, m->pool_ceil);
        w = sekit_out_size(w, m->pool_k, m->pool_stride, m->pool_pad, m->pool_ceil);
    }
    if (h < 1 || w < 1) return 0;
    for (int i = 0; i < m->nblocks; i++) {
        const struct block *b = &m->blocks[i];
        int h0 = h, w0 = w;
        z->hw[i][0] = h, z->hw[i][1] = w;
        for (int j = 0; j < b->nbranch; j++) {
            int hc = h, wc = w;
            size_conv(z, &b->branch[j], n, &h, &w);
            if (b->cheap[j].w) {
                hc = h, wc = w;
                size_conv(z, &b->cheap[j], n, &hc, &wc);
                /* the module's concatenated output */
                const size_t out = (size_t)n * b->ghost_out[j] * h * w;
                if (out > z->act) z->act = out;
            }
            if (j == b->aa_after) {
                h = sekit_out_size(h, 2, 2, 0, 0);
                w = sekit_out_size(w, 2, 2, 0, 0);
            }
            if (h < 1 || w < 1) return 0;
        }
        if (b->ds_pool) {
            h0 = sekit_out_size(h0, 2, 2, 0, 1);
            w0 = sekit_out_size(w0, 2, 2, 0, 1);
        }
        if (b->shortcut == SHORTCUT_PROJECTION) size_conv(z, &b->ds, n, &h0, &w0);
        if (b->shortcut == SHORTCUT_PROJECTION && b->ds2.w) size_conv(z, &b->ds2, n, &h0, &w0);
        /* an anti-aliased branch floors odd sizes where its shortcut's pool rounds up (timm
         * fails there too) */
        if (b->shortcut != SHORTCUT_NONE && (h != h0 || w != w0)) return -1 - i;
        z->hw[i][2] = h, z->hw[i][3] = w;
        if (b->se >= 0)
            z->macs += 2 * (int64_t)m->se[b->se].info.channels * m->se[b->se].info.reduced;
    }
    if (m->head.w) size_conv(z, &m->head, n, &h, &w);
    if (h < 1 || w < 1) return 0;
    for (int j = 0; j < m->nfc; j++)
        z->macs += (int64_t)m->fc[j].in * m->fc[j].out;
    return 1;
}

int64_t sekit_model_macs(const struct sekit_model *m, int H, int W)
{
    struct sizes z;
    z.hw = malloc(sizeof *z.hw * (size_t)m->nblocks);
    int64_t macs = z.hw && walk_sizes(m, 1, H, W, &z) == 1 ? z.macs : 0;
    free(z.hw);
    return macs;
}

static int dnn_build(struct sekit_model *m, struct sekit_err *e);

const char *sekit_backend_name(enum sekit_backend b)
{
    return b == SEKIT_BACKEND_ONEDNN ? "onednn" : "openblas";
}

int sekit_backend_parse(const char *name)
{
    if (strcmp(name, "openblas") == 0) return SEKIT_BACKEND_OPENBLAS;
    if (strcmp(name, "onednn") == 0) return SEKIT_BACKEND_ONEDNN;
    return -1;
}

int sekit_backend_available(enum sekit_backend b)
{
    return b == SEKIT_BACKEND_OPENBLAS || (b == SEKIT_BACKEND_ONEDNN && sekit_dnn_available());
}

enum sekit_backend sekit_backend_default(void)
{
    return sekit_dnn_available() ? SEKIT_BACKEND_ONEDNN : SEKIT_BACKEND_OPENBLAS;
}

int sekit_model_set_backend(struct sekit_model *m, enum sekit_backend b, struct sekit_err *e)
{
    if (!sekit_backend_available(b))
        return sekit_errf(e, SEKIT_EINVAL,
                          "backend %s is not available: this sekit was built without oneDNN "
                          "(libdnnl-dev)",
                          sekit_backend_name(b));
    if (b == m->backend) return SEKIT_OK;
    m->backend = b;
    return m->max_n ? sekit_model_prepare(m, m->max_n, m->H, m->W, e) : SEKIT_OK;
}

enum sekit_backend sekit_model_backend(const struct sekit_model *m)
{
    return m->backend;
}

int sekit_model_prepare(struct sekit_model *m, int max_n, int H, int W, struct sekit_err *e)
{
    free_buffers(m);
    if (max_n < 1 || H < 1 || W < 1 || H > 16384 || W > 16384)
        return sekit_errf(e, SEKIT_EINVAL, "invalid batch %d or input size %dx%d", max_n, H, W);
    struct sizes z;
    z.hw = malloc(sizeof *z.hw * (size_t)m->nblocks);
    if (!z.hw) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    const int walk = walk_sizes(m, max_n, H, W, &z);
    if (walk != 1) {
        free(z.hw);
        if (walk < 0) {
            return sekit_errf(e, SEKIT_EINVAL,
                              "input %dx%d does not fit this network: %s's anti-aliased branch "
                              "and its shortcut round an odd size differently (use a multiple of "
                              "32)",
                              H, W, m->blocks[-1 - walk].name);
        }
        return sekit_errf(e, SEKIT_EINVAL, "input %dx%d is too small for this network", H, W);
    }
    for (int i = 0; i < m->nblocks; i++) {
        struct block *b = &m->blocks[i];
        b->in_h = z.hw[i][0], b->in_w = z.hw[i][1], b->out_h = z.hw[i][2], b->out_w = z.hw[i][3];
    }
    free(z.hw);
    /* walk_sizes at max_n images: every size is max_n times a per-image size */
    m->act_pi = z.act / (size_t)max_n;
    m->col_pi = z.col / (size_t)max_n;
    const int blas = m->backend == SEKIT_BACKEND_OPENBLAS;
    float **bufs[] = {&m->act[0], &m->act[1], &m->t1, &m->t2, &m->sc};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (!(*bufs[i] = falloc(z.act))) goto oom;
    /* im2col and the GEMM's transposed output: the OpenBLAS backend's alone */
    if (blas && (!(m->tmp = falloc(z.act)) || !(m->col = falloc(z.col)))) goto oom;
    if (!(m->pooled = falloc((size_t)max_n * m->features))) goto oom;
    if (m->nfc > 1 && !(m->fc_mid = falloc((size_t)max_n * m->fc[0].out))) goto oom;
    for (int i = 0; i < m->nse; i++) {
        struct se_block *se = &m->se[i];
        size_t c = (size_t)max_n * se->info.channels;
        se->gate = falloc(c);
        se->squeeze = falloc(c);
        se->hidden = falloc((size_t)max_n * se->info.reduced);
        if (!se->gate || !se->squeeze || !se->hidden) goto oom;
    }
    m->max_n = max_n;
    m->H = H;
    m->W = W;
    if (!blas) {
        int rc = dnn_build(m, e);
        if (rc) free_buffers(m);
        return rc;
    }
    return SEKIT_OK;
oom:
    free_buffers(m);
    return sekit_errf(e, SEKIT_ENOMEM, "out of memory for activations of %d images of %dx%d", max_n,
                      H, W);
}

static struct ws share(const struct sekit_model *m, int n0, int plan, int stream)
{
    const size_t a = (size_t)n0 * m->act_pi;
    return (struct ws){.act = {m->act[0] + a, m->act[1] + a},
                       .t1 = m->t1 + a,
                       .t2 = m->t2 + a,
                       .sc = m->sc + a,
                       .tmp = m->tmp ? m->tmp + a : NULL,
                       .col = m->col ? m->col + (size_t)n0 * m->col_pi : NULL,
                       .pooled = m->pooled + (size_t)n0 * m->features,
                       .fc_mid = m->fc_mid ? m->fc_mid + (size_t)n0 * m->fc[0].out : NULL,
                       .n0 = n0,
                       .plan = plan,
                       .stream = stream};
}

/* out = conv(in) for the N images of share s, in the backend's layout: (N, cout, OH, OW) from
 * (N, cin, *h, *w), or (N, OH, OW, cout) from (N, *h, *w, cin); updates *h, *w. */
static void run_conv(const struct sekit_model *m, const struct ws *s, const struct conv *c,
                     float *out, const float *in, int N, int *h, int *w)
{
    int oh, ow, pad[4];
    conv_out(c, *h, *w, &oh, &ow);
    if (m->backend == SEKIT_BACKEND_ONEDNN) {
        SEKIT_ASSERT(N == m->plans[s->plan].n);
        sekit_dnn_conv_run(c->dnn, s->plan, s->stream, in, out);
    } else if (depthwise(c)) {
        conv_pads(c, *h, *w, pad);
        sekit_dwconv2d_forward(out, in, c->w, c->b, N, c->cin, *h, *w, c->kh, c->kw, c->stride,
                               pad[0], pad[1], oh, ow, c->act);
    } else {
        conv_pads(c, *h, *w, pad);
        sekit_conv2d_forward(out, in, c->w, c->b, s->col, s->tmp, N, c->cin, *h, *w, c->cout, c->kh,
                             c->kw, c->stride, pad[0], pad[1], oh, ow, c->groups, c->act);
    }
    *h = oh;
    *w = ow;
}

/* out = the 2x2/2 average pool of in (N, C, *h, *w), in the backend's layout (ceil: a last
 * window cut short by the edge, avg_down's rounding); updates *h, *w. */
static void run_avgpool2(const struct sekit_model *m, float *out, const float *in, int N, int C,
                         int *h, int *w, int ceil_mode)
{
    const int oh = sekit_out_size(*h, 2, 2, 0, ceil_mode),
              ow = sekit_out_size(*w, 2, 2, 0, ceil_mode);
    if (m->backend == SEKIT_BACKEND_ONEDNN)
        sekit_avgpool2d_nhwc(out, in, N, C, *h, *w, 2, 2, oh, ow);
    else
        sekit_avgpool2d_forward(out, in, N, C, *h, *w, 2, 2, oh, ow);
    *h = oh;
    *w = ow;
}

/* The squeeze of x (N, C, P) and its excitation, as the SE block's mode says, into the block's
 * vectors of this share; returns the gate rows. */
static const float *squeeze_excite(const struct sekit_model *m, const struct ws *s,
                                   struct se_block *se, const float *x, int N, int P)
{
    const int C = se->info.channels;
    float *gate = se->gate + (size_t)s->n0 * C, *squeeze = se->squeeze + (size_t)s->n0 * C;
    if (m->backend == SEKIT_BACKEND_ONEDNN)
        sekit_global_avgpool_nhwc(squeeze, x, N, C, P);
    else
        sekit_global_avgpool_forward(squeeze, x, N, C, P);
    switch (se->mode) {
    case SEKIT_SE_NORMAL:
        sekit_se_excite(gate, se->hidden + (size_t)s->n0 * se->info.reduced, squeeze, se->w1,
                        se->b1, se->w2, se->b2, N, C, se->info.reduced, se->info.act,
                        se->info.gate);
        break;
    case SEKIT_SE_REMOVED:
        for (size_t j = 0; j < (size_t)N * C; j++)
            gate[j] = 1.0f;
        break;
    case SEKIT_SE_FIXED:
        for (int n = 0; n < N; n++)
            memcpy(gate + (size_t)n * C, se->fixed, sizeof(float) * (size_t)C);
        break;
    }
    return gate;
}

/*
 * One block for the N images of share s, as the paper's Fig. 3 (SE-ResNet module) draws it
 * and the later families move the SE inside the branch:
 *   branch    U = the block's convolutions of X        (1x1, 3x3, 1x1; 1x1, depthwise, 1x1; ...)
 *   squeeze   z_c = mean over H x W of U_c             (Eq. 2), U the output the SE belongs to
 *   excite    s = gate(W2 act(W1 z))                   (Eq. 3), or 1 (removed), or fixed
 *   scale     X~_c = s_c * U_c                         (Eq. 4)
 *   sum       out = act(X~ + shortcut(X))              (shortcut: identity, projection, none)
 * in (N, Cin, h, w) -> out (N, C, h', w') on the OpenBLAS backend, the same as (N, h, w, Cin)
 * -> (N, h', w', C) on oneDNN's. The branch alternates between t1 and t2 and ends in out; an
 * SE on the last conv with a ReLU'd sum (SE-ResNets) runs fused with the sum, in place. *h, *w
 * become the output's.
 */
static void block_forward(const struct sekit_model *m, const struct ws *s, struct block *b,
                          float *out, const float *in, int N, int *h, int *w)
{
    const int nhwc = m->backend == SEKIT_BACKEND_ONEDNN;
    float *tmp[2] = {s->t1, s->t2};
    int hb = *h, wb = *w, hs = *h, ws = *w, k = 0;
    const float *x = in, *gate = NULL;
    for (int j = 0; j < b->nbranch; j++) {
        const struct conv *c = &b->branch[j];
        float *y = j + 1 == b->nbranch ? out : tmp[k];
        if (y != out) k = 1 - k;
        int cj = c->cout;
        if (b->cheap[j].w) {
            /* a ghost module: the primary conv into sc (free until the shortcut), its cheap
             * depthwise conv into the t1/t2 that neither x nor y is, both into y */
            float *q = tmp[0] != x && tmp[0] != y ? tmp[0] : tmp[1];
            SEKIT_ASSERT(q != x && q != y);
            run_conv(m, s, c, s->sc, x, N, &hb, &wb);
            int hc = hb, wc = wb;
            run_conv(m, s, &b->cheap[j], q, s->sc, N, &hc, &wc);
            cj = b->ghost_out[j];
            sekit_concat2(y, s->sc, c->cout, q, cj - c->cout, b->cheap[j].cout, N, hb * wb, nhwc);
        } else {
            run_conv(m, s, c, y, x, N, &hb, &wb);
        }
        x = y;
        if (j == b->aa_after) {
            run_avgpool2(m, tmp[k], x, N, c->cout, &hb, &wb, 0);
            x = tmp[k];
            k = 1 - k;
        }
        if (j == b->se_after) {
            gate = squeeze_excite(m, s, &m->se[b->se], x, N, hb * wb);
            const int fused =
                j + 1 == b->nbranch &&
                (b->shortcut == SHORTCUT_IDENTITY || b->shortcut == SHORTCUT_PROJECTION) &&
                b->out_act == SEKIT_ACT_RELU && b->se_out_act == SEKIT_ACT_NONE;
            if (!fused) {
                if (nhwc)
                    sekit_se_scale_nhwc((float *)x, gate, N, cj, hb * wb);
                else
                    sekit_se_scale((float *)x, gate, N, cj, hb * wb);
                sekit_act_forward((float *)x, (size_t)N * cj * hb * wb, b->se_out_act);
                gate = NULL;
            }
        }
    }
    const float *shortcut = in;
    if (b->shortcut == SHORTCUT_PROJECTION) {
        const float *xs = in;
        if (b->ds_pool) {
            /* the branch is done with t1 */
            run_avgpool2(m, s->t1, in, N, b->in_c, &hs, &ws, 1);
            xs = s->t1;
        }
        if (b->ds2.w) {
            /* the branch is done with t1 and t2 */
            run_conv(m, s, &b->ds, s->t2, xs, N, &hs, &ws);
            run_conv(m, s, &b->ds2, s->sc, s->t2, N, &hs, &ws);
        } else {
            run_conv(m, s, &b->ds, s->sc, xs, N, &hs, &ws);
        }
        shortcut = s->sc;
    }
    const int C = b->out_c, P = hb * wb;
    if (gate) {
        /* in place: the lines just read are in cache, and writing them costs no extra read */
        if (nhwc)
            sekit_se_scale_add_relu_nhwc(out, out, gate, shortcut, N, C, P);
        else
            sekit_se_scale_add_relu(out, out, gate, shortcut, N, C, P);
    } else if (b->shortcut == SHORTCUT_PARTIAL) {
        sekit_add_partial(out, shortcut, N, C, b->in_c, P, nhwc);
        sekit_act_forward(out, (size_t)N * C * P, b->out_act);
    } else if (b->shortcut != SHORTCUT_NONE) {
        sekit_add_act(out, out, shortcut, (size_t)N * C * P, b->out_act);
    } else {
        sekit_act_forward(out, (size_t)N * C * P, b->out_act);
    }
    *h = hb;
    *w = wb;
}

/* The head from the last block's output x at h x w into logits (N, K): [1x1 conv,] global
 * average pool, the FCs. */
static void head_forward(const struct sekit_model *m, const struct ws *s, float *x, float *spare,
                         int N, int h, int w, float *logits)
{
    if (m->head.w) {
        run_conv(m, s, &m->head, spare, x, N, &h, &w);
        x = spare;
    }
    if (m->backend == SEKIT_BACKEND_ONEDNN)
        sekit_global_avgpool_nhwc(s->pooled, x, N, m->features, h * w);
    else
        sekit_global_avgpool_forward(s->pooled, x, N, m->features, h * w);
    const float *v = s->pooled;
    for (int j = 0; j < m->nfc; j++) {
        const struct fc *f = &m->fc[j];
        float *o = j + 1 == m->nfc ? logits : s->fc_mid;
        sekit_linear_forward(o, v, f->w, f->b, N, f->in, f->out);
        sekit_act_forward(o, (size_t)N * f->out, f->act);
        v = o;
    }
}

/* Blocks [from, to) for the N images of share s, then the head into logits (N, K) when `to`
 * is the block count, else block `to`'s input into out; the input of block `from` is in
 * s->act[cur]. Only full passes (capture set) copy block inputs out: a pass from a block runs a
 * modified network whose activations must not replace the captured ones other variants restart
 * from. */
static void run_blocks(struct sekit_model *m, const struct ws *s, int from, int to, int cur, int N,
                       float *logits, float *out, int capture)
{
    int h = m->blocks[from].in_h, w = m->blocks[from].in_w;
    for (int i = from; i < to; i++) {
        struct block *b = &m->blocks[i];
        const size_t in_pi = (size_t)b->in_c * h * w;
        if (capture && b->capture)
            memcpy(b->capture + (size_t)s->n0 * in_pi, s->act[cur],
                   sizeof(float) * (size_t)N * in_pi);
        block_forward(m, s, b, s->act[1 - cur], s->act[cur], N, &h, &w);
        cur = 1 - cur;
    }
    if (to < m->nblocks) {
        /* stopped before block `to`: its input is the result */
        const struct block *b = &m->blocks[to];
        const size_t pi = (size_t)b->in_c * b->in_h * b->in_w;
        memcpy(out + (size_t)s->n0 * pi, s->act[cur], sizeof(float) * (size_t)N * pi);
        return;
    }
    head_forward(m, s, s->act[cur], s->act[1 - cur], N, h, w, logits);
}

/* A forward pass split into shares of the batch. from < 0: from the input x; else from block
 * `from`'s input activation x, up to block `to` (whose input goes to out) or to the logits. */
struct pass {
    struct sekit_model *m;
    const float *x;
    int from, to, N, shares;
    float *logits, *out;
};

/* The pass's images [n0, n0 + N) through the network, with buffers at n0 (plan and stream: the
 * oneDNN backend's). */
static void run_images(const struct pass *p, int n0, int N, int plan, int stream)
{
    struct sekit_model *m = p->m;
    const struct ws s = share(m, n0, plan, stream);
    const int nhwc = m->backend == SEKIT_BACKEND_ONEDNN;
    const int K = m->fc[m->nfc - 1].out;
    /* a pass that stops before the head (forward_range) has no logits */
    float *logits = p->logits ? p->logits + (size_t)n0 * K : NULL;
    if (p->from >= 0) {
        const struct block *b = &m->blocks[p->from];
        const size_t pi = (size_t)b->in_c * b->in_h * b->in_w;
        memcpy(s.act[0], p->x + (size_t)n0 * pi, sizeof(float) * (size_t)N * pi);
        run_blocks(m, &s, p->from, p->to, 0, N, logits, p->out, 0);
        return;
    }
    const int Cin = m->arch.in_chans;
    const float *x = p->x + (size_t)n0 * Cin * m->H * m->W;
    int h = m->H, w = m->W, cur = 0;
    if (nhwc) {
        sekit_nchw_to_nhwc(s.act[1], x, N, Cin, m->H * m->W);
        x = s.act[1];
    }
    run_conv(m, &s, &m->stem[0], s.act[0], x, N, &h, &w);
    for (int j = 1; j < m->nstem; j++, cur = 1 - cur)
        run_conv(m, &s, &m->stem[j], s.act[1 - cur], s.act[cur], N, &h, &w);
    if (m->pool_k) {
        const int C = m->stem[m->nstem - 1].cout;
        int oh = sekit_out_size(h, m->pool_k, m->pool_stride, m->pool_pad, m->pool_ceil);
        int ow = sekit_out_size(w, m->pool_k, m->pool_stride, m->pool_pad, m->pool_ceil);
        float *o = s.act[1 - cur];
        const float *in = s.act[cur];
        if (m->pool_avg && nhwc)
            sekit_avgpool2d_nhwc(o, in, N, C, h, w, m->pool_k, m->pool_stride, oh, ow);
        else if (m->pool_avg)
            sekit_avgpool2d_forward(o, in, N, C, h, w, m->pool_k, m->pool_stride, oh, ow);
        else if (nhwc)
            sekit_maxpool2d_nhwc(o, in, N, C, h, w, m->pool_k, m->pool_stride, m->pool_pad, oh, ow);
        else
            sekit_maxpool2d_forward(o, in, N, C, h, w, m->pool_k, m->pool_stride, m->pool_pad, oh,
                                    ow);
        cur = 1 - cur;
    }
    run_blocks(m, &s, 0, m->nblocks, cur, N, logits, NULL, 1);
}

static void run_share(void *ctx, int t)
{
    const struct pass *p = ctx;
    const struct sekit_model *m = p->m;
    const int n0 = (int)((int64_t)p->N * t / p->shares);
    const int N = (int)((int64_t)p->N * (t + 1) / p->shares) - n0;
    if (m->backend != SEKIT_BACKEND_ONEDNN) {
        run_images(p, n0, N, 0, 0);
        return;
    }
    /* chunks of the compiled sizes, largest first; every mode ends in a plan of one image */
    const int k = p->shares > 1;
    sekit_dnn_set_threads(m->plans[m->mode[k].first].threads);
    int done = 0;
    for (int j = m->mode[k].first; j < m->mode[k].first + m->mode[k].count; j++)
        for (const int n = m->plans[j].n; N - done >= n; done += n)
            run_images(p, n0 + done, n, j, t);
    SEKIT_ASSERT(done == N);
}

static void run_pass(struct sekit_model *m, const float *x, int from, int to, int N, float *logits,
                     float *out)
{
    const int T = sekit_threads();
    if (m->backend == SEKIT_BACKEND_ONEDNN && T != m->dnn_threads) {
        /* the thread count changed since prepare: the shapes were all accepted then, so only a
         * lack of memory can fail here, and a forward pass has no way to report it */
        struct sekit_err e = {0};
        if (dnn_build(m, &e)) sekit_abort(__FILE__, __LINE__, e.msg);
    }
    struct pass p = {.m = m,
                     .x = x,
                     .from = from,
                     .to = to,
                     .N = N,
                     .shares = N >= T ? T : 1,
                     .logits = logits,
                     .out = out};
    /* with oneDNN, OpenBLAS runs only the SE and head FCs, too small for threads of their own */
    sekit_blas_threads(p.shares > 1 || m->backend == SEKIT_BACKEND_ONEDNN ? 1 : T);
    sekit_parallel(p.shares, run_share, &p);
}

/* ---------------------------------------------------------------------------------------- */
/* the oneDNN backend's compiled convolutions */

static void dnn_free(struct sekit_model *m)
{
    for (int j = 0; j < 3; j++) {
        sekit_dnn_conv_free(m->stem[j].dnn);
        m->stem[j].dnn = NULL;
    }
    for (int i = 0; m->blocks && i < m->nblocks; i++) {
        struct block *b = &m->blocks[i];
        for (int j = 0; j < BRANCH_MAX; j++) {
            sekit_dnn_conv_free(b->branch[j].dnn);
            b->branch[j].dnn = NULL;
            sekit_dnn_conv_free(b->cheap[j].dnn);
            b->cheap[j].dnn = NULL;
        }
        sekit_dnn_conv_free(b->ds.dnn);
        b->ds.dnn = NULL;
        sekit_dnn_conv_free(b->ds2.dnn);
        b->ds2.dnn = NULL;
    }
    sekit_dnn_conv_free(m->head.dnn);
    m->head.dnn = NULL;
    sekit_dnn_close(m->dnn);
    m->dnn = NULL;
    m->dnn_threads = 0;
}

/* The plans for the current thread count (see struct sekit_model). */
static void dnn_plans(struct sekit_model *m, int T)
{
    const int M = m->max_n, S = (M + T - 1) / T;
    m->nplans = 0;
    for (int k = 0; k < 2; k++) {
        m->mode[k].first = m->nplans;
        /* k = 1: shares of at most S images, one thread each; k = 0: one share on all T
         * threads, which only batches of fewer than T images use (with T = 1: every batch) */
        const int big = k ? S : T == 1 ? M : 1, threads = k ? 1 : T;
        if (k && (T == 1 || M < T)) {
            m->mode[k].count = 0;
            continue;
        }
        m->plans[m->nplans++] = (struct sekit_dnn_plan){big, threads};
        if (big > 1) m->plans[m->nplans++] = (struct sekit_dnn_plan){1, threads};
        m->mode[k].count = m->nplans - m->mode[k].first;
    }
}

/* Compiles one convolution applied at (*h, *w); updates them to its output size. */
static int dnn_conv(struct sekit_model *m, struct conv *c, int *h, int *w, struct sekit_err *e)
{
    struct sekit_dnn_conv_desc d = {.name = c->name,
                                    .C = c->cin,
                                    .H = *h,
                                    .W = *w,
                                    .K = c->cout,
                                    .kh = c->kh,
                                    .kw = c->kw,
                                    .stride = c->stride,
                                    .groups = c->groups,
                                    .act = c->act,
                                    .w = c->w,
                                    .b = c->b};
    conv_pads(c, *h, *w, d.pad);
    conv_out(c, *h, *w, h, w);
    return sekit_dnn_conv_new(&c->dnn, m->dnn, &d, m->plans, m->nplans, e);
}

static int dnn_build(struct sekit_model *m, struct sekit_err *e)
{
    const int T = sekit_threads();
    dnn_free(m);
    dnn_plans(m, T);
    int rc = sekit_dnn_open(&m->dnn, T, e);
    int h = m->H, w = m->W;
    for (int j = 0; !rc && j < m->nstem; j++)
        rc = dnn_conv(m, &m->stem[j], &h, &w, e);
    for (int i = 0; !rc && i < m->nblocks; i++) {
        struct block *b = &m->blocks[i];
        int hb = b->in_h, wb = b->in_w;
        for (int j = 0; !rc && j < b->nbranch; j++) {
            rc = dnn_conv(m, &b->branch[j], &hb, &wb, e);
            if (!rc && b->cheap[j].w) {
                int hc = hb, wc = wb;
                rc = dnn_conv(m, &b->cheap[j], &hc, &wc, e);
            }
            if (j == b->aa_after) {
                hb = sekit_out_size(hb, 2, 2, 0, 0);
                wb = sekit_out_size(wb, 2, 2, 0, 0);
            }
        }
        if (!rc && b->shortcut == SHORTCUT_PROJECTION) {
            int hs = b->in_h, ws = b->in_w;
            if (b->ds_pool) {
                hs = sekit_out_size(hs, 2, 2, 0, 1);
                ws = sekit_out_size(ws, 2, 2, 0, 1);
            }
            rc = dnn_conv(m, &b->ds, &hs, &ws, e);
            if (!rc && b->ds2.w) rc = dnn_conv(m, &b->ds2, &hs, &ws, e);
        }
    }
    if (!rc && m->head.w) {
        const struct block *b = &m->blocks[m->nblocks - 1];
        int hh = b->out_h, wh = b->out_w;
        rc = dnn_conv(m, &m->head, &hh, &wh, e);
    }
    if (rc) {
        dnn_free(m);
        return rc;
    }
    m->dnn_threads = T;
    return SEKIT_OK;
}

void sekit_model_forward(struct sekit_model *m, const float *x, int N, float *logits)
{
    SEKIT_ASSERT(N >= 1 && N <= m->max_n);
    run_pass(m, x, -1, m->nblocks, N, logits, NULL);
}

/* The public API's block i is the network block holding SE i (net.h). */
static const struct block *se_block(const struct sekit_model *m, int i)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse);
    return &m->blocks[m->se_block[i]];
}

size_t sekit_model_block_input_size(const struct sekit_model *m, int i)
{
    SEKIT_ASSERT(m->max_n > 0);
    const struct block *b = se_block(m, i);
    return (size_t)b->in_c * b->in_h * b->in_w;
}

void sekit_model_block_hw(const struct sekit_model *m, int i, int *h, int *w)
{
    SEKIT_ASSERT(m->max_n > 0);
    *h = se_block(m, i)->out_h;
    *w = se_block(m, i)->out_w;
}

void sekit_model_capture(struct sekit_model *m, int i, float *dst)
{
    se_block(m, i);
    m->blocks[m->se_block[i]].capture = dst;
}

void sekit_model_forward_from(struct sekit_model *m, int i, const float *act, int N, float *logits)
{
    SEKIT_ASSERT(i >= 0 && i < m->nse && N >= 1 && N <= m->max_n);
    run_pass(m, act, m->se_block[i], m->nblocks, N, logits, NULL);
}

void sekit_model_forward_range(struct sekit_model *m, int i, int j, const float *act, int N,
                               float *out)
{
    SEKIT_ASSERT(i >= 0 && i < j && j < m->nse && N >= 1 && N <= m->max_n);
    run_pass(m, act, m->se_block[i], m->se_block[j], N, NULL, out);
}

void sekit_tally_topk(const float *logits, const int *labels, int nb, int K, int k, int64_t *n,
                      int64_t *top1, int64_t *topk)
{
    for (int b = 0; b < nb; b++) {
        const float *l = logits + (size_t)b * K;
        const int y = labels[b];
        int above = 0;
        for (int j = 0; j < K; j++)
            above += l[j] > l[y];
        n[y]++;
        top1[y] += above == 0;
        topk[y] += above < k;
    }
}

static const char *se_name(const void *m, int i)
{
    return sekit_model_se_info(m, i)->name;
}

const char *sekit_model_se_names(const struct sekit_model *m, char *buf, size_t size)
{
    return sekit_name_list(buf, size, se_name, m, sekit_model_se_count(m));
}
