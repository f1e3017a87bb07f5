/* ablate.c -- `sekit ablate`: accuracy with SE blocks removed or frozen, all variants in one
 * pass. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd cmd = {
    "ablate",
    "ablate --out PREFIX [--variants LIST] [--drop SE_a_b,...]... [--mode M]\n"
    "                    [--means RUN.h5] [OPTIONS]",
    "Evaluates the network with SE blocks ablated at inference time: mode remove sets their "
    "gate\nto 1, mode mean to the block's mean excitation over the evaluated images "
    "(class-agnostic).\nFor every variant: top-1 and top-5 overall and per class, the change "
    "against the full\nmodel, SE parameters removed and their share of all parameters, SE "
    "FLOPs removed. All\nvariants run in one pass over the data: each batch goes through the "
    "full model once, every\nvariant restarts from the input of the first block it changes, "
    "and variants that treat the\nfollowing blocks alike run those blocks once between "
    "them.\nWrites PREFIX.csv, PREFIX.md, PREFIX.h5 and the chart PREFIX.png, and prints the "
    "throughput\nof that pass in image-variants per second (images x variants, the full model "
    "included).\nEvery change carries its paired 95% interval: a percentile bootstrap over the "
    "images\n(2000 resamples of the image indices with replacement, splitmix64 seeded with "
    "20171231,\nindex = draw mod n; the same resampled images for the variant and the full "
    "model; bounds\nthe ceil(pB)-th smallest resampled change for p = 0.025 and 0.975), in "
    "the files' *_lo/*_hi\ncolumns, in brackets in PREFIX.md and as error bars in the chart.\n",
    NULL,
    0,
    {"--out"},
    "# every preset on the bundled model and data; then each block frozen at its mean too\n"
    "sekit ablate --out ablation\n"
    "sekit ablate --out ablation-both --variants single --mode both\n"};

int cmd_ablate(int argc, char **argv)
{
    struct cli_pipeline cp;
    cli_pipeline_init(&cp, 1);
    struct sekit_ablate_job j = {.presets = "single,stage,last-stage,last-two,cumulative,all"};
    struct opt_multi drops = {0};
    int mode = 0;
    const char *pos;
    const struct opt own[] = {
        OPT_S("--out", &j.out, "PREFIX", "output prefix (required; its directory must exist)"),
        OPT_S("--variants", &j.presets, "LIST",
              "presets: single (each block), stage (each stage), last-stage (the\nlast stage's "
              "blocks, paper Sec. 4), last-two (the last two blocks,\ne.g. SE_5_2 + SE_5_3), "
              "cumulative (the last k blocks, k = 1..all),\nall (default: all of them; 'none' "
              "with --drop for custom sets only);\na preset prefixed remove: or mean: runs in "
              "that mode alone\n(e.g. --mode mean --variants single,remove:last-stage)"),
        OPT_N(OPT_MULTI, "--drop", &drops, 0, 0, "LIST",
              "one more variant: these blocks (repeatable)"),
        OPT_C("--mode", &mode, cli_mode_names, "M", "remove (default), mean or both"),
        OPT_S(
            "--means", &j.means_path, "RUN.h5",
            "mean mode: take each block's mean from this recording (all its\nimages) instead of a "
            "first pass over the evaluated images"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, cp.tab, argc, argv, &pos);
    if (rc) {
        free(drops.v);
        return rc == OPTS_HELP ? CLI_OK : rc;
    }
    if (strcmp(j.presets, "none") == 0) j.presets = NULL;
    j.drops = drops.v;
    j.ndrops = drops.n;
    j.modes = cli_modes[mode];
    struct cli_progress bar;
    const struct sekit_progress *pr = cli_progress(&bar, "ablate", cp.quiet);
    j.passes = &bar.passes;
    struct sekit_pipeline p;
    if ((rc = cli_pipeline_open(&cp, "ablate", &p, pr))) {
        free(drops.v);
        return rc;
    }
    struct sekit_err e = {0};
    rc = sekit_job_ablate(&p, &j, pr, &e);
    if (!rc && !cp.quiet)
        fprintf(stderr,
                "sekit ablate: %d variants, %lld images in %.1f s: %.0f image-variants/s -> "
                "%s.{csv,md,h5,png}\n",
                j.nvariants, (long long)j.images, j.seconds, j.image_variants_per_second, j.out);
    sekit_pipeline_close(&p);
    free(drops.v);
    return rc ? cli_fail("ablate", &e) : CLI_OK;
}
