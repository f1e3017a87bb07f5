/*
 * t-outputs.c -- the files sekit writes, against hostile names, planted links and a second
 * process (issue 18, section 5), with the sekit binary run as a user runs it:
 *   - names that gnuplot would evaluate (a backquoted shell command, a line break followed by a
 *     `system` command, quotes, a trailing backslash, @ and $) as a recording's class names, as
 *     --class-map names, as image folders' names, as --title and in --out: `plot --engine
 *     gnuplot` and the script run by gnuplot itself, as the user would, run none of them (no
 *     RAN-* file appears), exit 0, draw the figure, and the SVG shows the names as they are;
 *   - a symbolic link to a victim file planted at an output's old fixed temporary name (OUT.tmp)
 *     and at its final name, for stats, ablate, plot (cairo and gnuplot), reproduce and record:
 *     every run succeeds, the victim keeps its bytes, and each output is a regular file of mode
 *     0666 less the umask; record --resume refuses a journal that is a link;
 *   - two `sekit plot` to the same --out started together (cairo and gnuplot, a few rounds): both
 *     exit 0 and the file left is a whole PDF. Whether the two overlap depends on scheduling; the
 *     checks hold whichever way they run.
 */
#include "fixture.h"
#include "imgwrite.h"
#include "tap.h"

#include <cairo.h>
#include <dirent.h>
#include <fcntl.h>
#include <hdf5.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char model[800], data[700], run[760], stats[760];

/* The last run of sekit: its exit status, stderr and command line. */
static struct {
    int st;
    char cmd[4096], err[8192];
} R;

/* Runs sekit with the NULL-terminated arguments in the test's directory. */
static int sekit(const char *first, ...)
{
    const char *argv[TAP_SEKIT_ARGS];
    va_list ap;
    va_start(ap, first);
    tap_sekit_argv(argv, R.cmd, sizeof R.cmd, first, ap);
    va_end(ap);
    R.st = tap_run(argv, tap_tmpdir(), 0, R.err, sizeof R.err, NULL);
    return R.st;
}

static int succeeded(const char *what)
{
    if (ok(R.st == 0, "%s: exit 0", what)) return 1;
    diag("   command: sekit %s", R.cmd);
    diag("   exit %d, stderr:\n%s", R.st, R.err);
    return 0;
}

static char *path_in(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
    return out;
}

static char *mkdir_in(char *out, size_t n, const char *name)
{
    path_in(out, n, tap_tmpdir(), name);
    mkdir(out, 0755);
    return out;
}

/* --- 1. strings gnuplot could evaluate ----------------------------------------------------- */

/* Every name a source gives: a backquoted command; a quote, a line break and a `system` command,
 * a trailing backslash; a plain quote escape. Each command creates RAN-<source>-<n> in the test's
 * directory, where sekit and gnuplot run. */
static void hostile_names(const char *source, char names[3][200])
{
    snprintf(names[0], 200, "x`touch RAN-%s-1` @y $0 'q'", source);
    snprintf(names[1], 200, "z\"\nsystem \"touch RAN-%s-2\"\n# \\", source);
    snprintf(names[2], 200, "w\" . system(\"touch RAN-%s-3\") . \"", source);
}

/* The RAN-* files in dir, listed into out; 0 when none. */
static int ran(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    int c = 0;
    out[0] = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (!strncmp(de->d_name, "RAN-", 4)) {
            snprintf(out + strlen(out), n - strlen(out), " %s", de->d_name);
            c++;
        }
    if (d) closedir(d);
    return c;
}

static void nothing_ran(const char *what)
{
    char found[1024];
    if (!ok(!ran(tap_tmpdir(), found, sizeof found), "%s: gnuplot ran no command from a name",
            what))
        diag("   found:%s", found);
}

static int png_decodes(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    const int good =
        cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width(s) >= 400;
    cairo_surface_destroy(s);
    return good;
}

/* gnuplot on the script, as the user runs it (from the test's directory, where a command would
 * leave its file), to SVG: it succeeds, runs nothing, and the figure shows the name's backquoted
 * part as it is. */
