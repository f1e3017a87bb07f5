/*
 * t-plots.c -- `sekit plot` and `sekit stats` end to end on recordings this test makes (the
 * golden timm_basic_small model on an IDX dataset it writes):
 *   - every figure (inter-class, intra-class, depth, ablation) as PNG, PDF and SVG: a valid file
 *     of plausible size; the PNG decoded and checked pixel by pixel (ink coverage, the palette
 *     colours of the curves present);
 *   - the gnuplot scripts render when gnuplot is installed (skipped otherwise); each, run by
 *     gnuplot from another working directory, finds its data and writes NAME-gnuplot.png (or
 *     with fmt="pdf" a PDF) next to itself, leaving a cairo figure of the same name untouched;
 *   - the ablation chart of --mode both, in cairo and in gnuplot: a legend, then every variant
 *     (zero changes as visible marks) in the table's order, removals and mean-frozen variants in
 *     their own colours, labelled "frozen at mean", each with its printed value; a library-drawn
 *     chart of +2, -1 and 0 with each value printed past its bar's end;
 *   - no directory in any figure: the same bytes from inputs copied into another directory, and
 *     scripts and data naming the input by its file name;
 *   - intra-class figures of 4 and 5 classes in as many colours; Fig. 7's subtitle counting the
 *     images of its two classes; the depth figure's y axes from 0; --title, --size (PNG pixels,
 *     PDF points, through gnuplot too), --channels, and their bad values refused in one line;
 *   - bad input: an HDF5 file sekit did not write, a missing group, a newer format_version,
 *     unknown classes and blocks (the available ones listed), one class for an inter-class
 *     figure, an unknown extension, gnuplot asked for but missing: one line, non-zero exit, no
 *     output left behind;
 *   - the library under a file-size limit (RLIMIT_FSIZE in a forked child, SIGXFSZ ignored), for
 *     every format, the gnuplot script and data, and gnuplot's own render: an error naming the file
 * with "File too large", nothing under the final name, no temporary, and a figure drawn before
 * unchanged.
 */
#include "../ablation/ablation.h"
#include "../plots/figures.h"
#include "../plots/plot.h"
#include "fixture.h"
#include "tap.h"

#include <cairo.h>
#include <ctype.h>
#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char model[800], data[600], rec[700], all[700], abl[700], abl2[700];

static char *slurp(const char *path, size_t *n)
{
    return (char *)fixture_slurp(path, n);
}

static int count(const char *hay, size_t n, const char *needle)
{
    int c = 0;
    size_t l = strlen(needle);
    for (const char *p = hay; p && (p = memmem(p, (size_t)(hay + n - p), needle, l)); p += l)
        c++;
    return c;
}

/* A PNG figure: decodes, at least 1000 x 500 (drawn at 2x), ink on 2..60% of the pixels, and
 * at least `colours` palette colours each on 40 or more pixels (the curves, bars or bands). */
static void check_png(const char *path, int colours, const char *what)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (!ok(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s: PNG decodes", what)) {
        cairo_surface_destroy(s);
        return;
    }
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    int64_t ink = 0, hits[8] = {0};
    int pal[8][3];
    for (int i = 0; i < 8; i++) {
        double rgb[3];
        sekit_plot_color(i, rgb);
        for (int c = 0; c < 3; c++)
            pal[i][c] = (int)lround(rgb[c] * 255);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v = *(const uint32_t *)(px + (size_t)y * stride + 4 * (size_t)x);
            int r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255, a = (int)(v >> 24);
            if (a > 0 && (r < 235 || g < 235 || b < 235)) ink++;
            for (int i = 0; i < 8; i++)
                if (abs(r - pal[i][0]) + abs(g - pal[i][1]) + abs(b - pal[i][2]) < 12) hits[i]++;
        }
    double cover = (double)ink / ((double)w * h);
    int present = 0;
    for (int i = 0; i < 8; i++)
        present += hits[i] >= 40;
    ok(w >= 1000 && h >= 500, "%s: %d x %d pixels", what, w, h);
    ok(cover > 0.02 && cover < 0.6, "%s: ink on %.1f%% of the pixels", what, 100 * cover);
    if (!ok(present >= colours, "%s: %d palette colours drawn (want >= %d)", what, present,
            colours))
        for (int i = 0; i < 8; i++)
            diag("palette %d (%02x%02x%02x): %lld pixels", i, pal[i][0], pal[i][1], pal[i][2],
                 (long long)hits[i]);
    cairo_surface_destroy(s);
}

static void check_pdf(const char *path, const char *what)
{
    size_t n;
    char *b = slurp(path, &n);
    ok(b && n > 4000 && !memcmp(b, "%PDF-", 5) &&
           memmem(b + (n > 64 ? n - 64 : 0), 64, "%%EOF", 5) && count(b, n, "/Type /Page") >= 1,
       "%s: a one-page PDF of %zu bytes", what, n);
    free(b);
}

static void check_svg(const char *path, const char *what)
{
    size_t n;
    char *b = slurp(path, &n);
    int paths = b ? count(b, n, "<path") : 0;
    ok(b && !memcmp(b, "<?xml", 5) && strstr(b, "<svg") && strstr(b, "</svg>") && paths > 30,
       "%s: an SVG of %zu bytes with %d paths", what, n, paths);
    free(b);
}

