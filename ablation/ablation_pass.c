/* ablation_pass.c -- see ablation_pass.h. */
#include "ablation_pass.h"
#include "../analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sekit_ablation_pass {
    struct sekit_model *m;
    struct sekit_variant *v;
    int nv;
    const float *const *means;
    int *firsts, nfirst; /* distinct first blocks of the variants */
    float **cap;         /* per first block: its captured input */
    float *lg;           /* a variant's logits */
    float **leg;         /* per block j >= 1: its input under the variants' shared state so far */
    int **part;          /* per block: scratch for splitting a set of variants */
};

static int drops(const struct sekit_variant *v, int j)
{
    for (int k = 0; k < v->nblocks; k++)
        if (v->blocks[k] == j) return 1;
    return 0;
}

static void set_block(const struct sekit_ablation_pass *a, const struct sekit_variant *v, int j)
{
    sekit_model_se_set(a->m, j, v->mode == SEKIT_ABLATE_MEAN ? SEKIT_SE_FIXED : SEKIT_SE_REMOVED,
                       a->means ? a->means[j] : NULL);
}

/*
 * The variants set[0..n) agree on every SE block before j (all of one mode), and act holds
 * block j's input under that shared state. They are split by what they do to block j; each part
 * runs block j once and goes on together, so variants share their passes up to the first block
 * where they differ, not only up to the first block they change. A part of one variant runs
 * to the logits in one go.
 */
static void descend(struct sekit_ablation_pass *a, const int *set, int n, int j, const float *act,
                    const int *labels, int nb)
{
    struct sekit_model *m = a->m;
    const int nse = sekit_model_se_count(m), K = sekit_model_arch(m)->num_classes;
    int *part = a->part[j];
    for (int dropped = 1; dropped >= 0; dropped--) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (drops(&a->v[set[i]], j) == dropped) part[k++] = set[i];
        if (!k) continue;
        if (dropped) set_block(a, &a->v[part[0]], j);
        if (k == 1 || j == nse - 1) {
            for (int i = 0; i < k; i++) {
                struct sekit_variant *v = &a->v[part[i]];
                for (int b = 0; b < v->nblocks; b++)
                    if (v->blocks[b] > j) set_block(a, v, v->blocks[b]);
                sekit_model_forward_from(m, j, act, nb, a->lg);
                for (int b = 0; b < v->nblocks; b++)
                    if (v->blocks[b] > j)
                        sekit_model_se_set(m, v->blocks[b], SEKIT_SE_NORMAL, NULL);
                sekit_ablation_tally(v, a->lg, labels, nb, K);
            }
        } else {
            /* deeper splits write only part[] of deeper blocks, so this part stays intact */
            sekit_model_forward_range(m, j, j + 1, act, nb, a->leg[j + 1]);
            descend(a, part, k, j + 1, a->leg[j + 1], labels, nb);
        }
        sekit_model_se_set(m, j, SEKIT_SE_NORMAL, NULL);
    }
}

void sekit_ablation_pass_batch(struct sekit_ablation_pass *a, const float *logits,
                               const int *labels, int nb)
{
    const int K = sekit_model_arch(a->m)->num_classes;
    sekit_ablation_tally(&a->v[0], logits, labels, nb, K);
    /* from each captured first block, per mode */
    int *set = a->part[0] + a->nv;
    for (int f = 0; f < a->nfirst; f++)
        for (int mode = 0; mode < 2; mode++) {
            int n = 0;
            for (int i = 1; i < a->nv; i++)
                if (a->v[i].blocks[0] == a->firsts[f] && (int)a->v[i].mode == mode) set[n++] = i;
            if (n) descend(a, set, n, a->firsts[f], a->cap[f], labels, nb);
        }
}

int sekit_ablation_pass_new(struct sekit_ablation_pass **out, struct sekit_model *m,
                            struct sekit_variant *v, int nv, int batch, const float *const *means,
                            struct sekit_err *e)
{
    const int nse = sekit_model_se_count(m), K = sekit_model_arch(m)->num_classes;
    struct sekit_ablation_pass *a = calloc(1, sizeof *a);
    *out = NULL;
    if (!a) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    a->m = m, a->v = v, a->nv = nv, a->means = means;
    a->firsts = calloc((size_t)nse, sizeof(int));
    a->cap = calloc((size_t)nse, sizeof(float *));
    a->lg = malloc(sizeof(float) * (size_t)batch * K);
    a->leg = calloc((size_t)nse, sizeof(float *));
    a->part = calloc((size_t)nse, sizeof(int *));
    int bad = !a->firsts || !a->cap || !a->lg || !a->leg || !a->part;
    for (int j = 0; !bad && j < nse; j++) {
        /* part[j]: a split at block j (nv); part[0] also holds the root set (nv) */
        a->part[j] = malloc(sizeof(int) * 2 * (size_t)nv);
        if (j > 0)
            a->leg[j] = malloc(sizeof(float) * (size_t)batch * sekit_model_block_input_size(m, j));
        bad = !a->part[j] || (j > 0 && !a->leg[j]);
    }
    for (int i = 1; !bad && i < nv; i++) {
        int b = v[i].blocks[0], seen = 0;
        for (int f = 0; f < a->nfirst; f++)
            seen |= a->firsts[f] == b;
        if (seen) continue;
        a->firsts[a->nfirst] = b;
        a->cap[a->nfirst] =
            malloc(sizeof(float) * (size_t)batch * sekit_model_block_input_size(m, b));
        bad = !a->cap[a->nfirst];
        if (!bad) sekit_model_capture(m, b, a->cap[a->nfirst]);
        a->nfirst++;
    }
    if (bad) {
        sekit_ablation_pass_free(a);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory for the ablation passes' activations");
    }
    *out = a;
    return SEKIT_OK;
}

