/*
 * t-cli.c -- `sekit eval` and `sekit record` end to end, on an IDX dataset this test writes and
 * the golden timm_basic_small model (1 input channel, 10 classes, 28x28):
 *   - a recording killed with SIGKILL part-way and resumed equals an uninterrupted one, value for
 *     value, in every dataset;
 *   - bad input gets one line on stderr naming the problem, a non-zero exit, and no output file;
 *   - h5py and xarray (Debian's python3-h5py, python3-xarray, python3-h5netcdf) read the file
 *     with named dimensions (skipped when they are not installed).
 */
#include "fixture.h"
#include "imgwrite.h"
#include "tap.h"

#include <fcntl.h>
#include <hdf5.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

extern char **environ;

enum { NIMG = 4000 };

static char data[600], model[800];

static int exists(const char *p)
{
    return access(p, F_OK) == 0;
}

/* Every dataset of a and b holds the same bytes. */
static int same_datasets(const char *a, const char *b)
{
    static const char *const names[] = {"labels",
                                        "predictions",
                                        "logits",
                                        "sample_index",
                                        "excitation/SE_2_1",
                                        "excitation/SE_2_2",
                                        "excitation/SE_3_1",
                                        "excitation/SE_3_2",
                                        "excitation/SE_4_1",
                                        "excitation/SE_4_2",
                                        "squeeze/SE_4_2"};
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT),
          fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    int same = fa >= 0 && fb >= 0;
    for (size_t i = 0; same && i < sizeof names / sizeof names[0]; i++) {
        hid_t da = H5Dopen2(fa, names[i], H5P_DEFAULT), db = H5Dopen2(fb, names[i], H5P_DEFAULT);
        hid_t sa = H5Dget_space(da), sb = H5Dget_space(db);
        hsize_t na = (hsize_t)H5Sget_simple_extent_npoints(sa);
        hsize_t nb = (hsize_t)H5Sget_simple_extent_npoints(sb);
        H5Sclose(sa), H5Sclose(sb);
        hid_t t = H5Dget_type(da);
        size_t sz = H5Tget_size(t);
        char *ba = malloc(na * sz + 1), *bb = malloc(nb * sz + 1);
        same = da >= 0 && db >= 0 && na == nb && na > 0 &&
               H5Dread(da, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ba) >= 0 &&
               H5Dread(db, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, bb) >= 0 &&
               memcmp(ba, bb, na * sz) == 0;
        if (!same) diag("dataset %s differs", names[i]);
        free(ba), free(bb);
        H5Tclose(t), H5Dclose(da), H5Dclose(db);
    }
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
    return same;
}

static off_t fsize(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? sb.st_size : -1;
}

/* Starts a recording of NIMG images in batches of 16 into out (resuming its journal when resume
 * is set; a fresh start refuses --resume) and SIGKILLs it once it has reported at least min_done
 * images done; returns that report, or -1 when it ended otherwise. Where it stops does not depend
 * on timing: with SEKIT_PROGRESS_INTERVAL=0 it writes a line after each batch (the batch is in
 * the journal by then) into a pipe of one page that this test stops reading, so that it blocks
 * within a page of lines, far from its last batch. */
static long long kill_midway(const char *out, long long min_done, int resume)
{
    char *argv[] = {(char *)tap_sekit(),
                    "record",
                    "--model",
                    model,
                    "--data",
                    data,
                    "--out",
                    (char *)out,
                    "--batch",
                    "16",
                    "--squeeze",
                    resume ? "--resume" : NULL,
                    NULL};
    int fds[2];
    if (pipe(fds) != 0) return -1;
    /* 4096 bytes hold at most 70 lines of 60 bytes and more: 1,120 images */
    const int cap = fcntl(fds[0], F_SETPIPE_SZ, 4096);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    setenv("SEKIT_PROGRESS_INTERVAL", "0", 1);
    pid_t pid;
    const int spawned =
        cap == 4096 && posix_spawn(&pid, tap_sekit(), &fa, NULL, argv, environ) == 0;
    unsetenv("SEKIT_PROGRESS_INTERVAL");
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *err = spawned ? fdopen(fds[0], "r") : NULL;
    if (!err) {
        diag("no recording started (a pipe of %d bytes)", cap);
        close(fds[0]);
        return -1;
    }
    SEKIT_ASSERT(min_done + 1200 < NIMG);
    char line[512];
    long long done = -1, total;
    while (done < min_done && fgets(line, sizeof line, err))
        if (sscanf(line, "sekit record: %lld/%lld images", &done, &total) != 2) done = -1;
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    fclose(err);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && done >= min_done ? done : -1;
}

