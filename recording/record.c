/*
 * record.c -- the recording writer: journal -> OUT.XXXXXX.tmp (HDF5) -> OUT. See record.h for the
 * crash-safety design, journal.h for the journal, chunkz.h for the gate chunks' compression and
 * docs/record-format.md for the schema.
 */
#include "record.h"
#include "chunkz.h"
#include "../src/fileio.h"
#include "h5io.h"
#include "journal.h"
#include "../src/threads.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (256 * 1024) /* target size of one HDF5 chunk */
#define CONVERT_ROWS 2048        /* journal rows converted per HDF5 write */
/* a record: row number, label, prediction, logits [K], gates, CRC (journal.h) */
#define LABEL_AT SEKIT_JOURNAL_ROW_BYTES
#define PRED_AT (LABEL_AT + 4)
#define LOGITS_AT (PRED_AT + 4)

struct sekit_writer {
    const struct sekit_writer_spec *spec;
    char *out, *journal_path;
    char *desc, *run_desc, *dataset_abs; /* the journal's description, the run's (in OUT) */
    struct sekit_journal j;
    int64_t lo, hi; /* this writer's rows */
    int ranks;      /* 1: one process */
    char *kept;     /* the journal, or the ranks' journals, as an error message names them */
    /* rank 0 of several, converting: every rank's journal, in rank order, and its path */
    struct sekit_journal *parts;
    char **part_paths;
    size_t rec_bytes;
    int complete_already, created;
    unsigned char *buf; /* one batch of records */
    size_t buf_rows;
    int nd, *dchan; /* gate datasets (excitation, then squeeze) and their channels */
    hsize_t *crow;  /* rows per chunk of each gate dataset */
    char **paths;   /* [n] spec->paths made absolute, or NULL */
};

