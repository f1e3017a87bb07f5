/*
 * onednn.c -- oneDNN's convolutions for the engine's channels-last backend. See onednn.h.
 *
 * oneDNN's status codes are translated here: a failure while compiling names the convolution
 * and oneDNN's reason; a failure while running a compiled primitive is a bug in sekit (the plan
 * fixed every shape) and aborts with file:line.
 */
#include "onednn.h"

#include <stdlib.h>
#include <string.h>

#ifdef SEKIT_HAVE_ONEDNN

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

/* Primitives run concurrently from several threads, each on its own stream with its own
 * scratchpad: oneDNN's library-managed scratchpad is one global buffer unless the library was
 * built for concurrent execution, which Debian's is not. */
struct sekit_dnn {
    dnnl_engine_t engine;
    int nstreams;
    dnnl_stream_t *streams;
    void **scratch;      /* per stream */
    size_t scratch_size; /* bytes of each: the largest any plan asked for */
};

/* One plan's primitive and the weights in the layout it chose (shared between plans that chose
 * the same layout). */
struct plan {
    dnnl_primitive_t prim;
    dnnl_memory_desc_t src, dst, scratch;
    dnnl_memory_t weights;
    int owns_weights;
    const char *impl;
};

struct sekit_dnn_conv {
    struct sekit_dnn *d;
    dnnl_memory_t bias;
    int nplans;
    struct plan *plans;
};

int sekit_dnn_available(void)
{
    return 1;
}

static int fail(struct sekit_err *e, dnnl_status_t s, const char *what, const char *name)
{
    return sekit_errf(e, s == dnnl_out_of_memory ? SEKIT_ENOMEM : SEKIT_EINVAL,
                      "oneDNN cannot %s%s%s: %s", what, name ? " for " : "", name ? name : "",
                      dnnl_status2str(s));
}

int sekit_dnn_open(struct sekit_dnn **out, int nstreams, struct sekit_err *e)
{
    *out = NULL;
    struct sekit_dnn *d = calloc(1, sizeof *d);
    if (!d || !(d->streams = calloc((size_t)nstreams, sizeof *d->streams)) ||
        !(d->scratch = calloc((size_t)nstreams, sizeof *d->scratch))) {
        if (d) free(d->streams);
        free(d);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    dnnl_status_t s = dnnl_engine_create(&d->engine, dnnl_cpu, 0);
    for (; s == dnnl_success && d->nstreams < nstreams; d->nstreams++)
        s = dnnl_stream_create(&d->streams[d->nstreams], d->engine, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        sekit_dnn_close(d);
        return fail(e, s, "create a CPU engine and its streams", NULL);
    }
    *out = d;
    return SEKIT_OK;
}

void sekit_dnn_close(struct sekit_dnn *d)
{
    if (!d) return;
    for (int i = 0; i < d->nstreams; i++)
        if (d->streams[i]) dnnl_stream_destroy(d->streams[i]);
    for (int i = 0; d->scratch && i < d->nstreams; i++)
        free(d->scratch[i]);
    if (d->engine) dnnl_engine_destroy(d->engine);
    free(d->scratch);
    free(d->streams);
    free(d);
}

void sekit_dnn_set_threads(int n)
{
    /* oneDNN sizes its parallel regions by the calling thread's OpenMP thread count, both when
     * it compiles a primitive and when it runs one */
    if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

static const dnnl_memory_desc_t *mem_desc(const_dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md = NULL;
    return dnnl_memory_get_memory_desc(m, &md) == dnnl_success ? md : NULL;
}

/* A memory object over the user's weights, (K, C/G, k, k) as oihw or goihw. */
static dnnl_status_t user_weights(dnnl_memory_t *m, dnnl_engine_t eng,
                                  const struct sekit_dnn_conv_desc *c)
{
    dnnl_memory_desc_t md;
    const int G = c->groups;
    dnnl_dims_t d = {c->K, c->C, c->kh, c->kw}, dg = {G, c->K / G, c->C / G, c->kh, c->kw};
    dnnl_status_t s = G > 1 ? dnnl_memory_desc_init_by_tag(&md, 5, dg, dnnl_f32, dnnl_goihw)
                            : dnnl_memory_desc_init_by_tag(&md, 4, d, dnnl_f32, dnnl_oihw);
    if (s == dnnl_success) s = dnnl_memory_create(m, &md, eng, (void *)c->w);
    return s;
}

/* Copies the user's weights into a new memory object of layout md. */
static dnnl_status_t reorder_weights(dnnl_memory_t *out, struct sekit_dnn *d,
                                     const struct sekit_dnn_conv_desc *c,
                                     const dnnl_memory_desc_t *md)
{
    dnnl_memory_t user = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t r = NULL;
    *out = NULL;
    dnnl_status_t s = user_weights(&user, d->engine, c);
    if (s == dnnl_success) s = dnnl_memory_create(out, md, d->engine, DNNL_MEMORY_ALLOCATE);
    if (s == dnnl_success)
        s = dnnl_reorder_primitive_desc_create(&pd, mem_desc(user), d->engine, md, d->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&r, pd);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, *out}};
        s = dnnl_primitive_execute(r, d->streams[0], 2, args);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(d->streams[0]);
    if (r) dnnl_primitive_destroy(r);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (user) dnnl_memory_destroy(user);
    if (s != dnnl_success && *out) {
        dnnl_memory_destroy(*out);
        *out = NULL;
    }
    return s;
}

