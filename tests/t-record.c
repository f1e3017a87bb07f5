/*
 * t-record.c -- the recording writer: gates written equal the engine's gates for the same
 * inputs; schema, attributes and dimension scales (the model-class axis label holding the
 * class names, one channel scale per block), image paths stored absolute; journal resume after a
 * torn record; refusal of another run's journal and of an existing output.
 */
#include "record.h"
#include "failenv.h"
#include "fixture.h"
#include "tap.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = 37, B = 8, H = 10 };

static struct sekit_model *small_model(void)
{
    struct sekit_model *m = fixture_small_model(8, 4, 3);
    struct sekit_err e = {0};
    if (m && sekit_model_prepare(m, B, H, H, &e)) diag("%s", e.msg);
    return m;
}

static float inputs[N * H * H];
static int labels[N], preds[N];
static float logits[N * 4];
static float gates[4][N * 16]; /* the engine's gates, per block */

static void fill(struct sekit_model *m)
{
    uint64_t s = 11;
    for (int i = 0; i < N * H * H; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        inputs[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
    for (int first = 0; first < N; first += B) {
        int nb = N - first < B ? N - first : B;
        sekit_model_forward(m, inputs + first * H * H, nb, logits + first * 4);
        for (int k = 0; k < 4; k++) {
            int C = sekit_model_se_info(m, k)->channels;
            memcpy(gates[k] + first * C, sekit_model_gate(m, k), sizeof(float) * nb * C);
        }
    }
    for (int i = 0; i < N; i++)
        labels[i] = i % 4, preds[i] = (i + 1) % 4;
}

static const char *names[4] = {"a", "b", "c", "d"};
static int sel[2] = {0, 2};
static int64_t sidx[N];
static struct sekit_writer_block blocks[4];
/* image paths as a dataset may give them (relative, doubled slashes, ".", ".."), and the
 * absolute paths the file must hold */
static char path_buf[N][64], want_path[N][PATH_MAX + 64];
static const char *paths[N];

static void make_paths(void)
{
    char cwd[PATH_MAX] = "", up[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) diag("getcwd failed");
    snprintf(up, sizeof up, "%s", cwd);
    const char *parent = dirname(up);
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0) {
            snprintf(path_buf[i], sizeof path_buf[i], "./imgs//c/./%d.png", i);
            snprintf(want_path[i], sizeof want_path[i], "%s/imgs/c/%d.png", cwd, i);
        } else if (i % 3 == 1) {
            snprintf(path_buf[i], sizeof path_buf[i], "../up/%d.png", i);
            snprintf(want_path[i], sizeof want_path[i], "%s/up/%d.png",
                     strcmp(parent, "/") ? parent : "", i);
        } else {
            /* a ".." after a folder of the path stays: that folder may be a symbolic link */
            snprintf(path_buf[i], sizeof path_buf[i], "/abs//d/../%d.png", i);
            snprintf(want_path[i], sizeof want_path[i], "/abs/d/../%d.png", i);
        }
        paths[i] = path_buf[i];
    }
}

static struct sekit_writer_spec spec(const struct sekit_model *m, const char *out, int squeeze)
{
    fixture_rec_blocks(m, blocks, 4);
    for (int i = 0; i < N; i++)
        sidx[i] = 100 + i;
    make_paths();
    return (struct sekit_writer_spec){.out_path = out,
                                      .model_path = "synthetic",
                                      .model_sha256 = "00",
                                      .architecture = "small",
                                      .dataset = "memory",
                                      .dataset_format = "none",
                                      .split = "test",
                                      .preprocessing = "none",
                                      .num_classes = 4,
                                      .class_names = names,
                                      .nsel_classes = 2,
                                      .sel_classes = sel,
                                      .per_class = 0,
                                      .seed = 0,
                                      .n = N,
                                      .sample_index = sidx,
                                      .paths = paths,
                                      .nblocks = 4,
                                      .blocks = blocks,
                                      .squeeze = squeeze,
                                      .batch = B};
}

/* Feeds rows [from, to) through the model and the writer. */
static int feed(struct sekit_model *m, struct sekit_writer *r, int from, int to)
{
    return fixture_rec_feed(m, r, inputs, H, labels, preds, from, to);
}

static int read_f32(hid_t f, const char *name, float *out)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Dclose(d);
    return rc < 0;
}

