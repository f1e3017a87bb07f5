/*
 * record.c -- the journal and the HDF5 recording file. See record.h for the crash-safety design
 * and docs/record-format.md for the schema.
 */
#include "record.h"
#include "threads.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define JOURNAL_MAGIC "SEKITJ01"
#define DEFLATE_LEVEL 1
#define CHUNK_BYTES (256 * 1024) /* target size of one HDF5 chunk */
#define CONVERT_ROWS 2048        /* journal rows converted per HDF5 write */

struct sekit_rec {
    const struct sekit_rec_spec *spec;
    char *out, *journal, *tmp;
    char *desc;
    int fd;
    uint64_t data_start;
    size_t rec_bytes;
    int64_t sum_c;
    int64_t rows; /* rows in the journal */
    int complete_already;
    unsigned char *buf; /* one batch of records */
    size_t buf_rows;
    char *side;       /* OUT.journal.z: gate chunks compressed ahead */
    struct ahead *ah; /* NULL: everything is compressed by the finish step */
    int nd, *dchan;   /* gate datasets (excitation, then squeeze) and their channels */
    hsize_t *crow;    /* rows per chunk of each gate dataset */
};

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static char *strcat3(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", a, b);
    return p;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_full_at(int fd, void *buf, size_t n, uint64_t off)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int sekit_sha256_file(const char *path, char hex[65], struct sekit_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", path, strerror(errno));
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        g_checksum_update(c, buf, (gssize)n);
    int bad = ferror(f);
    fclose(f);
    if (!bad) snprintf(hex, 65, "%s", g_checksum_get_string(c));
    g_checksum_free(c);
    return bad ? sekit_errf(e, SEKIT_EIO, "%s: read error", path) : SEKIT_OK;
}

/* The run's description: what must be equal for --resume to continue a journal. */
static char *describe(const struct sekit_rec_spec *s, size_t rec_bytes)
{
    GString *g = g_string_new("");
    g_string_append_printf(g, "model_sha256=%s\ndataset=%s\ndataset_format=%s\nsplit=%s\n",
                           s->model_sha256, s->dataset, s->dataset_format, s->split);
    g_string_append(g, "classes=");
    for (int i = 0; i < s->nsel_classes; i++)
        g_string_append_printf(g, "%s%s", i ? "," : "", s->class_names[s->sel_classes[i]]);
    g_string_append_printf(g, "\nper_class=%lld\nseed=%llu\npreprocessing=%s\nblocks=",
                           (long long)s->per_class, (unsigned long long)s->seed, s->preprocessing);
    for (int i = 0; i < s->nblocks; i++)
        g_string_append_printf(g, "%s%s", i ? "," : "", s->blocks[i].name);
    g_string_append_printf(g, "\nsqueeze=%d\nbatch=%d\nrows=%lld\nrecord_bytes=%zu\n", s->squeeze,
                           s->batch, (long long)s->n, rec_bytes);
    return g_string_free(g, FALSE);
}

/* Names the first line where two descriptions differ. */
static int explain_mismatch(struct sekit_err *e, const char *journal, const char *old,
                            const char *now)
{
    const char *a = old, *b = now;
    while (*a && *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0)
            return sekit_errf(e, SEKIT_EINVAL,
                              "%s: --resume refused: the interrupted run had %.*s, this one has "
                              "%.*s (use --force to start over)",
                              journal, (int)(la > 200 ? 200 : la), a, (int)(lb > 200 ? 200 : lb),
                              b);
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return sekit_errf(e, SEKIT_EINVAL, "%s: --resume refused: it describes another run", journal);
}

/* ---------------------------------------------------------------------------------------- */
/* HDF5 boundary: errors become one-line messages */

static herr_t first_error(unsigned n, const H5E_error2_t *err, void *data)
{
    char *msg = data;
    if (n == 0) snprintf(msg, 200, "%s", err->desc ? err->desc : "unknown");
    return 0;
}

static int h5fail(struct sekit_err *e, const char *path, const char *what)
{
    char msg[200] = "unknown HDF5 error";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, first_error, msg);
    H5Eclear2(H5E_DEFAULT);
    return sekit_errf(e, SEKIT_EHDF5, "%s: cannot %s: %s", path, what, msg);
}

/* Variable-length UTF-8, so h5py reads str rather than bytes. */
static int attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc < 0;
}

static int attr_i64(hid_t obj, const char *name, const int64_t *v, hsize_t n)
{
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc < 0;
}

/* Rows per chunk of a dataset of rows x row_bytes. */
static hsize_t chunk_rows(hsize_t rows, size_t row_bytes)
{
    hsize_t crow = CHUNK_BYTES / row_bytes;
    if (crow < 1) crow = 1;
    if (crow > rows) crow = rows ? rows : 1;
    return crow;
}

