/*
 * t-record.c -- the recording writer: gates written equal the engine's gates for the same
 * inputs; schema, attributes and dimension scales; journal resume after a torn record; refusal
 * of another run's journal and of an existing output.
 */
#include "record.h"
#include "failenv.h"
#include "fixture.h"
#include "tap.h"

#include <hdf5.h>
#include <hdf5_hl.h>
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
static struct sekit_rec_block blocks[4];

static struct sekit_rec_spec spec(const struct sekit_model *m, const char *out, int squeeze)
{
    for (int k = 0; k < 4; k++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, k);
        snprintf(blocks[k].name, sizeof blocks[k].name, "%s", s->name);
        snprintf(blocks[k].module, sizeof blocks[k].module, "%s", s->module);
        blocks[k].stage = s->stage, blocks[k].block = s->block;
        blocks[k].channels = s->channels, blocks[k].reduced = s->reduced;
        blocks[k].model_index = k;
    }
    for (int i = 0; i < N; i++)
        sidx[i] = 100 + i;
    return (struct sekit_rec_spec){.out_path = out,
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
                                   .nblocks = 4,
                                   .blocks = blocks,
                                   .squeeze = squeeze,
                                   .batch = B};
}

/* Feeds rows [from, to) through the model and the writer. */
static int feed(struct sekit_model *m, struct sekit_rec *r, int from, int to)
{
    struct sekit_err e = {0};
    float lg[B * 4];
    for (int first = from; first < to; first += B) {
        int nb = to - first < B ? to - first : B;
        sekit_model_forward(m, inputs + first * H * H, nb, lg);
        if (sekit_rec_append(r, m, first, nb, labels + first, preds + first, lg, &e)) {
            diag("%s", e.msg);
            return 1;
        }
    }
    return 0;
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
    hid_t sc = H5Dopen2(f, "channel_16", H5P_DEFAULT);
    hid_t sm = H5Dopen2(f, "sample", H5P_DEFAULT);
    ok(H5DSis_attached(g, sm, 0) > 0 && H5DSis_attached(g, sc, 1) > 0,
       "%s: dimension scales sample and channel_16 attached", what);
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
    ok(fv == 1 && n == N, "%s: format_version 1, n_images %d", what, N);
    H5Fclose(f);
}

struct finish_job {
    struct sekit_rec *r;
};

static int finish_job(void *ctx, struct sekit_err *e)
{
    return sekit_rec_finish(((struct finish_job *)ctx)->r, e);
}

struct journal_job {
    struct sekit_rec *r;
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
        rc = sekit_rec_append(j->r, j->m, first, nb, labels + first, preds + first, lg, e);
    }
    return rc;
}

struct open_job {
    struct sekit_rec_spec *s;
};

static int open_job(void *ctx, struct sekit_err *e)
{
    struct sekit_rec *r = NULL;
    int64_t done;
    int rc = sekit_rec_open(&r, ((struct open_job *)ctx)->s, 0, 1, &done, e);
    sekit_rec_close(r);
    return rc;
}

/* Writes that fail: the finishing step under a file-size limit, in a child; the journal stays
 * and a resumed run finishes the same file. */
