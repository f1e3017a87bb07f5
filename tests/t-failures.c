/*
 * t-failures.c -- the sekit binary run the way a user runs it, under conditions that make it
 * fail: a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, as on a full disk), a missing or
 * read-only output directory, hostile option values, a model with malformed metadata,
 * recordings of the wrong types or with a NaN gate, FIFOs given as inputs, and recordings on
 * which libhdf5 itself once crashed or hung. Every failure must be clean: no crash, the
 * documented exit status (1: the work failed, 2: a bad command line), one line on stderr naming
 * the file and the reason, no file under the output's final name and no temporaries left; a
 * recording cut short keeps its journal and says that --resume continues it.
 *
 * Each condition is its own TAP line, so that a run lists exactly what still fails. Set
 * SEKIT_BIN to run the checks against another build of sekit.
 */
#include "fixture.h"
#include "imgwrite.h"
#include "tap.h"

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY 65534
#define FASHION "/usr/share/datasets/fashion-mnist"

static char data[700], model[800], in[700], run[760];

/* The last run of sekit. */
static struct {
    int st, sig;
    char cmd[4096], err[8192];
} R;

/* Runs sekit with the NULL-terminated arguments in dir (NULL: here), under a file-size limit
 * (0: none), as user uid (-1: as the caller); the outcome goes to R. */
static int sekit(const char *dir, long limit, int uid, ...)
{
    const char *argv[TAP_SEKIT_ARGS];
    va_list ap;
    va_start(ap, uid);
    tap_sekit_argv(argv, R.cmd, sizeof R.cmd, NULL, ap);
    va_end(ap);
    size_t o = strlen(R.cmd);
    if (limit > 0 && o < sizeof R.cmd - 1)
        o += (size_t)snprintf(R.cmd + o, sizeof R.cmd - o, "  [file-size limit %ld bytes]", limit);
    if (uid >= 0 && o < sizeof R.cmd - 1)
        snprintf(R.cmd + o, sizeof R.cmd - o, "  [as uid %d]", uid);
    R.st = tap_run_as(argv, dir, limit, uid, R.err, sizeof R.err, &R.sig);
    return R.st;
}

static void show_run(void)
{
    diag("   command: sekit %s", R.cmd);
    diag("   exit: %d%s; stderr (%d lines):\n%s", R.st,
         R.sig ? " (killed by a signal: 128 + signal)" : "", tap_lines(R.err),
         R.err[0] ? R.err : "(empty)");
}

static int exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static int mkdirf(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tap_tmpdir(), name);
    return mkdir(out, 0755) == 0 || exists(out);
}

/* --- the checks, one TAP line each ------------------------------------------------------- */

static void no_crash(const char *what)
{
    /* a sanitizer build reports a crash on stderr and exits 1 instead of dying of the signal */
    int crashed = R.sig || strstr(R.err, "Sanitizer") || strstr(R.err, "runtime error:");
    if (!ok(!crashed, "%s: no crash", what)) show_run();
}

static void status_is(const char *what, int want)
{
    if (!ok(!R.sig && R.st == want, "%s: exit status %d", what, want)) show_run();
}

/* One stderr line that holds every needle (NULL-terminated) and none of the forbidden. */
static void message(const char *what, const char *const needles[], const char *const forbidden[])
{
    int good = tap_lines(R.err) == 1;
    char want[1024] = "";
    size_t tl = strlen(tap_tmpdir());
    for (int i = 0; needles && needles[i]; i++) {
        good &= strstr(R.err, needles[i]) != NULL;
        /* the same test name from run to run: the temporary directory shown as TMP */
        int in_tmp = !strncmp(needles[i], tap_tmpdir(), tl);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s'%s%s'", i ? ", " : "",
                 in_tmp ? "TMP" : "", needles[i] + (in_tmp ? tl : 0));
    }
    for (int i = 0; forbidden && forbidden[i]; i++)
        good &= strstr(R.err, forbidden[i]) == NULL;
    if (!ok(good, "%s: one stderr line with %s", what, want)) {
        diag("   want: exactly one line containing %s%s", want,
             forbidden ? " and no garbled or misleading text" : "");
        for (int i = 0; forbidden && forbidden[i]; i++)
            if (strstr(R.err, forbidden[i])) diag("   it has '%s'", forbidden[i]);
        show_run();
    }
}