/* A chunked, shuffled, deflated dataset of rows x cols (cols 0: 1-D). */
static hid_t make_dataset(hid_t loc, const char *name, hid_t type, hsize_t rows, hsize_t cols)
{
    int rank = cols ? 2 : 1;
    hsize_t dims[2] = {rows, cols};
    hsize_t chunk[2] = {chunk_rows(rows, H5Tget_size(type) * (cols ? cols : 1)), cols};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, DEFLATE_LEVEL);
    hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return d;
}

static int write_rows(hid_t d, hid_t memtype, hsize_t first, hsize_t n, hsize_t cols,
                      const void *data)
{
    int rank = cols ? 2 : 1;
    hsize_t start[2] = {first, 0}, count[2] = {n, cols};
    hid_t fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    herr_t rc = H5Dwrite(d, memtype, ms, fs, H5P_DEFAULT, data);
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0;
}

/* A dimension scale dataset holding 0..n-1. */
static hid_t make_scale(hid_t loc, const char *name, hsize_t n)
{
    hid_t d = make_dataset(loc, name, H5T_STD_I64LE, n, 0);
    if (d < 0) return d;
    int64_t *v = malloc(sizeof(int64_t) * (n ? n : 1));
    if (!v) {
        H5Dclose(d);
        return -1;
    }
    for (hsize_t i = 0; i < n; i++)
        v[i] = (int64_t)i;
    int bad = n && write_rows(d, H5T_NATIVE_INT64, 0, n, 0, v);
    free(v);
    if (bad || H5DSset_scale(d, name) < 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

static int write_strings(hid_t loc, const char *name, const char *const *v, hsize_t n, hid_t *out)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t d = make_dataset(loc, name, t, n, 0);
    int bad = d < 0 || (n && write_rows(d, t, 0, n, 0, v));
    H5Tclose(t);
    if (out && !bad)
        *out = d;
    else if (d >= 0)
        H5Dclose(d);
    return bad;
}

/* ---------------------------------------------------------------------------------------- */

static int h5_complete(const char *path, int64_t n)
{
    int64_t rows = -1, fv = -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        hid_t a = H5Aopen(f, "n_images", H5P_DEFAULT);
        if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &rows), H5Aclose(a);
        a = H5Aopen(f, "format_version", H5P_DEFAULT);
        if (a >= 0) H5Aread(a, H5T_NATIVE_INT64, &fv), H5Aclose(a);
        H5Fclose(f);
    }
    H5Eclear2(H5E_DEFAULT);
    return rows == n && fv == SEKIT_RECORD_FORMAT_VERSION;
}

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Validates the journal's records; truncates after the last whole, correct one. */
static int resume_journal(struct sekit_rec *r, struct sekit_err *e)
{
    struct stat sb;
    char head[16];
    if (fstat(r->fd, &sb) || read_full_at(r->fd, head, 16, 0) || memcmp(head, JOURNAL_MAGIC, 8))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not a sekit journal", r->journal);
    uint64_t dl;
    memcpy(&dl, head + 8, 8);
    if (dl > (1u << 24) || 16 + dl > (uint64_t)sb.st_size)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: corrupt journal header", r->journal);
    char *old = malloc(dl + 1);
    if (!old) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (read_full_at(r->fd, old, dl, 16)) {
        free(old);
        return sekit_errf(e, SEKIT_EIO, "%s: read error", r->journal);
    }
    old[dl] = 0;
    int rc = SEKIT_OK;
    if (strcmp(old, r->desc) != 0) rc = explain_mismatch(e, r->journal, old, r->desc);
    free(old);
    if (rc) return rc;
    r->data_start = 16 + dl;
    int64_t whole = (int64_t)(((uint64_t)sb.st_size - r->data_start) / r->rec_bytes), good = 0;
    unsigned char *rec = malloc(r->rec_bytes);
    if (!rec) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (; good < whole && good < r->spec->n; good++) {
        if (read_full_at(r->fd, rec, r->rec_bytes, r->data_start + (uint64_t)good * r->rec_bytes))
            break;
        uint64_t row;
        uint32_t crc;
        memcpy(&row, rec, 8);
        memcpy(&crc, rec + r->rec_bytes - 4, 4);
        if (row != (uint64_t)good || crc != crc_of(rec, r->rec_bytes - 4)) break;
    }
    free(rec);
    good -= good % r->spec->batch;
    if (ftruncate(r->fd, (off_t)(r->data_start + (uint64_t)good * r->rec_bytes)) ||
        lseek(r->fd, 0, SEEK_END) < 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot truncate: %s", r->journal, strerror(errno));
    r->rows = good;
    return SEKIT_OK;
}

/*
 * The gate datasets are most of a recording, and deflating them was most of the time `record`
 * spends beyond `eval`. HDF5 filters run on one thread, so sekit applies the same two filters
 * itself, chunk by chunk on all cores, and hands HDF5 the finished chunks (H5Dwrite_chunk):
 * shuffle (byte k of every element, then byte k + 1, ...) and deflate (a zlib stream, as
 * HDF5's H5Z_shuffle and H5Z_deflate write), so any HDF5 reader decodes them.
 */
struct zchunk {
    int di;                 /* gate dataset: excitation blocks, then squeeze blocks */
    hsize_t row0;           /* first row of the chunk */
    unsigned char *raw, *z; /* full chunk (rows past the end are zero), compressed */
    size_t raw_bytes, z_bytes;
    int failed;
};

struct zbatch {
    struct zchunk *c;
    int n, shares;
};

static void compress_one(struct zchunk *c)
{
    const size_t n = c->raw_bytes / 4;
    unsigned char *sh = malloc(c->raw_bytes);
    uLongf zl = compressBound((uLong)c->raw_bytes);
    c->z = malloc(zl);
    if (!sh || !c->z) {
        free(sh);
        c->failed = 1;
        return;
    }
    for (size_t k = 0; k < 4; k++)
        for (size_t j = 0; j < n; j++)
            sh[k * n + j] = c->raw[j * 4 + k];
    /* Huffman coding alone: after the shuffle a gate chunk's redundancy sits in its exponent
     * and high mantissa bytes, which entropy coding catches; string matching would find little
     * more (9% smaller files) at twice the time. Any deflate reader decodes it. */
    z_stream zs = {0};
    c->failed = deflateInit2(&zs, 1, Z_DEFLATED, 15, 8, Z_HUFFMAN_ONLY) != Z_OK;
    if (!c->failed) {
        zs.next_in = sh;
        zs.avail_in = (uInt)c->raw_bytes;
        zs.next_out = c->z;
        zs.avail_out = (uInt)zl;
        c->failed = deflate(&zs, Z_FINISH) != Z_STREAM_END;
        zl = zs.total_out;
        deflateEnd(&zs);
    }
    c->z_bytes = zl;
    free(sh);
}

static void compress_share(void *ctx, int t)
{
    struct zbatch *b = ctx;
    for (int i = t; i < b->n; i += b->shares)
        compress_one(&b->c[i]);
}

/* Compresses the pending chunks in parallel, writes them to their datasets (d[di]) in order
 * and frees them. */
static int flush_chunks(struct zchunk *c, int n, const hid_t *d)
{
    int shares = sekit_threads() < n ? sekit_threads() : n, bad = 0;
    struct zbatch b = {c, n, shares};
    if (n > 0) sekit_parallel(shares, compress_share, &b);
    for (int i = 0; i < n; i++) {
        hsize_t off[2] = {c[i].row0, 0};
        bad |= c[i].failed ||
               H5Dwrite_chunk(d[c[i].di], H5P_DEFAULT, 0, off, c[i].z_bytes, c[i].z) < 0;
        free(c[i].raw);
        free(c[i].z);
    }
    return bad;
}

/*
 * Compressing ahead. While the network runs, a background thread at the lowest scheduling
 * priority (SCHED_IDLE: it yields to the network's threads, and takes the gaps between batches;
 * with every core busy it still costs about the CPU it uses) compresses each gate chunk as soon as
 * its rows are in the journal and appends it to OUT.journal.z: records of {dataset, first row,
 * bytes} and the compressed chunk. The finish step copies those into the HDF5 file and compresses
 * only what is left. The side file is a cache, never needed for correctness: a run that is resumed,
 * or whose compressor falls behind or fails, compresses the rest from the journal at the end.
 * Memory stays flat: at most AHEAD_QUEUE chunks wait, and a chunk that finds the queue full is left
 * to the finish step (and so are all later chunks of its dataset, so each dataset's ahead chunks
 * stay a prefix).
 */
#define AHEAD_QUEUE 8

struct ahead {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct zchunk q[AHEAD_QUEUE];
    int head, len, stop, failed;
    int fd;
    int nd;
    hsize_t *crow, *filled;
    unsigned char **cbuf;
    int *gave_up;  /* dataset no longer fed (a full queue): the rest is the finish step's */
    int64_t *done; /* leading chunks of each dataset in the side file */
    int64_t records;
};

struct zhead {
    int32_t di, pad;
    uint64_t row0, bytes;
};

static void *ahead_main(void *p)
{
    struct ahead *a = p;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (!a->len && !a->stop)
            pthread_cond_wait(&a->work, &a->mu);
        if (a->stop || a->failed) {
            pthread_mutex_unlock(&a->mu);
            return NULL;
        }
        struct zchunk c = a->q[a->head];
        pthread_mutex_unlock(&a->mu);
        compress_one(&c);
        struct zhead h = {c.di, 0, c.row0, c.z_bytes};
        int bad = c.failed || write_full(a->fd, &h, sizeof h) || write_full(a->fd, c.z, c.z_bytes);
        free(c.raw);
        free(c.z);
        pthread_mutex_lock(&a->mu);
        a->head = (a->head + 1) % AHEAD_QUEUE;
        a->len--;
        if (bad)
            a->failed = 1;
        else
            a->done[c.di]++, a->records++;
        pthread_mutex_unlock(&a->mu);
    }
}

