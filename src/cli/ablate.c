/* ablate.c -- `sekit ablate`: accuracy with SE blocks removed or frozen, all variants in one pass.
 */
#include "../../analysis/ablation.h"
#include "../../analysis/analysis.h"
#include "../../plots/figures.h"
#include "figure_io.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit ablate --out PREFIX [--variants LIST] [--drop SE_a_b,...]... [--mode M]\n"
    "                    [--means RUN.h5] [OPTIONS]\n"
    "\n"
    "Evaluates the network with SE blocks ablated at inference time: mode remove sets their gate\n"
    "to 1, mode mean to the block's mean excitation over the evaluated images (class-agnostic).\n"
    "For every variant: top-1 and top-5 overall and per class, the change against the full\n"
    "model, SE parameters removed and their share of all parameters, SE FLOPs removed. All\n"
    "variants run in one pass over the data: each batch goes through the full model once, every\n"
    "variant restarts from the input of the first block it changes, and variants that treat the\n"
    "following blocks alike run those blocks once between them.\n"
    "Writes PREFIX.csv, PREFIX.md, PREFIX.h5 and the chart PREFIX.png.\n"
    "\n"
    "  --out PREFIX        output prefix (required)\n"
    "  --variants LIST     presets: single, stage, last-stage, cumulative, all\n"
    "                      (default: all of them; 'none' with --drop for custom sets only)\n"
    "  --drop LIST         one more variant: these blocks (repeatable)\n"
    "  --mode M            remove (default), mean or both\n"
    "  --means RUN.h5      mean mode: take each block's mean from this recording (all its\n"
    "                      images) instead of a first pass over the evaluated images\n"
    "  --quiet             no progress bar\n"
    "%s";

struct ctx {
    struct sekit_variant *v;
    int nv;
    int *firsts, nfirst; /* distinct first blocks of the variants */
    float **cap;         /* capture buffer per first block */
    float **means;       /* per SE block: mean gate [C] (mean mode) */
    double **sums;       /* first pass: gate sums */
    int64_t summed;
    float *lg;
    float **leg; /* per block j >= 1: its input under the variants' shared state so far */
    int **part;  /* per block: scratch for splitting a set of variants */
};

static int first_pass(struct pipeline *p, int64_t first, int nb, void *vc, struct sekit_err *e)
{
    (void)first, (void)e;
    struct ctx *c = vc;
    for (int i = 0; i < sekit_model_se_count(p->m); i++) {
        int C = sekit_model_se_info(p->m, i)->channels;
        const float *g = sekit_model_gate(p->m, i);
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < C; k++)
                c->sums[i][k] += g[(size_t)b * C + k];
    }
    c->summed += nb;
    return SEKIT_OK;
}

static int drops(const struct sekit_variant *v, int j)
{
    for (int k = 0; k < v->nblocks; k++)
        if (v->blocks[k] == j) return 1;
    return 0;
}

static void set_block(struct sekit_model *m, const struct ctx *c, const struct sekit_variant *v,
                      int j)
{
    sekit_model_se_set(m, j, v->mode == SEKIT_ABLATE_MEAN ? SEKIT_SE_FIXED : SEKIT_SE_REMOVED,
                       c->means ? c->means[j] : NULL);
}

/*
 * The variants set[0..n) agree on every SE block before j (all of one mode), and act holds
 * block j's input under that shared state. They are split by what they do to block j; each part
 * runs block j once and goes on together, so variants share their passes up to the first block
 * where they differ, not only up to the first block they change. A part of one variant runs
 * to the logits in one go.
 */
static void descend(struct pipeline *p, struct ctx *c, const int *set, int n, int j,
                    const float *act, int nb)
{
    struct sekit_model *m = p->m;
    const int nse = sekit_model_se_count(m), K = sekit_model_arch(m)->num_classes;
    int *part = c->part[j];
    for (int dropped = 1; dropped >= 0; dropped--) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (drops(&c->v[set[i]], j) == dropped) part[k++] = set[i];
        if (!k) continue;
        if (dropped) set_block(m, c, &c->v[part[0]], j);
        if (k == 1 || j == nse - 1) {
            for (int i = 0; i < k; i++) {
                const struct sekit_variant *v = &c->v[part[i]];
                for (int b = 0; b < v->nblocks; b++)
                    if (v->blocks[b] > j) set_block(m, c, v, v->blocks[b]);
                sekit_model_forward_from(m, j, act, nb, c->lg);
                for (int b = 0; b < v->nblocks; b++)
                    if (v->blocks[b] > j)
                        sekit_model_se_set(m, v->blocks[b], SEKIT_SE_NORMAL, NULL);
                sekit_ablation_tally(&c->v[part[i]], c->lg, p->labels, nb, K);
            }
        } else {
            /* deeper splits write only part[] of deeper blocks, so this part stays intact */
            sekit_model_forward_range(m, j, j + 1, act, nb, c->leg[j + 1]);
            descend(p, c, part, k, j + 1, c->leg[j + 1], nb);
        }
        sekit_model_se_set(m, j, SEKIT_SE_NORMAL, NULL);
    }
}

