/*
 * t-ranks.c -- the recording writer of an MPI job's ranks, driven in one process (no MPI
 * needed): three writers, one per rank, each appending its range of whole batches to its own
 * journal; rank 0's conversion of the three journals equals the one-process recording in every
 * dataset; --resume continues each rank's journal and refuses journals of another rank count,
 * naming both counts; a journal that lacks rows is refused at the conversion.
 */
#include "record.h"
#include "fixture.h"
#include "tap.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = 37, B = 8, H = 10, RANKS = 3 };

static float inputs[N * H * H];
static int labels[N], preds[N];
static const char *names[4] = {"a", "b", "c", "d"};
static int sel[2] = {0, 2};
static int64_t sidx[N];
static struct sekit_writer_block blocks[4];
/* the whole batches of the one-process run split as sekit_dist_range_batches splits them: 5
 * batches, 2 + 2 + 1 */
static const int64_t bounds[RANKS + 1] = {0, 16, 32, N}, bounds2[3] = {0, 24, N};

static struct sekit_writer_spec spec(const struct sekit_model *m, const char *out, int rank,
                                     int ranks)
{
    fixture_rec_blocks(m, blocks, 4);
    for (int i = 0; i < N; i++)
        sidx[i] = 100 + i;
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
                                      .n = N,
                                      .sample_index = sidx,
                                      .nblocks = 4,
                                      .blocks = blocks,
                                      .squeeze = 1,
                                      .batch = B,
                                      .rank = rank,
                                      .ranks = ranks,
                                      .bounds = ranks == RANKS ? bounds
                                                : ranks == 2   ? bounds2
                                                               : NULL};
}

/* Rows [from, to) in batches of B from `from`, as the pipeline runs a rank's rows. */
static int feed(struct sekit_model *m, struct sekit_writer *r, int64_t from, int64_t to)
{
    return fixture_rec_feed(m, r, inputs, H, labels, preds, from, to);
}

/* Dataset name of files a and b: the same values, bit for bit (read as native float or int64). */
static int same_dataset(hid_t fa, hid_t fb, const char *name, int is_float)
{
    hid_t d[2] = {H5Dopen2(fa, name, H5P_DEFAULT), H5Dopen2(fb, name, H5P_DEFAULT)};
    void *v[2] = {NULL, NULL};
    hssize_t np[2] = {-1, -1};
    int same = 0;
    if (d[0] >= 0 && d[1] >= 0) {
        for (int i = 0; i < 2; i++) {
            hid_t sp = H5Dget_space(d[i]);
            np[i] = H5Sget_simple_extent_npoints(sp);
            H5Sclose(sp);
            v[i] = malloc(8 * (size_t)(np[i] > 0 ? np[i] : 1));
            if (v[i] && H5Dread(d[i], is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64, H5S_ALL,
                                H5S_ALL, H5P_DEFAULT, v[i]) < 0) {
                free(v[i]);
                v[i] = NULL;
            }
        }
        same = v[0] && v[1] && np[0] == np[1] && np[0] > 0 &&
               memcmp(v[0], v[1], (size_t)np[0] * (is_float ? 4 : 8)) == 0;
    }
    if (!same) diag("%s differs (%lld and %lld values)", name, (long long)np[0], (long long)np[1]);
    for (int i = 0; i < 2; i++) {
        free(v[i]);
        if (d[i] >= 0) H5Dclose(d[i]);
    }
    return same;
}

/* Every dataset of the recordings a and b that holds numbers: the same. */
static int same_recording(const char *a, const char *b)
{
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT),
          fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    int same = fa >= 0 && fb >= 0;
    static const char *const ints[] = {"labels", "predictions", "sample_index"};
    for (size_t i = 0; same && i < sizeof ints / sizeof ints[0]; i++)
        same = same_dataset(fa, fb, ints[i], 0);
    if (same) same = same_dataset(fa, fb, "logits", 1);
    for (int k = 0; same && k < 8; k++) {
        char name[80];
        snprintf(name, sizeof name, "%s/%s", k < 4 ? "excitation" : "squeeze", blocks[k % 4].name);
        same = same_dataset(fa, fb, name, 1);
    }
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
    return same;
}

static int exists(const char *dir, const char *name)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* The ranks' writers: rank 0 opens first (it checks the shared files), then the others. */
static int open_ranks(struct sekit_writer_spec *s, struct sekit_writer **r, int64_t *done,
                      int resume, int force, struct sekit_err *e)
{
    for (int k = 0; k < RANKS; k++) {
        int rc = sekit_writer_open(&r[k], &s[k], resume, force, &done[k], e);
        if (rc) {
            diag("rank %d: %s", k, e->msg);
            for (int j = 0; j < k; j++)
                sekit_writer_close(r[j]);
            return rc;
        }
    }
    return SEKIT_OK;
}

