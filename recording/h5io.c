/*
 * h5io.c -- see h5io.h: error handling, the writing driver, files written whole, writers and
 * validated readers.
 */
#include "h5io.h"
#include "../src/fileio.h"

#include "../src/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
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

/* A conversion from variable-length strings to an opaque type of the same size: it leaves HDF5's
 * on-disk descriptors of the strings (length, global heap collection, object index) as they are,
 * so that sekit reads the strings itself (read_vlen_strings) and libhdf5 never reads its global
 * heap for sekit. */
static herr_t vlen_descriptors(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t n, size_t stride,
                               size_t bkg_stride, void *buf, void *bkg, hid_t dxpl)
{
    (void)n, (void)stride, (void)bkg_stride, (void)buf, (void)bkg, (void)dxpl;
    if (cdata->command != H5T_CONV_INIT) return 0;
    cdata->need_bkg = H5T_BKG_NO;
    return H5Tis_variable_str(src) > 0 && H5Tget_size(src) == H5Tget_size(dst) ? 0 : -1;
}

static void init_once(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    sink_id = H5FDregister(&sink_class);
    hid_t vs = H5Tcopy(H5T_C_S1), op = H5Tcreate(H5T_OPAQUE, 16);
    if (vs >= 0 && op >= 0 && H5Tset_size(vs, H5T_VARIABLE) >= 0)
        H5Tregister(H5T_PERS_SOFT, "sekit: vlen string descriptors", vs, op, vlen_descriptors);
    if (vs >= 0) H5Tclose(vs);
    if (op >= 0) H5Tclose(op);
    H5Eclear2(H5E_DEFAULT);
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

/* A number type's bits lie within its bytes: libhdf5's conversions trust its offset, precision
 * and floating-point fields, and read past the value of a corrupt one. */
static int bits_fit(hid_t t, enum sekit_h5_class c)
{
    const size_t size = H5Tget_size(t), prec = H5Tget_precision(t);
    const int off = H5Tget_offset(t);
    size_t spos, epos, esize, mpos, msize;
    if (c == SEKIT_H5_STRING) return 1;
    if (size < 1 || size > 16 || prec < 1 || off < 0 || (size_t)off + prec > 8 * size) return 0;
    return c == SEKIT_H5_INT || (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) >= 0 &&
                                 spos < prec && esize >= 1 && esize <= 32 && epos + esize <= prec &&
                                 msize >= 1 && mpos + msize <= prec);
}

/* Type t of what (a dataset, "WHERE attribute NAME") is of class cls and sound. */
static int check_type(hid_t t, enum sekit_h5_class cls, const char *file, const char *what,
                      struct sekit_err *e)
{
    enum sekit_h5_class got = SEKIT_H5_INT;
    if (t < 0 || class_of(t, &got) || got != cls)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %s is not of %s type", file, what,
                          class_name(cls));
    if (!bits_fit(t, cls))
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %s has a corrupt %s type (bits outside its %zu bytes)", file, what,
                          class_name(cls), H5Tget_size(t));
    return SEKIT_OK;
}

/* The file under an object as sekit reads it itself: HDF5's descriptor of it (HDF5 closes it),
 * its size, HDF5's base address (the user block's size) and its sizes of addresses and
 * lengths. Files sekit reads are opened with the POSIX driver (sekit_h5_open), or sekit's own. */
struct raw_file {
    int fd;
    uint64_t bytes, base;
    unsigned sa, ss;
};

static int raw_file(hid_t obj, struct raw_file *r)
{
    hid_t f = H5Iget_file_id(obj), fapl = f < 0 ? -1 : H5Fget_access_plist(f),
          fcpl = f < 0 ? -1 : H5Fget_create_plist(f), drv = fapl < 0 ? -1 : H5Pget_driver(fapl);
    void *h = NULL;
    size_t sa = 0, ss = 0;
    hsize_t ub = 0;
    struct stat sb;
    int bad = fcpl < 0 || drv < 0 || (drv != H5FD_SEC2 && drv != sink_id) ||
              H5Fget_vfd_handle(f, fapl, &h) < 0 || !h || H5Pget_sizes(fcpl, &sa, &ss) < 0 ||
              H5Pget_userblock(fcpl, &ub) < 0 || fstat(*(int *)h, &sb) != 0;
    if (!bad)
        *r = (struct raw_file){*(int *)h, (uint64_t)sb.st_size, ub, (unsigned)sa, (unsigned)ss};
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (f >= 0) H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    /* addresses and lengths beyond 8 bytes exist in the specification, not in files */
    return bad || sa < 2 || sa > 8 || ss < 2 || ss > 8 ? -1 : 0;
}

