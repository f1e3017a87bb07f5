/*
 * figures.c -- building the figures of figures.h from block statistics.
 */
#include "figures.h"

#include "../ablation/ablation.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *own(struct sekit_figure *fig, size_t bytes)
{
    void **n = realloc(fig->owned, sizeof *n * (size_t)(fig->nowned + 1));
    if (!n) return NULL;
    fig->owned = n;
    void *p = calloc(1, bytes ? bytes : 1);
    if (p) fig->owned[fig->nowned++] = p;
    return p;
}

/* A text the figure owns (a title, a note), or NULL when out of memory. */
static const char *own_text(struct sekit_figure *fig, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *own_text(struct sekit_figure *fig, const char *fmt, ...)
{
    char *t = own(fig, SEKIT_FIGURE_TEXT);
    if (!t) return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, SEKIT_FIGURE_TEXT, fmt, ap);
    va_end(ap);
    return t;
}

int sekit_figure_default_blocks(const struct sekit_block_stats *st, int nblocks, int *idx)
{
    int n = 0, last_stage = st[nblocks - 1].stage;
    for (int b = 0; b < nblocks; b++) {
        int last_of_stage = b + 1 == nblocks || st[b + 1].stage != st[b].stage;
        if (last_of_stage || st[b].stage == last_stage) idx[n++] = b;
    }
    return n;
}

int sekit_figure_channels(int C, int *idx)
{
    int n = C < SEKIT_FIGURE_MAX_CHANNELS ? C : SEKIT_FIGURE_MAX_CHANNELS;
    for (int i = 0; i < n; i++)
        idx[i] = n == 1 ? 0 : (int)floor((double)i * (C - 1) / (n - 1) + 0.5);
    return n;
}

void sekit_figure_file_name(const char *path, char *out, size_t n)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') /* "data/fashion/" names "fashion" */
        len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(len - start), path + start);
}

static int oom(struct sekit_figure *fig, struct sekit_err *e)
{
    sekit_figure_free(fig);
    return sekit_errf(e, SEKIT_ENOMEM, "out of memory for a figure");
}

/* The finished figure's layout: npanels panels in columns, as bars or not; fails when a text
 * could not be allocated. */
static int layout(struct sekit_figure *fig, int npanels, int columns,
                  const struct sekit_panel *panels, int bars, struct sekit_err *e)
{
    if (!fig->title || !fig->note) return oom(fig, e);
    fig->npanels = npanels, fig->columns = columns, fig->panels = panels, fig->bars = bars;
    return SEKIT_OK;
}

/* x[] of the channels drawn: the ones asked for, else the evenly sampled ones; their indices in
 * idx (room for the block's width). */
static double *channel_axis(struct sekit_figure *fig, int C, const int *channels, int nch, int *idx,
                            int *n)
{
    if (channels) {
        *n = nch;
        memcpy(idx, channels, sizeof(int) * (size_t)nch);
    } else {
        *n = sekit_figure_channels(C, idx);
    }
    double *x = own(fig, sizeof(double) * (size_t)*n);
    for (int i = 0; x && i < *n; i++)
        x[i] = idx[i];
    return x;
}

/* The palette entry of each drawn row (see figures.h); NULL when more rows than colours. */
static int *class_colors(struct sekit_figure *fig, const int *rows, int nrows)
{
    int *c = own(fig, sizeof(int) * (size_t)nrows), by_row = 1;
    for (int r = 0; c && r < nrows; r++)
        by_row &= rows[r] < SEKIT_PLOT_COLORS;
    for (int r = 0; c && r < nrows; r++)
        c[r] = by_row ? rows[r] : r;
    return c;
}

static int too_many(int nrows, const char *what, const char *fig, struct sekit_err *e)
{
    return sekit_errf(e, SEKIT_EINVAL,
                      "%s: %d classes are too many to tell apart in an %s figure; choose up to %d",
                      what, nrows, fig, SEKIT_PLOT_COLORS);
}

/* The note's line on the channels drawn. */
static void channels_note(char *out, size_t n, const int *channels, int nch, int sampled_all,
                          int maxn)
{
    if (channels)
        snprintf(out, n, "channels %d-%d (%d shown)", channels[0], channels[nch - 1], nch);
    else if (sampled_all)
        snprintf(out, n, "every channel shown");
    else
        snprintf(out, n, "up to %d channels at evenly spaced indices", maxn);
}