static void record_kill_resume(void)
{
    char full[700], cut[700], cmd[2400];
    int lines;
    snprintf(full, sizeof full, "%s/full.h5", tap_tmpdir());
    snprintf(cut, sizeof cut, "%s/cut.h5", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "record --model '%s' --data '%s' --out '%s' --batch 16 --squeeze",
             model, data, full);
    is_int(fixture_run(cmd, &lines), 0, "an uninterrupted recording of %d images succeeds", NIMG);
    ok(exists(full), "it leaves the file");

    char journal[720];
    snprintf(journal, sizeof journal, "%s.journal", cut);
    long long at = kill_midway(cut, 800, 0);
    ok(at >= 800 && !exists(cut) && exists(journal),
       "SIGKILL part-way (%lld images reported) leaves a journal (%lld bytes) and no file", at,
       (long long)fsize(journal));
    /* the first run stopped before 800 + 1,200 images */
    at = kill_midway(cut, 2000, 1);
    ok(at >= 2000 && !exists(cut), "killed a second time, further on (%lld images, %lld bytes)", at,
       (long long)fsize(journal));
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --out '%s' --batch 16 --squeeze --resume", model,
             data, cut);
    is_int(fixture_run(cmd, &lines), 0, "--resume completes it");
    char side[740];
    snprintf(side, sizeof side, "%s.z", journal);
    ok(exists(cut) && !exists(journal) && !exists(side),
       "the file is in place and the journal and its compressed side file gone");
    ok(same_datasets(full, cut), "the resumed recording equals the uninterrupted one exactly");

    snprintf(cmd, sizeof cmd, "record --model '%s' --data '%s' --out '%s' --batch 16", model, data,
             full);
    ok(fixture_run(cmd, &lines) == 2 && lines == 1 && fixture_stderr_has("--force"),
       "an existing recording is refused in one line");
}

static void bad_input(void)
{
    char cmd[2400], out[700];
    int lines;
    snprintf(out, sizeof out, "%s/bad.h5", tap_tmpdir());
    struct {
        const char *what, *args, *needle;
    } cases[] = {
        {"missing dataset path", "--data /nonexistent/fashion-mnist", "/nonexistent/fashion-mnist"},
        {"unknown class", "--classes Trouser,Jumper", "Ankle boot"},
        {"more images per class than exist", "--classes Bag --per-class 401", "has 400 images"},
        {"unknown block", "--blocks SE_9_9", "SE_4_2"},
        {"bad per-class value", "--per-class many", "--per-class"},
        {"missing model", "--model /nonexistent.safetensors", "/nonexistent.safetensors"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "record --model '%s' --data '%s' --out '%s' %s", model, data, out,
                 cases[i].args);
        int st = fixture_run(cmd, &lines);
        ok(fixture_clean_failure(st, lines, cases[i].needle, out),
           "%s: exit %d, one line, no output", cases[i].what, st);
    }
    snprintf(cmd, sizeof cmd, "record --model '%s' --data '%s' --out /dev/null/x.h5", model, data);
    int st = fixture_run(cmd, &lines);
    ok(st != 0 && lines == 1 && fixture_stderr_has("/dev/null"),
       "unwritable output directory: exit %d", st);

    /* a journal of other arguments is not resumed */
    char journal[720];
    snprintf(journal, sizeof journal, "%s.journal", out);
    kill_midway(out, 400, 0);
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --out '%s' --batch 16 --squeeze --per-class 50 "
             "--resume",
             model, data, out);
    st = fixture_run(cmd, &lines);
    ok(st != 0 && lines == 1 && fixture_stderr_has("per_class") && exists(journal) && !exists(out),
       "--resume with other arguments is refused and the journal kept");
}

/* Runs a shell command; its output (cut to n - 1 bytes) into buf; returns its exit status, or -1
 * when it did not exit normally. */
