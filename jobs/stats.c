/* stats.c -- the statistics file of a recording. See jobs.h. */
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

int sekit_job_stats(const char *in, const char *out, struct sekit_block_stats **stp, int *nblocks,
                    struct sekit_err *e)
{
    char *def = out ? NULL : sekit_stats_path(in);
    const char *path = out ? out : def;
    if (!path) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    int rc = sekit_check_output(path, e);
    struct sekit_recording *r = NULL;
    if (!rc) rc = sekit_recording_open(&r, in, e);
    struct sekit_block_stats *st = rc ? NULL : calloc((size_t)r->nblocks, sizeof *st);
    if (!rc && !st) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!rc) rc = sekit_stats_recording(r, st, e);
    if (!rc) rc = sekit_stats_write(path, r, st, e);
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
