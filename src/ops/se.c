/*
 * se.c -- the Squeeze-and-Excitation block (Hu et al., Sec. 3, Eqs. 2-4).
 *
 * Squeeze is global average pooling (pool.c); excitation is FC, ReLU, FC, sigmoid (later
 * families: another inner activation, a hard sigmoid gate); the scale multiplies the residual
 * branch channel-wise before the identity sum (Fig. 3), here fused with that sum and the block's
 * ReLU as the Caffe release's Axpy layer does. Where the SE sits inside the branch (MBConv,
 * RegNetY) the scale runs alone and the sum later.
 */
#include "ops.h"

#include <string.h>

void sekit_se_excite(float *s, float *hidden, const float *z, const float *w1, const float *b1,
                     const float *w2, const float *b2, int N, int C, int CR, enum sekit_act act,
                     enum sekit_act gate)
{
    sekit_linear_forward(hidden, z, w1, b1, N, C, CR);
    sekit_act_forward(hidden, (size_t)N * CR, act);
    sekit_linear_forward(s, hidden, w2, b2, N, CR, C);
    sekit_act_forward(s, (size_t)N * C, gate);
}

void sekit_se_scale(float *x, const float *s, int N, int C, int P)
{
    for (int nc = 0; nc < N * C; nc++) {
        const float g = s[nc];
        float *xi = x + (size_t)nc * P;
        for (int p = 0; p < P; p++)
            xi[p] *= g;
    }
}

void sekit_add_act(float *out, const float *x, const float *shortcut, size_t n, enum sekit_act act)
{
    for (size_t i = 0; i < n; i++)
        out[i] = x[i] + shortcut[i];
    sekit_act_forward(out, n, act);
}

void sekit_concat2(float *out, const float *a, int Ca, const float *b, int Cb, int Cbs, int N,
                   int P, int nhwc)
{
    const int C = Ca + Cb;
    for (int n = 0; n < N; n++)
        if (nhwc)
            for (int p = 0; p < P; p++) {
                float *o = out + ((size_t)n * P + p) * C;
                memcpy(o, a + ((size_t)n * P + p) * Ca, sizeof(float) * (size_t)Ca);
                memcpy(o + Ca, b + ((size_t)n * P + p) * Cbs, sizeof(float) * (size_t)Cb);
            }
        else {
            memcpy(out + (size_t)n * C * P, a + (size_t)n * Ca * P, sizeof(float) * (size_t)Ca * P);
            memcpy(out + ((size_t)n * C + Ca) * P, b + (size_t)n * Cbs * P,
                   sizeof(float) * (size_t)Cb * P);
        }
}

void sekit_add_partial(float *out, const float *shortcut, int N, int C, int Cs, int P, int nhwc)
{
    for (int n = 0; n < N; n++)
        if (nhwc)
            for (int p = 0; p < P; p++) {
                float *o = out + ((size_t)n * P + p) * C;
                const float *s = shortcut + ((size_t)n * P + p) * Cs;
                for (int c = 0; c < Cs; c++)
                    o[c] += s[c];
            }
        else
            for (size_t i = 0; i < (size_t)Cs * P; i++)
                out[(size_t)n * C * P + i] += shortcut[(size_t)n * Cs * P + i];
}

void sekit_se_scale_add_relu(float *out, const float *x, const float *s, const float *shortcut,
                             int N, int C, int P)
{
    for (int nc = 0; nc < N * C; nc++) {
        const float g = s[nc];
        const float *xi = x + (size_t)nc * P, *si = shortcut + (size_t)nc * P;
        float *o = out + (size_t)nc * P;
        for (int p = 0; p < P; p++) {
            float v = xi[p] * g + si[p];
            o[p] = v > 0.0f ? v : 0.0f;
        }
    }
}
