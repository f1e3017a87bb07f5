/*
 * gnuplot.c -- every figure also as a gnuplot data file and script, for users who restyle
 * figures in gnuplot. The data file holds one block per panel (gnuplot's `index`), columns x then
 * y (and the band's low and high) per series; the script lays the panels out with multiplot.
 */
#include "plot.h"
#include "../src/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A string as gnuplot reads it and can never evaluate: in double quotes, every byte but letters,
 * digits, the space and punctuation of no meaning to gnuplot as an octal escape (\140 a
 * backquote, \0012 a line break, \0042 a double quote, \100 an @, each byte of a UTF-8 name).
 * gnuplot runs `...` as a shell command even inside double quotes, expands @macros, and ends a
 * command at a line break, all on the text of the line before it parses it; an escape becomes its
 * byte only in the string's value, which is never evaluated again. The data file's strings are
 * decoded the same way, so every label shows the name as it is. */
static void gp_string(FILE *f, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                " -_.,:;+=/()[]%!?*<>|";
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
        if (strchr(plain, *c))
            fputc(*c, f);
        else /* gnuplot reads an escape starting 0 as up to four digits: \0012, not \012 */
            fprintf(f, *c < 0100 ? "\\%04o" : "\\%03o", *c);
    fputc('"', f);
}

/* A comment of the data file: a line break goes on in another comment line, other control bytes
 * show as '?', so that no text of a name can end the comment. */
static void comment(FILE *f, const char *s)
{
    fputs("# ", f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
        if (*c == '\n')
            fputs("\n# ", f);
        else
            fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, f);
    fputc('\n', f);
}

/* A figure's name becomes file names and the script's own text: letters, digits, '.', '_' and
 * '-', and not a leading '.' or '-' (a hidden file, an option). */
static int plain_name(const char *s)
{
    return *s && *s != '.' && *s != '-' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               strlen(s);
}

static void color_hex(int c, char out[8])
{
    double rgb[3];
    sekit_plot_color(c, rgb);
    snprintf(out, 8, "#%02x%02x%02x", (int)(rgb[0] * 255 + 0.5), (int)(rgb[1] * 255 + 0.5),
             (int)(rgb[2] * 255 + 0.5));
}

static int color_int(int c)
{
    double rgb[3];
    sekit_plot_color(c, rgb);
    return (int)(rgb[0] * 255 + 0.5) << 16 | (int)(rgb[1] * 255 + 0.5) << 8 |
           (int)(rgb[2] * 255 + 0.5);
}

/* The data: one block per panel (gnuplot's `index`). A bar chart's rows are
 * "category" index value lo hi colour "value as printed", in the chart's order. Comments name the
 * figure, its panels and series; every string a column holds is a gp_string. */
static void write_data(FILE *d, const struct sekit_figure *f, const char *name)
{
    comment(d, f->title ? f->title : name);
    if (f->note) comment(d, f->note);
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        fprintf(d, "# panel %d: ", p);
        gp_string(d, pa->title);
        fputc('\n', d);
        if (f->bars) {
            const struct sekit_series *se = &pa->series[0];
            fprintf(d, "# category index value lo hi rgb label\n");
            for (int i = 0; i < se->n; i++) {
                char val[32];
                sekit_plot_bar_value(se->y[i], val, sizeof val);
                gp_string(d, pa->xticklabels ? pa->xticklabels[i] : "");
                fprintf(d, " %d %.9g %.9g %.9g %d ", i, se->y[i], se->lo ? se->lo[i] : se->y[i],
                        se->hi ? se->hi[i] : se->y[i],
                        color_int(se->colors ? se->colors[i] : se->color));
                gp_string(d, val);
                fputc('\n', d);
            }
            fprintf(d, "\n\n");
            continue;
        }
        fprintf(d, "# x");
        for (int k = 0; k < pa->nseries; k++)
            if (pa->series[k].n) {
                fputc(' ', d);
                gp_string(d, pa->series[k].label);
                if (pa->series[k].lo) fputs(" lo hi", d);
            }
        fputc('\n', d);
        for (int i = 0; i < pa->series[0].n; i++) {
            if (pa->xticklabels) {
                gp_string(d, pa->xticklabels[i]);
                fputc(' ', d);
            }
            fprintf(d, "%.9g", pa->series[0].x ? pa->series[0].x[i] : (double)i);
            for (int k = 0; k < pa->nseries; k++) {
                const struct sekit_series *se = &pa->series[k];
                if (!se->n) continue; /* a legend-only entry */
                fprintf(d, " %.9g", se->y[i]);
                if (se->lo) fprintf(d, " %.9g %.9g", se->lo[i], se->hi[i]);
            }
            fputc('\n', d);
        }
        fprintf(d, "\n\n");
    }
}