static int make_inputs(void)
{
    char cmd[3000];
    int lines;
    snprintf(rec, sizeof rec, "%s/classes.h5", tap_tmpdir());
    snprintf(all, sizeof all, "%s/all.h5", tap_tmpdir());
    snprintf(abl, sizeof abl, "%s/abl", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --classes Trouser,Pullover,Sneaker,Bag "
             "--per-class 40 --out '%s' --quiet",
             model, data, rec);
    int good = fixture_run(cmd, &lines) == 0;
    snprintf(cmd, sizeof cmd, "record --model '%s' --data '%s' --per-class 20 --out '%s' --quiet",
             model, data, all);
    good = good && fixture_run(cmd, &lines) == 0;
    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --variants single,stage --out '%s' --quiet", model,
             data, abl);
    good = good && fixture_run(cmd, &lines) == 0;
    snprintf(abl2, sizeof abl2, "%s/abl2", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "ablate --model '%s' --data '%s' --variants single,stage --mode both --out '%s' "
             "--quiet",
             model, data, abl2);
    good = good && fixture_run(cmd, &lines) == 0;
    if (!ok(good, "recordings of 4 classes and of all classes, and two ablations"))
        diag("%s", fixture_stderr());
    snprintf(abl, sizeof abl, "%s/abl.h5", tap_tmpdir());
    snprintf(abl2, sizeof abl2, "%s/abl2.h5", tap_tmpdir());
    return good;
}

static void figures(void)
{
    const struct {
        const char *figure, *input, *extra;
        int colours;
    } f[] = {
        {"inter-class", rec, "", 4},
        {"inter-class", rec, "--all ALL", 4},
        {"intra-class", rec, "--classes Trouser,Bag", 2},
        {"depth", rec, "", 6},
        {"ablation", abl, "", 1},
    };
    const char *ext[3] = {"png", "pdf", "svg"};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        for (int x = 0; x < 3; x++) {
            char out[760], cmd[3000], extra[800], what[160];
            int lines;
            snprintf(out, sizeof out, "%s/%s-%zu.%s", tap_tmpdir(), f[i].figure, i, ext[x]);
            snprintf(extra, sizeof extra, "%s", f[i].extra);
            if (strstr(extra, "ALL")) snprintf(extra, sizeof extra, "--all '%s'", all);
            snprintf(cmd, sizeof cmd, "plot '%s' --figure %s --out '%s' %s", f[i].input,
                     f[i].figure, out, extra);
            snprintf(what, sizeof what, "%s %s%s", f[i].figure, ext[x],
                     f[i].extra[0] ? " (with --all)" : "");
            if (!is_int(fixture_run(cmd, &lines), 0, "%s: sekit plot succeeds", what)) {
                diag("%s", fixture_stderr());
                continue;
            }
            if (x == 0)
                check_png(out, f[i].colours, what);
            else if (x == 1)
                check_pdf(out, what);
            else
                check_svg(out, what);
        }
}

static void gnuplot(void)
{
    if (!sekit_plot_have_gnuplot()) {
        skip("gnuplot is not installed (apt-get install gnuplot-nox)");
        return;
    }
    const char *figs[4] = {"inter-class", "intra-class", "depth", "ablation"};
    for (int i = 0; i < 4; i++) {
        char out[760], dir[700], cmd[3000], p[800];
        int lines;
        snprintf(dir, sizeof dir, "%s/gp", tap_tmpdir());
        snprintf(out, sizeof out, "%s/gp-%s.png", tap_tmpdir(), figs[i]);
        snprintf(cmd, sizeof cmd,
                 "plot '%s' --figure %s --engine gnuplot --gnuplot '%s' --out '%s'",
                 i == 3 ? abl : rec, figs[i], dir, out);
        if (!is_int(fixture_run(cmd, &lines), 0, "gnuplot renders %s", figs[i])) {
            diag("%s", fixture_stderr());
            continue;
        }
        snprintf(p, sizeof p, "%s/%s.gp", dir, figs[i]);
        int both = access(p, R_OK) == 0;
        snprintf(p, sizeof p, "%s/%s.dat", dir, figs[i]);
        both &= access(p, R_OK) == 0;
        ok(both, "%s: the .gp script and .dat data are in --gnuplot DIR", figs[i]);
        cairo_surface_t *s = cairo_image_surface_create_from_png(out);
        int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
        ok(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && w >= 400 && h >= 300,
           "%s: gnuplot's PNG decodes (%d x %d)", figs[i], w, h);
        cairo_surface_destroy(s);
    }
}

static int copy_file(const char *from, const char *to)
{
    size_t n;
    char *b = slurp(from, &n);
    int good = b && fixture_spit(to, b, n);
    free(b);
    return good;
}

/* Damaged copies of the recording: no /excitation group; format_version 99; and an HDF5 file
 * sekit did not write. */
static void make_bad_files(char *nogroup, char *newer, char *foreign, char *text, size_t n)
{
    snprintf(nogroup, n, "%s/nogroup.h5", tap_tmpdir());
    snprintf(newer, n, "%s/newer.h5", tap_tmpdir());
    snprintf(foreign, n, "%s/foreign.h5", tap_tmpdir());
    snprintf(text, n, "%s/notes.h5", tap_tmpdir());
    copy_file(rec, nogroup);
    copy_file(rec, newer);
    hid_t f = H5Fopen(nogroup, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f >= 0) H5Ldelete(f, "excitation", H5P_DEFAULT), H5Fclose(f);
    f = H5Fopen(newer, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f >= 0) {
        hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
        long long v = 99;
        H5Awrite(a, H5T_NATIVE_LLONG, &v);
        H5Aclose(a);
        H5Fclose(f);
    }
    f = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d = 4;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t ds =
        H5Dcreate2(f, "activations", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    float z[4] = {0};
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, z);
    H5Dclose(ds), H5Sclose(sp), H5Fclose(f);
    FILE *t = fopen(text, "w");
    if (t) fputs("not HDF5 at all\n", t), fclose(t);
}