int sekit_figure_inter_class(struct sekit_figure *fig, const struct sekit_block_stats *st,
                             const int *blocks, int nb, const int *rows, int nrows,
                             char *const *class_names, const float *const *all, const int *channels,
                             int nch, const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    if (nrows < 2)
        return sekit_errf(e, SEKIT_EINVAL,
                          "%s: an inter-class figure needs at least two classes (it has %d)", what,
                          nrows);
    if (nrows > SEKIT_PLOT_COLORS) return too_many(nrows, what, "inter-class", e);
    struct sekit_panel *panels = own(fig, sizeof *panels * (size_t)nb);
    const int *color = class_colors(fig, rows, nrows);
    if (!panels || !color) return oom(fig, e);
    int sampled_all = 1, maxn = 0;
    for (int p = 0; p < nb; p++) {
        const struct sekit_block_stats *s = &st[blocks[p]];
        int *idx = own(fig, sizeof(int) * (size_t)s->channels), n = 0;
        double *x = idx ? channel_axis(fig, s->channels, channels, nch, idx, &n) : NULL;
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
                class_names[s->classes[rows[r]]], n, x, y, NULL, NULL, color[r], 0, 0, NULL};
        }
        double *ya = own(fig, sizeof(double) * (size_t)n);
        if (!ya) return oom(fig, e);
        const float *src = all && all[p] ? all[p] : s->all_mean;
        for (int i = 0; i < n; i++)
            ya[i] = src[idx[i]];
        se[nrows] = (struct sekit_series){"all", n, x, ya, NULL, NULL, -1, 1, 0, NULL};
        panels[p] = (struct sekit_panel){
            s->name, "channel index", "mean excitation", 0, 1, nrows + 1, se, NULL};
    }
    char ch[96];
    channels_note(ch, sizeof ch, channels, nch, sampled_all, maxn);
    fig->title = own_text(fig, "Excitation by class (inter-class, cf. paper Fig. 6)");
    fig->note = own_text(fig, "%s\n%s%s; 'all' = mean over all classes", what, ch,
                         channels || sampled_all ? "" : ", the same for every class");
    return layout(fig, nb, nb == 4 ? 2 : 3, panels, 0, e);
}

int sekit_figure_intra_class(struct sekit_figure *fig, const struct sekit_block_stats *st,
                             const int *blocks, int nb, const int *rows, int nrows,
                             char *const *class_names, const int *channels, int nch,
                             const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    if (nrows < 1)
        return sekit_errf(e, SEKIT_EINVAL, "%s: an intra-class figure needs a class", what);
    if (nrows > SEKIT_PLOT_COLORS) return too_many(nrows, what, "intra-class", e);
    struct sekit_panel *panels = own(fig, sizeof *panels * (size_t)nb);
    const int *color = class_colors(fig, rows, nrows);
    if (!panels || !color) return oom(fig, e);
    int sampled_all = 1, maxn = 0;
    for (int p = 0; p < nb; p++) {
        const struct sekit_block_stats *s = &st[blocks[p]];
        int *idx = own(fig, sizeof(int) * (size_t)s->channels), n = 0;
        double *x = idx ? channel_axis(fig, s->channels, channels, nch, idx, &n) : NULL;
        struct sekit_series *se = own(fig, sizeof *se * (size_t)nrows);
        if (!x || !se) return oom(fig, e);
        sampled_all &= n == s->channels;
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
            se[r] = (struct sekit_series){label, n, x, y, lo, hi, color[r], 0, 0, NULL};
        }
        panels[p] =
            (struct sekit_panel){s->name, "channel index", "excitation", 0, 1, nrows, se, NULL};
    }
    char ch[96];
    channels_note(ch, sizeof ch, channels, nch, sampled_all, maxn);
    fig->title = own_text(fig, "Excitation within a class (intra-class, cf. paper Fig. 7)");
    fig->note =
        own_text(fig, "%s\nband: one standard deviation over the class's images; %s", what, ch);
    return layout(fig, nb, nb == 4 ? 2 : 3, panels, 0, e);
}