/* Starts compressing ahead for a fresh run; NULL (no error: the finish step does it all) when
 * it cannot. */
static struct ahead *ahead_start(const char *side, int nd, const hsize_t *crow)
{
    struct ahead *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->nd = nd;
    a->crow = malloc(sizeof *a->crow * (size_t)nd);
    a->filled = calloc((size_t)nd, sizeof *a->filled);
    a->cbuf = calloc((size_t)nd, sizeof *a->cbuf);
    a->gave_up = calloc((size_t)nd, sizeof *a->gave_up);
    a->done = calloc((size_t)nd, sizeof *a->done);
    a->fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (!a->crow || !a->filled || !a->cbuf || !a->gave_up || !a->done || a->fd < 0) goto fail;
    memcpy(a->crow, crow, sizeof *a->crow * (size_t)nd);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    if (pthread_create(&a->tid, NULL, ahead_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->work);
        goto fail;
    }
    struct sched_param sp = {0};
    pthread_setschedparam(a->tid, SCHED_IDLE, &sp); /* best effort */
    return a;
fail:
    if (a->fd >= 0) close(a->fd);
    unlink(side);
    free(a->crow), free(a->filled), free(a->cbuf), free(a->gave_up), free(a->done);
    free(a);
    return NULL;
}

/* Feeds nb journal records (rows first..) to the chunks being filled; queues full chunks. */
static void ahead_feed(struct ahead *a, const unsigned char *recs, size_t rec_bytes, int64_t first,
                       int nb, size_t off0, const int *channels)
{
    for (int j = 0; j < nb; j++) {
        const unsigned char *src = recs + rec_bytes * (size_t)j + off0;
        for (int i = 0; i < a->nd; i++) {
            const size_t C = (size_t)channels[i];
            const unsigned char *gates = src;
            src += 4 * C;
            if (a->gave_up[i]) continue;
            if (!a->cbuf[i] && !(a->cbuf[i] = malloc(4 * C * a->crow[i]))) {
                a->gave_up[i] = 1;
                continue;
            }
            memcpy(a->cbuf[i] + 4 * C * a->filled[i], gates, 4 * C);
            if (++a->filled[i] < a->crow[i]) continue;
            pthread_mutex_lock(&a->mu);
            if (a->len < AHEAD_QUEUE && !a->failed) {
                a->q[(a->head + a->len) % AHEAD_QUEUE] =
                    (struct zchunk){.di = i,
                                    .row0 = (hsize_t)(first + j + 1) - a->crow[i],
                                    .raw = a->cbuf[i],
                                    .raw_bytes = 4 * C * a->crow[i]};
                a->len++;
                a->cbuf[i] = NULL;
                a->filled[i] = 0;
                pthread_cond_signal(&a->work);
            } else {
                a->gave_up[i] = 1;
            }
            pthread_mutex_unlock(&a->mu);
        }
    }
}

