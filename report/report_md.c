/*
 * report_md.c -- reproduce's report.md (report_md.h): the run, the figures, the per-block
 * statistics, the paper's observations with their verdicts, the ablations, provenance and time.
 */
#include "report_md.h"
#include "findings.h"
#include "../ablation/ablation.h"
#include "../plots/figures.h"
#include "../src/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static int copy_into(FILE *out, const char *path, struct sekit_err *e)
{
    FILE *in = fopen(path, "r");
    if (!in) return sekit_errf(e, SEKIT_EIO, "%s: cannot read: %s", path, strerror(errno));
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    int bad = ferror(in);
    fclose(in);
    return bad ? sekit_errf(e, SEKIT_EIO, "%s: cannot read", path) : SEKIT_OK;
}

/* s as a Markdown code span: delimited by a backtick run longer than any inside it, padded with
 * a space each side when CommonMark would otherwise eat one or read a backtick as the delimiter;
 * line breaks become spaces, as a code span shows them. */
static void md_code(FILE *f, const char *s)
{
    size_t run = 0, longest = 0;
    for (const char *c = s; *c; c++) {
        run = *c == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    const size_t n = strlen(s);
    const int pad = longest || (n >= 2 && s[0] == ' ' && s[n - 1] == ' ');
    for (size_t k = 0; k <= longest; k++)
        fputc('`', f);
    if (pad) fputc(' ', f);
    for (const char *c = s; *c; c++)
        fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
    if (pad) fputc(' ', f);
    for (size_t k = 0; k <= longest; k++)
        fputc('`', f);
}

/* What ran, on what and where: enough to tell two reports' numbers apart or to run it again. */
static void write_provenance(FILE *f, const struct sekit_report_run *j)
{
    fprintf(f, "\n## Provenance\n\n- sekit %s\n", SEKIT_VERSION);
    if (j->command_line) {
        fputs("- command line: ", f);
        md_code(f, j->command_line);
        fputc('\n', f);
    }
    fputs("- model: ", f);
    md_code(f, j->model_path);
    fprintf(f, ", SHA-256 `%s`\n- data: ", j->model_sha256);
    md_code(f, j->data_path);
    fprintf(f, ", split %s\n- backend: %s, ", j->split, j->backend);
    /* the images were split across the ranks, each running the engine on its own threads */
    if (j->ranks > 1) fprintf(f, "%d MPI ranks, each with ", j->ranks);
    if (j->threads > 0)
        fprintf(f, "%d thread%s\n", j->threads, j->threads > 1 ? "s" : "");
    else
        fputs("a thread per core\n", f);
    struct utsname u;
    fputs("- machine: ", f);
    if (uname(&u) == 0) fprintf(f, "%s %s %s, ", u.sysname, u.release, u.machine);
    /* the CPU's name: x86 Linux says it in /proc/cpuinfo, other systems may not */
    FILE *ci = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (ci && fgets(line, sizeof line, ci))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            const char *v = strchr(line, ':') + 1;
            v += strspn(v, " \t");
            fprintf(f, "%.*s, ", (int)strcspn(v, "\n"), v);
            break;
        }
    if (ci) fclose(ci);
    fprintf(f, "%ld online cores\n", sysconf(_SC_NPROCESSORS_ONLN));
}

/* Row `row` of an ablation table as the findings take it (not measured when row < 0). */
static struct sekit_ablation_effect ablation_row(const struct sekit_ablation_table *t, int row)
{
    if (row < 0) return (struct sekit_ablation_effect){0};
    return (struct sekit_ablation_effect){1,
                                          t->delta_top1[row],
                                          t->delta_top5[row],
                                          t->share_of_params[row],
                                          t->delta_top1_lo[row],
                                          t->delta_top1_hi[row],
                                          t->delta_top5_lo[row],
                                          t->delta_top5_hi[row],
                                          t->p_top1[row]};
}

/* What the report reads of the ablation file: observation 5's variants, the SE check, and each
 * block frozen alone at its mean gate (freeze[nse], not measured where the file lacks it). */
struct report_ablations {
    struct sekit_findings_ablations abl;
    struct sekit_se_check check;
    int nse;
    struct sekit_ablation_effect *freeze;
    int64_t images;
    int nclasses;
};