/* The values of dataset d (type t, rank dims) must be stored in the file: a declared extent
 * costs a corrupt file nothing, the reader's buffer is sized by it. */
static int extent_in_file(hid_t d, hid_t t, int rank, const hsize_t dims[2], const char *file,
                          const char *name, struct sekit_err *e)
{
    struct raw_file r;
    hid_t dcpl = H5Dget_create_plist(d);
    const int filters = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    const uint64_t ts = H5Tget_size(t), storage = H5Dget_storage_size(d);
    H5Eclear2(H5E_DEFAULT);
    if (filters < 0 || ts == 0 || raw_file(d, &r))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: cannot check the storage of %s", file, name);
    if (storage > r.bytes)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %s claims %llu bytes of storage in a file of %llu (corrupt)", file,
                          name, (unsigned long long)storage, (unsigned long long)r.bytes);
    /* storage <= the file's size, far below 2^64 / SEKIT_H5_MAX_RATIO */
    const uint64_t room = storage * (filters > 0 ? SEKIT_H5_MAX_RATIO : 1) / ts;
    const uint64_t cols = rank == 2 ? dims[1] : 1;
    if (cols && dims[0] > room / cols)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %s declares %llu x %llu values but stores %llu bytes (%s)", file,
                          name, (unsigned long long)dims[0], (unsigned long long)cols,
                          (unsigned long long)storage,
                          filters > 0 ? "more than deflate's 1032:1 would give" : "not compressed");
    return SEKIT_OK;
}

int sekit_h5_open(const char *path, hid_t *f, struct sekit_err *e)
{
    sekit_h5_init();
    *f = -1;
    int fd = sekit_open_regular(path, NULL, e);
    if (fd < 0) return SEKIT_EIO;
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
    int rc = check_type(t, cls, file, name, e);
    int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hsize_t d2[2] = {0, 0};
    if (!rc && (nd != rank || H5Sget_simple_extent_dims(sp, d2, NULL) != rank))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has %d dimensions, not %d", file, name, nd, rank);
    for (int i = 0; !rc && i < rank; i++) {
        if (dims[i] >= 0 && (int64_t)d2[i] != dims[i])
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s has %lld %s, not %lld", file, name,
                            (long long)d2[i], i ? "columns" : "rows", (long long)dims[i]);
        dims[i] = (int64_t)d2[i];
    }
    if (!rc) rc = extent_in_file(d, t, rank, d2, file, name, e);
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

/* ---------------------------------------------------------------------------------------- */
/* strings (h5io.h: read by sekit, not by libhdf5's global heap) */

/* A global heap collection, loaded: its bytes and its objects, sorted by index. */
struct gobj {
    uint32_t idx;
    uint64_t at, size; /* the object's data: buf + at, size bytes */
};

struct gcol {
    unsigned char *buf;
    size_t nobj;
    struct gobj *obj;
};

/* The collections loaded while one array of strings is read, and what the file may still give:
 * valid collections never overlap and each string has an object of its own, so neither adds up
 * to more than the file's size. */
struct heap {
    struct raw_file f;
    GHashTable *cols; /* address -> struct gcol */
    uint64_t col_max, col_budget, str_budget;
};

/* HDF5 fills collections of up to 64 KiB with objects, and gives a larger object a collection
 * of its own, of exactly its size: strings of max_len bytes need no larger one. */
static uint64_t gcol_max(const struct raw_file *f, size_t max_len)
{
    const uint64_t one = 16 + 2 * (uint64_t)f->ss + ((uint64_t)max_len + 7) / 8 * 8;
    return one > 65536 ? one : 65536;
}