/* Stops the compressor (it finishes the chunk in hand) and drops what it had not started. */
static void ahead_stop(struct ahead *a)
{
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->tid, NULL);
    for (int k = 0; k < a->len; k++)
        free(a->q[(a->head + k) % AHEAD_QUEUE].raw);
    a->len = 0;
    for (int i = 0; i < a->nd; i++) {
        free(a->cbuf[i]);
        a->cbuf[i] = NULL;
    }
    close(a->fd);
    a->fd = -1;
}

static void ahead_free(struct ahead *a)
{
    if (!a) return;
    if (a->fd >= 0) ahead_stop(a);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->work);
    free(a->crow), free(a->filled), free(a->cbuf), free(a->gave_up), free(a->done);
    free(a);
}

int sekit_rec_open(struct sekit_rec **out, const struct sekit_rec_spec *spec, int resume, int force,
                   int64_t *done, struct sekit_err *e)
{
    *out = NULL;
    *done = 0;
    struct sekit_rec *r = calloc(1, sizeof *r);
    if (!r) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    r->fd = -1;
    r->spec = spec;
    SEKIT_ASSERT(spec->batch >= 1);
    for (int i = 0; i < spec->nblocks; i++)
        r->sum_c += spec->blocks[i].channels;
    r->rec_bytes = 8 + 4 + 4 + 4 * (size_t)spec->num_classes +
                   4 * (size_t)r->sum_c * (spec->squeeze ? 2 : 1) + 4;
    r->out = strdup(spec->out_path);
    r->journal = strcat3(spec->out_path, ".journal");
    r->tmp = strcat3(spec->out_path, ".tmp");
    r->side = strcat3(spec->out_path, ".journal.z");
    r->desc = describe(spec, r->rec_bytes);
    r->nd = spec->nblocks * (spec->squeeze ? 2 : 1);
    r->dchan = malloc(sizeof *r->dchan * (size_t)(r->nd + 1));
    r->crow = malloc(sizeof *r->crow * (size_t)(r->nd + 1));
    for (int i = 0; r->dchan && r->crow && i < r->nd; i++) {
        r->dchan[i] = spec->blocks[i % spec->nblocks].channels;
        r->crow[i] = chunk_rows((hsize_t)spec->n, 4 * (size_t)r->dchan[i]);
    }
    int rc = SEKIT_OK;
    if (!r->out || !r->journal || !r->tmp || !r->side || !r->desc || !r->dchan || !r->crow) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto fail;
    }
    {
        char *dircopy = strdup(spec->out_path);
        const char *dir = dircopy ? dirname(dircopy) : ".";
        struct stat sb;
        if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
            rc = sekit_errf(e, SEKIT_EIO, "%s: output directory does not exist", dir);
        else if (access(dir, W_OK))
            rc = sekit_errf(e, SEKIT_EIO, "%s: output directory is not writable", dir);
        free(dircopy);
        if (rc) goto fail;
    }
    unlink(r->side); /* a cache of a run that did not finish */
    int have_out = access(r->out, F_OK) == 0, have_journal = access(r->journal, F_OK) == 0;
    if (force) {
        if ((have_out && unlink(r->out)) || (have_journal && unlink(r->journal))) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot remove the old recording: %s", r->out,
                            strerror(errno));
            goto fail;
        }
        have_out = have_journal = 0;
    }
    if (have_out) {
        if (!resume) {
            rc = sekit_errf(e, SEKIT_EINVAL, "%s: exists (--force overwrites it)", r->out);
            goto fail;
        }
        if (!h5_complete(r->out, spec->n)) {
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "%s: exists and is not a complete recording of %lld images; "
                            "--resume refused (--force overwrites it)",
                            r->out, (long long)spec->n);
            goto fail;
        }
        /* the rename happened but the journal was not yet removed */
        if (have_journal) unlink(r->journal);
        r->complete_already = 1;
        *done = spec->n;
        *out = r;
        return SEKIT_OK;
    }
    if (have_journal && !resume) {
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: an interrupted recording is in progress (--resume continues it, "
                        "--force starts over)",
                        r->journal);
        goto fail;
    }
    if (have_journal) {
        r->fd = open(r->journal, O_RDWR | O_CLOEXEC);
        if (r->fd < 0) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", r->journal, strerror(errno));
            goto fail;
        }
        if ((rc = resume_journal(r, e))) goto fail;
    } else {
        r->fd = open(r->journal, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (r->fd < 0) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", r->journal, strerror(errno));
            goto fail;
        }
        uint64_t dl = strlen(r->desc);
        char head[16];
        memcpy(head, JOURNAL_MAGIC, 8);
        memcpy(head + 8, &dl, 8);
        if (write_full(r->fd, head, 16) || write_full(r->fd, r->desc, dl)) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: write error: %s", r->journal, strerror(errno));
            goto fail;
        }
        r->data_start = 16 + dl;
        /* a resumed run compresses everything at the end: its first rows never passed here */
        r->ah = ahead_start(r->side, r->nd, r->crow);
    }
    *done = r->rows;
    *out = r;
    return SEKIT_OK;