static int capture(const char *cmd, char *buf, size_t n)
{
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(buf, 1, n - 1, p) : 0;
    buf[got] = 0;
    int st = p ? pclose(p) : -1;
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One parser serves every subcommand: the same wording and exit status 2 for an unknown option,
 * a missing value and a bad value, and --opt=value accepted like --opt value. */
static void option_parser(void)
{
    static const char *const cmds[] = {"info",  "bench", "eval",   "record",
                                       "stats", "plot",  "ablate", "reproduce"};
    char cmd[2400];
    int lines;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[128];
        snprintf(cmd, sizeof cmd, "%s --no-such-option", cmds[i]);
        snprintf(want, sizeof want,
                 "sekit %s: --no-such-option: unknown option (see 'sekit %s "
                 "--help')",
                 cmds[i], cmds[i]);
        int st = fixture_run(cmd, &lines);
        ok(st == 2 && lines == 1 && fixture_stderr_has(want), "%s: unknown option, exit %d",
           cmds[i], st);
        snprintf(cmd, sizeof cmd, "%s --help", cmds[i]);
        st = fixture_run(cmd, &lines);
        ok(st == 0 && lines == 0, "%s --help: exit %d", cmds[i], st);
    }
    static const struct {
        const char *args, *want;
    } bad[] = {
        {"eval --batch", "sekit eval: --batch: needs a value (see 'sekit eval --help')"},
        {"eval --batch=0", "sekit eval: --batch: expected an integer in [1, 4096], got '0' (see "
                           "'sekit eval --help')"},
        {"record --batch x", "sekit record: --batch: expected an integer in [1, 4096], got 'x' "
                             "(see 'sekit record --help')"},
        {"eval --batch 12x", "--batch: expected an integer in [1, 4096], got '12x'"},
        {"eval --quiet=1", "sekit eval: --quiet: takes no value (see 'sekit eval --help')"},
        {"eval --mean 1e39", "sekit eval: --mean: expected 1 or 3 comma-separated numbers, each in "
                             "[-1e+06, 1e+06], got '1e39' (see 'sekit eval --help')"},
        {"eval --mean inf", "got 'inf'"},
        {"eval --std 1e-45", "--std: expected 1 or 3 comma-separated numbers, each > 0, in "
                             "[1e-06, 1e+06], got '1e-45'"},
        {"eval --std 0,0,0", "each > 0, in [1e-06, 1e+06], got '0,0,0'"},
        {"eval --std 1,2", "got '1,2'"},
        {"eval --std 1,2,3,4", "got '1,2,3,4'"},
        {"eval --crop 0", "--crop: expected an integer in [1, 8192], got '0'"},
        {"bench --seconds nan", "sekit bench: --seconds: expected a number in [0, 3600], got 'nan' "
                                "(see 'sekit bench --help')"},
        {"ablate --out x --mode half",
         "sekit ablate: --mode: expected one of remove, mean, both, got 'half' (see 'sekit ablate "
         "--help')"},
        {"plot x.h5 --figure fig9 --out x.png",
         "--figure: expected one of inter-class, intra-class, depth, ablation, depth-compare, got "
         "'fig9'"},
        {"plot x.h5 --out x.png", "sekit plot: --figure: required (F) (see 'sekit plot --help')"},
        {"record", "sekit record: --out: required (FILE) (see 'sekit record --help')"},
        {"stats", "sekit stats: give a recording (RUN.h5)"},
        {"stats a.h5 b.h5", "sekit stats: 'b.h5': unexpected argument (see 'sekit stats --help')"},
        {"stats a.h5 --json --quiet", "sekit stats: --json, --quiet: give one of them"},
        {"info --arch nosuch", "sekit info: unknown architecture 'nosuch'"},
        {"info m.safetensors --arch seresnet50", "sekit info: give either MODEL or --arch NAME"},
        {"eval --backend cuda", "--backend: expected one of openblas, onednn, got 'cuda'"},
        {"help eval --json", "sekit help: '--json': unexpected argument (see 'sekit help')"},
        {"nosuch", "sekit: nosuch: unknown command (see 'sekit help')"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = fixture_run(bad[i].args, &lines);
        ok(st == 2 && lines == 1 && fixture_stderr_has(bad[i].want), "'%s': exit %d, one line",
           bad[i].args, st);
    }
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model='%s' --data='%s' --classes=3,4 --per-class=5 --json 2>&1",
             tap_sekit(), model, data);
    char buf[8192];
    int st = capture(cmd, buf, sizeof buf);
    ok(st == 0 && strstr(buf, "\"images\": 10"),
       "--opt=value is taken like --opt value (eval of 2 x 5 images)");
    snprintf(cmd, sizeof cmd, "eval --model '%s' --data '%s' --crop 1000 --quiet", model, data);
    st = fixture_run(cmd, &lines);
    ok(st == 2 && lines == 1 &&
           fixture_stderr_has("crop 1000 (from option) is larger than the "
                              "28x28 images"),
       "eval --crop 1000 on 28x28 images: exit %d, says why", st);
}

/* info --json lists every stage with its SE parameters (SE-ResNet-50: 3, 4, 6, 3 blocks). */
static void info_json(void)
{
    char cmd[1200], buf[16384];
    snprintf(cmd, sizeof cmd, "'%s' info --arch seresnet50 --json", tap_sekit());
    const int st = capture(cmd, buf, sizeof buf);
    const char *stages = strstr(buf, "\"stages\": [");
    int n = 0;
    for (const char *p = stages; p && (p = strstr(p, "\"se_share\"")); p++)
        n++;
    ok(st == 0 && stages && n == 4 && strstr(stages, "\"stage\": 5") &&
           strstr(stages, "\"blocks\": 6"),
       "info --json lists the 4 stages with their SE share (got %d)", n);
    snprintf(cmd, sizeof cmd, "'%s' info", tap_sekit());
    const int st2 = capture(cmd, buf, sizeof buf);
    ok(st2 == 0 && strstr(buf, "models/fashion_mnist_seresnet50.safetensors\n") &&
           strstr(buf, "SE_5_3"),
       "info without MODEL describes the bundled default model (exit %d)", st2);
    if (st2 || !strstr(buf, "SE_5_3")) diag("%s", buf);
}

