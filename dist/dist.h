/*
 * dist.h -- the ranks of a job launched by mpirun or srun, or the one process of any other run.
 *
 * A job split across ranks gives each rank a contiguous range of the selection's rows
 * (sekit_dist_range), runs the engine on it with the rank's own threads, and combines what the
 * ranks computed with the collectives below; rank 0 alone prints and writes the files that are
 * not per rank. Built without MPI (meson -Dmpi=disabled, the default), or run without mpirun,
 * a job is one rank and every collective returns its input: the serial path is the same code.
 *
 * Every function here except sekit_dist_range is collective: all ranks call it, in the same
 * order. Only the thread that called sekit_dist_init calls them (MPI_THREAD_FUNNELED).
 */
#ifndef SEKIT_DIST_H
#define SEKIT_DIST_H

#include "sekit.h"

#include <stddef.h>
#include <stdint.h>

struct sekit_dist {
    int rank, size; /* this process's rank, of size ranks */
};

/* 1 when this build can run as several MPI ranks. */
int sekit_dist_built(void);

/* Starts MPI when the build has it and the process was started by an MPI launcher (mpirun,
 * mpiexec, srun: their environment says so), and makes the process's place in the job the one
 * sekit_dist_world returns; any other process is rank 0 of 1 and starts no MPI. Call once, from
 * the thread that will make every collective call, before any of them. */
int sekit_dist_init(int *argc, char ***argv, struct sekit_err *e);
/* Ends MPI if sekit_dist_init started it (after the last collective). */
void sekit_dist_finalize(void);
/* The job's ranks as sekit_dist_init found them: rank 0 of 1 until it is called. MPI's world is
 * the process's, like its thread count, so jobs ask for it rather than carry it. */
const struct sekit_dist *sekit_dist_world(void);

/* Rows [*lo, *hi) of n for d's rank: contiguous, in rank order, sizes differing by at most one
 * (the first n % size ranks take one more). */
void sekit_dist_range(const struct sekit_dist *d, int64_t n, int64_t *lo, int64_t *hi);

/* Every rank passes the status of its own work (rc, e). All ranks return the status of the
 * lowest rank that failed, and e holds that rank's message, prefixed "rank R of N: " when there
 * are several ranks (once: a message agreed on before keeps its rank); SEKIT_OK when every rank
 * succeeded. */
int sekit_dist_agree(const struct sekit_dist *d, int rc, struct sekit_err *e);

/* v[0..n) summed over the ranks, in place, on every rank. Integer sums are exact in any order,
 * so the result does not depend on the number of ranks. */
void sekit_dist_sum_i64(const struct sekit_dist *d, int64_t *v, size_t n);

/* Rank 0 receives every rank's nbytes of buf, concatenated in rank order, into *out (malloc'd,
 * *out_bytes its size; NULL and 0 on other ranks). Fails (on every rank) with SEKIT_ENOMEM when
 * rank 0 cannot hold them. */
int sekit_dist_gather(const struct sekit_dist *d, const void *buf, size_t nbytes, void **out,
                      size_t *out_bytes, struct sekit_err *e);

/* buf[0..nbytes) of rank root copied to every rank. */
void sekit_dist_bcast(const struct sekit_dist *d, void *buf, size_t nbytes, int root);

void sekit_dist_barrier(const struct sekit_dist *d);

/* ---- rows in batches, and progress ---- */

#include "../datasets/pipeline.h"

/* Rows [*lo, *hi) of n for d's rank when the rows run in batches of `batch`: the one-process
 * run's batches split as sekit_dist_range splits rows. Every batch is then the one-process run's,
 * so results that depend on which images share a batch come out the same bits: the classifier's
 * matrix product sums in an order that depends on the batch's size (a recording's logits). */
void sekit_dist_range_batches(const struct sekit_dist *d, int64_t n, int batch, int64_t *lo,
                              int64_t *hi);

/* The whole job's progress from one rank's pass over rows [lo, hi) of n: rank 0 tells pr of its
 * own rows scaled to n, the other ranks tell nothing (notes included). The ranks' shares differ
 * by at most a batch and run at about the same pace, so rank 0's fraction done stands for the
 * job's; a rank that is slower (another node, other images) finishes after the bar does. */
struct sekit_dist_progress {
    struct sekit_progress p;
    const struct sekit_progress *to;
    int64_t lo, hi, n;
};
const struct sekit_progress *sekit_dist_progress(struct sekit_dist_progress *w,
                                                 const struct sekit_dist *d,
                                                 const struct sekit_progress *pr, int64_t lo,
                                                 int64_t hi, int64_t n);

/* How many of the job's ranks run on this rank's node, 1 without MPI (collective). */
int sekit_dist_node_ranks(const struct sekit_dist *d);

#endif