/* dir holds no entry but those in keep (NULL-terminated): no output, no temporary. */
static void only_files(const char *what, const char *dir, const char *const keep[])
{
    DIR *d = opendir(dir);
    char extra[2048] = "";
    if (d) {
        for (struct dirent *de; (de = readdir(d));) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            int kept = 0;
            for (int i = 0; keep && keep[i]; i++)
                kept |= strcmp(de->d_name, keep[i]) == 0;
            if (kept) continue;
            char p[1400];
            struct stat sb;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " %s (%lld bytes)",
                     de->d_name, stat(p, &sb) == 0 ? (long long)sb.st_size : -1LL);
        }
        closedir(d);
    }
    if (!ok(d && !extra[0], "%s: no output file and no temporary left", what)) {
        char allowed[512] = "";
        for (int i = 0; keep && keep[i]; i++)
            snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), " %s", keep[i]);
        diag("   want in %s: nothing%s%s", dir, allowed[0] ? " but" : "", allowed);
        diag("   found:%s", d ? (extra[0] ? extra : " nothing else") : " (cannot list it)");
        show_run();
    }
}

/* The four checks of a clean failure. */
static void failure(const char *what, int want, const char *const needles[], const char *dir,
                    const char *const keep[])
{
    no_crash(what);
    status_is(what, want);
    message(what, needles, NULL);
    if (dir) only_files(what, dir, keep);
}

/* The last run failed before it evaluated any image: no stage note, no progress line (run with
 * SEKIT_PROGRESS_INTERVAL=0, it prints one after every batch). */
static void before_work(const char *what)
{
    if (!ok(!strstr(R.err, "img/s") && !strstr(R.err, ": stage "),
            "%s: fails before any image is evaluated (no stage, no progress line)", what))
        show_run();
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- inputs ------------------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to, mode_t mode)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int good = a && b;
    while (good && (n = fread(buf, 1, sizeof buf, a)) > 0)
        good = fwrite(buf, 1, n, b) == n;
    if (a) {
        good &= !ferror(a);
        fclose(a);
    }
    if (b) good &= fclose(b) == 0;
    return good && chmod(to, mode) == 0;
}

static int same_bytes(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    int same = x && y, c;
    while (same && (c = fgetc(x)) != EOF)
        same = c == fgetc(y);
    same = same && fgetc(y) == EOF;
    if (x) fclose(x);
    if (y) fclose(y);
    return same;
}

/* --- 1. stats -------------------------------------------------------------------------------- */

static void stats_failures(void)
{
    char dir[700], out[760];
    if (!mkdirf(dir, sizeof dir, "stats-limit")) return;
    snprintf(out, sizeof out, "%s/x.stats.h5", dir);
    sekit(NULL, 16384, -1, "stats", run, "--out", out, NULL);
    failure("stats under a 16 KiB file-size limit", 1, LIST("x.stats.h5", "File too large"), dir,
            NULL);

    sekit(NULL, 0, -1, "stats", run, "--out", "/nonexistent/dir/x.stats.h5", NULL);
    failure("stats --out /nonexistent/dir/x.stats.h5", 1,
            LIST("/nonexistent/dir", "No such file or directory"), NULL, NULL);
    ok(!exists("/nonexistent/dir"), "stats --out /nonexistent/dir/...: creates no directory");
}

/* --- 2, 3. ablate ---------------------------------------------------------------------------- */

static void ablate_failures(void)
{
    char dir[700], prefix[760];
    if (!mkdirf(dir, sizeof dir, "ablate-limit")) return;
    snprintf(prefix, sizeof prefix, "%s/abl", dir);
    sekit(NULL, 8192, -1, "ablate", "--model", model, "--data", data, "--classes", "Trouser,Bag",
          "--per-class", "20", "--out", prefix, "--quiet", NULL);
    failure("ablate under an 8 KiB file-size limit", 1, LIST("ablate-limit/abl", "File too large"),
            dir, NULL);

    /* a check of the output directory after the work shows as progress lines before the
     * failure: with SEKIT_PROGRESS_INTERVAL=0 one after every batch */
    if (!mkdirf(dir, sizeof dir, "ablate-missing")) return;
    setenv("SEKIT_PROGRESS_INTERVAL", "0", 1);
    sekit(dir, 0, -1, "ablate", "--model", model, "--data", data, "--per-class", "40", "--out",
          "missing/dir/x", NULL);
    unsetenv("SEKIT_PROGRESS_INTERVAL");
    const char *what = "ablate --out missing/dir/x";
    no_crash(what);
    status_is(what, 1);
    before_work(what);
    message(what, LIST("missing/dir", "No such file or directory"), NULL);
    only_files(what, dir, NULL);
}

/* --- 4. plot under a limit ------------------------------------------------------------------- */

