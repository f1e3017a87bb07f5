/* stats.c -- the statistics file of a recording. See jobs.h. */
#include "../dist/dist.h"
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sekit_stats_path(const char *rec)
{
    const size_t n = strlen(rec);
    const size_t base = n > 3 && strcmp(rec + n - 3, ".h5") == 0 ? n - 3 : n;
    char *p = malloc(base + 10);
    if (p) snprintf(p, base + 10, "%.*s.stats.h5", (int)base, rec);
    return p;
}

/* Blocks [*from, *to) of r for rank d: contiguous, in rank order, about equal shares of the
 * channels (a block's work grows with its channels; every block has the same images). */
static void block_range(const struct sekit_dist *d, const struct sekit_recording *r, int *from,
                        int *to)
{
    int64_t total = 0, before = 0;
    for (int b = 0; b < r->nblocks; b++)
        total += r->blocks[b].channels;
    *from = *to = 0;
    for (int b = 0; b < r->nblocks; b++) {
        const int64_t C = r->blocks[b].channels;
        /* the rank whose share holds the block's middle channel */
        const int64_t owner = total ? (2 * before + C) * d->size / (2 * total) : 0;
        if (owner < d->rank)
            *from = *to = b + 1;
        else if (owner == d->rank)
            *to = b + 1;
        before += C;
    }
}

/* Every block's statistics on every rank, each rank computing its blocks: the ranks' blocks
 * gathered on rank 0 in block order, and from there to every rank. */
static int stats_blocks(const struct sekit_dist *d, const struct sekit_recording *r,
                        struct sekit_block_stats *st, struct sekit_err *e)
{
    int from, to;
    block_range(d, r, &from, &to);
    struct sekit_block_stats *mine = calloc((size_t)(to - from) + 1, sizeof *mine);
    void *buf = NULL, *all = NULL;
    size_t bytes = 0, total = 0;
    int rc = mine ? sekit_stats_blocks(r, from, to, mine, e)
                  : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!rc) rc = sekit_stats_pack(mine, to - from, &buf, &bytes, e);
    for (int b = 0; mine && !rc && b < to - from; b++)
        sekit_stats_free(&mine[b]);
    free(mine);
    if ((rc = sekit_dist_agree(d, rc, e)) ||
        (rc = sekit_dist_gather(d, buf, bytes, &all, &total, e)))
        goto out;
    /* the size first, then the blocks, to the ranks that compute no file */
    int64_t n = (int64_t)total;
    sekit_dist_bcast(d, &n, sizeof n, 0);
    if (d->rank != 0 && !(all = malloc((size_t)n + 1)))
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for the statistics");
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    sekit_dist_bcast(d, all, (size_t)n, 0);
    rc = sekit_stats_unpack(all, (size_t)n, st, r->nblocks, e);
    rc = sekit_dist_agree(d, rc, e);
out:
    free(buf), free(all);
    return rc;
}

int sekit_job_stats(const char *in, const char *out, struct sekit_block_stats **stp, int *nblocks,
                    struct sekit_err *e)
{
    /* the ranks split the blocks; rank 0 alone writes the files. Every step that can fail on one
     * rank ends in sekit_dist_agree, so that all ranks go on or stop together. */
    const struct sekit_dist *d = sekit_dist_world();
    char *def = out ? NULL : sekit_stats_path(in);
    const char *path = out ? out : def;
    int rc = path ? SEKIT_OK : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!rc && d->rank == 0) rc = sekit_check_output(path, e);
    struct sekit_recording *r = NULL;
    if (!(rc = sekit_dist_agree(d, rc, e))) rc = sekit_recording_open(&r, in, e);
    rc = sekit_dist_agree(d, rc, e);
    struct sekit_block_stats *st = rc ? NULL : calloc((size_t)r->nblocks, sizeof *st);
    if (!rc && !st) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!(rc = sekit_dist_agree(d, rc, e))) rc = stats_blocks(d, r, st, e);
    if (!rc) {
        if (d->rank == 0) rc = sekit_stats_write(path, r, st, e);
        rc = sekit_dist_agree(d, rc, e);
    }
    const int nb = r ? r->nblocks : 0;
    if (!rc && stp) {
        *stp = st;
        *nblocks = nb;
    } else {
        for (int b = 0; st && b < nb; b++)
            sekit_stats_free(&st[b]);
        free(st);
    }
    free(def);
    sekit_recording_close(r);
    return rc;
}
