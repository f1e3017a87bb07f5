/*
 * plot.c -- the cairo renderer behind every figure. See plot.h.
 */
#include "plot.h"
#include "../src/fileio.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FONT "DejaVu Sans"
#define PANEL_W 380.0 /* a panel of the grid at the natural size */
#define PANEL_H 260.0
#define MIN_PANEL_W 200.0 /* below this, tick labels and titles collide */
#define MIN_PANEL_H 150.0
#define PAD_L 58.0 /* inside a panel: room for y ticks and label */
#define PAD_R 14.0
#define PAD_T 30.0
#define PAD_B 44.0
#define BAR_W 570.0     /* a bar chart's plot area and margins at the natural size */
#define MIN_BAR_W 220.0 /* the least plot area of a bar chart */
#define MIN_BAR_ROW 8.0 /* the least height of a bar's row */
#define VALUE_ROOM 46.0 /* beside the bars: room for the values printed at their ends */
#define ZERO_MARK 3.0   /* the least length of a bar, so that a zero is seen as one */

static void file_release(struct sekit_plot_file *o, int remove_tmp)
{
    if (o->f) fclose(o->f);
    if (o->fd >= 0) close(o->fd);
    if (remove_tmp && o->tmp && o->tmp[0]) unlink(o->tmp);
    free(o->buf);
    free(o->tmp);
    *o = (struct sekit_plot_file){.fd = -1};
}

int sekit_plot_file_open(struct sekit_plot_file *o, const char *path, struct sekit_err *e)
{
    *o = (struct sekit_plot_file){.path = path, .fd = -1};
    const size_t n = strlen(path) + SEKIT_TMP_EXTRA;
    if (!(o->tmp = malloc(n))) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    /* created before anything is drawn, so that a missing or read-only directory fails at once */
    if ((o->fd = sekit_tmp_create(path, o->tmp, n)) < 0) {
        int rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", path, strerror(errno));
        file_release(o, 0);
        return rc;
    }
    if (!(o->f = open_memstream(&o->buf, &o->len))) {
        file_release(o, 1);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    return SEKIT_OK;
}

int sekit_plot_file_commit(struct sekit_plot_file *o, struct sekit_err *e)
{
    /* a memory stream fails only for want of memory */
    int err = ferror(o->f) ? ENOMEM : 0;
    if (fclose(o->f) != 0 && !err) err = ENOMEM;
    o->f = NULL;
    if (!err && sekit_write_full(o->fd, o->buf, o->len) != 0) err = errno;
    /* renamed before its blocks reach the disk, a figure could be empty after a power cut; EINVAL:
     * a file system without fsync, where there is nothing to wait for */
    if (!err && fsync(o->fd) != 0 && errno != EINVAL) err = errno;
    if (close(o->fd) != 0 && !err) err = errno;
    o->fd = -1;
    if (!err) {
        if (sekit_tmp_publish(o->tmp, o->path) != 0) err = errno;
        o->tmp[0] = 0; /* moved, or removed by the failed publish */
    }
    int rc =
        err ? sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", o->path, strerror(err)) : SEKIT_OK;
    file_release(o, err != 0);
    return rc;
}

void sekit_plot_file_discard(struct sekit_plot_file *o)
{
    file_release(o, 1);
}

/* cairo's PDF, SVG and PNG writers feed the output file through this */
static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int n)
{
    struct sekit_plot_file *o = closure;
    return fwrite(data, 1, n, o->f) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

void sekit_figure_free(struct sekit_figure *f)
{
    for (int i = 0; i < f->nowned; i++)
        free(f->owned[i]);
    free(f->owned);
    memset(f, 0, sizeof *f);
}

void sekit_plot_color(int i, double rgb[3])
{
    /* Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies */
    static const unsigned char pal[8][3] = {{0, 114, 178},   {230, 159, 0},  {0, 158, 115},
                                            {204, 121, 167}, {86, 180, 233}, {213, 94, 0},
                                            {240, 228, 66},  {120, 120, 120}};
    if (i < 0) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    for (int c = 0; c < 3; c++)
        rgb[c] = pal[i % 8][c] / 255.0;
}

static void text(cairo_t *cr, double x, double y, const char *s, double size, int bold,
                 double align /* 0 left, 0.5 centre, 1 right */, double rot)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, rot);
    cairo_move_to(cr, -ext.x_advance * align, 0);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