static void plot_failures(void)
{
    static const char *const ext[3] = {"png", "pdf", "svg"};
    for (int x = 0; x < 3; x++) {
        char dir[700], out[760], name[32], what[160], old[760];
        snprintf(name, sizeof name, "plot-limit-%s", ext[x]);
        if (!mkdirf(dir, sizeof dir, name)) return;
        snprintf(name, sizeof name, "p.%s", ext[x]);
        snprintf(out, sizeof out, "%s/%s", dir, name);
        snprintf(what, sizeof what, "plot --figure depth --out p.%s under an 8 KiB limit", ext[x]);
        sekit(NULL, 8192, -1, "plot", run, "--figure", "depth", "--out", out, NULL);
        failure(what, 1, LIST(name, "File too large"), dir, NULL);

        /* a figure drawn before stays as it was */
        snprintf(name, sizeof name, "plot-existing-%s", ext[x]);
        if (!mkdirf(dir, sizeof dir, name)) return;
        snprintf(name, sizeof name, "p.%s", ext[x]);
        snprintf(out, sizeof out, "%s/%s", dir, name);
        snprintf(old, sizeof old, "%s/before.%s", tap_tmpdir(), ext[x]);
        if (sekit(NULL, 0, -1, "plot", run, "--figure", "depth", "--out", out, NULL) != 0 ||
            !copy_file(out, old, 0644)) {
            ok(0, "plot --out p.%s without a limit succeeds", ext[x]);
            show_run();
            continue;
        }
        snprintf(what, sizeof what, "plot over an existing p.%s under an 8 KiB limit", ext[x]);
        sekit(NULL, 8192, -1, "plot", run, "--figure", "depth", "--out", out, NULL);
        status_is(what, 1);
        if (!ok(same_bytes(out, old), "%s: the existing figure is unchanged", what)) show_run();
        only_files(what, dir, LIST(name));
    }
}

/* gnuplot reports no write error of its own: sekit must still see the cut figure */
static void gnuplot_failure(void)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        skip("gnuplot is not installed: plot --engine gnuplot under a limit");
        return;
    }
    char dir[700], out[760], gp[760];
    if (!mkdirf(dir, sizeof dir, "plot-limit-gnuplot")) return;
    snprintf(out, sizeof out, "%s/p.png", dir);
    snprintf(gp, sizeof gp, "%s/gp", dir);
    sekit(NULL, 8192, -1, "plot", run, "--figure", "depth", "--engine", "gnuplot", "--gnuplot", gp,
          "--out", out, NULL);
    failure("plot --engine gnuplot --out p.png under an 8 KiB limit", 1,
            LIST("p.png", "File too large"), dir, LIST("gp"));
}

/* --- 5. record under a limit, then --resume -------------------------------------------------- */

static void record_failures(void)
{
    /* 16 KiB: the journal's writes fail; 64 KiB: the journal is complete and writing the
     * recording from it fails */
    const long limits[2] = {16384, 65536};
    for (int i = 0; i < 2; i++) {
        char dir[700], out[760], journal[800], name[32], what[160];
        snprintf(name, sizeof name, "record-limit-%ld", limits[i] / 1024);
        if (!mkdirf(dir, sizeof dir, name)) return;
        snprintf(out, sizeof out, "%s/run.h5", dir);
        snprintf(journal, sizeof journal, "%s.journal", out);
        snprintf(what, sizeof what, "record under a %ld KiB file-size limit", limits[i] / 1024);
        sekit(NULL, limits[i], -1, "record", "--model", model, "--data", data, "--classes",
              "Trouser,Bag", "--per-class", "20", "--out", out, "--quiet", NULL);
        failure(what, 1, LIST("run.h5", "File too large", "--resume"), dir,
                LIST("run.h5.journal", "run.h5.journal.z"));
        if (!ok(exists(journal), "%s: the journal is kept", what)) show_run();

        snprintf(what, sizeof what, "record --resume after the %ld KiB limit", limits[i] / 1024);
        sekit(NULL, 0, -1, "record", "--model", model, "--data", data, "--classes", "Trouser,Bag",
              "--per-class", "20", "--out", out, "--quiet", "--resume", NULL);
        if (!ok(R.st == 0 && exists(out) && !exists(journal),
                "%s: completes, the recording in place and the journal gone", what))
            show_run();
        char stats[800];
        snprintf(stats, sizeof stats, "%s/run.stats.h5", dir);
        sekit(NULL, 0, -1, "stats", out, "--out", stats, NULL);
        if (!ok(R.st == 0, "%s: the recording is valid (stats succeeds)", what)) show_run();
    }
}

/* --- 6. read-only output directory ---------------------------------------------------------- */

