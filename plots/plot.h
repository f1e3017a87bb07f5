/*
 * plot.h -- the paper's figures drawn with cairo (libsekit_plot), and their gnuplot twins.
 *
 * Every figure is a grid of panels with axes, ticks, a title per panel (the SE block's name) and
 * one legend, in the Okabe-Ito colour-blind-safe palette. The output type follows the file name:
 * .png (2 pixels per point, for print), .pdf or .svg. Files are written to a temporary of their own
 * (fileio.h: PATH.XXXXXX.tmp, never through a link) and renamed, so a failed figure leaves nothing
 * behind, a figure that was there before stays as it was, and two runs writing the same figure
 * leave one of their figures, whole.
 */
#ifndef SEKIT_PLOT_H
#define SEKIT_PLOT_H

#include "sekit.h"

#include <stdio.h>

/* One curve: y[n] at x[n] (NULL: 0..n-1); band (lo, hi) drawn under it when set. */
struct sekit_series {
    const char *label;
    int n;
    const double *x, *y, *lo, *hi;
    int color; /* palette index; -1 black */
    int dashed;
    int points;        /* draw markers */
    const int *colors; /* bars: a palette index per bar (NULL: color for every bar) */
};

struct sekit_panel {
    const char *title, *xlabel, *ylabel;
    double ymin, ymax; /* ymin == ymax: from the data */
    int nseries;
    const struct sekit_series *series;
    const char *const *xticklabels; /* categorical x axis (n of series 0), or NULL */
};

struct sekit_figure {
    const char *title, *note; /* note: a line under the title (e.g. how channels were sampled) */
    int npanels, columns;
    const struct sekit_panel *panels;
    /* draw series 0 of each panel as horizontal bars with xticklabels as categories, each bar
     * with its value, the panels stacked; series 1.. of the
     * first panel are the legend's entries (n = 0: no data) */
    int bars;
    /* the page in points (a PNG has 2 pixels per point); 0: the size the panels need */
    double width, height;
    /* what a builder of the paper's figures (figures.h) allocated for the panels, series and
     * texts above, released by sekit_figure_free; a figure described by hand owns nothing */
    void **owned;
    int nowned;
};
/* Releases what f owns and zeroes it (a figure that owns nothing: zeroes it only). */
void sekit_figure_free(struct sekit_figure *f);

/* An output file written to its temporary and moved onto PATH only once complete (the figures, the
 * gnuplot scripts and data). Writes go to f, a memory stream, and reach the disk in one go at
 * commit, so that every write error is seen where its errno is still known and the message can
 * give the real reason (a full disk, a file-size limit). */
struct sekit_plot_file {
    FILE *f;
    const char *path; /* the final name */
    char *tmp, *buf;
    size_t len;
    int fd;
};
/* Creates PATH's temporary; on failure "PATH: cannot create: REASON". */
int sekit_plot_file_open(struct sekit_plot_file *o, const char *path, struct sekit_err *e);
/* Writes what f holds to the temporary, fsyncs and closes it, checking each step, then renames
 * it onto PATH; on any failure removes it and reports "PATH: cannot write: REASON". Always
 * releases o. */
int sekit_plot_file_commit(struct sekit_plot_file *o, struct sekit_err *e);
/* Closes and removes the temporary (an abandoned output); releases o. */
void sekit_plot_file_discard(struct sekit_plot_file *o);

/* The palette: 8 colour-blind-safe colours (Okabe & Ito). */
#define SEKIT_PLOT_COLORS 8
void sekit_plot_color(int i, double rgb[3]);

/* A bar's value as both renderers print it next to the bar: "+1.25", "-0.50", "0.00". */
void sekit_plot_bar_value(double v, char *out, size_t n);

/* Renders f to path (.png, .pdf or .svg). A page (width, height) too small for the panels is
 * refused, naming the least size that fits. */
int sekit_plot_render(const struct sekit_figure *f, const char *path, struct sekit_err *e);

/* Writes DIR/NAME.dat and DIR/NAME.gp that redraw f in gnuplot. The script finds its data next to
 * itself whatever the working directory (gnuplot's ARG0) and writes DIR/NAME-gnuplot.png, never
 * a figure sekit drew; run with -e 'fmt="pdf"' (or "svg") it writes NAME-gnuplot.pdf (.svg). */
int sekit_plot_gnuplot(const struct sekit_figure *f, const char *dir, const char *name,
                       struct sekit_err *e);

/* gnuplot is on PATH. */
int sekit_plot_have_gnuplot(void);
/* Runs gnuplot on a script sekit_plot_gnuplot wrote, rendering out (.png, .pdf or .svg, the
 * script's fmt): to a temporary of its own, given to gnuplot as the descriptor /dev/fd/3 (the
 * script's sekit_out), moved onto out once it is complete.
 * SEKIT_EINVAL with a clear message when gnuplot is not installed; when gnuplot fails, the first
 * line it printed is the message; either way, or when the figure was cut short (a full disk, a
 * file-size limit), no file is left under out but one that was there before. */
int sekit_plot_run_gnuplot(const char *script, const char *out, struct sekit_err *e);

#endif
