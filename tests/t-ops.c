/*
 * t-ops.c -- every kernel against a brute-force reference written as the definition reads
 * (direct loops, double accumulation): convolution (padded, strided, 1x1 on both code paths,
 * grouped, 7x7/2), max pooling (padding and ceil mode), global pooling, linear, SE, BN folding;
 * and the channels-last kernels of the oneDNN backend against these.
 */
#include "ops/ops.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* float32 GEMMs sum in another order than the double reference: sums of up to ~600 products of
 * values in [-1, 1] stay within 1e-5 relative; 2e-5 absolute on outputs of magnitude <= ~10. */
#define TOL_CONV 2e-5
#define TOL_EXACT 0.0 /* max pooling selects values: no rounding at all */
#define TOL_SE 1e-6   /* sigmoid outputs in (0,1) after two small FCs */

static uint64_t rng = 12345;
static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}
static float *randv(size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = frand();
    return v;
}

/* pt, pl: padding top, left; OH, OW: the output size, which sets the bottom/right padding */
static void conv_ref_pad(float *out, const float *in, const float *w, const float *b, int N, int C,
                         int H, int W, int K, int KH, int KW, int s, int pt, int pl, int OH, int OW,
                         int G, int relu)
{
    int CG = C / G, KG = K / G;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double acc = b[k];
                    int g = k / KG;
                    for (int c = 0; c < CG; c++)
                        for (int i = 0; i < KH; i++)
                            for (int j = 0; j < KW; j++) {
                                int ih = oh * s - pt + i, iw = ow * s - pl + j;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)w[((k * CG + c) * KH + i) * KW + j] *
                                       in[((n * C + g * CG + c) * H + ih) * W + iw];
                            }
                    if (relu && acc < 0) acc = 0;
                    out[((n * K + k) * OH + oh) * OW + ow] = (float)acc;
                }
}

static void conv_ref(float *out, const float *in, const float *w, const float *b, int N, int C,
                     int H, int W, int K, int KH, int KW, int s, int p, int G, int relu)
{
    conv_ref_pad(out, in, w, b, N, C, H, W, K, KH, KW, s, p, p, (H + 2 * p - KH) / s + 1,
                 (W + 2 * p - KW) / s + 1, G, relu);
}

static void check_conv(int N, int C, int H, int W, int K, int KH, int s, int p, int G, int relu)
{
    int OH = (H + 2 * p - KH) / s + 1, OW = (W + 2 * p - KH) / s + 1;
    size_t nout = (size_t)N * K * OH * OW;
    float *in = randv((size_t)N * C * H * W), *w = randv((size_t)K * (C / G) * KH * KH),
          *b = randv((size_t)K), *out = randv(nout), *ref = malloc(nout * sizeof *ref);
    float *col = malloc((sekit_conv2d_col_size(N, C, KH, KH, OH, OW) + 1) * sizeof *col);
    float *tmp = malloc((nout + 1) * sizeof *tmp);
    sekit_conv2d_forward(out, in, w, b, col, tmp, N, C, H, W, K, KH, KH, s, p, p, OH, OW, G,
                         relu ? SEKIT_ACT_RELU : SEKIT_ACT_NONE);
    conv_ref(ref, in, w, b, N, C, H, W, K, KH, KH, s, p, G, relu);
    is_int(sekit_out_size(H, KH, s, p, 0), OH, "conv out size H=%d k=%d s=%d p=%d", H, KH, s, p);
    is_close(out, ref, nout, TOL_CONV,
             "conv N=%d C=%d %dx%d K=%d k=%d stride %d pad %d groups %d relu %d", N, C, H, W, K, KH,
             s, p, G, relu);
    free(in), free(w), free(b), free(out), free(ref), free(col), free(tmp);
}

/* TF 'same' padding (pt, pl above and left, the rest below and right), by im2col and by the
 * direct depthwise kernel */
