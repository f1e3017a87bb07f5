/* reproduce.c -- `sekit reproduce`: the SENet paper's analysis end to end, with a report. */
#include "../report/report_html.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd cmd = {
    "reproduce",
    "reproduce [--model M --data D] --out DIR [--classes A,B,C,D]\n"
    "                       [--pair A,B] [--mode mean|both] [--compare STATS.h5] [OPTIONS]",
    "Runs the paper's analysis end to end; the model and the data are loaded once. With no\n"
    "--model/--data: the bundled Fashion-MNIST SE-ResNet on the Fashion-MNIST test split.\n"
    "  1. record the --classes (--per-class images of each: default 50, a sample seeded by\n"
    "     --seed, default 1, as the paper's fifty images per class; DIR/classes.h5)\n"
    "  2. block ablations (presets single, stage, last-stage, last-two, all) on the whole\n"
    "     split (DIR/ablation.*); their pass records every image of the split as well\n"
    "     (DIR/all.h5), with no pass of its own\n"
    "  3. statistics of both recordings (DIR/*.stats.h5, .stats.csv, .means.csv)\n"
    "  4. figures: inter-class (Fig. 6, the 'all' curve from every image), intra-class "
    "(Fig. 7,\n     --pair), depth trend, ablation; PNG and PDF, with gnuplot scripts in "
    "DIR/gnuplot\n"
    "  5. DIR/report.md: figures, ablation table, and for each observation of the paper "
    "what\n     this model shows, from the measured numbers; the time of every stage and the\n"
    "     ablations' throughput; with --compare, the depth trends of this network and the\n"
    "     other run's side by side (DIR/depth-compare.*)\n"
    "Outputs in DIR are replaced.\n",
    NULL,
    0,
    {"--out"},
    "# the whole analysis of the bundled model into results/ (report: results/report.md)\n"
    "sekit reproduce --out results\n"
    "# a quick look: 10 images per class, both ablation modes, into a new results/quick/\n"
    "sekit reproduce --out results/quick --per-class 10 --mode both\n"};

/* remove mode alone is not offered: the SE check and verdict 5 rest on the mean-frozen variants */
static const char *const reproduce_modes[] = {"mean", "both", NULL};

int cmd_reproduce(int argc, char **argv)
{
    struct cli_pipeline cp;
    cli_pipeline_init(&cp, CLI_SAMPLE_ONLY);
    /* the paper's protocol: fifty images of each class (v4 Sec. 7.2) */
    cp.per_class = 50;
    cp.seed = 1;
    for (struct opt *t = cp.tab; t->name; t++)
        if (strcmp(t->name, "--per-class") == 0)
            t->help = "images of each --classes class in classes.h5 (default 50, the\npaper's "
                      "protocol; the ablations and all.h5 take every image)";
        else if (strcmp(t->name, "--seed") == 0)
            t->help = "sample those images with this seed (default 1; 0: the first N)";
    struct sekit_reproduce_job j = {.classes = "Trouser,Pullover,Sneaker,Bag",
                                    .pair = "Trouser,Bag"};
    int mode = 0;
    const char *pos;
    const struct opt own[] = {
        OPT_S("--out", &j.dir, "DIR",
              "the output directory (required; created with its missing parents)"),
        OPT_S("--classes", &j.classes, "A,B,C,D",
              "the inter-class figure's classes (default Trouser,Pullover,Sneaker,Bag)"),
        OPT_S("--pair", &j.pair, "A,B", "the intra-class figure's classes (default Trouser,Bag)"),
        OPT_S("--compare", &j.compare, "STATS.h5",
              "another run's all.stats.h5 (another network on the same data):\nthe report "
              "compares the two networks' depth trends"),
        OPT_C("--mode", &mode, reproduce_modes, "M",
              "ablation mode: mean (default: every preset frozen at its mean\ngates, remove mode "
              "beside for the last stage, last two blocks and\nall blocks) or both (every preset "
              "in both modes)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, cp.tab, argc, argv, &pos);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    /* argv[0] is the command, "reproduce"; the program comes first as `sekit`, whatever path
     * ran it */
    const char **words = malloc(sizeof *words * ((size_t)argc + 1));
    if (words) {
        words[0] = "sekit";
        for (int i = 0; i < argc; i++)
            words[i + 1] = argv[i];
    }
    char *line = words ? sekit_command_line(argc + 1, words) : NULL;
    free(words);
    j.command_line = line;
    j.modes = mode ? SEKIT_MODES_BOTH : SEKIT_MODES_MEAN;
    j.per_class = cp.per_class;
    j.seed = (uint64_t)cp.seed;
    cli_pipeline_finish(&cp);
    struct cli_progress bar;
    const struct sekit_progress *pr = cli_progress(&bar, "reproduce", cp.quiet);
    j.stages = &bar.stages;
    j.passes = &bar.passes;
    struct sekit_err e = {0};
    rc = sekit_job_reproduce(&cp.o, &j, pr, &e);
    free(line);
    if (rc) return cli_fail("reproduce", &e);
    printf("%s/report.md (figures: %s/fig6-inter-class.png, fig7-intra-class.png, depth.png, "
           "%sablation.png; %.1f s, ablations %.0f image-variants/s)\n",
           j.dir, j.dir, j.compare ? "depth-compare.png, " : "", j.t_total,
           j.image_variants_per_second);
    return CLI_OK;
}