static void readonly_failures(void)
{
    int uid = -1;
    if (geteuid() == 0) {
        /* root writes through permission bits: the children run as nobody, who must be able to
         * reach the inputs */
        uid = NOBODY;
        if (chmod(tap_tmpdir(), 0711) != 0) {
            skip("read-only directory: cannot open the test directory to uid %d", NOBODY);
            return;
        }
    }
    char shared[700], ro[760], rec[800], out[800], what[160];
    if (!mkdirf(shared, sizeof shared, "shared") || chmod(shared, 0755) != 0) return;
    snprintf(ro, sizeof ro, "%s/ro", shared);
    snprintf(rec, sizeof rec, "%s/run.h5", shared);
    if ((mkdir(ro, 0555) != 0 && !exists(ro)) || chmod(ro, 0555) != 0 ||
        !copy_file(run, rec, 0644)) {
        skip("read-only directory: cannot set up %s", ro);
        return;
    }
    if (uid < 0 && access(ro, W_OK) == 0) {
        skip("read-only directory: permission bits do not stop this user's writes");
        return;
    }
    /* whether the child can run at all as that user */
    if (sekit(shared, 0, uid, "--version", NULL) != 0) {
        skip("read-only directory: sekit cannot run as uid %d (%s)", uid, R.err);
        return;
    }
    snprintf(out, sizeof out, "%s/run.h5", ro);
    sekit(shared, 0, uid, "record", "--model", model, "--data", data, "--classes", "Trouser,Bag",
          "--per-class", "20", "--out", out, "--quiet", NULL);
    failure("record into a read-only directory", 1, LIST("ro/run.h5", "Permission denied"), ro,
            NULL);

    snprintf(out, sizeof out, "%s/x.stats.h5", ro);
    sekit(shared, 0, uid, "stats", rec, "--out", out, NULL);
    failure("stats into a read-only directory", 1, LIST("ro/x.stats.h5", "Permission denied"), ro,
            NULL);

    static const char *const ext[3] = {"png", "pdf", "svg"};
    for (int x = 0; x < 3; x++) {
        char name[16];
        snprintf(name, sizeof name, "ro/p.%s", ext[x]);
        snprintf(out, sizeof out, "%s/p.%s", ro, ext[x]);
        snprintf(what, sizeof what, "plot --out p.%s into a read-only directory", ext[x]);
        sekit(shared, 0, uid, "plot", rec, "--figure", "depth", "--out", out, NULL);
        failure(what, 1, LIST(name, "Permission denied"), ro, NULL);
    }

    snprintf(out, sizeof out, "%s/abl", ro);
    sekit(shared, 0, uid, "ablate", "--model", model, "--data", data, "--classes", "Trouser,Bag",
          "--per-class", "20", "--out", out, "--quiet", NULL);
    failure("ablate into a read-only directory", 1, LIST("ro/abl", "Permission denied"), ro, NULL);
}

/* --- 7. reproduce ----------------------------------------------------------------------------- */

static void reproduce_failures(void)
{
    char dir[700];
    if (!mkdirf(dir, sizeof dir, "reproduce-missing")) return;
    /* missing levels of --out are created; a level that is a file cannot be */
    char file[800];
    snprintf(file, sizeof file, "%s/afile", dir);
    fixture_spit(file, "x", 1);
    setenv("SEKIT_PROGRESS_INTERVAL", "0", 1);
    sekit(dir, 0, -1, "reproduce", "--model", model, "--data", data, "--per-class", "20", "--out",
          "afile/sub/out", NULL);
    unsetenv("SEKIT_PROGRESS_INTERVAL");
    const char *what = "reproduce --out afile/sub/out";
    no_crash(what);
    status_is(what, 1);
    before_work(what);
    message(what, LIST("afile/sub/out", "its parent afile", "not a directory"), NULL);
    only_files(what, dir, LIST("afile"));
}

/* reproduce checks the figures' classes before its first pass: nine --classes (the palette has
 * eight colours) and a --pair class outside --classes used to fail after the whole ablation */
static void reproduce_classes(void)
{
    char dir[700];
    if (!mkdirf(dir, sizeof dir, "reproduce-classes")) return;
    const struct {
        const char *classes, *pair, *const needles[4];
    } cases[] = {
        {"0,1,2,3,4,5,6,7,8", "0,1", {"--classes 0,1,2,3,4,5,6,7,8", "2 to 8 classes, not 9"}},
        {"Trouser,Bag", "Trouser,Coat", {"--pair Trouser,Coat", "Coat is not one of --classes"}},
        {"Trouser,Bag", "Trouser,Nosuch", {"--pair", "Nosuch"}},
        {"Trouser,Bag,Coat", "Trouser,Bag,Coat", {"--pair", "1 or 2 classes, not 3"}},
    };
    setenv("SEKIT_PROGRESS_INTERVAL", "0", 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[200];
        snprintf(what, sizeof what, "reproduce --classes %s --pair %s", cases[i].classes,
                 cases[i].pair);
        sekit(dir, 0, -1, "reproduce", "--model", model, "--data", data, "--per-class", "2",
              "--classes", cases[i].classes, "--pair", cases[i].pair, "--out", "out", NULL);
        no_crash(what);
        status_is(what, 2);
        before_work(what);
        message(what, cases[i].needles, NULL);
    }
    unsetenv("SEKIT_PROGRESS_INTERVAL");
}

/* A model made for other images than a stored set's (IDX, CIFAR) is refused before any work:
 * another class count, other input channels. */
