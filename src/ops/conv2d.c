/*
 * conv2d.c -- 2-D convolution as im2col + one OpenBLAS sgemm per group.
 *
 * The whole batch goes into one GEMM: col holds (C*KH*KW, N*P) so the GEMM's N dimension is
 * N*P, which keeps the late stages (P = 7x7) efficient at small batches. The GEMM result
 * (K, N*P) is then transposed back to NCHW in the same pass that adds the folded-BN bias and
 * applies the ReLU, so the transposition costs no extra sweep over memory. With one image and a
 * 1x1 stride-1 convolution the input already is the col matrix and the output already NCHW.
 * Depthwise convolutions (one input channel per output) have no GEMM worth the name: they run
 * directly, one k x k window per output pixel.
 */
#include "ops.h"

#include <cblas.h>
#include <string.h>

int sekit_out_size(int in, int k, int stride, int pad, int ceil_mode)
{
    int span = in + 2 * pad - k;
    if (span < 0) return 0;
    int out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) out--;
    return out;
}

size_t sekit_conv2d_col_size(int N, int C, int KH, int KW, int OH, int OW)
{
    return (size_t)C * KH * KW * N * OH * OW;
}

/* col (C*KH*KW, N*OH*OW)   in (N, C, H, W) */
static void im2col(float *col, const float *in, int N, int C, int H, int W, int KH, int KW,
                   int stride, int pad_t, int pad_l, int OH, int OW)
{
    const size_t P = (size_t)OH * OW, NP = (size_t)N * P;
    for (int c = 0; c < C; c++) {
        for (int kk = 0; kk < KH * KW; kk++) {
            const int kh = kk / KW, kw = kk % KW;
            float *row = col + ((size_t)c * KH * KW + kk) * NP;
            for (int n = 0; n < N; n++) {
                const float *img = in + ((size_t)n * C + c) * H * W;
                float *dst = row + n * P;
                for (int oh = 0; oh < OH; oh++) {
                    const int ih = oh * stride - pad_t + kh;
                    float *d = dst + (size_t)oh * OW;
                    if (ih < 0 || ih >= H) {
                        memset(d, 0, sizeof(float) * (size_t)OW);
                        continue;
                    }
                    const float *s = img + (size_t)ih * W;
                    if (stride == 1) {
                        /* contiguous run with zero margins where the window leaves the image */
                        int lo = pad_l - kw, ow0 = lo > 0 ? lo : 0;
                        int ow1 = W + pad_l - kw;
                        if (ow1 > OW) ow1 = OW;
                        for (int ow = 0; ow < ow0 && ow < OW; ow++)
                            d[ow] = 0.0f;
                        if (ow1 > ow0)
                            memcpy(d + ow0, s + ow0 - pad_l + kw,
                                   sizeof(float) * (size_t)(ow1 - ow0));
                        for (int ow = ow1 > ow0 ? ow1 : ow0; ow < OW; ow++)
                            d[ow] = 0.0f;
                    } else {
                        for (int ow = 0; ow < OW; ow++) {
                            const int iw = ow * stride - pad_l + kw;
                            d[ow] = (iw >= 0 && iw < W) ? s[iw] : 0.0f;
                        }
                    }
                }
            }
        }
    }
}

/* out (N, K, P) = act(tmp (K, N*P) + b[k]) */
static void bias_act_to_nchw(float *out, const float *tmp, const float *b, int N, int K, size_t P,
                             enum sekit_act act)
{
    for (int n = 0; n < N; n++) {
        for (int k = 0; k < K; k++) {
            const float *s = tmp + ((size_t)k * N + n) * P;
            float *d = out + ((size_t)n * K + k) * P;
            const float bk = b[k];
            if (act == SEKIT_ACT_RELU) {
                for (size_t p = 0; p < P; p++) {
                    float v = s[p] + bk;
                    d[p] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (size_t p = 0; p < P; p++)
                    d[p] = s[p] + bk;
                sekit_act_forward(d, P, act);
            }
        }
    }
}

void sekit_conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col,
                          float *tmp, int N, int C, int H, int W, int K, int KH, int KW, int stride,
                          int pad_t, int pad_l, int OH, int OW, int G, enum sekit_act act)
{
    const size_t P = (size_t)OH * OW, NP = (size_t)N * P;
    const int CG = C / G, KG = K / G, KKC = CG * KH * KW;
    const int direct =
        KH == 1 && KW == 1 && stride == 1 && pad_t == 0 && pad_l == 0 && OH == H && OW == W;
    const float *cols = in;
    if (!(direct && N == 1)) {
        im2col(col, in, N, C, H, W, KH, KW, stride, pad_t, pad_l, OH, OW);
        cols = col;
    }
    /* with one image the GEMM result is already NCHW: write it in place */
    float *res = N == 1 ? out : tmp;
    for (int g = 0; g < G; g++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, KG, (int)NP, KKC, 1.0f,
                    w + (size_t)g * KG * KKC, KKC, cols + (size_t)g * KKC * NP, (int)NP, 0.0f,
                    res + (size_t)g * KG * NP, (int)NP);
    bias_act_to_nchw(out, res, b, N, K, P, act);
}

void sekit_dwconv2d_forward(float *out, const float *in, const float *w, const float *b, int N,
                            int C, int H, int W, int KH, int KW, int stride, int pad_t, int pad_l,
                            int OH, int OW, enum sekit_act act)
{
    for (int nc = 0; nc < N * C; nc++) {
        const int c = nc % C;
        const float *img = in + (size_t)nc * H * W, *k = w + (size_t)c * KH * KW;
        float *o = out + (size_t)nc * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            for (int ow = 0; ow < OW; ow++) {
                const int h0 = oh * stride - pad_t, w0 = ow * stride - pad_l;
                float acc = 0.0f;
                for (int kh = 0; kh < KH; kh++) {
                    const int ih = h0 + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < KW; kw++) {
                        const int iw = w0 + kw;
                        if (iw >= 0 && iw < W) acc += img[(size_t)ih * W + iw] * k[kh * KW + kw];
                    }
                }
                o[(size_t)oh * OW + ow] = acc + b[c];
            }
        }
        sekit_act_forward(o, (size_t)OH * OW, act);
    }
}