/* The height in points a bar panel would like: a lone one as before, stacked ones less. */
static double bar_panel_points(const struct sekit_figure *f, int p)
{
    return fmax(f->npanels > 1 ? 130 : 200, 90 + 15.0 * f->panels[p].series[0].n);
}

/* A bar chart: bars in the cairo chart's order (the first on top) and colours, a short mark for
 * a zero, each value printed past its bar and whisker. */
static void write_bars(FILE *s, const struct sekit_panel *pa, int index, double plot_w)
{
    const struct sekit_series *se = &pa->series[0];
    double lo = 0, hi = 0;
    int neg = 0, pos = 0;
    for (int i = 0; i < se->n; i++) {
        lo = fmin(lo, se->lo ? se->lo[i] : se->y[i]), lo = fmin(lo, se->y[i]);
        hi = fmax(hi, se->hi ? se->hi[i] : se->y[i]), hi = fmax(hi, se->y[i]);
        neg |= se->y[i] < 0, pos |= se->y[i] >= 0;
    }
    if (!(hi > lo)) hi = lo + 1;
    /* room for the printed values, in points as the cairo chart leaves it */
    const double room_l = neg ? 46 : 8, room_r = pos ? 46 : 8,
                 unit = (hi - lo) / fmax(plot_w - room_l - room_r, 0.25 * plot_w),
                 xlo = lo - room_l * unit, xhi = hi + room_r * unit;
    fprintf(s,
            "set xrange [%.9g:%.9g]\nset yrange [%d.6:-0.6]\n"
            "set ytics nomirror scale 0\nset yzeroaxis lt -1 lw 1\nset grid xtics\n"
            "set style fill solid 1.0 noborder\n",
            xlo, xhi, se->n - 1);
    /* the first variant on top: an inverted range (gnuplot 5.4 ignores "reverse" on a range
     * given explicitly); a zero, or a bar shorter than mark, drawn mark long */
    fprintf(s,
            "mark = %.9g\n"
            "bar_lo(v) = v == 0 ? -mark / 2 : v < 0 ? (v > -mark ? -mark : v) : 0\n"
            "bar_hi(v) = v == 0 ? mark / 2 : v > 0 ? (v < mark ? mark : v) : 0\n"
            "plot ",
            (xhi - xlo) * 4 / plot_w);
    fprintf(s,
            "data index %d using 3:2:(bar_lo($3)):(bar_hi($3)):($2-0.32):($2+0.32):6:ytic(1) "
            "with boxxyerror lc rgb variable notitle",
            index);
    /* the interval (columns lo, hi after the value) as horizontal error bars */
    if (se->lo)
        fprintf(s,
                ", \\\n     data index %d using 3:2:4:5 with xerrorbars pt 0 "
                "lc rgb 'black' notitle",
                index);
    fprintf(s,
            ", \\\n     data index %d using ($3 < 0 ? NaN : ($5 > bar_hi($3) ? $5 : bar_hi($3))):"
            "2:7 with labels left offset char 0.5,0 notitle"
            ", \\\n     data index %d using ($3 >= 0 ? NaN : ($4 < bar_lo($3) ? $4 : bar_lo($3))):"
            "2:7 with labels right offset char -0.5,0 notitle\n",
            index, index);
}

/* The legend as the cairo figures draw it: the first panel's labelled series (a bar chart's
 * series 1..) left to right from the left edge, wrapping at the page's width, under the title;
 * samples and names placed in screen coordinates, so that no panel is shrunk or covered. Text
 * widths are estimated (DejaVu Sans at 9 points: at most about 6.2 points a character). Returns the
 * rows used; s NULL: only counts them. */