static void script_by_hand(const char *what, const char *gp, const char *figure, const char *shown)
{
    char cmd[3000], svg[900], log[800];
    path_in(log, sizeof log, tap_tmpdir(), "gnuplot.log");
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot -e 'fmt=\"svg\"' '%s/%s.gp' 2>'%s'", tap_tmpdir(),
             gp, figure, log);
    const int st = system(cmd);
    size_t n = 0, ln = 0;
    snprintf(svg, sizeof svg, "%s/%s-gnuplot.svg", gp, figure);
    char *b = (char *)fixture_slurp(svg, &n), *l = (char *)fixture_slurp(log, &ln);
    if (!ok(st == 0 && b && strstr(b, "</svg>"), "%s: gnuplot %s.gp by hand draws the SVG", what,
            figure))
        diag("   status %d, gnuplot said: %s", st, l ? l : "");
    if (!ok(b && strstr(b, shown), "%s: the SVG shows '%s'", what, shown)) diag("   %s", svg);
    free(b), free(l);
    nothing_ran(what);
}

/* stats on the recording (of three classes), then the class figures through gnuplot: nothing
 * runs, all draw. */
static void figures_of(const char *source, const char *rec, const char *shown)
{
    char what[160], st[800], gp[800], out[900], name[64];
    snprintf(name, sizeof name, "%s.stats.h5", source);
    path_in(st, sizeof st, tap_tmpdir(), name);
    snprintf(what, sizeof what, "names from %s: stats", source);
    sekit("stats", rec, "--out", st, NULL);
    if (!succeeded(what)) return;
    snprintf(name, sizeof name, "gp-%s", source);
    mkdir_in(gp, sizeof gp, name);
    static const char *const figs[2] = {"inter-class", "intra-class"};
    for (int f = 0; f < 2; f++) {
        snprintf(what, sizeof what, "names from %s: plot --figure %s --engine gnuplot", source,
                 figs[f]);
        snprintf(out, sizeof out, "%s/%s.png", gp, figs[f]);
        sekit("plot", st, "--figure", figs[f], "--engine", "gnuplot", "--gnuplot", gp, "--out", out,
              NULL);
        if (succeeded(what)) ok(png_decodes(out), "%s: the PNG decodes", what);
        nothing_ran(what);
        script_by_hand(what, gp, figs[f], shown);
    }
}

/* The class names of a recording, rewritten in place: class k becomes names[i] for each pair. */
static int rename_classes(const char *path, const int *k, char names[3][200], int n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, "class_names", H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1), sp = d < 0 ? -1 : H5Dget_space(d);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    const hssize_t K = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    char **v = K > 0 ? calloc((size_t)K, sizeof *v) : NULL;
    int good = v && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    char *old[3] = {0};
    for (int i = 0; good && i < n; i++)
        old[i] = v[k[i]], v[k[i]] = names[i];
    good = good && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    for (int i = 0; good && i < n; i++)
        v[k[i]] = old[i];
    if (good) H5Dvlen_reclaim(t, sp, H5P_DEFAULT, v);
    free(v);
    if (sp >= 0) H5Sclose(sp);
    H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) good &= H5Fclose(f) >= 0;
    return good;
}

/* A folder set under name: one folder per entry of folders, each with two 28 x 28 grey PNGs. */
static const char *folder_set(const char *name, char folders[][200], int n)
{
    static char root[700];
    mkdir_in(root, sizeof root, name);
    int good = 1;
    for (int i = 0; i < n; i++) {
        char p[1000];
        snprintf(p, sizeof p, "%s/%s", root, folders[i]);
        mkdir(p, 0755);
        for (int j = 0; j < 2; j++) {
            unsigned char px[28 * 28];
            for (int q = 0; q < 28 * 28; q++)
                px[q] = (unsigned char)(((q / 28) / (i + 2)) % 2 ? 160 + j * 20 : 20);
            snprintf(p, sizeof p, "%s/%s/img%d.png", root, folders[i], j);
            good &= imgwrite_png(p, 28, 28, 1, px) == 0;
        }
    }
    ok(good, "%s: %d class folders of 2 PNGs", name, n);
    return root;
}

