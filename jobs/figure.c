/* figure.c -- one figure from its input file to its output. See jobs.h. */
#include "../ablation/ablation.h"
#include "../plots/figures.h"
#include "jobs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sekit_figure_names[SEKIT_FIGURE_KINDS + 1] = {
    [SEKIT_FIGURE_INTER_CLASS] = "inter-class",
    [SEKIT_FIGURE_INTRA_CLASS] = "intra-class",
    [SEKIT_FIGURE_DEPTH] = "depth",
    [SEKIT_FIGURE_ABLATION] = "ablation",
    [SEKIT_FIGURE_DEPTH_COMPARE] = "depth-compare",
};

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
    *n = sekit_figure_default_blocks(s->blocks, s->nblocks, idx);
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

/* The channels of --channels: "a-b" ranges and single indices, comma-separated, ascending and
 * without repeats in *out (malloc'd), each below the width of every block drawn. */
static int pick_channels(const struct sekit_stats_file *s, const char *spec, const int *blocks,
                         int nb, int **out, int *n, struct sekit_err *e)
{
    *out = NULL, *n = 0;
    /* the narrowest block drawn bounds the indices */
    int narrow = 0;
    for (int p = 1; p < nb; p++)
        if (s->blocks[blocks[p]].channels < s->blocks[blocks[narrow]].channels) narrow = p;
    const struct sekit_block_stats *nbk = &s->blocks[blocks[narrow]];
    const int C = nbk->channels;
    unsigned char *want = calloc((size_t)C, 1);
    char *copy = strdup(spec), *save = NULL;
    int rc = SEKIT_OK;
    if (!want || !copy) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        long a = strtol(t, &end, 10), b = a;
        if (end != t && *end == '-' && end[1] != '+' && end[1] != '-') {
            const char *from = end + 1;
            b = strtol(from, &end, 10);
            if (end == from) end = (char *)from - 1; /* "3-": not a range */
        }
        if (errno || end == t || *end || !isdigit((unsigned char)*t) || a < 0 || b < a ||
            b > INT_MAX) {
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "--channels '%.64s': expected channel indices such as 0-31 or 0,8,16 "
                            "(a range's first index at most its last)",
                            spec);
            break;
        }
        if (b >= C) {
            rc = sekit_errf(e, SEKIT_EINVAL,
                            "--channels '%.64s': %s has %d channels (0-%d); channel %ld is not one "
                            "of them",
                            spec, nbk->name, C, C - 1, b);
            break;
        }
        memset(want + a, 1, (size_t)(b - a + 1));
    }
    if (rc) goto out;
    if (!(*out = malloc(sizeof(int) * (size_t)C))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    for (int c = 0; c < C; c++)
        if (want[c]) (*out)[(*n)++] = c;
    if (!*n) rc = sekit_errf(e, SEKIT_EINVAL, "--channels '%.64s': no channel given", spec);
out:
    free(want), free(copy);
    if (rc) free(*out), *out = NULL;
    return rc;
}

static int emit(const struct sekit_figure_request *q, struct sekit_figure *f, struct sekit_err *e)
{
    int rc = SEKIT_OK;
    if (q->title) f->title = q->title;
    /* --size: a PNG's pixels are 2 per point of the page */
    const char *ext = strrchr(q->out, '.');
    const double per_point = ext && !strcasecmp(ext, ".png") ? 2 : 1;
    f->width = q->width / per_point, f->height = q->height / per_point;
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
    if (dir && (rc = sekit_plot_gnuplot(f, dir, sekit_figure_names[q->figure], e))) return rc;
    if (q->use_gnuplot) {
        char script[4200];
        snprintf(script, sizeof script, "%s/%s.gp", dir, sekit_figure_names[q->figure]);
        return sekit_plot_run_gnuplot(script, q->out, e);
    }
    return sekit_plot_render(f, q->out, e);
}

/* The depth-compare figure of q->input beside q->compare. */
static int depth_compare(const struct sekit_figure_request *q, struct sekit_err *e)
{
    if (!q->compare)
        return sekit_errf(e, SEKIT_EINVAL,
                          "the depth-compare figure needs a second network's "
                          "statistics (--compare FILE)");
    struct sekit_stats_file *s[2] = {NULL, NULL};
    int rc = sekit_stats_load(&s[0], q->input, e);
    if (!rc) rc = sekit_stats_load(&s[1], q->compare, e);
    if (!rc) {
        char la[256], lb[256], what[1100];
        sekit_figure_run_label(q->input, la, sizeof la);
        sekit_figure_run_label(q->compare, lb, sizeof lb);
        if (!strcmp(la, lb)) snprintf(lb + strlen(lb), sizeof lb - strlen(lb), " (2)");
        snprintf(what, sizeof what, "%s: %d blocks, %s: %d blocks; %lld and %lld images", la,
                 s[0]->nblocks, lb, s[1]->nblocks, (long long)s[0]->n, (long long)s[1]->n);
        const struct sekit_block_stats *const st[2] = {s[0]->blocks, s[1]->blocks};
        const int n[2] = {s[0]->nblocks, s[1]->nblocks};
        const char *const label[2] = {la, lb};
        struct sekit_figure fig = {0};
        if (!(rc = sekit_figure_depth_compare(&fig, st, n, label, what, e))) rc = emit(q, &fig, e);
        sekit_figure_free(&fig);
    }
    sekit_stats_file_free(s[0]);
    sekit_stats_file_free(s[1]);
    return rc;
}

