/* ablate.c -- accuracy with SE blocks removed or frozen, every variant in one pass, optionally
 * recording the full model's SE vectors in that pass. See jobs.h. */
#include "../analysis/ablation_pass.h"
#include "../plots/figures.h"
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>

static int means_pass(struct sekit_pipeline *p, int64_t first, int nb, void *ctx,
                      struct sekit_err *e)
{
    (void)first, (void)e;
    sekit_gate_means_add(ctx, p->m, nb);
    return SEKIT_OK;
}

struct variants_ctx {
    struct sekit_ablation_pass *pass;
    struct sekit_recorder *rec; /* NULL: no recording */
};

static int variants_pass(struct sekit_pipeline *p, int64_t first, int nb, void *ctx,
                         struct sekit_err *e)
{
    struct variants_ctx *c = ctx;
    /* the model holds the full model's SE vectors only until the variants' passes overwrite them */
    if (c->rec) {
        int rc = sekit_recorder_append(c->rec, p, first, nb, e);
        if (rc) return rc;
    }
    sekit_ablation_pass_batch(c->pass, p->logits, p->labels, nb);
    return SEKIT_OK;
}

int sekit_job_ablate(struct sekit_pipeline *p, struct sekit_ablate_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e)
{
    int rc = sekit_check_output(j->out, e);
    if (rc) return rc;
    if (j->record && j->record->resume)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: a recording made by the ablation's pass cannot be resumed",
                          j->record->out);
    struct sekit_variant *v = NULL;
    struct sekit_gate_means g = {0};
    struct variants_ctx c = {0};
    if ((rc = sekit_ablation_variants(p->m, j->presets, j->drops, j->ndrops, j->modes, &v,
                                      &j->nvariants, e)))
        return rc;
    int64_t done = 0; /* no resume: always 0 */
    if (j->record && (rc = sekit_recorder_open(&c.rec, p, j->record, &done, e))) goto out;
    if (j->modes & 2) {
        if ((rc = sekit_gate_means_new(&g, p->m, e))) goto out;
        if (j->means_path) {
            if ((rc = sekit_gate_means_from_recording(&g, p->m, j->means_path, e))) goto out;
        } else {
            if (j->passes) j->passes->begin(1, 2, "mean gates", p->n, j->passes->ctx);
            if ((rc = sekit_pipeline_run(p, 0, means_pass, &g, pr, e))) goto out;
            if (j->passes) j->passes->begin(2, 2, "variants", 0, j->passes->ctx);
            sekit_gate_means_finish(&g);
        }
    }
    if ((rc = sekit_ablation_reserve(v, j->nvariants, p->n, e))) goto out;
    if ((rc = sekit_ablation_pass_new(&c.pass, p->m, v, j->nvariants, p->batch,
                                      (const float *const *)g.mean, e)))
        goto out;
    const double t0 = sekit_seconds();
    if ((rc = sekit_pipeline_run(p, 0, variants_pass, &c, pr, e))) goto out;
    j->seconds = sekit_seconds() - t0;
    j->images = p->n;
    j->image_variants_per_second =
        j->seconds > 0 ? (double)j->images * j->nvariants / j->seconds : 0;
    if (c.rec && (rc = sekit_recorder_finish(c.rec, e))) goto out;
    char what[512];
    snprintf(what, sizeof what, "%s on %s (%s), %lld images", p->model_path, p->data_path,
             sekit_ds_split(p->ds), (long long)p->n);
    char *const *names = sekit_pipeline_class_names(p);
    if (!names) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sekit_ablation_write(j->out, v, j->nvariants, p->m, names, p->classes, p->nclasses,
                                   what, e)))
        goto out;
    /* the chart from the file just written, as `sekit figure` draws it, with the intervals */
    char h5[4200], png[4200];
    snprintf(h5, sizeof h5, "%s.h5", j->out);
    snprintf(png, sizeof png, "%s.png", j->out);
    struct sekit_ablation_table *t = NULL;
    struct sekit_fig fig = {0};
    char base[256];
    sekit_fig_file_name(h5, base, sizeof base);
    if (!(rc = sekit_ablation_read(&t, h5, e)) &&
        !(rc = sekit_fig_ablation_ci(&fig, t->names, t->mode, t->delta_top1, t->delta_top1_lo,
                                     t->delta_top1_hi, t->n, base, e)))
        rc = sekit_plot_render(&fig.f, png, e);
    sekit_fig_free(&fig);
    sekit_ablation_table_free(t);
out:
    sekit_recorder_close(c.rec);
    sekit_ablation_pass_free(c.pass);
    sekit_gate_means_free(&g);
    sekit_ablation_free(v, j->nvariants);
    return rc;
}
