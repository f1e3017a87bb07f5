/*
 * t-plots.c -- `sekit plot` and `sekit stats` end to end on recordings this test makes (the
 * golden timm_basic_small model on an IDX dataset it writes):
 *   - every figure (inter-class, intra-class, depth, ablation) as PNG, PDF and SVG: a valid file
 *     of plausible size; the PNG decoded and checked pixel by pixel (ink coverage, the palette
 *     colours of the curves present);
 *   - the gnuplot scripts render when gnuplot is installed (skipped otherwise);
 *   - bad input: an HDF5 file sekit did not write, a missing group, a newer format_version,
 *     unknown classes and blocks (the available ones listed), one class for an inter-class
 *     figure, an unknown extension, gnuplot asked for but missing: one line, non-zero exit, no
 *     output left behind;
 *   - the library under a file-size limit (RLIMIT_FSIZE in a forked child, SIGXFSZ ignored), for
 *     every format, the gnuplot script and data, and gnuplot's own render: an error naming the file
 * with "File too large", nothing under the final name, no temporary, and a figure drawn before
 * unchanged.
 */
#include "../plots/plot.h"
#include "fixture.h"
#include "tap.h"

#include <cairo.h>
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

static char model[800], data[600], rec[700], all[700], abl[700];

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
    if (!ok(good, "recordings of 4 classes and of all classes, and an ablation"))
        diag("%s", fixture_stderr());
    snprintf(abl, sizeof abl, "%s/abl.h5", tap_tmpdir());
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
        {"depth", rec, "", 2},
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
    return (struct sekit_figure){"Limits", "a figure for the file-size checks", 3, 3, panels, 0, 0,
                                 0};
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
    }
    file_size_limit();
    return tap_done();
}