static void check_file(const char *path, const char *what, const struct sekit_model *m)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (!ok(f >= 0, "%s: the recording opens", what)) return;
    float buf[N * 16];
    for (int k = 0; k < 4; k++) {
        char name[64];
        int C = sekit_model_se_info(m, k)->channels;
        snprintf(name, sizeof name, "excitation/%s", sekit_model_se_info(m, k)->name);
        ok(read_f32(f, name, buf) == 0, "%s: %s readable", what, name);
        is_close(buf, gates[k], (size_t)N * C, 0.0, "%s: %s equals the engine's gates", what, name);
    }
    ok(read_f32(f, "logits", buf) == 0, "%s: logits readable", what);
    is_close(buf, logits, N * 4, 0.0, "%s: logits equal the engine's", what);
    int lab[N];
    hid_t d = H5Dopen2(f, "labels", H5P_DEFAULT);
    H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab);
    ok(memcmp(lab, labels, sizeof lab) == 0, "%s: labels", what);
    H5Dclose(d);
    hid_t g = H5Dopen2(f, "excitation/SE_3_1", H5P_DEFAULT);
    hid_t g2 = H5Dopen2(f, "excitation/SE_3_2", H5P_DEFAULT);
    hid_t sc = H5Dopen2(f, "channel_SE_3_1", H5P_DEFAULT);
    hid_t sc2 = H5Dopen2(f, "channel_SE_3_2", H5P_DEFAULT);
    hid_t sq = H5Dopen2(f, "squeeze/SE_3_1", H5P_DEFAULT);
    hid_t sm = H5Dopen2(f, "sample", H5P_DEFAULT);
    ok(H5DSis_attached(g, sm, 0) > 0 && H5DSis_attached(g, sc, 1) > 0 &&
           H5DSis_attached(sq, sc, 1) > 0,
       "%s: dimension scales sample and channel_SE_3_1 attached to both SE_3_1 datasets", what);
    /* SE_3_1 and SE_3_2 are equally wide, yet their channels are unrelated */
    ok(H5DSis_attached(g2, sc2, 1) > 0 && H5DSis_attached(g2, sc, 1) == 0 &&
           H5DSis_attached(g, sc2, 1) == 0 && H5DSis_scale(sc2) > 0,
       "%s: SE_3_2 has a channel scale of its own", what);
    H5Dclose(g2), H5Dclose(sc2), H5Dclose(sq);
    char label[4][8] = {""};
    hid_t ls = H5Dopen2(f, "label", H5P_DEFAULT), lg = H5Dopen2(f, "logits", H5P_DEFAULT);
    hid_t st = H5Dget_type(ls);
    char *lv[4] = {NULL};
    if (H5Dread(ls, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, lv) >= 0)
        for (int k = 0; k < 4; k++)
            snprintf(label[k], sizeof label[k], "%s", lv[k] ? lv[k] : "");
    for (int k = 0; k < 4; k++)
        H5free_memory(lv[k]);
    ok(H5DSis_scale(ls) > 0 && H5DSis_attached(lg, ls, 1) > 0 && H5Tis_variable_str(st) > 0 &&
           H5Tget_cset(st) == H5T_CSET_UTF8 && !strcmp(label[0], "a") && !strcmp(label[3], "d"),
       "%s: the logits' class axis is the UTF-8 string scale label holding the class names "
       "(%s ... %s)",
       what, label[0], label[3]);
    H5Tclose(st), H5Dclose(ls), H5Dclose(lg);
    hid_t pd = H5Dopen2(f, "paths", H5P_DEFAULT);
    hid_t pt = H5Dget_type(pd);
    char *pv[N] = {NULL};
    int paths_ok = H5Dread(pd, pt, H5S_ALL, H5S_ALL, H5P_DEFAULT, pv) >= 0;
    for (int i = 0; i < N; i++) {
        if (paths_ok && (!pv[i] || strcmp(pv[i], want_path[i]))) {
            diag("paths[%d]: got '%s', want '%s'", i, pv[i] ? pv[i] : "(null)", want_path[i]);
            paths_ok = 0;
        }
        H5free_memory(pv[i]);
    }
    ok(paths_ok, "%s: paths hold absolute paths (%s)", what, want_path[1]);
    H5Tclose(pt), H5Dclose(pd);
    char mod[64] = "";
    hid_t a = H5Aopen(g, "module", H5P_DEFAULT), t = H5Aget_type(a);
    char *v = NULL;
    H5Aread(a, t, &v);
    if (v) snprintf(mod, sizeof mod, "%s", v);
    H5free_memory(v);
    H5Tclose(t), H5Aclose(a);
    is_str(mod, "layer2.0.se", "%s: block attribute module", what);
    H5Dclose(g), H5Dclose(sc), H5Dclose(sm);
    int64_t fv = 0, n = 0;
    a = H5Aopen(f, "format_version", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &fv), H5Aclose(a);
    a = H5Aopen(f, "n_images", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &n), H5Aclose(a);
    ok(fv == 2 && n == N, "%s: format_version 2, n_images %d", what, N);
    H5Fclose(f);
}

struct finish_job {
    struct sekit_writer *r;
};

static int finish_job(void *ctx, struct sekit_err *e)
{
    return sekit_writer_finish(((struct finish_job *)ctx)->r, e);
}

