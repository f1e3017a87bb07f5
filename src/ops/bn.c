/*
 * bn.c -- BatchNorm (eval mode) folded into the preceding convolution, done once at load:
 *   y = gamma (conv(x) - mean) / sqrt(var + eps) + beta
 *     = conv'(x) + b'  with  w'[k] = w[k] s[k],  b'[k] = beta[k] - mean[k] s[k],
 *       s[k] = gamma[k] / sqrt(var[k] + eps).
 * The scale is formed in double so the folded weights round only once.
 */
#include "ops.h"

#include <math.h>

void sekit_bn_fold(float *w, float *b, const float *gamma, const float *beta, const float *mean,
                   const float *var, int K, size_t per, double eps)
{
    for (int k = 0; k < K; k++) {
        double scale = gamma[k] / sqrt((double)var[k] + eps);
        for (size_t i = 0; i < per; i++)
            w[(size_t)k * per + i] = (float)(w[(size_t)k * per + i] * scale);
        b[k] = (float)(beta[k] - mean[k] * scale);
    }
}