int sekit_job_figure(const struct sekit_figure_request *q, struct sekit_err *e)
{
    const enum sekit_figure_kind kind = q->figure;
    SEKIT_ASSERT(kind >= 0 && kind < SEKIT_FIGURE_KINDS);
    const char *name = sekit_figure_names[kind];
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
    if (q->channels && kind != SEKIT_FIGURE_INTER_CLASS && kind != SEKIT_FIGURE_INTRA_CLASS)
        return sekit_errf(e, SEKIT_EINVAL,
                          "--channels applies to the inter-class and intra-class figures, not %s",
                          name);
    if (q->compare && kind != SEKIT_FIGURE_DEPTH_COMPARE)
        return sekit_errf(e, SEKIT_EINVAL, "--compare applies to the depth-compare figure, not %s",
                          name);
    if (kind == SEKIT_FIGURE_DEPTH_COMPARE) return depth_compare(q, e);
    struct sekit_figure fig = {0};
    char what[1024];
    if (kind == SEKIT_FIGURE_ABLATION) {
        struct sekit_ablation_table *t = NULL;
        if (!(rc = sekit_ablation_read(&t, q->input, e))) {
            sekit_figure_file_name(q->input, what, sizeof what);
            if (!(rc = sekit_figure_ablation(&fig, t, what, e))) rc = emit(q, &fig, e);
        }
        sekit_figure_free(&fig);
        sekit_ablation_table_free(t);
        return rc;
    }
    struct sekit_stats_file *s = NULL, *sa = NULL;
    if ((rc = sekit_stats_load(&s, q->input, e))) return rc;
    int *blocks = malloc(sizeof(int) * (size_t)(s->nblocks + 1)), nb = 0;
    int *rows = malloc(sizeof(int) * (size_t)(s->nsel + 1)), nrows = 0;
    const float **all = calloc((size_t)s->nblocks + 1, sizeof *all);
    int *channels = NULL, nch = 0;
    if (!blocks || !rows || !all) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if (kind != SEKIT_FIGURE_DEPTH && (rc = pick_blocks(s, q->blocks, blocks, &nb, e))) goto out;
    if (kind == SEKIT_FIGURE_INTER_CLASS && !q->classes && s->nsel > 8) {
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: %d classes are too many to tell apart in one panel; choose up to 8 "
                        "with --classes",
                        q->input, s->nsel);
        goto out;
    }
    if (kind != SEKIT_FIGURE_DEPTH &&
        (rc = pick_rows(s, q->classes, kind == SEKIT_FIGURE_INTER_CLASS ? 8 : 2, rows, &nrows, e)))
        goto out;
    if (nrows > SEKIT_PLOT_COLORS) {
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: %d classes are too many to tell apart in one figure; choose up to %d "
                        "with --classes",
                        q->input, nrows, SEKIT_PLOT_COLORS);
        goto out;
    }
    if (kind == SEKIT_FIGURE_INTER_CLASS && q->all) {
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
    if (q->channels && (rc = pick_channels(s, q->channels, blocks, nb, &channels, &nch, e)))
        goto out;
    /* the subtitle: file names without their directories, and the images of what is drawn */
    char rec[256], data[256], count[96];
    sekit_figure_file_name(s->recording_path, rec, sizeof rec);
    sekit_figure_file_name(s->dataset ? s->dataset : "?", data, sizeof data);
    if (kind == SEKIT_FIGURE_DEPTH) {
        snprintf(count, sizeof count, "%lld images", (long long)s->n);
    } else {
        long long drawn = 0;
        for (int r = 0; r < nrows; r++)
            drawn += s->blocks[blocks[0]].count[rows[r]];
        snprintf(count, sizeof count, "%lld images of the %d classes drawn", drawn, nrows);
    }
    snprintf(what, sizeof what, "%s, %s %s, %s", rec, data, s->split ? s->split : "", count);
    if (kind == SEKIT_FIGURE_INTER_CLASS)
        rc = sekit_figure_inter_class(&fig, s->blocks, blocks, nb, rows, nrows, s->class_names, all,
                                      channels, nch, what, e);
    else if (kind == SEKIT_FIGURE_INTRA_CLASS)
        rc = sekit_figure_intra_class(&fig, s->blocks, blocks, nb, rows, nrows, s->class_names,
                                      channels, nch, what, e);
    else
        rc = sekit_figure_depth(&fig, s->blocks, s->nblocks, what, e);
    if (!rc) rc = emit(q, &fig, e);
    sekit_figure_free(&fig);
out:
    free(blocks), free(rows), free(all), free(channels);
    sekit_stats_file_free(s);
    sekit_stats_file_free(sa);
    return rc;
}