static void gnuplot_names(void)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        skip("gnuplot is not installed: hostile names in its scripts");
        return;
    }
    char names[3][200], rec[800], out[900], gp[800], shown[200];
    /* a recording's class names: its three classes, Trouser, Coat and Bag */
    hostile_names("recording", names);
    path_in(rec, sizeof rec, tap_tmpdir(), "hostile.h5");
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", run, rec);
    const int k[3] = {1, 4, 8};
    if (ok(system(cmd) == 0 && rename_classes(rec, k, names, 3),
           "a recording whose class names are commands to gnuplot")) {
        snprintf(shown, sizeof shown, "`touch RAN-recording-1`");
        figures_of("recording", rec, shown);
    }

    /* --class-map names, on a folder set of the model's 10 classes */
    char folders[10][200];
    for (int i = 0; i < 10; i++)
        snprintf(folders[i], 200, "c%d", i);
    const char *set = folder_set("folders", folders, 10);
    hostile_names("map", names);
    char map[800], text[1000];
    path_in(map, sizeof map, tap_tmpdir(), "hostile.map");
    /* a map line ends at its line break: the second name as far as it goes */
    names[1][strcspn(names[1], "\n")] = 0;
    snprintf(text, sizeof text, "c1 1 %s\nc8 8 %s\nc4 4 %s\n", names[0], names[1], names[2]);
    path_in(rec, sizeof rec, tap_tmpdir(), "map.h5");
    if (ok(fixture_spit(map, text, strlen(text)), "a --class-map naming classes with commands")) {
        sekit("record", "--model", model, "--data", set, "--class-map", map, "--classes", "1,8,4",
              "--out", rec, "--quiet", NULL);
        if (succeeded("record --class-map with hostile names")) {
            snprintf(shown, sizeof shown, "`touch RAN-map-1`");
            figures_of("map", rec, shown);
        }
    }

    /* image folders' names: numbered in sorted order, c3..c9 before the hostile ones (7, 8, 9) */
    hostile_names("folder", names);
    for (int i = 0; i < 10; i++)
        snprintf(folders[i], 200, "%s", i < 3 ? names[i] : (char[8]){'c', (char)('0' + i), 0});
    for (int i = 0; i < 3; i++) /* a folder name holds no '/' */
        for (char *c = folders[i]; *c; c++)
            if (*c == '/') *c = '_';
    set = folder_set("hostile-folders", folders, 10);
    path_in(rec, sizeof rec, tap_tmpdir(), "folders.h5");
    sekit("record", "--model", model, "--data", set, "--classes", "7,8,9", "--out", rec, "--quiet",
          NULL);
    if (succeeded("record on folders named with commands")) {
        snprintf(shown, sizeof shown, "`touch RAN-folder-1`");
        figures_of("folder", rec, shown);
    }

    /* --title, and --out itself (gnuplot was once told the figure's temporary name) */
    mkdir_in(gp, sizeof gp, "gp-title");
    path_in(out, sizeof out, gp, "x`touch RAN-out-1`.png");
    sekit("plot", stats, "--figure", "depth", "--engine", "gnuplot", "--gnuplot", gp, "--title",
          "t`touch RAN-title-1`\n@x", "--out", out, NULL);
    if (succeeded("plot --title and --out with commands"))
        ok(png_decodes(out), "plot --title and --out with commands: the PNG decodes");
    nothing_ran("plot --title and --out with commands");
    script_by_hand("--title with commands", gp, "depth", "`touch RAN-title-1`");
}

/* --- 2. planted links ---------------------------------------------------------------------- */

static const char victim_text[] = "the victim's own bytes\n";
static char victim[700];

/* Links to the victim at each name in dir (NULL-terminated); 1 when all were made. */
static int plant(const char *dir, const char *const names[])
{
    int good = 1;
    for (int i = 0; names[i]; i++) {
        char p[1000];
        path_in(p, sizeof p, dir, names[i]);
        unlink(p);
        good &= symlink(victim, p) == 0;
    }
    return good;
}

/* After a run with links planted: exit 0, the victim unchanged, each output a regular file of
 * mode 0666 less the umask (a link at its name replaced, not followed). */
static void not_followed(const char *what, const char *dir, const char *const outputs[])
{
    size_t n = 0;
    char *v = (char *)fixture_slurp(victim, &n);
    succeeded(what);
    if (!ok(v && n == strlen(victim_text) && !memcmp(v, victim_text, n),
            "%s: the victim behind the links keeps its bytes", what))
        diag("   %s now holds %zu bytes: %.60s", victim, n, v ? v : "(unreadable)");
    free(v);
    const mode_t mask = umask(0);
    umask(mask);
    for (int i = 0; outputs[i]; i++) {
        char p[1000];
        struct stat sb;
        path_in(p, sizeof p, dir, outputs[i]);
        const int got = lstat(p, &sb) == 0;
        if (!ok(got && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == (0666 & ~mask),
                "%s: %s is a regular file of mode %03o", what, outputs[i], 0666 & ~mask))
            diag("   %s", !got                  ? "missing"
                          : S_ISLNK(sb.st_mode) ? "a symbolic link"
                                                : "another type or mode");
    }
    fixture_spit(victim, victim_text, strlen(victim_text));
}

