/* stats.c -- `sekit stats`: per-class, per-channel statistics of a recording. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const struct cli_cmd cmd = {
    "stats",
    "stats RUN.h5 [--out FILE]",
    "Computes, for every recorded class, SE block and channel, the mean, std, median, "
    "quartiles\nand count of the gates; the all-classes mean curve; and per block the class "
    "specificity\n(between-class / total variance), the mean distance between class means, "
    "and saturation\n(share of gates > 0.99 and < 0.01). Writes them to FILE plus a CSV "
    "summary (FILE with\n.csv); the recording itself is never modified. Definitions: "
    "analysis/analysis.h and the\nfile's /stats 'definitions' attribute.\n",
    "a recording (RUN.h5)",
    1,
    {NULL}};

int cmd_stats(int argc, char **argv)
{
    const char *in, *out = NULL;
    const struct opt own[] = {
        OPT_S(
            "--out", &out, "FILE",
            "the statistics file (default RUN.stats.h5 next to the recording;\nits directory must "
            "exist)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &in);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    struct sekit_err e = {0};
    struct sekit_block_stats *st;
    int nb;
    char *def = out ? NULL : sekit_stats_path(in);
    if (sekit_job_stats(in, out, &st, &nb, &e)) {
        free(def);
        return cli_fail(&e);
    }
    printf("%-9s %5s %11s %9s %11s %8s %8s\n", "block", "C", "specificity", "distance",
           "correlation", "sat>.99", "sat<.01");
    for (int b = 0; b < nb; b++)
        printf("%-9s %5d %11.4f %9.4f %11.4f %7.2f%% %7.2f%%\n", st[b].name, st[b].channels,
               st[b].specificity, st[b].distance, st[b].correlation, 100 * st[b].sat_high,
               100 * st[b].sat_low);
    int64_t n = 0;
    for (int k = 0; nb && k < st[0].nclasses; k++)
        n += st[0].count[k];
    printf("%d classes, %lld images -> %s\n", nb ? st[0].nclasses : 0, (long long)n,
           out ? out : def);
    for (int b = 0; b < nb; b++)
        sekit_stats_free(&st[b]);
    free(st);
    free(def);
    return CLI_OK;
}
