/* linear.c -- fully connected layer through sgemm (classifier, SE FCs). */
#include "ops.h"

#include <cblas.h>

void sekit_linear_forward(float *out, const float *in, const float *w, const float *b, int N,
                          int IN, int OUT)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++)
            out[(size_t)n * OUT + o] = b ? b[o] : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, in, IN, w, IN, 1.0f, out,
                OUT);
}
