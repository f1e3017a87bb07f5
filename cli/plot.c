/* plot.c -- `sekit plot`: the paper's figures from a recording (or an ablation file). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

/* --size: a figure from a thumbnail to a poster */
#define FIG_SIZE_MIN 100
#define FIG_SIZE_MAX 20000

/* "1600x900" into its two numbers, each in [FIG_SIZE_MIN, FIG_SIZE_MAX]; -1 otherwise. */
static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    if (*s < '0' || *s > '9') return -1;
    long a = strtol(s, &end, 10);
    if (*end != 'x' || end[1] < '0' || end[1] > '9') return -1;
    long b = strtol(end + 1, &end, 10);
    if (*end || a < FIG_SIZE_MIN || a > FIG_SIZE_MAX || b < FIG_SIZE_MIN || b > FIG_SIZE_MAX)
        return -1;
    *w = (int)a, *h = (int)b;
    return 0;
}

static const struct cli_cmd cmd = {
    "plot",
    "plot FILE.h5 --figure inter-class|intra-class|depth|ablation|depth-compare --out FIG\n"
    "                  [--classes A,B,...] [--blocks SE_a_b,...] [--all OTHER.h5]\n"
    "                  [--compare OTHER.h5]\n"
    "                  [--channels a-b,...] [--title TEXT] [--size WxH]\n"
    "                  [--gnuplot DIR] [--engine cairo|gnuplot]",
    "Draws a figure of the SENet paper's analysis from a statistics file (`sekit stats`) or a\n"
    "recording (`sekit record`; its statistics are then computed in memory), or, for\n"
    "--figure ablation, from the HDF5 file of `sekit ablate`. FIG's extension picks "
    "PNG, PDF or SVG.\n"
    "  inter-class  paper Fig. 6: mean excitation of each class (default: all recorded "
    "classes,\n               at most 8) over up to 50 evenly spaced channels, and the "
    "all-classes curve\n               (from --all OTHER.h5, a recording of every class, "
    "when given)\n"
    "  intra-class  paper Fig. 7: mean +/- std of each class (default: the first two "
    "recorded;\n               at most 8)\n"
    "  depth        class specificity and saturation of every block in network order\n"
    "  ablation     change in top-1 of every ablation variant\n"
    "  depth-compare  the depth trend of FILE.h5 beside that of --compare OTHER.h5 (another\n"
    "               network's statistics or recording): effect size, NCM lift and gates > 0.9\n"
    "               against relative depth\n"
    "Panels default to the last block of every stage plus every block of the last stage "
    "(the\npaper's choice: SE_2_3, SE_3_4, SE_4_6, SE_5_1..3 in SE-ResNet-50).\n"
    "With --gnuplot DIR, DIR/<figure>.gp redraws the figure from DIR/<figure>.dat: `gnuplot\n"
    "DIR/<figure>.gp`, from any directory, writes DIR/<figure>-gnuplot.png (with -e 'fmt=\"pdf\"'\n"
    "a PDF), never FIG.\n",
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
    const char *size = NULL;
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
        OPT_S("--compare", &q.compare, "OTHER.h5",
              "depth-compare: the other network's statistics or recording"),
        OPT_S("--gnuplot", &q.gnuplot_dir, "DIR",
              "also write DIR/<figure>.dat and DIR/<figure>.gp that redraw it"),
        OPT_C("--engine", &q.use_gnuplot, engines, "E",
              "cairo (default) or gnuplot (renders FIG by running the written script)"),
        OPT_S("--channels", &q.channels, "a-b,...",
              "inter-class, intra-class: the channels drawn, ranges and indices (0-63 or\n"
              "0-15,32); default: up to 50 evenly spaced"),
        OPT_S("--title", &q.title, "TEXT", "the figure's title instead of sekit's"),
        OPT_S("--size", &size, "WxH",
              "the figure's size: pixels for PNG, points for PDF and SVG (default: what\n"
              "the panels need)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &q.input);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    if (size && parse_size(size, &q.width, &q.height))
        return cli_usage_error("plot",
                               "--size '%.40s': expected WIDTHxHEIGHT in whole numbers from %d to "
                               "%d, e.g. 1600x900",
                               size, FIG_SIZE_MIN, FIG_SIZE_MAX);
    q.figure = (enum sekit_figure_kind)figure;
    struct sekit_err e = {0};
    if (sekit_job_figure(&q, &e)) return cli_fail("plot", &e);
    printf("%s\n", q.out);
    return CLI_OK;
}
