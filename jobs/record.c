/* record.c -- every selected image's SE vectors into a recording. See jobs.h. */
#include "../src/record.h"
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int append(struct sekit_pipeline *p, int64_t first, int nb, void *ctx, struct sekit_err *e)
{
    return sekit_rec_append(ctx, p->m, first, nb, p->labels, p->preds, p->logits, e);
}

/* Every SE block of m, by index, in a comma list of names (or "all"); unknown names are refused
 * with the valid ones listed. */
static int select_blocks(const struct sekit_model *m, const char *spec,
                         struct sekit_rec_block **out, int *n, struct sekit_err *e)
{
    const int total = sekit_model_se_count(m);
    struct sekit_rec_block *b = calloc((size_t)total, sizeof *b);
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
            struct sekit_rec_block *r = &b[cnt++];
            snprintf(r->name, sizeof r->name, "%s", s->name);
            snprintf(r->module, sizeof r->module, "%s", s->module);
            r->stage = s->stage;
            r->block = s->block;
            r->channels = s->channels;
            r->reduced = s->reduced;
            r->model_index = i;
        }
    }
    free(copy);
    *out = b;
    *n = cnt;
    return SEKIT_OK;
}

int sekit_job_record(struct sekit_pipeline *p, struct sekit_record_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e)
{
    int rc = sekit_check_output(j->out, e);
    if (rc) return rc;
    struct sekit_rec_block *rb = NULL;
    const char **paths = NULL;
    struct sekit_rec *rec = NULL;
    char sha[65], arch[512];
    if ((rc = select_blocks(p->m, j->blocks, &rb, &j->nblocks, e))) return rc;
    if ((rc = sekit_sha256_file(p->model_path, sha, e))) goto out;
    sekit_arch_summary(sekit_model_arch(p->m), arch, sizeof arch);
    const char **names = (const char **)sekit_pipeline_class_names(p);
    if (sekit_ds_item_path(p->ds, 0)) {
        paths = malloc(sizeof *paths * (size_t)(p->n + 1));
        for (int64_t i = 0; paths && i < p->n; i++)
            paths[i] = sekit_ds_item_path(p->ds, p->idx[i]);
    }
    if (!names || (sekit_ds_item_path(p->ds, 0) && !paths)) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    const struct sekit_rec_spec spec = {
        .out_path = j->out,
        .model_path = p->model_path,
        .model_sha256 = sha,
        .architecture = arch,
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
        .paths = paths,
        .nblocks = j->nblocks,
        .blocks = rb,
        .squeeze = j->squeeze,
        .batch = p->batch,
    };
    int64_t done = 0;
    if ((rc = sekit_rec_open(&rec, &spec, j->resume, j->force, &done, e))) goto out;
    if (done > 0 && done < p->n && pr && pr->note) {
        char msg[128];
        snprintf(msg, sizeof msg, "resuming at image %lld of %lld", (long long)done,
                 (long long)p->n);
        pr->note(msg, pr->ctx);
    }
    if (!(rc = sekit_pipeline_run(p, done, append, rec, pr, e))) rc = sekit_rec_finish(rec, e);
out:
    sekit_rec_close(rec);
    free(rb);
    free(paths);
    return rc;
}
