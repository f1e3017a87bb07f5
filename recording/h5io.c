/*
 * h5io.c -- see h5io.h: error handling, the writing driver, files written whole, writers and
 * validated readers.
 */
#include "h5io.h"
#include "../src/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5_hl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------- */
/* the writing driver: POSIX I/O whose write errors are sticky, never HDF5's */

/* The driver never opens a file by name: it writes the temporary sekit_h5_create made, through a
 * duplicate of its descriptor, so that no name can be swapped for a link between the two. */
struct sink_fapl {
    int fd;        /* the temporary, open for reading and writing */
    int *io_errno; /* where write failures go: into the sekit_h5_out of the file */
};

struct sink {
    H5FD_t pub; /* first: HDF5 casts between the two */
    int fd;
    haddr_t eoa, eof;
    dev_t dev;
    ino_t ino;
    int *io_errno;
};

static hid_t sink_id = -1;

static void sink_fail(struct sink *s, int err)
{
    if (!*s->io_errno) *s->io_errno = err ? err : EIO;
}

static H5FD_t *sink_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)name, (void)maxaddr;
    const struct sink_fapl *fa = H5Pget_driver_info(fapl);
    if (!fa) return NULL;
    int fd = fcntl(fa->fd, F_DUPFD_CLOEXEC, 0);
    struct stat sb;
    if (fd < 0 || (flags & H5F_ACC_TRUNC && ftruncate(fd, 0) != 0) || fstat(fd, &sb) != 0) {
        if (fd >= 0) close(fd);
        return NULL;
    }
    struct sink *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return NULL;
    }
    s->fd = fd;
    s->eof = (haddr_t)sb.st_size;
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->io_errno = fa->io_errno;
    return &s->pub;
}

static herr_t sink_close(H5FD_t *f)
{
    struct sink *s = (struct sink *)f;
    if (close(s->fd) != 0) sink_fail(s, errno);
    free(s);
    return 0;
}

static int sink_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const struct sink *x = (const struct sink *)a, *y = (const struct sink *)b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static herr_t sink_query(const H5FD_t *f, unsigned long *flags)
{
    (void)f;
    /* what sec2 declares: HDF5 may merge small metadata and raw-data writes */
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

static haddr_t sink_get_eoa(const H5FD_t *f, H5FD_mem_t type)
{
    (void)type;
    return ((const struct sink *)f)->eoa;
}

static herr_t sink_set_eoa(H5FD_t *f, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((struct sink *)f)->eoa = addr;
    return 0;
}

static haddr_t sink_get_eof(const H5FD_t *f, H5FD_mem_t type)
{
    (void)type;
    return ((const struct sink *)f)->eof;
}

static herr_t sink_get_handle(H5FD_t *f, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((struct sink *)f)->fd;
    return 0;
}

static herr_t sink_read(H5FD_t *f, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                        void *buf)
{
    (void)type, (void)dxpl;
    struct sink *s = (struct sink *)f;
    unsigned char *p = buf;
    while (size > 0) {
        ssize_t r = pread(s->fd, p, size, (off_t)addr);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break; /* past the end of what is on disk: zeros, as sec2 reads */
        p += r, addr += (haddr_t)r, size -= (size_t)r;
    }
    memset(p, 0, size);
    return 0;
}

static herr_t sink_write(H5FD_t *f, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                         const void *buf)
{
    (void)type, (void)dxpl;
    struct sink *s = (struct sink *)f;
    const unsigned char *p = buf;
    const haddr_t end = addr + size;
    while (!*s->io_errno && size > 0) {
        ssize_t w = pwrite(s->fd, p, size, (off_t)addr);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            sink_fail(s, w < 0 ? errno : ENOSPC);
            break;
        }
        p += w, addr += (haddr_t)w, size -= (size_t)w;
    }
    if (end > s->eof) s->eof = end;
    return 0;
}

static herr_t sink_truncate(H5FD_t *f, hid_t dxpl, hbool_t closing)
{
    (void)dxpl, (void)closing;
    struct sink *s = (struct sink *)f;
    if (s->eoa != s->eof && !*s->io_errno && ftruncate(s->fd, (off_t)s->eoa) != 0)
        sink_fail(s, errno);
    s->eof = s->eoa;
    return 0;
}