/* info --list names every architecture once, with its family and layout: where torchvision and
 * timm have models of the same name, timm's goes by timm/NAME. */
static void info_list(void)
{
    char cmd[1200], buf[65536];
    snprintf(cmd, sizeof cmd, "'%s' info --list", tap_sekit());
    const int st = capture(cmd, buf, sizeof buf);
    int lines = 0;
    for (const char *p = buf; (p = strchr(p, '\n')); p++)
        lines++;
    ok(st == 0 && lines > 150 && strstr(buf, "\nseresnet50 ") &&
           strstr(buf, "\nefficientnet_b0              EfficientNet   torchvision\n") &&
           strstr(buf, "\ntimm/efficientnet_b0         EfficientNet   timm\n") &&
           strstr(buf, "\ntf_efficientnetv2_b0         EfficientNet   timm\n") &&
           strstr(buf, "\nregnety_032                  RegNetY        timm\n") &&
           strstr(buf, "\nmobilenetv3_large_100        MobileNetV3    timm\n"),
       "info --list: %d architectures, torchvision's and timm's efficientnet_b0 apart (exit %d)",
       lines, st);
    snprintf(cmd, sizeof cmd, "'%s' info --list --json 2>&1", tap_sekit());
    ok(capture(cmd, buf, sizeof buf) == 2 && strstr(buf, "--list takes no other argument"),
       "info --list with another option is a usage error: %s", buf);
}

static void eval_json(void)
{
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' --data '%s' --classes 3,4 --json 2>&1",
             tap_sekit(), model, data);
    char buf[8192];
    ok(capture(cmd, buf, sizeof buf) == 0 && strstr(buf, "\"images\": 800") &&
           strstr(buf, "\"top5\"") && strstr(buf, "\"class\": \"Coat\""),
       "eval --json reports 800 images with per-class entries");
}

/* --backend and SEKIT_BACKEND: the same results on every backend the build has; a backend it
 * lacks and a SEKIT_BACKEND naming none are refused in one line. */
static void backends(void)
{
    char cmd[2400], ver[256], out[2][8192], ver_cmd[1200];
    snprintf(ver_cmd, sizeof ver_cmd, "'%s' --version", tap_sekit());
    const int vst = capture(ver_cmd, ver, sizeof ver);
    ver[strcspn(ver, "\n")] = '\0';
    ok(vst == 0 && strstr(ver, "backends: openblas"), "--version names the backends: %s", ver);
    const int dnn = strstr(ver, "onednn") != NULL;
    static const char *const names[2] = {"openblas", "onednn"};
    for (int b = 0; b < 2; b++) {
        snprintf(
            cmd, sizeof cmd,
            "'%s' eval --model '%s' --data '%s' --classes 3,4 --json --quiet --backend %s 2>&1",
            tap_sekit(), model, data, names[b]);
        const int st = capture(cmd, out[b], sizeof out[b]);
        if (b == 0 || dnn)
            ok(st == 0 && strstr(out[b], "\"images\": 800"), "eval --backend %s: exit %d", names[b],
               st);
        else
            ok(st != 0 && strstr(out[b], "built without oneDNN"),
               "--backend onednn in a build without oneDNN: exit %d, says why", st);
    }
    if (dnn) is_str(out[1], out[0], "eval --json prints the same on both backends");
    snprintf(cmd, sizeof cmd,
             "SEKIT_BACKEND=openblas '%s' eval --model '%s' --data '%s' --classes 3,4 --json "
             "--quiet 2>&1",
             tap_sekit(), model, data);
    char buf[8192];
    ok(capture(cmd, buf, sizeof buf) == 0 && strcmp(buf, out[0]) == 0,
       "SEKIT_BACKEND=openblas sets the default");
    snprintf(cmd, sizeof cmd, "SEKIT_BACKEND=cuda '%s' info --arch seresnet18 2>&1", tap_sekit());
    const int st = capture(cmd, buf, sizeof buf);
    ok(st == 2 && strstr(buf, "SEKIT_BACKEND='cuda' is not a backend of this sekit"),
       "SEKIT_BACKEND=cuda: exit %d, says why", st);
}