fail:
    sekit_rec_close(r);
    return rc;
}

int sekit_rec_append(struct sekit_rec *r, const struct sekit_model *m, int64_t first, int nb,
                     const int *labels, const int *predictions, const float *logits,
                     struct sekit_err *e)
{
    const struct sekit_rec_spec *s = r->spec;
    SEKIT_ASSERT(!r->complete_already && first == r->rows && first + nb <= s->n);
    if ((size_t)nb > r->buf_rows) {
        free(r->buf);
        r->buf = malloc(r->rec_bytes * (size_t)nb);
        if (!r->buf) {
            r->buf_rows = 0;
            return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        }
        r->buf_rows = (size_t)nb;
    }
    const int K = s->num_classes;
    for (int i = 0; i < nb; i++) {
        unsigned char *p = r->buf + r->rec_bytes * (size_t)i;
        uint64_t row = (uint64_t)(first + i);
        int32_t lab = labels[i], pred = predictions[i];
        memcpy(p, &row, 8), p += 8;
        memcpy(p, &lab, 4), p += 4;
        memcpy(p, &pred, 4), p += 4;
        memcpy(p, logits + (size_t)i * K, 4 * (size_t)K), p += 4 * (size_t)K;
        for (int pass = 0; pass < (s->squeeze ? 2 : 1); pass++)
            for (int b = 0; b < s->nblocks; b++) {
                int C = s->blocks[b].channels, mi = s->blocks[b].model_index;
                const float *v = pass ? sekit_model_squeeze(m, mi) : sekit_model_gate(m, mi);
                memcpy(p, v + (size_t)i * C, 4 * (size_t)C);
                p += 4 * (size_t)C;
            }
        uint32_t crc = crc_of(r->buf + r->rec_bytes * (size_t)i, r->rec_bytes - 4);
        memcpy(p, &crc, 4);
    }
    if (write_full(r->fd, r->buf, r->rec_bytes * (size_t)nb))
        return sekit_errf(e, SEKIT_EIO, "%s: write error: %s", r->journal, strerror(errno));
    if (r->ah) ahead_feed(r->ah, r->buf, r->rec_bytes, first, nb, 16 + 4 * (size_t)K, r->dchan);
    r->rows += nb;
    return SEKIT_OK;
}

