/*
 * onednn.h -- convolutions through oneDNN (src/onednn.c), internal to the engine.
 *
 * The oneDNN backend keeps activations channels-last (NHWC) from the stem to the head pool, the
 * layout in which oneDNN's direct convolutions (brgconv on AVX-512, jit on AVX2) run as fast as
 * in its blocked layouts while the squeeze, pools and the fused scale + residual + ReLU stay
 * simple loops over contiguous channels (ops/nhwc.c). BatchNorm is folded into the weights
 * before they get here; the bias and the activation run as the convolution's post-ops.
 *
 * A oneDNN primitive is compiled for one batch size and one thread count. A convolution here
 * holds one primitive per plan, a (images, threads) pair the model chose when it was prepared;
 * the forward pass splits its images into chunks of the planned sizes, so it never compiles
 * anything. Everything that can fail (unsupported shapes, out of memory, a library error) fails
 * when the plans are built, as a sekit status with a message naming the convolution.
 */
#ifndef SEKIT_ONEDNN_H
#define SEKIT_ONEDNN_H

#include "sekit.h"

/* 1 when sekit was built with oneDNN. */
int sekit_dnn_available(void);

struct sekit_dnn; /* a CPU engine and one stream per thread */

int sekit_dnn_open(struct sekit_dnn **out, int nstreams, struct sekit_err *e);
void sekit_dnn_close(struct sekit_dnn *d);

/* Makes oneDNN use n threads on the calling thread (OpenMP) for the primitives it runs next. */
void sekit_dnn_set_threads(int n);

struct sekit_dnn_plan {
    int n;       /* images per execution */
    int threads; /* threads one execution uses */
};

struct sekit_dnn_conv_desc {
    const char *name; /* for messages: the weight name, e.g. layer3.2.conv2.weight */
    int C, H, W;      /* input channels and size */
    int K, kh, kw, stride, groups;
    int pad[4];         /* top, left, bottom, right */
    enum sekit_act act; /* any but the hard sigmoid */
    const float *w; /* (K, C/groups, k, k), BN folded */
    const float *b; /* (K) */
};

struct sekit_dnn_conv;

/* Compiles convolution c for every plan (the weights are copied into the primitives' layout). */
int sekit_dnn_conv_new(struct sekit_dnn_conv **out, struct sekit_dnn *d,
                       const struct sekit_dnn_conv_desc *c, const struct sekit_dnn_plan *plans,
                       int nplans, struct sekit_err *e);
void sekit_dnn_conv_free(struct sekit_dnn_conv *c);

/* out (n, OH, OW, K) = conv(in (n, H, W, C)) with plan p's primitive, on stream `stream` (one
 * per concurrently running thread), on threads set by sekit_dnn_set_threads(plans[p].threads). */
void sekit_dnn_conv_run(const struct sekit_dnn_conv *c, int p, int stream, const float *in,
                        float *out);

/* The implementation oneDNN chose for plan p (e.g. "brgconv:avx512_core"). */
const char *sekit_dnn_conv_impl(const struct sekit_dnn_conv *c, int p);

#endif