/* Every stream's scratchpad holds at least size bytes. */
static dnnl_status_t grow_scratch(struct sekit_dnn *d, size_t size)
{
    if (size <= d->scratch_size) return dnnl_success;
    /* whole cache lines, aligned as oneDNN's own buffers are */
    size = (size + 63) / 64 * 64;
    for (int i = 0; i < d->nstreams; i++) {
        free(d->scratch[i]);
        if (!(d->scratch[i] = aligned_alloc(64, size))) {
            d->scratch_size = 0;
            return dnnl_out_of_memory;
        }
    }
    d->scratch_size = size;
    return dnnl_success;
}

/* The post-op computing act (its alpha into *alpha). oneDNN's SiLU is x * sigmoid(x) and its
 * hard swish x * relu6(x + 3) / 6 in its own order, torch's x / (1 + exp(-x)) and
 * x * clamp(x + 3, 0, 6) / 6: they differ in the last bits only. */
static dnnl_alg_kind_t eltwise(enum sekit_act act, float *alpha)
{
    switch (act) {
    case SEKIT_ACT_RELU:
        return dnnl_eltwise_relu;
    case SEKIT_ACT_RELU6:
        *alpha = 6.0f;
        return dnnl_eltwise_bounded_relu;
    case SEKIT_ACT_SILU:
        *alpha = 1.0f;
        return dnnl_eltwise_swish;
    case SEKIT_ACT_HARDSWISH:
        return dnnl_eltwise_hardswish;
    case SEKIT_ACT_SIGMOID:
        return dnnl_eltwise_logistic;
    case SEKIT_ACT_NONE:
    case SEKIT_ACT_HARDSIGMOID:
        break;
    }
    SEKIT_ASSERT(!"no oneDNN post-op for this activation");
}

static dnnl_status_t make_plan(struct sekit_dnn_conv *cv, struct plan *p,
                               const struct sekit_dnn_conv_desc *c, const struct sekit_dnn_plan *pl)
{
    struct sekit_dnn *d = cv->d;
    const int OH = (c->H + c->pad[0] + c->pad[2] - c->kh) / c->stride + 1;
    const int OW = (c->W + c->pad[1] + c->pad[3] - c->kw) / c->stride + 1, G = c->groups;
    dnnl_memory_desc_t wmd, bmd;
    dnnl_dims_t sd = {pl->n, c->C, c->H, c->W}, dd = {pl->n, c->K, OH, OW}, bd = {c->K};
    dnnl_dims_t wd = {c->K, c->C, c->kh, c->kw}, wdg = {G, c->K / G, c->C / G, c->kh, c->kw};
    dnnl_dims_t strides = {c->stride, c->stride}, pad_l = {c->pad[0], c->pad[1]},
                pad_r = {c->pad[2], c->pad[3]};
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&p->src, 4, sd, dnnl_f32, dnnl_nhwc);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&p->dst, 4, dd, dnnl_f32, dnnl_nhwc);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&wmd, G > 1 ? 5 : 4, G > 1 ? wdg : wd, dnnl_f32,
                                         dnnl_format_tag_any);
    dnnl_convolution_desc_t cd;
    if (s == dnnl_success)
        s = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                               &p->src, &wmd, &bmd, &p->dst, strides, pad_l, pad_r);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success)
        s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && c->act != SEKIT_ACT_NONE) {
        float alpha = 0.0f;
        const dnnl_alg_kind_t alg = eltwise(c->act, &alpha);
        s = dnnl_post_ops_create(&po);
        if (s == dnnl_success) s = dnnl_post_ops_append_eltwise(po, 1.0f, alg, alpha, 0);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, po);
    }
    dnnl_primitive_desc_t pd = NULL;
    sekit_dnn_set_threads(pl->threads);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &cd, attr, d->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &p->impl);
    if (s == dnnl_success) {
        p->scratch = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        s = grow_scratch(d, dnnl_memory_desc_get_size(&p->scratch));
    }
    const dnnl_memory_desc_t *want =
        s == dnnl_success ? dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) : NULL;
    for (struct plan *q = cv->plans; want && q < p; q++)
        if (dnnl_memory_desc_equal(mem_desc(q->weights), want)) {
            p->weights = q->weights;
            break;
        }
    if (want && !p->weights) {
        s = reorder_weights(&p->weights, d, c, want);
        p->owns_weights = s == dnnl_success;
    }
    if (s == dnnl_success) s = dnnl_primitive_create(&p->prim, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return s;
}

