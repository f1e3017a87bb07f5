/*
 * gnuplot.c -- every figure also as a gnuplot data file and script, for users who restyle
 * figures in gnuplot. The data file holds one block per panel (gnuplot's `index`), columns x then
 * y (and the band's low and high) per series; the script lays the panels out with multiplot.
 */
#include "plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int sekit_plot_gnuplot(const struct sekit_figure *f, const char *dir, const char *name,
                       const char *out, struct sekit_err *e)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0755) != 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create directory", dir);
    char dat[4096], gp[4096];
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, name);
    snprintf(gp, sizeof gp, "%s/%s.gp", dir, name);
    const char *ext = strrchr(out, '.');
    const char *term = ext && !strcasecmp(ext, ".pdf") ? "pdfcairo noenhanced font 'DejaVu Sans,9'"
                       : ext && !strcasecmp(ext, ".svg") ? "svg noenhanced font 'DejaVu Sans,11'"
                       : ext && !strcasecmp(ext, ".png")
                           ? "pngcairo noenhanced font 'DejaVu Sans,11'"
                           : NULL;
    if (!term)
        return sekit_errf(e, SEKIT_EINVAL, "%s: unknown figure type (use .png, .pdf or .svg)", out);
    FILE *d = fopen(dat, "w"), *s = d ? fopen(gp, "w") : NULL;
    if (!d || !s) {
        if (d) fclose(d);
        return sekit_errf(e, SEKIT_EIO, "%s: cannot write", d ? gp : dat);
    }
    fprintf(d, "# %s\n", f->title ? f->title : name);
    for (const char *c = f->note; c && *c; c++) {
        if (c == f->note) fputs("# ", d);
        fputc(*c, d);
        if (*c == '\n') fputs("# ", d);
    }
    if (f->note) fputc('\n', d);
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        fprintf(d, "# panel %d: %s\n# x", p, pa->title ? pa->title : "");
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
    int cols = f->bars ? 1 : (f->columns > 0 ? f->columns : 3);
    if (cols > f->npanels) cols = f->npanels;
    int rows = (f->npanels + cols - 1) / cols;
    fprintf(s, "# gnuplot script written by sekit: gnuplot %s.gp\n", name);
    /* the script runs from its own directory (data by bare name), so the output goes absolute */
    char absout[4096];
    if (out[0] == '/' || !getcwd(absout, sizeof absout - strlen(out) - 2))
        snprintf(absout, sizeof absout, "%s", out);
    else
        snprintf(absout + strlen(absout), sizeof absout - strlen(absout), "/%s", out);
    /* a bar chart's category names need the width a panel grid does not, rotated category
     * labels and per-panel legends the height */
    int cat = 0;
    for (int p = 0; p < f->npanels; p++)
        cat |= f->panels[p].xticklabels != NULL;
    const int tall = cat && !f->bars, pdf = ext && !strcasecmp(ext, ".pdf"),
              wide = f->bars ? 2 : cols;
    fprintf(s, "set terminal %s size %d,%d\nset output ", term, pdf ? 4 * wide : 420 * wide,
            pdf ? 3 * rows + 1 + tall : 300 * rows + 90 + 130 * tall);
    quoted(s, absout);
    /* When every panel draws the same series (Fig. 6, Fig. 7), one legend sits under the title,
     * in screen coordinates so that it does not shrink the first panel; otherwise each panel
     * carries its own. */
    int shared = 1;
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        shared &= pa->nseries == f->panels[0].nseries;
        for (int k = 0; shared && k < pa->nseries; k++) {
            const char *a = pa->series[k].label, *b = f->panels[0].series[k].label;
            shared &= (!a && !b) || (a && b && !strcmp(a, b));
        }
    }
    fprintf(s, "\nset datafile separator whitespace\nset grid lc rgb '#dddddd'\n");
    if (shared)
        fprintf(s, "set key at screen 0.5, screen %.3f center center horizontal samplen 2.5\n",
                rows > 1 ? 0.915 : 0.86);
    else
        fprintf(s, "set key inside top left opaque Left reverse samplen 2 font ',9'\n");
    /* rotated category labels need room under the axes */
    fprintf(s, "set multiplot layout %d,%d margins %.2f,%.2f,%.2f,%.2f spacing 0.1,0.16 title ",
            rows, cols, f->bars ? 0.3 : 0.1, cat ? 0.94 : 0.97, tall ? 0.22 : 0.14,
            rows > 1 ? 0.84 : 0.8);
    quoted(s, f->title ? f->title : "");
    fputc('\n', s);
    int ti = 0; /* tick-label column shifts data columns by one */
    for (int p = 0; p < f->npanels; p++) {
        const struct sekit_panel *pa = &f->panels[p];
        ti = pa->xticklabels ? 1 : 0;
        fprintf(s, "set title ");
        quoted(s, pa->title ? pa->title : "");
        fprintf(s, "\nset xlabel ");
        quoted(s, pa->xlabel ? pa->xlabel : "");
        fprintf(s, "\nset ylabel ");
        quoted(s, pa->ylabel ? pa->ylabel : "");
        fputc('\n', s);
        if (pa->ymin < pa->ymax)
            fprintf(s, "set yrange [%g:%g]\n", pa->ymin, pa->ymax);
        else
            fprintf(s, "set autoscale y\n");
        if (f->bars) {
            /* first variant on top, as in the cairo chart */
            fprintf(s,
                    "set style fill solid 0.9\nunset key\nset ytics nomirror\n"
                    "set yrange [-0.6:%d.6] reverse\n",
                    pa->series[0].n - 1);
            fprintf(s,
                    "plot '%s.dat' index %d using 3:0:(0):3:($0-0.32):($0+0.32):ytic(1) "
                    "with boxxyerror lc rgb '#0072b2' notitle\n",
                    name, p);
            continue;
        }
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
                        "'%s.dat' index %d using %d:%d:%d with filledcurves fs transparent "
                        "solid 0.22 lc rgb '%s' notitle, \\\n     ",
                        name, p, 1 + ti, col + 1, col + 2, hex);
            }
            fprintf(s, "'%s.dat' index %d using %d:%d%s with %s lw 1.5 dt %d lc rgb '%s' title ",
                    name, p, 1 + ti, col, ti ? ":xtic(1)" : "",
                    se->points ? "linespoints pt 7 ps 0.5" : "lines", se->dashed ? 2 : 1, hex);
            quoted(s, (p == 0 || !shared) && se->label ? se->label : "");
            col += se->lo ? 3 : 1;
        }
        fprintf(s, "\n%s", p == 0 && shared ? "unset key\n" : "");
    }
    fprintf(s, "unset multiplot\n");
    int bad = ferror(d) || ferror(s);
    bad |= fclose(d) != 0;
    bad |= fclose(s) != 0;
    return bad ? sekit_errf(e, SEKIT_EIO, "%s: write error", dat) : SEKIT_OK;
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

int sekit_plot_run_gnuplot(const char *script, const char *out, struct sekit_err *e)
{
    char exe[4096];
    if (!find_gnuplot(exe, sizeof exe))
        return sekit_errf(e, SEKIT_EINVAL,
                          "gnuplot is not installed (apt-get install gnuplot-nox), so %s cannot be "
                          "rendered",
                          script);
    char log[4200];
    snprintf(log, sizeof log, "%s.log", script);
    /* gnuplot resolves the script's data file names from its working directory: the child
     * starts in the script's directory (the library never changes its own) */
    char *dir = strdup(script), *slash = dir ? strrchr(dir, '/') : NULL;
    if (!dir) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {exe, (char *)script, NULL};
    if (slash) {
        *slash = 0;
        posix_spawn_file_actions_addchdir_np(&fa, slash == dir ? "/" : dir);
        argv[1] = slash + 1;
    }
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int st = 0;
    if (rc == 0) waitpid(pid, &st, 0);
    free(dir);
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
        if (out) unlink(out);
        return sekit_errf(e, SEKIT_EIO, "%s: gnuplot failed: %s", script,
                          first[0] ? first : "no message");
    }
    unlink(log);
    return SEKIT_OK;
}
