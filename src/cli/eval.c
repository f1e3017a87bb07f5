/* eval.c -- `sekit eval`: top-1 and top-5 accuracy, overall and per class. */
#include "pipeline.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit eval [OPTIONS]\n"
    "\n"
    "Runs the selected images through the model and reports top-1 and top-5 accuracy overall\n"
    "and per class (top-k counts an image when its label is among the k largest logits).\n"
    "\n"
    "options:\n"
    "%s"
    "  --json              print one JSON object instead of the table\n"
    "  --quiet             no progress bar\n";

struct tally {
    int64_t *n, *top1, *top5;
    int topk;
};

static int count(struct pipeline *p, int64_t first, int nb, void *ctx, struct sekit_err *e)
{
    (void)first, (void)e;
    struct tally *t = ctx;
    const int K = sekit_model_arch(p->m)->num_classes;
    for (int b = 0; b < nb; b++) {
        const float *l = p->logits + (size_t)b * K;
        int y = p->labels[b], above = 0;
        for (int k = 0; k < K; k++)
            above += l[k] > l[y];
        t->n[y]++;
        t->top1[y] += above == 0;
        t->top5[y] += above < t->topk;
    }
    return SEKIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    struct pipeline_opts o;
    pipeline_defaults(&o);
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(help, pipeline_help);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        int r = pipeline_flag(&o, "eval", argc, argv, &i);
        if (r < 0) return CLI_USAGE;
        if (r == 0) return cli_usage_error("eval", "unknown argument '%s'", argv[i]);
    }
    struct pipeline p;
    struct sekit_err e = {0};
    if (pipeline_open(&p, &o, &e)) return cli_fail(&e);
    const int K = sekit_model_arch(p.m)->num_classes;
    struct tally t = {calloc((size_t)K, 8), calloc((size_t)K, 8), calloc((size_t)K, 8),
                      K < 5 ? K : 5};
    int rc = t.n && t.top1 && t.top5 ? pipeline_run(&p, 0, count, &t, o.quiet, &e)
                                     : sekit_errf(&e, SEKIT_ENOMEM, "out of memory");
    if (rc) {
        free(t.n), free(t.top1), free(t.top5);
        pipeline_close(&p);
        return cli_fail(&e);
    }
    int64_t n = 0, c1 = 0, c5 = 0;
    for (int k = 0; k < K; k++)
        n += t.n[k], c1 += t.top1[k], c5 += t.top5[k];
    if (json) {
        json_t *root = json_object(), *per = json_array();
        json_object_set_new(root, "model", json_string(o.model));
        json_object_set_new(root, "data", json_string(o.data));
        json_object_set_new(root, "split", json_string(sekit_ds_split(p.ds)));
        json_object_set_new(root, "preprocessing", json_string(p.preproc_desc));
        json_object_set_new(root, "images", json_integer(n));
        json_object_set_new(root, "top1", json_real(100.0 * c1 / n));
        json_object_set_new(root, "top5", json_real(100.0 * c5 / n));
        json_object_set_new(root, "topk", json_integer(t.topk));
        for (int j = 0; j < p.nclasses; j++) {
            int k = p.classes[j];
            json_array_append_new(
                per, json_pack("{s:s, s:i, s:I, s:f, s:f}", "class", sekit_ds_class_name(p.ds, k),
                               "index", k, "images", (json_int_t)t.n[k], "top1",
                               100.0 * t.top1[k] / t.n[k], "top5", 100.0 * t.top5[k] / t.n[k]));
        }
        json_object_set_new(root, "per_class", per);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s ? s : "{}");
        free(s);
        json_decref(root);
    } else {
        printf("model          %s\ndata           %s (%s, split %s), %lld images\n"
               "preprocessing  %s\n",
               o.model, o.data, sekit_ds_format_name(p.ds), sekit_ds_split(p.ds), (long long)n,
               p.preproc_desc);
        printf("top-1          %.2f%%\ntop-%d          %.2f%%\n\n", 100.0 * c1 / n, t.topk,
               100.0 * c5 / n);
        printf("%-20s %7s %8s %8s\n", "class", "images", "top-1", t.topk == 5 ? "top-5" : "top-k");
        for (int j = 0; j < p.nclasses; j++) {
            int k = p.classes[j];
            printf("%-20s %7lld %7.2f%% %7.2f%%\n", sekit_ds_class_name(p.ds, k), (long long)t.n[k],
                   100.0 * t.top1[k] / t.n[k], 100.0 * t.top5[k] / t.n[k]);
        }
    }
    free(t.n), free(t.top1), free(t.top5);
    pipeline_close(&p);
    return CLI_OK;
}
