/*
 * figures.c -- building the figures of figures.h from block statistics.
 */
#include "figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *own(struct sekit_fig *fig, size_t bytes)
{
    void **n = realloc(fig->owned, sizeof *n * (size_t)(fig->nowned + 1));
    if (!n) return NULL;
    fig->owned = n;
    void *p = calloc(1, bytes ? bytes : 1);
    if (p) fig->owned[fig->nowned++] = p;
    return p;
}

void sekit_fig_free(struct sekit_fig *fig)
{
    for (int i = 0; i < fig->nowned; i++)
        free(fig->owned[i]);
    free(fig->owned);
    memset(fig, 0, sizeof *fig);
}

int sekit_fig_default_blocks(const struct sekit_block_stats *st, int nblocks, int *idx)
{
    int n = 0, last_stage = st[nblocks - 1].stage;
    for (int b = 0; b < nblocks; b++) {
        int last_of_stage = b + 1 == nblocks || st[b + 1].stage != st[b].stage;
        if (last_of_stage || st[b].stage == last_stage) idx[n++] = b;
    }
    return n;
}

int sekit_fig_channels(int C, int *idx)
{
    int n = C < SEKIT_FIG_MAX_CHANNELS ? C : SEKIT_FIG_MAX_CHANNELS;
    for (int i = 0; i < n; i++)
        idx[i] = n == 1 ? 0 : (int)floor((double)i * (C - 1) / (n - 1) + 0.5);
    return n;
}

static int oom(struct sekit_fig *fig, struct sekit_err *e)
{
    sekit_fig_free(fig);
    return sekit_errf(e, SEKIT_ENOMEM, "out of memory for a figure");
}

/* Fills x[] with the sampled channel indices and returns their count. */
static double *channel_axis(struct sekit_fig *fig, int C, int *idx, int *n)
{
    *n = sekit_fig_channels(C, idx);
    double *x = own(fig, sizeof(double) * (size_t)*n);
    for (int i = 0; x && i < *n; i++)
        x[i] = idx[i];
    return x;
}

int sekit_fig_inter_class(struct sekit_fig *fig, const struct sekit_block_stats *st,
                          const int *blocks, int nb, const int *rows, int nrows,
                          char *const *class_names, const float *const *all, const char *what,
                          struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    if (nrows < 2)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: an inter-class figure needs at least two classes (it has %d)", what,
                          nrows);
    struct sekit_panel *panels = own(fig, sizeof *panels * (size_t)nb);
    if (!panels) return oom(fig, e);
    int sampled_all = 1, maxn = 0;
    for (int p = 0; p < nb; p++) {
        const struct sekit_block_stats *s = &st[blocks[p]];
        int idx[SEKIT_FIG_MAX_CHANNELS], n;
        double *x = channel_axis(fig, s->channels, idx, &n);
        struct sekit_series *se = own(fig, sizeof *se * (size_t)(nrows + 1));
        if (!x || !se) return oom(fig, e);
        sampled_all &= n == s->channels;
        if (n > maxn) maxn = n;
        for (int r = 0; r < nrows; r++) {
            double *y = own(fig, sizeof(double) * (size_t)n);
            if (!y) return oom(fig, e);
            for (int i = 0; i < n; i++)
                y[i] = s->mean[(size_t)rows[r] * s->channels + idx[i]];
            se[r] = (struct sekit_series){
                class_names[s->classes[rows[r]]], n, x, y, NULL, NULL, r, 0, 0};
        }
        double *ya = own(fig, sizeof(double) * (size_t)n);
        if (!ya) return oom(fig, e);
        const float *src = all && all[p] ? all[p] : s->all_mean;
        for (int i = 0; i < n; i++)
            ya[i] = src[idx[i]];
        se[nrows] = (struct sekit_series){"all", n, x, ya, NULL, NULL, -1, 1, 0};
        panels[p] = (struct sekit_panel){
            s->name, "channel index", "mean excitation", 0, 1, nrows + 1, se, NULL};
    }
    snprintf(fig->title, sizeof fig->title, "Excitation by class (inter-class, cf. paper Fig. 6)");
    snprintf(fig->note, sizeof fig->note,
             sampled_all ? "%s\nevery channel shown; 'all' = mean over all classes"
                         : "%s\nup to %d channels at evenly spaced indices, the same for every "
                           "class; 'all' = mean over all classes",
             what, maxn);
    fig->f = (struct sekit_figure){fig->title, fig->note, nb, nb == 4 ? 2 : 3, panels, 0};
    return SEKIT_OK;
}