static void bad_input(void)
{
    char nogroup[700], newer[700], foreign[700], text[700], out[760], cmd[3000];
    make_bad_files(nogroup, newer, foreign, text, sizeof nogroup);
    snprintf(out, sizeof out, "%s/bad.png", tap_tmpdir());
    struct {
        const char *what, *input, *args, *needle;
    } cases[] = {
        {"an HDF5 file sekit did not write", foreign, "--figure depth", "not a sekit recording"},
        {"a file that is not HDF5", text, "--figure depth", "not an HDF5 file"},
        {"a recording without /excitation", nogroup, "--figure depth", "/excitation"},
        {"a newer format_version", newer, "--figure depth", "format_version 99"},
        {"an unknown class", rec, "--figure intra-class --classes Trouser,Jumper",
         "recorded: Trouser, Pullover, Sneaker, Bag"},
        {"an unknown block", rec, "--figure inter-class --blocks SE_3_2,SE_9_9",
         "SE_2_1, SE_2_2, SE_3_1, SE_3_2, SE_4_1, SE_4_2"},
        {"one class for an inter-class figure", rec, "--figure inter-class --classes Bag",
         "at least two classes"},
        {"an unknown figure", rec, "--figure fig8", "inter-class"},
        {"a recording passed as an ablation file", rec, "--figure ablation",
         "not a sekit ablation table"},
    };
    int lines;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "plot '%s' %s --out '%s'", cases[i].input, cases[i].args, out);
        int st = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(st, lines, cases[i].needle, out), "plot, %s: exit %d, one line",
           cases[i].what, st);
    }
    snprintf(cmd, sizeof cmd, "plot '%s' --figure depth --out '%s/fig.jpg'", rec, tap_tmpdir());
    char jpg[760];
    snprintf(jpg, sizeof jpg, "%s/fig.jpg", tap_tmpdir());
    int st = fixture_run(cmd, &lines);
    ok(fixture_clean_failure(st, lines, ".png, .pdf or .svg", jpg),
       "plot, an unknown extension: exit %d, one line", st);

    /* gnuplot asked for where there is none: nothing written, not even the scripts */
    char gdir[700], *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    snprintf(gdir, sizeof gdir, "%s/nogp", tap_tmpdir());
    setenv("PATH", tap_tmpdir(), 1);
    snprintf(cmd, sizeof cmd, "plot '%s' --figure depth --engine gnuplot --gnuplot '%s' --out '%s'",
             rec, gdir, out);
    st = fixture_run(cmd, &lines);
    if (path) setenv("PATH", path, 1);
    free(path);
    ok(fixture_clean_failure(st, lines, "gnuplot is not installed", out) && access(gdir, F_OK) != 0,
       "plot --engine gnuplot without gnuplot: exit %d, one line, no scripts", st);

    /* stats: nothing next to a bad recording */
    const char *inputs[3] = {foreign, nogroup, newer};
    const char *needles[3] = {"not a sekit recording", "/excitation", "format_version 99"};
    for (int i = 0; i < 3; i++) {
        char stats[760];
        snprintf(stats, sizeof stats, "%.*s.stats.h5", (int)strlen(inputs[i]) - 3, inputs[i]);
        snprintf(cmd, sizeof cmd, "stats '%s'", inputs[i]);
        st = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(st, lines, needles[i], stats),
           "stats on %s: exit %d, one line, no "
           "statistics file",
           strrchr(inputs[i], '/') + 1, st);
    }
}

/* A figure of three panels, each with two 60-point curves and a band: large enough in every
 * format to cross the limits below. */
static struct sekit_figure limit_figure(struct sekit_panel *panels, struct sekit_series *series,
                                        double *y, double *lo, double *hi)
{
    for (int i = 0; i < 60; i++) {
        y[i] = 0.5 + 0.4 * sin(i * 0.3);
        lo[i] = y[i] - 0.05, hi[i] = y[i] + 0.05;
        y[60 + i] = 0.5 + 0.3 * cos(i * 0.2);
    }
    series[0] = (struct sekit_series){"first", 60, NULL, y, lo, hi, 0, 0, 1, NULL};
    series[1] = (struct sekit_series){"second", 60, NULL, y + 60, NULL, NULL, 1, 1, 0, NULL};
    for (int p = 0; p < 3; p++)
        panels[p] = (struct sekit_panel){"SE_4_2", "channel", "gate", 0, 1, 2, series, NULL};
    return (struct sekit_figure){.title = "Limits",
                                 .note = "a figure for the file-size checks",
                                 .npanels = 3,
                                 .columns = 3,
                                 .panels = panels};
}

/* In a child under a file-size limit (0: none), draws the figure into dir/name: how 0 with
 * cairo, 1 as gnuplot script and data in dir, 2 rendered by gnuplot (script and data written to
 * dir/gp before the limit is set). Returns its status, its message in msg. */
static int limited(const char *dir, const char *name, int how, long limit, char *msg, size_t n)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        struct sekit_panel panels[3];
        struct sekit_series series[2];
        double y[120], lo[60], hi[60];
        struct sekit_figure f = limit_figure(panels, series, y, lo, hi);
        char path[900], gpdir[900], script[1000];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(gpdir, sizeof gpdir, "%s/gp", dir);
        snprintf(script, sizeof script, "%s/limits.gp", gpdir);
        struct sekit_err e = {0};
        int rc = how == 2 ? sekit_plot_gnuplot(&f, gpdir, "limits", &e) : 0;
        if (limit > 0) {
            struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (!rc)
            rc = how == 0   ? sekit_plot_render(&f, path, &e)
                 : how == 1 ? sekit_plot_gnuplot(&f, dir, "limits", &e)
                            : sekit_plot_run_gnuplot(script, path, &e);
        (void)!write(fd[1], e.msg, strlen(e.msg));
        _exit(rc);
    }
    close(fd[1]);
    size_t have = 0;
    ssize_t r;
    while (have < n - 1 && (r = read(fd[0], msg + have, n - 1 - have)) > 0)
        have += (size_t)r;
    msg[have] = 0;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The names in dir, space-separated, for the checks and their diagnostics. */
static void listing(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    out[0] = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_name[0] != '.' && strcmp(de->d_name, "gp")) /* gnuplot's script and data */
            snprintf(out + strlen(out), n - strlen(out), " %s", de->d_name);
    if (d) closedir(d);
}