static void check_conv_pad(int N, int C, int H, int W, int K, int KH, int KW, int s, int pt, int pl,
                           int OH, int OW, int G, int relu)
{
    size_t nout = (size_t)N * K * OH * OW;
    float *in = randv((size_t)N * C * H * W), *w = randv((size_t)K * (C / G) * KH * KW),
          *b = randv((size_t)K), *out = randv(nout), *ref = malloc(nout * sizeof *ref);
    float *col = malloc((sekit_conv2d_col_size(N, C, KH, KW, OH, OW) + 1) * sizeof *col);
    float *tmp = malloc((nout + 1) * sizeof *tmp);
    const enum sekit_act act = relu ? SEKIT_ACT_RELU : SEKIT_ACT_NONE;
    conv_ref_pad(ref, in, w, b, N, C, H, W, K, KH, KW, s, pt, pl, OH, OW, G, relu);
    sekit_conv2d_forward(out, in, w, b, col, tmp, N, C, H, W, K, KH, KW, s, pt, pl, OH, OW, G, act);
    is_close(out, ref, nout, TOL_CONV, "conv %dx%d k=%dx%d stride %d pad top %d left %d -> %dx%d",
             H, W, KH, KW, s, pt, pl, OH, OW);
    if (G == C && C == K) {
        sekit_dwconv2d_forward(out, in, w, b, N, C, H, W, KH, KW, s, pt, pl, OH, OW, act);
        is_close(out, ref, nout, TOL_CONV,
                 "depthwise kernel %dx%d k=%dx%d stride %d pad top %d left %d -> %dx%d", H, W, KH,
                 KW, s, pt, pl, OH, OW);
    }
    free(in), free(w), free(b), free(out), free(ref), free(col), free(tmp);
}

/* Each activation at points where torch 1.13's value is known exactly, and on a sweep against
 * the formula in double (the float formula's rounding: a few ulps at most). */
static void check_acts(void)
{
    static const struct {
        enum sekit_act a;
        float x, want;
    } pts[] = {
        {SEKIT_ACT_RELU, -2.0f, 0.0f},         {SEKIT_ACT_RELU, 1.5f, 1.5f},
        {SEKIT_ACT_RELU6, 7.0f, 6.0f},         {SEKIT_ACT_RELU6, -1.0f, 0.0f},
        {SEKIT_ACT_RELU6, 2.5f, 2.5f},         {SEKIT_ACT_SILU, 0.0f, 0.0f},
        {SEKIT_ACT_HARDSWISH, -3.0f, 0.0f},    {SEKIT_ACT_HARDSWISH, 3.0f, 3.0f},
        {SEKIT_ACT_HARDSWISH, 1.0f, 4.0f / 6}, {SEKIT_ACT_SIGMOID, 0.0f, 0.5f},
        {SEKIT_ACT_HARDSIGMOID, -3.0f, 0.0f},  {SEKIT_ACT_HARDSIGMOID, 3.0f, 1.0f},
        {SEKIT_ACT_HARDSIGMOID, 0.0f, 0.5f},   {SEKIT_ACT_HARDSIGMOID, 1.0f, 4.0f / 6},
        {SEKIT_ACT_NONE, -7.25f, -7.25f},
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        float v = pts[i].x;
        sekit_act_forward(&v, 1, pts[i].a);
        ok(v == pts[i].want, "%s(%g) = %.9g (want %.9g)", sekit_act_name(pts[i].a), pts[i].x, v,
           pts[i].want);
    }
    enum { NX = 401 };
    float x[NX], ref[NX];
    for (int a = SEKIT_ACT_RELU; a <= SEKIT_ACT_HARDSIGMOID; a++) {
        for (int i = 0; i < NX; i++) {
            const double t = -10.0 + 20.0 * i / (NX - 1), c = fmin(fmax(t + 3, 0), 6);
            x[i] = (float)t;
            const double r[] = {0,
                                t > 0 ? t : 0,
                                fmin(fmax(t, 0), 6),
                                t / (1 + exp(-t)),
                                t * c / 6,
                                1 / (1 + exp(-t)),
                                c / 6};
            ref[i] = (float)r[a];
        }
        sekit_act_forward(x, NX, (enum sekit_act)a);
        is_close(x, ref, NX, 1e-6, "%s over [-10, 10]", sekit_act_name((enum sekit_act)a));
    }
}