struct journal_job {
    struct sekit_writer *r;
    struct sekit_model *m;
};

/* Appends every row, as feed does, but reports the error. */
static int journal_job(void *ctx, struct sekit_err *e)
{
    struct journal_job *j = ctx;
    float lg[B * 4];
    int rc = 0;
    for (int first = 0; !rc && first < N; first += B) {
        int nb = N - first < B ? N - first : B;
        sekit_model_forward(j->m, inputs + first * H * H, nb, lg);
        rc = sekit_writer_append(j->r, j->m, first, nb, labels + first, preds + first, lg, e);
    }
    return rc;
}

struct open_job {
    struct sekit_writer_spec *s;
};

static int open_job(void *ctx, struct sekit_err *e)
{
    struct sekit_writer *r = NULL;
    int64_t done;
    int rc = sekit_writer_open(&r, ((struct open_job *)ctx)->s, 0, 1, &done, e);
    sekit_writer_close(r);
    return rc;
}

/* Writes that fail: the finishing step under a file-size limit, in a child; the journal stays
 * and a resumed run finishes the same file. */
static void failures(struct sekit_model *m)
{
    char out[700], journal[720], rodir[600];
    snprintf(out, sizeof out, "%s/limited.h5", tap_tmpdir());
    snprintf(journal, sizeof journal, "%s.journal", out);
    struct sekit_writer_spec s = spec(m, out, 1);
    struct sekit_writer *r = NULL;
    struct sekit_err e = {0};
    int64_t done;
    struct failenv_result res;
    const long limits[2] = {2048, 40 * 1024};
    for (int i = 0; i < 2; i++) {
        if (!ok(sekit_writer_open(&r, &s, 0, 1, &done, &e) == 0 && feed(m, r, 0, N) == 0,
                "limit %ld: every row in the journal", limits[i]))
            return;
        struct finish_job j = {r};
        if (failenv_run(FAILENV_FSIZE, limits[i], finish_job, &j, &res)) {
            skip("no child process");
            sekit_writer_close(r);
            continue;
        }
        sekit_writer_close(r);
        ok(!res.crashed && res.status == SEKIT_EIO,
           "limit %ld: finishing fails with SEKIT_EIO, no crash (status %d)", limits[i],
           res.status);
        char want[1600];
        snprintf(want, sizeof want,
                 "%s: cannot write the recording: File too large; the journal %s is kept: "
                 "rerun with --resume",
                 out, journal);
        is_str(res.msg, want, "limit %ld: one error naming the file, the reason and the journal",
               limits[i]);
        ok(access(out, F_OK) != 0 && !fixture_tmp_left(out) && access(journal, F_OK) == 0,
           "limit %ld: no recording, no .tmp, the journal kept", limits[i]);
    }
    ok(sekit_writer_open(&r, &s, 1, 0, &done, &e) == 0 && done == N - N % B,
       "--resume continues the kept journal after its last whole batch");
    ok(feed(m, r, (int)done, N) == 0 && sekit_writer_finish(r, &e) == 0, "and finishes the file");
    sekit_writer_close(r);
    check_file(out, "finished after a failed write", m);

    /* the journal itself hits the limit */
    if (!ok(sekit_writer_open(&r, &s, 0, 1, &done, &e) == 0, "a new run opens")) return;
    struct journal_job jj = {r, m};
    if (failenv_run(FAILENV_FSIZE, 4096, journal_job, &jj, &res)) {
        skip("no child process");
    } else {
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "File too large") &&
               strstr(res.msg, "it is kept: rerun with --resume"),
           "the journal at the limit: SEKIT_EIO, the journal is kept: %s", res.msg);
    }
    sekit_writer_close(r);

    snprintf(rodir, sizeof rodir, "%s/ro", tap_tmpdir());
    snprintf(out, sizeof out, "%s/run.h5", rodir);
    s.out_path = out;
    struct open_job oj = {&s};
    if (failenv_readonly_dir(tap_tmpdir(), rodir) ||
        failenv_run(FAILENV_READONLY, 0, open_job, &oj, &res)) {
        skip("cannot run as a user who may not write a directory");
    } else {
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "not writable") &&
               strstr(res.msg, rodir),
           "a read-only directory is refused before the run: %s", res.msg);
        ok(access(out, F_OK) != 0, "and nothing is written");
    }
}