static void interop(void)
{
    char full[700], cmd[3000];
    snprintf(full, sizeof full, "%s/full.h5", tap_tmpdir());
    if (system("/usr/bin/python3 -c 'import h5py, xarray, h5netcdf' >/dev/null 2>&1") != 0) {
        skip("python3-h5py, python3-xarray or python3-h5netcdf not installed");
        return;
    }
    snprintf(
        cmd, sizeof cmd,
        "/usr/bin/python3 - '%s' <<'EOF'\n"
        "import sys, h5py, numpy as np, xarray as xr\n"
        "p = sys.argv[1]\n"
        "with h5py.File(p) as f:\n"
        "    assert f.attrs['format_version'] == 2\n"
        "    assert f['excitation/SE_4_2'].shape == (%d, 64)\n"
        "    assert f['excitation/SE_4_2'].dims[1].keys() == ['channel_SE_4_2']\n"
        "    g = f['excitation/SE_2_1'][:]\n"
        "    assert ((g > 0) & (g < 1)).all()\n"
        "    assert list(f['class_names'].asstr()[:3]) == ['T-shirt/top', 'Trouser', 'Pullover']\n"
        "root = xr.open_dataset(p, engine='h5netcdf')\n"
        "assert root['logits'].dims == ('sample', 'label'), root['logits'].dims\n"
        "assert root['logits'].sel(label='Bag').shape == (%d,)\n"
        "ex = xr.open_dataset(p, engine='h5netcdf', group='excitation')\n"
        "assert ex['SE_3_1'].dims == ('sample', 'channel_SE_3_1'), ex['SE_3_1'].dims\n"
        "m = ex['SE_4_2'].groupby(root['labels']).mean()\n"
        "assert m.shape == (10, 64), m.shape\n"
        "EOF",
        full, NIMG, NIMG);
    ok(system(cmd) == 0, "h5py and xarray read the recording with named dimensions");
}

/* Every --help page ends with examples that are sekit command lines of that command; sekit help
 * CMD prints the same page; sekit help and sekit CMD --version work. */
static void help_pages(void)
{
    static const char *const cmds[] = {"info",  "bench", "eval",   "record",
                                       "stats", "plot",  "ablate", "reproduce"};
    static char a[16384], b[16384];
    char cmd[1200];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snprintf(cmd, sizeof cmd, "'%s' %s --help", tap_sekit(), cmds[i]);
        const int st = capture(cmd, a, sizeof a);
        const char *ex = strstr(a, "\nexamples:\n");
        char want[64];
        snprintf(want, sizeof want, "\n  sekit %s", cmds[i]);
        int lines = 0, good = 0;
        for (const char *l = ex ? ex + 11 : NULL; l && *l; l = strchr(l, '\n') + 1) {
            lines++;
            good += strncmp(l, "  # ", 4) == 0 || strncmp(l, want + 1, strlen(want + 1)) == 0;
            if (!strchr(l, '\n')) break;
        }
        ok(st == 0 && ex && lines >= 2 && good == lines && strstr(ex, want),
           "%s --help ends with examples of 'sekit %s' (%d lines, %d of them right)", cmds[i],
           cmds[i], lines, good);
        snprintf(cmd, sizeof cmd, "'%s' help %s", tap_sekit(), cmds[i]);
        const int st2 = capture(cmd, b, sizeof b);
        ok(st2 == 0 && strcmp(a, b) == 0, "sekit help %s prints sekit %s --help", cmds[i], cmds[i]);
    }
    snprintf(cmd, sizeof cmd, "'%s' help", tap_sekit());
    int st = capture(cmd, a, sizeof a);
    ok(st == 0 && strstr(a, "  reproduce ") && strstr(a, "\nexamples:\n  # ") &&
           strstr(a, "  sekit eval\n"),
       "sekit help lists the commands and examples: exit %d", st);
    snprintf(cmd, sizeof cmd, "'%s' --version", tap_sekit());
    st = capture(cmd, a, sizeof a);
    snprintf(cmd, sizeof cmd, "'%s' record --version", tap_sekit());
    const int st2 = capture(cmd, b, sizeof b);
    ok(st == 0 && st2 == 0 && strncmp(a, "sekit ", 6) == 0, "sekit --version: %s", a);
    is_str(b, a, "sekit record --version prints sekit --version");
}

/* eval --json's percentages read as the decimals they are (4 decimals at most, no 17-digit
 * tails), and agree with the table's two decimals. On the bundled model and the Fashion-MNIST
 * test split, where the percentages are not round. */