static void model_for_other_data(void)
{
    char dir[700];
    if (!mkdirf(dir, sizeof dir, "other-data")) return;
    const struct {
        const char *file, *const needles[4];
    } cases[] = {
        {"timm_bottleneck_imagenet",
         {"the model has 7 classes", "has 10: not a model for this "
                                     "data"}},
        {"mosko_cifar_basic", {"takes 3 input channels", "holds 1-channel images"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[800], what[200];
        snprintf(path, sizeof path, "%s/tests/reference/data/%s.safetensors", tap_srcdir(),
                 cases[i].file);
        snprintf(what, sizeof what, "eval with %s on IDX images", cases[i].file);
        sekit(dir, 0, -1, "eval", "--model", path, "--data", data, NULL);
        no_crash(what);
        status_is(what, 2);
        before_work(what);
        message(what, cases[i].needles, NULL);
    }
}

/* --- 8. hostile values ------------------------------------------------------------------------ */

/* A copy of the model whose __metadata__ "mean" is "abc,def": the header (8-byte little-endian
 * length, then JSON) keeps its length, the value padded with spaces, so the offsets stay valid. */
static int bad_mean_model(const char *to)
{
    size_t n;
    unsigned char *b = fixture_slurp(model, &n);
    const uint64_t hl = fixture_st_header_len(b, n);
    int good = hl > 0;
    char *h = good ? (char *)b + 8 : NULL, *key = NULL, *v0 = NULL, *v1 = NULL;
    if (good) key = memmem(h, hl, "\"mean\"", 6);
    if (key) v0 = memchr(key + 6, '"', hl - (size_t)(key + 6 - h));
    if (v0) v1 = memchr(v0 + 1, '"', hl - (size_t)(v0 + 1 - h));
    const char *val = "abc,def";
    good = v1 && (size_t)(v1 - v0 - 1) >= strlen(val);
    if (good) {
        size_t old = (size_t)(v1 - v0 - 1);
        memcpy(v0 + 1, val, strlen(val));
        v0[1 + strlen(val)] = '"';
        memset(v0 + 2 + strlen(val), ' ', old - strlen(val));
        good = fixture_spit(to, b, n);
    }
    free(b);
    return good;
}

static void hostile_values(void)
{
    char dir[700], out[800], journal[820];
    const char *base[] = {"--model", model,         "--data", data,     "--classes",
                          "Bag",     "--per-class", "5",      "--quiet"};
#define BASE base[0], base[1], base[2], base[3], base[4], base[5], base[6], base[7], base[8]

    if (!mkdirf(dir, sizeof dir, "hostile-mean")) return;
    snprintf(out, sizeof out, "%s/mean.h5", dir);
    sekit(NULL, 0, -1, "record", BASE, "--mean", "1e39", "--out", out, NULL);
    no_crash("record --mean 1e39");
    status_is("record --mean 1e39", 2);
    {
        int range = strstr(R.err, " in [") || strstr(R.err, "range") || strstr(R.err, "between");
        if (!ok(tap_lines(R.err) == 1 && strstr(R.err, "--mean") && range,
                "record --mean 1e39: one line naming --mean and stating the allowed range"))
            show_run();
    }
    only_files("record --mean 1e39", dir, NULL);

    if (!mkdirf(dir, sizeof dir, "hostile-std-denormal")) return;
    snprintf(out, sizeof out, "%s/std.h5", dir);
    sekit(NULL, 0, -1, "record", BASE, "--std", "1e-45", "--out", out, NULL);
    no_crash("record --std 1e-45");
    status_is("record --std 1e-45 (denormal)", 2);
    message("record --std 1e-45", LIST("--std"), LIST("1 or 1", "exists"));
    only_files("record --std 1e-45", dir, NULL);

    if (!mkdirf(dir, sizeof dir, "hostile-std-zero")) return;
    snprintf(out, sizeof out, "%s/std.h5", dir);
    sekit(NULL, 0, -1, "record", BASE, "--std", "0,0,0", "--out", out, NULL);
    no_crash("record --std 0,0,0");
    status_is("record --std 0,0,0", 2);
    message("record --std 0,0,0", LIST("--std", "> 0"), LIST("1 or 1"));
    only_files("record --std 0,0,0", dir, NULL);

    sekit(NULL, 0, -1, "eval", BASE, "--crop", "1000", NULL);
    no_crash("eval --crop 1000 on 28x28 images");
    status_is("eval --crop 1000 on 28x28 images", 2);
    message("eval --crop 1000 on 28x28 images", LIST("crop", "1000", "28"), NULL);

    if (!mkdirf(dir, sizeof dir, "hostile-resume")) return;
    snprintf(out, sizeof out, "%s/nojournal.h5", dir);
    snprintf(journal, sizeof journal, "%s.journal", out);
    sekit(NULL, 0, -1, "record", BASE, "--out", out, "--resume", NULL);
    no_crash("record --resume without a journal");
    if (!ok(R.st == 1 || R.st == 2, "record --resume without a journal: exit status 1 or 2"))
        show_run();
    message("record --resume without a journal", LIST("nothing to resume", journal), NULL);
    only_files("record --resume without a journal", dir, NULL);

    sekit(NULL, 0, -1, "info", "--arch", "nosuch", NULL);
    no_crash("info --arch nosuch");
    status_is("info --arch nosuch", 2);
    message("info --arch nosuch", LIST("nosuch"), NULL);

    /* every subcommand: an unknown option, and a known one without its value */
    if (!mkdirf(dir, sizeof dir, "cmdline")) return;
    static const struct {
        const char *cmd, *input, *flag;
    } sub[] = {
        {"info", NULL, "--size"},  {"bench", NULL, "--seconds"}, {"eval", NULL, "--per-class"},
        {"record", NULL, "--out"}, {"stats", "RUN", "--out"},    {"plot", "RUN", "--figure"},
        {"ablate", NULL, "--out"}, {"reproduce", NULL, "--out"},
    };
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        char what[160];
        const char *input = sub[i].input ? run : NULL;
        snprintf(what, sizeof what, "%s --nosuch", sub[i].cmd);
        if (input)
            sekit(dir, 0, -1, sub[i].cmd, input, "--nosuch", NULL);
        else
            sekit(dir, 0, -1, sub[i].cmd, "--nosuch", NULL);
        no_crash(what);
        status_is(what, 2);
        message(what, LIST("--nosuch", "unknown"), LIST("needs a value"));
        snprintf(what, sizeof what, "%s %s (no value)", sub[i].cmd, sub[i].flag);
        if (input)
            sekit(dir, 0, -1, sub[i].cmd, input, sub[i].flag, NULL);
        else
            sekit(dir, 0, -1, sub[i].cmd, sub[i].flag, NULL);
        no_crash(what);
        status_is(what, 2);
        message(what, LIST(sub[i].flag, "needs a value"), NULL);
    }
    only_files("the command-line errors", dir, NULL);

    /* --opt=value is --opt value */
    if (!mkdirf(dir, sizeof dir, "equals")) return;
    sekit(NULL, 0, -1, "eval", "--model", model, "--data", data, "--classes=Bag", "--per-class=5",
          "--quiet", NULL);
    if (!ok(R.st == 0, "eval --classes=Bag --per-class=5 works like --per-class 5")) show_run();
    snprintf(out, sizeof out, "--out=%s/eq.stats.h5", dir);
    sekit(NULL, 0, -1, "stats", run, out, NULL);
    snprintf(out, sizeof out, "%s/eq.stats.h5", dir);
    if (!ok(R.st == 0 && exists(out), "stats --out=FILE writes FILE")) show_run();
    snprintf(out, sizeof out, "--out=%s/eq.png", dir);
    sekit(NULL, 0, -1, "plot", run, "--figure=depth", out, NULL);
    snprintf(out, sizeof out, "%s/eq.png", dir);
    if (!ok(R.st == 0 && exists(out), "plot --figure=depth --out=FIG draws FIG")) show_run();

    /* malformed model metadata: a message of plain text that names the file and the key */
    char bad[800];
    snprintf(bad, sizeof bad, "%s/badmeta.safetensors", tap_tmpdir());
    if (!ok(bad_mean_model(bad), "a copy of the model with \"mean\": \"abc,def\" in __metadata__"))
        return;
    sekit(NULL, 0, -1, "eval", "--model", bad, "--data", data, "--classes", "Bag", "--per-class",
          "2", "--quiet", NULL);
    const char *what = "eval with a model whose metadata mean is \"abc,def\"";
    no_crash(what);
    status_is(what, 1);
    message(what, LIST(bad, "mean"), NULL);
    int clean = 1;
    for (const char *c = R.err; *c; c++)
        clean &= (*c >= 0x20 && *c < 0x7f) || *c == '\n';
    const char *first = strstr(R.err, bad);
    clean &= first && !strstr(first + 1, bad);
    if (!ok(clean, "%s: plain text, the file named once", what)) show_run();
#undef BASE
}

/* --- 9. recordings of the wrong type --------------------------------------------------------- */

static herr_t copy_attr(hid_t loc, const char *name, const H5A_info_t *info, void *to)
{
    (void)info;
    if (!strcmp(name, "DIMENSION_LIST")) return 0; /* references to the old dataset's scales */
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), ft = H5Aget_type(a), sp = H5Aget_space(a);
    hid_t mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT);
    size_t n = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(mt);
    void *buf = calloc(1, n + 1);
    herr_t rc = -1;
    if (buf && H5Aread(a, mt, buf) >= 0) {
        hid_t b = H5Acreate2(*(hid_t *)to, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
        rc = b >= 0 && H5Awrite(b, mt, buf) >= 0 ? 0 : -1;
        if (b >= 0) H5Aclose(b);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
    }
    free(buf);
    H5Tclose(mt), H5Tclose(ft), H5Sclose(sp), H5Aclose(a);
    return rc;
}

