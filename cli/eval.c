/* eval.c -- `sekit eval`: top-1 and top-5 accuracy, overall and per class. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double pct(int64_t hit, int64_t n)
{
    return n ? 100.0 * (double)hit / (double)n : 0;
}

/* A percentage for --json: rounded to 4 decimals and printed with 15 significant digits, so that
 * it reads as the decimal it is (94.2, not 94.200000000000003, which is what the 17 digits of an
 * exact round trip show of the same double). */
static double pct_json(int64_t hit, int64_t n)
{
    return round(pct(hit, n) * 1e4) / 1e4;
}

static void print_json(const struct sekit_pipeline *p, const struct sekit_eval_result *r)
{
    json_t *root = json_object(), *per = json_array();
    json_object_set_new(root, "model", json_string(p->model_path));
    json_object_set_new(root, "data", json_string(p->data_path));
    json_object_set_new(root, "split", json_string(sekit_ds_split(p->ds)));
    json_object_set_new(root, "preprocessing", json_string(p->pre.desc));
    json_object_set_new(root, "preprocessing_sources", json_string(p->pre.sources));
    json_object_set_new(root, "images", json_integer(r->images));
    json_object_set_new(root, "top1", json_real(pct_json(r->hits1, r->images)));
    json_object_set_new(root, "top5", json_real(pct_json(r->hits5, r->images)));
    json_object_set_new(root, "topk", json_integer(r->topk));
    for (int j = 0; j < p->nclasses; j++) {
        const int k = p->classes[j];
        json_t *row =
            json_pack("{s:s, s:i, s:I, s:f, s:f}", "class", sekit_ds_class_name(p->ds, k), "index",
                      k, "images", (json_int_t)r->n[k], "top1", pct_json(r->top1[k], r->n[k]),
                      "top5", pct_json(r->top5[k], r->n[k]));
        const char *syn = sekit_ds_class_synset(p->ds, k);
        if (row && syn) json_object_set_new(row, "synset", json_string(syn));
        json_array_append_new(per, row);
    }
    json_object_set_new(root, "per_class", per);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    puts(s ? s : "{}");
    free(s);
    json_decref(root);
}

static void print_text(const struct sekit_pipeline *p, const struct sekit_eval_result *r)
{
    printf("model          %s\ndata           %s (%s, split %s), %lld images\n"
           "preprocessing  %s\n               (%s)\n",
           p->model_path, p->data_path, sekit_ds_format_name(p->ds), sekit_ds_split(p->ds),
           (long long)r->images, p->pre.desc, p->pre.sources);
    printf("top-1          %.2f%%\ntop-%d          %.2f%%\n\n", pct(r->hits1, r->images), r->topk,
           pct(r->hits5, r->images));
    printf("%-20s %7s %8s %8s\n", "class", "images", "top-1", r->topk == 5 ? "top-5" : "top-k");
    for (int j = 0; j < p->nclasses; j++) {
        const int k = p->classes[j];
        printf("%-20s %7lld %7.2f%% %7.2f%%\n", sekit_ds_class_name(p->ds, k), (long long)r->n[k],
               pct(r->top1[k], r->n[k]), pct(r->top5[k], r->n[k]));
    }
}

static const struct cli_cmd cmd = {
    "eval",
    "eval [OPTIONS]",
    "Runs the selected images through the model and reports top-1 and top-5 accuracy "
    "overall\nand per class (top-k counts an image when its label is among the k largest "
    "logits).\n",
    NULL,
    0,
    {NULL},
    "# the bundled model on the Fashion-MNIST test split\n"
    "sekit eval\n"
    "# two classes, 100 images of each, as JSON\n"
    "sekit eval --classes Trouser,Bag --per-class 100 --json\n"};

int cmd_eval(int argc, char **argv)
{
    struct cli_pipeline cp;
    cli_pipeline_init(&cp, 1);
    int json = 0;
    const char *pos;
    const struct opt own[] = {
        OPT_F("--json", &json,
              "print one JSON object instead of the table (percentages rounded\nto 4 decimals)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, cp.tab, argc, argv, &pos);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    struct cli_progress bar;
    const struct sekit_progress *pr = cli_progress(&bar, "eval", cp.quiet);
    struct sekit_pipeline p;
    if ((rc = cli_pipeline_open(&cp, "eval", &p, pr))) return rc;
    struct sekit_eval_result r;
    struct sekit_err e = {0};
    if (sekit_job_eval(&p, &r, pr, &e)) {
        sekit_pipeline_close(&p);
        return cli_fail("eval", &e);
    }
    (json ? print_json : print_text)(&p, &r);
    sekit_eval_result_free(&r);
    sekit_pipeline_close(&p);
    return CLI_OK;
}
