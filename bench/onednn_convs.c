/*
 * onednn_convs.c -- SE-ResNet-50's 53 convolutions alone through oneDNN, in one activation
 * layout: the ceiling a oneDNN engine could reach, measured on the machine at hand.
 *
 * Every convolution of the network (stem, 16 bottlenecks, 4 projections) at 224x224 runs as a
 * oneDNN forward-inference primitive with the bias and (where the network has one) the ReLU
 * fused, weights in the layout the primitive picks, and the activations in the layout given:
 * nchw (sekit's today), nhwc (channels last) or any (oneDNN's blocked choice). Nothing else of
 * the network runs (no SE, pooling, residual sums), so the rate is an upper bound for an engine
 * built on these kernels. Threads: OMP_NUM_THREADS (Debian's libdnnl runs on OpenMP).
 *
 *     cc -O2 bench/onednn_convs.c -o /tmp/onednn_convs -ldnnl    # apt-get install libdnnl-dev
 *     OMP_NUM_THREADS=1 /tmp/onednn_convs 8 nhwc [seconds]
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        dnnl_status_t s_ = (x);                                                                    \
        if (s_ != dnnl_success) {                                                                  \
            fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #x, (int)s_);           \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

struct conv {
    dnnl_primitive_t prim;
    dnnl_memory_t src, weights, bias, dst;
    const char *impl;
};

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* in (N, C, H, W) -> (N, K, OH, OW), k x k kernel, padding k / 2. */
static struct conv make(int N, int C, int H, int W, int K, int k, int stride, int relu,
                        dnnl_format_tag_t act)
{
    struct conv c;
    const int pad = k / 2, OH = (H + 2 * pad - k) / stride + 1, OW = (W + 2 * pad - k) / stride + 1;
    dnnl_memory_desc_t src, dst, bias, weights;
    dnnl_dims_t sdim = {N, C, H, W}, ddim = {N, K, OH, OW}, bdim = {K}, wdim = {K, C, k, k};
    CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sdim, dnnl_f32, act));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, ddim, dnnl_f32, act));
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, bdim, dnnl_f32, dnnl_x));
    CHECK(dnnl_memory_desc_init_by_tag(&weights, 4, wdim, dnnl_f32, dnnl_format_tag_any));
    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {stride, stride}, padding = {pad, pad};
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                             &src, &weights, &bias, &dst, strides, padding,
                                             padding));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    if (relu) {
        dnnl_post_ops_t po;
        CHECK(dnnl_post_ops_create(&po));
        CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL));
    dnnl_primitive_attr_destroy(attr);
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &c.impl));
    CHECK(dnnl_memory_create(&c.src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), engine,
                             DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c.weights, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                             engine, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c.bias, &bias, engine, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c.dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), engine,
                             DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_primitive_create(&c.prim, pd));
    return c;
}

static void run(const struct conv *c)
{
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, c->src},
                               {DNNL_ARG_WEIGHTS, c->weights},
                               {DNNL_ARG_BIAS, c->bias},
                               {DNNL_ARG_DST, c->dst}};
    CHECK(dnnl_primitive_execute(c->prim, stream, 4, args));
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BATCH nchw|nhwc|any [SECONDS]\n", argv[0]);
        return 2;
    }
    const int N = atoi(argv[1]);
    const double secs = argc > 3 ? atof(argv[3]) : 5.0;
    dnnl_format_tag_t act = !strcmp(argv[2], "nhwc")  ? dnnl_nhwc
                            : !strcmp(argv[2], "any") ? dnnl_format_tag_any
                                                      : dnnl_nchw;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    static struct conv convs[64];
    int n = 0, H = 56, in = 64;
    convs[n++] = make(N, 3, 224, 224, 64, 7, 2, 1, act); /* then the 3x3/2 max-pool: 56x56 */
    static const int blocks[4] = {3, 4, 6, 3};
    for (int s = 0; s < 4; s++) {
        const int planes = 64 << s, out = planes * 4;
        for (int b = 0; b < blocks[s]; b++) {
            const int stride = b == 0 && s > 0 ? 2 : 1, OH = (H - 1) / stride + 1;
            convs[n++] = make(N, in, H, H, planes, 1, 1, 1, act);
            convs[n++] = make(N, planes, H, H, planes, 3, stride, 1, act);
            convs[n++] = make(N, planes, OH, OH, out, 1, 1, 0, act);
            if (b == 0) convs[n++] = make(N, in, H, H, out, 1, stride, 0, act);
            in = out;
            H = OH;
        }
    }
    for (int i = 0; i < n; i++)
        run(&convs[i]);
    CHECK(dnnl_stream_wait(stream));
    int iters = 0;
    const double t0 = seconds();
    while (seconds() - t0 < secs) {
        for (int i = 0; i < n; i++)
            run(&convs[i]);
        CHECK(dnnl_stream_wait(stream));
        iters++;
    }
    const double el = seconds() - t0;
    printf("%d convolutions, batch %d, %s (3x3: %s, 1x1: %s): %.1f img/s\n", n, N, argv[2],
           convs[2].impl, convs[1].impl, iters * N / el);
    return 0;
}