int main(void)
{
    struct sekit_model *m = fixture_small_model(8, 4, 3);
    struct sekit_err e = {0};
    if (!ok(m && sekit_model_prepare(m, B, H, H, &e) == 0, "a small model")) return tap_done();
    uint64_t seed = 11;
    for (int i = 0; i < N * H * H; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        inputs[i] = (float)((double)(seed >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
    for (int i = 0; i < N; i++)
        labels[i] = i % 4, preds[i] = (i + 1) % 4;
    const char *dir = tap_tmpdir();
    char one[1000], run[1000];
    snprintf(one, sizeof one, "%s/one.h5", dir);
    snprintf(run, sizeof run, "%s/run.h5", dir);

    /* the one-process recording */
    struct sekit_writer_spec s1 = spec(m, one, 0, 1);
    struct sekit_writer *r1 = NULL;
    int64_t d1 = -1;
    ok(sekit_writer_open(&r1, &s1, 0, 0, &d1, &e) == 0 && feed(m, r1, 0, N) == 0 &&
           sekit_writer_finish(r1, &e) == 0,
       "the one-process recording: %s", e.msg);
    sekit_writer_close(r1);

    /* three ranks: each its rows into its own journal, then rank 0 converts them */
    struct sekit_writer_spec s[RANKS];
    struct sekit_writer *r[RANKS];
    int64_t done[RANKS];
    for (int k = 0; k < RANKS; k++)
        s[k] = spec(m, run, k, RANKS);
    if (ok(open_ranks(s, r, done, 0, 0, &e) == 0, "three writers open")) {
        is_int(done[0] * 10000 + done[1] * 100 + done[2], 0 * 10000 + 16 * 100 + 32,
               "each starts at its first row (0, 16, 32)");
        ok(exists(dir, "run.h5.journal.rank-0-of-3") && exists(dir, "run.h5.journal.rank-2-of-3") &&
               !exists(dir, "run.h5.journal"),
           "each has its journal, RUN.h5.journal.rank-R-of-3");
        int fed = 1;
        for (int k = 0; k < RANKS; k++)
            fed &= feed(m, r[k], bounds[k], bounds[k + 1]) == 0 && sekit_writer_seal(r[k], &e) == 0;
        ok(fed, "each appends its rows and seals its journal");
        ok(!exists(dir, "run.h5"), "no run.h5 before rank 0 converts");
        ok(sekit_writer_finish(r[0], &e) == 0, "rank 0 converts the three journals: %s", e.msg);
        for (int k = 0; k < RANKS; k++)
            sekit_writer_close(r[k]);
        ok(same_recording(one, run), "the file equals the one-process recording, every dataset");
        ok(!exists(dir, "run.h5.journal.rank-0-of-3") &&
               !exists(dir, "run.h5.journal.rank-1-of-3") &&
               !exists(dir, "run.h5.journal.rank-2-of-3"),
           "the journals are removed");
    }

    /* interrupted: rank 0 holds 11 rows (one torn batch beyond 8), rank 1 none, rank 2 all */
    unlink(run);
    if (ok(open_ranks(s, r, done, 0, 0, &e) == 0, "a new run of three writers opens")) {
        const int fed = feed(m, r[0], 0, 11) == 0 && feed(m, r[2], 32, N) == 0;
        for (int k = 0; k < RANKS; k++)
            sekit_writer_close(r[k]);
        ok(fed, "then stops, its journals kept");
    }
    struct sekit_writer_spec s2 = spec(m, run, 0, 2), sone = spec(m, run, 0, 1);
    struct sekit_writer *x = NULL;
    int64_t dx;
    ok(sekit_writer_open(&x, &sone, 1, 0, &dx, &e) == SEKIT_EINVAL &&
           strstr(e.msg,
                  "the interrupted run had 3 ranks, this one has 1 (resume with mpirun -n 3"),
       "--resume of three ranks' journals by one process is refused: %s", e.msg);
    ok(sekit_writer_open(&x, &s2, 1, 0, &dx, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "the interrupted run had 3 ranks, this one has 2"),
       "--resume with two ranks is refused: %s", e.msg);
    ok(sekit_writer_open(&x, &s2, 0, 0, &dx, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "an interrupted recording is in progress"),
       "a new run of two ranks is refused while they are there: %s", e.msg);
    if (ok(open_ranks(s, r, done, 1, 0, &e) == 0, "--resume with three ranks opens")) {
        /* rank 2's 5 rows are less than a batch: it runs them again, as one process does */
        is_int(done[0] * 10000 + done[1] * 100 + done[2], 8 * 10000 + 16 * 100 + 32,
               "each continues after its last whole batch (8, 16, 32)");
        e = (struct sekit_err){0};
        int fed = 1;
        for (int k = 0; k < RANKS; k++)
            fed &= feed(m, r[k], done[k], bounds[k + 1]) == 0 && sekit_writer_seal(r[k], &e) == 0;
        ok(fed && sekit_writer_finish(r[0], &e) == 0, "and finishes: %s", e.msg);
        for (int k = 0; k < RANKS; k++)
            sekit_writer_close(r[k]);
        ok(same_recording(one, run), "the resumed file equals the one-process recording");
    }

    /* a rank's journal that lacks rows (another node's disk lost them): refused, journals kept */
    unlink(run);
    if (ok(open_ranks(s, r, done, 0, 0, &e) == 0, "three writers open again")) {
        int fed = 1;
        for (int k = 0; k < RANKS; k++)
            fed &= feed(m, r[k], bounds[k], bounds[k + 1]) == 0 && sekit_writer_seal(r[k], &e) == 0;
        char j1[1200];
        snprintf(j1, sizeof j1, "%s.journal.rank-1-of-3", run);
        struct stat sb;
        fed &= stat(j1, &sb) == 0 && truncate(j1, sb.st_size - 1) == 0;
        ok(fed && sekit_writer_finish(r[0], &e) == SEKIT_EFORMAT && strstr(e.msg, j1) &&
               strstr(e.msg, "kept: rerun with --resume") && !exists(dir, "run.h5"),
           "a journal one byte short is refused, naming it, and no file is written: %s", e.msg);
        for (int k = 0; k < RANKS; k++)
            sekit_writer_close(r[k]);
    }
    e = (struct sekit_err){0};
    ok(sekit_writer_open(&x, &sone, 0, 1, &dx, &e) == 0 &&
           !exists(dir, "run.h5.journal.rank-0-of-3") && !exists(dir, "run.h5.journal.rank-2-of-3"),
       "--force removes the journals of every rank count: %s", e.msg);
    sekit_writer_close(x);
    sekit_model_free(m);
    return tap_done();
}
