/* stats.c -- `sekit stats`: per-class, per-channel statistics of a recording. */
#include "../../analysis/analysis.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit stats RUN.h5 [--out FILE]\n"
    "\n"
    "Computes, for every recorded class, SE block and channel, the mean, std, median, quartiles\n"
    "and count of the gates; the all-classes mean curve; and per block the class specificity\n"
    "(between-class / total variance), the mean distance between class means, and saturation\n"
    "(share of gates > 0.99 and < 0.01). Writes them to FILE (default: RUN.stats.h5 next to the\n"
    "recording) plus a CSV summary (RUN.stats.csv); the recording itself is never modified.\n"
    "Definitions: analysis/analysis.h and the file's /stats 'definitions' attribute.\n";

/* RUN.h5 -> RUN.stats.h5 */
char *cli_stats_path(const char *rec)
{
    size_t n = strlen(rec);
    size_t base = n > 3 && strcmp(rec + n - 3, ".h5") == 0 ? n - 3 : n;
    char *p = malloc(base + 10);
    if (p) snprintf(p, base + 10, "%.*s.stats.h5", (int)base, rec);
    return p;
}

int cmd_stats(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (!(out = cli_value("stats", argc, argv, &i))) return CLI_USAGE;
        } else if (argv[i][0] == '-' || in) {
            return cli_usage_error("stats", "unexpected argument '%s'", argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in) return cli_usage_error("stats", "give a recording (RUN.h5)");
    struct sekit_err e = {0};
    return stats_run(in, out, 1, &e) ? cli_fail(&e) : CLI_OK;
}

int stats_run(const char *in, const char *out, int print, struct sekit_err *e)
{
    struct sekit_recording *r;
    int rc = sekit_recording_open(&r, in, e);
    if (rc) return rc;
    char *def = out ? NULL : cli_stats_path(in);
    const char *path = out ? out : def;
    struct sekit_block_stats *st = calloc((size_t)r->nblocks, sizeof *st);
    rc = st ? sekit_stats_recording(r, st, e) : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!rc) rc = sekit_stats_write(path, r, st, e);
    if (!rc && print) {
        printf("%-9s %5s %11s %9s %11s %8s %8s\n", "block", "C", "specificity", "distance",
               "correlation", "sat>.99", "sat<.01");
        for (int b = 0; b < r->nblocks; b++)
            printf("%-9s %5d %11.4f %9.4f %11.4f %7.2f%% %7.2f%%\n", st[b].name, st[b].channels,
                   st[b].specificity, st[b].distance, st[b].correlation, 100 * st[b].sat_high,
                   100 * st[b].sat_low);
        printf("%d classes, %lld images -> %s\n", st[0].nclasses, (long long)r->n, path);
    }
    for (int b = 0; st && !rc && b < r->nblocks; b++)
        sekit_stats_free(&st[b]);
    free(st);
    free(def);
    sekit_recording_close(r);
    return rc;
}