int sekit_sha256_file(const char *path, char hex[65], struct sekit_err *e)
{
    FILE *f = sekit_fopen_regular(path, NULL, e);
    if (!f) return SEKIT_EIO;
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

/* p as an absolute path: relative ones are joined to cwd; empty and "." components go, and
 * leading ".." components climb cwd (getcwd's path has no symbolic links, so that is where they
 * lead); later ".." stay, as a symbolic link before them may lead elsewhere. */
static char *absolute_path(const char *cwd, const char *p)
{
    GString *g = g_string_new(p[0] == '/' ? "" : cwd);
    if (g->len == 1) g_string_truncate(g, 0); /* cwd "/" */
    gchar **parts = g_strsplit(p, "/", -1);
    int leading = p[0] != '/';
    for (gchar **c = parts; *c; c++) {
        if (!**c || !strcmp(*c, ".")) continue;
        if (leading && !strcmp(*c, "..")) {
            const char *slash = strrchr(g->str, '/');
            g_string_truncate(g, slash ? (gsize)(slash - g->str) : 0);
            continue;
        }
        leading = 0;
        g_string_append_printf(g, "/%s", *c);
    }
    g_strfreev(parts);
    if (!g->len) g_string_assign(g, "/");
    return g_string_free(g, FALSE);
}

/* The run's description: what must be equal for --resume to continue a journal, or to accept
 * a finished OUT (which stores it), which is everything that decides a row's values. Not the batch
 * size: a row is one image, and a resumed run of another --batch continues it (its rows' logits may
 * then differ from an uninterrupted run's in the last bit, as the classifier's matrix product sums
 * in another order). The dataset is named by its absolute path (dataset_abs): the same relative
 * path given in another directory is another dataset, and the image paths are resolved against the
 * directory of the run that finishes the file. */
static char *describe(const struct sekit_writer_spec *s, const char *dataset_abs, size_t rec_bytes,
                      int rank)
{
    GString *g = g_string_new("");
    g_string_append_printf(g, "model_sha256=%s\ndataset=%s\ndataset_format=%s\nsplit=%s\n",
                           s->model_sha256, dataset_abs, s->dataset_format, s->split);
    g_string_append(g, "classes=");
    for (int i = 0; i < s->nsel_classes; i++)
        g_string_append_printf(g, "%s%s", i ? "," : "", s->class_names[s->sel_classes[i]]);
    g_string_append_printf(g, "\nper_class=%lld\nseed=%llu\npreprocessing=%s\nblocks=",
                           (long long)s->per_class, (unsigned long long)s->seed, s->preprocessing);
    for (int i = 0; i < s->nblocks; i++)
        g_string_append_printf(g, "%s%s", i ? "," : "", s->blocks[i].name);
    g_string_append_printf(g, "\nsqueeze=%d\nrows=%lld\nrecord_bytes=%zu\n", s->squeeze,
                           (long long)s->n, rec_bytes);
    /* a rank's journal holds its range of rows, which the batch size decides (the ranks split
     * the rows in whole batches, so that each batch is the one-process run's); rank -1: the
     * whole run's, which OUT stores whatever the ranks that wrote it */
    if (s->ranks > 1 && rank >= 0)
        g_string_append_printf(g, "ranks=%d\nbatch=%d\nrank=%d\nrank_rows=%lld..%lld\n", s->ranks,
                               s->batch, rank, (long long)s->bounds[rank],
                               (long long)s->bounds[rank + 1]);
    return g_string_free(g, FALSE);
}

/* A failure after rows reached the journal: the message says the journal stays for --resume. */
static int journal_kept(const struct sekit_writer *r, int rc, struct sekit_err *e)
{
    if (!e) return rc;
    char msg[SEKIT_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", e->msg);
    if (r->ranks == 1 && strncmp(msg, r->journal_path, strlen(r->journal_path)) == 0)
        return sekit_errf(e, rc, "%.400s; it is kept: rerun with --resume", msg);
    return sekit_errf(e, rc, "%.300s; the journal%s %.150s %s kept: rerun with --resume", msg,
                      r->ranks > 1 ? "s" : "", r->kept, r->ranks > 1 ? "are" : "is");
}

/* r->paths: the image paths as absolute paths, resolved against the working directory cwd of
 * this run (a resumed run resolves its own dataset path, which its description holds as an
 * absolute path: its rows name the same files). */
static int absolute_paths(struct sekit_writer *r, const char *cwd, struct sekit_err *e)
{
    const struct sekit_writer_spec *s = r->spec;
    if (!s->paths) return SEKIT_OK;
    if (!(r->paths = calloc((size_t)s->n + 1, sizeof *r->paths)))
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int64_t i = 0; i < s->n; i++)
        r->paths[i] = absolute_path(cwd, s->paths[i]);
    return SEKIT_OK;
}

/* --resume found OUT: it must be a complete recording of this very run, whose description it
 * stores (compared as the journal's is). */
static int check_finished(const struct sekit_writer *r, struct sekit_err *e)
{
    hid_t f;
    int64_t fv = -1;
    char *old = NULL;
    int rc = sekit_h5_open(r->out, &f, NULL);
    if (!rc) {
        rc = sekit_h5_attr_read_i64(f, r->out, "/", "format_version", 1, &fv, NULL);
        if (!rc)
            rc = sekit_h5_attr_read_str(f, r->out, "/", "run_description", 0, SEKIT_H5_MAX_STRING,
                                        &old, NULL);
        H5Fclose(f);
    }
    if (rc || fv != SEKIT_RECORD_FORMAT_VERSION)
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: exists and is not a complete recording; --resume refused (--force "
                        "overwrites it)",
                        r->out);
    else if (!old)
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: --resume refused: it stores no run description to compare (an older "
                        "sekit wrote it; --force overwrites it)",
                        r->out);
    else
        rc = sekit_journal_compare(r->out, "finished", old, r->run_desc, e);
    free(old);
    return rc;
}

/* The journals of OUT in its directory: OUT.journal (one process) and OUT.journal.rank-R-of-M
 * (M ranks). Calls fn with each one's path and rank count; stops at the first fn that returns
 * non-zero and returns that. */
static int each_journal(const char *out, int (*fn)(const char *path, int ranks, void *ctx),
                        void *ctx)
{
    char *dcopy = strdup(out), *bcopy = strdup(out);
    const char *dir = dcopy ? dirname(dcopy) : NULL, *base = bcopy ? basename(bcopy) : NULL;
    DIR *d = dir && base ? opendir(dir) : NULL;
    int rc = 0;
    const size_t bl = base ? strlen(base) : 0;
    for (struct dirent *de; d && !rc && (de = readdir(d));) {
        const char *name = de->d_name;
        if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".journal", 8) != 0) continue;
        const char *rest = name + bl + 8;
        int rank = -1, of = 0, end = 0;
        if (*rest == 0)
            of = 1;
        else if (sscanf(rest, ".rank-%d-of-%d%n", &rank, &of, &end) != 2 || rest[end] || rank < 0 ||
                 of < 2 || rank >= of)
            continue;
        /* OUT's own spelling, which names the directory as the user did */
        char *path = g_strdup_printf("%s.journal%s", out, rest);
        rc = fn(path, of, ctx);
        g_free(path);
    }
    if (d) closedir(d);
    free(dcopy), free(bcopy);
    return rc;
}

struct journal_seen {
    int ranks, same, other; /* the run's rank count; journals of it seen; another count seen */
    char other_path[1024];
};

static int seen_journal(const char *path, int ranks, void *ctx)
{
    struct journal_seen *s = ctx;
    if (ranks == s->ranks) {
        s->same = 1;
    } else if (!s->other) {
        s->other = ranks;
        snprintf(s->other_path, sizeof s->other_path, "%s", path);
    }
    return 0;
}

