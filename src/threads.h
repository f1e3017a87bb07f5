/*
 * threads.h -- the engine's parallelism (src/threads.c), internal to the engine.
 *
 * A batch is split into one share of images per thread; each thread runs the whole network on
 * its share with single-threaded GEMMs or oneDNN convolutions, so im2col, transposes, pooling
 * and the SE passes run in parallel too. A batch smaller than the thread count runs on the
 * calling thread with OpenBLAS's (or oneDNN's OpenMP) threads instead. Measured on 2 cores with
 * the oneDNN backend, shares beat oneDNN's own threading of the whole batch by 1.2x (bench/).
 */
#ifndef SEKIT_THREADS_H
#define SEKIT_THREADS_H

#define SEKIT_MAX_THREADS 256

/* The thread count set by sekit_set_threads (1 .. SEKIT_MAX_THREADS). */
int sekit_threads(void);

/* Makes OpenBLAS use n threads for the GEMMs that follow (no-op when already so). */
void sekit_blas_threads(int n);

/* Runs fn(ctx, i) for i = 0 .. n-1 (n <= SEKIT_MAX_THREADS), each on its own thread (i = 0 on the
 * caller's), and returns when all have finished. Falls back to running them in turn when a thread
 * cannot start. */
void sekit_parallel(int n, void (*fn)(void *ctx, int i), void *ctx);

#endif
