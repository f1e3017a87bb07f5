/* main.c -- the sekit command: dispatches to one subcommand per file. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"info", cmd_info, "architecture, SE blocks and parameter counts of a model"},
    {"bench", cmd_bench, "engine throughput on random inputs"},
    {"eval", cmd_eval, "top-1 / top-5 accuracy on a labelled image set"},
    {"record", cmd_record, "record every SE block's excitations into HDF5"},
    {"stats", cmd_stats, "per-class statistics of a recording"},
    {"ablate", cmd_ablate, "accuracy with SE blocks removed or frozen (block ablations)"},
    {"reproduce", cmd_reproduce, "the paper's analysis end to end, with a report"},
    {"plot", cmd_plot, "the paper's figures (Fig. 6, Fig. 7, depth trend, ablation)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sekit COMMAND [ARGS]   (sekit COMMAND --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) a write then fails with EFBIG, which every writer reports
     * with the file's name and leaves no partial output; the signal would kill sekit mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sekit %s (backends: openblas%s; default %s)\n", SEKIT_VERSION,
               sekit_backend_available(SEKIT_BACKEND_ONEDNN) ? ", onednn" : "",
               sekit_backend_name(sekit_backend_default()));
        return CLI_OK;
    }
    const char *be = getenv("SEKIT_BACKEND");
    if (be && *be && cli_default_backend() < 0) {
        fprintf(stderr, "sekit: SEKIT_BACKEND='%s' is not a backend of this sekit (%s)\n", be,
                sekit_backend_available(SEKIT_BACKEND_ONEDNN) ? "openblas, onednn" : "openblas");
        return CLI_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sekit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