static void failures(struct sekit_model *m)
{
    char out[700], journal[720], tmp[720], rodir[600];
    snprintf(out, sizeof out, "%s/limited.h5", tap_tmpdir());
    snprintf(journal, sizeof journal, "%s.journal", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    struct sekit_rec_spec s = spec(m, out, 1);
    struct sekit_rec *r = NULL;
    struct sekit_err e = {0};
    int64_t done;
    struct failenv_result res;
    const long limits[2] = {2048, 40 * 1024};
    for (int i = 0; i < 2; i++) {
        if (!ok(sekit_rec_open(&r, &s, 0, 1, &done, &e) == 0 && feed(m, r, 0, N) == 0,
                "limit %ld: every row in the journal", limits[i]))
            return;
        struct finish_job j = {r};
        if (failenv_run(FAILENV_FSIZE, limits[i], finish_job, &j, &res)) {
            skip("no child process");
            sekit_rec_close(r);
            continue;
        }
        sekit_rec_close(r);
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
        ok(access(out, F_OK) != 0 && access(tmp, F_OK) != 0 && access(journal, F_OK) == 0,
           "limit %ld: no recording, no .tmp, the journal kept", limits[i]);
    }
    ok(sekit_rec_open(&r, &s, 1, 0, &done, &e) == 0 && done == N - N % B,
       "--resume continues the kept journal after its last whole batch");
    ok(feed(m, r, (int)done, N) == 0 && sekit_rec_finish(r, &e) == 0, "and finishes the file");
    sekit_rec_close(r);
    check_file(out, "finished after a failed write", m);

    /* the journal itself hits the limit */
    if (!ok(sekit_rec_open(&r, &s, 0, 1, &done, &e) == 0, "a new run opens")) return;
    struct journal_job jj = {r, m};
    if (failenv_run(FAILENV_FSIZE, 4096, journal_job, &jj, &res)) {
        skip("no child process");
    } else {
        ok(!res.crashed && res.status == SEKIT_EIO && strstr(res.msg, "File too large") &&
               strstr(res.msg, "it is kept: rerun with --resume"),
           "the journal at the limit: SEKIT_EIO, the journal is kept: %s", res.msg);
    }
    sekit_rec_close(r);

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

    struct sekit_rec_spec s = spec(m, out, 1);
    struct sekit_rec *r = NULL;
    int64_t done = -1;
    ok(sekit_rec_open(&r, &s, 0, 0, &done, &e) == SEKIT_OK && done == 0, "a new recording opens");
    ok(access(out, F_OK) != 0 && access(journal, F_OK) == 0,
       "while it runs only the journal exists");
    ok(feed(m, r, 0, N) == 0 && sekit_rec_finish(r, &e) == SEKIT_OK, "all rows appended, finished");
    sekit_rec_close(r);
    ok(access(out, F_OK) == 0 && access(journal, F_OK) != 0, "then the file, and no journal");
    check_file(out, "uninterrupted", m);

    ok(sekit_rec_open(&r, &s, 0, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "--force"),
       "an existing recording is not overwritten: %s", e.msg);
    ok(sekit_rec_open(&r, &s, 1, 0, &done, &e) == SEKIT_OK && done == N,
       "--resume of a complete file has nothing to do");
    sekit_rec_close(r);

    /* interrupted in the third batch's write: 2 whole batches, 4 rows and a torn half row */
    ok(sekit_rec_open(&r, &s, 0, 1, &done, &e) == SEKIT_OK && access(out, F_OK) != 0,
       "--force removes the old file");
    feed(m, r, 0, 16);
    struct stat st16, st24;
    stat(journal, &st16);
    feed(m, r, 16, 24);
    stat(journal, &st24);
    sekit_rec_close(r);
    off_t rec = (st24.st_size - st16.st_size) / 8;
    ok(truncate(journal, st16.st_size + 4 * rec + rec / 2) == 0, "journal torn mid-record");
    ok(sekit_rec_open(&r, &s, 0, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "--resume"),
       "an interrupted run is not silently restarted: %s", e.msg);
    struct sekit_rec_spec other = s;
    other.seed = 5;
    ok(sekit_rec_open(&r, &other, 1, 0, &done, &e) == SEKIT_EINVAL && strstr(e.msg, "seed=5"),
       "--resume refuses another run's journal: %s", e.msg);
    ok(sekit_rec_open(&r, &s, 1, 0, &done, &e) == SEKIT_OK, "--resume opens the journal");
    is_int(done, 16, "it continues after the last whole batch (16 rows)");
    ok(feed(m, r, 16, N) == 0 && sekit_rec_finish(r, &e) == SEKIT_OK, "resumed run finishes");
    sekit_rec_close(r);
    check_file(out, "resumed", m);

    snprintf(out, sizeof out, "/nonexistent-dir/run.h5");
    s.out_path = out;
    ok(sekit_rec_open(&r, &s, 0, 0, &done, &e) == SEKIT_EIO && strstr(e.msg, "/nonexistent-dir"),
       "a missing output directory is named: %s", e.msg);
    failures(m);
    sekit_model_free(m);
    return tap_done();
}