static void file_size_limit(void)
{
    static const char *const ext[3] = {"png", "pdf", "svg"};
    const long limit = 4096;
    for (int x = 0; x < 5; x++) {
        char dir[700], name[32], path[760], msg[600], files[1024], sub[32];
        int how = x < 3 ? 0 : x - 2;
        if (how == 2 && !sekit_plot_have_gnuplot()) {
            skip("gnuplot is not installed: its render under a file-size limit");
            continue;
        }
        snprintf(sub, sizeof sub, "limit-%s", how == 1 ? "gp" : how == 2 ? "gnuplot" : ext[x]);
        snprintf(dir, sizeof dir, "%s/%s", tap_tmpdir(), sub);
        mkdir(dir, 0755);
        snprintf(name, sizeof name, "fig.%s", how ? "png" : ext[x]);
        snprintf(path, sizeof path, "%s/%s", dir, how == 1 ? "limits.dat" : name);
        const char *what = how == 1   ? "gnuplot script and data"
                           : how == 2 ? "gnuplot's PNG"
                                      : ext[x];

        int rc = limited(dir, name, how, limit, msg, sizeof msg);
        listing(dir, files, sizeof files);
        if (!ok(rc != 0 && strstr(msg, dir) && strstr(msg, "File too large"),
                "%s under a %ld-byte limit: an error naming the file with 'File too large'", what,
                limit))
            diag("   status %d, message: '%s'", rc, msg);
        if (!ok(!files[0], "%s under the limit: no file left (no figure, no temporary)", what))
            diag("   found:%s", files);

        /* a complete file first, then the limit again over it */
        rc = limited(dir, name, how, 0, msg, sizeof msg);
        size_t n;
        char *before = slurp(path, &n);
        if (!ok(rc == 0 && before && n > (size_t)limit,
                "%s without a limit: %zu bytes, over the limit", what, n))
            diag("   status %d, message: '%s'", rc, msg);
        rc = limited(dir, name, how, limit, msg, sizeof msg);
        size_t m;
        char *after = slurp(path, &m);
        listing(dir, files, sizeof files);
        ok(rc != 0 && after && m == n && !memcmp(before, after, n),
           "%s: a file that was there before is unchanged by a failed write", what);
        if (!ok(!strstr(files, ".tmp"), "%s: no temporary left over an existing file", what))
            diag("   found:%s", files);
        free(before), free(after);
    }

    /* a missing directory: the reason, and nothing drawn */
    char msg[600], dir[700];
    snprintf(dir, sizeof dir, "%s/no/such", tap_tmpdir());
    int rc = limited(dir, "fig.pdf", 0, 0, msg, sizeof msg);
    if (!ok(rc != 0 && strstr(msg, "no/such/fig.pdf") && strstr(msg, "No such file or directory"),
            "a figure in a missing directory: an error naming it with the reason"))
        diag("   status %d, message: '%s'", rc, msg);
}

/* ---- the figures' content: colours, order, values, axes, subtitles, options ---- */

static int near_color(uint32_t v, int i)
{
    double rgb[3];
    sekit_plot_color(i, rgb);
    int r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255;
    return abs(r - (int)lround(rgb[0] * 255)) + abs(g - (int)lround(rgb[1] * 255)) +
               abs(b - (int)lround(rgb[2] * 255)) <
           12;
}

/* A band of a bar chart: consecutive pixel rows holding 3 or more pixels of the removal's or the
 * mean's colour (up to 4 rows without, where a whisker crosses a short bar); its colour (palette
 * 0 or 1, the one with more pixels) and the x extent of it. */
struct band {
    int y0, y1, color, x0, x1;
};

/* The bands of PNG path top to bottom (the legend's swatches, then one per coloured bar). */
static int bands(const char *path, struct band *out, int max)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    int n = 0;
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(s);
        const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s),
                  stride = cairo_image_surface_get_stride(s);
        const unsigned char *px = cairo_image_surface_get_data(s);
        long cnt[2] = {0, 0};
        int open = 0, miss = 0;
        for (int y = 0; y <= h; y++) {
            int row[2] = {0, 0}, x0 = w, x1 = -1;
            for (int x = 0; y < h && x < w; x++) {
                const uint32_t v = *(const uint32_t *)(px + (size_t)y * stride + 4 * (size_t)x);
                for (int c = 0; c < 2; c++)
                    if (near_color(v, c)) {
                        row[c]++;
                        if (x < x0) x0 = x;
                        if (x > x1) x1 = x;
                    }
            }
            const int hit = row[0] + row[1] >= 3;
            if (hit && !open && n < max) {
                out[n] = (struct band){y, y, 0, x0, x1};
                cnt[0] = cnt[1] = 0;
                open = 1;
            }
            if (hit) miss = 0;
            if (hit && open) {
                struct band *b = &out[n];
                b->y1 = y;
                if (x0 < b->x0) b->x0 = x0;
                if (x1 > b->x1) b->x1 = x1;
                cnt[0] += row[0], cnt[1] += row[1];
                b->color = cnt[1] > cnt[0];
            }
            if (!hit && open && (++miss > 4 || y == h)) open = 0, n++;
        }
    }
    cairo_surface_destroy(s);
    return n;
}

/* Dark pixels (text, lines) of PNG path in rows [y0, y1] and columns [x0, x1). */
static long ink(const char *path, int y0, int y1, int x0, int x1)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    long n = 0;
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        const int w = cairo_image_surface_get_width(s), stride = cairo_image_surface_get_stride(s);
        const unsigned char *px = cairo_image_surface_get_data(s);
        for (int y = y0; y <= y1; y++)
            for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++) {
                const uint32_t v = *(const uint32_t *)(px + (size_t)y * stride + 4 * (size_t)x);
                n += ((v >> 16) & 255) + ((v >> 8) & 255) + (v & 255) < 300;
            }
    }
    cairo_surface_destroy(s);
    return n;
}

