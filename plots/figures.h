/*
 * figures.h -- the paper's figures built from statistics (plots/figures.c):
 *   inter-class  Fig. 6: per panel (SE block) the mean gate of each class over up to 50
 *                channels sampled at evenly spaced indices (or the channels asked for), plus
 *                the all-classes curve;
 *   intra-class  Fig. 7: for each class (two, as the paper), the mean gate with a +/- 1 std
 *                band per channel;
 *   depth        class specificity and saturation of every block in network order, on axes
 *                from 0;
 *   ablation     the change in top-1 of every ablation variant (from `sekit ablate`), with
 *                its paired bootstrap interval as error bars, coloured by ablation mode.
 * A class keeps its colour across figures: the palette entry of its row in the statistics while
 * the rows drawn fit the palette, else of its place in the figure. At most SEKIT_PLOT_COLORS
 * classes are drawn, so that no two share a colour.
 * A figure built here owns its memory (struct sekit_figure's owned): sekit_figure_free releases
 * everything its builder allocated, also when the builder failed.
 */
#ifndef SEKIT_FIGURES_H
#define SEKIT_FIGURES_H

#include "../analysis/analysis.h"
#include "plot.h"

#define SEKIT_FIGURE_MAX_CHANNELS 50
#define SEKIT_FIGURE_TEXT 256 /* a title's or note's size, its NUL included */

/* The paper's panel choice generalised: the last block of every stage, plus every block of the
 * last stage, in network order. Returns the count; idx[] gets block indices. */
int sekit_figure_default_blocks(const struct sekit_block_stats *st, int nblocks, int *idx);

/* Evenly spaced channel indices: min(C, 50) of them, round(i * (C - 1) / (n - 1)). */
int sekit_figure_channels(int C, int *idx);

/* The file name of path without its directories ("runs/a/classes.h5" -> "classes.h5"), for the
 * subtitles: a figure for a paper must not carry the author's directories. */
void sekit_figure_file_name(const char *path, char *out, size_t n);
/* A run's name in figures and reports: the name of the directory holding path (a reproduce
 * run's DIR), else path's file name. */
void sekit_figure_run_label(const char *path, char *out, size_t n);

/* rows: indices into each block's class rows (stats.classes) to draw; all: per panel block an
 * optional all-classes curve [C] (NULL: the blocks' own all_mean); channels[nch]: the channels
 * to draw, ascending and below every drawn block's width (NULL: evenly sampled). */
int sekit_figure_inter_class(struct sekit_figure *fig, const struct sekit_block_stats *st,
                             const int *blocks, int nb, const int *rows, int nrows,
                             char *const *class_names, const float *const *all, const int *channels,
                             int nch, const char *what, struct sekit_err *e);
int sekit_figure_intra_class(struct sekit_figure *fig, const struct sekit_block_stats *st,
                             const int *blocks, int nb, const int *rows, int nrows,
                             char *const *class_names, const int *channels, int nch,
                             const char *what, struct sekit_err *e);
int sekit_figure_depth(struct sekit_figure *fig, const struct sekit_block_stats *st, int nblocks,
                       const char *what, struct sekit_err *e);
/* Two networks' depth trends side by side (st[0] of n[0] blocks named label[0], st[1] ...):
 * effect size, NCM lift over chance and the share of gates above 0.9 of every block against
 * its relative depth, 0 for the first block, 1 for the last, so that networks of different
 * depths share an axis. */
int sekit_figure_depth_compare(struct sekit_figure *fig,
                               const struct sekit_block_stats *const st[2], const int n[2],
                               const char *const label[2], const char *what, struct sekit_err *e);
/* The ablation chart of table t: every variant's change in top-1 and in top-5 against the full
 * model as a bar with its paired interval, single blocks and sets of blocks (stages, last two,
 * all) on panels of their own; removals and mean-frozen variants get a colour each, named in
 * the legend. */
struct sekit_ablation_table;
int sekit_figure_ablation(struct sekit_figure *fig, const struct sekit_ablation_table *t,
                          const char *what, struct sekit_err *e);

#endif