int sekit_dnn_conv_new(struct sekit_dnn_conv **out, struct sekit_dnn *d,
                       const struct sekit_dnn_conv_desc *c, const struct sekit_dnn_plan *plans,
                       int nplans, struct sekit_err *e)
{
    *out = NULL;
    struct sekit_dnn_conv *cv = calloc(1, sizeof *cv);
    if (!cv || !(cv->plans = calloc((size_t)nplans, sizeof *cv->plans))) {
        free(cv);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    cv->d = d;
    const int saved = omp_get_max_threads();
    dnnl_memory_desc_t bmd;
    dnnl_dims_t bd = {c->K};
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x);
    if (s == dnnl_success) s = dnnl_memory_create(&cv->bias, &bmd, d->engine, DNNL_MEMORY_ALLOCATE);
    void *bh = NULL;
    if (s == dnnl_success) s = dnnl_memory_get_data_handle(cv->bias, &bh);
    if (s == dnnl_success) memcpy(bh, c->b, sizeof(float) * (size_t)c->K);
    for (; s == dnnl_success && cv->nplans < nplans; cv->nplans++)
        s = make_plan(cv, &cv->plans[cv->nplans], c, &plans[cv->nplans]);
    sekit_dnn_set_threads(saved);
    if (s != dnnl_success) {
        /* the failed plan may hold weights of its own: count it for freeing */
        cv->nplans += cv->nplans < nplans;
        sekit_dnn_conv_free(cv);
        return fail(e, s, "compile the convolution", c->name);
    }
    *out = cv;
    return SEKIT_OK;
}

void sekit_dnn_conv_free(struct sekit_dnn_conv *c)
{
    if (!c) return;
    for (int i = 0; i < c->nplans; i++) {
        struct plan *p = &c->plans[i];
        if (p->prim) dnnl_primitive_destroy(p->prim);
        if (p->owns_weights) dnnl_memory_destroy(p->weights);
    }
    if (c->bias) dnnl_memory_destroy(c->bias);
    free(c->plans);
    free(c);
}

#define DNN_OK(x) SEKIT_ASSERT((x) == dnnl_success)

void sekit_dnn_conv_run(const struct sekit_dnn_conv *c, int p, int stream, const float *in,
                        float *out)
{
    const struct plan *pl = &c->plans[p];
    dnnl_memory_t src, dst, scratch;
    DNN_OK(dnnl_memory_create(&src, &pl->src, c->d->engine, (void *)in));
    DNN_OK(dnnl_memory_create(&dst, &pl->dst, c->d->engine, out));
    DNN_OK(dnnl_memory_create(&scratch, &pl->scratch, c->d->engine, c->d->scratch[stream]));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, src},
                               {DNNL_ARG_WEIGHTS, pl->weights},
                               {DNNL_ARG_BIAS, c->bias},
                               {DNNL_ARG_DST, dst},
                               {DNNL_ARG_SCRATCHPAD, scratch}};
    dnnl_stream_t st = c->d->streams[stream];
    DNN_OK(dnnl_primitive_execute(pl->prim, st, 5, args));
    DNN_OK(dnnl_stream_wait(st));
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(dst);
    dnnl_memory_destroy(scratch);
}

const char *sekit_dnn_conv_impl(const struct sekit_dnn_conv *c, int p)
{
    return c->plans[p].impl;
}

#else /* built without oneDNN: the backend reports itself unavailable */

int sekit_dnn_available(void)
{
    return 0;
}

static int unavailable(struct sekit_err *e)
{
    return sekit_errf(e, SEKIT_EINVAL, "this sekit was built without oneDNN (libdnnl-dev)");
}

int sekit_dnn_open(struct sekit_dnn **out, int nstreams, struct sekit_err *e)
{
    (void)nstreams;
    *out = NULL;
    return unavailable(e);
}

void sekit_dnn_close(struct sekit_dnn *d)
{
    SEKIT_ASSERT(d == NULL);
}

void sekit_dnn_set_threads(int n)
{
    (void)n;
}

int sekit_dnn_conv_new(struct sekit_dnn_conv **out, struct sekit_dnn *d,
                       const struct sekit_dnn_conv_desc *c, const struct sekit_dnn_plan *plans,
                       int nplans, struct sekit_err *e)
{
    (void)d, (void)c, (void)plans, (void)nplans;
    *out = NULL;
    return unavailable(e);
}

void sekit_dnn_conv_free(struct sekit_dnn_conv *c)
{
    SEKIT_ASSERT(c == NULL);
}

void sekit_dnn_conv_run(const struct sekit_dnn_conv *c, int p, int stream, const float *in,
                        float *out)
{
    (void)c, (void)p, (void)stream, (void)in, (void)out;
    SEKIT_ASSERT(!"oneDNN convolution run in a build without oneDNN");
}

const char *sekit_dnn_conv_impl(const struct sekit_dnn_conv *c, int p)
{
    (void)c, (void)p;
    return "none";
}

#endif
