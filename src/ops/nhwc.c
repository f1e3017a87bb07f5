/*
 * nhwc.c -- pooling, the SE squeeze, the SE scale and the fused SE scale + residual + ReLU on
 * channels-last activations (the oneDNN backend; the NCHW versions are in pool.c and se.c).
 *
 * Channels are the innermost, contiguous axis, so every loop's inner trip runs over C and
 * vectorises; the results equal the NCHW kernels' up to the order of the sums.
 */
#include "ops.h"

#include <math.h>

/* The build targets the baseline x86-64 so that one binary runs everywhere; these loops stream
 * whole activation maps, so GCC also compiles them for AVX2 and AVX-512 and the loader picks the
 * widest the processor has (an ifunc). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WIDE
#endif

WIDE void sekit_nchw_to_nhwc(float *out, const float *in, int N, int C, int P)
{
    for (int n = 0; n < N; n++) {
        const float *src = in + (size_t)n * C * P;
        float *dst = out + (size_t)n * C * P;
        for (int p = 0; p < P; p++)
            for (int c = 0; c < C; c++)
                dst[(size_t)p * C + c] = src[(size_t)c * P + p];
    }
}

WIDE void sekit_maxpool2d_nhwc(float *out, const float *in, int N, int C, int H, int W, int k,
                               int stride, int pad, int OH, int OW)
{
    for (int n = 0; n < N; n++) {
        const float *src = in + (size_t)n * H * W * C;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride - pad, h1 = h0 + k;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride - pad, w1 = w0 + k;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                float *dst = out + (((size_t)n * OH + oh) * OW + ow) * C;
                for (int c = 0; c < C; c++)
                    dst[c] = -INFINITY;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        const float *x = src + ((size_t)h * W + w) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] = x[c] > dst[c] ? x[c] : dst[c];
                    }
            }
        }
    }
}

WIDE void sekit_avgpool2d_nhwc(float *out, const float *in, int N, int C, int H, int W, int k,
                               int stride, int OH, int OW)
{
    for (int n = 0; n < N; n++) {
        const float *src = in + (size_t)n * H * W * C;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride, h1 = h0 + k < H ? h0 + k : H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride, w1 = w0 + k < W ? w0 + k : W;
                const float cnt = (float)((h1 - h0) * (w1 - w0));
                float *dst = out + (((size_t)n * OH + oh) * OW + ow) * C;
                for (int c = 0; c < C; c++)
                    dst[c] = 0.0f;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        const float *x = src + ((size_t)h * W + w) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] += x[c];
                    }
                /* a division, not a product with 1 / cnt: the NCHW kernel's rounding */
                for (int c = 0; c < C; c++)
                    dst[c] /= cnt;
            }
        }
    }
}

WIDE void sekit_global_avgpool_nhwc(float *out, const float *in, int N, int C, int P)
{
    /* CB channels at a time, so that their sums stay in registers: runs of RB rows are summed in
     * float (vectorised across the channels), and the runs' sums are added in double, which
     * keeps the precision of a double sum over the up to 112 x 112 pixels of a map */
    enum { CB = 32, RB = 16 };
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * P * C;
        for (int c0 = 0; c0 < C; c0 += CB) {
            const int cb = C - c0 < CB ? C - c0 : CB;
            double s[CB] = {0};
            for (int p0 = 0; p0 < P; p0 += RB) {
                const int pe = P - p0 < RB ? P : p0 + RB;
                float part[CB] = {0};
                if (cb == CB) {
                    for (int p = p0; p < pe; p++)
                        for (int j = 0; j < CB; j++)
                            part[j] += x[(size_t)p * C + c0 + j];
                } else {
                    for (int p = p0; p < pe; p++)
                        for (int j = 0; j < cb; j++)
                            part[j] += x[(size_t)p * C + c0 + j];
                }
                for (int j = 0; j < CB; j++)
                    s[j] += part[j];
            }
            for (int j = 0; j < cb; j++)
                out[(size_t)n * C + c0 + j] = (float)(s[j] / P);
        }
    }
}

WIDE void sekit_se_scale_add_relu_nhwc(float *out, const float *x, const float *s,
                                       const float *shortcut, int N, int C, int P)
{
    for (int n = 0; n < N; n++) {
        const float *g = s + (size_t)n * C;
        for (int p = 0; p < P; p++) {
            const size_t o = ((size_t)n * P + p) * C;
            for (int c = 0; c < C; c++) {
                float v = x[o + c] * g[c] + shortcut[o + c];
                out[o + c] = v > 0.0f ? v : 0.0f;
            }
        }
    }
}

WIDE void sekit_se_scale_nhwc(float *x, const float *s, int N, int C, int P)
{
    for (int n = 0; n < N; n++) {
        const float *g = s + (size_t)n * C;
        for (int p = 0; p < P; p++) {
            float *xi = x + ((size_t)n * P + p) * C;
            for (int c = 0; c < C; c++)
                xi[c] *= g[c];
        }
    }
}
