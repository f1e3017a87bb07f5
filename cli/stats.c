/* stats.c -- `sekit stats`: per-class, per-channel statistics of a recording. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const struct cli_cmd cmd = {
    "stats",
    "stats RUN.h5 [--out FILE] [--json | --quiet]",
    "Computes, for every recorded class, SE block and channel, the mean, std, median, "
    "quartiles\nand count of the gates; the all-classes mean curve; and per block the class "
    "specificity\n(between-class / total variance), the mean distance between class means, "
    "and saturation\n(share of gates > 0.99 and < 0.01). Writes them to FILE plus a CSV "
    "summary (FILE with\n.csv) and the per-class, per-channel means (RUN.means.csv); the "
    "recording itself is\nnever modified. Definitions: "
    "analysis/analysis.h and the\nfile's /stats 'definitions' attribute.\n",
    "a recording (RUN.h5)",
    1,
    {NULL},
    "# writes run.stats.h5, run.stats.csv and run.means.csv and prints the per-block table, or it as JSON\n"
    "sekit stats run.h5\n"
    "sekit stats run.h5 --json > blocks.json\n"};

/* The table's numbers, by the same names as the statistics file's CSV summary. */
static void print_json(const char *in, const char *out, const struct sekit_block_stats *st, int nb,
                       int64_t images)
{
    json_t *root = json_object(), *blocks = json_array();
    json_object_set_new(root, "recording", json_string(in));
    json_object_set_new(root, "statistics", json_string(out));
    json_object_set_new(root, "classes", json_integer(nb ? st[0].nclasses : 0));
    json_object_set_new(root, "images", json_integer(images));
    for (int b = 0; b < nb; b++)
        json_array_append_new(
            blocks, json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:f}", "block", st[b].name,
                              "channels", st[b].channels, "specificity", st[b].specificity,
                              "distance", st[b].distance, "correlation", st[b].correlation,
                              "saturation_high", st[b].sat_high, "saturation_low", st[b].sat_low));
    json_object_set_new(root, "blocks", blocks);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    puts(s ? s : "{}");
    free(s);
    json_decref(root);
}

int cmd_stats(int argc, char **argv)
{
    const char *in, *out = NULL;
    int json = 0, quiet = 0;
    const struct opt own[] = {
        OPT_S(
            "--out", &out, "FILE",
            "the statistics file (default RUN.stats.h5 next to the recording;\nits directory must "
            "exist)"),
        OPT_F("--json", &json,
              "print the per-block summary as one JSON object instead of the\ntable (numbers "
              "with 6 significant digits, as the table; the file\nholds them in full)"),
        OPT_F("--quiet", &quiet, "print nothing; only write the files"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &in);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    if (json && quiet) return cli_usage_error("stats", "--json, --quiet: give one of them");
    struct sekit_err e = {0};
    struct sekit_block_stats *st;
    int nb;
    char *def = out ? NULL : sekit_stats_path(in);
    if (sekit_job_stats(in, out, &st, &nb, &e)) {
        free(def);
        return cli_fail("stats", &e);
    }
    int64_t n = 0;
    for (int k = 0; nb && k < st[0].nclasses; k++)
        n += st[0].count[k];
    if (json)
        print_json(in, out ? out : def, st, nb, n);
    else if (!quiet) {
        printf("%-9s %5s %11s %9s %11s %8s %8s\n", "block", "C", "specificity", "distance",
               "correlation", "sat>.99", "sat<.01");
        for (int b = 0; b < nb; b++)
            printf("%-9s %5d %11.4f %9.4f %11.4f %7.2f%% %7.2f%%\n", st[b].name, st[b].channels,
                   st[b].specificity, st[b].distance, st[b].correlation, 100 * st[b].sat_high,
                   100 * st[b].sat_low);
        printf("%d classes, %lld images -> %s\n", nb ? st[0].nclasses : 0, (long long)n,
               out ? out : def);
    }
    for (int b = 0; b < nb; b++)
        sekit_stats_free(&st[b]);
    free(st);
    free(def);
    return CLI_OK;
}
