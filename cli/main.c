/* main.c -- the sekit command: dispatches to one subcommand per file. */
#include "cli.h"
#include "../dist/dist.h"

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
    fprintf(f, "usage: sekit COMMAND [ARGS]   (sekit help COMMAND, or sekit COMMAND --help, for "
               "details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "  %-9s %s\n\nexamples:\n"
            "  # timm's SE-ResNet-50 described; the bundled model's accuracy on Fashion-MNIST\n"
            "  sekit info --arch seresnet50\n"
            "  sekit eval\n"
            "  # the paper's analysis end to end, with a report in results/\n"
            "  sekit reproduce --out results\n"
            "\nsekit --version prints the version and the backends of this build.\n",
            "help", "this text, or help CMD: the page of CMD");
}

/* Under mpirun, rank 0 alone prints (see main). */
static int speaks(void)
{
    return sekit_dist_world()->rank == 0;
}

static int run(const char *name, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc, argv);
    if (speaks()) fprintf(stderr, "sekit: %s: unknown command (see 'sekit help')\n", name);
    return CLI_USAGE;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        if (speaks()) usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        cli_print_version();
        return CLI_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2) {
            usage(stdout);
            return CLI_OK;
        }
        if (argc > 3) {
            if (speaks())
                fprintf(stderr, "sekit help: '%s': unexpected argument (see 'sekit help')\n",
                        argv[3]);
            return CLI_USAGE;
        }
        /* sekit help CMD is sekit CMD --help */
        char *words[] = {argv[2], "--help", NULL};
        return run(argv[2], 2, words);
    }
    const char *be = getenv("SEKIT_BACKEND");
    if (be && *be && cli_default_backend() < 0) {
        if (speaks())
            fprintf(stderr, "sekit: SEKIT_BACKEND='%s' is not a backend of this sekit (%s)\n", be,
                    sekit_backend_available(SEKIT_BACKEND_ONEDNN) ? "openblas, onednn"
                                                                  : "openblas");
        return CLI_USAGE;
    }
    return run(argv[1], argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) a write then fails with EFBIG, which every writer reports
     * with the file's name and leaves no partial output; the signal would kill sekit mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    struct sekit_err e = {0};
    if (sekit_dist_init(&argc, &argv, &e)) {
        fprintf(stderr, "sekit: %s\n", e.msg);
        return CLI_FAIL;
    }
    /* Under mpirun every rank runs the same command line, and rank 0 alone prints: the others'
     * results (stdout) are dropped, and their messages (stderr) are silenced where they are made
     * (cli_fail, cli_usage_error, cli_progress), as every failure reaches rank 0 through
     * sekit_dist_agree. Their stderr stays open for what no rank can report: a crash. */
    if (sekit_dist_world()->rank != 0 && !freopen("/dev/null", "w", stdout)) fclose(stdout);
    const int rc = dispatch(argc, argv);
    sekit_dist_finalize();
    return rc;
}