/* Writes OUT.tmp from the journal. */
/* Writes the chunks of the side file into the gate datasets d[]; cov[i] gets the rows of
 * dataset i they hold. A side file that does not read back as written is ignored (cov stays 0,
 * and the journal path rewrites whatever chunks were copied). Non-zero: an HDF5 write failed. */
static int copy_ahead(const struct sekit_rec *r, const hid_t *d, hsize_t *cov)
{
    const struct ahead *a = r->ah;
    int fd = open(r->side, O_RDONLY | O_CLOEXEC), bad = fd < 0;
    unsigned char *z = NULL;
    uint64_t pos = 0;
    for (int64_t k = 0; !bad && k < a->records; k++) {
        struct zhead h;
        if (read_full_at(fd, &h, sizeof h, pos) || h.di < 0 || h.di >= r->nd ||
            h.row0 % r->crow[h.di] || h.row0 >= (uint64_t)r->spec->n ||
            h.bytes > compressBound((uLong)(4 * (size_t)r->dchan[h.di] * r->crow[h.di]))) {
            bad = 1;
            break;
        }
        unsigned char *nz = realloc(z, h.bytes ? h.bytes : 1);
        if (!nz || read_full_at(fd, nz, h.bytes, pos + sizeof h)) {
            if (nz) z = nz;
            bad = 1;
            break;
        }
        z = nz;
        pos += sizeof h + h.bytes;
        hsize_t off[2] = {h.row0, 0};
        if (H5Dwrite_chunk(d[h.di], H5P_DEFAULT, 0, off, h.bytes, z) < 0) {
            free(z);
            close(fd);
            return 1;
        }
    }
    free(z);
    if (fd >= 0) close(fd);
    for (int i = 0; !bad && i < r->nd; i++)
        cov[i] = (hsize_t)a->done[i] * r->crow[i];
    return 0;
}