static void eval_json_decimals(void)
{
    char bundled[900], cmd[2400];
    static char js[65536], txt[65536];
    snprintf(bundled, sizeof bundled, "%s/models/fashion_mnist_seresnet50.safetensors",
             tap_srcdir());
    if (access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) != 0 ||
        access(bundled, R_OK) != 0) {
        skip("the Fashion-MNIST test split or the bundled model is not installed");
        return;
    }
    const char *sel = "--classes Shirt,Pullover,Coat --per-class 333 --seed 3 --quiet";
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' %s --json", tap_sekit(), bundled, sel);
    const int st = capture(cmd, js, sizeof js);
    snprintf(cmd, sizeof cmd, "'%s' eval --model '%s' %s", tap_sekit(), bundled, sel);
    const int st2 = capture(cmd, txt, sizeof txt);
    int n = 0, bad = 0, odd = 0;
    for (const char *p = js; (p = strstr(p, "\"top")) != NULL; p++) {
        const char *colon = strstr(p, "\": ");
        if (!colon || p[4] == 'k') continue;
        const char *v = colon + 3;
        const size_t len = strspn(v, "0123456789.");
        const char *dot = memchr(v, '.', len);
        const size_t decimals = dot ? len - (size_t)(dot - v) - 1 : 0;
        const double x = strtod(v, NULL);
        n++;
        bad += decimals > 4;
        odd += fabs(x - round(x)) > 1e-9;
        if (decimals > 4) diag("%.*s", (int)len, v);
    }
    const char *t1 = strstr(txt, "top-1"), *j1 = strstr(js, "\"top1\": ");
    char want[32];
    if (j1) snprintf(want, sizeof want, "%.2f%%", strtod(j1 + 8, NULL));
    ok(st == 0 && st2 == 0 && n == 8 && bad == 0 && odd > 0,
       "eval --json: %d percentages, %d with more than 4 decimals, %d not whole", n, bad, odd);
    ok(t1 && j1 && strstr(t1, want), "the JSON top-1 is the table's (%s)", want);
}

/* stats --json: the per-block summary as JSON on stdout, stats --quiet: nothing. */
static void stats_json(void)
{
    char full[700], out[720], cmd[2400];
    static char buf[65536];
    snprintf(full, sizeof full, "%s/full.h5", tap_tmpdir());
    snprintf(out, sizeof out, "%s/full-q.stats.h5", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "'%s' stats '%s' --out '%s' --quiet 2>&1", tap_sekit(), full, out);
    int st = capture(cmd, buf, sizeof buf);
    ok(st == 0 && buf[0] == 0 && exists(out), "stats --quiet prints nothing and writes the file");
    snprintf(cmd, sizeof cmd, "'%s' stats '%s' --out '%s' --json", tap_sekit(), full, out);
    st = capture(cmd, buf, sizeof buf);
    json_error_t je;
    json_t *root = json_loads(buf, 0, &je);
    json_t *blocks = json_object_get(root, "blocks"), *b0 = json_array_get(blocks, 0);
    const double spec = json_number_value(json_object_get(b0, "specificity"));
    ok(st == 0 && root && json_integer_value(json_object_get(root, "images")) == NIMG &&
           json_integer_value(json_object_get(root, "classes")) == 10 &&
           json_array_size(blocks) == 6 &&
           strcmp(json_string_value(json_object_get(b0, "block")), "SE_2_1") == 0 &&
           json_integer_value(json_object_get(b0, "channels")) == 16 && spec > 0 && spec <= 1 &&
           json_is_real(json_object_get(b0, "saturation_high")),
       "stats --json: %d images, 10 classes, 6 blocks from SE_2_1 (16 channels, specificity %g)",
       NIMG, spec);
    json_decref(root);
}

/* --resume continues a journal written with another --batch: rows are per image. The engine may
 * pick kernels by batch size (oneDNN's AVX-512 convolutions block the batch), so every value may
 * sum in another order and is compared within float rounding: RESUME_BATCH_TOL, far below any
 * difference the analysis reads (gates are in [0, 1]). */
#define RESUME_BATCH_TOL 1e-5
static void resume_other_batch(void)
{
    char full[700], cut[700], cmd[2400];
    int lines;
    snprintf(full, sizeof full, "%s/full.h5", tap_tmpdir());
    snprintf(cut, sizeof cut, "%s/cut-b.h5", tap_tmpdir());
    kill_midway(cut, 800, 0);
    snprintf(cmd, sizeof cmd,
             "record --model '%s' --data '%s' --out '%s' --batch 7 --squeeze --resume --quiet",
             model, data, cut);
    const int st = fixture_run(cmd, &lines);
    ok(st == 0 && lines == 0 && exists(cut), "--resume with --batch 7 continues a --batch 16 run");
    static const char *const names[] = {
        "labels",         "sample_index", "excitation/SE_2_1", "excitation/SE_4_2",
        "squeeze/SE_4_2", "logits"};
    hid_t fa = H5Fopen(full, H5F_ACC_RDONLY, H5P_DEFAULT),
          fb = H5Fopen(cut, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        hid_t da = H5Dopen2(fa, names[i], H5P_DEFAULT), db = H5Dopen2(fb, names[i], H5P_DEFAULT);
        hid_t sp = H5Dget_space(da);
        const size_t n = (size_t)H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), worst = 0;
        const int read = a && b &&
                         H5Dread(da, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0 &&
                         H5Dread(db, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) >= 0;
        for (size_t k = 0; read && k < n; k++)
            if (fabs(a[k] - b[k]) > worst) worst = fabs(a[k] - b[k]);
        const double tol =
            strstr(names[i], "/") || strcmp(names[i], "logits") == 0 ? RESUME_BATCH_TOL : 0;
        ok(read && n > 0 && worst <= tol, "resumed with another batch: %s within %g (worst %g)",
           names[i], tol, worst);
        free(a), free(b);
        H5Dclose(da), H5Dclose(db);
    }
    H5Fclose(fa), H5Fclose(fb);
}

