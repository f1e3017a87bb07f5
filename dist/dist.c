/* dist.c -- see dist.h. With MPI (SEKIT_HAVE_MPI) the collectives are MPI's on
 * MPI_COMM_WORLD; without it a job is one rank and each collective returns its input. */
#include "dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SEKIT_HAVE_MPI
#include <mpi.h>
#endif

/* MPI counts are int: transfers go in pieces of at most this many elements */
#define PIECE (1 << 28)

int sekit_dist_built(void)
{
#ifdef SEKIT_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

static struct sekit_dist world = {0, 1};
static int started;

const struct sekit_dist *sekit_dist_world(void)
{
    return &world;
}

#ifdef SEKIT_HAVE_MPI
/* Set by OpenMPI's mpirun, by MPICH's and Intel's Hydra, by PMIx (srun --mpi=pmix) and by
 * PMI-2 (srun --mpi=pmi2). A process without them is not part of a launched job: it runs as one
 * rank without MPI, so the MPI build's sekit is the serial one outside mpirun. */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}
#endif

int sekit_dist_init(int *argc, char ***argv, struct sekit_err *e)
{
    world.rank = 0, world.size = 1;
#ifdef SEKIT_HAVE_MPI
    if (!launched()) return SEKIT_OK;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return sekit_errf(e, SEKIT_EIO, "MPI could not start");
    started = 1;
    if (provided < MPI_THREAD_FUNNELED) {
        sekit_dist_finalize();
        return sekit_errf(e, SEKIT_EIO, "MPI: this MPI library gives no thread support");
    }
    /* MPI's default error handler ends the job with MPI's message on a failed call: sekit checks
     * its inputs before any collective, so a failure there is the runtime's (a lost node) */
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
#else
    (void)argc, (void)argv, (void)e;
#endif
    return SEKIT_OK;
}

void sekit_dist_finalize(void)
{
#ifdef SEKIT_HAVE_MPI
    if (started) MPI_Finalize();
#endif
    started = 0;
}

void sekit_dist_range(const struct sekit_dist *d, int64_t n, int64_t *lo, int64_t *hi)
{
    SEKIT_ASSERT(d->size >= 1 && d->rank >= 0 && d->rank < d->size && n >= 0);
    const int64_t q = n / d->size, r = n % d->size;
    *lo = d->rank * q + (d->rank < r ? d->rank : r);
    *hi = *lo + q + (d->rank < r ? 1 : 0);
}

int sekit_dist_agree(const struct sekit_dist *d, int rc, struct sekit_err *e)
{
#ifdef SEKIT_HAVE_MPI
    if (d->size == 1) return rc;
    /* the lowest failing rank: MPI_MIN over (failed ? rank : size) */
    int mine = rc ? d->rank : d->size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == d->size) return SEKIT_OK;
    struct {
        int code;
        char msg[SEKIT_ERRMSG_MAX];
    } what = {0};
    if (d->rank == first) {
        what.code = rc;
        snprintf(what.msg, sizeof what.msg, "%s", e ? e->msg : "failed");
    }
    MPI_Bcast(&what, (int)sizeof what, MPI_BYTE, first, MPI_COMM_WORLD);
    /* a failure agreed on already (every rank holds it) keeps the rank it names */
    int r, n, at = 0;
    if (sscanf(what.msg, "rank %d of %d: %n", &r, &n, &at) == 2 && at > 0 && n == d->size)
        return sekit_errf(e, what.code, "%s", what.msg);
    return sekit_errf(e, what.code, "rank %d of %d: %s", first, d->size, what.msg);
#else
    (void)d, (void)e;
    return rc;
#endif
}