/* A bar chart drawn by the library: a positive, a negative and a zero bar, no intervals. Each
 * bar is seen (the zero one as a mark), and its value is printed past its end: right of a
 * positive or zero bar, left of a negative one. */
static void bar_values(void)
{
    double y[3] = {2, -1, 0};
    const char *names[3] = {"up", "down", "none"};
    struct sekit_series se = {"change", 3, NULL, y, NULL, NULL, 0, 0, 0, NULL};
    struct sekit_panel p = {"bars", "points", NULL, 0, 0, 1, &se, names};
    struct sekit_figure f = {
        .title = "Values", .npanels = 1, .columns = 1, .panels = &p, .bars = 1};
    char path[760];
    struct sekit_err e = {0};
    snprintf(path, sizeof path, "%s/values.png", tap_tmpdir());
    if (!is_int(sekit_plot_render(&f, path, &e), SEKIT_OK, "a bar chart of +2, -1 and 0: %s",
                e.msg))
        return;
    struct band b[8];
    const int n = bands(path, b, 8);
    if (!is_int(n, 3, "three bars seen, the zero one included (no legend: one series)")) return;
    ok(b[2].x1 - b[2].x0 >= 4 && b[2].y1 - b[2].y0 >= 10,
       "the zero bar is a mark of %d x %d pixels", b[2].x1 - b[2].x0 + 1, b[2].y1 - b[2].y0 + 1);
    ok(b[0].x0 < b[2].x0 + 4 && b[0].x1 > b[2].x1 + 100 && b[1].x1 < b[2].x1 &&
           b[1].x0 < b[2].x0 - 40,
       "the positive bar extends right of zero, the negative one left");
    const long right0 = ink(path, b[0].y0, b[0].y1, b[0].x1 + 2, b[0].x1 + 80),
               left1 = ink(path, b[1].y0, b[1].y1, b[1].x0 - 80, b[1].x0 - 1),
               right2 = ink(path, b[2].y0, b[2].y1, b[2].x1 + 2, b[2].x1 + 80);
    ok(right0 > 30 && left1 > 30 && right2 > 30,
       "each value printed past its bar's end: %ld, %ld and %ld dark pixels", right0, left1,
       right2);
    sekit_plot_bar_value(0, path, sizeof path);
    is_str(path, "0.00", "a zero prints as 0.00");
    sekit_plot_bar_value(-0.004, path, sizeof path);
    is_str(path, "0.00", "a rounding zero prints unsigned");
    sekit_plot_bar_value(1.25, path, sizeof path);
    is_str(path, "+1.25", "a gain prints with its sign");
}

/* The colours (palette 0 removal, 1 mean) of the ablated variants of table path in the chart's
 * order: single blocks, then sets of blocks (stages, last two, all), in the table's order within
 * each, for top-1 and again for top-5. */
static int variant_colors(const char *path, int *out, int max)
{
    struct sekit_ablation_table *t = NULL;
    struct sekit_err e = {0};
    int n = 0;
    if (sekit_ablation_read(&t, path, &e)) {
        diag("%s", e.msg);
        return 0;
    }
    for (int metric = 0; metric < 2; metric++)
        for (int sets = 0; sets < 2; sets++)
            for (int i = 1; i < t->n && n < max; i++) {
                int k = 0;
                for (int b = 0; b < t->nse; b++)
                    k += t->dropped[(size_t)i * t->nse + b];
                if ((k > 1) == sets) out[n++] = t->mode[i] == SEKIT_ABLATE_MEAN;
            }
    sekit_ablation_table_free(t);
    return n;
}

/* The --mode both chart in cairo and in gnuplot: a legend (one band of swatches), then every
 * variant as a band, zero changes included, single blocks and sets of blocks on panels of their
 * own, top-1 then top-5 (variant_colors), removals in palette 0 and mean-frozen variants in
 * palette 1; the labels say "frozen at mean", the values are in the gnuplot data. */
static void ablation_both(void)
{
    int want[128];
    const int nv = variant_colors(abl2, want, 128);
    int removed = 0, mean = 0;
    for (int i = 0; i < nv; i++)
        removed += !want[i], mean += want[i];
    if (!ok(removed > 0 && mean == removed,
            "the --mode both table: %d removals, %d mean-frozen "
            "(top-1 and top-5)",
            removed, mean))
        return;
    for (int engine = 0; engine < 2; engine++) {
        const char *name = engine ? "gnuplot" : "cairo";
        if (engine && !sekit_plot_have_gnuplot()) {
            skip("gnuplot is not installed: its --mode both chart");
            continue;
        }
        char out[760], dir[760], cmd[3000];
        int lines;
        snprintf(out, sizeof out, "%s/both-%s.png", tap_tmpdir(), name);
        snprintf(dir, sizeof dir, "%s/both-%s", tap_tmpdir(), name);
        snprintf(cmd, sizeof cmd,
                 "plot '%s' --figure ablation --out '%s' --engine %s --gnuplot '%s'", abl2, out,
                 name, dir);
        if (!is_int(fixture_run(cmd, &lines), 0, "%s: the --mode both chart", name)) {
            diag("%s", fixture_stderr());
            continue;
        }
        struct band b[160];
        const int n = bands(out, b, 160);
        int same = n == nv + 1;
        for (int i = 0; same && i < nv; i++)
            same = b[1 + i].color == want[i];
        if (!ok(same, "%s: a legend and %d bars in the table's order and colours (%d bands)", name,
                nv, n))
            for (int i = 0; i < n; i++)
                diag("band %d: rows %d-%d colour %d (want %d)", i, b[i].y0, b[i].y1, b[i].color,
                     i >= 1 && i <= nv ? want[i - 1] : -1);
        if (engine) continue;
        /* the data behind both: labels and printed values, one row per variant */
        char dat[800];
        snprintf(dat, sizeof dat, "%s/ablation.dat", dir);
        size_t len;
        char *d = slurp(dat, &len);
        ok(d && count(d, len, "(frozen at mean)\"") == mean && !strstr(d, "[mean]") &&
               count(d, len, "\"0.00\"") >= 1,
           "the chart labels %d variants 'frozen at mean' and prints each value", mean);
        int rows = 0, valued = 0;
        for (char *line = d; d && line && *line;
             line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
            if (*line != '"') continue;
            rows++;
            const char *end = strchr(line, '\n');
            const char *q = end ? end - 1 : line + strlen(line) - 1;
            valued += *q == '"';
        }
        is_int(rows == valued ? rows : -valued, nv,
               "every row of the chart's data has its value, each variant for top-1 and top-5");
        free(d);
    }
}