static int convert(struct sekit_rec *r, struct sekit_err *e)
{
    const struct sekit_rec_spec *s = r->spec;
    const hsize_t N = (hsize_t)s->n;
    const int K = s->num_classes, nb = s->nblocks, nsets = s->squeeze ? 2 : 1;
    int rc = SEKIT_OK;
    hid_t f = -1, groups[2] = {-1, -1}, sample = -1, cls = -1, labels = -1, preds = -1, logits = -1,
          sidx = -1, names = -1, paths = -1;
    hid_t *blockd = calloc((size_t)(2 * nb + 1), sizeof(hid_t));
    hid_t *chan = calloc((size_t)(nb + 1), sizeof(hid_t));
    unsigned char *rows = malloc(r->rec_bytes * CONVERT_ROWS);
    int32_t *ibuf = malloc(sizeof(int32_t) * CONVERT_ROWS * 2);
    float *fbuf = malloc(sizeof(float) * CONVERT_ROWS * (size_t)(K > 1 ? K : 1));
    /* per gate dataset: rows already compressed ahead, the chunk being filled and its rows */
    const int nd = r->nd;
    const hsize_t *crow = r->crow;
    hsize_t *filled = calloc((size_t)nd + 1, sizeof *filled),
            *cov = calloc((size_t)nd + 1, sizeof *cov);
    unsigned char **cbuf = calloc((size_t)nd + 1, sizeof *cbuf);
    struct zchunk *pend = calloc(2 * (size_t)sekit_threads(), sizeof *pend);
    int np = 0; /* chunks in pend */
    if (!blockd || !chan || !rows || !ibuf || !fbuf || !filled || !cov || !cbuf || !pend) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < 2 * nb + 1; i++)
        blockd[i] = -1;
    for (int i = 0; i < nb + 1; i++)
        chan[i] = -1;
    unlink(r->tmp);
    f = H5Fcreate(r->tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        rc = h5fail(e, r->tmp, "create the recording");
        goto out;
    }
    /* dimension scales: sample, class, and one channel axis per distinct width */
    if ((sample = make_scale(f, "sample", N)) < 0 || (cls = make_scale(f, "class", (hsize_t)K)) < 0)
        goto h5err;
    for (int b = 0; b < nb; b++) {
        int C = s->blocks[b].channels, found = -1;
        for (int j = 0; j < b; j++)
            if (s->blocks[j].channels == C) found = j;
        if (found >= 0) {
            chan[b] = chan[found];
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "channel_%d", C);
        if ((chan[b] = make_scale(f, name, (hsize_t)C)) < 0) goto h5err;
    }
    if ((labels = make_dataset(f, "labels", H5T_STD_I32LE, N, 0)) < 0 ||
        (preds = make_dataset(f, "predictions", H5T_STD_I32LE, N, 0)) < 0 ||
        (logits = make_dataset(f, "logits", H5T_IEEE_F32LE, N, (hsize_t)K)) < 0 ||
        (sidx = make_dataset(f, "sample_index", H5T_STD_I64LE, N, 0)) < 0)
        goto h5err;
    if (N && write_rows(sidx, H5T_NATIVE_INT64, 0, N, 0, s->sample_index)) goto h5err;
    if (write_strings(f, "class_names", s->class_names, (hsize_t)K, &names)) goto h5err;
    if (s->paths && write_strings(f, "paths", s->paths, N, &paths)) goto h5err;
    const char *gname[2] = {"excitation", "squeeze"};
    for (int g = 0; g < nsets; g++) {
        if ((groups[g] = H5Gcreate2(f, gname[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            goto h5err;
        for (int b = 0; b < nb; b++) {
            const struct sekit_rec_block *bl = &s->blocks[b];
            hid_t d = make_dataset(groups[g], bl->name, H5T_IEEE_F32LE, N, (hsize_t)bl->channels);
            blockd[g * nb + b] = d;
            if (d < 0) goto h5err;
            int64_t st = bl->stage, bk = bl->block, ch = bl->channels, rd = bl->reduced;
            if (attr_str(d, "module", bl->module) || attr_i64(d, "stage", &st, 1) ||
                attr_i64(d, "block", &bk, 1) || attr_i64(d, "channels", &ch, 1) ||
                attr_i64(d, "reduced", &rd, 1) ||
                attr_str(d, "long_name",
                         g ? "squeeze: spatial mean of the residual branch"
                           : "excitation: SE gate (sigmoid output) per channel") ||
                H5DSattach_scale(d, sample, 0) < 0 || H5DSattach_scale(d, chan[b], 1) < 0)
                goto h5err;
        }
    }
    hid_t per_sample[] = {labels, preds, sidx, paths};
    for (size_t i = 0; i < sizeof per_sample / sizeof per_sample[0]; i++)
        if (per_sample[i] >= 0 && H5DSattach_scale(per_sample[i], sample, 0) < 0) goto h5err;
    if (H5DSattach_scale(logits, sample, 0) < 0 || H5DSattach_scale(logits, cls, 1) < 0 ||
        H5DSattach_scale(names, cls, 0) < 0)
        goto h5err;

    /* chunks compressed ahead go in as they are */
    if (r->ah && copy_ahead(r, blockd, cov)) goto h5err;

    /* stream the journal into the datasets */
    for (hsize_t first = 0; first < N; first += CONVERT_ROWS) {
        hsize_t n = N - first < CONVERT_ROWS ? N - first : CONVERT_ROWS;
        if (read_full_at(r->fd, rows, r->rec_bytes * n, r->data_start + first * r->rec_bytes)) {
            rc = sekit_errf(e, SEKIT_EIO, "%s: read error", r->journal);
            goto out;
        }
        for (hsize_t i = 0; i < n; i++) {
            memcpy(&ibuf[i], rows + r->rec_bytes * i + 8, 4);
            memcpy(&ibuf[CONVERT_ROWS + i], rows + r->rec_bytes * i + 12, 4);
            memcpy(fbuf + i * K, rows + r->rec_bytes * i + 16, 4 * (size_t)K);
        }
        if (write_rows(labels, H5T_NATIVE_INT32, first, n, 0, ibuf) ||
            write_rows(preds, H5T_NATIVE_INT32, first, n, 0, ibuf + CONVERT_ROWS) ||
            write_rows(logits, H5T_NATIVE_FLOAT, first, n, (hsize_t)K, fbuf))
            goto h5err;
        size_t off = 16 + 4 * (size_t)K;
        for (int i = 0; i < nd; i++) {
            const size_t C = (size_t)r->dchan[i], cb = 4 * C * crow[i];
            for (hsize_t j = 0; j < n; j++) {
                if (first + j < cov[i]) continue;
                if (!cbuf[i] && !(cbuf[i] = calloc(1, cb))) {
                    rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
                    goto out;
                }
                memcpy(cbuf[i] + 4 * C * filled[i], rows + r->rec_bytes * j + off, 4 * C);
                /* a full chunk, or the last (partial, zero-padded) one */
                if (++filled[i] == crow[i] || first + j + 1 == N) {
                    hsize_t row_end = first + j + 1;
                    pend[np++] = (struct zchunk){
                        .di = i, .row0 = row_end - filled[i], .raw = cbuf[i], .raw_bytes = cb};
                    cbuf[i] = NULL;
                    filled[i] = 0;
                    /* a few chunks in flight at a time: memory stays flat whatever N */
                    if (np == 2 * sekit_threads()) {
                        int bad = flush_chunks(pend, np, blockd);
                        np = 0;
                        if (bad) goto h5err;
                    }
                }
            }
            off += 4 * C;
        }
        int bad = flush_chunks(pend, np, blockd);
        np = 0;
        if (bad) goto h5err;
    }

    /* root attributes, written last */
    {
        int64_t fv = SEKIT_RECORD_FORMAT_VERSION, n64 = s->n, pc = s->per_class,
                seed = (int64_t)s->seed, nk = K;
        int64_t *sel = malloc(sizeof(int64_t) * (size_t)(s->nsel_classes + 1));
        GString *cn = g_string_new("");
        for (int i = 0; sel && i < s->nsel_classes; i++) {
            sel[i] = s->sel_classes[i];
            g_string_append_printf(cn, "%s%s", i ? "," : "", s->class_names[s->sel_classes[i]]);
        }
        char when[64];
        time_t now = time(NULL);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        int bad =
            !sel || attr_i64(f, "format_version", &fv, 1) ||
            attr_str(f, "sekit_version", SEKIT_VERSION) ||
            attr_str(f, "model_path", s->model_path) ||
            attr_str(f, "model_sha256", s->model_sha256) ||
            attr_str(f, "architecture", s->architecture) || attr_str(f, "dataset", s->dataset) ||
            attr_str(f, "dataset_format", s->dataset_format) || attr_str(f, "split", s->split) ||
            attr_str(f, "classes", cn->str) ||
            attr_i64(f, "class_indices", sel, (hsize_t)s->nsel_classes) ||
            attr_i64(f, "per_class", &pc, 1) || attr_i64(f, "seed", &seed, 1) ||
            attr_i64(f, "num_classes", &nk, 1) || attr_str(f, "preprocessing", s->preprocessing) ||
            attr_str(f, "created", when) || attr_i64(f, "n_images", &n64, 1);
        free(sel);
        g_string_free(cn, TRUE);
        if (bad) goto h5err;
    }
    goto out;
h5err:
    rc = h5fail(e, r->tmp, "write the recording");
out:
    for (int i = 0; cbuf && i < nsets * nb; i++)
        free(cbuf[i]);
    for (int i = 0; i < np; i++)
        free(pend[i].raw);
    free(cbuf), free(filled), free(cov), free(pend);
    for (int i = 0; blockd && i < 2 * nb; i++)
        if (blockd[i] >= 0) H5Dclose(blockd[i]);
    for (int b = 0; chan && b < nb; b++) {
        int first_use = 1;
        for (int j = 0; j < b; j++)
            first_use &= chan[j] != chan[b];
        if (chan[b] >= 0 && first_use) H5Dclose(chan[b]);
    }
    hid_t ds[] = {sample, cls, labels, preds, logits, sidx, names, paths};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        if (ds[i] >= 0) H5Dclose(ds[i]);
    for (int g = 0; g < 2; g++)
        if (groups[g] >= 0) H5Gclose(groups[g]);
    if (f >= 0 && H5Fclose(f) < 0 && !rc) rc = h5fail(e, r->tmp, "close the recording");
    free(blockd);
    free(chan);
    free(rows);
    free(ibuf);
    free(fbuf);
    if (rc) unlink(r->tmp);
    return rc;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int sekit_rec_finish(struct sekit_rec *r, struct sekit_err *e)
{
    if (r->complete_already) return SEKIT_OK;
    SEKIT_ASSERT(r->rows == r->spec->n);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (r->ah) ahead_stop(r->ah);
    int rc = convert(r, e);
    unlink(r->side);
    if (rc) return rc;
    char *dircopy = strdup(r->out);
    if (fsync_path(r->tmp, 0) || rename(r->tmp, r->out)) {
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot move into place: %s", r->out, strerror(errno));
        unlink(r->tmp);
    } else {
        if (dircopy) fsync_path(dirname(dircopy), 1);
        close(r->fd);
        r->fd = -1;
        unlink(r->journal);
    }
    free(dircopy);
    return rc;
}

void sekit_rec_close(struct sekit_rec *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    if (r->ah) {
        ahead_free(r->ah);
        unlink(r->side);
    }
    free(r->side), free(r->dchan), free(r->crow);
    free(r->out);
    free(r->journal);
    free(r->tmp);
    free(r->desc);
    free(r->buf);
    free(r);
}