/* The top of an axis from 0 over values up to max, capped at cap (the quantity's own ceiling). */
static double axis_top(double max, double cap)
{
    double top = max * 1.08;
    if (!(top > 0)) top = cap * 0.05; /* all zero: a flat line at the bottom, still an axis */
    return top < cap ? top : cap;
}

void sekit_figure_run_label(const char *path, char *out, size_t n)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    while (slash && slash > dir && slash[1] == 0) /* trailing slashes */
        *slash = 0, slash = strrchr(dir, '/');
    if (!slash) {
        sekit_figure_file_name(path, out, n);
        return;
    }
    *slash = 0;
    sekit_figure_file_name(dir[0] ? dir : "/", out, n);
}

/* NCM lift over chance: (accuracy - chance) / (1 - chance), 0 when below chance. */
static double ncm_lift(const struct sekit_block_stats *s)
{
    const double lift =
        s->ncm_chance < 1 ? (s->ncm_accuracy - s->ncm_chance) / (1 - s->ncm_chance) : 0;
    return lift > 0 ? lift : 0;
}

int sekit_figure_depth(struct sekit_figure *fig, const struct sekit_block_stats *st, int nblocks,
                       const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    enum { NS = 6 };
    struct sekit_panel *panels = own(fig, sizeof *panels * 3);
    struct sekit_series *se = own(fig, sizeof *se * NS), *legend = own(fig, sizeof *se * NS);
    double *x = own(fig, sizeof(double) * (size_t)nblocks), *v[NS];
    for (int k = 0; k < NS; k++)
        v[k] = own(fig, sizeof(double) * (size_t)nblocks);
    const char **names = own(fig, sizeof(char *) * (size_t)nblocks);
    if (!panels || !se || !legend || !x || !names) return oom(fig, e);
    for (int k = 0; k < NS; k++)
        if (!v[k]) return oom(fig, e);
    double top[3] = {0, 0, 0};
    /* hard-sigmoid gates saturate exactly: their extremes are the shares exactly 1 and 0 */
    int hard = 0;
    for (int b = 0; b < nblocks; b++)
        hard += strcmp(st[b].gate, "hardsigmoid") == 0;
    const int all_hard = nblocks > 0 && hard == nblocks;
    for (int b = 0; b < nblocks; b++) {
        x[b] = b;
        v[0][b] = st[b].effect;
        v[1][b] = ncm_lift(&st[b]);
        v[2][b] = st[b].specificity;
        v[3][b] = 100 * st[b].sat_09;
        v[4][b] = 100 * (all_hard ? st[b].sat_one : st[b].sat_high);
        v[5][b] = 100 * (all_hard ? st[b].sat_zero : st[b].sat_low);
        names[b] = st[b].name;
        top[0] = fmax(top[0], fmax(v[0][b], v[1][b]));
        top[1] = fmax(top[1], v[2][b]);
        top[2] = fmax(top[2], fmax(v[3][b], fmax(v[4][b], v[5][b])));
    }
    /* the measures the verdicts read (docs/findings.md): effect size and NCM lift (rules 1 and
     * 2), the share above 0.9 (rule 3); eta squared beside them, and the extremes */
    static const char *const hard_label[2] = {"gates = 1 (%)", "gates = 0 (%)"};
    const char *label[NS] = {"effect size (class deviation / channel spread)",
                             "NCM lift over chance",
                             "class specificity (between-class / total variance)",
                             "gates > 0.9 (%)",
                             "gates > 0.99 (%)",
                             "gates < 0.01 (%)"};
    static const int color[NS] = {0, 3, 4, 1, 5, 2}, dashed[NS] = {0, 1, 0, 0, 1, 1};
    if (all_hard) label[4] = hard_label[0], label[5] = hard_label[1];
    for (int k = 0; k < NS; k++) {
        se[k] = (struct sekit_series){label[k], nblocks,  x,         v[k], NULL,
                                      NULL,     color[k], dashed[k], 1,    NULL};
        /* the legend lists the first panel's series: every one, drawn where it belongs */
        legend[k] = se[k];
        if (k >= 2) legend[k].n = 0;
    }
    /* every axis from 0: an axis from the lowest value would make a small trend look steep */
    /* effect sizes may pass 1; saturation's axis reaches at least rule 3's 10% */
    panels[0] = (struct sekit_panel){"class dependence",
                                     "SE block",
                                     "effect size, lift",
                                     0,
                                     axis_top(top[0], fmax(1, 1.08 * top[0])),
                                     NS,
                                     legend,
                                     (const char *const *)names};
    panels[1] = (struct sekit_panel){
        "class specificity", "SE block", "eta squared", 0,
        axis_top(top[1], 1), 1,          se + 2,        (const char *const *)names};
    panels[2] = (struct sekit_panel){all_hard ? "saturation (hard-sigmoid gates)"
                                     : hard   ? "saturation (sigmoid and hard-sigmoid gates)"
                                              : "saturation (sigmoid gates)",
                                     "SE block",
                                     "share of gates (%)",
                                     0,
                                     fmax(10, axis_top(top[2], 100)),
                                     3,
                                     se + 3,
                                     (const char *const *)names};
    fig->title = own_text(fig, "Class dependence and saturation with depth");
    fig->note = own_text(fig, "%s\nblocks in network order", what);
    return layout(fig, 3, 3, panels, 0, e);
}