/* Every file of the gnuplot scripts run from another working directory: the script finds its
 * data, writes NAME-gnuplot.png next to itself (fmt="pdf": a PDF), and leaves the cairo figure of
 * the same name, in the same directory, byte for byte as it was. */
static void gnuplot_from_anywhere(void)
{
    if (!sekit_plot_have_gnuplot()) {
        skip("gnuplot is not installed (apt-get install gnuplot-nox)");
        return;
    }
    const char *figs[4] = {"inter-class", "intra-class", "depth", "ablation"};
    char dir[700], away[700];
    snprintf(dir, sizeof dir, "%s/scripts", tap_tmpdir());
    snprintf(away, sizeof away, "%s/elsewhere", tap_tmpdir());
    mkdir(dir, 0755);
    mkdir(away, 0755);
    for (int i = 0; i < 4; i++) {
        char cairo_fig[800], cmd[3000], gp[800], out[800];
        int lines;
        snprintf(cairo_fig, sizeof cairo_fig, "%s/%s.png", dir, figs[i]);
        snprintf(cmd, sizeof cmd, "plot '%s' --figure %s --out '%s' --gnuplot '%s'",
                 i == 3 ? abl : rec, figs[i], cairo_fig, dir);
        if (!is_int(fixture_run(cmd, &lines), 0,
                    "%s: cairo figure and gnuplot script in one directory", figs[i])) {
            diag("%s", fixture_stderr());
            continue;
        }
        size_t n0, gl;
        char *before = slurp(cairo_fig, &n0);
        snprintf(gp, sizeof gp, "%s/%s.gp", dir, figs[i]);
        char *script = slurp(gp, &gl);
        ok(script && strstr(script, "if (!exists(\"fmt\")) fmt = \"png\"") &&
               strstr(script, "set terminal pngcairo") && !strstr(script, tap_tmpdir()),
           "%s.gp: PNG by default, no directory written into it", figs[i]);
        free(script);
        snprintf(out, sizeof out, "%s/%s-gnuplot.png", dir, figs[i]);
        unlink(out);
        /* from another directory, by a relative path: gnuplot's ARG0 gives the script's own */
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot '../scripts/%s.gp' 2>'%s/gp.log'", away,
                 figs[i], tap_tmpdir());
        int st = system(cmd);
        cairo_surface_t *s = cairo_image_surface_create_from_png(out);
        const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
        if (!ok(st == 0 && cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && w >= 400 && h >= 300,
                "gnuplot scripts/%s.gp from another directory: %s-gnuplot.png, %d x %d", figs[i],
                figs[i], w, h)) {
            char log[800];
            snprintf(log, sizeof log, "%s/gp.log", tap_tmpdir());
            size_t ln;
            char *l = slurp(log, &ln);
            diag("status %d: %s", st, l ? l : "");
            free(l);
        }
        cairo_surface_destroy(s);
        size_t n1;
        char *after = slurp(cairo_fig, &n1);
        ok(before && after && n0 == n1 && !memcmp(before, after, n0),
           "%s: the cairo figure next to the script is unchanged", figs[i]);
        free(before), free(after);
        if (i != 2) continue;
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot -e 'fmt=\"pdf\"' '%s/depth.gp' 2>/dev/null",
                 away, dir);
        snprintf(out, sizeof out, "%s/depth-gnuplot.pdf", dir);
        st = system(cmd);
        size_t pn;
        char *pdf = slurp(out, &pn);
        ok(st == 0 && pdf && pn > 1000 && !memcmp(pdf, "%PDF-", 5),
           "gnuplot -e 'fmt=\"pdf\"' depth.gp: a PDF of %zu bytes", pdf ? pn : 0);
        free(pdf);
    }
}

/* Figures drawn from the same files in two directories are the same bytes: no directory reaches
 * any text of a figure, only file names. */
static void no_directories(void)
{
    char deep[700], rec2[760], abl3[760];
    snprintf(deep, sizeof deep, "%s/a", tap_tmpdir());
    mkdir(deep, 0755);
    snprintf(deep, sizeof deep, "%s/a/deeper", tap_tmpdir());
    mkdir(deep, 0755);
    snprintf(rec2, sizeof rec2, "%s/classes.h5", deep);
    snprintf(abl3, sizeof abl3, "%s/abl.h5", deep);
    if (!ok(copy_file(rec, rec2) && copy_file(abl, abl3), "copies of the inputs in a/deeper/"))
        return;
    const char *figs[4] = {"inter-class", "intra-class", "depth", "ablation"};
    for (int i = 0; i < 4; i++) {
        char a[900], b[900], cmd[3000], gdir[800];
        int lines, good = 1;
        snprintf(a, sizeof a, "%s/here-%s.png", tap_tmpdir(), figs[i]);
        snprintf(b, sizeof b, "%s/there-%s.png", tap_tmpdir(), figs[i]);
        snprintf(gdir, sizeof gdir, "%s/there-gp", tap_tmpdir());
        snprintf(cmd, sizeof cmd, "plot '%s' --figure %s --out '%s'", i == 3 ? abl : rec, figs[i],
                 a);
        good &= fixture_run(cmd, &lines) == 0;
        snprintf(cmd, sizeof cmd, "plot '%s' --figure %s --out '%s' --gnuplot '%s'",
                 i == 3 ? abl3 : rec2, figs[i], b, gdir);
        good &= fixture_run(cmd, &lines) == 0;
        size_t na, nb, nd, ng;
        char *fa = slurp(a, &na), *fb = slurp(b, &nb);
        if (!ok(good && fa && fb && na == nb && !memcmp(fa, fb, na),
                "%s: the same figure from a/deeper/ as from the test directory", figs[i]))
            diag("%s", fixture_stderr());
        free(fa), free(fb);
        snprintf(a, sizeof a, "%s/%s.dat", gdir, figs[i]);
        snprintf(b, sizeof b, "%s/%s.gp", gdir, figs[i]);
        char *d = slurp(a, &nd), *g = slurp(b, &ng);
        ok(d && g && !strstr(d, tap_tmpdir()) && !strstr(g, tap_tmpdir()) && !strstr(d, "deeper") &&
               strstr(d, i == 3 ? "# abl.h5" : "# classes.h5, "),
           "%s: the gnuplot data and script name the input without its directory", figs[i]);
        free(d), free(g);
    }
}