static uint64_t get_le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static int cmp_gobj(const void *a, const void *b)
{
    const struct gobj *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void gcol_free(void *p)
{
    struct gcol *c = p;
    if (c) free(c->buf), free(c->obj);
    free(c);
}

/* Loads and checks the collection at addr (the HDF5 specification's "Global Heap"): "GCOL",
 * version 1, 3 reserved bytes, its size (header included), then objects of index (2 bytes),
 * reference count (2), reserved (4), size, and data padded to 8 bytes; index 0, the free space,
 * comes last. Returns what is wrong, or NULL. */
static const char *gcol_load(struct heap *h, uint64_t addr, struct gcol **out)
{
    const unsigned hdr = 8 + h->f.ss, ohdr = 8 + h->f.ss;
    const uint64_t bytes = h->f.bytes, base = h->f.base;
    unsigned char head[16];
    if (base > bytes || addr > bytes - base || bytes - base - addr < hdr)
        return "its global heap collection lies outside the file";
    const uint64_t off = base + addr;
    if (sekit_pread_full(h->f.fd, head, hdr, off)) return "its global heap cannot be read";
    if (memcmp(head, "GCOL", 4) || head[4] != 1) return "it points to no global heap collection";
    const uint64_t size = get_le(head + 8, h->f.ss);
    if (size < hdr || size > bytes - off || size > h->col_max)
        return "its global heap collection has a corrupt size";
    if (size > h->col_budget) return "its global heap collections overlap";
    h->col_budget -= size;
    struct gcol *c = calloc(1, sizeof *c);
    if (c) c->buf = malloc(size), c->obj = malloc(sizeof *c->obj * (size / ohdr + 1));
    if (!c || !c->buf || !c->obj) {
        gcol_free(c);
        return "out of memory";
    }
    if (sekit_pread_full(h->f.fd, c->buf, size, off)) {
        gcol_free(c);
        return "its global heap cannot be read";
    }
    /* every object takes at least ohdr bytes: at most size / ohdr of them */
    for (uint64_t p = hdr; size - p >= ohdr;) {
        const uint32_t idx = (uint32_t)get_le(c->buf + p, 2);
        const uint64_t os = get_le(c->buf + p + 8, h->f.ss), room = size - p - ohdr;
        if (idx == 0) break;
        if (os > room) {
            gcol_free(c);
            return "a global heap object runs past its collection";
        }
        c->obj[c->nobj++] = (struct gobj){idx, p + ohdr, os};
        p += ohdr + (os + 7 < room ? (os + 7) / 8 * 8 : room);
    }
    qsort(c->obj, c->nobj, sizeof *c->obj, cmp_gobj);
    for (size_t i = 1; i < c->nobj; i++)
        if (c->obj[i].idx == c->obj[i - 1].idx) {
            gcol_free(c);
            return "two global heap objects share an index";
        }
    uint64_t *key = g_new(uint64_t, 1);
    *key = addr;
    g_hash_table_insert(h->cols, key, c);
    *out = c;
    return NULL;
}

/* The string of descriptor d (length (4 bytes), collection address, object index (4)) into
 * *out; returns what is wrong, or NULL. A string longer than max_len leaves *out NULL and *len
 * its length. */
static const char *heap_string(struct heap *h, const unsigned char *d, size_t max_len,
                               uint64_t *len, char **out)
{
    const uint64_t n = get_le(d, 4), addr = get_le(d + 4, h->f.sa);
    const uint32_t idx = (uint32_t)get_le(d + 4 + h->f.sa, 4);
    *out = NULL;
    *len = n;
    /* address 0: a NULL string, which HDF5 reads as empty */
    if (addr == 0) return (*out = strdup("")) ? NULL : "out of memory";
    if (n > max_len) return NULL;
    if (n > h->str_budget) return "its strings share their global heap objects";
    struct gcol *c = g_hash_table_lookup(h->cols, &addr);
    const char *why = c ? NULL : gcol_load(h, addr, &c);
    if (why) return why;
    const struct gobj key = {.idx = idx},
                      *o = bsearch(&key, c->obj, c->nobj, sizeof *c->obj, cmp_gobj);
    if (!o) return "its global heap object does not exist";
    if (o->size != n) return "its length differs from its global heap object's";
    h->str_budget -= n;
    return (*out = strndup((const char *)c->buf + o->at, n)) ? NULL : "out of memory";
}

/* Variable-length strings of dataset d or attribute a (the other < 0), n of them, into out;
 * HDF5 reads only their descriptors. Returns what is wrong, or NULL; *bad: the string it is
 * about, *len its length when that is the problem. */
static const char *read_vlen_strings(hid_t d, hid_t a, int64_t n, size_t max_len, char **out,
                                     int64_t *bad, uint64_t *len)
{
    struct heap h = {.cols = NULL};
    if (raw_file(d >= 0 ? d : a, &h.f)) return "cannot locate its file's bytes";
    const size_t dsz = 8 + h.f.sa;
    unsigned char *desc = malloc(dsz * (size_t)n + 1);
    hid_t op = H5Tcreate(H5T_OPAQUE, dsz);
    const char *why = NULL;
    if (!desc || op < 0)
        why = "out of memory";
    else if (n && (d >= 0 ? H5Dread(d, op, H5S_ALL, H5S_ALL, H5P_DEFAULT, desc)
                          : H5Aread(a, op, desc)) < 0)
        why = "its string descriptors cannot be read";
    h.cols = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, gcol_free);
    h.col_max = gcol_max(&h.f, max_len);
    h.col_budget = h.str_budget = h.f.bytes;
    for (int64_t i = 0; !why && i < n; i++) {
        why = heap_string(&h, desc + dsz * (size_t)i, max_len, len, &out[i]);
        if (why || !out[i]) *bad = i;
        if (!why && !out[i]) break;
    }
    g_hash_table_destroy(h.cols);
    if (op >= 0) H5Tclose(op);
    free(desc);
    H5Eclear2(H5E_DEFAULT);
    return why;
}

