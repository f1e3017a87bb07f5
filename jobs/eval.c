/* eval.c -- top-1 and top-5 accuracy of a selection. See jobs.h. */
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
    int rc = r->n && r->top1 && r->top5 ? sekit_pipeline_run(p, 0, count, r, pr, e)
                                        : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
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
