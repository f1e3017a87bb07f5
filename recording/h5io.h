/*
 * h5io.h -- sekit's one HDF5 layer: every file sekit writes or reads goes through it (the
 * recording writer, the recording reader, the statistics and ablation files).
 *
 * Errors. sekit_h5_init switches HDF5's automatic error printing off; every HDF5 failure is
 * turned into a sekit status whose message names the file, what failed and why
 * (sekit_h5_fail). Functions returning int return a sekit status unless they say otherwise.
 *
 * Writing. A file is written whole to a temporary of its own, PATH.XXXXXX.tmp (fileio.h: created
 * exclusively, never through a link, unique to the process), and renamed onto PATH only when
 * complete, so a failed write never leaves a file that looks complete under the final name.
 * HDF5 1.10 cannot survive a failed H5Fclose: the file's ID stays registered over freed memory,
 * and the library's shutdown at exit crashes on it. So files are written through a driver of
 * sekit's own (POSIX I/O, like HDF5's sec2, on the temporary's descriptor: it never opens a name)
 * that never reports a write error to HDF5: it keeps the errno of the first failed write (disk
 * full, file-size limit, EIO), discards every later write, and the writer checks that sticky
 * status (sekit_h5_status) and reports it. HDF5 then closes cleanly.
 *
 * Reading. The readers check that a dataset exists and that its type class, rank and dimensions
 * are what the caller expects (and that a number type's bits lie within its bytes, which
 * libhdf5's conversions trust), and say which is not. Every size a file declares is bounded
 * before anything is allocated for it: a dataset's values must be stored in the file (its
 * declared bytes at most its allocated storage, or SEKIT_H5_MAX_RATIO times that when it is
 * compressed, and that storage within the file's size), an attribute's values at most the file's
 * size and SEKIT_H5_MAX_VALUES, a string at most SEKIT_H5_MAX_STRING bytes. Variable-length
 * strings are read by sekit itself, not by libhdf5: libhdf5 1.10 trusts a string's declared
 * length and the global heap collection it points to, and crashes, loops or allocates gigabytes
 * on a corrupt one. HDF5 hands over the strings' raw descriptors (length, collection, object),
 * and sekit reads each collection from the file, checks it (signature, size within the file,
 * objects within the collection, the object's size equal to the declared length) and copies the
 * string out (docs/bad-inputs.md). Before an attribute is looked up, every attribute message in
 * its object's header is checked (name, datatype, dataspace and values within the message):
 * libhdf5 decodes them all for one look-up and copies past the message of a corrupt one.
 */
#ifndef SEKIT_H5IO_H
#define SEKIT_H5IO_H

#include "../src/fileio.h"
#include "sekit.h"

#include <hdf5.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

/* Switches off HDF5's automatic error printing and registers the writing driver. Idempotent;
 * every function here calls it, entry points may call it first. */
void sekit_h5_init(void);

/* SEKIT_EHDF5 with "PATH: cannot WHAT: <HDF5's innermost message>"; clears HDF5's error stack. */
int sekit_h5_fail(struct sekit_err *e, const char *path, const char *what);

/* ---------------------------------------------------------------------------------------- */
/* files written whole */

struct sekit_h5_out {
    hid_t f;
    const char *path, *what; /* borrowed: the final name, and "the statistics file" etc. */
    char tmp[PATH_MAX + SEKIT_TMP_EXTRA]; /* the temporary; empty while none exists */
    int fd;                               /* the temporary's descriptor, while tmp is set */
    int io_errno;                         /* the first failed write's errno; 0 while none failed */
};

/* Creates PATH's temporary for writing. */
int sekit_h5_create(struct sekit_h5_out *o, const char *path, const char *what,
                    struct sekit_err *e);
/* The sticky write status: SEKIT_EIO "PATH: cannot write WHAT: <strerror>" once a write failed.
 * Long writers call it now and then to stop early. */
int sekit_h5_status(const struct sekit_h5_out *o, struct sekit_err *e);
/* After a writer's HDF5 call failed: the sticky write status if a write failed (the cause),
 * else HDF5's message ("PATH: cannot write WHAT: ..."). */
int sekit_h5_write_failed(const struct sekit_h5_out *o, struct sekit_err *e);
/* Closes o->f and, when rc is 0, checks every write and fsyncs the temporary. Returns rc, or the
 * failure; on failure (or rc != 0) the temporary is removed. Publish with sekit_publish. An o
 * whose create was never called must have tmp empty ({.f = -1} does). */
int sekit_h5_close(struct sekit_h5_out *o, int rc, struct sekit_err *e);

/* ---------------------------------------------------------------------------------------- */
/* writers; these return 0 or -1 (an HDF5 failure, for sekit_h5_fail) so calls can be chained */

/* Variable-length UTF-8 strings (h5py reads them as str); the caller closes the type. */
hid_t sekit_h5_str_type(void);

int sekit_h5_attr_str(hid_t obj, const char *name, const char *v);
/* n values; n == 0 writes one value as a scalar. */
int sekit_h5_attr_i64(hid_t obj, const char *name, const int64_t *v, size_t n);