/* Reads the n strings of file type t of d (a dataset) or a (an attribute) into new strings,
 * each at most max_len bytes; what names them in messages ("/class_names"). */
static int read_str_values(hid_t d, hid_t a, hid_t t, int64_t n, size_t max_len, char **out,
                           const char *file, const char *what, struct sekit_err *e)
{
    int64_t bad = -1;
    uint64_t len = 0;
    const char *why = NULL;
    if (max_len > SEKIT_H5_MAX_STRING) max_len = SEKIT_H5_MAX_STRING;
    if (H5Tis_variable_str(t) > 0) {
        why = read_vlen_strings(d, a, n, max_len, out, &bad, &len);
    } else if ((len = H5Tget_size(t)) > max_len) {
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %s holds strings of %llu bytes (at most %zu)",
                          file, what, (unsigned long long)len, max_len);
    } else {
        /* the fixed-length values are in the file: the caller bounded n * len by its size */
        const size_t w = (size_t)len;
        char *buf = malloc(w * (size_t)n + 1);
        if (!buf)
            why = "out of memory";
        else if (n && (d >= 0 ? H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)
                              : H5Aread(a, t, buf)) < 0)
            why = "its strings cannot be read";
        for (int64_t i = 0; !why && i < n; i++)
            if (!(out[i] = strndup(buf + w * (size_t)i, w))) why = "out of memory";
        free(buf);
        H5Eclear2(H5E_DEFAULT);
    }
    char at[32] = "";
    if (bad >= 0 && n > 1) snprintf(at, sizeof at, "[%lld]", (long long)bad);
    if (why)
        return sekit_errf(e, strcmp(why, "out of memory") ? SEKIT_EFORMAT : SEKIT_ENOMEM,
                          "%s: %s%s: %s", file, what, at, why);
    if (bad >= 0)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %s%s is a string of %llu bytes (at most %zu)",
                          file, what, at, (unsigned long long)len, max_len);
    return SEKIT_OK;
}