static void check_maxpool(int N, int C, int H, int W, int k, int s, int p, int ceil_mode,
                          int want_oh)
{
    int OH = sekit_out_size(H, k, s, p, ceil_mode), OW = sekit_out_size(W, k, s, p, ceil_mode);
    is_int(OH, want_oh, "pool out size H=%d k=%d s=%d p=%d ceil=%d (PyTorch's value)", H, k, s, p,
           ceil_mode);
    size_t nout = (size_t)N * C * OH * OW;
    float *in = randv((size_t)N * C * H * W), *out = randv(nout), *ref = malloc(nout * sizeof *ref);
    sekit_maxpool2d_forward(out, in, N, C, H, W, k, s, p, OH, OW);
    for (int nc = 0; nc < N * C; nc++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float m = -INFINITY;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        int ih = oh * s - p + i, iw = ow * s - p + j;
                        if (ih >= 0 && ih < H && iw >= 0 && iw < W &&
                            in[(nc * H + ih) * W + iw] > m)
                            m = in[(nc * H + ih) * W + iw];
                    }
                ref[(nc * OH + oh) * OW + ow] = m;
            }
    is_close(out, ref, nout, TOL_EXACT, "maxpool %dx%d k=%d s=%d p=%d ceil=%d", H, W, k, s, p,
             ceil_mode);
    free(in), free(out), free(ref);
}

static void check_se(int N, int C, int CR, int P, int bias)
{
    float *x = randv((size_t)N * C * P), *sc = randv((size_t)N * C * P);
    float *w1 = randv((size_t)CR * C), *w2 = randv((size_t)C * CR);
    float *b1 = bias ? randv((size_t)CR) : NULL, *b2 = bias ? randv((size_t)C) : NULL;
    float *z = malloc(sizeof(float) * N * C), *s = malloc(sizeof(float) * N * C),
          *h = malloc(sizeof(float) * N * CR), *out = malloc(sizeof(float) * N * C * P);
    float *zr = malloc(sizeof(float) * N * C), *sr = malloc(sizeof(float) * N * C),
          *outr = malloc(sizeof(float) * N * C * P);
    sekit_global_avgpool_forward(z, x, N, C, P);
    sekit_se_excite(s, h, z, w1, b1, w2, b2, N, C, CR, SEKIT_ACT_RELU, SEKIT_ACT_SIGMOID);
    sekit_se_scale_add_relu(out, x, s, sc, N, C, P);
    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            double acc = 0;
            for (int p = 0; p < P; p++)
                acc += x[(n * C + c) * P + p];
            zr[n * C + c] = (float)(acc / P);
        }
        double hid[256];
        for (int r = 0; r < CR; r++) {
            double a = bias ? b1[r] : 0;
            for (int c = 0; c < C; c++)
                a += (double)w1[r * C + c] * zr[n * C + c];
            hid[r] = a > 0 ? a : 0;
        }
        for (int c = 0; c < C; c++) {
            double a = bias ? b2[c] : 0;
            for (int r = 0; r < CR; r++)
                a += w2[c * CR + r] * hid[r];
            sr[n * C + c] = (float)(1 / (1 + exp(-a)));
            for (int p = 0; p < P; p++) {
                double v = (double)x[(n * C + c) * P + p] * sr[n * C + c] + sc[(n * C + c) * P + p];
                outr[(n * C + c) * P + p] = (float)(v > 0 ? v : 0);
            }
        }
    }
    is_close(z, zr, (size_t)N * C, 1e-6, "squeeze (global average) N=%d C=%d P=%d", N, C, P);
    is_close(s, sr, (size_t)N * C, TOL_SE, "excitation N=%d C=%d CR=%d bias=%d", N, C, CR, bias);
    is_close(out, outr, (size_t)N * C * P, 1e-5, "scale + shortcut + ReLU N=%d C=%d P=%d", N, C, P);
    int in01 = 1;
    for (int i = 0; i < N * C; i++)
        in01 &= s[i] > 0 && s[i] < 1;
    ok(in01, "every gate lies in (0, 1)");
    free(x), free(sc), free(w1), free(w2), free(b1), free(b2), free(z), free(s), free(h);
    free(out), free(zr), free(sr), free(outr);
}

/* (N, C, P) -> (N, P, C), by the definition. */
static float *to_nhwc(const float *x, int N, int C, int P)
{
    float *t = malloc(sizeof(float) * N * C * P);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < P; p++)
                t[((size_t)n * P + p) * C + c] = x[((size_t)n * C + c) * P + p];
    return t;
}

/* The channels-last kernels give the NCHW kernels' results, transposed: pools exactly (the
 * same values in the same order), the squeeze within float rounding of a double sum, the fused
 * scale + residual + ReLU within one rounding (the wide builds may fuse the multiply-add). */
