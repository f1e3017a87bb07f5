/*
 * reproduce.c -- the SENet paper's excitation analysis (Sec. 7.2, Fig. 6, 7) and its
 * block-ablation claim (Sec. 4) on one model and dataset, ending in a report that states what
 * this model shows for each of the paper's observations (report/findings.h). See jobs.h.
 */
#include "../ablation/ablation.h"
#include "../report/report_md.h"
#include "../recording/record.h"
#include "../dist/dist.h"
#include "jobs.h"
#include "../report/report_html.h"
#include "../src/fileio.h"
#include "../plots/plot.h"
#include "../datasets/dataset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { STAGES = 5 };

static void stage(const struct sekit_reproduce_job *j, int k, const char *name, int64_t after)
{
    if (j->stages) j->stages->begin(k, STAGES, name, after, j->stages->ctx);
}

/* DIR/report.md: what ran, from the pipeline and the job, with the statistics and ablations. */
static int report_markdown(const struct sekit_pipeline_opts *o, const struct sekit_pipeline *p,
                           const struct sekit_reproduce_job *j, const char *stats_path,
                           const char *ablation_path, struct sekit_err *e)
{
    char arch[512], sha[65];
    sekit_arch_summary(sekit_model_arch(p->m), arch, sizeof arch);
    const int rc = sekit_sha256_file(p->model_path, sha, e);
    if (rc) return rc;
    const struct sekit_report_run run = {
        .dir = j->dir,
        .model_path = p->model_path,
        .model_sha256 = sha,
        .architecture = arch,
        .data_path = p->data_path,
        .split = sekit_ds_split(p->ds),
        .images = p->n,
        .num_classes = p->nclasses,
        .per_class = j->per_class,
        .seeded = j->seed != 0,
        .preproc = p->pre.desc,
        .preproc_sources = p->pre.sources,
        .classes = j->classes,
        .pair = j->pair,
        .command_line = j->command_line,
        .compare = j->compare,
        .backend = sekit_backend_name(sekit_model_backend(p->m)),
        .ranks = sekit_dist_world()->size,
        .threads = o->threads,
        .t_record = j->t_record,
        .t_ablation = j->t_ablation,
        .t_stats = j->t_stats,
        .t_figures = j->t_figures,
        .t_total = j->t_total,
        .image_variants_per_second = j->image_variants_per_second,
    };
    return sekit_report_markdown(&run, stats_path, ablation_path, e);
}

/* The figures, from the statistics files s4 (the --classes) and sall (every class). */
static int figures(const struct sekit_reproduce_job *j, const char *s4, const char *sall,
                   const char *gdir, struct sekit_err *e)
{
    static const char *const names[4] = {"fig6-inter-class", "fig7-intra-class", "depth",
                                         "depth-compare"};
    static const char *const exts[3] = {"png", "pdf", "svg"};
    for (int x = 0; x < 3; x++) {
        struct sekit_figure_request q[4] = {
            {.input = s4, .figure = SEKIT_FIGURE_INTER_CLASS, .all = sall},
            {.input = s4, .figure = SEKIT_FIGURE_INTRA_CLASS, .classes = j->pair},
            {.input = sall, .figure = SEKIT_FIGURE_DEPTH},
            {.input = sall, .figure = SEKIT_FIGURE_DEPTH_COMPARE, .compare = j->compare},
        };
        for (int i = 0; i < (j->compare ? 4 : 3); i++) {
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

/* The figures' classes, checked before the first pass so that a bad choice costs no work: the
 * selected --classes (2 to SEKIT_PLOT_COLORS, one colour each) and --pair, one or two of them. */
static int check_classes(struct sekit_pipeline *p, const struct sekit_reproduce_job *j,
                         struct sekit_err *e)
{
    if (p->nclasses < 2 || p->nclasses > SEKIT_PLOT_COLORS)
        return sekit_errf(e, SEKIT_EINVAL,
                          "--classes %.200s: the inter-class figure draws 2 to %d classes, not %d",
                          j->classes, SEKIT_PLOT_COLORS, p->nclasses);
    int *pair = NULL, np = 0;
    int rc = sekit_ds_parse_classes(p->ds, j->pair, &pair, &np, e);
    if (rc) {
        char why[sizeof e->msg];
        memcpy(why, e->msg, sizeof why);
        return sekit_errf(e, rc, "--pair: %s", why);
    }
    if (np < 1 || np > 2)
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "--pair %.200s: the intra-class figure draws 1 or 2 classes, "
                        "not %d",
                        j->pair, np);
    for (int i = 0; !rc && i < np; i++) {
        int in = 0;
        for (int k = 0; k < p->nclasses; k++)
            in |= p->classes[k] == pair[i];
        if (!in)
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "--pair %.200s: %s is not one of --classes %.200s (the intra-class "
                            "figure draws classes.h5)",
                            j->pair, sekit_ds_class_name(p->ds, pair[i]), j->classes);
    }
    free(pair);
    return rc;
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
    if (j->compare) {
        /* read before any work: a file that is no statistics costs nothing */
        struct sekit_stats_file *c = NULL;
        rc = sekit_stats_read(&c, j->compare, e);
        sekit_stats_file_free(c);
        if (rc) return rc;
    }
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
    /* the images the ablations run (twice: the mean gates' pass first), for the overall ETA */
    rc = sekit_pipeline_select(&p, "all", 0, 0, e);
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    const int64_t n_all = p.n * 2;
    rc = sekit_pipeline_select(&p, j->classes, j->per_class, j->seed, e);
    if (!rc) rc = check_classes(&p, j, e);
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
     * which would double the pass's work on a 16-block network. Frozen at their mean gates, they
     * keep the average scaling the network was trained with and take away only the gates' input
     * dependence; gate := 1 (remove) beside them for the three sets verdict 5 and the SE check
     * read it for (docs/findings.md) */
    const int both = (j->modes & SEKIT_MODES_BOTH) == SEKIT_MODES_BOTH;
    struct sekit_ablate_job a = {.out = abl,
                                 .presets = both ? "single,stage,last-stage,last-two,all"
                                                 : "remove:last-stage,remove:last-two,remove:all,"
                                                   "single,stage,last-stage,last-two,all",
                                 .modes = both ? SEKIT_MODES_BOTH : SEKIT_MODES_MEAN,
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
        if (!(rc = report_markdown(o, &p, j, sall, h5, e))) rc = sekit_report_html(md, html, e);
    }
    rc = sekit_dist_agree(d, rc, e);
out:
    sekit_pipeline_close(&p);
    return rc;
}