static int write_legend(FILE *s, const struct sekit_figure *f, double wpt, double hpt)
{
    const struct sekit_panel *p = &f->panels[0];
    double x = 20, y = 46;
    int rows = 0;
    for (int k = f->bars ? 1 : 0; k < p->nseries; k++) {
        const struct sekit_series *se = &p->series[k];
        if (!se->label) continue;
        const double need = 30 + 6.2 * (double)strlen(se->label) + 16;
        if (x + need > wpt - 20 && x > 20) x = 20, y += 16;
        rows = (int)((y - 46) / 16) + 1;
        if (!s) {
            x += need;
            continue;
        }
        char hex[8];
        color_hex(se->color, hex);
        const double yc = 1 - y / hpt;
        if (f->bars)
            fprintf(s,
                    "set object rectangle from screen %.4f,%.4f to screen %.4f,%.4f "
                    "fc rgb '%s' fs solid 1.0 noborder front\n",
                    (x + 4) / wpt, yc - 4 / hpt, (x + 22) / wpt, yc + 4 / hpt, hex);
        else
            fprintf(s,
                    "set arrow from screen %.4f,%.4f to screen %.4f,%.4f nohead lw 1.5 dt %d "
                    "lc rgb '%s' front\n",
                    x / wpt, yc, (x + 26) / wpt, yc, se->dashed ? 2 : 1, hex);
        fprintf(s, "set label ");
        gp_string(s, se->label);
        fprintf(s, " at screen %.4f,%.4f left front\n", (x + 32) / wpt, yc);
        x += need;
    }
    return rows;
}