/* Each output with links at its old fixed temporary (pass 0) or at its final name (pass 1). */
static void links(void)
{
    path_in(victim, sizeof victim, tap_tmpdir(), "victim.txt");
    if (!ok(fixture_spit(victim, victim_text, strlen(victim_text)), "a victim file")) return;
    for (int pass = 0; pass < 2; pass++) {
        const char *at = pass ? "at the final names" : "at the old temporary names";
        char dir[800], name[64], what[200], out[900];

        snprintf(name, sizeof name, "links-stats-%d", pass);
        mkdir_in(dir, sizeof dir, name);
        static const char *const st_out[] = {"s.h5", "s.csv", "s.means.csv", NULL};
        static const char *const st_tmp[] = {"s.h5.tmp", "s.csv.tmp", "s.means.csv.tmp", NULL};
        snprintf(what, sizeof what, "stats with links %s", at);
        if (ok(plant(dir, pass ? st_out : st_tmp), "%s: planted", what)) {
            sekit("stats", run, "--out", path_in(out, sizeof out, dir, "s.h5"), NULL);
            not_followed(what, dir, st_out);
        }

        snprintf(name, sizeof name, "links-ablate-%d", pass);
        mkdir_in(dir, sizeof dir, name);
        static const char *const ab_out[] = {"abl.csv", "abl.md", "abl.h5", NULL};
        static const char *const ab_tmp[] = {"abl.csv.tmp", "abl.md.tmp", "abl.h5.tmp", NULL};
        snprintf(what, sizeof what, "ablate with links %s", at);
        if (ok(plant(dir, pass ? ab_out : ab_tmp), "%s: planted", what)) {
            sekit("ablate", "--model", model, "--data", data, "--classes", "Trouser,Bag",
                  "--per-class", "10", "--out", path_in(out, sizeof out, dir, "abl"), "--quiet",
                  NULL);
            not_followed(what, dir, ab_out);
        }

        for (int engine = 0; engine < 2; engine++) {
            if (engine && system("command -v gnuplot >/dev/null 2>&1") != 0) {
                skip("gnuplot is not installed: its outputs with links");
                continue;
            }
            snprintf(name, sizeof name, "links-plot-%s-%d", engine ? "gnuplot" : "cairo", pass);
            mkdir_in(dir, sizeof dir, name);
            static const char *const pl_out[] = {"p.png", "depth.gp", "depth.dat", NULL};
            static const char *const pl_tmp[] = {"p.png.tmp", "depth.gp.tmp", "depth.dat.tmp",
                                                 "depth.gp.log", NULL};
            snprintf(what, sizeof what, "plot --engine %s with links %s",
                     engine ? "gnuplot" : "cairo", at);
            if (ok(plant(dir, pass ? pl_out : pl_tmp), "%s: planted", what)) {
                sekit("plot", stats, "--figure", "depth", "--engine", engine ? "gnuplot" : "cairo",
                      "--gnuplot", dir, "--out", path_in(out, sizeof out, dir, "p.png"), NULL);
                not_followed(what, dir, pl_out);
            }
        }

        snprintf(name, sizeof name, "links-record-%d", pass);
        mkdir_in(dir, sizeof dir, name);
        static const char *const rec_out[] = {"r.h5", NULL};
        static const char *const rec_tmp[] = {"r.h5.tmp", NULL};
        snprintf(what, sizeof what, "record%s with links %s", pass ? " --force" : "", at);
        if (ok(plant(dir, pass ? rec_out : rec_tmp), "%s: planted", what)) {
            sekit("record", "--model", model, "--data", data, "--classes", "Trouser,Bag",
                  "--per-class", "10", "--out", path_in(out, sizeof out, dir, "r.h5"), "--quiet",
                  pass ? "--force" : NULL, NULL);
            not_followed(what, dir, rec_out);
        }

        snprintf(name, sizeof name, "links-reproduce-%d", pass);
        mkdir_in(dir, sizeof dir, name);
        static const char *const re_out[] = {"report.md", "report.html", "classes.h5", NULL};
        static const char *const re_tmp[] = {"report.md.tmp", "report.html.tmp", "classes.h5.tmp",
                                             NULL};
        snprintf(what, sizeof what, "reproduce with links %s", at);
        if (ok(plant(dir, pass ? re_out : re_tmp), "%s: planted", what)) {
            sekit("reproduce", "--model", model, "--data", data, "--per-class", "10", "--out", dir,
                  NULL);
            not_followed(what, dir, re_out);
        }
    }
}