static const H5FD_class_t sink_class = {
#if H5_VERSION_GE(1, 13, 2)
    /* HDF5 1.14 identifies drivers by value; 256..511 are left to drivers outside HDF5 */
    .version = H5FD_CLASS_VERSION,
    .value = (H5FD_class_value_t)400,
#endif
    .name = "sekit_sink",
    .maxaddr = ((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(struct sink_fapl),
    .open = sink_open,
    .close = sink_close,
    .cmp = sink_cmp,
    .query = sink_query,
    .get_eoa = sink_get_eoa,
    .set_eoa = sink_set_eoa,
    .get_eof = sink_get_eof,
    .get_handle = sink_get_handle,
    .read = sink_read,
    .write = sink_write,
    .truncate = sink_truncate,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

/* ---------------------------------------------------------------------------------------- */
/* errors */

static void init_once(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    sink_id = H5FDregister(&sink_class);
}

void sekit_h5_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
}

static herr_t innermost(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    if (err->desc && *err->desc) snprintf(data, 200, "%s", err->desc);
    return 0;
}

int sekit_h5_fail(struct sekit_err *e, const char *path, const char *what)
{
    char msg[200] = "unknown HDF5 error";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, msg);
    H5Eclear2(H5E_DEFAULT);
    return sekit_errf(e, SEKIT_EHDF5, "%s: cannot %s: %s", path, what, msg);
}

/* ---------------------------------------------------------------------------------------- */
/* files written whole */

int sekit_h5_create(struct sekit_h5_out *o, const char *path, const char *what, struct sekit_err *e)
{
    sekit_h5_init();
    memset(o, 0, sizeof *o);
    o->f = -1;
    o->path = path;
    o->what = what;
    if ((o->fd = sekit_tmp_create(path, o->tmp, sizeof o->tmp)) < 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create %s: %s", path, what, strerror(errno));
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    struct sink_fapl fa = {o->fd, &o->io_errno};
    if (fapl >= 0 && sink_id >= 0 && H5Pset_driver(fapl, sink_id, &fa) >= 0)
        o->f = H5Fcreate(o->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (o->f >= 0) return SEKIT_OK;
    const int rc = sekit_h5_fail(e, path, "create the file");
    close(o->fd);
    unlink(o->tmp);
    o->tmp[0] = 0;
    return rc;
}

int sekit_h5_status(const struct sekit_h5_out *o, struct sekit_err *e)
{
    if (!o->io_errno) return SEKIT_OK;
    return sekit_errf(e, SEKIT_EIO, "%s: cannot write %s: %s", o->path, o->what,
                      strerror(o->io_errno));
}

int sekit_h5_write_failed(const struct sekit_h5_out *o, struct sekit_err *e)
{
    if (o->io_errno) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_h5_status(o, e);
    }
    char what[128];
    snprintf(what, sizeof what, "write %s", o->what);
    return sekit_h5_fail(e, o->path, what);
}

int sekit_h5_close(struct sekit_h5_out *o, int rc, struct sekit_err *e)
{
    if (!o->tmp[0]) return rc; /* never created */
    if (o->f >= 0 && H5Fclose(o->f) < 0 && !rc) rc = sekit_h5_fail(e, o->path, "close the file");
    o->f = -1;
    if (!rc) rc = sekit_h5_status(o, e);
    if (!rc && fsync(o->fd) != 0)
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write %s: %s", o->path, o->what, strerror(errno));
    close(o->fd);
    o->fd = -1;
    if (rc) unlink(o->tmp);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* writers */

hid_t sekit_h5_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static int attr_write(hid_t obj, const char *name, hid_t ft, hid_t mt, size_t n, const void *v)
{
    hsize_t dim = n;
    hid_t sp = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, mt, v) < 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return bad ? -1 : 0;
}

int sekit_h5_attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = sekit_h5_str_type();
    int rc = t < 0 ? -1 : attr_write(obj, name, t, t, 0, &v);
    if (t >= 0) H5Tclose(t);
    return rc;
}

int sekit_h5_attr_i64(hid_t obj, const char *name, const int64_t *v, size_t n)
{
    return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, n, v);
}

