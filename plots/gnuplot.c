/*
 * gnuplot.c -- every figure also as a gnuplot data file and script, for users who restyle
 * figures in gnuplot. The data file holds one block per panel (gnuplot's `index`), columns x then
 * y (and the band's low and high) per series; the script lays the panels out with multiplot.
 */
#include "plot.h"

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

static void quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
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
 * "category" index value lo hi colour "value as printed", in the chart's order. */
static void write_data(FILE *d, const struct sekit_figure *f, const char *name)
{
    fprintf(d, "# %s\n", f->title ? f->title : name);
    for (const char *c = f->note; c && *c; c++) {
        if (c == f->note) fputs("# ", d);
        fputc(*c, d);
        if (*c == '\n') fputs("# ", d);
    }
    if (f->note) fputc('\n', d);
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        fprintf(d, "# panel %d: %s\n", p, pa->title ? pa->title : "");
        if (f->bars) {
            const struct sekit_series *se = &pa->series[0];
            fprintf(d, "# category index value lo hi rgb label\n");
            for (int i = 0; i < se->n; i++) {
                char val[32];
                sekit_plot_bar_value(se->y[i], val, sizeof val);
                quoted(d, pa->xticklabels ? pa->xticklabels[i] : "");
                fprintf(d, " %d %.9g %.9g %.9g %d \"%s\"\n", i, se->y[i],
                        se->lo ? se->lo[i] : se->y[i], se->hi ? se->hi[i] : se->y[i],
                        color_int(se->colors ? se->colors[i] : se->color), val);
            }
            fprintf(d, "\n\n");
            continue;
        }
        fprintf(d, "# x");
        for (int k = 0; k < pa->nseries; k++)
            if (pa->series[k].n)
                fprintf(d, pa->series[k].lo ? " \"%s\" lo hi" : " \"%s\"",
                        pa->series[k].label ? pa->series[k].label : "");
        fputc('\n', d);
        for (int i = 0; i < pa->series[0].n; i++) {
            if (pa->xticklabels) {
                quoted(d, pa->xticklabels[i]);
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

/* A bar chart: bars in the cairo chart's order (the first on top) and colours, a short mark for
 * a zero, each value printed past its bar and whisker. */
static void write_bars(FILE *s, const struct sekit_panel *pa, double plot_w)
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
    fprintf(s, "data index 0 using 3:2:(bar_lo($3)):(bar_hi($3)):($2-0.32):($2+0.32):6:ytic(1) "
               "with boxxyerror lc rgb variable notitle");
    /* the interval (columns lo, hi after the value) as horizontal error bars */
    if (se->lo)
        fprintf(s, ", \\\n     data index 0 using 3:2:4:5 with xerrorbars pt 0 "
                   "lc rgb 'black' notitle");
    fprintf(s,
            ", \\\n     data index 0 using ($3 < 0 ? NaN : ($5 > bar_hi($3) ? $5 : bar_hi($3))):"
            "2:7 with labels left offset char 0.5,0 notitle"
            ", \\\n     data index 0 using ($3 >= 0 ? NaN : ($4 < bar_lo($3) ? $4 : bar_lo($3))):"
            "2:7 with labels right offset char -0.5,0 notitle\n");
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
        quoted(s, se->label);
        fprintf(s, " at screen %.4f,%.4f left front\n", (x + 32) / wpt, yc);
        x += need;
    }
    return rows;
}

int sekit_plot_gnuplot(const struct sekit_figure *f, const char *dir, const char *name,
                       struct sekit_err *e)
{
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
    const int nbars = f->bars ? f->panels[0].series[0].n : 0;
    /* the page in points: the figure's size when it has one */
    const double wpt = f->width > 0 ? f->width
                       : f->bars    ? 576
                                    : cols * fmax(288, 18.0 * nticks + 90);
    const int legend_rows = write_legend(NULL, f, wpt, 1);
    const double head = 70 + 16.0 * legend_rows, hpt = f->height > 0 ? f->height
                                                       : f->bars
                                                           ? head + fmax(200, 90 + 15.0 * nbars)
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
        "data = here . ",
        name, name, name, name, name, name);
    char file[4200];
    snprintf(file, sizeof file, "%s.dat", name);
    quoted(s, file);
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
    quoted(s, file);
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
    fprintf(s, "set multiplot layout %d,%d margins %.3f,%.3f,%.3f,%.3f spacing 0.1,%.3f title ",
            rows, cols, left, cat ? 0.94 : 0.97, bottom, top, (tall ? 120.0 : 80.0) / hpt);
    quoted(s, f->title ? f->title : "");
    fputc('\n', s);
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        const int ti = pa->xticklabels ? 1 : 0; /* tick-label column shifts data columns by one */
        fprintf(s, "set title ");
        quoted(s, pa->title ? pa->title : "");
        fprintf(s, "\nset xlabel ");
        quoted(s, pa->xlabel ? pa->xlabel : "");
        fprintf(s, "\nset ylabel ");
        quoted(s, pa->ylabel ? pa->ylabel : "");
        fputc('\n', s);
        if (f->bars) {
            write_bars(s, pa, wpt * (0.94 - left));
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
            quoted(s, se->label ? se->label : "");
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
static int complete_figure(const char *path, const char *out)
{
    const char *ext = strrchr(out, '.');
    char tail[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) return 0;
    ssize_t n = fstat(fd, &sb) == 0 && sb.st_size > 0
                    ? pread(fd, tail, sizeof tail,
                            sb.st_size > (off_t)sizeof tail ? sb.st_size - (off_t)sizeof tail : 0)
                    : -1;
    close(fd);
    if (n <= 0) return 0;
    if (!strcasecmp(ext, ".png")) return n >= 8 && !memcmp(tail + n - 8, "IEND\xae\x42\x60\x82", 8);
    return memmem(tail, (size_t)n, !strcasecmp(ext, ".pdf") ? "%%EOF" : "</svg>",
                  !strcasecmp(ext, ".pdf") ? 5 : 6) != NULL;
}

/* Why a figure gnuplot wrote was cut short, as well as it can be told from outside. */
static const char *cut_reason(const char *path)
{
    struct stat sb;
    struct rlimit rl;
    struct statvfs vf;
    if (stat(path, &sb) == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)sb.st_size >= rl.rlim_cur)
        return strerror(EFBIG);
    if (statvfs(path, &vf) == 0 && vf.f_bavail == 0) return strerror(ENOSPC);
    return "gnuplot left the figure incomplete";
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
    char log[4200], tmp[4200], set[8600];
    snprintf(log, sizeof log, "%s.log", script);
    /* the figure goes to OUT.tmp, moved into place only when complete, so that a failed render
     * leaves a figure that was there before untouched; the script finds its data itself */
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    size_t o = (size_t)snprintf(set, sizeof set, "fmt=\"%c%c%c\"; sekit_out=\"", tolower(ext[1]),
                                tolower(ext[2]), tolower(ext[3]));
    for (const char *c = tmp; *c && o + 3 < sizeof set; c++) {
        if (*c == '"' || *c == '\\') set[o++] = '\\';
        set[o++] = *c;
    }
    snprintf(set + o, sizeof set - o, "\"");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {exe, "-e", set, (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int st = 0;
    if (rc == 0) waitpid(pid, &st, 0);
    if (rc != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char first[300] = "";
        FILE *f = fopen(log, "r");
        if (f) {
            while (fgets(first, sizeof first, f) && first[0] == '\n')
                ;
            fclose(f);
        }
        first[strcspn(first, "\n")] = 0;
        /* whatever gnuplot wrote of the figure is not a figure */
        unlink(tmp);
        return sekit_errf(e, SEKIT_EIO, "%s: gnuplot failed: %s", script,
                          first[0] ? first : "no message");
    }
    unlink(log);
    if (!complete_figure(tmp, out)) {
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", out, cut_reason(tmp));
        unlink(tmp);
        return rc;
    }
    /* on disk before it takes the figure's name, as the cairo figures are */
    int fd = open(tmp, O_RDONLY | O_CLOEXEC), err = 0;
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) err = errno;
    if (fd >= 0) close(fd);
    if (!err && rename(tmp, out) != 0) err = errno;
    if (err) {
        unlink(tmp);
        return sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", out, strerror(err));
    }
    return SEKIT_OK;
}
