/* figure.c -- one figure from its input file to its output. See jobs.h. */
#include "../analysis/ablation.h"
#include "../plots/figures.h"
#include "jobs.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sekit_figure_names[] = {"inter-class", "intra-class", "depth", "ablation", NULL};

static const char *block_name(const void *ctx, int i)
{
    const struct sekit_stats_file *s = ctx;
    return s->blocks[i].name;
}

static const char *row_name(const void *ctx, int i)
{
    const struct sekit_stats_file *s = ctx;
    return s->class_names[s->sel_classes[i]];
}

/* The indices of a comma list of names, each looked up by find among count items; an unknown
 * one is refused with the valid ones (name(s, 0..count)) listed. */
static int pick(const struct sekit_stats_file *s, const char *spec, const char *what,
                int (*find)(const struct sekit_stats_file *, const char *),
                const char *(*name)(const void *, int), int count, int *idx, int *n,
                struct sekit_err *e)
{
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    int rc = SEKIT_OK;
    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t && *n < count && !rc;
         t = strtok_r(NULL, ",", &save)) {
        const int i = find(s, t);
        if (i >= 0) {
            idx[(*n)++] = i;
            continue;
        }
        char list[2048];
        rc = sekit_errf(e, SEKIT_EINVAL, "%s: %s '%.64s' is not in the recording (recorded: %s)",
                        s->path, what, t, sekit_name_list(list, sizeof list, name, s, count));
    }
    free(copy);
    if (!rc && !*n) rc = sekit_errf(e, SEKIT_EINVAL, "an empty list of %ss", what);
    return rc;
}

/* Block indices for the panels: --blocks, else the paper's choice. */
static int pick_blocks(const struct sekit_stats_file *s, const char *spec, int *idx, int *n,
                       struct sekit_err *e)
{
    if (spec) return pick(s, spec, "block", sekit_stats_find, block_name, s->nblocks, idx, n, e);
    *n = sekit_fig_default_blocks(s->blocks, s->nblocks, idx);
    return SEKIT_OK;
}

/* Rows of the statistics (recorded classes) for --classes, else the first `dflt` (0: all). */
static int pick_rows(const struct sekit_stats_file *s, const char *spec, int dflt, int *rows,
                     int *n, struct sekit_err *e)
{
    if (spec) return pick(s, spec, "class", sekit_stats_row, row_name, s->nsel, rows, n, e);
    for (*n = 0; *n < s->nsel && (!dflt || *n < dflt); ++*n)
        rows[*n] = *n;
    return SEKIT_OK;
}

static int emit(const struct sekit_figure_request *q, const struct sekit_figure *f,
                struct sekit_err *e)
{
    int rc = SEKIT_OK;
    const char *dir = q->gnuplot_dir;
    char tmpdir[4096] = "";
    if (q->use_gnuplot && !dir) {
        /* the script still has to live somewhere: next to the figure */
        snprintf(tmpdir, sizeof tmpdir, "%s", q->out);
        char *slash = strrchr(tmpdir, '/');
        if (slash)
            *slash = 0;
        else
            snprintf(tmpdir, sizeof tmpdir, ".");
        dir = tmpdir;
    }
    if (dir && (rc = sekit_plot_gnuplot(f, dir, q->figure, q->out, e))) return rc;
    if (q->use_gnuplot) {
        char script[4200];
        snprintf(script, sizeof script, "%s/%s.gp", dir, q->figure);
        return sekit_plot_run_gnuplot(script, q->out, e);
    }
    return sekit_plot_render(f, q->out, e);
}

