/*
 * ops.h -- the engine's kernels: plain functions over raw float pointers.
 *
 * Kernels never allocate, never print and never fail; callers pass scratch buffers sized as
 * each comment says. Shapes: N images, C input channels, H x W input, K output channels,
 * KH x KW kernel, OH x OW output, G groups, P = OH * OW, CR an SE block's reduced width.
 * All tensors are contiguous float32; images are NCHW.
 */
#ifndef SEKIT_OPS_H
#define SEKIT_OPS_H

#include "../sekit.h"

#include <stddef.h>

/* Output size of a convolution or pooling window along one axis, PyTorch's rule (ceil mode
 * drops a last window that would start in the right padding). */
int sekit_out_size(int in, int k, int stride, int pad, int ceil_mode);

/* act.c: x = act(x) in place, n values */
void sekit_act_forward(float *x, size_t n, enum sekit_act act);
/* conv2d.c: convolution with a per-output-channel bias (BN folded in), then act. Padding
 * pad_t rows above and pad_l columns left of the input; the rest of an OH x OW output's
 * windows (bottom, right) reads zeros too, so asymmetric TF 'same' padding is a choice of OH, OW.
 *   out (N, K, OH, OW)   in (N, C, H, W)   w (K, C/G, KH, KW)   b (K)
 *   col scratch: sekit_conv2d_col_size() floats   tmp scratch: K * N * OH * OW floats */
size_t sekit_conv2d_col_size(int N, int C, int KH, int KW, int OH, int OW);
void sekit_conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col,
                          float *tmp, int N, int C, int H, int W, int K, int KH, int KW, int stride,
                          int pad_t, int pad_l, int OH, int OW, int G, enum sekit_act act);
/* conv2d.c: depthwise convolution (groups = C = K), direct, padded as sekit_conv2d_forward.
 *   out (N, C, OH, OW)   in (N, C, H, W)   w (C, 1, KH, KW)   b (C) */
void sekit_dwconv2d_forward(float *out, const float *in, const float *w, const float *b, int N,
                            int C, int H, int W, int KH, int KW, int stride, int pad_t, int pad_l,
                            int OH, int OW, enum sekit_act act);

/* bn.c: folds eval-mode BatchNorm into a convolution in place.
 *   w (K, per) in/out   b (K) out   gamma, beta, mean, var (K) */
void sekit_bn_fold(float *w, float *b, const float *gamma, const float *beta, const float *mean,
                   const float *var, int K, size_t per, double eps);

/* pool.c: max pooling, padding counts as -inf.
 *   out (N, C, OH, OW)   in (N, C, H, W) */
void sekit_maxpool2d_forward(float *out, const float *in, int N, int C, int H, int W, int k,
                             int stride, int pad, int OH, int OW);

/* pool.c: average pooling without padding; a window cut short by the edge (ceil mode) averages
 * only the pixels inside, as PyTorch's AvgPool2d(count_include_pad=False) and timm's do.
 *   out (N, C, OH, OW)   in (N, C, H, W) */
void sekit_avgpool2d_forward(float *out, const float *in, int N, int C, int H, int W, int k,
                             int stride, int OH, int OW);

/* pool.c: global average pooling (the SE squeeze, and the head's pool).
 *   out (N, C)   in (N, C, P) */
void sekit_global_avgpool_forward(float *out, const float *in, int N, int C, int P);

/* linear.c: out = in w^T + b.   out (N, OUT)   in (N, IN)   w (OUT, IN)   b (OUT) or NULL */
void sekit_linear_forward(float *out, const float *in, const float *w, const float *b, int N,
                          int IN, int OUT);

/* se.c: the excitation, s = gate(w2 act(w1 z + b1) + b2) (the paper: act ReLU, gate sigmoid).
 *   s (N, C) out   hidden (N, CR) scratch   z (N, C)   w1 (CR, C) b1 (CR) or NULL
 *   w2 (C, CR) b2 (C) or NULL */
void sekit_se_excite(float *s, float *hidden, const float *z, const float *w1, const float *b1,
                     const float *w2, const float *b2, int N, int C, int CR, enum sekit_act act,
                     enum sekit_act gate);
/* se.c: the SE scale alone, in place: x[n, c, :] *= s[n, c].   x (N, C, P)   s (N, C) */
void sekit_se_scale(float *x, const float *s, int N, int C, int P);
/* se.c: the residual sum and the activation after it, any layout:
 *   out = act(x + shortcut).   out, x, shortcut (n values); out may alias x */
void sekit_add_act(float *out, const float *x, const float *shortcut, size_t n, enum sekit_act act);
/* se.c: GhostNet's concatenation: out = a's Ca channels then b's first Cb of its Cbs.
 *   out (N, Ca + Cb, P) or (N, P, Ca + Cb) when nhwc   a (N, Ca, P)   b (N, Cbs, P), or NHWC */
void sekit_concat2(float *out, const float *a, int Ca, const float *b, int Cb, int Cbs, int N,
                   int P, int nhwc);
/* se.c: RexNet's partial residual, in place: the shortcut's Cs channels added to out's first Cs
 * of C (Cs <= C).   out (N, C, P) or (N, P, C) when nhwc   shortcut (N, Cs, P) or (N, P, Cs) */
void sekit_add_partial(float *out, const float *shortcut, int N, int C, int Cs, int P, int nhwc);

/* se.c: the SE scale fused with the residual sum and the block's ReLU:
 *   out = relu(x * s[n, c] + shortcut).   out, x, shortcut (N, C, P)   s (N, C)
 * out may alias x. */
void sekit_se_scale_add_relu(float *out, const float *x, const float *s, const float *shortcut,
                             int N, int C, int P);

/* nhwc.c: the same operations on channels-last activations (the oneDNN backend's layout).
 * Tensors written (N, H, W, C) are contiguous in that order; P = H * W. */

/* out (N, P, C) = in (N, C, P) */
void sekit_nchw_to_nhwc(float *out, const float *in, int N, int C, int P);

/*   out (N, OH, OW, C)   in (N, H, W, C); as sekit_maxpool2d_forward */
void sekit_maxpool2d_nhwc(float *out, const float *in, int N, int C, int H, int W, int k,
                          int stride, int pad, int OH, int OW);

/*   out (N, OH, OW, C)   in (N, H, W, C); as sekit_avgpool2d_forward */
void sekit_avgpool2d_nhwc(float *out, const float *in, int N, int C, int H, int W, int k,
                          int stride, int OH, int OW);

/*   out (N, C)   in (N, P, C); summed in double as sekit_global_avgpool_forward */
void sekit_global_avgpool_nhwc(float *out, const float *in, int N, int C, int P);

/*   x[n, :, c] *= s[n, c] in place.   x (N, P, C)   s (N, C) */
void sekit_se_scale_nhwc(float *x, const float *s, int N, int C, int P);
/*   out = relu(x * s[n, c] + shortcut).   out, x, shortcut (N, P, C)   s (N, C); out may
 * alias x */
void sekit_se_scale_add_relu_nhwc(float *out, const float *x, const float *s, const float *shortcut,
                                  int N, int C, int P);

#endif