int sekit_plot_gnuplot(const struct sekit_figure *f, const char *dir, const char *name,
                       struct sekit_err *e)
{
    if (!plain_name(name))
        return sekit_errf(e, SEKIT_EINVAL,
                          "'%.64s': a gnuplot script's name is letters, digits, '.', '_' and '-'",
                          name);
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0755) != 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
    char dat[4096], gp[4096];
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, name);
    snprintf(gp, sizeof gp, "%s/%s.gp", dir, name);
    struct sekit_plot_file df, sf;
    int rc = sekit_plot_file_open(&df, dat, e);
    if (rc) return rc;
    if ((rc = sekit_plot_file_open(&sf, gp, e))) {
        sekit_plot_file_discard(&df);
        return rc;
    }
    FILE *s = sf.f;
    write_data(df.f, f, name);
    int cols = f->bars ? 1 : (f->columns > 0 ? f->columns : 3);
    if (cols > f->npanels) cols = f->npanels;
    int rows = (f->npanels + cols - 1) / cols;
    /* a bar chart's category names need the width a panel grid does not, rotated category
     * labels and per-panel legends the height */
    int cat = 0;
    size_t longest = 0;
    for (int p = 0; p < f->npanels; p++) {
        cat |= f->panels[p].xticklabels != NULL;
        for (int i = 0; f->bars && f->panels[p].xticklabels && i < f->panels[p].series[0].n; i++)
            if (strlen(f->panels[p].xticklabels[i]) > longest)
                longest = strlen(f->panels[p].xticklabels[i]);
    }
    const int tall = cat && !f->bars;
    int nticks = 0; /* a categorical axis needs room for its names along it */
    for (int p = 0; tall && p < f->npanels; p++)
        if (f->panels[p].xticklabels && f->panels[p].series[0].n > nticks)
            nticks = f->panels[p].series[0].n;
    /* a bar chart's panels stack, each as tall as its bars would like (as the cairo chart) */
    double bars_natural = 0;
    for (int p = 0; f->bars && p < f->npanels; p++)
        bars_natural += bar_panel_points(f, p);
    /* the page in points: the figure's size when it has one */
    const double wpt = f->width > 0 ? f->width
                       : f->bars    ? 576
                                    : cols * fmax(288, 18.0 * nticks + 90);
    const int legend_rows = write_legend(NULL, f, wpt, 1);
    const double head = 70 + 16.0 * legend_rows, hpt = f->height > 0 ? f->height
                                                       : f->bars     ? head + bars_natural
                                                                 : head + 216.0 * rows + 40 * tall;
    fprintf(
        s,
        "# gnuplot script written by sekit: %s.gp redraws the figure from %s.dat, read from\n"
        "# this script's directory whatever the working directory.\n"
        "#   gnuplot DIR/%s.gp                   writes DIR/%s-gnuplot.png\n"
        "#   gnuplot -e 'fmt=\"pdf\"' DIR/%s.gp    writes DIR/%s-gnuplot.pdf (fmt=\"svg\": .svg)\n"
        "# sekit itself renders through it with sekit_out set to the figure it writes.\n"
        "if (!exists(\"fmt\")) fmt = \"png\"\n"
        "here = \"\"\n"
        "do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq \"/\") { here = ARG0[1:i] } }\n"
        "# a relative directory as ./DIR/: a name starting '<' or '|' is a command to gnuplot\n"
        "if (here[1:1] ne \"/\") { here = \"./\" . here }\n"
        "data = here . ",
        name, name, name, name, name, name);
    char file[4200];
    snprintf(file, sizeof file, "%s.dat", name);
    gp_string(s, file);
    /* PNG at 2 pixels per point, as sekit's own PNGs */
    fprintf(s,
            "\nif (fmt eq \"png\") {\n"
            "    set terminal pngcairo noenhanced font 'DejaVu Sans,9' fontscale 2 linewidth 2 "
            "size %.0f,%.0f\n"
            "} else { if (fmt eq \"pdf\") {\n"
            "    set terminal pdfcairo noenhanced font 'DejaVu Sans,9' size %.9gin,%.9gin\n"
            "} else { if (fmt eq \"svg\") {\n"
            "    set terminal svg noenhanced font 'DejaVu Sans,9' size %.0f,%.0f\n"
            "} else {\n"
            "    print \"fmt is png, pdf or svg, not \" . fmt\n"
            "    exit status 1\n"
            "} } }\n"
            "set output (exists(\"sekit_out\") ? sekit_out : here . ",
            2 * wpt, 2 * hpt, wpt / 72, hpt / 72, wpt, hpt);
    snprintf(file, sizeof file, "%s-gnuplot.", name);
    gp_string(s, file);
    fprintf(s, " . fmt)\n");
    fprintf(s, "set datafile separator whitespace\nset grid lc rgb '#dddddd'\nunset key\n");
    /* drawn with the first panel, then removed, so that it is drawn once */
    write_legend(s, f, wpt, hpt);
    /* rotated category labels need room under the axes; a bar chart's names room on the left;
     * the title, legend and axis labels the same points whatever the page's height */
    const double left = f->bars ? fmin(0.55, (longest * 6.0 + 30) / wpt) : 0.1,
                 top = 1 - (head + (rows > 1 ? 0 : 8)) / hpt,
                 bottom = (f->bars ? 48.0
                           : tall  ? 84.0
                                   : 52.0) /
                          hpt;
    if (f->bars) {
        /* stacked panels of their own heights: each placed by its margins on the page */
        fprintf(s, "set multiplot title ");
    } else {
        fprintf(s, "set multiplot layout %d,%d margins %.3f,%.3f,%.3f,%.3f spacing 0.1,%.3f title ",
                rows, cols, left, cat ? 0.94 : 0.97, bottom, top, (tall ? 120.0 : 80.0) / hpt);
    }
    gp_string(s, f->title ? f->title : "");
    fputc('\n', s);
    double y = head; /* a bar panel's top, points from the page's top */
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        const int ti = pa->xticklabels ? 1 : 0; /* tick-label column shifts data columns by one */
        fprintf(s, "set title ");
        gp_string(s, pa->title ? pa->title : "");
        fprintf(s, "\nset xlabel ");
        gp_string(s, pa->xlabel ? pa->xlabel : "");
        fprintf(s, "\nset ylabel ");
        gp_string(s, pa->ylabel ? pa->ylabel : "");
        fputc('\n', s);
        if (f->bars) {
            const double h = (hpt - head) * bar_panel_points(f, p) / bars_natural;
            fprintf(s,
                    "set lmargin at screen %.4f\nset rmargin at screen 0.94\n"
                    "set tmargin at screen %.4f\nset bmargin at screen %.4f\n",
                    left, 1 - (y + 30) / hpt, 1 - (y + h - 52) / hpt);
            y += h;
            write_bars(s, pa, p, wpt * (0.94 - left));
            fprintf(s, "unset arrow\nunset label\nunset object\n");
            continue;
        }
        if (pa->ymin < pa->ymax)
            fprintf(s, "set yrange [%g:%g]\n", pa->ymin, pa->ymax);
        else
            fprintf(s, "set autoscale y\n");
        fprintf(s, "%s", ti ? "set xtics rotate by -45\n" : "set xtics autofreq norotate\n");
        /* the axis spans the channels drawn, as the cairo figure's does */
        double x0 = 0, x1 = 0;
        for (int k = 0; !ti && k < pa->nseries; k++)
            for (int i = 0; i < pa->series[k].n; i++) {
                double x = pa->series[k].x ? pa->series[k].x[i] : i;
                if ((k == 0 && i == 0) || x < x0) x0 = x;
                if ((k == 0 && i == 0) || x > x1) x1 = x;
            }
        if (!ti && x1 > x0)
            fprintf(s, "set xrange [%g:%g]\n", x0, x1);
        else
            fprintf(s, "set autoscale x\n");
        fprintf(s, "plot ");
        int col = 2 + ti;
        int first = 1;
        for (int k = 0; k < pa->nseries; k++) {
            const struct sekit_series *se = &pa->series[k];
            if (!se->n) continue;
            char hex[8];
            color_hex(se->color, hex);
            if (!first) fprintf(s, ", \\\n     ");
            first = 0;
            if (se->lo) {
                fprintf(s,
                        "data index %d using %d:%d:%d with filledcurves fs transparent "
                        "solid 0.22 lc rgb '%s' notitle, \\\n     ",
                        p, 1 + ti, col + 1, col + 2, hex);
            }
            fprintf(s, "data index %d using %d:%d%s with %s lw 1.5 dt %d lc rgb '%s' title ", p,
                    1 + ti, col, ti ? ":xtic(1)" : "",
                    se->points ? "linespoints pt 7 ps 0.5" : "lines", se->dashed ? 2 : 1, hex);
            gp_string(s, se->label ? se->label : "");
            col += se->lo ? 3 : 1;
        }
        fprintf(s, "\n%s", p == 0 ? "unset arrow\nunset label\nunset object\n" : "");
    }
    fprintf(s, "unset multiplot\n");
    /* the data first, so that a new script never reads an older figure's data */
    if ((rc = sekit_plot_file_commit(&df, e))) {
        sekit_plot_file_discard(&sf);
        return rc;
    }
    return sekit_plot_file_commit(&sf, e);
}

