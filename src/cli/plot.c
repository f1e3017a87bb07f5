/* plot.c -- `sekit plot`: the paper's figures from a recording (or an ablation file). */
#include "cli.h"

#include <stdio.h>

static const struct cli_cmd cmd = {
    "plot",
    "plot FILE.h5 --figure inter-class|intra-class|depth|ablation --out FIG\n"
    "                  [--classes A,B,...] [--blocks SE_a_b,...] [--all OTHER.h5]\n"
    "                  [--gnuplot DIR] [--engine cairo|gnuplot]",
    "Draws a figure of the SENet paper's analysis from a statistics file (`sekit stats`) or a\n"
    "recording (`sekit record`; its statistics are then computed in memory), or, for\n"
    "--figure ablation, from the HDF5 file of `sekit ablate`. FIG's extension picks "
    "PNG, PDF or SVG.\n"
    "  inter-class  paper Fig. 6: mean excitation of each class (default: all recorded "
    "classes,\n               at most 8) over up to 50 evenly spaced channels, and the "
    "all-classes curve\n               (from --all OTHER.h5, a recording of every class, "
    "when given)\n"
    "  intra-class  paper Fig. 7: mean +/- std for two classes (default: the first two "
    "recorded)\n"
    "  depth        class specificity and saturation of every block in network order\n"
    "  ablation     change in top-1 of every ablation variant\n"
    "Panels default to the last block of every stage plus every block of the last stage "
    "(the\npaper's choice: SE_2_3, SE_3_4, SE_4_6, SE_5_1..3 in SE-ResNet-50).\n",
    "a recording or ablation file (FILE.h5)",
    1,
    {"--figure", "--out"},
    "# paper Fig. 6 from a recording's statistics, Fig. 7 as PDF\n"
    "sekit plot run.stats.h5 --figure inter-class --out fig6.png\n"
    "sekit plot run.h5 --figure intra-class --classes Trouser,Bag --out fig7.pdf\n"};

int cmd_plot(int argc, char **argv)
{
    static const char *const engines[] = {"cairo", "gnuplot", NULL};
    struct sekit_figure_request q = {0};
    int figure = -1;
    const struct opt own[] = {
        OPT_C("--figure", &figure, sekit_figure_names, "F",
              "inter-class, intra-class, depth or ablation (required)"),
        OPT_S("--out", &q.out, "FIG",
              "the figure: .png, .pdf or .svg (required; its directory must exist)"),
        OPT_S("--classes", &q.classes, "A,B,...", "the classes to draw"),
        OPT_S("--blocks", &q.blocks, "SE_a_b,...", "the blocks (panels) to draw"),
        OPT_S("--all", &q.all, "OTHER.h5",
              "inter-class: the all-classes curve from this recording"),
        OPT_S("--gnuplot", &q.gnuplot_dir, "DIR",
              "also write DIR/<figure>.dat and DIR/<figure>.gp that redraw it"),
        OPT_C("--engine", &q.use_gnuplot, engines, "E",
              "cairo (default) or gnuplot (renders FIG by running the written script)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &q.input);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    q.figure = sekit_figure_names[figure];
    struct sekit_err e = {0};
    if (sekit_job_figure(&q, &e)) return cli_fail("plot", &e);
    printf("%s\n", q.out);
    return CLI_OK;
}