/* A class folder holding a non-image file and a hidden file: both skipped, and said so in one
 * note line naming the first. */
static void stray_files(void)
{
    char dir[700], path[800], cmd[2400];
    int lines;
    snprintf(dir, sizeof dir, "%s/folder", tap_tmpdir());
    static const char *const classes[] = {"Bag", "Coat"};
    unsigned char pix[28 * 28];
    for (int i = 0; i < 28 * 28; i++)
        pix[i] = (unsigned char)(i * 7);
    int made = mkdir(dir, 0755) == 0;
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof path, "%s/%s", dir, classes[c]);
        made &= mkdir(path, 0755) == 0;
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s/%d.png", dir, classes[c], k);
            made &= imgwrite_png(path, 28, 28, 1, pix) == 0;
        }
    }
    snprintf(path, sizeof path, "%s/Bag/notes.txt", dir);
    made &= fixture_spit(path, "x\n", 2);
    snprintf(path, sizeof path, "%s/Coat/.DS_Store", dir);
    made &= fixture_spit(path, "x", 1);
    char map[800];
    snprintf(map, sizeof map, "%s/folder.map", tap_tmpdir());
    made &= fixture_spit(map, "Bag 8\nCoat 4\n", 13);
    snprintf(cmd, sizeof cmd,
             "eval --model '%s' --data '%s' --class-map '%s' --preset none --crop 28", model, dir,
             map);
    const int st = fixture_run(cmd, &lines);
    char want[1200];
    snprintf(want, sizeof want,
             "sekit eval: skipped 1 non-image file (%s/Bag/notes.txt); skipped 1 hidden file\n",
             dir);
    ok(made && st == 0 && strncmp(fixture_stderr(), want, strlen(want)) == 0,
       "a stray file and a hidden one are noted in one line, exit %d", st);
    if (strncmp(fixture_stderr(), want, strlen(want)) != 0)
        diag("want: %s# got: %s", want, fixture_stderr());
    snprintf(cmd, sizeof cmd,
             "eval --model '%s' --data '%s' --class-map '%s' --preset none --crop 28 --quiet",
             model, dir, map);
    ok(fixture_run(cmd, &lines) == 0 && lines == 0, "--quiet silences the note");
}

/* --resume on a finished recording: the file stores its run's description, and a run of other
 * arguments is refused naming the item, the file untouched (it compared the image count alone,
 * exited 0 and kept the old run's file); the same arguments are accepted. */
static void resume_finished(void)
{
    char out[700], base[2400], cmd[4000], other[800];
    int lines;
    snprintf(out, sizeof out, "%s/finished.h5", tap_tmpdir());
    snprintf(other, sizeof other, "%s/models/fashion_mnist_seresnet50.safetensors", tap_srcdir());
    snprintf(base, sizeof base,
             "record --data '%s' --classes Bag,Coat --per-class 20 --out '%s' --quiet", data, out);
    snprintf(cmd, sizeof cmd, "%s --model '%s'", base, model);
    if (!is_int(fixture_run(cmd, &lines), 0, "a finished recording of Bag and Coat")) return;
    size_t n0;
    unsigned char *before = fixture_slurp(out, &n0);
    snprintf(cmd, sizeof cmd, "%s --model '%s' --resume", base, model);
    is_int(fixture_run(cmd, &lines), 0, "--resume with the same arguments: nothing to do");
    static const struct {
        const char *args, *had, *has;
    } c[] = {
        {"--seed 7", "seed=0", "seed=7"},
        {"--blocks SE_2_1", "blocks=SE_2_1,SE_2_2,SE_3_1,SE_3_2,SE_4_1,SE_4_2", "blocks=SE_2_1"},
        {"--squeeze", "squeeze=0", "squeeze=1"},
        {"--per-class 10", "per_class=20", "per_class=10"},
    };
    for (size_t i = 0; i <= sizeof c / sizeof c[0]; i++) {
        char want[400];
        if (i < sizeof c / sizeof c[0]) {
            snprintf(cmd, sizeof cmd, "%s --model '%s' %s --resume", base, model, c[i].args);
            snprintf(want, sizeof want,
                     "--resume refused: the finished run had %s, this one has %s", c[i].had,
                     c[i].has);
        } else {
            snprintf(cmd, sizeof cmd, "%s --model '%s' --resume", base, other);
            snprintf(want, sizeof want, "--resume refused: the finished run had model_sha256=");
        }
        const int st = fixture_run(cmd, &lines);
        size_t n1;
        unsigned char *after = fixture_slurp(out, &n1);
        ok(st == 2 && lines == 1 && fixture_stderr_has(want) && after && before && n0 == n1 &&
               !memcmp(before, after, n0),
           "--resume with %s on a finished recording: exit 2, one line, the file untouched "
           "(exit %d)",
           i < sizeof c / sizeof c[0] ? c[i].args : "another --model", st);
        free(after);
    }
    free(before);
}