/* Replaces dataset name of the file at path by one of file type t holding the same values
 * (converted by HDF5) and the same attributes. */
static int retype(const char *path, const char *name, hid_t t)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *v = n > 0 ? malloc(sizeof(double) * (size_t)n) : NULL;
    char tmpname[300];
    snprintf(tmpname, sizeof tmpname, "%s_retyped", name);
    int good = v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    hid_t nd = good ? H5Dcreate2(f, tmpname, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    good = nd >= 0 && H5Dwrite(nd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
           H5Aiterate2(d, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, copy_attr, &nd) >= 0;
    if (nd >= 0) H5Dclose(nd);
    H5Dclose(d), H5Sclose(sp);
    good = good && H5Ldelete(f, name, H5P_DEFAULT) >= 0 &&
           H5Lmove(f, tmpname, f, name, H5P_DEFAULT, H5P_DEFAULT) >= 0;
    good &= H5Fclose(f) >= 0;
    free(v);
    return good;
}

/* Sets gate [row][channel] of an excitation dataset to NaN. */
static int nan_gate(const char *path, const char *name, int row, int channel)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int good = H5Sget_simple_extent_ndims(sp) == 2 &&
               H5Sget_simple_extent_dims(sp, dims, NULL) == 2 && dims[0] > (hsize_t)row &&
               dims[1] > (hsize_t)channel;
    float *v = good ? malloc(sizeof(float) * dims[0] * dims[1]) : NULL;
    good = v && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (good) {
        v[(size_t)row * dims[1] + (size_t)channel] = NAN;
        good = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    }
    free(v);
    H5Sclose(sp), H5Dclose(d);
    good &= H5Fclose(f) >= 0;
    return good;
}

