/* eval.c -- top-1 and top-5 accuracy of a selection. See jobs.h. */
#include "../dist/dist.h"
#include "jobs.h"

#include <stdlib.h>
#include <string.h>

static int count(struct sekit_pipeline *p, int64_t first, int nb, void *ctx, struct sekit_err *e)
{
    (void)first, (void)e;
    struct sekit_eval_result *r = ctx;
    sekit_tally_topk(p->logits, p->labels, nb, r->K, r->topk, r->n, r->top1, r->top5);
    return SEKIT_OK;
}

int sekit_job_eval(struct sekit_pipeline *p, struct sekit_eval_result *r,
                   const struct sekit_progress *pr, struct sekit_err *e)
{
    memset(r, 0, sizeof *r);
    r->K = sekit_model_arch(p->m)->num_classes;
    r->topk = r->K < 5 ? r->K : 5;
    r->n = calloc((size_t)r->K, sizeof *r->n);
    r->top1 = calloc((size_t)r->K, sizeof *r->top1);
    r->top5 = calloc((size_t)r->K, sizeof *r->top5);
    /* each rank counts its rows; the counts are integers, whose sum is exact in any order */
    const struct sekit_dist *d = sekit_dist_world();
    int64_t lo, hi;
    sekit_dist_range_batches(d, p->n, p->batch, &lo, &hi);
    struct sekit_dist_progress w;
    int rc = r->n && r->top1 && r->top5
                 ? sekit_pipeline_run_rows(p, lo, hi, count, r,
                                           sekit_dist_progress(&w, d, pr, lo, hi, p->n), e)
                 : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!(rc = sekit_dist_agree(d, rc, e))) {
        sekit_dist_sum_i64(d, r->n, (size_t)r->K);
        sekit_dist_sum_i64(d, r->top1, (size_t)r->K);
        sekit_dist_sum_i64(d, r->top5, (size_t)r->K);
    }
    for (int k = 0; !rc && k < r->K; k++)
        r->images += r->n[k], r->hits1 += r->top1[k], r->hits5 += r->top5[k];
    if (rc) sekit_eval_result_free(r);
    return rc;
}

void sekit_eval_result_free(struct sekit_eval_result *r)
{
    free(r->n), free(r->top1), free(r->top5);
    memset(r, 0, sizeof *r);
}
