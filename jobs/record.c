/* record.c -- every selected image's SE vectors into a recording, in a pass of its own or in
 * another job's pass. See jobs.h. */
#include "../recording/record.h"
#include "../dist/dist.h"
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The writer and what its spec borrows, which must live as long as the writer. */
struct sekit_job_writer {
    struct sekit_writer *rec;
    struct sekit_writer_spec spec;
    struct sekit_writer_block *blocks;
    const char **paths;
    int64_t *bounds; /* [ranks + 1]: the rows of each rank */
    char sha[65], arch[512];
};

/* Every SE block of m, by index, in a comma list of names (or "all"); unknown names are refused
 * with the valid ones listed. */
static int select_blocks(const struct sekit_model *m, const char *spec,
                         struct sekit_writer_block **out, int *n, struct sekit_err *e)
{
    const int total = sekit_model_se_count(m);
    struct sekit_writer_block *b = calloc((size_t)total, sizeof *b);
    char *copy = strdup(spec ? spec : "all"), *save = NULL;
    if (!b || !copy) {
        free(b), free(copy);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    int cnt = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int lo = 0, hi = total - 1;
        if (strcmp(tok, "all") != 0) {
            lo = hi = sekit_model_se_find(m, tok);
            if (lo < 0) {
                char list[2048];
                int rc = sekit_errf(e, SEKIT_EINVAL, "no SE block '%.64s' (blocks: %s)", tok,
                                    sekit_model_se_names(m, list, sizeof list));
                free(copy), free(b);
                return rc;
            }
        }
        for (int i = lo; i <= hi; i++) {
            int dup = 0;
            for (int j = 0; j < cnt; j++)
                dup |= b[j].model_index == i;
            if (dup) continue;
            const struct sekit_se_info *s = sekit_model_se_info(m, i);
            struct sekit_writer_block *r = &b[cnt++];
            snprintf(r->name, sizeof r->name, "%s", s->name);
            snprintf(r->module, sizeof r->module, "%s", s->module);
            r->stage = s->stage;
            r->block = s->block;
            r->channels = s->channels;
            r->reduced = s->reduced;
            snprintf(r->gate, sizeof r->gate, "%s", sekit_act_name(s->gate));
            r->model_index = i;
        }
    }
    free(copy);
    *out = b;
    *n = cnt;
    return SEKIT_OK;
}

void sekit_job_writer_close(struct sekit_job_writer *r)
{
    if (!r) return;
    sekit_writer_close(r->rec);
    free(r->blocks);
    free(r->paths);
    free(r->bounds);
    free(r);
}

int sekit_job_writer_open(struct sekit_job_writer **out, struct sekit_pipeline *p,
                          struct sekit_record_job *j, int64_t *done, struct sekit_err *e)
{
    *out = NULL;
    const struct sekit_dist *d = sekit_dist_world();
    struct sekit_job_writer *r = NULL;
    int rc = sekit_check_output(j->out, e);
    if (!rc && !(r = calloc(1, sizeof *r))) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (rc) goto agree;
    if ((rc = select_blocks(p->m, j->blocks, &r->blocks, &j->nblocks, e))) goto agree;
    if ((rc = sekit_sha256_file(p->model_path, r->sha, e))) goto agree;
    r->bounds = malloc(sizeof *r->bounds * (size_t)(d->size + 1));
    for (int k = 0; r->bounds && k < d->size; k++) {
        const struct sekit_dist dk = {k, d->size};
        sekit_dist_range_batches(&dk, p->n, p->batch, &r->bounds[k], &r->bounds[k + 1]);
    }
    sekit_arch_summary(sekit_model_arch(p->m), r->arch, sizeof r->arch);
    const char **names = (const char **)sekit_pipeline_class_names(p);
    if (sekit_ds_item_path(p->ds, 0)) {
        r->paths = malloc(sizeof *r->paths * (size_t)(p->n + 1));
        for (int64_t i = 0; r->paths && i < p->n; i++)
            r->paths[i] = sekit_ds_item_path(p->ds, p->idx[i]);
    }
    if (!names || !r->bounds || (sekit_ds_item_path(p->ds, 0) && !r->paths)) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto agree;
    }
    r->spec = (struct sekit_writer_spec){
        .out_path = j->out,
        .model_path = p->model_path,
        .model_sha256 = r->sha,
        .architecture = r->arch,
        .dataset = p->data_path,
        .dataset_format = sekit_ds_format_name(p->ds),
        .split = sekit_ds_split(p->ds),
        .preprocessing = p->pre.desc,
        .num_classes = sekit_model_arch(p->m)->num_classes,
        .class_names = names,
        .class_synsets = (const char *const *)sekit_pipeline_class_synsets(p),
        .nsel_classes = p->nclasses,
        .sel_classes = p->classes,
        .per_class = p->per_class,
        .seed = p->seed,
        .n = p->n,
        .sample_index = p->idx,
        .paths = r->paths,
        .nblocks = j->nblocks,
        .blocks = r->blocks,
        .squeeze = j->squeeze,
        .batch = p->batch,
        .rank = d->rank,
        .ranks = d->size,
        .bounds = r->bounds,
    };