int sekit_fig_intra_class(struct sekit_fig *fig, const struct sekit_block_stats *st,
                          const int *blocks, int nb, const int *rows, int nrows,
                          char *const *class_names, const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    if (nrows < 1)
        return sekit_errf(e, SEKIT_EINVAL, "%s: an intra-class figure needs a class", what);
    struct sekit_panel *panels = own(fig, sizeof *panels * (size_t)nb);
    if (!panels) return oom(fig, e);
    int maxn = 0;
    for (int p = 0; p < nb; p++) {
        const struct sekit_block_stats *s = &st[blocks[p]];
        int idx[SEKIT_FIG_MAX_CHANNELS], n;
        double *x = channel_axis(fig, s->channels, idx, &n);
        struct sekit_series *se = own(fig, sizeof *se * (size_t)nrows);
        if (!x || !se) return oom(fig, e);
        if (n > maxn) maxn = n;
        for (int r = 0; r < nrows; r++) {
            double *y = own(fig, sizeof(double) * (size_t)n),
                   *lo = own(fig, sizeof(double) * (size_t)n),
                   *hi = own(fig, sizeof(double) * (size_t)n);
            if (!y || !lo || !hi) return oom(fig, e);
            for (int i = 0; i < n; i++) {
                size_t at = (size_t)rows[r] * s->channels + idx[i];
                y[i] = s->mean[at];
                lo[i] = s->mean[at] - s->std[at];
                hi[i] = s->mean[at] + s->std[at];
            }
            char *label = own(fig, 96);
            if (!label) return oom(fig, e);
            snprintf(label, 96, "%s (mean \xc2\xb1 std)", class_names[s->classes[rows[r]]]);
            se[r] = (struct sekit_series){label, n, x, y, lo, hi, r == 0 ? 0 : 5, 0, 0};
        }
        panels[p] =
            (struct sekit_panel){s->name, "channel index", "excitation", 0, 1, nrows, se, NULL};
    }
    snprintf(fig->title, sizeof fig->title,
             "Excitation within a class (intra-class, cf. paper Fig. 7)");
    snprintf(fig->note, sizeof fig->note,
             "%s\nband: one standard deviation over the class's images; up to %d channels at "
             "evenly spaced indices",
             what, maxn);
    fig->f = (struct sekit_figure){fig->title, fig->note, nb, nb == 4 ? 2 : 3, panels, 0};
    return SEKIT_OK;
}

int sekit_fig_depth(struct sekit_fig *fig, const struct sekit_block_stats *st, int nblocks,
                    const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    struct sekit_panel *panels = own(fig, sizeof *panels * 2);
    struct sekit_series *se = own(fig, sizeof *se * 3);
    double *x = own(fig, sizeof(double) * (size_t)nblocks),
           *spec = own(fig, sizeof(double) * (size_t)nblocks),
           *hi = own(fig, sizeof(double) * (size_t)nblocks),
           *lo = own(fig, sizeof(double) * (size_t)nblocks);
    const char **names = own(fig, sizeof(char *) * (size_t)nblocks);
    if (!panels || !se || !x || !spec || !hi || !lo || !names) return oom(fig, e);
    for (int b = 0; b < nblocks; b++) {
        x[b] = b;
        spec[b] = st[b].specificity;
        hi[b] = 100 * st[b].sat_high;
        lo[b] = 100 * st[b].sat_low;
        names[b] = st[b].name;
    }
    se[0] = (struct sekit_series){"class specificity (between-class / total variance)",
                                  nblocks,
                                  x,
                                  spec,
                                  NULL,
                                  NULL,
                                  0,
                                  0,
                                  1};
    se[1] = (struct sekit_series){"gates > 0.99 (%)", nblocks, x, hi, NULL, NULL, 1, 0, 1};
    se[2] = (struct sekit_series){"gates < 0.01 (%)", nblocks, x, lo, NULL, NULL, 2, 1, 1};
    panels[0] = (struct sekit_panel){
        "class specificity", "SE block", "eta squared", 0, 0, 1, se, (const char *const *)names};
    panels[1] = (struct sekit_panel){"saturation",
                                     "SE block",
                                     "share of gates (%)",
                                     0,
                                     0,
                                     2,
                                     se + 1,
                                     (const char *const *)names};
    snprintf(fig->title, sizeof fig->title, "Class specificity and saturation with depth");
    snprintf(fig->note, sizeof fig->note, "%s\nblocks in network order", what);
    /* the legend lists the first panel's series only: give it all three */
    struct sekit_series *all3 = own(fig, sizeof *all3 * 3);
    if (!all3) return oom(fig, e);
    memcpy(all3, se, sizeof *all3 * 3);
    all3[1].n = all3[2].n = 0; /* legend entries only; drawn in the second panel */
    panels[0].series = all3;
    panels[0].nseries = 3;
    fig->f = (struct sekit_figure){fig->title, fig->note, 2, 2, panels, 0};
    return SEKIT_OK;
}

int sekit_fig_ablation_ci(struct sekit_fig *fig, char *const *names, const double *delta,
                          const double *lo, const double *hi, int n, const char *what,
                          struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    if (n < 1) return sekit_errf(e, SEKIT_EINVAL, "%s: no ablation variants to draw", what);
    struct sekit_panel *panel = own(fig, sizeof *panel);
    struct sekit_series *se = own(fig, sizeof *se);
    double *y = own(fig, sizeof(double) * (size_t)n), *l = NULL, *h = NULL;
    if (lo && hi &&
        (!(l = own(fig, sizeof(double) * (size_t)n)) ||
         !(h = own(fig, sizeof(double) * (size_t)n))))
        return oom(fig, e);
    if (!panel || !se || !y) return oom(fig, e);
    memcpy(y, delta, sizeof(double) * (size_t)n);
    if (l) memcpy(l, lo, sizeof(double) * (size_t)n), memcpy(h, hi, sizeof(double) * (size_t)n);
    *se = (struct sekit_series){"change in top-1", n, NULL, y, l, h, 0, 0, 0};
    *panel = (struct sekit_panel){"SE blocks removed at inference",
                                  "change in top-1 accuracy "
                                  "(points)",
                                  NULL,
                                  0,
                                  0,
                                  1,
                                  se,
                                  (const char *const *)names};
    snprintf(fig->title, sizeof fig->title, "Block ablation");
    snprintf(fig->note, sizeof fig->note, "%s%s", what,
             l ? "\nwhiskers: paired 95% bootstrap interval over the images" : "");
    fig->f = (struct sekit_figure){fig->title, fig->note, 1, 1, panel, 1};
    return SEKIT_OK;
}