void sekit_dist_sum_i64(const struct sekit_dist *d, int64_t *v, size_t n)
{
#ifdef SEKIT_HAVE_MPI
    if (d->size == 1) return;
    for (size_t o = 0; o < n; o += PIECE) {
        const int k = (int)(n - o < PIECE ? n - o : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, v + o, k, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    }
#else
    (void)d, (void)v, (void)n;
#endif
}

int sekit_dist_gather(const struct sekit_dist *d, const void *buf, size_t nbytes, void **out,
                      size_t *out_bytes, struct sekit_err *e)
{
    *out = NULL, *out_bytes = 0;
    if (d->size == 1) {
        if (d->rank == 0) {
            *out = malloc(nbytes ? nbytes : 1);
            if (!*out) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            if (nbytes) memcpy(*out, buf, nbytes);
            *out_bytes = nbytes;
        }
        return SEKIT_OK;
    }
#ifdef SEKIT_HAVE_MPI
    const int64_t mine = (int64_t)nbytes;
    int64_t *sizes = calloc((size_t)d->size, sizeof *sizes);
    int bad = !sizes;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (bad) {
        free(sizes);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    MPI_Allgather(&mine, 1, MPI_INT64_T, sizes, 1, MPI_INT64_T, MPI_COMM_WORLD);
    size_t total = 0;
    for (int r = 0; r < d->size; r++)
        total += (size_t)sizes[r];
    unsigned char *all = NULL;
    if (d->rank == 0) {
        all = malloc(total ? total : 1);
        bad = !all;
    }
    /* every rank learns whether rank 0 can take the data before anything is sent */
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (bad) {
        free(sizes);
        return sekit_errf(e, SEKIT_ENOMEM, "rank 0 of %d: out of memory gathering %zu bytes",
                          d->size, total);
    }
    /* point to point in rank order, in pieces that fit MPI's int counts */
    if (d->rank == 0) {
        size_t at = 0;
        memcpy(all, buf, nbytes);
        at += nbytes;
        for (int r = 1; r < d->size; r++) {
            for (size_t o = 0; o < (size_t)sizes[r]; o += PIECE) {
                const int k = (int)((size_t)sizes[r] - o < PIECE ? (size_t)sizes[r] - o : PIECE);
                MPI_Recv(all + at + o, k, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            }
            at += (size_t)sizes[r];
        }
        *out = all, *out_bytes = total;
    } else {
        for (size_t o = 0; o < nbytes; o += PIECE) {
            const int k = (int)(nbytes - o < PIECE ? nbytes - o : PIECE);
            MPI_Send((const unsigned char *)buf + o, k, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
    }
    free(sizes);
    return SEKIT_OK;
#else
    (void)e;
    return SEKIT_OK;
#endif
}

void sekit_dist_bcast(const struct sekit_dist *d, void *buf, size_t nbytes, int root)
{
#ifdef SEKIT_HAVE_MPI
    if (d->size == 1) return;
    for (size_t o = 0; o < nbytes; o += PIECE) {
        const int k = (int)(nbytes - o < PIECE ? nbytes - o : PIECE);
        MPI_Bcast((unsigned char *)buf + o, k, MPI_BYTE, root, MPI_COMM_WORLD);
    }
#else
    (void)d, (void)buf, (void)nbytes, (void)root;
#endif
}

void sekit_dist_barrier(const struct sekit_dist *d)
{
#ifdef SEKIT_HAVE_MPI
    if (d->size > 1) MPI_Barrier(MPI_COMM_WORLD);
#else
    (void)d;
#endif
}

void sekit_dist_range_batches(const struct sekit_dist *d, int64_t n, int batch, int64_t *lo,
                              int64_t *hi)
{
    SEKIT_ASSERT(batch >= 1);
    int64_t blo, bhi;
    sekit_dist_range(d, (n + batch - 1) / batch, &blo, &bhi);
    *lo = blo * batch < n ? blo * batch : n;
    *hi = bhi * batch < n ? bhi * batch : n;
}

static void scaled(int64_t done, int64_t total, void *ctx)
{
    (void)total;
    const struct sekit_dist_progress *w = ctx;
    const int64_t whole = w->hi > w->lo ? (done - w->lo) * w->n / (w->hi - w->lo) : w->n;
    w->to->fn(whole, w->n, w->to->ctx);
}

static void noted(const char *msg, void *ctx)
{
    const struct sekit_dist_progress *w = ctx;
    w->to->note(msg, w->to->ctx);
}

const struct sekit_progress *sekit_dist_progress(struct sekit_dist_progress *w,
                                                 const struct sekit_dist *d,
                                                 const struct sekit_progress *pr, int64_t lo,
                                                 int64_t hi, int64_t n)
{
    *w = (struct sekit_dist_progress){.to = pr, .lo = lo, .hi = hi, .n = n};
    if (!pr || d->rank != 0) return NULL;
    if (d->size == 1) return pr;
    w->p = (struct sekit_progress){pr->fn ? scaled : NULL, pr->note ? noted : NULL, w};
    return &w->p;
}

int sekit_dist_node_ranks(const struct sekit_dist *d)
{
#ifdef SEKIT_HAVE_MPI
    if (d->size == 1) return 1;
    MPI_Comm node;
    int n = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &n);
        MPI_Comm_free(&node);
    }
    return n;
#else
    (void)d;
    return 1;
#endif
}
