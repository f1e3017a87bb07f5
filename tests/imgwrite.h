/*
 * imgwrite.h -- writing test images with libpng and libjpeg (the libraries sekit reads them
 * with), for the tests that build image folders.
 */
#ifndef SEKIT_IMGWRITE_H
#define SEKIT_IMGWRITE_H

/* pix (h, w, c) 8-bit, c = 1 (gray), 3 (RGB) or 4 (RGBA for PNG, CMYK for JPEG, stored as
 * Adobe's inverted CMYK as Photoshop writes it); JPEG also takes other counts, as components of
 * no colour space. 0 on success, -1 when the file could not be written. */
int imgwrite_png(const char *path, int w, int h, int c, const unsigned char *pix);
int imgwrite_jpeg(const char *path, int w, int h, int c, const unsigned char *pix, int quality);

#endif