/* A contiguous dataset rows x cols (cols 0: 1-D) of file type ft from memory of type mt. */
int sekit_h5_write(hid_t loc, const char *name, hid_t ft, hid_t mt, hsize_t rows, hsize_t cols,
                   const void *v);
int sekit_h5_write_strings(hid_t loc, const char *name, const char *const *v, hsize_t n);

/* A chunked, shuffled, deflated (level 1) dataset rows x cols (cols 0: 1-D) of chunks of about
 * chunk_bytes; the caller closes it. Rows per chunk: sekit_h5_chunk_rows. */
hid_t sekit_h5_dataset(hid_t loc, const char *name, hid_t type, hsize_t rows, hsize_t cols,
                       size_t chunk_bytes);
hsize_t sekit_h5_chunk_rows(hsize_t rows, size_t row_bytes, size_t chunk_bytes);
/* Writes rows [first, first + n) of a dataset made by sekit_h5_dataset. */
int sekit_h5_write_rows(hid_t d, hid_t mt, hsize_t first, hsize_t n, hsize_t cols, const void *v);
/* A dimension scale: a 1-D int64 dataset holding 0..n-1 (chunked as above); the caller closes
 * it; -1 on failure. */
hid_t sekit_h5_scale(hid_t loc, const char *name, hsize_t n, size_t chunk_bytes);
/* A dimension scale holding n strings (a string coordinate for xarray: .sel(label="Bag")); the
 * caller closes it; -1 on failure. */
hid_t sekit_h5_str_scale(hid_t loc, const char *name, const char *const *v, hsize_t n);
/* Attaches scale s0 to axis 0 of dataset loc/name and, when s1 >= 0, s1 to axis 1. */
int sekit_h5_attach(hid_t loc, const char *name, hid_t s0, hid_t s1);

/* ---------------------------------------------------------------------------------------- */
/* validated readers; file names the file in messages, where the object ("/stats/SE_2_1") */

enum sekit_h5_class { SEKIT_H5_INT, SEKIT_H5_FLOAT, SEKIT_H5_STRING };

/* Deflate's largest compression ratio (1032:1): a compressed dataset may declare at most this
 * many times the bytes it stores. */
#define SEKIT_H5_MAX_RATIO 1032
/* The longest string read (a run description of a thousand class names fits many times). */
#define SEKIT_H5_MAX_STRING ((size_t)16 << 20)
/* The most values an integer attribute may hold (class_indices: at most num_classes). */
#define SEKIT_H5_MAX_VALUES ((int64_t)1 << 20)

/* Opens an HDF5 file read-only: SEKIT_EIO "PATH: cannot open: <strerror>" when it cannot be
 * read, SEKIT_EFORMAT when it is not HDF5. The caller closes *f. */
int sekit_h5_open(const char *path, hid_t *f, struct sekit_err *e);

/* The shape of dataset loc/name: checks it exists, its class and its rank (1 or 2); dims[i] >= 0
 * on entry must match, dims[i] < 0 is filled in. SEKIT_EFORMAT naming the dataset and what is
 * wrong. */
int sekit_h5_shape(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls, int rank,
                   int64_t dims[2], struct sekit_err *e);
/* sekit_h5_shape, then reads the whole dataset as memory type mt into dst. */
int sekit_h5_read_into(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls,
                       hid_t mt, int rank, int64_t dims[2], void *dst, struct sekit_err *e);
/* sekit_h5_shape, then reads the whole dataset as memory type mt into a new buffer (*out, the
 * caller frees). */
int sekit_h5_read(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls, hid_t mt,
                  int rank, int64_t dims[2], void **out, struct sekit_err *e);
/* A 1-D string dataset (fixed or variable length) of *n strings (*n >= 0 on entry must match),
 * each at most max_len bytes (at most SEKIT_H5_MAX_STRING); *out is an array of malloc'd strings
 * (sekit_h5_strings_free). */
int sekit_h5_read_strings(hid_t loc, const char *file, const char *name, int64_t *n, size_t max_len,
                          char ***out, struct sekit_err *e);
void sekit_h5_strings_free(char **v, int64_t n);

/* Attributes of obj (where names it in messages). A missing attribute is an error when
 * required, else leaves *out untouched and returns SEKIT_OK. A string of at most max_len bytes
 * (at most SEKIT_H5_MAX_STRING). */
int sekit_h5_attr_read_str(hid_t obj, const char *file, const char *where, const char *name,
                           int required, size_t max_len, char **out, struct sekit_err *e);
/* One integer (a scalar or a one-element array). */
int sekit_h5_attr_read_i64(hid_t obj, const char *file, const char *where, const char *name,
                           int required, int64_t *out, struct sekit_err *e);
/* The root attribute attr (int64) must equal want: absent is "PATH: not a sekit WHAT (no ATTR)",
 * another value "PATH: ATTR N; this sekit reads version W (rerun COMMAND with this sekit)". */
int sekit_h5_check_version(hid_t f, const char *path, const char *attr, int64_t want,
                           const char *what, const char *command, struct sekit_err *e);
/* An integer array of any length: *out malloc'd (NULL and *n 0 when absent and not required). */
int sekit_h5_attr_read_i64s(hid_t obj, const char *file, const char *where, const char *name,
                            int required, int64_t **out, int64_t *n, struct sekit_err *e);

#endif