/* Tick step: 1, 2 or 5 times a power of ten, about n ticks over range. */
static double nice_step(double range, int n)
{
    double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void data_range(const struct sekit_panel *p, double *xmin, double *xmax, double *ymin,
                       double *ymax)
{
    *xmin = INFINITY, *xmax = -INFINITY, *ymin = INFINITY, *ymax = -INFINITY;
    for (int s = 0; s < p->nseries; s++) {
        const struct sekit_series *se = &p->series[s];
        for (int i = 0; i < se->n; i++) {
            double x = se->x ? se->x[i] : i;
            double lo = se->lo ? se->lo[i] : se->y[i], hi = se->hi ? se->hi[i] : se->y[i];
            *xmin = fmin(*xmin, x), *xmax = fmax(*xmax, x);
            *ymin = fmin(*ymin, fmin(lo, se->y[i])), *ymax = fmax(*ymax, fmax(hi, se->y[i]));
        }
    }
    if (!(*xmax > *xmin) || p->xticklabels) *xmin -= 0.5, *xmax += 0.5; /* categories: room */
    if (p->ymin < p->ymax) {
        *ymin = p->ymin, *ymax = p->ymax;
    } else {
        double pad = (*ymax - *ymin) * 0.06;
        if (!(pad > 0)) pad = fabs(*ymax) * 0.1 + 1e-3;
        *ymin -= pad, *ymax += pad;
    }
}

static void draw_panel(cairo_t *cr, const struct sekit_panel *p, double ox, double oy, double pw,
                       double ph)
{
    double x0 = ox + PAD_L, y0 = oy + PAD_T, w = pw - PAD_L - PAD_R, h = ph - PAD_T - PAD_B;
    double xmin, xmax, ymin, ymax;
    data_range(p, &xmin, &xmax, &ymin, &ymax);
#define PX(v) (x0 + ((v)-xmin) / (xmax - xmin) * w)
#define PY(v) (y0 + h - ((v)-ymin) / (ymax - ymin) * h)
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, ox + PAD_L + w / 2, oy + 18, p->title ? p->title : "", 13, 1, 0.5, 0);
    /* grid and ticks */
    cairo_set_line_width(cr, 0.6);
    double ys = nice_step(ymax - ymin, 5);
    for (double v = ceil(ymin / ys) * ys; v <= ymax + 1e-9; v += ys) {
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x0, PY(v));
        cairo_line_to(cr, x0 + w, PY(v));
        cairo_stroke(cr);
        char lab[32];
        snprintf(lab, sizeof lab, "%g", fabs(v) < ys * 1e-6 ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text(cr, x0 - 5, PY(v) + 3.5, lab, 9.5, 0, 1, 0);
    }
    if (p->xticklabels) {
        int n = p->series[0].n, every = n > 16 ? (n + 15) / 16 : 1;
        for (int i = 0; i < n; i += every) {
            double x = p->series[0].x ? p->series[0].x[i] : i;
            text(cr, PX(x) + 3, y0 + h + 8, p->xticklabels[i], 8.5, 0, 1, -M_PI / 4);
        }
    } else {
        double xs = nice_step(xmax - xmin, 6);
        if (xs < 1) xs = 1;
        for (double v = ceil(xmin / xs) * xs; v <= xmax + 1e-9; v += xs) {
            char lab[32];
            snprintf(lab, sizeof lab, "%g", v);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            text(cr, PX(v), y0 + h + 14, lab, 9.5, 0, 0.5, 0);
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_stroke(cr);
    if (p->xlabel && !p->xticklabels) text(cr, x0 + w / 2, oy + ph - 8, p->xlabel, 10.5, 0, 0.5, 0);
    if (p->ylabel) text(cr, ox + 14, y0 + h / 2, p->ylabel, 10.5, 0, 0.5, -M_PI / 2);
    /* series: bands first so every line stays visible */
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_clip(cr);
    for (int s = 0; s < p->nseries; s++) {
        const struct sekit_series *se = &p->series[s];
        if (!se->lo || !se->hi || se->n < 1) continue;
        double rgb[3];
        sekit_plot_color(se->color, rgb);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.22);
        for (int i = 0; i < se->n; i++) {
            double x = se->x ? se->x[i] : i;
            if (i == 0)
                cairo_move_to(cr, PX(x), PY(se->hi[i]));
            else
                cairo_line_to(cr, PX(x), PY(se->hi[i]));
        }
        for (int i = se->n - 1; i >= 0; i--) {
            double x = se->x ? se->x[i] : i;
            cairo_line_to(cr, PX(x), PY(se->lo[i]));
        }
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    for (int s = 0; s < p->nseries; s++) {
        const struct sekit_series *se = &p->series[s];
        double rgb[3];
        sekit_plot_color(se->color, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_set_line_width(cr, se->color < 0 ? 1.6 : 1.4);
        double dash[2] = {5, 3};
        cairo_set_dash(cr, dash, se->dashed ? 2 : 0, 0);
        for (int i = 0; i < se->n; i++) {
            double x = se->x ? se->x[i] : i;
            if (i == 0)
                cairo_move_to(cr, PX(x), PY(se->y[i]));
            else
                cairo_line_to(cr, PX(x), PY(se->y[i]));
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        for (int i = 0; se->points && i < se->n; i++) {
            double x = se->x ? se->x[i] : i;
            cairo_arc(cr, PX(x), PY(se->y[i]), 2.6, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
#undef PX
#undef PY
}

void sekit_plot_bar_value(double v, char *out, size_t n)
{
    /* the sign always shown, but never on a zero (no "+0.00" or "-0.00") */
    if (fabs(v) < 0.005)
        snprintf(out, n, "0.00");
    else
        snprintf(out, n, "%+.2f", v);
}

static double bar_label_size(double row)
{
    return row < 13 ? row * 0.75 : 9.5;
}

/* The width of the bar chart's category column: its longest label and a gap. */
static double bar_label_width(cairo_t *cr, const struct sekit_panel *p)
{
    double w = 0;
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, bar_label_size(13));
    for (int i = 0; p->xticklabels && i < p->series[0].n; i++) {
        cairo_text_extents_t ext;
        cairo_text_extents(cr, p->xticklabels[i], &ext);
        w = fmax(w, ext.x_advance);
    }
    return w + 16;
}

/* Horizontal bars: one category per row (series 0 of the panel), signed values about zero, each
 * bar in its colour with its value printed past its end (and past its whisker). */
static void draw_bars(cairo_t *cr, const struct sekit_panel *p, double ox, double oy, double W,
                      double H, double label_w)
{
    const struct sekit_series *se = &p->series[0];
    double x0 = ox + label_w, y0 = oy + PAD_T, w = W - label_w - 20, h = H - PAD_T - PAD_B;
    double lo = 0, hi = 0;
    int neg = 0, pos = 0; /* values printed left of zero, right of zero */
    for (int i = 0; i < se->n; i++) {
        lo = fmin(lo, se->y[i]), hi = fmax(hi, se->y[i]);
        if (se->lo) lo = fmin(lo, se->lo[i]), hi = fmax(hi, se->hi[i]);
        neg |= se->y[i] < 0, pos |= se->y[i] >= 0;
    }
    if (!(hi > lo)) hi = lo + 1;
    /* the values' room on the side they are printed, in points, turned into data units */
    const double room_l = neg ? VALUE_ROOM : 8, room_r = pos ? VALUE_ROOM : 8,
                 unit = (hi - lo) / (w - room_l - room_r);
    lo -= room_l * unit, hi += room_r * unit;
#define PX(v) (x0 + ((v)-lo) / (hi - lo) * w)
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, x0 + w / 2, oy + 18, p->title ? p->title : "", 13, 1, 0.5, 0);
    double xs = nice_step(hi - lo, 6);
    cairo_set_line_width(cr, 0.6);
    for (double v = ceil(lo / xs) * xs; v <= hi + 1e-9; v += xs) {
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, PX(v), y0);
        cairo_line_to(cr, PX(v), y0 + h);
        cairo_stroke(cr);
        char lab[32];
        snprintf(lab, sizeof lab, "%g", fabs(v) < xs * 1e-6 ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text(cr, PX(v), y0 + h + 14, lab, 9.5, 0, 0.5, 0);
    }
    /* the zero line under the bars, so that a bar of zero length covers it */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, PX(0), y0);
    cairo_line_to(cr, PX(0), y0 + h);
    cairo_stroke(cr);
    double row = h / (se->n ? se->n : 1);
    for (int i = 0; i < se->n; i++) {
        double rgb[3];
        sekit_plot_color(se->colors ? se->colors[i] : se->color, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        /* a zero is a short mark across the zero line, a tiny value a bar of the mark's length:
         * an empty row would read as a missing variant */
        double a = PX(0), b = PX(se->y[i]);
        if (se->y[i] == 0)
            a -= ZERO_MARK / 2, b = a + ZERO_MARK;
        else if (fabs(b - a) < ZERO_MARK)
            b = a + (se->y[i] < 0 ? -ZERO_MARK : ZERO_MARK);
        cairo_rectangle(cr, fmin(a, b), y0 + row * i + row * 0.18, fabs(b - a), row * 0.64);
        cairo_fill(cr);
        const double yc = y0 + row * i + row * 0.5;
        double end = se->y[i] < 0 ? fmin(a, b) : fmax(a, b);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (se->lo && se->hi[i] > se->lo[i]) {
            /* the interval: a whisker with end caps across the bar's middle */
            const double cap = row * 0.22;
            cairo_set_line_width(cr, 1);
            cairo_move_to(cr, PX(se->lo[i]), yc);
            cairo_line_to(cr, PX(se->hi[i]), yc);
            cairo_move_to(cr, PX(se->lo[i]), yc - cap);
            cairo_line_to(cr, PX(se->lo[i]), yc + cap);
            cairo_move_to(cr, PX(se->hi[i]), yc - cap);
            cairo_line_to(cr, PX(se->hi[i]), yc + cap);
            cairo_stroke(cr);
            end = se->y[i] < 0 ? fmin(end, PX(se->lo[i])) : fmax(end, PX(se->hi[i]));
        }
        const double size = bar_label_size(row);
        char val[32];
        sekit_plot_bar_value(se->y[i], val, sizeof val);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        text(cr, end + (se->y[i] < 0 ? -4 : 4), yc + size * 0.35, val, size, 0,
             se->y[i] < 0 ? 1 : 0, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (p->xticklabels) text(cr, x0 - 6, yc + size * 0.35, p->xticklabels[i], size, 0, 1, 0);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_stroke(cr);
    if (p->xlabel) text(cr, x0 + w / 2, oy + H - 8, p->xlabel, 10.5, 0, 0.5, 0);
#undef PX
}

/* The legend: one entry per labelled series of the first panel (a bar chart: series 1.., drawn
 * as colour swatches). Returns its height, 0 when it has no entry. */
static double draw_legend(cairo_t *cr, const struct sekit_panel *p, int bars, double x, double y,
                          double W)
{
    double cx = x, cy = y + 12;
    int entries = 0;
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    for (int s = bars ? 1 : 0; s < p->nseries; s++) {
        const struct sekit_series *se = &p->series[s];
        if (!se->label) continue;
        cairo_text_extents_t ext;
        cairo_text_extents(cr, se->label, &ext);
        double need = 34 + ext.x_advance + 18;
        if (cx + need > x + W && cx > x) {
            cx = x;
            cy += 18;
        }
        double rgb[3];
        sekit_plot_color(se->color, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        if (bars) {
            cairo_rectangle(cr, cx + 4, cy - 10, 18, 11);
            cairo_fill(cr);
        } else {
            cairo_set_line_width(cr, 2.2);
            double dash[2] = {5, 3};
            cairo_set_dash(cr, dash, se->dashed ? 2 : 0, 0);
            cairo_move_to(cr, cx, cy - 4);
            cairo_line_to(cr, cx + 26, cy - 4);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        text(cr, cx + 32, cy, se->label, 11, 0, 0, 0);
        cx += need;
        entries++;
    }
    return entries ? cy - y + 10 : 0;
}

/* Where everything goes on the page, in points. */
struct layout {
    double W, H, head, legend, label_w;
    double pw, ph; /* a panel of the grid */
    double bars_h; /* a bar chart's panels together, stacked; each its share of bar rows */
    int cols, rows;
};

/* A bar chart's panels stack, each as tall as its bars need at least (least) or would like at
 * their natural size: a lone panel as before, a stacked one with less room around its bars. */
static double bar_panel_height(const struct sekit_figure *f, int i, int least)
{
    const int n = f->panels[i].series[0].n;
    if (least) return fmax(f->npanels > 1 ? 110 : 160, PAD_T + PAD_B + MIN_BAR_ROW * n);
    return fmax(f->npanels > 1 ? 130 : 260, 40 + 16.0 * n + PAD_B);
}

/* The page's layout: the natural size, or f's width and height when they leave every part its
 * least size (else an error naming the least page that fits, in the figure's units). */
static int lay_out(const struct sekit_figure *f, const char *path, int png, struct layout *l,
                   struct sekit_err *e)
{
    memset(l, 0, sizeof *l);
    l->cols = f->bars ? 1 : (f->columns > 0 ? f->columns : 3);
    if (l->cols > f->npanels) l->cols = f->npanels;
    l->rows = (f->npanels + l->cols - 1) / l->cols;
    int note_lines = 0;
    for (const char *c = f->note; c && *c; c++)
        note_lines += *c == '\n';
    if (f->note && *f->note) note_lines++;
    l->head = 40 + 16 * note_lines;
    int nbars = 0;
    double bars_least = 0, bars_natural = 0;
    for (int i = 0; f->bars && i < f->npanels; i++) {
        nbars += f->panels[i].series[0].n;
        bars_least += bar_panel_height(f, i, 1);
        bars_natural += bar_panel_height(f, i, 0);
    }
    /* measured on a scratch surface: the category labels, then the legend at the page width */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
    cairo_t *cr = cairo_create(s);
    for (int i = 0; f->bars && i < f->npanels; i++)
        l->label_w = fmax(l->label_w, bar_label_width(cr, &f->panels[i]));
    double minW = f->bars ? l->label_w + MIN_BAR_W + 20 : l->cols * MIN_PANEL_W + 20;
    l->W = f->width > 0 ? f->width : f->bars ? l->label_w + BAR_W : l->cols * PANEL_W + 20;
    l->legend = draw_legend(cr, &f->panels[0], f->bars, 20, 0, l->W - 40);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    const double fixed = l->head + l->legend + 10,
                 minH = fixed + (f->bars ? bars_least : l->rows * MIN_PANEL_H);
    l->H = f->height > 0 ? f->height : fixed + (f->bars ? bars_natural : l->rows * PANEL_H);
    if (l->W < minW - 1e-9 || l->H < minH - 1e-9) {
        const double k = png ? 2 : 1;
        char fits[96];
        if (f->bars)
            snprintf(fits, sizeof fits, "a chart of %d bar%s", nbars, nbars == 1 ? "" : "s");
        else
            snprintf(fits, sizeof fits, "%d panel%s in %d column%s", f->npanels,
                     f->npanels == 1 ? "" : "s", l->cols, l->cols == 1 ? "" : "s");
        return sekit_errf(
            e, SEKIT_EINVAL, "%s: %.0fx%.0f %s is too small for %s (at least %.0fx%.0f)", path,
            l->W * k, l->H * k, png ? "pixels" : "points", fits, ceil(minW * k), ceil(minH * k));
    }
    l->pw = (l->W - 20) / l->cols;
    l->ph = (l->H - fixed) / l->rows;
    l->bars_h = l->H - fixed;
    return SEKIT_OK;
}

int sekit_plot_render(const struct sekit_figure *f, const char *path, struct sekit_err *e)
{
    const char *ext = strrchr(path, '.');
    int png = ext && !strcasecmp(ext, ".png"), pdf = ext && !strcasecmp(ext, ".pdf"),
        svg = ext && !strcasecmp(ext, ".svg");
    if (!png && !pdf && !svg)
        return sekit_errf(e, SEKIT_EINVAL, "%s: unknown figure type (use .png, .pdf or .svg)",
                          path);
    if (f->npanels < 1) return sekit_errf(e, SEKIT_EINVAL, "%s: nothing to draw", path);
    struct layout l;
    int rc = lay_out(f, path, png, &l, e);
    if (rc) return rc;
    const double W = l.W, H = l.H;
    struct sekit_plot_file out;
    if ((rc = sekit_plot_file_open(&out, path, e))) return rc;
    const double scale = png ? 2.0 : 1.0; /* PNG at 2 pixels per point, for print */
    cairo_surface_t *surf =
        png   ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)lround(W * scale),
                                           (int)lround(H * scale))
        : pdf ? cairo_pdf_surface_create_for_stream(to_file, &out, W, H)
              : cairo_svg_surface_create_for_stream(to_file, &out, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, scale, scale);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, W / 2, 24, f->title ? f->title : "", 16, 1, 0.5, 0);
    for (int i = 0, off = 0; f->note && *f->note; i++) {
        int len = (int)strcspn(f->note + off, "\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", len, f->note + off);
        text(cr, W / 2, 42 + 16 * i, line, 10.5, 0, 0.5, 0);
        if (!f->note[off + len]) break;
        off += len + 1;
    }
    draw_legend(cr, &f->panels[0], f->bars, 20, l.head - 4, W - 40);
    double top = l.head + l.legend;
    if (f->bars) {
        double natural = 0;
        for (int i = 0; i < f->npanels; i++)
            natural += bar_panel_height(f, i, 0);
        for (int i = 0; i < f->npanels; i++) {
            const double h = l.bars_h * bar_panel_height(f, i, 0) / natural;
            draw_bars(cr, &f->panels[i], 10, top, W - 20, h, l.label_w);
            top += h;
        }
    } else {
        for (int i = 0; i < f->npanels; i++)
            draw_panel(cr, &f->panels[i], 10 + (i % l.cols) * l.pw, top + (i / l.cols) * l.ph, l.pw,
                       l.ph);
    }
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && png)
        st = cairo_surface_write_to_png_stream(surf, to_file, &out);
    cairo_surface_finish(surf);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        sekit_plot_file_discard(&out);
        return sekit_errf(e, SEKIT_ECAIRO, "%s: cannot draw: %s", path, cairo_status_to_string(st));
    }
    return sekit_plot_file_commit(&out, e);
}