/* reproduce: --per-class is honoured, --out creates its missing levels (and names the one it
 * cannot), and its help lists --classes once and shows --quiet. */
static void reproduce_cmdline(void)
{
    char out[700], cmd[4800];
    static char buf[32768];
    int lines;
    snprintf(out, sizeof out, "%s/r/a/b/c", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "reproduce --model '%s' --data '%s' --out '%s' --classes Trouser,Dress,Coat,Bag "
             "--pair Trouser,Bag --per-class 3 --quiet",
             model, data, out);
    int st = fixture_run(cmd, &lines);
    char cls[800];
    snprintf(cls, sizeof cls, "%s/classes.h5", out);
    int64_t n = -1;
    hid_t f = H5Fopen(cls, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        hid_t at = H5Aopen(f, "n_images", H5P_DEFAULT);
        if (at >= 0) H5Aread(at, H5T_NATIVE_INT64, &n), H5Aclose(at);
        H5Fclose(f);
    }
    ok(st == 0 && lines == 0, "reproduce --out with three missing levels: exit %d", st);
    is_int(n, 12, "--per-class 3 of 4 classes: classes.h5 holds 12 images");
    /* --compare: the other run's statistics beside this run's depth trend */
    char out2[800], rep[900], png[900];
    snprintf(out2, sizeof out2, "%s/r2", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "reproduce --model '%s' --data '%s' --out '%s' --per-class 3 --quiet "
             "--compare '%s/all.stats.h5'",
             model, data, out2, out);
    st = fixture_run(cmd, &lines);
    snprintf(rep, sizeof rep, "%s/report.md", out2);
    snprintf(png, sizeof png, "%s/depth-compare.png", out2);
    size_t len = 0;
    char *md = (char *)fixture_slurp(rep, &len);
    ok(st == 0 && md && strstr(md, "## Depth trend beside another network") &&
           strstr(md, "| Spearman rho, effect size with depth |") &&
           strstr(md, "![depth-compare](depth-compare.png)") && access(png, F_OK) == 0,
       "reproduce --compare: the report's comparison and its figure (exit %d)", st);
    free(md);
    snprintf(out2, sizeof out2, "%s/r3", tap_tmpdir());
    snprintf(cmd, sizeof cmd,
             "reproduce --model '%s' --data '%s' --out '%s' --quiet --compare '%s/classes.h5'",
             model, data, out2, out);
    st = fixture_run(cmd, &lines);
    ok(st == 1 && lines == 1 && fixture_stderr_has("classes.h5: not a sekit statistics file") &&
           access(out2, F_OK) != 0,
       "reproduce --compare of a recording: refused before any work, no DIR (exit %d): %s", st,
       fixture_stderr());
    snprintf(cmd, sizeof cmd, "reproduce --model '%s' --data '%s' --out /dev/null/x/y --quiet",
             model, data);
    st = fixture_run(cmd, &lines);
    ok(st == 1 && lines == 1 &&
           fixture_stderr_has("sekit reproduce: /dev/null/x/y: cannot create the directory: its "
                              "parent /dev/null: it is not a directory"),
       "an --out that cannot be made names the level: exit %d", st);
    snprintf(cmd, sizeof cmd, "'%s' reproduce --help", tap_sekit());
    st = capture(cmd, buf, sizeof buf);
    const char *c1 = strstr(buf, "\n  --classes"),
               *c2 = c1 ? strstr(c1 + 1, "\n  --classes") : NULL;
    ok(st == 0 && c1 && !c2 && strstr(buf, "\n  --quiet ") &&
           strstr(buf, "\n  --per-class N       images of each --classes class in classes.h5 "
                       "(default 50"),
       "reproduce --help: --classes once, --quiet shown, --per-class's default 50");
}

int main(void)
{
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(NIMG));
    option_parser();
    info_json();
    info_list();
    record_kill_resume();
    bad_input();
    eval_json();
    backends();
    help_pages();
    eval_json_decimals();
    stats_json();
    resume_other_batch();
    stray_files();
    resume_finished();
    reproduce_cmdline();
    interop();
    return tap_done();
}