int sekit_h5_read_strings(hid_t loc, const char *file, const char *name, int64_t *n, size_t max_len,
                          char ***out, struct sekit_err *e)
{
    *out = NULL;
    int64_t dims[2] = {*n, 0};
    hid_t d;
    int rc = open_checked(loc, file, name, SEKIT_H5_STRING, 1, dims, &d, e);
    if (rc) return rc;
    char **v = calloc((size_t)dims[0] + 1, sizeof *v);
    hid_t t = H5Dget_type(d);
    if (!v || t < 0)
        rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for %s", file, name);
    else
        rc = read_str_values(d, -1, t, dims[0], max_len, v, file, name, e);
    if (rc) {
        sekit_h5_strings_free(v, dims[0]);
    } else {
        *out = v;
        *n = dims[0];
    }
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* attribute messages, checked before libhdf5 decodes them */

/* The file address of obj's object header. */
static int header_addr(hid_t obj, uint64_t *addr)
{
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t oi;
    haddr_t a = HADDR_UNDEF;
    if (H5Oget_info3(obj, &oi, H5O_INFO_BASIC) < 0 ||
        H5VLnative_token_to_addr(obj, oi.token, &a) < 0)
        return -1;
#else
    H5O_info_t oi;
    if (H5Oget_info2(obj, &oi, H5O_INFO_BASIC) < 0) return -1;
    const haddr_t a = oi.addr;
#endif
    *addr = a;
    return a == HADDR_UNDEF ? -1 : 0;
}

/* An attribute message (the specification's "Attribute Message", versions 1 to 3) of msize
 * bytes: its name ends within its name field, its datatype and dataspace lie within the
 * message, and the values they declare fit in what follows. libhdf5 1.10 copies the name with
 * strdup and the values with memcpy of the declared size, past the message of a corrupt one
 * (under H5Aexists, which decodes every attribute of the object). */
static int attr_message_sound(const struct raw_file *f, const unsigned char *d, uint64_t msize)
{
    if (msize < 9 || d[0] < 1 || d[0] > 3) return 0;
    const unsigned ver = d[0], flags = ver > 1 ? d[1] : 0;
    const uint64_t nl = get_le(d + 2, 2), tl = get_le(d + 4, 2), sl = get_le(d + 6, 2);
    const uint64_t nat = ver == 3 ? 9 : 8, tat = nat + (ver == 1 ? (nl + 7) / 8 * 8 : nl),
                   sat = tat + (ver == 1 ? (tl + 7) / 8 * 8 : tl),
                   end = sat + (ver == 1 ? (sl + 7) / 8 * 8 : sl);
    if (nl < 1 || end > msize || d[nat + nl - 1] != 0) return 0;
    /* a shared datatype or dataspace is stored elsewhere: its size is not here */
    if (flags & 3) return 1;
    if (tl < 8 || sl < 4) return 0;
    const unsigned char *t = d + tat, *sp = d + sat;
    /* a variable-length value is stored as its descriptor (length, collection, object), of the
     * size its datatype then declares: libhdf5 sizes its copy by the one and reads by the other */
    const uint64_t esize = get_le(t + 4, 4);
    if ((t[0] & 0x0f) == 9 && esize != 8 + f->sa) return 0;
    const unsigned rank = sp[1], dims_at = sp[0] == 1 ? 8 : 4;
    if (sp[0] < 1 || sp[0] > 2 || rank > 32 || dims_at + (uint64_t)rank * f->ss > sl) return 0;
    uint64_t n = sp[0] == 2 && sp[3] == 2 ? 0 : 1, room = msize - end;
    for (unsigned i = 0; i < rank && n; i++) {
        const uint64_t dim = get_le(sp + dims_at + (uint64_t)i * f->ss, f->ss);
        if (dim && n > UINT64_MAX / dim) return 0;
        n *= dim;
    }
    return !n || !esize || n <= room / esize;
}

/* Every attribute message in the object header of obj is sound (attr_message_sound), or
 * SEKIT_EFORMAT naming where. Version 1 headers (sekit's and h5py's) and version 2 ones
 * ("OHDR", continued in "OCHK" blocks) are read; their messages and continuations are bounded
 * by the file. */
static int attrs_sound(hid_t obj, const char *file, const char *where, struct sekit_err *e)
{
    enum { MAX_CHUNKS = 64 };
    struct raw_file f;
    uint64_t addr, at[MAX_CHUNKS], len[MAX_CHUNKS];
    unsigned char head[64];
    if (raw_file(obj, &f) || header_addr(obj, &addr) || f.base > f.bytes ||
        addr > f.bytes - f.base || f.bytes - f.base - addr < 16 ||
        sekit_pread_full(f.fd, head, 16, f.base + addr))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: %s: its object header cannot be read", file,
                          where);
    const int v2 = !memcmp(head, "OHDR", 4);
    int nchunks = 1;
    if (v2) {
        /* signature, version, flags, [4 times], [2 attribute storage sizes], chunk 0 size */
        const unsigned fl = head[5];
        const uint64_t pre = 6 + (fl & 0x20 ? 16 : 0) + (fl & 0x10 ? 4 : 0);
        if (head[4] != 2 || sekit_pread_full(f.fd, head, pre + 8, f.base + addr)) nchunks = 0;
        at[0] = addr + pre + (1u << (fl & 3)), len[0] = get_le(head + pre, 1u << (fl & 3));
    } else {
        /* version, reserved, messages, references, chunk 0 size, then padding to 16 bytes */
        at[0] = addr + 16, len[0] = get_le(head + 8, 4);
        if (head[0] != 1) nchunks = 0;
    }
    unsigned char *buf = NULL;
    int rc = nchunks ? SEKIT_OK : SEKIT_EFORMAT, nattr = 0;
    uint64_t budget = f.bytes; /* valid chunks never overlap */
    for (int c = 0; !rc && c < nchunks; c++) {
        /* a v2 continuation block starts with "OCHK"; every v2 chunk ends with a checksum */
        const uint64_t skip = v2 && c ? 4 : 0, tail = v2 ? 4 : 0;
        if (at[c] > f.bytes - f.base || len[c] > f.bytes - f.base - at[c] || len[c] > budget ||
            len[c] < skip + tail || !(buf = realloc(buf, len[c] + 1)) ||
            sekit_pread_full(f.fd, buf, len[c], f.base + at[c]) ||
            (skip && memcmp(buf, "OCHK", 4))) {
            rc = SEKIT_EFORMAT;
            break;
        }
        budget -= len[c];
        const uint64_t stop = len[c] - tail, mh = v2 ? 4 : 8;
        for (uint64_t p = skip; !rc && stop - p >= mh;) {
            const unsigned type = (unsigned)(v2 ? buf[p] : get_le(buf + p, 2));
            const unsigned mflags = v2 ? buf[p + 3] : buf[p + 4];
            const uint64_t msize = get_le(buf + p + (v2 ? 1 : 2), 2),
                           data = p + mh + (v2 && (mflags & 4) ? 2 : 0);
            if (data > stop || msize > stop - data) {
                rc = SEKIT_EFORMAT;
                break;
            }
            const unsigned char *m = buf + data;
            if (type == 0x0c && !(mflags & 2) && !attr_message_sound(&f, m, msize)) {
                rc = SEKIT_EFORMAT;
                break;
            }
            nattr += type == 0x0c;
            /* a continuation: the address and length of the next chunk */
            if (type == 0x10) {
                if (nchunks == MAX_CHUNKS || msize < f.sa + f.ss) {
                    rc = SEKIT_EFORMAT;
                    break;
                }
                at[nchunks] = get_le(m, f.sa), len[nchunks++] = get_le(m + f.sa, f.ss);
            }
            p = data + msize;
        }
    }
    free(buf);
    if (rc)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: %s: its object header is corrupt at attribute %d (a name, type, "
                          "dataspace or values past its message, or a chunk past the file)",
                          file, where, nattr);
    return SEKIT_OK;
}