int sekit_h5_write(hid_t loc, const char *name, hid_t ft, hid_t mt, hsize_t rows, hsize_t cols,
                   const void *v)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || (rows && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0);
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    return bad ? -1 : 0;
}

int sekit_h5_write_strings(hid_t loc, const char *name, const char *const *v, hsize_t n)
{
    hid_t t = sekit_h5_str_type();
    int rc = t < 0 ? -1 : sekit_h5_write(loc, name, t, t, n, 0, v);
    if (t >= 0) H5Tclose(t);
    return rc;
}

hsize_t sekit_h5_chunk_rows(hsize_t rows, size_t row_bytes, size_t chunk_bytes)
{
    hsize_t crow = chunk_bytes / (row_bytes ? row_bytes : 1);
    if (crow < 1) crow = 1;
    if (crow > rows) crow = rows ? rows : 1;
    return crow;
}

hid_t sekit_h5_dataset(hid_t loc, const char *name, hid_t type, hsize_t rows, hsize_t cols,
                       size_t chunk_bytes)
{
    int rank = cols ? 2 : 1;
    hsize_t dims[2] = {rows, cols};
    hsize_t chunk[2] = {
        sekit_h5_chunk_rows(rows, H5Tget_size(type) * (cols ? cols : 1), chunk_bytes), cols};
    hid_t sp = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
    if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
        H5Pset_deflate(dcpl, 1) >= 0)
        d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return d;
}

int sekit_h5_write_rows(hid_t d, hid_t mt, hsize_t first, hsize_t n, hsize_t cols, const void *v)
{
    int rank = cols ? 2 : 1;
    hsize_t start[2] = {first, 0}, count[2] = {n, cols};
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, count, NULL);
    int bad = fs < 0 || ms < 0 ||
              H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
              H5Dwrite(d, mt, ms, fs, H5P_DEFAULT, v) < 0;
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return bad ? -1 : 0;
}

hid_t sekit_h5_scale(hid_t loc, const char *name, hsize_t n, size_t chunk_bytes)
{
    hid_t d = sekit_h5_dataset(loc, name, H5T_STD_I64LE, n, 0, chunk_bytes);
    if (d < 0) return d;
    int64_t *v = malloc(sizeof(int64_t) * (n ? n : 1));
    for (hsize_t i = 0; v && i < n; i++)
        v[i] = (int64_t)i;
    int bad = !v || (n && sekit_h5_write_rows(d, H5T_NATIVE_INT64, 0, n, 0, v)) ||
              H5DSset_scale(d, name) < 0;
    free(v);
    if (bad) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

hid_t sekit_h5_str_scale(hid_t loc, const char *name, const char *const *v, hsize_t n)
{
    hsize_t dim = n;
    hid_t t = sekit_h5_str_type(), sp = H5Screate_simple(1, &dim, NULL);
    hid_t d =
        t < 0 || sp < 0 ? -1 : H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || (n && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) ||
              H5DSset_scale(d, name) < 0;
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (bad && d >= 0) H5Dclose(d);
    return bad ? -1 : d;
}

int sekit_h5_attach(hid_t loc, const char *name, hid_t s0, hid_t s1)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    int bad =
        d < 0 || H5DSattach_scale(d, s0, 0) < 0 || (s1 >= 0 && H5DSattach_scale(d, s1, 1) < 0);
    if (d >= 0) H5Dclose(d);
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* validated readers */

static const char *class_name(enum sekit_h5_class c)
{
    return c == SEKIT_H5_INT ? "integer" : c == SEKIT_H5_FLOAT ? "floating-point" : "string";
}

static int class_of(hid_t t, enum sekit_h5_class *c)
{
    switch (H5Tget_class(t)) {
    case H5T_INTEGER:
        *c = SEKIT_H5_INT;
        return 0;
    case H5T_FLOAT:
        *c = SEKIT_H5_FLOAT;
        return 0;
    case H5T_STRING:
        *c = SEKIT_H5_STRING;
        return 0;
    default:
        return -1;
    }
}

int sekit_h5_open(const char *path, hid_t *f, struct sekit_err *e)
{
    sekit_h5_init();
    *f = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not an HDF5 file", path);
    }
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) return sekit_h5_fail(e, path, "open the HDF5 file");
    return SEKIT_OK;
}