void sekit_ablation_pass_free(struct sekit_ablation_pass *a)
{
    if (!a) return;
    const int nse = sekit_model_se_count(a->m);
    for (int f = 0; f < a->nfirst; f++) {
        sekit_model_capture(a->m, a->firsts[f], NULL);
        free(a->cap[f]);
    }
    for (int j = 0; j < nse; j++) {
        if (a->leg) free(a->leg[j]);
        if (a->part) free(a->part[j]);
    }
    free(a->leg), free(a->part), free(a->cap), free(a->firsts), free(a->lg);
    free(a);
}

int sekit_gate_means_new(struct sekit_gate_means *g, const struct sekit_model *m,
                         struct sekit_err *e)
{
    memset(g, 0, sizeof *g);
    g->nse = sekit_model_se_count(m);
    g->mean = calloc((size_t)g->nse, sizeof *g->mean);
    g->sum = calloc((size_t)g->nse, sizeof *g->sum);
    g->channels = calloc((size_t)g->nse, sizeof *g->channels);
    int bad = !g->mean || !g->sum || !g->channels;
    for (int i = 0; !bad && i < g->nse; i++) {
        const size_t C = (size_t)(g->channels[i] = sekit_model_se_info(m, i)->channels);
        g->mean[i] = calloc(C, sizeof(float));
        g->sum[i] = calloc(3 * C, sizeof(int64_t));
        bad = !g->mean[i] || !g->sum[i];
    }
    if (bad) {
        sekit_gate_means_free(g);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    return SEKIT_OK;
}

#define UNIT 4503599627370496.0 /* 2^52 */
#define LOW (INT64_C(1) << 32)

/* Adds the gates x[0..n) (n images of C channels) to the sums s (sekit_gate_means.sum[i]). Each
 * image adds at most 2^52 to lo, so lo stays far from overflowing between carries. */
static void add_gates(int64_t *s, int C, const float *x, int64_t n)
{
    int64_t *hi = s, *lo = s + C, *odd = s + 2 * C;
    for (int64_t j = 0; j < n; j++)
        for (int k = 0; k < C; k++) {
            const double v = x[j * C + k];
            if (!(v >= 0 && v <= 1)) {
                odd[k]++;
                continue;
            }
            lo[k] += (int64_t)llrint(v * UNIT);
            hi[k] += lo[k] / LOW;
            lo[k] %= LOW;
        }
}

void sekit_gate_means_add(struct sekit_gate_means *g, const struct sekit_model *m, int nb)
{
    for (int i = 0; i < g->nse; i++)
        add_gates(g->sum[i], g->channels[i], sekit_model_gate(m, i), nb);
    g->count += nb;
}

void sekit_gate_means_finish(struct sekit_gate_means *g)
{
    SEKIT_ASSERT(g->count > 0);
    for (int i = 0; i < g->nse; i++) {
        const int C = g->channels[i];
        int64_t *hi = g->sum[i], *lo = hi + C, *odd = hi + 2 * C;
        for (int k = 0; k < C; k++) {
            /* sums added after summing (the ranks') may hold lo past 2^32: one form for all */
            hi[k] += lo[k] / LOW;
            lo[k] %= LOW;
            g->mean[i][k] = odd[k] ? NAN
                                   : (float)(((double)hi[k] * (double)LOW + (double)lo[k]) / UNIT /
                                             (double)g->count);
        }
    }
}

int sekit_gate_means_from_recording(struct sekit_gate_means *g, const struct sekit_model *m,
                                    const char *path, struct sekit_err *e)
{
    struct sekit_recording *r;
    int rc = sekit_recording_open(&r, path, e);
    if (rc) return rc;
    for (int i = 0; i < g->nse && !rc; i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        const int b = sekit_recording_find(r, s->name);
        if (b < 0 || r->blocks[b].channels != s->channels) {
            rc = sekit_errf(e, SEKIT_EINVAL, "%s: no recorded %s with %d channels for --means",
                            path, s->name, s->channels);
            break;
        }
        float *gates = malloc(sizeof(float) * (size_t)r->n * s->channels);
        if (!gates) {
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            break;
        }
        if (!(rc = sekit_recording_read(r, "excitation", b, gates, e)))
            add_gates(g->sum[i], s->channels, gates, r->n);
        free(gates);
    }
    g->count = r->n;
    if (!rc && r->n > 0) sekit_gate_means_finish(g);
    if (!rc && r->n <= 0) rc = sekit_errf(e, SEKIT_EINVAL, "%s: no image for --means", path);
    sekit_recording_close(r);
    return rc;
}

void sekit_gate_means_free(struct sekit_gate_means *g)
{
    for (int i = 0; i < g->nse; i++) {
        if (g->mean) free(g->mean[i]);
        if (g->sum) free(g->sum[i]);
    }
    free(g->mean), free(g->sum), free(g->channels);
    memset(g, 0, sizeof *g);
}