static void check_nhwc(int N, int C, int H, int W)
{
    const int P = H * W;
    float *x = randv((size_t)N * C * P), *sc = randv((size_t)N * C * P), *g = randv((size_t)N * C);
    float *xt = to_nhwc(x, N, C, P), *t = malloc(sizeof(float) * N * C * P);
    sekit_nchw_to_nhwc(t, x, N, C, P);
    is_close(t, xt, (size_t)N * C * P, TOL_EXACT, "NCHW to NHWC, N=%d C=%d %dx%d", N, C, H, W);
    static const struct {
        int k, s, p, ceil, avg;
    } pools[] = {{3, 2, 1, 0, 0}, {3, 2, 0, 1, 0}, {2, 2, 0, 0, 1}, {2, 2, 0, 1, 1}};
    for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
        const int k = pools[i].k, st = pools[i].s, pd = pools[i].p, cm = pools[i].ceil;
        const int OH = sekit_out_size(H, k, st, pd, cm), OW = sekit_out_size(W, k, st, pd, cm);
        const size_t no = (size_t)N * C * OH * OW;
        float *ref = malloc(sizeof(float) * no), *got = malloc(sizeof(float) * no);
        if (pools[i].avg) {
            sekit_avgpool2d_forward(ref, x, N, C, H, W, k, st, OH, OW);
            sekit_avgpool2d_nhwc(got, xt, N, C, H, W, k, st, OH, OW);
        } else {
            sekit_maxpool2d_forward(ref, x, N, C, H, W, k, st, pd, OH, OW);
            sekit_maxpool2d_nhwc(got, xt, N, C, H, W, k, st, pd, OH, OW);
        }
        float *rt = to_nhwc(ref, N, C, OH * OW);
        is_close(got, rt, no, TOL_EXACT, "NHWC %s pool %dx%d k=%d s=%d p=%d ceil=%d",
                 pools[i].avg ? "average" : "max", H, W, k, st, pd, cm);
        free(ref), free(got), free(rt);
    }
    float *z = malloc(sizeof(float) * N * C), *zr = malloc(sizeof(float) * N * C);
    sekit_global_avgpool_nhwc(z, xt, N, C, P);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            double a = 0;
            for (int p = 0; p < P; p++)
                a += x[((size_t)n * C + c) * P + p];
            zr[n * C + c] = (float)(a / P);
        }
    is_close(z, zr, (size_t)N * C, 1e-7, "NHWC squeeze N=%d C=%d P=%d", N, C, P);
    float *ref = malloc(sizeof(float) * N * C * P), *sct = to_nhwc(sc, N, C, P);
    sekit_se_scale_add_relu(ref, x, g, sc, N, C, P);
    float *rt = to_nhwc(ref, N, C, P);
    memcpy(t, xt, sizeof(float) * N * C * P);
    sekit_se_scale_add_relu_nhwc(t, t, g, sct, N, C, P);
    is_close(t, rt, (size_t)N * C * P, 1e-6, "NHWC scale + shortcut + ReLU, in place, C=%d", C);
    free(x), free(sc), free(g), free(xt), free(t), free(z), free(zr), free(ref), free(sct);
    free(rt);
}

static void check_bn_fold(void)
{
    const int N = 2, C = 5, H = 6, W = 6, K = 7;
    float *in = randv((size_t)N * C * H * W), *w = randv((size_t)K * C * 9), *zero = calloc(K, 4);
    float gamma[7], beta[7], mean[7], var[7], b[7];
    for (int k = 0; k < K; k++) {
        gamma[k] = 1.0f + frand() * 0.5f;
        beta[k] = frand();
        mean[k] = frand();
        var[k] = 1.25f + frand(); /* far from identity: 0.25 .. 2.25 */
    }
    size_t nout = (size_t)N * K * H * W;
    float *raw = malloc(nout * 4), *folded = malloc(nout * 4), *ref = malloc(nout * 4);
    conv_ref(raw, in, w, zero, N, C, H, W, K, 3, 3, 1, 1, 1, 0);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            for (int p = 0; p < H * W; p++) {
                size_t i = ((size_t)n * K + k) * H * W + p;
                double y = (raw[i] - mean[k]) / sqrt(var[k] + 1e-5) * gamma[k] + beta[k];
                ref[i] = (float)(y > 0 ? y : 0);
            }
    sekit_bn_fold(w, b, gamma, beta, mean, var, K, (size_t)C * 9, 1e-5);
    float *col = malloc(sekit_conv2d_col_size(N, C, 3, 3, H, W) * 4), *tmp = malloc(nout * 4);
    sekit_conv2d_forward(folded, in, w, b, col, tmp, N, C, H, W, K, 3, 3, 1, 1, 1, H, W, 1,
                         SEKIT_ACT_RELU);
    is_close(folded, ref, nout, TOL_CONV, "conv with folded BN + ReLU equals conv, BN, ReLU");
    free(in), free(w), free(zero), free(raw), free(folded), free(ref), free(col), free(tmp);
}