static int variants_pass(struct pipeline *p, int64_t first, int nb, void *vc, struct sekit_err *e)
{
    (void)first, (void)e;
    struct ctx *c = vc;
    const int K = sekit_model_arch(p->m)->num_classes;
    sekit_ablation_tally(&c->v[0], p->logits, p->labels, nb, K);
    /* from each captured first block, per mode */
    int *set = c->part[0] + c->nv;
    for (int f = 0; f < c->nfirst; f++)
        for (int mode = 0; mode < 2; mode++) {
            int n = 0;
            for (int i = 1; i < c->nv; i++)
                if (c->v[i].blocks[0] == c->firsts[f] && (int)c->v[i].mode == mode) set[n++] = i;
            if (n) descend(p, c, set, n, c->firsts[f], c->cap[f], nb);
        }
    return SEKIT_OK;
}

static int means_from_recording(struct ctx *c, const struct sekit_model *m, const char *path,
                                struct sekit_err *e)
{
    struct sekit_recording *r;
    int rc = sekit_recording_open(&r, path, e);
    if (rc) return rc;
    for (int i = 0; i < sekit_model_se_count(m) && !rc; i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        int b = sekit_recording_find(r, s->name);
        if (b < 0 || r->blocks[b].channels != s->channels) {
            rc = sekit_errf(e, SEKIT_EINVAL, "%s: no recorded %s with %d channels for --means",
                            path, s->name, s->channels);
            break;
        }
        float *g = malloc(sizeof(float) * (size_t)r->n * s->channels);
        if (!g) {
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            break;
        }
        if (!(rc = sekit_recording_read(r, "excitation", b, g, e)))
            for (int k = 0; k < s->channels; k++) {
                double a = 0;
                for (int64_t j = 0; j < r->n; j++)
                    a += g[j * s->channels + k];
                c->means[i][k] = (float)(a / (double)r->n);
            }
        free(g);
    }
    sekit_recording_close(r);
    return rc;
}

int cmd_ablate(int argc, char **argv)
{
    struct pipeline_opts o;
    pipeline_defaults(&o);
    const char *out = NULL, *presets = "single,stage,last-stage,cumulative,all", *mode = "remove",
               *means_path = NULL;
    const char **drops = calloc((size_t)argc + 1, sizeof *drops);
    int ndrops = 0;
    if (!drops) return CLI_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], **dst = NULL;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            printf(help, pipeline_help);
            free(drops);
            return CLI_OK;
        }
        if (strcmp(f, "--out") == 0)
            dst = &out;
        else if (strcmp(f, "--variants") == 0)
            dst = &presets;
        else if (strcmp(f, "--mode") == 0)
            dst = &mode;
        else if (strcmp(f, "--means") == 0)
            dst = &means_path;
        else if (strcmp(f, "--drop") == 0)
            dst = &drops[ndrops++];
        if (dst) {
            if (!(*dst = cli_value("ablate", argc, argv, &i))) {
                free(drops);
                return CLI_USAGE;
            }
            continue;
        }
        int r = pipeline_flag(&o, "ablate", argc, argv, &i);
        if (r <= 0) {
            free(drops);
            return r < 0 ? CLI_USAGE : cli_usage_error("ablate", "unknown argument '%s'", f);
        }
    }
    int modes = strcmp(mode, "remove") == 0 ? 1
                : strcmp(mode, "mean") == 0 ? 2
                : strcmp(mode, "both") == 0 ? 3
                                            : 0;
    if (!out || !modes) {
        free(drops);
        return cli_usage_error("ablate", !out ? "--out PREFIX is required"
                                              : "--mode is remove, mean or both");
    }
    if (strcmp(presets, "none") == 0) presets = NULL;
    struct sekit_err e = {0};
    int rc = ablate_run(&o, out, presets, drops, ndrops, modes, means_path, &e);
    free(drops);
    return rc ? cli_fail(&e) : CLI_OK;
}

