/* ablate.c -- accuracy with SE blocks removed or frozen, every variant in one pass, optionally
 * recording the full model's SE vectors in that pass. See jobs.h. */
#include "../ablation/ablation_pass.h"
#include "../plots/figures.h"
#include "../dist/dist.h"
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int means_pass(struct sekit_pipeline *p, int64_t first, int nb, void *ctx,
                      struct sekit_err *e)
{
    (void)first, (void)e;
    sekit_gate_means_add(ctx, p->m, nb);
    return SEKIT_OK;
}

struct variants_ctx {
    struct sekit_ablation_pass *pass;
    struct sekit_job_writer *rec; /* NULL: no recording */
};

static int variants_pass(struct sekit_pipeline *p, int64_t first, int nb, void *ctx,
                         struct sekit_err *e)
{
    struct variants_ctx *c = ctx;
    /* the model holds the full model's SE vectors only until the variants' passes overwrite them */
    if (c->rec) {
        int rc = sekit_job_writer_append(c->rec, p, first, nb, e);
        if (rc) return rc;
    }
    sekit_ablation_pass_batch(c->pass, p->logits, p->labels, nb);
    return SEKIT_OK;
}

/* Every rank's tallies onto rank 0, so that it holds what one process running every row would:
 * the per-class counts summed on every rank, the per-image labels and hits of rows [0, n) in
 * row order on rank 0 alone (nimg n there, so the bootstrap resamples the serial data). A rank
 * sends its labels, then each variant's hits, of its rows [lo, hi) of
 * sekit_dist_range_batches. */
static int gather_tallies(const struct sekit_dist *d, struct sekit_variant *v, int nv, int K,
                          int64_t n, int batch, struct sekit_err *e)
{
    for (int i = 0; i < nv; i++) {
        sekit_dist_sum_i64(d, v[i].n, (size_t)K);
        sekit_dist_sum_i64(d, v[i].top1, (size_t)K);
        sekit_dist_sum_i64(d, v[i].top5, (size_t)K);
    }
    const int64_t m = v[0].nimg;
    const size_t row = sizeof(int32_t) + (size_t)nv;
    unsigned char *mine = malloc(row * (size_t)m + 1), *all = NULL;
    size_t bytes = 0;
    int rc = mine ? SEKIT_OK : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!rc) {
        for (int64_t r = 0; r < m; r++) {
            const int32_t y = v[0].label[r];
            memcpy(mine + sizeof y * (size_t)r, &y, sizeof y);
        }
        for (int i = 0; i < nv; i++)
            memcpy(mine + sizeof(int32_t) * (size_t)m + (size_t)i * m, v[i].hit, (size_t)m);
    }
    if ((rc = sekit_dist_agree(d, rc, e)) ||
        (rc = sekit_dist_gather(d, mine, row * (size_t)m, (void **)&all, &bytes, e)))
        goto out;
    if (d->rank == 0) {
        SEKIT_ASSERT(bytes == row * (size_t)n);
        rc = sekit_ablation_reserve(v, nv, n, e);
        for (int r = 0; !rc && r < d->size; r++) {
            int64_t lo, hi;
            sekit_dist_range_batches(&(struct sekit_dist){r, d->size}, n, batch, &lo, &hi);
            const unsigned char *src = all + row * (size_t)lo;
            const int64_t k = hi - lo;
            for (int64_t j = 0; j < k; j++) {
                int32_t y;
                memcpy(&y, src + sizeof y * (size_t)j, sizeof y);
                for (int i = 0; i < nv; i++)
                    v[i].label[lo + j] = y;
            }
            for (int i = 0; i < nv; i++) {
                memcpy(v[i].hit + lo, src + sizeof(int32_t) * (size_t)k + (size_t)i * k, (size_t)k);
                v[i].nimg = n;
            }
        }
    }
    rc = sekit_dist_agree(d, rc, e);
out:
    free(mine), free(all);
    return rc;
}