static int find_gnuplot(char *out, size_t n)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
    int found = 0;
    if (!copy) return 0;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, n, "%s/gnuplot", dir);
        found = access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

int sekit_plot_have_gnuplot(void)
{
    char exe[4096];
    return find_gnuplot(exe, sizeof exe);
}

/* gnuplot reports no write error, so a full disk or a file-size limit shows only as a figure cut
 * short: complete ones end as their format ends. */
static int complete_figure(int fd, const char *out)
{
    const char *ext = strrchr(out, '.');
    char tail[64];
    struct stat sb;
    ssize_t n = fstat(fd, &sb) == 0 && sb.st_size > 0
                    ? pread(fd, tail, sizeof tail,
                            sb.st_size > (off_t)sizeof tail ? sb.st_size - (off_t)sizeof tail : 0)
                    : -1;
    if (n <= 0) return 0;
    if (!strcasecmp(ext, ".png")) return n >= 8 && !memcmp(tail + n - 8, "IEND\xae\x42\x60\x82", 8);
    return memmem(tail, (size_t)n, !strcasecmp(ext, ".pdf") ? "%%EOF" : "</svg>",
                  !strcasecmp(ext, ".pdf") ? 5 : 6) != NULL;
}

/* Why a figure gnuplot wrote was cut short, as well as it can be told from outside. */
static const char *cut_reason(int fd)
{
    struct stat sb;
    struct rlimit rl;
    struct statvfs vf;
    if (fstat(fd, &sb) == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)sb.st_size >= rl.rlim_cur)
        return strerror(EFBIG);
    if (fstatvfs(fd, &vf) == 0 && vf.f_bavail == 0) return strerror(ENOSPC);
    return "gnuplot left the figure incomplete";
}