int ablate_run(const struct pipeline_opts *o, const char *out, const char *presets,
               const char *const *drops, int ndrops, int modes, const char *means_path,
               struct sekit_err *e)
{
    struct pipeline p;
    int rc = pipeline_open(&p, o, e);
    if (rc) return rc;
    const int nse = sekit_model_se_count(p.m), K = sekit_model_arch(p.m)->num_classes;
    struct ctx c = {0};
    rc = sekit_ablation_variants(p.m, presets, drops, ndrops, modes, &c.v, &c.nv, e);
    c.firsts = calloc((size_t)nse, sizeof(int));
    c.cap = calloc((size_t)nse, sizeof(float *));
    c.lg = malloc(sizeof(float) * (size_t)p.batch * K);
    c.leg = calloc((size_t)nse, sizeof(float *));
    c.part = calloc((size_t)nse, sizeof(int *));
    if (!rc && (!c.firsts || !c.cap || !c.lg || !c.leg || !c.part))
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int j = 0; !rc && j < nse; j++) {
        /* part[j]: a split at block j (nv); part[0] also holds the root set (nv) */
        c.part[j] = malloc(sizeof(int) * 2 * (size_t)c.nv);
        if (j > 0)
            c.leg[j] =
                malloc(sizeof(float) * (size_t)p.batch * sekit_model_block_input_size(p.m, j));
        if (!c.part[j] || (j > 0 && !c.leg[j]))
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for activations");
    }
    for (int i = 1; !rc && i < c.nv; i++) {
        int b = c.v[i].blocks[0], seen = 0;
        for (int f = 0; f < c.nfirst; f++)
            seen |= c.firsts[f] == b;
        if (seen) continue;
        c.firsts[c.nfirst] = b;
        c.cap[c.nfirst] =
            malloc(sizeof(float) * (size_t)p.batch * sekit_model_block_input_size(p.m, b));
        if (!c.cap[c.nfirst])
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory for activations");
        else
            sekit_model_capture(p.m, b, c.cap[c.nfirst]);
        c.nfirst++;
    }
    if (!rc && (modes & 2)) {
        c.means = calloc((size_t)nse, sizeof(float *));
        c.sums = calloc((size_t)nse, sizeof(double *));
        for (int i = 0; c.means && c.sums && i < nse; i++) {
            c.means[i] = calloc((size_t)sekit_model_se_info(p.m, i)->channels, sizeof(float));
            c.sums[i] = calloc((size_t)sekit_model_se_info(p.m, i)->channels, sizeof(double));
            if (!c.means[i] || !c.sums[i]) rc = SEKIT_ENOMEM;
        }
        if (rc || !c.means || !c.sums)
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        else if (means_path)
            rc = means_from_recording(&c, p.m, means_path, e);
        else if (!(rc = pipeline_run(&p, 0, first_pass, &c, o->quiet, e)))
            for (int i = 0; i < nse; i++)
                for (int k = 0; k < sekit_model_se_info(p.m, i)->channels; k++)
                    c.means[i][k] = (float)(c.sums[i][k] / (double)c.summed);
    }
    if (!rc) rc = pipeline_run(&p, 0, variants_pass, &c, o->quiet, e);
    if (!rc) {
        char what[512];
        snprintf(what, sizeof what, "%s on %s (%s), %lld images", o->model, o->data,
                 sekit_ds_split(p.ds), (long long)p.n);
        rc = sekit_ablation_write(out, c.v, c.nv, p.m, pipeline_class_names(&p), p.classes,
                                  p.nclasses, what, e);
    }
    if (!rc) {
        char h5[4096], png[4096];
        snprintf(h5, sizeof h5, "%s.h5", out);
        snprintf(png, sizeof png, "%s.png", out);
        struct figure_request q = {.input = h5, .figure = "ablation", .out = png};
        rc = figure_make(&q, e);
        if (!rc && !o->quiet)
            fprintf(stderr, "sekit ablate: %d variants -> %s.{csv,md,h5,png}\n", c.nv, out);
    }
    for (int f = 0; f < c.nfirst; f++)
        free(c.cap[f]);
    for (int i = 0; i < nse; i++) {
        if (c.means) free(c.means[i]);
        if (c.sums) free(c.sums[i]);
        if (c.leg) free(c.leg[i]);
        if (c.part) free(c.part[i]);
    }
    free(c.leg), free(c.part);
    free(c.means), free(c.sums), free(c.cap), free(c.firsts), free(c.lg);
    sekit_ablation_free(c.v, c.nv);
    pipeline_close(&p);
    return rc;
}