static void bad_recordings(void)
{
    char dir[700], ints[760], flabels[760], nan[760];
    if (!mkdirf(dir, sizeof dir, "badrec")) return;
    snprintf(ints, sizeof ints, "%s/intgates.h5", dir);
    snprintf(flabels, sizeof flabels, "%s/floatlabels.h5", dir);
    snprintf(nan, sizeof nan, "%s/nangate.h5", dir);
    int made = copy_file(run, ints, 0644) && retype(ints, "excitation/SE_2_1", H5T_STD_I32LE);
    made &= copy_file(run, flabels, 0644) && retype(flabels, "labels", H5T_IEEE_F32LE);
    made &= copy_file(run, nan, 0644) && nan_gate(nan, "excitation/SE_3_1", 7, 3);
    if (!ok(made, "recordings with integer gates, float labels and a NaN gate (HDF5 C API)"))
        return;
    const char *keep[] = {"intgates.h5", "floatlabels.h5", "nangate.h5", NULL};
    const struct {
        const char *what, *path, *needles[4];
    } c[] = {
        {"integer gates", ints, {"excitation/SE_2_1", NULL}},
        {"float labels", flabels, {"labels", NULL}},
        {"a NaN gate", nan, {"SE_3_1", "row 7", NULL}},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        for (int plot = 0; plot < 2; plot++) {
            char odir[760], name[40], out[800], what[160];
            snprintf(name, sizeof name, "badrec-%zu-%s", i, plot ? "plot" : "stats");
            if (!mkdirf(odir, sizeof odir, name)) return;
            snprintf(out, sizeof out, "%s/%s", odir, plot ? "x.png" : "x.stats.h5");
            snprintf(what, sizeof what, "%s on a recording with %s", plot ? "plot" : "stats",
                     c[i].what);
            if (plot)
                sekit(NULL, 0, -1, "plot", c[i].path, "--figure", "depth", "--out", out, NULL);
            else
                sekit(NULL, 0, -1, "stats", c[i].path, "--out", out, NULL);
            failure(what, 1, c[i].needles, odir, NULL);
        }
    only_files("stats and plot on the bad recordings", dir, keep);
}

/* --- 10. inputs that are not regular files, and corrupt HDF5 ------------------------------- */

/* A FIFO given where sekit reads a file by name: opening it waits for a writer, so the run hung
 * until the test's alarm killed it. sekit refuses what is not a regular file before reading. */
static void fifo_inputs(void)
{
    char dir[700], fifo[760], mdir[760], mcopy[800], cfg[800], folder[760], p[900], out[800];
    if (!mkdirf(dir, sizeof dir, "fifo")) return;
    snprintf(fifo, sizeof fifo, "%s/input", dir);
    snprintf(mdir, sizeof mdir, "%s/model", dir);
    snprintf(mcopy, sizeof mcopy, "%s/model.safetensors", mdir);
    snprintf(cfg, sizeof cfg, "%s/config.json", mdir);
    snprintf(folder, sizeof folder, "%s/folder", dir);
    snprintf(out, sizeof out, "%s/x.stats.h5", dir);
    int made = mkfifo(fifo, 0644) == 0 && mkdir(mdir, 0755) == 0 && copy_file(model, mcopy, 0644) &&
               mkfifo(cfg, 0644) == 0 && mkdir(folder, 0755) == 0;
    unsigned char pix[28 * 28];
    for (int i = 0; i < 28 * 28; i++)
        pix[i] = (unsigned char)(i * 7);
    static const char *const classes[] = {"Bag", "Coat"};
    for (int c = 0; made && c < 2; c++) {
        snprintf(p, sizeof p, "%s/%s", folder, classes[c]);
        made = mkdir(p, 0755) == 0;
        for (int k = 0; made && k < 2; k++) {
            snprintf(p, sizeof p, "%s/%s/%d.png", folder, classes[c], k);
            made = imgwrite_png(p, 28, 28, 1, pix) == 0;
        }
    }
    if (!ok(made, "a FIFO, a model whose config.json is a FIFO, a folder of images")) return;
    char want[900];
    snprintf(want, sizeof want, "%s: not a regular file", fifo);
    sekit(NULL, 0, -1, "eval", "--model", fifo, "--data", data, "--quiet", NULL);
    failure("eval --model FIFO", 1, LIST(want), NULL, NULL);
    sekit(NULL, 0, -1, "eval", "--model", model, "--data", folder, "--class-map", fifo, "--preset",
          "none", "--crop", "28", "--quiet", NULL);
    failure("eval --class-map FIFO", 1, LIST(want), NULL, NULL);
    sekit(NULL, 0, -1, "stats", fifo, "--out", out, NULL);
    failure("stats on a FIFO", 1, LIST(want), NULL, NULL);
    snprintf(want, sizeof want, "%s: not a regular file", cfg);
    sekit(NULL, 0, -1, "eval", "--model", mcopy, "--data", data, "--quiet", NULL);
    failure("eval of a model whose config.json is a FIFO", 1, LIST(want), NULL, NULL);
    only_files("the FIFO inputs", dir, LIST("input", "model", "folder"));
}

/* Recordings on which libhdf5 1.10 itself crashed (SIGSEGV in H5HG_read) or looped (past 30 s)
 * under `sekit stats`, reading their variable-length strings (tests/fuzz/regress/recording):
 * sekit reads those strings itself, and refuses the files in one line. */
static void corrupt_hdf5(void)
{
    static const struct {
        const char *file, *needle;
    } c[] = {
        {"hdf5-vlen-attr-memcpy-overlap.h5",
         "/ attribute model_path: a global heap object runs past its collection"},
        {"hdf5-global-heap-hang.h5", "/class_names is not a dataset"},
    };
    char dir[700], out[760], path[1024], what[160];
    if (!mkdirf(dir, sizeof dir, "corrupt-hdf5")) return;
    snprintf(out, sizeof out, "%s/x.stats.h5", dir);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        snprintf(path, sizeof path, "%s/tests/fuzz/regress/recording/%s", tap_srcdir(), c[i].file);
        snprintf(what, sizeof what, "stats on %s", c[i].file);
        sekit(NULL, 0, -1, "stats", path, "--out", out, NULL);
        failure(what, 1, LIST(path, c[i].needle), dir, NULL);
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(model, sizeof model, "%s/models/fashion_mnist_seresnet_basic6.safetensors",
             tap_srcdir());
    if (access(FASHION "/t10k-labels-idx1-ubyte.gz", R_OK) == 0)
        snprintf(data, sizeof data, "%s", FASHION);
    else
        snprintf(data, sizeof data, "%s", fixture_idx_dataset(1000));
    diag("sekit under test: %s", tap_sekit());
    if (!mkdirf(in, sizeof in, "in")) return tap_done();
    snprintf(run, sizeof run, "%s/run.h5", in);
    sekit(NULL, 0, -1, "record", "--model", model, "--data", data, "--classes", "Trouser,Bag",
          "--per-class", "20", "--out", run, "--quiet", NULL);
    if (!ok(R.st == 0 && exists(run), "a recording of Trouser and Bag, 20 images each")) {
        show_run();
        return tap_done();
    }
    chmod(run, 0644);
    stats_failures();
    ablate_failures();
    plot_failures();
    gnuplot_failure();
    record_failures();
    readonly_failures();
    reproduce_failures();
    reproduce_classes();
    model_for_other_data();
    hostile_values();
    bad_recordings();
    fifo_inputs();
    corrupt_hdf5();
    return tap_done();
}