int sekit_figure_depth_compare(struct sekit_figure *fig,
                               const struct sekit_block_stats *const st[2], const int n[2],
                               const char *const label[2], const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    enum { NP = 3 };
    struct sekit_panel *panels = own(fig, sizeof *panels * NP);
    struct sekit_series *se = own(fig, sizeof *se * NP * 2);
    if (!panels || !se) return oom(fig, e);
    double top[NP] = {0, 0, 0};
    for (int m = 0; m < 2; m++) {
        double *x = own(fig, sizeof(double) * (size_t)n[m]), *v[NP];
        for (int p = 0; p < NP; p++)
            v[p] = own(fig, sizeof(double) * (size_t)n[m]);
        if (!x || !v[0] || !v[1] || !v[2]) return oom(fig, e);
        for (int b = 0; b < n[m]; b++) {
            x[b] = n[m] > 1 ? (double)b / (n[m] - 1) : 0;
            v[0][b] = st[m][b].effect;
            v[1][b] = ncm_lift(&st[m][b]);
            v[2][b] = 100 * st[m][b].sat_09;
            for (int p = 0; p < NP; p++)
                top[p] = fmax(top[p], v[p][b]);
        }
        for (int p = 0; p < NP; p++)
            se[p * 2 + m] =
                (struct sekit_series){label[m], n[m], x, v[p], NULL, NULL, m, m, 1, NULL};
    }
    static const char *const title[NP] = {"class dependence", "class information", "saturation"};
    static const char *const ylabel[NP] = {"effect size", "NCM lift over chance",
                                           "gates > 0.9 (%)"};
    const double cap[NP] = {fmax(1, 1.08 * top[0]), 1, 100};
    for (int p = 0; p < NP; p++)
        panels[p] = (struct sekit_panel){title[p],
                                         "relative depth (first block 0, last 1)",
                                         ylabel[p],
                                         0,
                                         p == 2 ? fmax(10, axis_top(top[p], cap[p]))
                                                : axis_top(top[p], cap[p]),
                                         2,
                                         se + p * 2,
                                         NULL};
    fig->title = own_text(fig, "Depth trends of two networks");
    fig->note = own_text(fig, "%s", what);
    return layout(fig, NP, NP, panels, 0, e);
}

/* The ablation chart's colours: a removal, a mean-frozen variant, the full model. */
enum { COLOR_REMOVED = 0, COLOR_MEAN = 1, COLOR_FULL = 7 };