int main(void)
{
    struct sekit_model *m = small_model();
    struct sekit_err e = {0};
    fill(m);
    char out[600], journal[620];
    snprintf(out, sizeof out, "%s/run.h5", tap_tmpdir());
    snprintf(journal, sizeof journal, "%s.journal", out);

    struct sekit_writer_spec s = spec(m, out, 1);
    struct sekit_writer *r = NULL;
    int64_t done = -1;
    ok(sekit_writer_open(&r, &s, 0, 0, &done, &e) == SEKIT_OK && done == 0,
       "a new recording opens");
    ok(access(out, F_OK) != 0 && access(journal, F_OK) == 0,
       "while it runs only the journal exists");
    ok(feed(m, r, 0, N) == 0 && sekit_writer_finish(r, &e) == SEKIT_OK,
       "all rows appended, finished");
    sekit_writer_close(r);
    ok(access(out, F_OK) == 0 && access(journal, F_OK) != 0, "then the file, and no journal");
    check_file(out, "uninterrupted", m);

    ok(sekit_writer_open(&r, &s, 0, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "--force"),
       "an existing recording is not overwritten: %s", e.msg);
    ok(sekit_writer_open(&r, &s, 1, 0, &done, &e) == SEKIT_OK && done == N,
       "--resume of a complete file has nothing to do");
    sekit_writer_close(r);
    /* the file stores its run's description: --resume of another run is refused, as for the
     * journal (it used to compare the image count alone) */
    struct sekit_writer_spec reseeded = s;
    reseeded.seed = 5;
    char want[900];
    snprintf(want, sizeof want,
             "%s: --resume refused: the finished run had seed=0, this one has seed=5 (use "
             "--force to start over)",
             out);
    r = NULL;
    ok(sekit_writer_open(&r, &reseeded, 1, 0, &done, &e) == SEKIT_EINVAL && !r,
       "--resume of a complete file of another seed is refused");
    is_str(e.msg, want, "the message names the item that differs");
    /* a class name longer than the readers take is refused before any row is recorded */
    char *longname = malloc(SEKIT_CLASS_NAME_MAX + 2), lout[700];
    if (longname) {
        memset(longname, 'x', SEKIT_CLASS_NAME_MAX + 1);
        longname[SEKIT_CLASS_NAME_MAX + 1] = 0;
        const char *lnames[4] = {"a", longname, "c", "d"};
        struct sekit_writer_spec ls = s;
        snprintf(lout, sizeof lout, "%s/longname.h5", tap_tmpdir());
        ls.out_path = lout;
        ls.class_names = lnames;
        ok(sekit_writer_open(&r, &ls, 0, 0, &done, &e) == SEKIT_EINVAL && !r &&
               access(lout, F_OK) != 0,
           "a class name of %d bytes is refused, nothing written", SEKIT_CLASS_NAME_MAX + 1);
        is_str(e.msg, "class 1 has a name of 1025 bytes; a recording holds at most 1024",
               "the message names the class and the limit");
        free(longname);
    }

    /* interrupted in the third batch's write: 2 whole batches, 4 rows and a torn half row */
    ok(sekit_writer_open(&r, &s, 0, 1, &done, &e) == SEKIT_OK && access(out, F_OK) != 0,
       "--force removes the old file");
    feed(m, r, 0, 16);
    struct stat st16, st24;
    stat(journal, &st16);
    feed(m, r, 16, 24);
    stat(journal, &st24);
    sekit_writer_close(r);
    off_t rec = (st24.st_size - st16.st_size) / 8;
    ok(truncate(journal, st16.st_size + 4 * rec + rec / 2) == 0, "journal torn mid-record");
    ok(sekit_writer_open(&r, &s, 0, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "--resume"),
       "an interrupted run is not silently restarted: %s", e.msg);
    struct sekit_writer_spec other = s;
    other.seed = 5;
    ok(sekit_writer_open(&r, &other, 1, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "seed=5"),
       "--resume refuses another run's journal: %s", e.msg);
    /* the dataset "memory" is a relative path: from another directory it is another dataset,
     * whose images would get other absolute paths */
    char here[PATH_MAX];
    const int moved = getcwd(here, sizeof here) && chdir(tap_tmpdir()) == 0;
    ok(moved && sekit_writer_open(&r, &s, 1, 0, &done, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "dataset=") && strstr(e.msg, tap_tmpdir()),
       "--resume from another directory refuses the same relative dataset path: %s", e.msg);
    if (moved && chdir(here) != 0) diag("cannot return to %s", here);
    ok(sekit_writer_open(&r, &s, 1, 0, &done, &e) == SEKIT_OK, "--resume opens the journal");
    is_int(done, 16, "it continues after the last whole batch (16 rows)");
    ok(feed(m, r, 16, N) == 0 && sekit_writer_finish(r, &e) == SEKIT_OK, "resumed run finishes");
    sekit_writer_close(r);
    check_file(out, "resumed", m);

    snprintf(out, sizeof out, "/nonexistent-dir/run.h5");
    s.out_path = out;
    ok(sekit_writer_open(&r, &s, 0, 0, &done, &e) == SEKIT_EIO && strstr(e.msg, "/nonexistent-dir"),
       "a missing output directory is named: %s", e.msg);
    failures(m);
    sekit_model_free(m);
    return tap_done();
}