static int remove_journal(const char *path, int ranks, void *ctx)
{
    (void)ranks;
    struct sekit_err *e = ctx;
    if (unlink(path) && errno != ENOENT)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot remove the old journal: %s", path,
                          strerror(errno));
    return 0;
}

/* How to run as ranks ranks: the hint of a refused --resume. */
static const char *launch_text(char *buf, size_t n, int ranks)
{
    if (ranks > 1)
        snprintf(buf, n, "mpirun -n %d", ranks);
    else
        snprintf(buf, n, "one process, without mpirun");
    return buf;
}

/* Rank 0's (or the one process's) part of opening: the output directory, OUT, and the journals
 * of every rank count. Sets r->complete_already when --resume finds OUT complete. */
static int open_shared(struct sekit_writer *r, int resume, int force, struct sekit_err *e)
{
    const struct sekit_writer_spec *spec = r->spec;
    int rc = SEKIT_OK;
    char *dircopy = strdup(spec->out_path);
    const char *dir = dircopy ? dirname(dircopy) : ".";
    struct stat sb;
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
        rc = sekit_errf(e, SEKIT_EIO, "%s: output directory does not exist", dir);
    else if (access(dir, W_OK))
        rc = sekit_errf(e, SEKIT_EIO, "%s: output directory is not writable", dir);
    free(dircopy);
    if (rc) return rc;
    int have_out = access(r->out, F_OK) == 0;
    if (force) {
        if (have_out && unlink(r->out))
            return sekit_errf(e, SEKIT_EIO, "%s: cannot remove the old recording: %s", r->out,
                              strerror(errno));
        if ((rc = each_journal(r->out, remove_journal, e))) return rc;
        have_out = 0;
    }
    if (have_out) {
        if (!resume)
            return sekit_errf(e, SEKIT_EINVAL, "%s: exists (--force overwrites it)", r->out);
        if ((rc = check_finished(r, e))) return rc;
        /* the rename happened but the journals were not all removed yet */
        each_journal(r->out, remove_journal, e);
        r->complete_already = 1;
        return SEKIT_OK;
    }
    struct journal_seen seen = {.ranks = r->ranks};
    each_journal(r->out, seen_journal, &seen);
    char how[64];
    if (seen.other && resume)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: --resume refused: the interrupted run had %d rank%s, this one has "
                          "%d (resume with %s, or --force to start over)",
                          seen.other_path, seen.other, seen.other > 1 ? "s" : "", r->ranks,
                          launch_text(how, sizeof how, seen.other));
    if ((seen.other || seen.same) && !resume)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: an interrupted recording is in progress (--resume continues it, "
                          "--force starts over)",
                          seen.other ? seen.other_path : r->kept);
    if (resume && !seen.same)
        return sekit_errf(e, SEKIT_EINVAL,
                          "--resume: nothing to resume, %s does not exist (run without --resume to "
                          "start)",
                          r->kept);
    return SEKIT_OK;
}

