/* pool.c -- max and average pooling (stems, anti-aliased and average-pool shortcuts) and global
 * average pooling (SE squeeze, head). */
#include "ops.h"

#include <math.h>

void sekit_maxpool2d_forward(float *out, const float *in, int N, int C, int H, int W, int k,
                             int stride, int pad, int OH, int OW)
{
    for (int nc = 0; nc < N * C; nc++) {
        const float *src = in + (size_t)nc * H * W;
        float *dst = out + (size_t)nc * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride - pad, h1 = h0 + k;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride - pad, w1 = w0 + k;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                float m = -INFINITY;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++)
                        if (src[h * W + w] > m) m = src[h * W + w];
                dst[oh * OW + ow] = m;
            }
        }
    }
}

void sekit_avgpool2d_forward(float *out, const float *in, int N, int C, int H, int W, int k,
                             int stride, int OH, int OW)
{
    for (int nc = 0; nc < N * C; nc++) {
        const float *src = in + (size_t)nc * H * W;
        float *dst = out + (size_t)nc * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * stride, h1 = h0 + k < H ? h0 + k : H;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * stride, w1 = w0 + k < W ? w0 + k : W;
                float s = 0.0f;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++)
                        s += src[h * W + w];
                dst[oh * OW + ow] = s / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

void sekit_global_avgpool_forward(float *out, const float *in, int N, int C, int P)
{
    for (int nc = 0; nc < N * C; nc++) {
        const float *x = in + (size_t)nc * P;
        /* summed in double: P reaches 112*112 in the stem-sized maps and float sums drift */
        double s = 0.0;
        for (int p = 0; p < P; p++)
            s += x[p];
        out[nc] = (float)(s / P);
    }
}