/* Opens attribute name of obj and checks its class, and that its values fit in the file; *a -1
 * when absent. */
static int attr_open(hid_t obj, const char *file, const char *where, const char *name, int required,
                     enum sekit_h5_class cls, hid_t *a, int64_t *count, struct sekit_err *e)
{
    sekit_h5_init();
    *a = -1;
    int rc = attrs_sound(obj, file, where, e);
    if (rc) return rc;
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return required
                   ? sekit_errf(e, SEKIT_EFORMAT, "%s: %s has no attribute %s", file, where, name)
                   : SEKIT_OK;
    }
    hid_t at = H5Aopen(obj, name, H5P_DEFAULT), t = at < 0 ? -1 : H5Aget_type(at),
          sp = at < 0 ? -1 : H5Aget_space(at);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    const uint64_t ts = t < 0 ? 0 : H5Tget_size(t);
    struct raw_file r;
    char what[160];
    snprintf(what, sizeof what, "%s attribute %s", where, name);
    rc = check_type(t, cls, file, what, e);
    if (!rc && (np < 0 || ts == 0 || raw_file(at, &r)))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s is malformed", file, what);
    /* an attribute's values are stored in the file, uncompressed */
    else if (!rc && (uint64_t)np > r.bytes / ts)
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: %s declares %llu values of %llu bytes in a file of %llu bytes "
                        "(corrupt)",
                        file, what, (unsigned long long)np, (unsigned long long)ts,
                        (unsigned long long)r.bytes);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (rc && at >= 0) H5Aclose(at);
    if (!rc) *a = at, *count = np;
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int sekit_h5_attr_read_str(hid_t obj, const char *file, const char *where, const char *name,
                           int required, size_t max_len, char **out, struct sekit_err *e)
{
    hid_t a;
    int64_t n = 0;
    int rc = attr_open(obj, file, where, name, required, SEKIT_H5_STRING, &a, &n, e);
    if (rc || a < 0) return rc;
    hid_t t = H5Aget_type(a);
    char *v = NULL, what[160];
    snprintf(what, sizeof what, "%s attribute %s", where, name);
    if (n != 1 || t < 0)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s is not one string", file, what);
    else if (!(rc = read_str_values(-1, a, t, 1, max_len, &v, file, what, e)))
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
    int64_t *v = NULL;
    if (cnt > SEKIT_H5_MAX_VALUES)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %s attribute %s holds %lld values (at most %lld)",
                        file, where, name, (long long)cnt, (long long)SEKIT_H5_MAX_VALUES);
    else if (!(v = malloc(sizeof *v * (size_t)(cnt + 1))))
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
