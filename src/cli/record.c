/* record.c -- `sekit record`: stream images through the engine, keep every SE block's gates. */
#include "../record.h"
#include "common_model.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit record --out RUN.h5 [OPTIONS]\n"
    "\n"
    "Records, for every selected image, each SE block's excitation (the sigmoid gate, one value\n"
    "per channel), the label, prediction and logits, into one HDF5 file (docs/record-format.md).\n"
    "While it runs, rows go to RUN.h5.journal; RUN.h5 appears only when complete. A run that is\n"
    "killed can be continued with --resume (same arguments and model).\n"
    "\n"
    "options:\n"
    "  --out FILE          the recording (required)\n"
    "  --blocks LIST       SE blocks to record, by paper name or module prefix (default all)\n"
    "  --squeeze           also record the squeeze vectors (spatial means before the FCs)\n"
    "  --resume            continue an interrupted run of the same arguments\n"
    "  --force             overwrite an existing recording\n"
    "  --quiet             no progress bar\n"
    "%s";

static int append(struct pipeline *p, int64_t first, int nb, void *ctx, struct sekit_err *e)
{
    return sekit_rec_append(ctx, p->m, first, nb, p->labels, p->preds, p->logits, e);
}

static int select_blocks(const struct sekit_model *m, const char *spec,
                         struct sekit_rec_block **out, int *n, struct sekit_err *e)
{
    int total = sekit_model_se_count(m);
    struct sekit_rec_block *b = calloc((size_t)total, sizeof *b);
    if (!b) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    int cnt = 0;
    char *copy = strdup(spec ? spec : "all"), *save = NULL;
    if (!copy) {
        free(b);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int lo = 0, hi = total - 1;
        if (strcmp(tok, "all") != 0) {
            lo = hi = sekit_model_se_find(m, tok);
            if (lo < 0) {
                char list[2048] = "";
                for (int i = 0; i < total && strlen(list) < sizeof list - 40; i++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                             sekit_model_se_info(m, i)->name);
                int rc = sekit_errf(e, SEKIT_EINVAL, "no SE block '%s' (blocks: %s)", tok, list);
                free(copy);
                free(b);
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

int cmd_record(int argc, char **argv)
{
    struct pipeline_opts o;
    pipeline_defaults(&o);
    const char *out = NULL, *blocks = NULL;
    int squeeze = 0, resume = 0, force = 0;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            printf(help, pipeline_help);
            return CLI_OK;
        }
        if (strcmp(f, "--squeeze") == 0)
            squeeze = 1;
        else if (strcmp(f, "--resume") == 0)
            resume = 1;
        else if (strcmp(f, "--force") == 0)
            force = 1;
        else if (strcmp(f, "--out") == 0) {
            if (!(out = cli_value("record", argc, argv, &i))) return CLI_USAGE;
        } else if (strcmp(f, "--blocks") == 0) {
            if (!(blocks = cli_value("record", argc, argv, &i))) return CLI_USAGE;
        } else {
            int r = pipeline_flag(&o, "record", argc, argv, &i);
            if (r < 0) return CLI_USAGE;
            if (r == 0) return cli_usage_error("record", "unknown argument '%s'", f);
        }
    }
    if (!out) return cli_usage_error("record", "--out RUN.h5 is required");
    if (resume && force)
        return cli_usage_error("record", "--resume and --force exclude each other");
    struct sekit_err e = {0};
    return record_run(&o, out, blocks, squeeze, resume, force, &e) ? cli_fail(&e) : CLI_OK;
}

int record_run(const struct pipeline_opts *po, const char *out, const char *blocks, int squeeze,
               int resume, int force, struct sekit_err *e)
{
    const struct pipeline_opts o = *po;
    struct pipeline p;
    int rc = pipeline_open(&p, &o, e);
    if (rc) return rc;
    struct sekit_rec_block *rb = NULL;
    int nrb = 0;
    char sha[65], arch[512];
    const char **names = NULL, **paths = NULL;
    struct sekit_rec *rec = NULL;
    if ((rc = select_blocks(p.m, blocks, &rb, &nrb, e))) goto out;
    if ((rc = sekit_sha256_file(o.model, sha, e))) goto out;
    cli_arch_summary(sekit_model_arch(p.m), arch, sizeof arch);
    const int K = sekit_model_arch(p.m)->num_classes;
    names = (const char **)pipeline_class_names(&p);
    if (!names) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    if (sekit_ds_item_path(p.ds, 0)) {
        paths = malloc(sizeof *paths * (size_t)(p.n + 1));
        for (int64_t i = 0; paths && i < p.n; i++)
            paths[i] = sekit_ds_item_path(p.ds, p.idx[i]);
    }
    struct sekit_rec_spec spec = {
        .out_path = out,
        .model_path = o.model,
        .model_sha256 = sha,
        .architecture = arch,
        .dataset = o.data,
        .dataset_format = sekit_ds_format_name(p.ds),
        .split = sekit_ds_split(p.ds),
        .preprocessing = p.preproc_desc,
        .num_classes = K,
        .class_names = names,
        .nsel_classes = p.nclasses,
        .sel_classes = p.classes,
        .per_class = o.per_class,
        .seed = o.seed,
        .n = p.n,
        .sample_index = p.idx,
        .paths = paths,
        .nblocks = nrb,
        .blocks = rb,
        .squeeze = squeeze,
        .batch = p.batch,
    };
    int64_t done = 0;
    if (!(rc = sekit_rec_open(&rec, &spec, resume, force, &done, e))) {
        if (done > 0 && done < p.n && !o.quiet)
            fprintf(stderr, "sekit record: resuming at image %lld of %lld\n", (long long)done,
                    (long long)p.n);
        if (!(rc = pipeline_run(&p, done, append, rec, o.quiet, e))) rc = sekit_rec_finish(rec, e);
    }
    if (!rc && !o.quiet)
        fprintf(stderr, "sekit record: %lld images, %d SE blocks -> %s\n", (long long)p.n, nrb,
                out);
out:
    sekit_rec_close(rec);
    free(rb);
    free(paths);
    pipeline_close(&p);
    return rc;
}
