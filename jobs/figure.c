/* figure.c -- one figure from its input file to its output. See jobs.h. */
#include "../plots/figures.h"
#include "jobs.h"

#include <errno.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sekit_figure_names[] = {"inter-class", "intra-class", "depth", "ablation", NULL};

/* Block indices for the panels: --blocks, else the paper's choice. */
static int pick_blocks(const struct sekit_recording *r, const struct sekit_block_stats *st,
                       const char *spec, int *idx, int *n, struct sekit_err *e)
{
    if (!spec) {
        *n = sekit_fig_default_blocks(st, r->nblocks, idx);
        return SEKIT_OK;
    }
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t && *n < r->nblocks;
         t = strtok_r(NULL, ",", &save)) {
        int b = sekit_recording_find(r, t);
        if (b < 0) {
            char list[2048] = "";
            for (int j = 0; j < r->nblocks && strlen(list) < sizeof list - 40; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "",
                         r->blocks[j].name);
            int rc = sekit_errf(e, SEKIT_EINVAL, "%s: no block '%s' recorded (blocks: %s)", r->path,
                                t, list);
            free(copy);
            return rc;
        }
        idx[(*n)++] = b;
    }
    free(copy);
    return *n ? SEKIT_OK : sekit_errf(e, SEKIT_EINVAL, "empty --blocks");
}

/* Rows of the stats (recorded classes) for --classes, else the first `dflt` (0: all). */
static int pick_rows(const struct sekit_recording *r, const char *spec, int dflt, int *rows, int *n,
                     struct sekit_err *e)
{
    *n = 0;
    if (!spec) {
        for (int i = 0; i < r->nsel && (!dflt || i < dflt); i++)
            rows[(*n)++] = i;
        return SEKIT_OK;
    }
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (char *t = strtok_r(copy, ",", &save); t && *n < r->nsel; t = strtok_r(NULL, ",", &save)) {
        int k = sekit_recording_class(r, t), row = -1;
        for (int i = 0; k >= 0 && i < r->nsel; i++)
            if (r->sel_classes[i] == k) row = i;
        if (row < 0) {
            char list[2048] = "";
            for (int j = 0; j < r->nsel && strlen(list) < sizeof list - 60; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "",
                         r->class_names[r->sel_classes[j]]);
            int rc =
                sekit_errf(e, SEKIT_EINVAL, "%s: class '%s' is not in the recording (recorded: %s)",
                           r->path, t, list);
            free(copy);
            return rc;
        }
        rows[(*n)++] = row;
    }
    free(copy);
    return SEKIT_OK;
}