/* Opens loc/name and checks it as sekit_h5_shape does; *out the dataset (caller closes). */
static int open_checked(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls,
                        int rank, int64_t dims[2], hid_t *out, struct sekit_err *e)
{
    sekit_h5_init();
    *out = -1;
    if (H5LTpath_valid(loc, name, 1) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: no dataset %s", file, name);
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %s is not a dataset", file, name);
    }
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    enum sekit_h5_class got = SEKIT_H5_INT;
    int rc = SEKIT_OK, bad_class = t < 0 || class_of(t, &got) != 0 || got != cls;
    int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hsize_t d2[2] = {0, 0};
    if (bad_class)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s is not of %s type", file, name, class_name(cls));
    else if (nd != rank || H5Sget_simple_extent_dims(sp, d2, NULL) != rank)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has %d dimensions, not %d", file, name, nd, rank);
    for (int i = 0; !rc && i < rank; i++) {
        if (dims[i] >= 0 && (int64_t)d2[i] != dims[i])
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has %lld %s, not %lld", file, name,
                            (long long)d2[i], i ? "columns" : "rows", (long long)dims[i]);
        dims[i] = (int64_t)d2[i];
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (rc)
        H5Dclose(d);
    else
        *out = d;
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int sekit_h5_shape(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls, int rank,
                   int64_t dims[2], struct sekit_err *e)
{
    hid_t d;
    int rc = open_checked(loc, file, name, cls, rank, dims, &d, e);
    if (!rc) H5Dclose(d);
    return rc;
}

/* Reads the checked dataset d of n elements into dst. */
static int read_checked(hid_t d, const char *file, const char *name, hid_t mt, size_t n, void *dst,
                        struct sekit_err *e)
{
    int rc = n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0
                 ? sekit_errf(e, SEKIT_EFORMAT, "%s: cannot read %s", file, name)
                 : SEKIT_OK;
    H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

static size_t numel(int rank, const int64_t dims[2])
{
    return (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
}

int sekit_h5_read_into(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls,
                       hid_t mt, int rank, int64_t dims[2], void *dst, struct sekit_err *e)
{
    hid_t d;
    int rc = open_checked(loc, file, name, cls, rank, dims, &d, e);
    return rc ? rc : read_checked(d, file, name, mt, numel(rank, dims), dst, e);
}

int sekit_h5_read(hid_t loc, const char *file, const char *name, enum sekit_h5_class cls, hid_t mt,
                  int rank, int64_t dims[2], void **out, struct sekit_err *e)
{
    *out = NULL;
    hid_t d;
    int rc = open_checked(loc, file, name, cls, rank, dims, &d, e);
    if (rc) return rc;
    void *buf = malloc(H5Tget_size(mt) * numel(rank, dims) + 1);
    if (!buf) {
        H5Dclose(d);
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %s", file, name);
    }
    if ((rc = read_checked(d, file, name, mt, numel(rank, dims), buf, e)))
        free(buf);
    else
        *out = buf;
    return rc;
}

void sekit_h5_strings_free(char **v, int64_t n)
{
    for (int64_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads n strings of file type t from d (a dataset) or a (an attribute) into new strings. */
static int read_str_values(hid_t d, hid_t a, hid_t t, int64_t n, char **out)
{
    int rc = 0;
    if (H5Tis_variable_str(t) > 0) {
        char **v = calloc((size_t)n + 1, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        /* HDF5 converts no character sets: read in the file's */
        rc = !v || mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 ||
             H5Tset_cset(mt, H5Tget_cset(t)) < 0 ||
             (d >= 0 ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : H5Aread(a, mt, v)) < 0;
        for (int64_t i = 0; i < n && v; i++) {
            if (!rc && !(out[i] = strdup(v[i] ? v[i] : ""))) rc = 1;
            H5free_memory(v[i]);
        }
        free(v);
        if (mt >= 0) H5Tclose(mt);
    } else {
        size_t w = H5Tget_size(t);
        char *buf = malloc(w * (size_t)n + 1);
        rc = !buf ||
             (d >= 0 ? H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : H5Aread(a, t, buf)) < 0;
        for (int64_t i = 0; !rc && i < n; i++)
            if (!(out[i] = strndup(buf + w * (size_t)i, w))) rc = 1;
        free(buf);
    }
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int sekit_h5_read_strings(hid_t loc, const char *file, const char *name, int64_t *n, char ***out,
                          struct sekit_err *e)
{
    *out = NULL;
    int64_t dims[2] = {*n, 0};
    hid_t d;
    int rc = open_checked(loc, file, name, SEKIT_H5_STRING, 1, dims, &d, e);
    if (rc) return rc;
    char **v = calloc((size_t)dims[0] + 1, sizeof *v);
    hid_t t = H5Dget_type(d);
    if (!v || t < 0 || read_str_values(d, -1, t, dims[0], v)) {
        sekit_h5_strings_free(v, dims[0]);
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: cannot read %s", file, name);
    } else {
        *out = v;
        *n = dims[0];
    }
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Opens attribute name of obj and checks its class; *a -1 when absent. */
static int attr_open(hid_t obj, const char *file, const char *where, const char *name, int required,
                     enum sekit_h5_class cls, hid_t *a, int64_t *count, struct sekit_err *e)
{
    sekit_h5_init();
    *a = -1;
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return required
                   ? sekit_errf(e, SEKIT_EFORMAT, "%s: %s has no attribute %s", file, where, name)
                   : SEKIT_OK;
    }
    hid_t at = H5Aopen(obj, name, H5P_DEFAULT), t = at < 0 ? -1 : H5Aget_type(at),
          sp = at < 0 ? -1 : H5Aget_space(at);
    enum sekit_h5_class got = SEKIT_H5_INT;
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    int rc = SEKIT_OK;
    if (t < 0 || class_of(t, &got) || got != cls)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s is not of %s type", file, where,
                        name, class_name(cls));
    else if (np < 0)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s is malformed", file, where, name);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (rc && at >= 0) H5Aclose(at);
    if (!rc) *a = at, *count = np;
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int sekit_h5_attr_read_str(hid_t obj, const char *file, const char *where, const char *name,
                           int required, char **out, struct sekit_err *e)
{
    hid_t a;
    int64_t n = 0;
    int rc = attr_open(obj, file, where, name, required, SEKIT_H5_STRING, &a, &n, e);
    if (rc || a < 0) return rc;
    hid_t t = H5Aget_type(a);
    char *v = NULL;
    if (n != 1 || t < 0 || read_str_values(-1, a, t, 1, &v))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s is not one string", file, where,
                        name);
    else
        *out = v;
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int sekit_h5_attr_read_i64s(hid_t obj, const char *file, const char *where, const char *name,
                            int required, int64_t **out, int64_t *n, struct sekit_err *e)
{
    *out = NULL;
    *n = 0;
    hid_t a;
    int64_t cnt = 0;
    int rc = attr_open(obj, file, where, name, required, SEKIT_H5_INT, &a, &cnt, e);
    if (rc || a < 0) return rc;
    int64_t *v = malloc(sizeof *v * (size_t)(cnt + 1));
    if (!v)
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    else if (cnt && H5Aread(a, H5T_NATIVE_INT64, v) < 0)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s is unreadable", file, where, name);
    H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return SEKIT_OK;
}

int sekit_h5_attr_read_i64(hid_t obj, const char *file, const char *where, const char *name,
                           int required, int64_t *out, struct sekit_err *e)
{
    int64_t *v, n;
    int rc = sekit_h5_attr_read_i64s(obj, file, where, name, required, &v, &n, e);
    if (!rc && v && n != 1)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s holds %lld values, not one", file,
                        where, name, (long long)n);
    if (!rc && v) *out = v[0];
    free(v);
    return rc;
}

int sekit_h5_check_version(hid_t f, const char *path, const char *attr, int64_t want,
                           const char *what, const char *command, struct sekit_err *e)
{
    int64_t v = 0;
    int rc = sekit_h5_attr_read_i64(f, path, "/", attr, 0, &v, e);
    if (rc) return rc;
    if (!v) return sekit_errf(e, SEKIT_EFORMAT, "%s: not a sekit %s (no %s)", path, what, attr);
    if (v != want)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %s %lld; this sekit reads version %lld (rerun %s with this sekit)",
                          path, attr, (long long)v, (long long)want, command);
    return SEKIT_OK;
}
