/* plot.c -- `sekit plot`: the paper's figures from a recording (or an ablation file). */
#include "../../analysis/analysis.h"
#include "../../plots/figures.h"
#include "cli.h"
#include "figure_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit plot FILE.h5 --figure inter-class|intra-class|depth|ablation --out FIG\n"
    "                  [--classes A,B,...] [--blocks SE_a_b,...] [--all OTHER.h5]\n"
    "                  [--gnuplot DIR] [--engine cairo|gnuplot]\n"
    "\n"
    "Draws a figure of the SENet paper's analysis from a recording (`sekit record`), or, for\n"
    "--figure ablation, from the HDF5 file of `sekit ablate`. FIG's extension picks PNG, PDF or "
    "SVG.\n"
    "  inter-class  paper Fig. 6: mean excitation of each class (default: all recorded classes,\n"
    "               at most 8) over up to 50 evenly spaced channels, and the all-classes curve\n"
    "               (from --all OTHER.h5, a recording of every class, when given)\n"
    "  intra-class  paper Fig. 7: mean +/- std for two classes (default: the first two recorded)\n"
    "  depth        class specificity and saturation of every block in network order\n"
    "  ablation     change in top-1 of every ablation variant\n"
    "Panels default to the last block of every stage plus every block of the last stage (the\n"
    "paper's choice: SE_2_3, SE_3_4, SE_4_6, SE_5_1..3 in SE-ResNet-50).\n"
    "  --gnuplot DIR   also write DIR/<figure>.dat and DIR/<figure>.gp that redraw it in gnuplot\n"
    "  --engine E      cairo (default) or gnuplot (renders FIG by running the written script)\n";

int cmd_plot(int argc, char **argv)
{
    struct figure_request q = {0};
    const char *engine = "cairo";
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        const char **dst = strcmp(f, "--figure") == 0    ? &q.figure
                           : strcmp(f, "--out") == 0     ? &q.out
                           : strcmp(f, "--classes") == 0 ? &q.classes
                           : strcmp(f, "--blocks") == 0  ? &q.blocks
                           : strcmp(f, "--all") == 0     ? &q.all
                           : strcmp(f, "--gnuplot") == 0 ? &q.gnuplot_dir
                           : strcmp(f, "--engine") == 0  ? &engine
                                                         : NULL;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (dst) {
            if (!(*dst = cli_value("plot", argc, argv, &i))) return CLI_USAGE;
        } else if (f[0] == '-' || q.input) {
            return cli_usage_error("plot", "unexpected argument '%s'", f);
        } else {
            q.input = f;
        }
    }
    if (!q.input) return cli_usage_error("plot", "give a recording or ablation file (FILE.h5)");
    if (!q.figure) return cli_usage_error("plot", "--figure is required");
    if (!q.out) return cli_usage_error("plot", "--out FIG is required");
    if (strcmp(engine, "cairo") && strcmp(engine, "gnuplot"))
        return cli_usage_error("plot", "--engine is cairo or gnuplot, not '%s'", engine);
    q.use_gnuplot = strcmp(engine, "gnuplot") == 0;
    struct sekit_err e = {0};
    if (figure_make(&q, &e)) return cli_fail(&e);
    printf("%s\n", q.out);
    return CLI_OK;
}