/* Writes FIGURE of input with extra options into dir (the cairo figure out and --gnuplot dir);
 * returns the .dat file's text (malloc'd) or NULL when the command failed. */
static char *plot_data(const char *input, const char *figure, const char *extra, const char *tag,
                       char *out, size_t outn)
{
    char cmd[3000], dir[760], dat[800];
    int lines;
    snprintf(dir, sizeof dir, "%s/%s", tap_tmpdir(), tag);
    snprintf(out, outn, "%s/%s.png", tap_tmpdir(), tag);
    snprintf(cmd, sizeof cmd, "plot '%s' --figure %s --out '%s' --gnuplot '%s' %s", input, figure,
             out, dir, extra);
    if (fixture_run(cmd, &lines) != 0) {
        diag("%s", fixture_stderr());
        return NULL;
    }
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, figure);
    size_t n;
    return slurp(dat, &n);
}

/* The script next to a .dat of plot_data. */
static char *plot_script(const char *tag, const char *figure)
{
    char gp[800];
    size_t n;
    snprintf(gp, sizeof gp, "%s/%s/%s.gp", tap_tmpdir(), tag, figure);
    return slurp(gp, &n);
}

/* The distinct colours of the script's first panel's curves ("lc rgb '#rrggbb' title"). */
static int script_colors(const char *gp, int *distinct)
{
    char seen[16][8];
    int n = 0, total = 0;
    const char *p = strstr(gp, "set multiplot"), *stop = p ? strstr(p, "unset arrow") : NULL;
    for (p = p ? strstr(p, "lc rgb '#") : NULL; p && (!stop || p < stop);
         p = strstr(p + 1, "lc rgb '#")) {
        if (strncmp(p + 16, " title", 6) != 0) continue; /* bands, not curves */
        total++;
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= !strncmp(seen[i], p + 8, 7);
        if (!dup && n < 16) snprintf(seen[n++], 8, "%.7s", p + 8);
    }
    *distinct = n;
    return total;
}

static void class_colors(void)
{
    /* the fixture's four classes; then five of the ten, two beyond the palette's rows */
    struct {
        const char *input, *classes;
        int n;
    } c[2] = {{rec, "Trouser,Pullover,Sneaker,Bag", 4}, {all, "0,2,4,8,9", 5}};
    for (int k = 0; k < 2; k++) {
        char extra[200], tag[40], out[800];
        snprintf(extra, sizeof extra, "--classes %s", c[k].classes);
        snprintf(tag, sizeof tag, "intra-%d", c[k].n);
        char *d = plot_data(c[k].input, "intra-class", extra, tag, out, sizeof out);
        char *gp = plot_script(tag, "intra-class");
        if (!ok(d && gp, "an intra-class figure of %d classes", c[k].n)) {
            free(d), free(gp);
            continue;
        }
        int distinct = 0, curves = script_colors(gp, &distinct);
        ok(curves == c[k].n && distinct == c[k].n,
           "intra-class, %d classes: %d curves in %d colours", c[k].n, curves, distinct);
        char what[200];
        snprintf(what, sizeof what, "intra-class PNG of %d classes", c[k].n);
        check_png(out, c[k].n, what);
        free(d), free(gp);
    }
}

/* Fig. 7's subtitle counts the images of its classes: 40 of each in the fixture's recording. */
static void pair_count(void)
{
    char out[800];
    char *d = plot_data(rec, "intra-class", "--classes Trouser,Bag", "pair", out, sizeof out);
    ok(d && strstr(d, ", 80 images of the 2 classes drawn\n") && !strstr(d, "160 images"),
       "Fig. 7's subtitle: 80 images of the 2 classes drawn (not the file's 160)");
    if (d && !strstr(d, "80 images")) diag("%.300s", d);
    free(d);
}

/* The depth figure's y axes start at 0: class dependence, specificity, saturation. */
static void depth_axes(void)
{
    char out[800];
    char *d = plot_data(rec, "depth", "", "depth-axes", out, sizeof out);
    char *gp = plot_script("depth-axes", "depth");
    int n = 0, from0 = 0;
    for (const char *p = gp ? strstr(gp, "set yrange [") : NULL; p;
         p = strstr(p + 1, "set yrange [")) {
        n++;
        double lo, hi;
        from0 += sscanf(p, "set yrange [%lf:%lf]", &lo, &hi) == 2 && lo == 0 && hi > 0;
    }
    ok(n == 3 && from0 == 3, "depth: the three panels' y axes start at 0 (%d of %d)", from0, n);
    ok(gp && strstr(gp, "saturation (sigmoid gates)") && strstr(gp, "gates > 0.99 (%)"),
       "depth: the saturation panel names the recording's sigmoid gates");
    free(d), free(gp);
}