/* fd moved to 10 or above, clear of the descriptors gnuplot gets (2 and 3). */
static int above_stdio(int fd)
{
    if (fd < 0 || fd >= 10) return fd;
    const int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    return h;
}

/* Runs gnuplot on script with its stderr to log and the figure to fig, both inherited as
 * descriptors (the figure as /dev/fd/3: gnuplot opens no name sekit chose). Returns gnuplot's exit
 * status, or -1 when it could not be started or did not exit. */
static int spawn_gnuplot(const char *exe, const char *script, const char *out, int fig, int log)
{
    const char *ext = strrchr(out, '.');
    char set[64], arg[4200];
    snprintf(set, sizeof set, "fmt=\"%c%c%c\"; sekit_out=\"/dev/fd/3\"", tolower(ext[1]),
             tolower(ext[2]), tolower(ext[3]));
    /* a relative script as ./NAME: a name starting '-' would be an option */
    snprintf(arg, sizeof arg, "%s%s", script[0] == '/' ? "" : "./", script);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log, 2);
    posix_spawn_file_actions_adddup2(&fa, fig, 3);
    char *argv[] = {(char *)exe, "-e", set, arg, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ), st = 0;
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int sekit_plot_run_gnuplot(const char *script, const char *out, struct sekit_err *e)
{
    char exe[4096];
    if (!find_gnuplot(exe, sizeof exe))
        return sekit_errf(e, SEKIT_EINVAL,
                          "gnuplot is not installed (apt-get install gnuplot-nox), so %s cannot be "
                          "rendered",
                          script);
    const char *ext = strrchr(out, '.');
    if (!ext || (strcasecmp(ext, ".png") && strcasecmp(ext, ".pdf") && strcasecmp(ext, ".svg")))
        return sekit_errf(e, SEKIT_EINVAL, "%s: unknown figure type (use .png, .pdf or .svg)", out);
    /* the figure goes to a temporary of its own, moved into place only when complete, so that a
     * failed render leaves a figure that was there before untouched and two renders of one figure
     * do not write one file; the script finds its data itself. gnuplot's messages go to a file
     * next to the script, removed at once: it is read through its descriptor. */
    const size_t tn = strlen(out) + SEKIT_TMP_EXTRA, ln = strlen(script) + 4;
    char *tmp = malloc(tn), *logname = malloc(ln), *logtmp = malloc(ln + SEKIT_TMP_EXTRA);
    if (!tmp || !logname || !logtmp) {
        free(tmp), free(logname), free(logtmp);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    snprintf(logname, ln, "%s.log", script);
    int rc = SEKIT_OK, fd = sekit_tmp_create(out, tmp, tn), log = -1;
    if (fd >= 0 && (fd = above_stdio(fd)) < 0) unlink(tmp);
    if (fd < 0) rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", out, strerror(errno));
    if (!rc && (log = sekit_tmp_create(logname, logtmp, ln + SEKIT_TMP_EXTRA)) >= 0) {
        unlink(logtmp);
        log = above_stdio(log);
    }
    if (!rc && log < 0)
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", logname, strerror(errno));
    const int st = rc ? -1 : spawn_gnuplot(exe, script, out, fd, log);
    if (!rc && st != 0) {
        char first[300] = "";
        FILE *f = lseek(log, 0, SEEK_SET) == 0 ? fdopen(log, "r") : NULL;
        if (f) {
            while (fgets(first, sizeof first, f) && first[0] == '\n')
                ;
            fclose(f);
            log = -1;
        }
        first[strcspn(first, "\n")] = 0;
        rc = sekit_errf(e, SEKIT_EIO, "%s: gnuplot failed: %s", script,
                        first[0] ? first : "no message");
    }
    if (!rc && !complete_figure(fd, out))
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", out, cut_reason(fd));
    /* on disk before it takes the figure's name, as the cairo figures are */
    if (!rc && fsync(fd) != 0 && errno != EINVAL)
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", out, strerror(errno));
    if (log >= 0) close(log);
    if (fd >= 0) close(fd);
    /* whatever gnuplot wrote of a failed figure is not a figure */
    if (rc && fd >= 0) unlink(tmp);
    if (!rc && sekit_tmp_publish(tmp, out) != 0)
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", out, strerror(errno));
    free(tmp), free(logname), free(logtmp);
    return rc;
}