agree:
    /* every rank has its writer ready before any touches a file; then rank 0 checks and clears
     * the files the ranks share, and only then do the others open their journals */
    if ((rc = sekit_dist_agree(d, rc, e))) goto fail;
    rc = d->rank == 0 ? sekit_writer_open(&r->rec, &r->spec, j->resume, j->force, done, e)
                      : SEKIT_OK;
    if ((rc = sekit_dist_agree(d, rc, e))) goto fail;
    rc = d->rank != 0 ? sekit_writer_open(&r->rec, &r->spec, j->resume, j->force, done, e)
                      : SEKIT_OK;
    if ((rc = sekit_dist_agree(d, rc, e))) goto fail;
    *out = r;
    return SEKIT_OK;
fail:
    if (r) sekit_writer_abandon(r->rec);
    sekit_job_writer_close(r);
    return rc;
}

int sekit_job_writer_append(struct sekit_job_writer *r, const struct sekit_pipeline *p,
                            int64_t first, int nb, struct sekit_err *e)
{
    return sekit_writer_append(r->rec, p->m, first, nb, p->labels, p->preds, p->logits, e);
}

int sekit_job_writer_finish(struct sekit_job_writer *r, struct sekit_err *e)
{
    const struct sekit_dist *d = sekit_dist_world();
    if (d->size == 1) return sekit_writer_finish(r->rec, e);
    /* every rank's journal on the disk, then rank 0 alone writes the file from all of them */
    int rc = sekit_dist_agree(d, sekit_writer_seal(r->rec, e), e);
    if (rc) return rc;
    return sekit_dist_agree(d, d->rank == 0 ? sekit_writer_finish(r->rec, e) : SEKIT_OK, e);
}

static int append(struct sekit_pipeline *p, int64_t first, int nb, void *ctx, struct sekit_err *e)
{
    return sekit_job_writer_append(ctx, p, first, nb, e);
}

int sekit_job_record(struct sekit_pipeline *p, struct sekit_record_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e)
{
    struct sekit_job_writer *r;
    int64_t done = 0;
    int rc = sekit_job_writer_open(&r, p, j, &done, e);
    if (rc) return rc;
    const struct sekit_dist *d = sekit_dist_world();
    const int64_t lo = r->bounds[d->rank], hi = r->bounds[d->rank + 1];
    struct sekit_dist_progress w;
    pr = sekit_dist_progress(&w, d, pr, lo, hi, p->n);
    int64_t held = done - lo;
    sekit_dist_sum_i64(d, &held, 1);
    if (held > 0 && held < p->n && pr && pr->note) {
        char msg[128];
        if (d->size == 1)
            snprintf(msg, sizeof msg, "resuming at image %lld of %lld", (long long)done,
                     (long long)p->n);
        else
            snprintf(msg, sizeof msg, "resuming: %lld of %lld images are in the ranks' journals",
                     (long long)held, (long long)p->n);
        pr->note(msg, pr->ctx);
    }
    rc = sekit_pipeline_run_rows(p, done, hi, append, r, pr, e);
    rc = sekit_dist_agree(d, rc, e);
    const double t0 = sekit_seconds();
    if (!rc) rc = sekit_job_writer_finish(r, e);
    /* the one part of the job that runs on one node: said, so that its share can be seen */
    if (!rc && d->size > 1 && pr && pr->note) {
        char msg[600];
        snprintf(msg, sizeof msg, "%.400s written from the %d ranks' journals in %.1f s", j->out,
                 d->size, sekit_seconds() - t0);
        pr->note(msg, pr->ctx);
    }
    sekit_job_writer_close(r);
    return rc;
}

int sekit_job_threads(int threads)
{
    const int node = sekit_dist_node_ranks(sekit_dist_world());
    if (threads != 0 || node <= 1) return threads;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > node ? (int)(cores / node) : 1;
}

int sekit_job_open(struct sekit_pipeline *p, const struct sekit_pipeline_opts *o,
                   const char *classes, int64_t per_class, uint64_t seed,
                   const struct sekit_progress *pr, struct sekit_err *e)
{
    const struct sekit_dist *d = sekit_dist_world();
    int rc = sekit_dist_agree(d, sekit_pipeline_open(p, o, e), e);
    if (rc) {
        if (p->m) sekit_pipeline_close(p);
        return rc;
    }
    sekit_job_note_skipped(p, pr);
    if ((rc = sekit_dist_agree(d, sekit_pipeline_select(p, classes, per_class, seed, e), e)))
        sekit_pipeline_close(p);
    return rc;
}

void sekit_job_note_skipped(const struct sekit_pipeline *p, const struct sekit_progress *pr)
{
    const char *first;
    int64_t hidden;
    const int64_t n = sekit_ds_skipped(p->ds, &first, &hidden);
    if (!pr || !pr->note || (n == 0 && hidden == 0)) return;
    char msg[1200];
    int o = 0;
    if (n > 0)
        o = snprintf(msg, sizeof msg, "skipped %lld non-image file%s (%s%s)", (long long)n,
                     n == 1 ? "" : "s", n == 1 ? "" : "first: ", first ? first : "");
    if (hidden > 0 && o >= 0 && (size_t)o < sizeof msg)
        snprintf(msg + o, sizeof msg - (size_t)o, "%sskipped %lld hidden file%s", o ? "; " : "",
                 (long long)hidden, hidden == 1 ? "" : "s");
    pr->note(msg, pr->ctx);
}