static void check_linear(void)
{
    const int N = 3, IN = 37, OUT = 11;
    float *x = randv(N * IN), *w = randv(OUT * IN), *b = randv(OUT), out[33], ref[33];
    sekit_linear_forward(out, x, w, b, N, IN, OUT);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++) {
            double a = b[o];
            for (int i = 0; i < IN; i++)
                a += (double)x[n * IN + i] * w[o * IN + i];
            ref[n * OUT + o] = (float)a;
        }
    is_close(out, ref, N * OUT, 1e-5, "linear N=%d %d->%d", N, IN, OUT);
    sekit_linear_forward(out, x, w, NULL, N, IN, OUT);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++)
            ref[n * OUT + o] -= b[o];
    is_close(out, ref, N * OUT, 1e-5, "linear without bias");
    free(x), free(w), free(b);
}

int main(void)
{
    check_conv(2, 3, 9, 7, 4, 3, 1, 1, 1, 1);   /* padded 3x3 */
    check_conv(2, 3, 9, 7, 4, 3, 2, 1, 1, 0);   /* strided 3x3, odd sizes */
    check_conv(1, 3, 23, 23, 8, 7, 2, 3, 1, 1); /* the 7x7/2 stem */
    check_conv(1, 16, 5, 5, 8, 1, 1, 0, 1, 0);  /* 1x1, one image: GEMM straight into output */
    check_conv(3, 16, 5, 5, 8, 1, 1, 0, 1, 1);  /* 1x1, batch: transposing path */
    check_conv(2, 16, 8, 8, 32, 1, 2, 0, 1, 0); /* strided 1x1 (projection, Caffe stride) */
    check_conv(2, 8, 6, 6, 12, 3, 1, 1, 4, 1);  /* grouped (ResNeXt) */
    check_conv(2, 8, 7, 7, 8, 3, 2, 1, 8, 0);   /* depthwise, strided */
    check_conv(2, 4, 2, 2, 5, 3, 1, 1, 1, 0);   /* map smaller than the kernel */
    /* TF 'same': 3x3/2 at 8x8 pads 0 above, 1 below (timm's Conv2dSame at even sizes) */
    check_conv_pad(2, 6, 8, 8, 6, 3, 3, 2, 0, 0, 4, 4, 6, 1);
    check_conv_pad(2, 6, 8, 8, 6, 3, 3, 2, 0, 0, 4, 4, 1, 0);
    /* 5x5/2 at 9x7: pads 2/2 rows, 1/2 columns; depthwise with ReLU, and stride 1 */
    check_conv_pad(1, 5, 9, 7, 5, 5, 5, 2, 2, 1, 5, 4, 5, 1);
    check_conv_pad(2, 4, 6, 5, 4, 5, 3, 1, 2, 1, 6, 5, 4, 0);
    check_conv_pad(1, 3, 4, 4, 3, 1, 5, 1, 0, 2, 4, 4, 3, 0); /* 1x5, one-sided rows */
    check_maxpool(2, 3, 112, 112, 3, 2, 1, 0, 56);
    check_maxpool(2, 3, 34, 34, 3, 2, 0, 1, 17); /* Caffe stem at 67x67 input */
    check_maxpool(1, 2, 10, 9, 3, 2, 0, 1, 5);
    check_maxpool(1, 2, 5, 5, 2, 2, 1, 1, 3); /* ceil mode drops a window starting in padding */
    check_maxpool(1, 2, 7, 7, 3, 2, 1, 0, 4);
    check_se(3, 32, 4, 49, 1);
    check_se(2, 16, 1, 9, 0);
    check_nhwc(2, 37, 9, 7);     /* odd sizes: ceil windows; channels not a multiple of 32 */
    check_nhwc(1, 64, 112, 112); /* the stem's map: the squeeze's longest sum */
    check_bn_fold();
    check_linear();
    check_acts();
    return tap_done();
}
