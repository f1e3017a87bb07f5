/* imgwrite.c -- see imgwrite.h. */
#include "imgwrite.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

int imgwrite_png(const char *path, int w, int h, int c, const unsigned char *pix)
{
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, types[c], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, pix + (size_t)y * w * c);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f) == 0 ? 0 : -1;
}

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void jfail(j_common_ptr ci)
{
    longjmp(((struct jerr *)ci->err)->jb, 1);
}

int imgwrite_jpeg(const char *path, int w, int h, int c, const unsigned char *pix, int quality)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct ci;
    struct jerr err;
    ci.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jfail;
    if (setjmp(err.jb)) {
        jpeg_destroy_compress(&ci);
        fclose(f);
        return -1;
    }
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 1 ? JCS_GRAYSCALE : c == 3 ? JCS_RGB : c == 4 ? JCS_CMYK : JCS_UNKNOWN;
    jpeg_set_defaults(&ci);
    if (c == 4) ci.write_Adobe_marker = TRUE;
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)pix + (size_t)ci.next_scanline * w * c;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return fclose(f) == 0 ? 0 : -1;
}