/* PREFIX.csv, .md, .h5 and the chart PREFIX.png from the tallies of every row. */
static int write_files(struct sekit_pipeline *p, const struct sekit_ablate_job *j,
                       const struct sekit_variant *v, struct sekit_err *e)
{
    char what[512];
    snprintf(what, sizeof what, "%s on %s (%s), %lld images", p->model_path, p->data_path,
             sekit_ds_split(p->ds), (long long)p->n);
    char *const *names = sekit_pipeline_class_names(p);
    if (!names) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    int rc = sekit_ablation_write(j->out, v, j->nvariants, p->m, names, p->classes, p->nclasses,
                                  p->idx, what, e);
    if (rc) return rc;
    /* the chart from the file just written, as `sekit figure` draws it, with the intervals */
    char h5[4200], png[4200];
    snprintf(h5, sizeof h5, "%s.h5", j->out);
    snprintf(png, sizeof png, "%s.png", j->out);
    struct sekit_ablation_table *t = NULL;
    struct sekit_figure fig = {0};
    char base[256];
    sekit_figure_file_name(h5, base, sizeof base);
    if (!(rc = sekit_ablation_read(&t, h5, e)) && !(rc = sekit_figure_ablation(&fig, t, base, e)))
        rc = sekit_plot_render(&fig, png, e);
    sekit_figure_free(&fig);
    sekit_ablation_table_free(t);
    return rc;
}

int sekit_job_ablate(struct sekit_pipeline *p, struct sekit_ablate_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e)
{
    /* Each rank runs its rows; every step that can fail on one rank ends in sekit_dist_agree, so
     * that all ranks go on or stop together. Rank 0 alone writes the files. */
    const struct sekit_dist *d = sekit_dist_world();
    int64_t lo, hi;
    sekit_dist_range_batches(d, p->n, p->batch, &lo, &hi);
    int rc = d->rank == 0 ? sekit_check_output(j->out, e) : SEKIT_OK;
    if ((rc = sekit_dist_agree(d, rc, e))) return rc;
    if (j->record && j->record->resume)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: a recording made by the ablation's pass cannot be resumed",
                          j->record->out);
    struct sekit_variant *v = NULL;
    struct sekit_gate_means g = {0};
    struct variants_ctx c = {0};
    rc = sekit_ablation_variants(p->m, j->presets, j->drops, j->ndrops, j->modes, &v, &j->nvariants,
                                 e);
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    int64_t done = 0; /* no resume: always 0 */
    if (j->record) {
        rc = sekit_job_writer_open(&c.rec, p, j->record, &done, e);
        if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    }
    int mean_mode = 0;
    for (int i = 0; i < j->nvariants; i++)
        mean_mode |= v[i].mode == SEKIT_ABLATE_MEAN;
    if (mean_mode) {
        rc = sekit_gate_means_new(&g, p->m, e);
        if ((rc = sekit_dist_agree(d, rc, e))) goto out;
        if (j->means_path) {
            /* every rank reads the whole recording: the same means everywhere */
            rc = sekit_gate_means_from_recording(&g, p->m, j->means_path, e);
            if ((rc = sekit_dist_agree(d, rc, e))) goto out;
        } else {
            if (j->passes) j->passes->begin(1, 2, "mean gates", p->n, j->passes->ctx);
            rc = sekit_pipeline_run_rows(p, lo, hi, means_pass, &g, pr, e);
            if ((rc = sekit_dist_agree(d, rc, e))) goto out;
            /* integer sums: the ranks' total is the single process's, whatever the split */
            for (int i = 0; i < g.nse; i++)
                sekit_dist_sum_i64(d, g.sum[i], 3 * (size_t)g.channels[i]);
            sekit_dist_sum_i64(d, &g.count, 1);
            if (j->passes) j->passes->begin(2, 2, "variants", 0, j->passes->ctx);
            sekit_gate_means_finish(&g);
        }
    }
    rc = sekit_ablation_reserve(v, j->nvariants, hi - lo, e);
    if (!rc)
        rc = sekit_ablation_pass_new(&c.pass, p->m, v, j->nvariants, p->batch,
                                     (const float *const *)g.mean, e);
    /* the agreement is also where the ranks start the timed pass together */
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    const double t0 = sekit_seconds();
    rc = sekit_pipeline_run_rows(p, lo, hi, variants_pass, &c, pr, e);
    if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    /* the agreement waited for the slowest rank: the whole job's time, on every rank */
    j->seconds = sekit_seconds() - t0;
    j->images = p->n;
    j->image_variants_per_second =
        j->seconds > 0 ? (double)j->images * j->nvariants / j->seconds : 0;
    if (c.rec) {
        rc = sekit_job_writer_finish(c.rec, e);
        if ((rc = sekit_dist_agree(d, rc, e))) goto out;
    }
    const int K = sekit_model_arch(p->m)->num_classes;
    if ((rc = gather_tallies(d, v, j->nvariants, K, p->n, p->batch, e))) goto out;
    if (d->rank == 0) rc = write_files(p, j, v, e);
    rc = sekit_dist_agree(d, rc, e);
out:
    sekit_job_writer_close(c.rec);
    sekit_ablation_pass_free(c.pass);
    sekit_gate_means_free(&g);
    sekit_ablation_free(v, j->nvariants);
    return rc;
}