static int read_ablations(const char *path, struct report_ablations *r, struct sekit_err *e)
{
    struct sekit_ablation_table *t;
    memset(r, 0, sizeof *r);
    int rc = sekit_ablation_read(&t, path, e);
    if (rc) return rc;
    const int nse = t->nse, last = nse ? t->block_stage[nse - 1] : -1;
    const int M = SEKIT_ABLATE_MEAN, R = SEKIT_ABLATE_REMOVE;
    r->abl.stage = ablation_row(t, nse ? sekit_ablation_find_stage(t, last, M) : -1);
    r->abl.two = ablation_row(t, nse >= 2 ? sekit_ablation_find_last(t, 2, M) : -1);
    r->abl.stage_removed = ablation_row(t, nse ? sekit_ablation_find_stage(t, last, R) : -1);
    r->abl.two_removed = ablation_row(t, nse >= 2 ? sekit_ablation_find_last(t, 2, R) : -1);
    r->check.top1 = t->top1[0];
    r->check.chance = t->nclasses ? 100.0 / t->nclasses : 100;
    r->check.frozen_all = ablation_row(t, nse ? sekit_ablation_find_last(t, nse, M) : -1);
    sekit_se_check_judge(&r->check);
    r->images = t->nimages;
    r->nclasses = t->nclasses;
    r->nse = nse;
    r->freeze = calloc((size_t)nse + 1, sizeof *r->freeze);
    unsigned char *one = calloc((size_t)nse + 1, 1);
    if (!r->freeze || !one) {
        free(one), free(r->freeze), r->freeze = NULL;
        sekit_ablation_table_free(t);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    for (int b = 0; b < nse; b++) {
        one[b] = 1;
        r->freeze[b] = ablation_row(t, sekit_ablation_find(t, one, M));
        one[b] = 0;
    }
    free(one);
    sekit_ablation_table_free(t);
    return SEKIT_OK;
}

/* The gate's input that gives gate value x, or the bound its 0 or 1 stands for: the logit for a
 * float sigmoid, 6x - 3 for a hard sigmoid clamp(x + 3, 0, 6) / 6 (flat outside [-3, 3]). */
static void pre_gate_text(char *buf, size_t n, double x, const char *gate)
{
    const int hard = strcmp(gate, "hardsigmoid") == 0;
    if (x >= 1)
        snprintf(buf, n, hard ? ">= +3" : ">= +16.6");
    else if (x <= 0)
        snprintf(buf, n, hard ? "<= -3" : "<= -103");
    else
        snprintf(buf, n, "%+.2f", hard ? 6 * x - 3 : log(x / (1 - x)));
}

/* The section before every other: whether the gates' input dependence matters to this model at
 * all, per block and for all blocks together. */
static void write_se_check(FILE *f, const struct sekit_block_stats *st, int nb,
                           const struct report_ablations *ra, const struct sekit_findings *fd)
{
    const struct sekit_se_check *c = &ra->check;
    fprintf(f, "## Are the SE blocks doing anything?\n\n");
    fprintf(f,
            "Computed on `all.h5` and the ablations (%lld images, %d classes). A block frozen at "
            "its mean gate keeps the average scaling the network was trained with and loses only "
            "its dependence on the input: the top-1 it costs is what that dependence buys. The "
            "gate spread is the mean over channels of each channel's standard deviation over the "
            "images; the pre-gate range is the gate's input at the smallest and largest gate: "
            "the logit for a sigmoid; for a hard sigmoid, clamp(x + 3, 0, 6) / 6, 6g - 3, "
            "flat below -3 and above +3, where its gradient is zero. The shares of gates "
            "exactly 0 and exactly 1 are those flat parts (a float32 sigmoid reaches 1 from a "
            "logit of about +17 and never 0).\n\n",
            (long long)ra->images, ra->nclasses);
    fprintf(f, "| block | C | gate | gate spread over images | gates | pre-gate | exactly 0 / 1 | "
               "top-1 frozen at its mean gate, points [95%%] | McNemar p |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
    for (int b = 0; b < nb; b++) {
        char lo[32], hi[32];
        pre_gate_text(lo, sizeof lo, st[b].gate_min, st[b].gate);
        pre_gate_text(hi, sizeof hi, st[b].gate_max, st[b].gate);
        fprintf(f, "| %s | %d | %s | %.4f | %.3f .. %.3f | %s .. %s | %.1f%% / %.1f%% | ",
                st[b].name, st[b].channels,
                strcmp(st[b].gate, "hardsigmoid") ? "sigmoid" : "hard sigmoid", st[b].image_spread,
                st[b].gate_min, st[b].gate_max, lo, hi, 100 * st[b].sat_zero, 100 * st[b].sat_one);
        const struct sekit_ablation_effect *z = b < ra->nse ? &ra->freeze[b] : NULL;
        if (z && z->measured)
            fprintf(f, "%+.2f [%+.2f, %+.2f] | %.2g |\n", z->delta_top1, z->top1_lo, z->top1_hi,
                    z->p_top1);
        else
            fprintf(f, "not measured | |\n");
    }
    const struct sekit_ablation_effect *a = &c->frozen_all;
    if (a->measured)
        fprintf(f, "| **all %d blocks** | | | | | | | **%+.2f [%+.2f, %+.2f]** | %.2g |\n", ra->nse,
                a->delta_top1, a->top1_lo, a->top1_hi, a->p_top1);
    fprintf(f, "\nThe full model: top-1 %.2f%% against chance %.1f%% (one class in %d). ", c->top1,
            c->chance, ra->nclasses);
    if (fd->reason[0])
        fprintf(f, "**No**: %s. Every verdict below is inconclusive for that reason.\n\n",
                fd->reason);
    else if (!a->measured)
        fprintf(f, "Freezing every block was not measured, so this report cannot tell whether "
                   "the gates matter.\n\n");
    else
        fprintf(f,
                "**Yes**: freezing every block at its mean gate costs %.2f points of top-1, and "
                "its 95%% interval lies below 0.\n\n",
                -a->delta_top1);
}

static void write_report_body(FILE *f, const struct sekit_report_run *j,
                              const struct sekit_block_stats *st, int nb,
                              const struct report_ablations *ra, const struct sekit_findings *fd)
{
    fprintf(f, "# SE excitation analysis: reproducing the SENet paper's Sec. 7.2 and Sec. 4\n\n");
    if (fd->reason[0])
        fprintf(f,
                "> **Warning: this model's SE gates cannot show what the paper describes.** %c%s. "
                "Every verdict of this report is inconclusive; the figures and tables below show "
                "what was measured.\n\n",
                toupper((unsigned char)fd->reason[0]), fd->reason + 1);
    fprintf(f, "- model: `%s` (%s)\n- data: `%s`, split %s, %lld images, %d classes\n",
            j->model_path, j->architecture, j->data_path, j->split, (long long)j->images,
            j->num_classes);
    if (j->per_class)
        fprintf(f,
                "- recordings: `classes.h5` %lld images of each of its classes (%s); `all.h5`, "
                "recorded in the ablations' pass, and the ablations: every image\n",
                (long long)j->per_class, j->seeded ? "a seeded sample" : "the first ones");
    else
        fprintf(f, "- recordings: `classes.h5` every image of its classes; `all.h5`, recorded in "
                   "the ablations' pass, and the ablations: every image\n");
    fprintf(f, "- preprocessing: %s (%s)\n", j->preproc, j->preproc_sources);
    fprintf(f, "- classes of the inter-class figure: %s; intra-class pair: %s\n", j->classes,
            j->pair);
    fprintf(f, "- written by sekit %s; every number below is measured by this run\n\n",
            SEKIT_VERSION);
    write_se_check(f, st, nb, ra, fd);
    fprintf(f, "## Figures\n\n");
    fprintf(f, "The inter-class and intra-class figures draw `classes.h5` (the sample of their "
               "classes) as an illustration; the verdicts are computed on `all.h5`.\n\n");
    fprintf(f,
            "Inter-class (cf. paper Fig. 6): mean excitation of each class per channel, and the "
            "mean over the %d classes present.\n\n![inter-class](fig6-inter-class.png)\n\n",
            st[0].nclasses);
    fprintf(f, "Intra-class (cf. paper Fig. 7): mean and one standard deviation within each "
               "class.\n\n![intra-class](fig7-intra-class.png)\n\n");
    fprintf(f, "Depth trend, from `all.h5`: the measures the verdicts read (effect size and NCM "
               "lift for observations 1 and 2, the share of gates above 0.9 for observation 3), "
               "class specificity (correlation ratio: between-class / total variance of each "
               "channel's gate, averaged over channels) and the saturated extremes.\n\n"
               "![depth](depth.png)\n\n");
    fprintf(f, "Block ablation (orange: frozen at its mean gate; blue: SE gate := 1 at "
               "inference):\n\n![ablation](ablation.png)\n\n");
    fprintf(f, "PDF and SVG versions sit next to each PNG; `gnuplot/` holds data and scripts that "
               "redraw the figures: `gnuplot gnuplot/depth.gp` writes `gnuplot/depth-gnuplot.png` "
               "(with `-e 'fmt=\"pdf\"'` a PDF), never the figures above; a script finds its "
               "data from any working directory.\n\n");
    fprintf(f, "## Per-block statistics (all classes)\n\nClass deviation and channel spread are "
               "in gate units; effect size is their ratio; NCM: the cross-validated accuracy of "
               "a nearest-class-mean classifier on the gate vectors, against chance (definitions: "
               "docs/findings.md).\n\n| block | C | class deviation | channel spread | effect "
               "size | dependence | NCM / chance | class specificity | correlation of class "
               "means | gates > 0.9 | gates < 0.1 |\n|---|---|---|---|---|---|---|---|---|---|"
               "---|\n");
    for (int b = 0; b < nb; b++)
        fprintf(f,
                "| %s | %d | %.4f | %.4f | %.2f | %s | %.1f%% / %.1f%% | %.3f | %.3f | %.1f%% "
                "| %.1f%% |\n",
                st[b].name, st[b].channels, st[b].class_dev, st[b].channel_spread, st[b].effect,
                sekit_dependence_name(sekit_dependence(&st[b])), 100 * st[b].ncm_accuracy,
                100 * st[b].ncm_chance, st[b].specificity, st[b].correlation, 100 * st[b].sat_09,
                100 * st[b].sat_01);
    fprintf(f,
            "\n## The paper's observations, and what this model shows\n\nEach verdict is "
            "computed on `all.h5` (every image of the split, %d classes) and the ablations.\n\n",
            st[0].nclasses);
    sekit_findings_markdown(f, fd, st);
}

/* One network's depth trend in numbers: Spearman's rho of effect size with depth, the first and
 * last blocks' effect size and NCM lift, where the largest effect size sits (relative depth). */
struct trend {
    double rho, effect_first, effect_last, lift_first, lift_last, peak_depth, sat_max;
    const char *peak, *sat_block, *gate;
};

static struct trend trend_of(const struct sekit_block_stats *st, int nb)
{
    struct trend t = {0};
    double *v = malloc(sizeof(double) * (size_t)nb + 1);
    int peak = 0, sat = 0, hard = 0;
    for (int b = 0; b < nb; b++) {
        if (v) v[b] = st[b].effect;
        if (st[b].effect > st[peak].effect) peak = b;
        if (st[b].sat_09 > st[sat].sat_09) sat = b;
        hard += strcmp(st[b].gate, "hardsigmoid") == 0;
    }
    t.rho = v ? sekit_spearman_depth(v, nb) : 0;
    free(v);
    t.effect_first = st[0].effect, t.effect_last = st[nb - 1].effect;
    t.lift_first = fmax(0, sekit_ncm_lift(&st[0]));
    t.lift_last = fmax(0, sekit_ncm_lift(&st[nb - 1]));
    t.peak = st[peak].name, t.peak_depth = nb > 1 ? (double)peak / (nb - 1) : 0;
    t.sat_block = st[sat].name, t.sat_max = st[sat].sat_09;
    t.gate = hard == nb ? "hard sigmoid" : hard ? "sigmoid and hard sigmoid" : "sigmoid";
    return t;
}

/* The comparison of this network's depth trend with another run's (j->compare). */
static int write_compare(FILE *f, const struct sekit_report_run *j,
                         const struct sekit_block_stats *st, int nb, struct sekit_err *e)
{
    struct sekit_stats_file *o = NULL;
    int rc = sekit_stats_read(&o, j->compare, e);
    if (rc) return rc;
    char lb[256];
    sekit_figure_run_label(j->compare, lb, sizeof lb);
    const struct trend a = trend_of(st, nb), b = trend_of(o->blocks, o->nblocks);
    fprintf(f,
            "\n## Depth trend beside another network\n\nThis network beside the one of `%s` "
            "(%lld images of %s, split %s), each from its own statistics of every image; depth "
            "is relative (the first block 0, the last 1), since the two differ in blocks. "
            "Rising means Spearman's rho of effect size with depth of at least %.1f, the "
            "tendency rule of observation 2.\n\n![depth-compare](depth-compare.png)\n\n",
            j->compare, (long long)o->n, o->dataset ? o->dataset : "?", o->split ? o->split : "?",
            SEKIT_RHO_TENDENCY);
    fprintf(f, "| | this network | %s |\n|---|---|---|\n", lb);
    fprintf(f, "| SE blocks | %d (%s .. %s) | %d (%s .. %s) |\n", nb, st[0].name, st[nb - 1].name,
            o->nblocks, o->blocks[0].name, o->blocks[o->nblocks - 1].name);
    fprintf(f, "| gate | %s | %s |\n", a.gate, b.gate);
    fprintf(f, "| Spearman rho, effect size with depth | %.2f | %.2f |\n", a.rho, b.rho);
    fprintf(f, "| effect size, first / last block | %.2f / %.2f | %.2f / %.2f |\n", a.effect_first,
            a.effect_last, b.effect_first, b.effect_last);
    fprintf(f, "| NCM lift over chance, first / last block | %.2f / %.2f | %.2f / %.2f |\n",
            a.lift_first, a.lift_last, b.lift_first, b.lift_last);
    fprintf(f, "| largest effect size at (relative depth) | %s (%.2f) | %s (%.2f) |\n", a.peak,
            a.peak_depth, b.peak, b.peak_depth);
    fprintf(f, "| most gates above 0.9 | %s, %.1f%% | %s, %.1f%% |\n\n", a.sat_block,
            100 * a.sat_max, b.sat_block, 100 * b.sat_max);
    const int ra = a.rho >= SEKIT_RHO_TENDENCY, rb = b.rho >= SEKIT_RHO_TENDENCY;
    fprintf(f, "%s\n",
            ra && rb   ? "Class dependence rises with depth in both networks."
            : ra || rb ? (ra ? "Class dependence rises with depth in this network only."
                             : "Class dependence rises with depth in the other network only.")
                       : "Class dependence rises with depth in neither network.");
    sekit_stats_file_free(o);
    return SEKIT_OK;
}

int sekit_report_markdown(const struct sekit_report_run *j, const char *stats_path,
                          const char *ablation_path, struct sekit_err *e)
{
    char path[4096], md[4200];
    snprintf(path, sizeof path, "%s/report.md", j->dir);
    snprintf(md, sizeof md, "%s/ablation.md", j->dir);
    struct sekit_stats_file *sf;
    struct report_ablations ra;
    int rc = sekit_stats_read(&sf, stats_path, e);
    if (rc) return rc;
    if ((rc = read_ablations(ablation_path, &ra, e))) {
        sekit_stats_file_free(sf);
        return rc;
    }
    const struct sekit_block_stats *st = sf->blocks;
    const int nb = sf->nblocks;
    struct sekit_findings fd;
    sekit_findings_compute(&fd, st, nb, &ra.abl, &ra.check);
    struct sekit_text_out t;
    if ((rc = sekit_text_create(&t, path, e))) {
        free(ra.freeze);
        sekit_stats_file_free(sf);
        return rc;
    }
    FILE *f = t.fp;
    write_report_body(f, j, st, nb, &ra, &fd);
    if (j->compare) rc = write_compare(f, j, st, nb, e);
    fprintf(f, "\n## Block ablations\n\n");
    if (!rc) rc = copy_into(f, md, e);
    write_provenance(f, j);
    fprintf(f,
            "\n## Time\n\n| stage | seconds |\n|---|---|\n| record (`classes.h5`) | %.1f |\n"
            "| ablations, with the all-classes recording (`all.h5`) in their pass | %.1f |\n"
            "| statistics | %.1f |\n| figures | %.1f |\n| total | %.1f |\n\n"
            "Ablation throughput: %.0f image-variants per second (every variant, the full model "
            "included, on every image).\n",
            j->t_record, j->t_ablation, j->t_stats, j->t_figures, j->t_total,
            j->image_variants_per_second);
    fprintf(f, "\n## Files\n\n`classes.h5`, `all.h5`: recordings (schema: docs/record-format.md); "
               "`*.stats.h5`, `*.stats.csv`, `*.means.csv`: statistics; `ablation.{csv,md,h5}`: "
               "ablations; "
               "`report.html`: this report as one page with the figures inline, for a browser "
               "offline.\n");
    rc = sekit_text_close(&t, rc, e);
    if (!rc) rc = sekit_publish(t.tmp, path, e);
    free(ra.freeze);
    sekit_stats_file_free(sf);
    return rc;
}