int sekit_figure_ablation(struct sekit_figure *fig, const struct sekit_ablation_table *t,
                          const char *what, struct sekit_err *e)
{
    memset(fig, 0, sizeof *fig);
    int count[2] = {0, 0}, removed = 0, mean = 0;
    int *group = own(fig, sizeof(int) * (size_t)t->n);
    if (!group) return oom(fig, e);
    for (int i = 1; i < t->n; i++) {
        int k = 0;
        for (int b = 0; b < t->nse; b++)
            k += t->dropped[(size_t)i * t->nse + b];
        group[i] = k > 1;
        count[group[i]]++;
        removed |= t->mode[i] == SEKIT_ABLATE_REMOVE, mean |= t->mode[i] == SEKIT_ABLATE_MEAN;
    }
    if (!count[0] && !count[1])
        return sekit_errf(e, SEKIT_EINVAL, "%s: no ablation variants to draw", what);
    /* the variant labels: the table tags a mean-frozen variant " [mean]"; the chart says what it
     * means */
    const char **label = own(fig, sizeof(char *) * (size_t)t->n);
    int *color = own(fig, sizeof(int) * (size_t)t->n);
    if (!label || !color) return oom(fig, e);
    static const char tag[] = " [mean]";
    for (int i = 1; i < t->n; i++) {
        const int m = t->mode[i];
        color[i] = m == SEKIT_ABLATE_MEAN ? COLOR_MEAN : COLOR_REMOVED;
        label[i] = t->names[i];
        if (m != SEKIT_ABLATE_MEAN) continue;
        size_t len = strlen(t->names[i]), tl = sizeof tag - 1;
        if (len >= tl && !strcmp(t->names[i] + len - tl, tag)) len -= tl;
        char *lab = own(fig, len + 24);
        if (!lab) return oom(fig, e);
        snprintf(lab, len + 24, "%.*s (frozen at mean)", (int)len, t->names[i]);
        label[i] = lab;
    }
    /* single blocks and the sets of blocks (stages, last two, all) on panels of their own, each
     * with its own scale, so that a whole stage's cost does not flatten a single block's bar and
     * whisker; top-1, then top-5 */
    struct sekit_panel *panels = own(fig, sizeof *panels * 4);
    struct sekit_series *legend = own(fig, sizeof *legend * 3);
    if (!panels || !legend) return oom(fig, e);
    int nl = 1;
    if (removed)
        legend[nl++] = (struct sekit_series){"removed (gate := 1)", 0, NULL, NULL, NULL, NULL,
                                             COLOR_REMOVED,         0, 0,    NULL};
    if (mean)
        legend[nl++] = (struct sekit_series){
            "frozen at the mean gate", 0, NULL, NULL, NULL, NULL, COLOR_MEAN, 0, 0, NULL};
    int np = 0;
    for (int metric = 0; metric < 2; metric++)
        for (int g = 0; g < 2; g++) {
            if (!count[g]) continue;
            const int n = count[g];
            double *y = own(fig, sizeof(double) * (size_t)n), *lo = own(fig, sizeof(double) * n),
                   *hi = own(fig, sizeof(double) * (size_t)n);
            int *c = own(fig, sizeof(int) * (size_t)n);
            const char **lab = own(fig, sizeof(char *) * (size_t)n);
            struct sekit_series *se = own(fig, sizeof *se * 3);
            if (!y || !lo || !hi || !c || !lab || !se) return oom(fig, e);
            const double *d = metric ? t->delta_top5 : t->delta_top1,
                         *dl = metric ? t->delta_top5_lo : t->delta_top1_lo,
                         *dh = metric ? t->delta_top5_hi : t->delta_top1_hi;
            int k = 0;
            for (int i = 1; i < t->n; i++)
                if (group[i] == g)
                    y[k] = d[i], lo[k] = dl[i], hi[k] = dh[i], c[k] = color[i], lab[k++] = label[i];
            memcpy(se, legend, sizeof *se * 3);
            se[0] = (struct sekit_series){metric ? "change in top-5" : "change in top-1",
                                          n,
                                          NULL,
                                          y,
                                          lo,
                                          hi,
                                          COLOR_REMOVED,
                                          0,
                                          0,
                                          c};
            panels[np++] = (struct sekit_panel){
                own_text(fig, "%s, %s", g ? "stages and sets of blocks" : "single SE blocks",
                         metric ? "top-5" : "top-1"),
                metric ? "change in top-5 accuracy (points)" : "change in top-1 accuracy (points)",
                NULL,
                0,
                0,
                nl,
                se,
                (const char *const *)lab};
            if (!panels[np - 1].title) return oom(fig, e);
        }
    fig->title = own_text(fig, "Block ablation: the full model's top-1 %.2f%%, top-5 %.2f%%",
                          t->top1[0], t->top5[0]);
    fig->note = own_text(fig, "%s\nwhiskers: paired 95%% bootstrap interval over the images", what);
    return layout(fig, np, 1, panels, 1, e);
}