/* Hard-sigmoid blocks: the saturation panel says so and draws the shares exactly 1 and 0. */
static void depth_hard_sigmoid(void)
{
    struct sekit_block_stats st[2];
    memset(st, 0, sizeof st);
    for (int b = 0; b < 2; b++) {
        snprintf(st[b].name, sizeof st[b].name, "SE_1_%d", b + 1);
        snprintf(st[b].gate, sizeof st[b].gate, "hardsigmoid");
        st[b].sat_high = 0.5, st[b].sat_one = 0.25 * (b + 1), st[b].sat_zero = 0.125;
        st[b].ncm_chance = 0.1;
    }
    struct sekit_figure fig;
    struct sekit_err e = {0};
    if (!ok(sekit_figure_depth(&fig, st, 2, "test", &e) == 0, "depth of hard-sigmoid blocks: %s",
            e.msg))
        return;
    const struct sekit_panel *p = &fig.panels[2];
    ok(!strcmp(p->title, "saturation (hard-sigmoid gates)") && p->nseries == 3 &&
           !strcmp(p->series[1].label, "gates = 1 (%)") && p->series[1].y[1] == 50 &&
           !strcmp(p->series[2].label, "gates = 0 (%)") && p->series[2].y[0] == 12.5,
       "depth of hard-sigmoid blocks: the panel draws the shares exactly 1 and 0 (%s)", p->title);
    sekit_figure_free(&fig);
    snprintf(st[1].gate, sizeof st[1].gate, "sigmoid");
    if (ok(sekit_figure_depth(&fig, st, 2, "test", &e) == 0, "depth of mixed gates: %s", e.msg)) {
        p = &fig.panels[2];
        ok(!strcmp(p->title, "saturation (sigmoid and hard-sigmoid gates)") &&
               !strcmp(p->series[1].label, "gates > 0.99 (%)") && p->series[1].y[1] == 50,
           "depth of mixed gates: the thresholds, and the title names both (%s)", p->title);
        sekit_figure_free(&fig);
    }
}

/* --title, --size, --channels. */
static void options(void)
{
    char out[800], cmd[3000];
    int lines;
    char *d = plot_data(rec, "inter-class", "--title 'Gates of four classes' --channels 4-11,14",
                        "opts", out, sizeof out);
    char *gp = plot_script("opts", "inter-class");
    ok(gp && strstr(gp, "title \"Gates of four classes\"") && d &&
           !strstr(d, "Excitation by class"),
       "--title replaces the title");
    /* panel 0's x column: the channels asked for, in order */
    const char *p = d ? strstr(d, "# panel 0:") : NULL;
    char got[200] = "";
    for (p = p ? strchr(strchr(p, '\n') + 1, '\n') : NULL; p && p[1] && p[1] != '\n';
         p = strchr(p + 1, '\n'))
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d", got[0] ? "," : "",
                 atoi(p + 1));
    is_str(got, "4,5,6,7,8,9,10,11,14", "--channels 4-11,14: the channels drawn");
    free(d), free(gp);

    snprintf(out, sizeof out, "%s/sized.png", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "plot '%s' --figure depth --out '%s' --size 1500x800", rec, out);
    int st = fixture_run(cmd, &lines);
    cairo_surface_t *s = cairo_image_surface_create_from_png(out);
    is_int(st == 0 ? cairo_image_surface_get_width(s) * 10000 + cairo_image_surface_get_height(s)
                   : -1,
           15000800, "--size 1500x800: a PNG of 1500 x 800 pixels");
    cairo_surface_destroy(s);
    if (sekit_plot_have_gnuplot()) {
        snprintf(out, sizeof out, "%s/sized-gnuplot.png", tap_tmpdir());
        snprintf(cmd, sizeof cmd,
                 "plot '%s' --figure depth --engine gnuplot --out '%s' --size 1200x700", rec, out);
        st = fixture_run(cmd, &lines);
        s = cairo_image_surface_create_from_png(out);
        is_int(st == 0
                   ? cairo_image_surface_get_width(s) * 10000 + cairo_image_surface_get_height(s)
                   : -1,
               12000700, "--engine gnuplot --size 1200x700: a PNG of 1200 x 700 pixels");
        cairo_surface_destroy(s);
    } else {
        skip("gnuplot is not installed: --size through gnuplot");
    }
    snprintf(out, sizeof out, "%s/sized.pdf", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "plot '%s' --figure depth --out '%s' --size 700x400", rec, out);
    st = fixture_run(cmd, &lines);
    size_t n;
    char *pdf = slurp(out, &n);
    ok(st == 0 && pdf && memmem(pdf, n, "/MediaBox [ 0 0 700 400 ]", 25),
       "--size 700x400: a PDF page of 700 x 400 points");
    free(pdf);

    snprintf(out, sizeof out, "%s/bad-opt.png", tap_tmpdir());
    struct {
        const char *args, *needle;
    } bad[] = {
        {"--figure depth --size 1200", "--size '1200': expected WIDTHxHEIGHT"},
        {"--figure depth --size 0x500", "expected WIDTHxHEIGHT"},
        {"--figure inter-class --size 300x200", "300x200 pixels is too small"},
        {"--figure inter-class --channels 0-999", "SE_2_2 has 16 channels (0-15); channel 999"},
        {"--figure inter-class --channels 9-3", "--channels '9-3': expected channel indices"},
        {"--figure intra-class --channels x", "--channels 'x': expected channel indices"},
        {"--figure depth --channels 0-3", "--channels applies to the inter-class and intra-class"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "plot '%s' %s --out '%s'", rec, bad[i].args, out);
        st = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(st, lines, bad[i].needle, out), "plot %s: exit %d, one line",
           bad[i].args, st);
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(400));
    if (make_inputs()) {
        figures();
        gnuplot();
        bad_input();
        ablation_both();
        gnuplot_from_anywhere();
        no_directories();
        class_colors();
        pair_count();
        depth_axes();
        depth_hard_sigmoid();
        options();
    }
    bar_values();
    file_size_limit();
    return tap_done();
}
