/*
 * image.h -- decoding and resizing images exactly as Pillow 9.4 does (libsekit_ds).
 *
 * timm and torchvision evaluate ImageNet models on PIL images:
 *   Image.open(f).convert('RGB'), Resize(shorter side, BICUBIC|BILINEAR), CenterCrop.
 * This file reproduces those steps byte for byte (tests/t-images.c checks it against Pillow's
 * own output, tests/reference/images/):
 *   - JPEG through libjpeg-turbo, the library Debian's Pillow links, with Pillow's settings:
 *     default DCT (islow) and fancy upsampling, output colour space by component count (1: L,
 *     3: RGB, 4: CMYK read as Adobe-inverted, as Pillow assumes for every 4-component JPEG);
 *   - PNG through libpng, unpacked as Pillow's PNG plugin does (16-bit samples keep their high
 *     byte, except 16-bit gray, which Pillow reads as mode I and clips to 255 on conversion;
 *     palette entries past the PLTE are Pillow's gray ramp; transparency is dropped);
 *   - convert('RGB') / convert('L') with Pillow's formulas (Convert.c): L = (19595 R + 38470 G +
 *     7471 B + 0x8000) >> 16, CMYK -> RGB: nk = 255 - K, R = nk - (C nk) / 255 (rounded);
 *   - Image.resize with Pillow's separable convolution (Resample.c): the filter support scaled
 *     by the reduction factor, double coefficients normalised per output pixel and turned into
 *     22-bit fixed point, a horizontal then a vertical pass, each rounded and clipped to 8 bits.
 * Decoding refuses what Pillow refuses by default: truncated files, images of more than
 * SEKIT_IMAGE_MAX_PIXELS pixels (its decompression-bomb error), 12-bit JPEG.
 */
#ifndef SEKIT_IMAGE_H
#define SEKIT_IMAGE_H

#include "sekit.h"

#include <stdint.h>

/* Pillow refuses images above 2 * Image.MAX_IMAGE_PIXELS (89478485) pixels. */
#define SEKIT_IMAGE_MAX_PIXELS 178956970LL

/* An 8-bit image: h rows of w pixels of c interleaved channels (1: L, 3: RGB). */
struct sekit_image {
    int w, h, c;
    unsigned char *pix;
};

/* Decodes a JPEG or PNG file (told apart by content, as Image.open does) and converts it to
 * channels (1: convert('L'), 3: convert('RGB')). img->pix is malloc'd; free with
 * sekit_image_free. Errors name path and the problem on one line. */
int sekit_image_load(struct sekit_image *img, const char *path, int channels, struct sekit_err *e);
void sekit_image_free(struct sekit_image *img);

enum sekit_filter { SEKIT_FILTER_BILINEAR, SEKIT_FILTER_BICUBIC };

/* torchvision's Resize(int) on a w x h image: the shorter side becomes shorter, the longer
 * int(shorter * long / short). */
void sekit_image_shorter_side(int w, int h, int shorter, int *ow, int *oh);

/* Resizes in to ow x oh like Image.resize(size, filter); out->pix is malloc'd. path names the
 * image in error messages. */
int sekit_image_resize(struct sekit_image *out, const struct sekit_image *in, int ow, int oh,
                       enum sekit_filter f, const char *path, struct sekit_err *e);

/* The kernels under sekit_image_resize. An axis of n source pixels resampled to out pixels
 * needs ksize = sekit_resample_ksize(n, out, f) coefficients per output pixel. */
int sekit_resample_ksize(int n, int out, enum sekit_filter f);
/* bounds (out, 2): first source pixel and count for each output pixel; kk (out, ksize): their
 * weights in fixed point (PRECISION_BITS 22), zero past the count. */
void sekit_resample_coeffs(int n, int out, enum sekit_filter f, int ksize, int *bounds,
                           int32_t *kk);
/* Horizontal pass: dst (rows, ow, c) from rows y0 .. y0 + rows - 1 of src (.., w, c). */
void sekit_resample_h(unsigned char *dst, const unsigned char *src, int w, int c, int y0, int rows,
                      int ow, int ksize, const int *bounds, const int32_t *kk);
/* Vertical pass: dst (oh, w, c) from src (.., w, c); bounds index rows of src. */
void sekit_resample_v(unsigned char *dst, const unsigned char *src, int w, int c, int oh, int ksize,
                      const int *bounds, const int32_t *kk);

#endif
