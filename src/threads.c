/*
 * threads.c -- the engine's threads: see threads.h.
 *
 * Why shares of the batch rather than OpenBLAS's threads alone: on small images (28x28, 32x32)
 * the GEMMs are short and the single-threaded passes around them (im2col, bias + ReLU
 * transposes, SE) take as long as the GEMMs; measured on 2 cores, OpenBLAS threads sped the
 * bundled Fashion-MNIST model up by 1.01x at batch 64. An OpenMP pool around OpenBLAS's own
 * threads was tried before and lost to their spinning; here OpenBLAS runs single-threaded while
 * the shares run, so the two never compete.
 */
#include "threads.h"
#include "sekit.h"

#include <cblas.h>
#include <pthread.h>
#include <unistd.h>

static int nthreads = 1, blas_now = -1;

int sekit_set_threads(int n)
{
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    if (n > SEKIT_MAX_THREADS) n = SEKIT_MAX_THREADS;
    nthreads = n;
    sekit_blas_threads(n);
    return n;
}

int sekit_threads(void)
{
    return nthreads;
}

void sekit_blas_threads(int n)
{
    if (n == blas_now) return;
    openblas_set_num_threads(n);
    blas_now = n;
}

struct task {
    void (*fn)(void *ctx, int i);
    void *ctx;
    int i;
};

static void *run_task(void *p)
{
    struct task *t = p;
    t->fn(t->ctx, t->i);
    return NULL;
}

void sekit_parallel(int n, void (*fn)(void *ctx, int i), void *ctx)
{
    SEKIT_ASSERT(n >= 1 && n <= SEKIT_MAX_THREADS);
    pthread_t tid[SEKIT_MAX_THREADS];
    struct task task[SEKIT_MAX_THREADS];
    int started[SEKIT_MAX_THREADS] = {0};
    for (int i = 1; i < n; i++) {
        task[i] = (struct task){fn, ctx, i};
        started[i] = pthread_create(&tid[i], NULL, run_task, &task[i]) == 0;
    }
    fn(ctx, 0);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fn(ctx, i);
    }
}