int sekit_writer_open(struct sekit_writer **out, const struct sekit_writer_spec *spec, int resume,
                      int force, int64_t *done, struct sekit_err *e)
{
    sekit_h5_init();
    *out = NULL;
    *done = 0;
    struct sekit_writer *r = calloc(1, sizeof *r);
    if (!r) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    r->j.fd = -1;
    r->spec = spec;
    SEKIT_ASSERT(spec->batch >= 1);
    int64_t sum_c = 0;
    for (int i = 0; i < spec->nblocks; i++)
        sum_c += spec->blocks[i].channels;
    r->rec_bytes = LOGITS_AT + 4 * (size_t)spec->num_classes +
                   4 * (size_t)sum_c * (spec->squeeze ? 2 : 1) + SEKIT_JOURNAL_CRC_BYTES;
    r->ranks = spec->ranks > 1 ? spec->ranks : 1;
    SEKIT_ASSERT(r->ranks == 1 || (spec->bounds && spec->rank >= 0 && spec->rank < r->ranks &&
                                   spec->bounds[0] == 0 && spec->bounds[r->ranks] == spec->n));
    r->lo = r->ranks > 1 ? spec->bounds[spec->rank] : 0;
    r->hi = r->ranks > 1 ? spec->bounds[spec->rank + 1] : spec->n;
    r->out = strdup(spec->out_path);
    if (r->ranks > 1) {
        r->journal_path =
            g_strdup_printf("%s.journal.rank-%d-of-%d", spec->out_path, spec->rank, r->ranks);
        r->kept = g_strdup_printf("%s.journal.rank-*-of-%d", spec->out_path, r->ranks);
    } else {
        r->journal_path = g_strdup_printf("%s.journal", spec->out_path);
        r->kept = g_strdup(r->journal_path);
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        const int err = errno;
        sekit_writer_close(r);
        return sekit_errf(e, SEKIT_EIO, "cannot resolve the dataset's path: %s", strerror(err));
    }
    r->dataset_abs = absolute_path(cwd, spec->dataset);
    r->desc = describe(spec, r->dataset_abs, r->rec_bytes, r->ranks > 1 ? spec->rank : 0);
    r->run_desc = describe(spec, r->dataset_abs, r->rec_bytes, -1);
    r->nd = spec->nblocks * (spec->squeeze ? 2 : 1);
    r->dchan = malloc(sizeof *r->dchan * (size_t)(r->nd + 1));
    r->crow = malloc(sizeof *r->crow * (size_t)(r->nd + 1));
    for (int i = 0; r->dchan && r->crow && i < r->nd; i++) {
        r->dchan[i] = spec->blocks[i % spec->nblocks].channels;
        r->crow[i] = sekit_h5_chunk_rows((hsize_t)spec->n, 4 * (size_t)r->dchan[i], CHUNK_BYTES);
    }
    int rc = SEKIT_OK;
    if (!r->out || !r->journal_path || !r->desc || !r->run_desc || !r->dchan || !r->crow) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = absolute_paths(r, cwd, e))) goto fail;
    /* the readers refuse longer names (formats.h): refused before any row is recorded */
    for (int k = 0; k < spec->num_classes && !rc; k++) {
        const char *syn = spec->class_synsets ? spec->class_synsets[k] : NULL;
        size_t len = strlen(spec->class_names[k]);
        if (syn && strlen(syn) > len) len = strlen(syn);
        if (len > SEKIT_CLASS_NAME_MAX)
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "class %d has a name of %zu bytes; a recording holds at most %d", k,
                            len, SEKIT_CLASS_NAME_MAX);
    }
    if (rc) goto fail;
    if (r->ranks == 1 || spec->rank == 0) {
        if ((rc = open_shared(r, resume, force, e))) goto fail;
    } else if (resume && access(r->out, F_OK) == 0) {
        /* rank 0 found it complete (it opened first) */
        r->complete_already = 1;
    }
    if (r->complete_already) {
        if (r->ranks > 1) unlink(r->journal_path);
        *done = r->hi;
        *out = r;
        return SEKIT_OK;
    }
    /* every journal is rank 0's to refuse: here a rank's own journal, if any, is continued */
    if (access(r->journal_path, F_OK) == 0) {
        rc = sekit_journal_resume(&r->j, r->journal_path, r->desc, r->rec_bytes, r->lo,
                                  r->hi - r->lo, spec->batch, e);
    } else {
        rc = sekit_journal_create(&r->j, r->journal_path, r->desc, r->rec_bytes, r->lo, e);
        r->created = !rc;
    }
    if (rc) goto fail;
    *done = r->lo + r->j.rows;
    *out = r;
    return SEKIT_OK;
fail:
    sekit_writer_close(r);
    return rc;
}

int sekit_writer_append(struct sekit_writer *r, const struct sekit_model *m, int64_t first, int nb,
                        const int *labels, const int *predictions, const float *logits,
                        struct sekit_err *e)
{
    const struct sekit_writer_spec *s = r->spec;
    SEKIT_ASSERT(!r->complete_already && first == r->lo + r->j.rows && first + nb <= r->hi);
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
        int32_t lab = labels[i], pred = predictions[i];
        memcpy(p + LABEL_AT, &lab, 4);
        memcpy(p + PRED_AT, &pred, 4);
        memcpy(p + LOGITS_AT, logits + (size_t)i * K, 4 * (size_t)K);
        p += LOGITS_AT + 4 * (size_t)K;
        for (int pass = 0; pass < (s->squeeze ? 2 : 1); pass++)
            for (int b = 0; b < s->nblocks; b++) {
                int C = s->blocks[b].channels, mi = s->blocks[b].model_index;
                const float *v = pass ? sekit_model_squeeze(m, mi) : sekit_model_gate(m, mi);
                memcpy(p, v + (size_t)i * C, 4 * (size_t)C);
                p += 4 * (size_t)C;
            }
    }
    int rc = sekit_journal_append(&r->j, r->buf, nb, e);
    return rc ? journal_kept(r, rc, e) : SEKIT_OK;
}

/* The datasets of a recording being written. */
struct h5rec {
    hid_t groups[2], sample, label, labels, preds, logits, sidx, names, synsets, paths;
    hid_t *blockd; /* [2 * nblocks] gate datasets: excitation, then squeeze */
    hid_t *chan;   /* [nblocks] each block's channel scale */
};