/* A journal is never opened through a link: record --resume on a linked journal is refused. */
static void linked_journal(void)
{
    char dir[800], out[900];
    mkdir_in(dir, sizeof dir, "links-journal");
    static const char *const journal[] = {"r.h5.journal", NULL};
    const char *what = "record --resume with a link at the journal";
    if (!ok(plant(dir, journal), "%s: planted", what)) return;
    sekit("record", "--model", model, "--data", data, "--classes", "Trouser", "--per-class", "4",
          "--out", path_in(out, sizeof out, dir, "r.h5"), "--quiet", "--resume", NULL);
    size_t n = 0;
    char *v = (char *)fixture_slurp(victim, &n);
    if (!ok(R.st == 1 && strstr(R.err, "r.h5.journal: cannot open: Too many levels of symbolic") &&
                v && n == strlen(victim_text) && !memcmp(v, victim_text, n),
            "%s: refused (exit 1, the link named), the victim unchanged", what))
        diag("   exit %d: %s", R.st, R.err);
    free(v);
}

/* --- 3. two processes, one output ---------------------------------------------------------- */

/* Starts sekit with args, stderr to errfile; the process id, or -1. */
static pid_t start(const char *const args[], const char *errfile)
{
    const char *argv[32] = {tap_sekit()};
    int n = 1;
    while (n < 31 && args[n - 1])
        argv[n] = args[n - 1], n++;
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    const int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

static int whole_pdf(const char *path, size_t *n)
{
    char *b = (char *)fixture_slurp(path, n);
    const int good = b && *n > 1000 && !memcmp(b, "%PDF-", 5) &&
                     memmem(b + (*n > 32 ? *n - 32 : 0), *n > 32 ? 32 : *n, "%%EOF", 5);
    free(b);
    return good;
}

static void two_processes(void)
{
    for (int engine = 0; engine < 2; engine++) {
        const char *name = engine ? "gnuplot" : "cairo";
        if (engine && system("command -v gnuplot >/dev/null 2>&1") != 0) {
            skip("gnuplot is not installed: two renders of one figure");
            continue;
        }
        char dir[800], out[900], gp[900], err[2][900], sub[64];
        snprintf(sub, sizeof sub, "two-%s", name);
        mkdir_in(dir, sizeof dir, sub);
        path_in(out, sizeof out, dir, "p.pdf");
        path_in(gp, sizeof gp, dir, "gp");
        /* the cairo figure alone, the case; gnuplot writes its script and data too */
        const char *args[] = {"plot",
                              stats,
                              "--figure",
                              "inter-class",
                              "--out",
                              out,
                              "--engine",
                              name,
                              engine ? "--gnuplot" : NULL,
                              gp,
                              NULL};
        for (int round = 0; round < 3; round++) {
            pid_t pid[2];
            int st[2] = {-1, -1};
            for (int i = 0; i < 2; i++) {
                snprintf(err[i], sizeof err[i], "%s/err%d.txt", dir, i);
                pid[i] = start(args, err[i]);
            }
            for (int i = 0; i < 2; i++)
                if (pid[i] > 0 && waitpid(pid[i], &st[i], 0) == pid[i])
                    st[i] = WIFEXITED(st[i]) ? WEXITSTATUS(st[i]) : 128 + WTERMSIG(st[i]);
            size_t n = 0;
            const int pdf = whole_pdf(out, &n);
            if (!ok(st[0] == 0 && st[1] == 0 && pdf,
                    "%s, round %d: two plots at once to one --out both exit 0 and leave a whole "
                    "PDF",
                    name, round + 1)) {
                for (int i = 0; i < 2; i++) {
                    char *e = (char *)fixture_slurp(err[i], &n);
                    diag("   process %d: exit %d: %s", i + 1, st[i], e ? e : "");
                    free(e);
                }
                diag("   %s: %s", out, pdf ? "a whole PDF" : "not a whole PDF");
            }
            ok(!fixture_tmp_left(out) && !fixture_tmp_left(gp), "%s, round %d: no temporary left",
               name, round + 1);
        }
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(model, sizeof model, "%s/models/fashion_mnist_seresnet_basic6.safetensors",
             tap_srcdir());
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(200));
    path_in(run, sizeof run, tap_tmpdir(), "run.h5");
    path_in(stats, sizeof stats, tap_tmpdir(), "run.stats.h5");
    sekit("record", "--model", model, "--data", data, "--classes", "Trouser,Coat,Bag",
          "--per-class", "10", "--out", run, "--quiet", NULL);
    if (!succeeded("a recording of Trouser, Coat and Bag")) return tap_done();
    sekit("stats", run, "--out", stats, NULL);
    if (!succeeded("its statistics")) return tap_done();
    gnuplot_names();
    links();
    linked_journal();
    two_processes();
    return tap_done();
}
