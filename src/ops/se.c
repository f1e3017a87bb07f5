/*
 * se.c -- the Squeeze-and-Excitation block (Hu et al., Sec. 3, Eqs. 2-4).
 *
 * Squeeze is global average pooling (pool.c); excitation is FC, ReLU, FC, sigmoid; the scale
 * multiplies the residual branch channel-wise before the identity sum (Fig. 3), here fused with
 * that sum and the block's ReLU as the Caffe release's Axpy layer does.
 */
#include "ops.h"

#include <math.h>

void sekit_se_excite(float *s, float *hidden, const float *z, const float *w1, const float *b1,
                     const float *w2, const float *b2, int N, int C, int CR)
{
    sekit_linear_forward(hidden, z, w1, b1, N, C, CR);
    for (size_t i = 0; i < (size_t)N * CR; i++)
        if (hidden[i] < 0.0f) hidden[i] = 0.0f;
    sekit_linear_forward(s, hidden, w2, b2, N, CR, C);
    for (size_t i = 0; i < (size_t)N * C; i++)
        s[i] = 1.0f / (1.0f + expf(-s[i]));
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