int sekit_job_figure(const struct sekit_figure_request *q, struct sekit_err *e)
{
    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(q->figure, sekit_figure_names[i]) == 0) kind = i;
    if (kind < 0)
        return sekit_errf(e, SEKIT_EINVAL,
                          "unknown figure '%s' (inter-class, intra-class, depth, ablation)",
                          q->figure);
    const char *ext = strrchr(q->out, '.');
    if (!ext || (strcasecmp(ext, ".png") && strcasecmp(ext, ".pdf") && strcasecmp(ext, ".svg")))
        return sekit_errf(e, SEKIT_EINVAL, "%s: unknown figure type (use .png, .pdf or .svg)",
                          q->out);
    if (q->use_gnuplot && !sekit_plot_have_gnuplot())
        return sekit_errf(e, SEKIT_EINVAL,
                          "gnuplot is not installed (apt-get install gnuplot-nox); "
                          "--engine cairo draws %s without it",
                          q->out);
    int rc = sekit_check_output(q->out, e);
    if (!rc && q->gnuplot_dir) {
        /* the script directory is created (its parent must exist), as sekit_plot_gnuplot does */
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/.", q->gnuplot_dir);
        if ((rc = sekit_check_output(q->gnuplot_dir, e)) == SEKIT_OK &&
            mkdir(q->gnuplot_dir, 0755) != 0 && errno != EEXIST)
            rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create the directory: %s", q->gnuplot_dir,
                            strerror(errno));
        if (!rc) rc = sekit_check_output(probe, e);
    }
    if (rc) return rc;
    struct sekit_fig fig = {0};
    char what[512];
    if (kind == 3) {
        struct sekit_ablation_table *t = NULL;
        if (!(rc = sekit_ablation_read(&t, q->input, e))) {
            snprintf(what, sizeof what, "%s", q->input);
            if (!(rc = sekit_fig_ablation_ci(&fig, t->names, t->delta_top1, t->delta_top1_lo,
                                             t->delta_top1_hi, t->n, what, e)))
                rc = emit(q, &fig.f, e);
        }
        sekit_fig_free(&fig);
        sekit_ablation_table_free(t);
        return rc;
    }
    struct sekit_stats_file *s = NULL, *sa = NULL;
    if ((rc = sekit_stats_load(&s, q->input, e))) return rc;
    int *blocks = malloc(sizeof(int) * (size_t)(s->nblocks + 1)), nb = 0;
    int *rows = malloc(sizeof(int) * (size_t)(s->nsel + 1)), nrows = 0;
    const float **all = calloc((size_t)s->nblocks + 1, sizeof *all);
    if (!blocks || !rows || !all) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if (kind != 2 && (rc = pick_blocks(s, q->blocks, blocks, &nb, e))) goto out;
    if (kind == 0 && !q->classes && s->nsel > 8) {
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: %d classes are too many to tell apart in one panel; choose up to 8 "
                        "with --classes",
                        q->input, s->nsel);
        goto out;
    }
    if (kind != 2 && (rc = pick_rows(s, q->classes, kind == 0 ? 8 : 2, rows, &nrows, e))) goto out;
    if (kind == 0 && q->all) {
        if ((rc = sekit_stats_load(&sa, q->all, e))) goto out;
        if (sa->model_sha256 && s->model_sha256 && strcmp(sa->model_sha256, s->model_sha256)) {
            rc = sekit_errf(e, SEKIT_EINVAL, "%s: recorded with another model than %s", q->all,
                            q->input);
            goto out;
        }
        for (int p = 0; p < nb; p++) {
            const int b = sekit_stats_find(sa, s->blocks[blocks[p]].name);
            if (b < 0) {
                rc = sekit_errf(e, SEKIT_EINVAL, "%s: block %s is not recorded", q->all,
                                s->blocks[blocks[p]].name);
                goto out;
            }
            all[p] = sa->blocks[b].all_mean;
        }
    }
    snprintf(what, sizeof what, "%s, %s %s, %lld images", s->recording_path,
             s->dataset ? s->dataset : "?", s->split ? s->split : "", (long long)s->n);
    rc = kind == 0 ? sekit_fig_inter_class(&fig, s->blocks, blocks, nb, rows, nrows, s->class_names,
                                           all, what, e)
         : kind == 1 ? sekit_fig_intra_class(&fig, s->blocks, blocks, nb, rows, nrows,
                                             s->class_names, what, e)
                     : sekit_fig_depth(&fig, s->blocks, s->nblocks, what, e);
    if (!rc) rc = emit(q, &fig.f, e);
    sekit_fig_free(&fig);
out:
    free(blocks), free(rows), free(all);
    sekit_stats_file_free(s);
    sekit_stats_file_free(sa);
    return rc;
}