static int read_ablation(const char *path, char ***names, double **delta, int *n,
                         struct sekit_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0) return sekit_errf(e, SEKIT_EIO, "%s: cannot open", path);
    hid_t f = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (f < 0 || H5Lexists(f, "ablation", H5P_DEFAULT) <= 0 ||
        H5Lexists(f, "ablation/variant", H5P_DEFAULT) <= 0 ||
        H5Lexists(f, "ablation/delta_top1", H5P_DEFAULT) <= 0) {
        if (f >= 0) H5Fclose(f);
        H5Eclear2(H5E_DEFAULT);
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: not a sekit ablation file (no /ablation/variant, delta_top1)", path);
    }
    hid_t dv = H5Dopen2(f, "ablation/variant", H5P_DEFAULT),
          dd = H5Dopen2(f, "ablation/delta_top1", H5P_DEFAULT);
    hid_t sp = H5Dget_space(dv);
    *n = (int)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    H5Tset_cset(st, H5T_CSET_UTF8);
    char **raw = calloc((size_t)*n + 1, sizeof *raw);
    *names = calloc((size_t)*n + 1, sizeof **names);
    *delta = calloc((size_t)*n + 1, sizeof **delta);
    int bad = !raw || !*names || !*delta ||
              H5Dread(dv, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0 ||
              H5Dread(dd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *delta) < 0;
    for (int i = 0; raw && i < *n; i++) {
        if (*names) (*names)[i] = strdup(raw[i] ? raw[i] : "?");
        H5free_memory(raw[i]);
    }
    free(raw);
    H5Tclose(st);
    H5Dclose(dv), H5Dclose(dd), H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return bad ? sekit_errf(e, SEKIT_EFORMAT, "%s: malformed /ablation datasets", path) : SEKIT_OK;
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
        char **names = NULL;
        double *delta = NULL;
        int n = 0;
        if ((rc = read_ablation(q->input, &names, &delta, &n, e))) goto abl_out;
        snprintf(what, sizeof what, "%s", q->input);
        if (!(rc = sekit_fig_ablation(&fig, names, delta, n, what, e))) rc = emit(q, &fig.f, e);
    abl_out:
        for (int i = 0; names && i < n; i++)
            free(names[i]);
        free(names);
        free(delta);
        sekit_fig_free(&fig);
        return rc;
    }
    struct sekit_recording *r = NULL, *ra = NULL;
    struct sekit_block_stats *st = NULL, *sta = NULL;
    if ((rc = sekit_recording_open(&r, q->input, e))) return rc;
    st = calloc((size_t)r->nblocks, sizeof *st);
    int *blocks = malloc(sizeof(int) * (size_t)r->nblocks), nb = 0;
    int *rows = malloc(sizeof(int) * (size_t)(r->nsel + 1)), nrows = 0;
    const float **all = calloc((size_t)r->nblocks, sizeof *all);
    if (!st || !blocks || !rows || !all) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sekit_stats_recording(r, st, e))) {
        free(st);
        st = NULL;
        goto out;
    }
    if (kind != 2 && (rc = pick_blocks(r, st, q->blocks, blocks, &nb, e))) goto out;
    if (kind == 0 && (rc = pick_rows(r, q->classes, 8, rows, &nrows, e))) goto out;
    if (kind == 0 && !q->classes && r->nsel > 8) {
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: %d classes are too many to tell apart in one panel; choose up to 8 "
                        "with --classes",
                        q->input, r->nsel);
        goto out;
    }
    if (kind == 1 && (rc = pick_rows(r, q->classes, 2, rows, &nrows, e))) goto out;
    if (kind == 0 && q->all) {
        if ((rc = sekit_recording_open(&ra, q->all, e))) goto out;
        if (ra->model_sha256 && r->model_sha256 && strcmp(ra->model_sha256, r->model_sha256)) {
            rc = sekit_errf(e, SEKIT_EINVAL, "%s: recorded with another model than %s", q->all,
                            q->input);
            goto out;
        }
        sta = calloc((size_t)ra->nblocks, sizeof *sta);
        if (!sta || (rc = sekit_stats_recording(ra, sta, e))) {
            free(sta);
            sta = NULL;
            if (!rc) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            goto out;
        }
        for (int p = 0; p < nb; p++) {
            int b = sekit_recording_find(ra, r->blocks[blocks[p]].name);
            if (b < 0) {
                rc = sekit_errf(e, SEKIT_EINVAL, "%s: block %s is not recorded", q->all,
                                r->blocks[blocks[p]].name);
                goto out;
            }
            all[p] = sta[b].all_mean;
        }
    }
    snprintf(what, sizeof what, "%s, %s %s, %lld images", r->path, r->dataset ? r->dataset : "?",
             r->split ? r->split : "", (long long)r->n);
    rc = kind == 0 ? sekit_fig_inter_class(&fig, st, blocks, nb, rows, nrows, r->class_names, all,
                                           what, e)
         : kind == 1
             ? sekit_fig_intra_class(&fig, st, blocks, nb, rows, nrows, r->class_names, what, e)
             : sekit_fig_depth(&fig, st, r->nblocks, what, e);
    if (!rc) rc = emit(q, &fig.f, e);
    sekit_fig_free(&fig);
out:
    for (int b = 0; st && b < r->nblocks; b++)
        sekit_stats_free(&st[b]);
    for (int b = 0; sta && b < ra->nblocks; b++)
        sekit_stats_free(&sta[b]);
    free(st), free(sta), free(blocks), free(rows), free(all);
    sekit_recording_close(r);
    sekit_recording_close(ra);
    return rc;
}
