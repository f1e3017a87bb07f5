/*
 * reproduce.c -- the SENet paper's excitation analysis (Sec. 7.2, Fig. 6, 7) and its
 * block-ablation claim (Sec. 4) on one model and dataset, ending in a report that states what
 * this model shows for each of the paper's observations (report/findings.h). See jobs.h.
 */
#include "../ablation/ablation.h"
#include "../report/findings.h"
#include "../recording/record.h"
#include "../dist/dist.h"
#include "jobs.h"
#include "../report/report_html.h"
#include "../src/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { STAGES = 5 };

static void stage(const struct sekit_reproduce_job *j, int k, const char *name, int64_t after)
{
    if (j->stages) j->stages->begin(k, STAGES, name, after, j->stages->ctx);
}

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

static void write_report_body(FILE *f, const struct sekit_pipeline *p,
                              const struct sekit_reproduce_job *j,
                              const struct sekit_block_stats *st, int nb,
                              const struct sekit_findings *fd, const char *arch)
{
    fprintf(f, "# SE excitation analysis: reproducing the SENet paper's Sec. 7.2 and Sec. 4\n\n");
    fprintf(f, "- model: `%s` (%s)\n- data: `%s`, split %s, %lld images, %d classes\n",
            p->model_path, arch, p->data_path, sekit_ds_split(p->ds), (long long)p->n, p->nclasses);
    if (j->per_class)
        fprintf(f,
                "- recordings: `classes.h5` %lld images of each of its classes (%s); `all.h5`, "
                "recorded in the ablations' pass, and the ablations: every image\n",
                (long long)j->per_class, j->seed ? "a seeded sample" : "the first ones");
    else
        fprintf(f, "- recordings: `classes.h5` every image of its classes; `all.h5`, recorded in "
                   "the ablations' pass, and the ablations: every image\n");
    fprintf(f, "- preprocessing: %s (%s)\n", p->pre.desc, p->pre.sources);
    fprintf(f, "- classes of the inter-class figure: %s; intra-class pair: %s\n", j->classes,
            j->pair);
    fprintf(f, "- written by sekit %s; every number below is measured by this run\n\n",
            SEKIT_VERSION);
    fprintf(f, "## Figures\n\n");
    fprintf(f, "Inter-class (cf. paper Fig. 6): mean excitation of each class per channel, and the "
               "mean over all classes.\n\n![inter-class](fig6-inter-class.png)\n\n");
    fprintf(f, "Intra-class (cf. paper Fig. 7): mean and one standard deviation within each "
               "class.\n\n![intra-class](fig7-intra-class.png)\n\n");
    fprintf(f, "Depth trend: class specificity (correlation ratio: between-class / total variance "
               "of each channel's gate, averaged over channels) and saturation, over all "
               "classes.\n\n![depth](depth.png)\n\n");
    fprintf(f, "Block ablation (%s):\n\n![ablation](ablation.png)\n\n",
            j->modes & SEKIT_MODES_MEAN
                ? "blue: SE gate := 1 at inference; orange: frozen at its mean gate"
                : "SE gate := 1 at inference");
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
    fprintf(f, "\n## The paper's observations, and what this model shows\n\n");
    sekit_findings_markdown(f, fd, st);
    fprintf(f, "\n## Block ablations\n\n");
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
static void write_provenance(FILE *f, const struct sekit_pipeline_opts *o,
                             const struct sekit_pipeline *p, const struct sekit_reproduce_job *j,
                             const char *sha)
{
    fprintf(f, "\n## Provenance\n\n- sekit %s\n", SEKIT_VERSION);
    if (j->command_line) {
        fputs("- command line: ", f);
        md_code(f, j->command_line);
        fputc('\n', f);
    }
    fputs("- model: ", f);
    md_code(f, p->model_path);
    fprintf(f, ", SHA-256 `%s`\n- data: ", sha);
    md_code(f, p->data_path);
    fprintf(f, ", split %s\n- backend: %s, ", sekit_ds_split(p->ds),
            sekit_backend_name(sekit_model_backend(p->m)));
    /* the images were split across the ranks, each running the engine on its own threads */
    const struct sekit_dist *d = sekit_dist_world();
    if (d->size > 1) fprintf(f, "%d MPI ranks, each with ", d->size);
    if (o->threads > 0)
        fprintf(f, "%d thread%s\n", o->threads, o->threads > 1 ? "s" : "");
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
static struct sekit_last_stage_ablation ablation_row(const struct sekit_ablation_table *t, int row)
{
    if (row < 0) return (struct sekit_last_stage_ablation){0};
    return (struct sekit_last_stage_ablation){1,
                                              t->delta_top1[row],
                                              t->delta_top5[row],
                                              t->share_of_params[row],
                                              t->delta_top1_lo[row],
                                              t->delta_top1_hi[row],
                                              t->delta_top5_lo[row],
                                              t->delta_top5_hi[row]};
}

/* The last stage's SE blocks removed (the paper's Sec. 4) and the last two blocks' (the
 * digest's claim), found in the ablation file by what the variants drop. */
static int findings_ablations(const char *path, struct sekit_last_stage_ablation *stage,
                              struct sekit_last_stage_ablation *two, struct sekit_err *e)
{
    struct sekit_ablation_table *t;
    int rc = sekit_ablation_read(&t, path, e);
    if (rc) return rc;
    const int last = t->nse ? t->block_stage[t->nse - 1] : -1;
    *stage = ablation_row(t, t->nse ? sekit_ablation_find_stage(t, last, SEKIT_ABLATE_REMOVE) : -1);
    *two = ablation_row(t, t->nse >= 2 ? sekit_ablation_find_last(t, 2, SEKIT_ABLATE_REMOVE) : -1);
    sekit_ablation_table_free(t);
    return SEKIT_OK;
}

/* DIR/report.md, through its temporary, from the statistics and ablation files. */
static int write_report(const struct sekit_pipeline_opts *o, const struct sekit_pipeline *p,
                        const struct sekit_reproduce_job *j, const char *stats_path,
                        const char *ablation_path, struct sekit_err *e)
{
    char path[4096], md[4200], arch[512], sha[65];
    snprintf(path, sizeof path, "%s/report.md", j->dir);
    snprintf(md, sizeof md, "%s/ablation.md", j->dir);
    sekit_arch_summary(sekit_model_arch(p->m), arch, sizeof arch);
    struct sekit_stats_file *sf;
    struct sekit_last_stage_ablation abl, two;
    int rc = sekit_sha256_file(p->model_path, sha, e);
    if (rc || (rc = sekit_stats_read(&sf, stats_path, e))) return rc;
    if ((rc = findings_ablations(ablation_path, &abl, &two, e))) {
        sekit_stats_file_free(sf);
        return rc;
    }
    const struct sekit_block_stats *st = sf->blocks;
    const int nb = sf->nblocks;
    struct sekit_findings fd;
    sekit_findings_compute(&fd, st, nb, &abl, &two);
    struct sekit_text_out t;
    if ((rc = sekit_text_create(&t, path, e))) {
        sekit_stats_file_free(sf);
        return rc;
    }
    FILE *f = t.fp;
    write_report_body(f, p, j, st, nb, &fd, arch);
    rc = copy_into(f, md, e);
    write_provenance(f, o, p, j, sha);
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
    sekit_stats_file_free(sf);
    return rc;
}

/* The figures, from the statistics files s4 (the --classes) and sall (every class). */
static int figures(const struct sekit_reproduce_job *j, const char *s4, const char *sall,
                   const char *gdir, struct sekit_err *e)
{
    static const char *const names[3] = {"fig6-inter-class", "fig7-intra-class", "depth"};
    static const char *const exts[3] = {"png", "pdf", "svg"};
    for (int x = 0; x < 3; x++) {
        struct sekit_figure_request q[3] = {
            {.input = s4, .figure = SEKIT_FIGURE_INTER_CLASS, .all = sall},
            {.input = s4, .figure = SEKIT_FIGURE_INTRA_CLASS, .classes = j->pair},
            {.input = sall, .figure = SEKIT_FIGURE_DEPTH},
        };
        for (int i = 0; i < 3; i++) {
            char fo[4200];
            snprintf(fo, sizeof fo, "%s/%s.%s", j->dir, names[i], exts[x]);
            q[i].out = fo;
            q[i].gnuplot_dir = x == 0 ? gdir : NULL;
            int rc = sekit_job_figure(&q[i], e);
            if (rc) return rc;
        }
    }
    return SEKIT_OK;
}

/* dir and its missing parents (mkdir -p); an error names the level that could not be made */
static int make_dir(const char *dir, struct sekit_err *e)
{
    char level[4096];
    const size_t n = strlen(dir);
    if (n == 0 || n >= sizeof level)
        return sekit_errf(e, SEKIT_EINVAL, "%.200s: not a usable directory name", dir);
    memcpy(level, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (level[i] != '/' && level[i] != 0) continue;
        if (level[i - 1] == '/') continue;
        const char c = level[i];
        level[i] = 0;
        struct stat sb;
        if (mkdir(level, 0755) != 0 &&
            !(errno == EEXIST && stat(level, &sb) == 0 && S_ISDIR(sb.st_mode))) {
            const char *why = errno == EEXIST ? "it is not a directory" : strerror(errno);
            return i == n
                       ? sekit_errf(e, SEKIT_EIO, "%s: cannot create the directory: %s", dir, why)
                       : sekit_errf(e, SEKIT_EIO,
                                    "%s: cannot create the directory: its parent %s: %s", dir,
                                    level, why);
        }
        level[i] = c;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/report.md", dir);
    return sekit_check_output(probe, e);
}

int sekit_job_reproduce(const struct sekit_pipeline_opts *o, struct sekit_reproduce_job *j,
                        const struct sekit_progress *pr, struct sekit_err *e)
{
    /* Under MPI every rank runs every stage: the record, ablate and stats jobs split their work
     * across the ranks, rank 0 alone writes the directories, figures and report. A step that can
     * fail on one rank ends in sekit_dist_agree, so that all ranks go on or stop together. */
    const struct sekit_dist *d = sekit_dist_world();
    char p4[4096], pall[4096], s4[4096], sall[4096], gdir[4096], abl[4096];
    snprintf(p4, sizeof p4, "%s/classes.h5", j->dir);
    snprintf(pall, sizeof pall, "%s/all.h5", j->dir);
    snprintf(s4, sizeof s4, "%s/classes.stats.h5", j->dir);
    snprintf(sall, sizeof sall, "%s/all.stats.h5", j->dir);
    snprintf(gdir, sizeof gdir, "%s/gnuplot", j->dir);
    snprintf(abl, sizeof abl, "%s/ablation", j->dir);
    int rc = SEKIT_OK;
    if (d->rank == 0 && !(rc = make_dir(j->dir, e))) rc = make_dir(gdir, e);
    if ((rc = sekit_dist_agree(d, rc, e))) return rc;
    const double t0 = sekit_seconds();
    double ts = t0;
    struct sekit_pipeline p;
    rc = sekit_pipeline_open(&p, o, e);
    /* a pipeline that failed to open is closed and empty: closing it again does nothing */
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    sekit_job_note_skipped(&p, pr);
    char msg[256];
    struct sekit_record_job r4 = {.out = p4, .force = 1}, rall = {.out = pall, .force = 1};
    /* the images the ablations run (twice with the mean gates' pass), for the overall ETA */
    rc = sekit_pipeline_select(&p, "all", 0, 0, e);
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    const int64_t n_all = p.n * (j->modes & SEKIT_MODES_MEAN ? 2 : 1);
    rc = sekit_pipeline_select(&p, j->classes, j->per_class, j->seed, e);
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    snprintf(msg, sizeof msg, "recording %lld images of %.200s", (long long)p.n, j->classes);
    stage(j, 1, msg, n_all);
    if ((rc = sekit_job_record(&p, &r4, pr, e))) goto out;
    j->t_record = sekit_seconds() - ts, ts = sekit_seconds();
    /* all.h5 rides on the ablations' full-model pass: one pass over the data fewer, and the
     * "all" curve and the depth trend come from every image, as the paper's Fig. 6 */
    stage(j, 2, "block ablations, recording every image", 0);
    /* the presets the report speaks of: each block, each stage, the paper's last stage, the
     * digest's last two blocks, all; `sekit ablate` adds the cumulative ones (the last k blocks),
     * which would double the pass's work on a 16-block network */
    struct sekit_ablate_job a = {.out = abl,
                                 .presets = "single,stage,last-stage,last-two,all",
                                 .modes = j->modes,
                                 .record = &rall,
                                 .passes = j->passes};
    rc = sekit_pipeline_select(&p, "all", 0, 0, e);
    if ((rc = sekit_dist_agree(d, rc, e)) || (rc = sekit_job_ablate(&p, &a, pr, e))) goto out;
    j->image_variants_per_second = a.image_variants_per_second;
    j->t_ablation = sekit_seconds() - ts, ts = sekit_seconds();
    stage(j, 3, "statistics", 0);
    if ((rc = sekit_job_stats(p4, s4, NULL, NULL, e)) ||
        (rc = sekit_job_stats(pall, sall, NULL, NULL, e)))
        goto out;
    j->t_stats = sekit_seconds() - ts, ts = sekit_seconds();
    stage(j, 4, "figures", 0);
    if (d->rank == 0) rc = figures(j, s4, sall, gdir, e);
    /* the ablation's PNG comes with the ablation; its SVG is report.html's */
    for (int x = 0; d->rank == 0 && !rc && x < 2; x++) {
        char h5[4200], fo[4200];
        snprintf(h5, sizeof h5, "%s.h5", abl);
        snprintf(fo, sizeof fo, "%s.%s", abl, x == 0 ? "pdf" : "svg");
        const struct sekit_figure_request q = {.input = h5,
                                               .figure = SEKIT_FIGURE_ABLATION,
                                               .out = fo,
                                               .gnuplot_dir = x == 0 ? gdir : NULL};
        rc = sekit_job_figure(&q, e);
    }
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    j->t_figures = sekit_seconds() - ts;
    j->t_total = sekit_seconds() - t0;
    stage(j, 5, "report", 0);
    if (d->rank == 0) {
        char h5[4200], md[4200], html[4200];
        snprintf(h5, sizeof h5, "%s.h5", abl);
        snprintf(md, sizeof md, "%s/report.md", j->dir);
        snprintf(html, sizeof html, "%s/report.html", j->dir);
        if (!(rc = write_report(o, &p, j, sall, h5, e))) rc = sekit_report_html(md, html, e);
    }
    rc = sekit_dist_agree(d, rc, e);
out:
    sekit_pipeline_close(&p);
    return rc;
}
