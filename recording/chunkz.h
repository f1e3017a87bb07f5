/*
 * chunkz.h -- compressing a recording's gate chunks (internal to libsekit).
 *
 * The gate datasets are most of a recording, and deflating them was most of the time `record`
 * spends beyond `eval`. HDF5 filters run on one thread, so sekit applies the same two filters
 * itself, chunk by chunk on all cores, and hands HDF5 the finished chunks (H5Dwrite_chunk):
 * shuffle (byte k of every element, then byte k + 1, ...) and deflate (a zlib stream, as
 * HDF5's H5Z_shuffle and H5Z_deflate write), so any HDF5 reader decodes them.
 */
#ifndef SEKIT_CHUNKZ_H
#define SEKIT_CHUNKZ_H

#include <hdf5.h>
#include <stddef.h>

struct sekit_zchunk {
    int di;                 /* the dataset: an index into the caller's dataset array */
    hsize_t row0;           /* first row of the chunk */
    unsigned char *raw, *z; /* full chunk of float32 (rows past the end are zero), compressed */
    size_t raw_bytes, z_bytes;
    int failed;
};

/* Compresses c[0..n) on all cores, writes each chunk to d[c[i].di] in order and frees their
 * buffers. Non-zero when a chunk could not be compressed or written. */
int sekit_zchunks_write(struct sekit_zchunk *c, int n, const hid_t *d);

#endif