static void h5rec_close(struct h5rec *h, int nb)
{
    for (int i = 0; h->blockd && i < 2 * nb; i++)
        if (h->blockd[i] >= 0) H5Dclose(h->blockd[i]);
    for (int b = 0; h->chan && b < nb; b++)
        if (h->chan[b] >= 0) H5Dclose(h->chan[b]);
    hid_t ds[] = {h->sample, h->label, h->labels,  h->preds, h->logits,
                  h->sidx,   h->names, h->synsets, h->paths};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        if (ds[i] >= 0) H5Dclose(ds[i]);
    for (int g = 0; g < 2; g++)
        if (h->groups[g] >= 0) H5Gclose(h->groups[g]);
    free(h->blockd);
    free(h->chan);
}

/* Creates every dataset, scale and block attribute; -1 on an HDF5 failure. paths: the absolute
 * image paths, or NULL. */
static int h5rec_create(struct h5rec *h, hid_t f, const struct sekit_writer_spec *s,
                        const char *const *paths)
{
    const hsize_t N = (hsize_t)s->n;
    const int K = s->num_classes, nb = s->nblocks;
    /* the model-class axis is named by its classes: xarray selects .sel(label="Bag") */
    if ((h->sample = sekit_h5_scale(f, "sample", N, CHUNK_BYTES)) < 0 ||
        (h->label = sekit_h5_str_scale(f, "label", s->class_names, (hsize_t)K)) < 0)
        return -1;
    /* one channel axis per block: channel c of SE_4_1 and of SE_4_2 are unrelated */
    for (int b = 0; b < nb; b++) {
        char name[64];
        snprintf(name, sizeof name, "channel_%s", s->blocks[b].name);
        if ((h->chan[b] = sekit_h5_scale(f, name, (hsize_t)s->blocks[b].channels, CHUNK_BYTES)) < 0)
            return -1;
    }
    hid_t st = sekit_h5_str_type();
    int bad = st < 0;
    if (!bad) {
        h->labels = sekit_h5_dataset(f, "labels", H5T_STD_I32LE, N, 0, CHUNK_BYTES);
        h->preds = sekit_h5_dataset(f, "predictions", H5T_STD_I32LE, N, 0, CHUNK_BYTES);
        h->logits = sekit_h5_dataset(f, "logits", H5T_IEEE_F32LE, N, (hsize_t)K, CHUNK_BYTES);
        h->sidx = sekit_h5_dataset(f, "sample_index", H5T_STD_I64LE, N, 0, CHUNK_BYTES);
        h->names = sekit_h5_dataset(f, "class_names", st, (hsize_t)K, 0, CHUNK_BYTES);
        if (paths) h->paths = sekit_h5_dataset(f, "paths", st, N, 0, CHUNK_BYTES);
        /* unknown synsets are written empty: the column stays aligned with class_names */
        const char **syn = s->class_synsets ? malloc(sizeof *syn * (size_t)K) : NULL;
        for (int k = 0; syn && k < K; k++)
            syn[k] = s->class_synsets[k] ? s->class_synsets[k] : "";
        if (syn) h->synsets = sekit_h5_dataset(f, "class_synsets", st, (hsize_t)K, 0, CHUNK_BYTES);
        bad = h->labels < 0 || h->preds < 0 || h->logits < 0 || h->sidx < 0 || h->names < 0 ||
              (paths && h->paths < 0) || (s->class_synsets && (!syn || h->synsets < 0)) ||
              (syn && sekit_h5_write_rows(h->synsets, st, 0, (hsize_t)K, 0, syn)) ||
              (N && sekit_h5_write_rows(h->sidx, H5T_NATIVE_INT64, 0, N, 0, s->sample_index)) ||
              sekit_h5_write_rows(h->names, st, 0, (hsize_t)K, 0, s->class_names) ||
              (paths && N && sekit_h5_write_rows(h->paths, st, 0, N, 0, paths));
        free(syn);
        H5Tclose(st);
    }
    const char *gname[2] = {"excitation", "squeeze"};
    for (int g = 0; !bad && g < (s->squeeze ? 2 : 1); g++) {
        if ((h->groups[g] = H5Gcreate2(f, gname[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            return -1;
        for (int b = 0; !bad && b < nb; b++) {
            const struct sekit_writer_block *bl = &s->blocks[b];
            hid_t d = sekit_h5_dataset(h->groups[g], bl->name, H5T_IEEE_F32LE, N,
                                       (hsize_t)bl->channels, CHUNK_BYTES);
            h->blockd[g * nb + b] = d;
            int64_t st64 = bl->stage, bk = bl->block, ch = bl->channels, rd = bl->reduced;
            char long_name[96];
            snprintf(long_name, sizeof long_name, "excitation: SE gate (%s output) per channel",
                     bl->gate);
            bad =
                d < 0 || sekit_h5_attr_str(d, "module", bl->module) ||
                sekit_h5_attr_str(d, "gate", bl->gate) || sekit_h5_attr_i64(d, "stage", &st64, 0) ||
                sekit_h5_attr_i64(d, "block", &bk, 0) || sekit_h5_attr_i64(d, "channels", &ch, 0) ||
                sekit_h5_attr_i64(d, "reduced", &rd, 0) ||
                sekit_h5_attr_str(d, "long_name",
                                  g ? "squeeze: spatial mean of the SE block's input"
                                    : long_name) ||
                H5DSattach_scale(d, h->sample, 0) < 0 || H5DSattach_scale(d, h->chan[b], 1) < 0;
        }
    }
    hid_t per_sample[] = {h->labels, h->preds, h->sidx, h->paths};
    for (size_t i = 0; !bad && i < sizeof per_sample / sizeof per_sample[0]; i++)
        bad = per_sample[i] >= 0 && H5DSattach_scale(per_sample[i], h->sample, 0) < 0;
    bad = bad || H5DSattach_scale(h->logits, h->sample, 0) < 0 ||
          H5DSattach_scale(h->logits, h->label, 1) < 0 ||
          H5DSattach_scale(h->names, h->label, 0) < 0 ||
          (h->synsets >= 0 && H5DSattach_scale(h->synsets, h->label, 0) < 0);
    return bad ? -1 : 0;
}

/* The root attributes, written last; -1 on an HDF5 failure. */
static int write_root_attrs(hid_t f, const struct sekit_writer_spec *s, const char *run_desc)
{
    int64_t fv = SEKIT_RECORD_FORMAT_VERSION, n64 = s->n, pc = s->per_class,
            seed = (int64_t)s->seed, nk = s->num_classes;
    int64_t *sel = malloc(sizeof(int64_t) * (size_t)(s->nsel_classes + 1));
    GString *cn = g_string_new("");
    for (int i = 0; sel && i < s->nsel_classes; i++) {
        sel[i] = s->sel_classes[i];
        g_string_append_printf(cn, "%s%s", i ? "," : "", s->class_names[s->sel_classes[i]]);
    }
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    int bad = !sel || sekit_h5_attr_i64(f, "format_version", &fv, 0) ||
              sekit_h5_attr_str(f, "sekit_version", SEKIT_VERSION) ||
              sekit_h5_attr_str(f, "model_path", s->model_path) ||
              sekit_h5_attr_str(f, "model_sha256", s->model_sha256) ||
              sekit_h5_attr_str(f, "architecture", s->architecture) ||
              sekit_h5_attr_str(f, "dataset", s->dataset) ||
              sekit_h5_attr_str(f, "dataset_format", s->dataset_format) ||
              sekit_h5_attr_str(f, "split", s->split) || sekit_h5_attr_str(f, "classes", cn->str) ||
              sekit_h5_attr_i64(f, "class_indices", sel, (size_t)s->nsel_classes) ||
              sekit_h5_attr_i64(f, "per_class", &pc, 0) || sekit_h5_attr_i64(f, "seed", &seed, 0) ||
              sekit_h5_attr_i64(f, "num_classes", &nk, 0) ||
              sekit_h5_attr_str(f, "preprocessing", s->preprocessing) ||
              sekit_h5_attr_str(f, "created", when) ||
              sekit_h5_attr_str(f, "run_description", run_desc) ||
              sekit_h5_attr_i64(f, "n_images", &n64, 0);
    free(sel);
    g_string_free(cn, TRUE);
    return bad ? -1 : 0;
}

/* Rows [first, first + n) of the run into dst: from the journal, or from the ranks' journals
 * that hold them. */
static int read_rows(const struct sekit_writer *r, int64_t first, int64_t n, unsigned char *dst,
                     struct sekit_err *e)
{
    if (!r->parts) return sekit_journal_read(&r->j, first, n, dst, e);
    const int64_t *b = r->spec->bounds;
    for (int k = 0; n > 0 && k < r->ranks; k++) {
        if (first >= b[k + 1]) continue;
        const int64_t m = n < b[k + 1] - first ? n : b[k + 1] - first;
        int rc = sekit_journal_read(&r->parts[k], first - b[k], m, dst, e);
        if (rc) return rc;
        first += m, n -= m, dst += r->rec_bytes * (size_t)m;
    }
    return SEKIT_OK;
}

/* Streams the journal into the open datasets: labels, predictions and logits through HDF5, the
 * gate chunks through sekit_zchunks_write. */
static int stream_journal(struct sekit_writer *r, const struct h5rec *h,
                          const struct sekit_h5_out *o, struct sekit_err *e)
{
    const struct sekit_writer_spec *s = r->spec;
    const hsize_t N = (hsize_t)s->n;
    const int K = s->num_classes, nd = r->nd, maxp = 2 * sekit_threads();
    unsigned char *rows = malloc(r->rec_bytes * CONVERT_ROWS);
    int32_t *ibuf = malloc(sizeof(int32_t) * CONVERT_ROWS * 2);
    float *fbuf = malloc(sizeof(float) * CONVERT_ROWS * (size_t)(K > 1 ? K : 1));
    /* per gate dataset: the chunk being filled and its rows */
    hsize_t *filled = calloc((size_t)nd + 1, sizeof *filled);
    unsigned char **cbuf = calloc((size_t)nd + 1, sizeof *cbuf);
    struct sekit_zchunk *pend = calloc((size_t)maxp, sizeof *pend);
    int np = 0, rc = SEKIT_OK; /* chunks in pend */
    if (!rows || !ibuf || !fbuf || !filled || !cbuf || !pend)
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (hsize_t first = 0; !rc && first < N; first += CONVERT_ROWS) {
        hsize_t n = N - first < CONVERT_ROWS ? N - first : CONVERT_ROWS;
        if ((rc = read_rows(r, (int64_t)first, (int64_t)n, rows, e))) break;
        for (hsize_t i = 0; i < n; i++) {
            const unsigned char *p = rows + r->rec_bytes * i;
            memcpy(&ibuf[i], p + LABEL_AT, 4);
            memcpy(&ibuf[CONVERT_ROWS + i], p + PRED_AT, 4);
            memcpy(fbuf + i * K, p + LOGITS_AT, 4 * (size_t)K);
        }
        if (sekit_h5_write_rows(h->labels, H5T_NATIVE_INT32, first, n, 0, ibuf) ||
            sekit_h5_write_rows(h->preds, H5T_NATIVE_INT32, first, n, 0, ibuf + CONVERT_ROWS) ||
            sekit_h5_write_rows(h->logits, H5T_NATIVE_FLOAT, first, n, (hsize_t)K, fbuf)) {
            rc = sekit_h5_write_failed(o, e);
            break;
        }
        size_t off = LOGITS_AT + 4 * (size_t)K;
        for (int i = 0; !rc && i < nd; i++) {
            const size_t C = (size_t)r->dchan[i], cb = 4 * C * r->crow[i];
            for (hsize_t j = 0; !rc && j < n; j++) {
                if (!cbuf[i] && !(cbuf[i] = calloc(1, cb))) {
                    rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
                    break;
                }
                memcpy(cbuf[i] + 4 * C * filled[i], rows + r->rec_bytes * j + off, 4 * C);
                /* a full chunk, or the last (partial, zero-padded) one */
                if (++filled[i] == r->crow[i] || first + j + 1 == N) {
                    pend[np++] = (struct sekit_zchunk){.di = i,
                                                       .row0 = first + j + 1 - filled[i],
                                                       .raw = cbuf[i],
                                                       .raw_bytes = cb};
                    cbuf[i] = NULL;
                    filled[i] = 0;
                    /* a few chunks in flight at a time: memory stays flat whatever N */
                    if (np == maxp) {
                        if (sekit_zchunks_write(pend, np, h->blockd)) rc = -1;
                        np = 0;
                    }
                }
            }
            off += 4 * C;
        }
        if (!rc && sekit_zchunks_write(pend, np, h->blockd)) rc = -1;
        np = 0;
        if (rc < 0) rc = sekit_h5_write_failed(o, e);
        /* a failed write discards the rest: stop early */
        if (!rc) rc = sekit_h5_status(o, e);
    }
    for (int i = 0; cbuf && i < nd; i++)
        free(cbuf[i]);
    for (int i = 0; i < np; i++)
        free(pend[i].raw);
    free(cbuf), free(filled), free(pend), free(rows), free(ibuf), free(fbuf);
    return rc;
}

/* Writes OUT's temporary from the journal (closed and checked; removed on failure). */
static int convert(struct sekit_writer *r, struct sekit_h5_out *o, struct sekit_err *e)
{
    const struct sekit_writer_spec *s = r->spec;
    const int nb = s->nblocks;
    struct h5rec h = {.groups = {-1, -1},
                      .sample = -1,
                      .label = -1,
                      .labels = -1,
                      .preds = -1,
                      .logits = -1,
                      .sidx = -1,
                      .names = -1,
                      .synsets = -1,
                      .paths = -1};
    h.blockd = malloc(sizeof(hid_t) * (size_t)(2 * nb + 1));
    h.chan = malloc(sizeof(hid_t) * (size_t)(nb + 1));
    int rc = !h.blockd || !h.chan ? sekit_errf(e, SEKIT_ENOMEM, "out of memory") : 0;
    for (int i = 0; !rc && i < 2 * nb; i++)
        h.blockd[i] = -1;
    for (int i = 0; !rc && i < nb; i++)
        h.chan[i] = -1;
    if (!rc) rc = sekit_h5_create(o, r->out, "the recording", e);
    if (!rc && h5rec_create(&h, o->f, s, (const char *const *)r->paths))
        rc = sekit_h5_write_failed(o, e);
    if (!rc) rc = stream_journal(r, &h, o, e);
    if (!rc && write_root_attrs(o->f, s, r->run_desc)) rc = sekit_h5_write_failed(o, e);
    h5rec_close(&h, nb);
    return sekit_h5_close(o, rc, e);
}

/* Rank 0 of several: opens every rank's journal for reading, each checked against the
 * description of that rank's rows and holding all of them. */
static int open_parts(struct sekit_writer *r, struct sekit_err *e)
{
    const struct sekit_writer_spec *s = r->spec;
    r->parts = calloc((size_t)r->ranks, sizeof *r->parts);
    r->part_paths = calloc((size_t)r->ranks, sizeof *r->part_paths);
    if (!r->parts || !r->part_paths) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int k = 0; k < r->ranks; k++)
        r->parts[k].fd = -1;
    for (int k = 0; k < r->ranks; k++) {
        r->part_paths[k] = g_strdup_printf("%s.journal.rank-%d-of-%d", s->out_path, k, r->ranks);
        char *desc = describe(s, r->dataset_abs, r->rec_bytes, k);
        int rc = sekit_journal_open_read(&r->parts[k], r->part_paths[k], desc, r->rec_bytes,
                                         s->bounds[k], s->bounds[k + 1] - s->bounds[k], e);
        g_free(desc);
        /* a journal another rank wrote and rank 0 cannot see: not a directory the ranks share */
        if (rc && access(r->part_paths[k], F_OK) != 0)
            return sekit_errf(e, SEKIT_EIO,
                              "%s: rank 0 cannot see this journal of rank %d: --out must be on a "
                              "file system that every rank shares",
                              r->part_paths[k], k);
        if (rc) return rc;
    }
    return SEKIT_OK;
}

int sekit_writer_seal(struct sekit_writer *r, struct sekit_err *e)
{
    if (r->complete_already) return SEKIT_OK;
    SEKIT_ASSERT(r->j.rows == r->hi - r->lo);
    int rc = sekit_journal_sync(&r->j, e);
    return rc ? journal_kept(r, rc, e) : SEKIT_OK;
}

int sekit_writer_finish(struct sekit_writer *r, struct sekit_err *e)
{
    if (r->complete_already) return SEKIT_OK;
    SEKIT_ASSERT(r->j.rows == r->hi - r->lo && (r->ranks == 1 || r->spec->rank == 0));
    struct sekit_h5_out o = {.f = -1};
    int rc = r->ranks > 1 ? open_parts(r, e) : SEKIT_OK;
    /* the other ranks wait for rank 0's conversion: it compresses on every core of its node,
     * whatever share of them the pass gave it */
    const int threads = sekit_threads();
    if (!rc && r->ranks > 1) sekit_set_threads(0);
    if (!rc) rc = convert(r, &o, e);
    sekit_set_threads(threads);
    if (!rc) rc = sekit_publish(o.tmp, r->out, e);
    if (rc) return journal_kept(r, rc, e);
    sekit_journal_close(&r->j);
    if (r->ranks > 1)
        for (int k = 0; k < r->ranks; k++)
            sekit_journal_close(&r->parts[k]), unlink(r->part_paths[k]);
    else
        unlink(r->journal_path);
    return SEKIT_OK;
}

void sekit_writer_abandon(struct sekit_writer *r)
{
    if (!r || !r->created || r->j.rows) return;
    sekit_journal_close(&r->j);
    unlink(r->journal_path);
    r->created = 0;
}

void sekit_writer_close(struct sekit_writer *r)
{
    if (!r) return;
    sekit_journal_close(&r->j);
    for (int k = 0; r->parts && k < r->ranks; k++)
        sekit_journal_close(&r->parts[k]);
    for (int k = 0; r->part_paths && k < r->ranks; k++)
        g_free(r->part_paths[k]);
    free(r->parts), free(r->part_paths);
    g_free(r->dataset_abs), g_free(r->kept);
    free(r->dchan), free(r->crow);
    for (int64_t i = 0; r->paths && i < r->spec->n; i++)
        g_free(r->paths[i]);
    free(r->paths);
    free(r->out);
    g_free(r->journal_path);
    free(r->desc), free(r->run_desc);
    free(r->buf);
    free(r);
}
