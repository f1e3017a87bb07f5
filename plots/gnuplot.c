/*
 * gnuplot.c -- every figure also as a gnuplot data file and script, for users who restyle
 * figures in gnuplot. The data file holds one block per panel (gnuplot's `index`), columns x then
 * y (and the band's low and high) per series; the script lays the panels out with multiplot.
 */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
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

int sekit_plot_gnuplot(const struct sekit_figure *f, const char *dir, const char *name,
                       const char *out, struct sekit_err *e)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0755) != 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
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
    struct sekit_plot_file df, sf;
    int rc = sekit_plot_file_open(&df, dat, e);
    if (rc) return rc;
    if ((rc = sekit_plot_file_open(&sf, gp, e))) {
        sekit_plot_file_discard(&df);
        return rc;
    }
    FILE *d = df.f, *s = sf.f;
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
    fprintf(
        s,
        "set terminal %s size %d,%d\n"
        "# sekit sets sekit_out to a temporary name that it moves onto the figure once complete\n"
        "set output (exists(\"sekit_out\") ? sekit_out : ",
        term, pdf ? 4 * wide : 420 * wide,
        pdf ? 3 * rows + 1 + tall : 300 * rows + 90 + 130 * tall);
    quoted(s, absout);
    fputc(')', s);
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
            /* first variant on top, as in the cairo chart: an inverted range (gnuplot 5.4
             * ignores "reverse" on a range given explicitly) */
            fprintf(s,
                    "set style fill solid 0.9\nunset key\nset ytics nomirror\n"
                    "set yrange [%d.6:-0.6]\n",
                    pa->series[0].n - 1);
            fprintf(s,
                    "plot '%s.dat' index %d using 3:0:(0):3:($0-0.32):($0+0.32):ytic(1) "
                    "with boxxyerror lc rgb '#0072b2' notitle",
                    name, p);
            /* the interval (columns lo, hi after the value) as horizontal error bars */
            if (pa->series[0].lo)
                fprintf(s,
                        ", \\\n     '%s.dat' index %d using 3:0:4:5 with xerrorbars pt 0 "
                        "lc rgb 'black' notitle",
                        name, p);
            fputc('\n', s);
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
    char log[4200], tmp[4200], setout[8500];
    snprintf(log, sizeof log, "%s.log", script);
    /* the figure goes to OUT.tmp (absolute: gnuplot runs elsewhere), moved into place only when
     * complete, so that a failed render leaves a figure that was there before untouched */
    if (out && out[0] != '/' && getcwd(tmp, sizeof tmp - strlen(out) - 6))
        snprintf(tmp + strlen(tmp), sizeof tmp - strlen(tmp), "/%s.tmp", out);
    else if (out)
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
    size_t o = (size_t)snprintf(setout, sizeof setout, "sekit_out=\"");
    for (const char *c = tmp; out && *c && o + 3 < sizeof setout; c++) {
        if (*c == '"' || *c == '\\') setout[o++] = '\\';
        setout[o++] = *c;
    }
    snprintf(setout + o, sizeof setout - o, "\"");
    /* gnuplot resolves the script's data file names from its working directory: the child
     * starts in the script's directory (the library never changes its own) */
    char *dir = strdup(script), *slash = dir ? strrchr(dir, '/') : NULL;
    if (!dir) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {exe, "-e", setout, (char *)script, NULL};
    if (!out) argv[1] = (char *)script, argv[2] = NULL;
    if (slash) {
        *slash = 0;
        posix_spawn_file_actions_addchdir_np(&fa, slash == dir ? "/" : dir);
        argv[out ? 3 : 1] = slash + 1;
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
        if (out) unlink(tmp);
        return sekit_errf(e, SEKIT_EIO, "%s: gnuplot failed: %s", script,
                          first[0] ? first : "no message");
    }
    unlink(log);
    if (!out) return SEKIT_OK;
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
