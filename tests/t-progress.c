/*
 * t-progress.c -- what long commands print while they run.
 *   - The meter (cli/meter.h) in this process, on a fake clock moved step by step: no rate
 *     (`-- img/s`) until a batch after the warm-up batch is timed, rates over the moving window,
 *     when an ETA and an overall ETA appear, lines only every interval, the last line of a pass,
 *     stage and pass labels, and a bar never wider than the terminal's columns less one.
 *   - sekit itself on the golden timm_basic_small model and an IDX dataset this test writes, with
 *     SEKIT_PROGRESS_INTERVAL=0 (a text after every batch, so that what is printed does not
 *     depend on the time a batch takes): stderr to a file gets one well-formed line per batch, the
 *     first without a rate, and a last line; ablate's two passes and reproduce's stages are named
 *     in them; --quiet prints nothing; under a pseudo-terminal of 50 columns the bar never takes
 *     more than 49, is redrawn in place once per batch, and a finished bar shows the time taken.
 * Nothing here reads the clock or asserts a rate or a time measured on this machine.
 */
#define _DEFAULT_SOURCE
#include "fixture.h"
#include "meter.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- the meter on a fake clock ----------------------------------------------------------------
 */

struct fake_clock {
    double t;
};

static double fake_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->t;
}

struct rig {
    struct fake_clock clock;
    struct sekit_meter m;
    char text[SEKIT_METER_TEXT];
};

static void rig_init(struct rig *r, enum sekit_meter_style style, double interval)
{
    r->clock.t = 0;
    const struct sekit_clock c = {fake_now, &r->clock};
    sekit_meter_init(&r->m, style, interval, &c);
}

/* At time t, done of total: what is due (the text in r->text). */
static enum sekit_meter_due at(struct rig *r, double t, int64_t done, int64_t total, int cols)
{
    r->clock.t = t;
    return sekit_meter_update(&r->m, done, total, cols, r->text, sizeof r->text);
}

/* A pass of total images starts at t0; its first batch, of first images, ends at t1. */
static void begin(struct rig *r, double t0, double t1, int64_t first, int64_t total, int cols)
{
    at(r, t0, 0, total, cols);
    at(r, t1, first, total, cols);
}

/* A pass of 100 images in batches of 10: a warm-up batch of 10 s, then one batch a second to
 * 90 images at 18 s. */
static void slow_warmup(struct rig *r)
{
    at(r, 0, 0, 100, 80);
    for (int b = 1; b < 10; b++)
        at(r, 9 + b, 10 * b, 100, 80);
}

/* At time t, done of total: a text of that kind equal to want. */
static int shows(struct rig *r, double t, int64_t done, int64_t total, enum sekit_meter_due due,
                 const char *want, const char *what)
{
    const enum sekit_meter_due got = at(r, t, done, total, 80);
    const int good = got == due && strcmp(r->text, want) == 0;
    if (!ok(good, "%s", what)) {
        diag("   at %g s, %lld/%lld: due %d, text '%s'", t, (long long)done, (long long)total, got,
             r->text);
        diag("   want due %d, text '%s'", due, want);
    }
    return good;
}

static void meter_no_rate_yet(void)
{
    struct rig r;
    /* the case: a line due at the end of the warm-up batch */
    rig_init(&r, SEKIT_METER_LINES, 0.05);
    is_int(at(&r, 0, 0, 4000, 80), SEKIT_METER_NONE, "the pass's start shows nothing");
    shows(&r, 0.25, 8, 4000, SEKIT_METER_TICK, "8/4000 images, -- img/s, elapsed 0:00, ETA -:--",
          "a line at the warm-up batch's end: no rate measured yet (not 0.0 img/s)");
    shows(&r, 0.375, 16, 4000, SEKIT_METER_TICK,
          "16/4000 images, 64.0 img/s, elapsed 0:00, ETA -:--",
          "the next batch is timed: 8 images in 0.125 s");

    /* a clock that does not move measures nothing, to the last line */
    rig_init(&r, SEKIT_METER_LINES, 0);
    at(&r, 7, 0, 8, 80);
    shows(&r, 7, 4, 8, SEKIT_METER_TICK, "4/8 images, -- img/s, elapsed 0:00, ETA -:--",
          "a still clock: no rate at the first batch");
    shows(&r, 7, 8, 8, SEKIT_METER_LAST, "8/8 images in 0:00 (-- img/s)", "nor in the last line");

    rig_init(&r, SEKIT_METER_BAR, 0);
    begin(&r, 0, 0.5, 4, 400, 80);
    ok(strstr(r.text, " -- img/s ETA -:--") != NULL, "the bar at the warm-up batch: %s", r.text);
}

static void meter_eta(void)
{
    struct rig r;
    /* after SEKIT_METER_ETA_AFTER seconds of measured rate */
    rig_init(&r, SEKIT_METER_LINES, 0.5);
    at(&r, 10, 0, 1000, 80);
    shows(&r, 12, 10, 1000, SEKIT_METER_TICK, "10/1000 images, -- img/s, elapsed 0:02, ETA -:--",
          "a slow warm-up batch: no rate, no ETA");
    shows(&r, 12.5, 20, 1000, SEKIT_METER_TICK,
          "20/1000 images, 20.0 img/s, elapsed 0:03, ETA -:--",
          "0.5 s measured and a hundredth of the pass: a rate, no ETA yet");
    shows(&r, 13, 30, 1000, SEKIT_METER_TICK, "30/1000 images, 20.0 img/s, elapsed 0:03, ETA 0:49",
          "1 s measured: an ETA of 970 images at 20 img/s");

    /* or after a tenth of the pass, however short */
    rig_init(&r, SEKIT_METER_LINES, 0);
    begin(&r, 0, 0.25, 10, 200, 80);
    shows(&r, 0.5, 20, 200, SEKIT_METER_TICK, "20/200 images, 40.0 img/s, elapsed 0:01, ETA -:--",
          "a twentieth of the pass in 0.25 s: no ETA");
    rig_init(&r, SEKIT_METER_LINES, 0);
    begin(&r, 0, 0.25, 10, 100, 80);
    shows(&r, 0.5, 20, 100, SEKIT_METER_TICK, "20/100 images, 40.0 img/s, elapsed 0:01, ETA 0:02",
          "a tenth of the pass in 0.25 s: an ETA");
}

static void meter_window(void)
{
    struct rig r;
    /* lines every second: the window is the last two seconds */
    rig_init(&r, SEKIT_METER_LINES, 1);
    begin(&r, 0, 1, 10, 100000, 80);
    int64_t done = 10;
    int t = 1;
    for (; t < 20; t++)
        at(&r, t + 1, done += 10, 100000, 80);
    for (; t < 23; t++)
        at(&r, t + 1, done += 100, 100000, 80);
    ok(strstr(r.text, ", 100.0 img/s,") != NULL,
       "lines: 19 s at 10 img/s, then 3 s at 100: the window of 2 s has forgotten the slow part: "
       "%s",
       r.text);

    /* a bar every 0.125 s: the last 10 s, after the ring of samples has wrapped several times */
    rig_init(&r, SEKIT_METER_BAR, 0.125);
    at(&r, 0, 0, 1000000, 80);
    done = 0;
    int k = 1;
    for (; k <= 480; k++)
        at(&r, k * 0.125, done += 5, 1000000, 80);
    ok(strstr(r.text, " 40 img/s ") != NULL, "a bar: 60 s at 40 img/s: %s", r.text);
    for (; k <= 520; k++)
        at(&r, k * 0.125, done += 20, 1000000, 80);
    ok(strstr(r.text, " 100 img/s ") != NULL,
       "then 5 s at 160 img/s: the 10 s window holds half of each, 100 img/s: %s", r.text);
}

static void meter_interval(void)
{
    struct rig r;
    rig_init(&r, SEKIT_METER_LINES, 5);
    at(&r, 0, 0, 270, 80);
    char got[64] = "", want[64] = "";
    int o = 0;
    /* a batch of 10 every second to the last at 27 s: lines at 5, 10, ..., 25 s, the last line */
    for (int t = 1; t <= 27; t++) {
        const enum sekit_meter_due d = at(&r, t, 10 * t, 270, 80);
        if (d != SEKIT_METER_NONE)
            o += snprintf(got + o, sizeof got - (size_t)o, "%s%d%s", o ? " " : "", t,
                          d == SEKIT_METER_LAST ? "L" : "");
    }
    snprintf(want, sizeof want, "5 10 15 20 25 27L");
    is_str(got, want, "lines every 5 s and a last line at the end of the pass, whenever it comes");
    /* the next pass starts afresh: its own start, elapsed and gating */
    is_int(at(&r, 100, 0, 50, 80), SEKIT_METER_NONE, "the next pass's start shows nothing");
    is_int(at(&r, 103, 10, 50, 80), SEKIT_METER_NONE, "3 s into it: no line yet");
    shows(&r, 105, 20, 50, SEKIT_METER_TICK, "20/50 images, 5.0 img/s, elapsed 0:05, ETA 0:06",
          "5 s into it: a line of its own");
}

static void meter_last(void)
{
    struct rig r;
    /* the mean counts the warm-up */
    rig_init(&r, SEKIT_METER_LINES, 5);
    slow_warmup(&r);
    shows(&r, 19, 100, 100, SEKIT_METER_LAST, "100/100 images in 0:19 (5.3 img/s)",
          "the last line: the time taken and the pass's mean rate, warm-up included");

    rig_init(&r, SEKIT_METER_BAR, 0.1);
    slow_warmup(&r);
    shows(&r, 19, 100, 100, SEKIT_METER_LAST,
          "[==============================] 100/100 5.3 img/s in 0:19",
          "the finished bar: the time taken, no ETA, a rate below 10 with a decimal");
    /* a pass of 7,200,000 images after it, its first batch an hour long */
    static const struct {
        double t;
        int64_t done;
        enum sekit_meter_due due;
        const char *want, *what;
    } steps[] = {
        {3619, 0, SEKIT_METER_NONE, "", "a new pass after it"},
        {3620, 100000, SEKIT_METER_TICK,
         "[                              ]  100000/7200000 -- img/s ETA -:--",
         "its bar: done as wide as the total"},
        {7220, 3700000, SEKIT_METER_TICK,
         "[===============               ] 3700000/7200000 1000 img/s ETA 58:20",
         "half way an hour later: 1000 img/s, 3,500,000 images to go"},
        {7221, 3800000, SEKIT_METER_TICK,
         "[===============               ] 3800000/7200000 100000 img/s ETA 0:34",
         "a fast second in the window"},
        {10819, 7200000, SEKIT_METER_LAST,
         "[==============================] 7200000/7200000 1000 img/s in 2:00:00",
         "the finished bar: 7,200,000 images in two hours, shown as h:mm:ss"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        shows(&r, steps[i].t, steps[i].done, 7200000, steps[i].due, steps[i].want, steps[i].what);
}

static void meter_labels(void)
{
    /* each a pass of total images, 10 a second, the line at its second batch; a pass of n = 0
     * is none (a stage without passes) */
    static const struct {
        int stage_k, stage_n;
        const char *stage;
        int64_t stage_after;
        int pass_k, pass_n;
        const char *pass;
        int64_t pass_after, total;
        const char *want, *what;
    } cases[] = {
        {1, 1, "all", 0, 0, 0, NULL, 0, 100, "20/100 images, 10.0 img/s, elapsed 0:02, ETA 0:08",
         "a single stage: no label"},
        {1, 5, "recording 40 images", 400, 0, 0, NULL, 0, 40,
         "stage 1 of 5 (recording 40 images): 20/40 images, 10.0 img/s, elapsed 0:02, ETA 0:02, "
         "overall ETA 0:42",
         "stage 1 of 5, 400 images in the stages after it: labelled, an overall ETA"},
        {2, 5, "block ablations", 0, 1, 2, "mean gates", 200, 200,
         "stage 2 of 5 (block ablations), pass 1 of 2 (mean gates): 20/200 images, 10.0 img/s, "
         "elapsed 0:02, ETA 0:18, overall ETA 0:38",
         "stage 2, pass 1 of 2 with a pass after it: both labels, an overall ETA"},
        {2, 5, "block ablations", 0, 2, 2, "variants", 0, 200,
         "stage 2 of 5 (block ablations), pass 2 of 2 (variants): 20/200 images, 10.0 img/s, "
         "elapsed 0:02, ETA 0:18",
         "the last pass of the last stage with images: no overall ETA"},
    };
    struct rig r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rig_init(&r, SEKIT_METER_LINES, 0);
        sekit_meter_stage(&r.m, cases[i].stage_k, cases[i].stage_n, cases[i].stage,
                          cases[i].stage_after);
        if (cases[i].pass_n)
            sekit_meter_pass(&r.m, cases[i].pass_k, cases[i].pass_n, cases[i].pass,
                             cases[i].pass_after);
        begin(&r, 0, 1, 10, cases[i].total, 80);
        shows(&r, 2, 20, cases[i].total, SEKIT_METER_TICK, cases[i].want, cases[i].what);
    }
    shows(&r, 3, 200, 200, SEKIT_METER_LAST,
          "stage 2 of 5 (block ablations), pass 2 of 2 (variants): 200/200 images in 0:03 (66.7 "
          "img/s)",
          "the last line, labelled");

    rig_init(&r, SEKIT_METER_BAR, 0);
    sekit_meter_stage(&r.m, 2, 5, "block ablations", 0);
    sekit_meter_pass(&r.m, 2, 2, "variants", 0);
    begin(&r, 40, 41, 10, 200, 80);
    at(&r, 42, 20, 200, 80);
    at(&r, 43, 30, 200, 80);
    ok(strncmp(r.text, "2/5 pass 2/2 [====", 18) == 0 && strstr(r.text, " ETA 0:17") != NULL,
       "a bar's labels are terse: %s", r.text);
    sekit_meter_stage(&r.m, 3, 5, "statistics", 0);
    at(&r, 44, 40, 200, 80);
    ok(strncmp(r.text, "3/5 [", 5) == 0, "a new stage has no pass: %s", r.text);
}

static void meter_bar_width(void)
{
    struct rig r;
    rig_init(&r, SEKIT_METER_BAR, 0);
    sekit_meter_stage(&r.m, 2, 5, "block ablations", 1000000);
    sekit_meter_pass(&r.m, 1, 2, "mean gates", 1000000);
    int over = 0, bars = 0, wrong_fill = 0, worst = 0;
    for (int cols = 0; cols <= 200; cols++) {
        begin(&r, 0, 1, 1000, 1000000, cols);
        at(&r, 2, 500000, 1000000, cols);
        const int len = (int)strlen(r.text);
        if (len > (cols > 1 ? cols - 1 : 0) && !over++) worst = cols;
        const char *open = strchr(r.text, '['), *close = open ? strchr(open, ']') : NULL;
        if (open && close) {
            bars++;
            const int bw = (int)(close - open) - 1;
            int fill = 0;
            while (open[1 + fill] == '=')
                fill++;
            wrong_fill += bw < 10 || bw > 30 || fill != bw / 2;
        }
        at(&r, 3, 1000000, 1000000, cols); /* ends the pass */
    }
    ok(over == 0,
       "a bar of 0 to 200 columns is never wider than the columns less one (%d are, "
       "first at %d)",
       over, worst);
    ok(bars > 100 && wrong_fill == 0,
       "%d bars drawn with room for them, each 10 to 30 columns, half full at half way (%d not)",
       bars, wrong_fill);
    begin(&r, 0, 1, 1000, 1000000, 70);
    at(&r, 2, 500000, 1000000, 70);
    is_str(r.text, "2/5 pass 1/2  500000/1000000 499000 img/s ETA 0:01 all 0:05",
           "70 columns leave no room for a bar of 10: the labels and numbers alone");
    at(&r, 3, 1000000, 1000000, 70);
    begin(&r, 0, 1, 1000, 1000000, 50);
    at(&r, 2, 500000, 1000000, 50);
    is_str(r.text, "2/5 pass 1/2  500000/1000000 499000 img/s ETA 0:0",
           "50 columns: the same cut to 49");
}

/* ---- sekit end to end --------------------------------------------------------------------------
 */

enum { NIMG = 400 };

static char data[600], model[800];

/* Runs sekit with args and SEKIT_PROGRESS_INTERVAL=0, stderr into a file, stdout to /dev/null;
 * returns the exit status and the stderr text (malloc'd) in *err. */
static int run_logged(const char *args, char **err)
{
    char path[700], cmd[3000];
    snprintf(path, sizeof path, "%s/stderr.txt", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "SEKIT_PROGRESS_INTERVAL=0 '%s' %s >/dev/null 2>'%s'", tap_sekit(),
             args, path);
    const int st = system(cmd);
    size_t len;
    *err = (char *)fixture_slurp(path, &len);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "--", or a number >= 0 (a rate as a line shows it) */
static int rate_form(const char *s)
{
    char *end;
    return strcmp(s, "--") == 0 || (*s && strtod(s, &end) >= 0 && *end == 0);
}

/* "-:--", or m:ss */
static int eta_form(const char *s)
{
    int m, sec, n = 0;
    return strcmp(s, "-:--") == 0 ||
           (sscanf(s, "%d:%2d%n", &m, &sec, &n) == 2 && s[n] == 0 && sec < 60 && m >= 0);
}

/* The lines of a logged run whose prefix is "sekit CMD: WHERE", one per batch of batch images
 * (SEKIT_PROGRESS_INTERVAL=0): "D/T images, R img/s, elapsed M:SS, ETA E[, overall ETA E]" with D
 * the batch's end, T total, R "--" or a number, E "-:--" or M:SS; the first line, at the warm-up
 * batch's end, has no rate and no ETA; then the last line "T/T images in M:SS (R img/s)".
 * overall 1: every line that shows an ETA shows an overall ETA too; 0: none does. Returns the
 * number of periodic lines, or -1 with a diagnostic when a line is not of that form. */
static int check_lines(const char *text, const char *cmd, long long total, int batch,
                       const char *where, int overall)
{
    char prefix[200];
    snprintf(prefix, sizeof prefix, "sekit %s: %s", cmd, where);
    int periodic = 0, finals = 0;
    long long last = 0;
    for (const char *l = text; *l;) {
        const size_t len = strcspn(l, "\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), l);
        l += len + (l[len] == '\n');
        if (strncmp(line, prefix, strlen(prefix)) != 0 || !strstr(line, " images")) continue;
        const char *p = line + strlen(prefix);
        long long d, t;
        int em, es, n = 0;
        char rate[32], eta[16], all[16] = "";
        if (finals) {
            diag("a line after the last: %s", line);
            return -1;
        }
        if (sscanf(p, "%lld/%lld images, %31[-0-9.] img/s, elapsed %d:%d, ETA %15[-:0-9]%n", &d, &t,
                   rate, &em, &es, eta, &n) == 6) {
            int m = 0;
            const int has_all = p[n] != 0;
            if (has_all && (sscanf(p + n, ", overall ETA %15[:0-9]%n", all, &m) != 1 ||
                            p[n + m] != 0 || !eta_form(all))) {
                diag("bad overall ETA: %s", line);
                return -1;
            }
            const long long want = last + batch < total ? last + batch : total;
            if (t != total || d != want || d >= total || !rate_form(rate) || es > 59 ||
                !eta_form(eta)) {
                diag("bad periodic line (want %lld/%lld next): %s", want, total, line);
                return -1;
            }
            if (periodic == 0 && (strcmp(rate, "--") != 0 || strcmp(eta, "-:--") != 0)) {
                diag("a rate or an ETA at the warm-up batch's end, where none is measured: %s",
                     line);
                return -1;
            }
            const int shows_eta = strcmp(eta, "-:--") != 0;
            if (overall == 0 ? has_all : shows_eta != has_all) {
                diag("want %s overall ETA: %s", overall ? "an ETA with an" : "no", line);
                return -1;
            }
            last = d;
            periodic++;
        } else if (sscanf(p, "%lld/%lld images in %d:%d (%31[-0-9.] img/s)%n", &d, &t, &em, &es,
                          rate, &n) == 5 &&
                   p[n] == 0) {
            if (d != total || t != total || last + batch < total || !rate_form(rate) || es > 59) {
                diag("bad last line (after %lld): %s", last, line);
                return -1;
            }
            finals++;
        } else {
            diag("unparsed progress line: %s", line);
            return -1;
        }
    }
    if (finals != 1) {
        diag("%d last lines with '%s'", finals, prefix);
        return -1;
    }
    return periodic;
}

static void logged(void)
{
    char args[2400], *err = NULL;
    snprintf(args, sizeof args, "eval --model '%s' --data '%s' --batch 4 --threads 1", model, data);
    int st = run_logged(args, &err);
    int n = err ? check_lines(err, "eval", NIMG, 4, "", 0) : -1;
    ok(st == 0 && n == NIMG / 4 - 1,
       "eval, stderr to a file: a line for each of the %d batches but the last (%d), then a last "
       "line",
       NIMG / 4, n);
    ok(err && !strchr(err, '\r') && !strchr(err, '\033'), "no carriage return, no escape");
    free(err);

    snprintf(args, sizeof args, "eval --model '%s' --data '%s' --batch 4 --threads 1 --quiet",
             model, data);
    st = run_logged(args, &err);
    ok(st == 0 && err && err[0] == 0, "--quiet: nothing on stderr (%s)", err ? err : "?");
    free(err);

    char out[700];
    snprintf(out, sizeof out, "%s/abl", tap_tmpdir());
    snprintf(args, sizeof args,
             "ablate --model '%s' --data '%s' --out '%s' --variants single --mode both --batch 8 "
             "--threads 1",
             model, data, out);
    st = run_logged(args, &err);
    const int n1 = err ? check_lines(err, "ablate", NIMG, 8, "pass 1 of 2 (mean gates): ", 1) : -1;
    const int n2 = err ? check_lines(err, "ablate", NIMG, 8, "pass 2 of 2 (variants): ", 0) : -1;
    const char *a1 = err ? strstr(err, "sekit ablate: pass 1 of 2: mean gates\n") : NULL;
    const char *a2 = err ? strstr(err, "sekit ablate: pass 2 of 2: variants\n") : NULL;
    ok(st == 0 && n1 == NIMG / 8 - 1 && n2 == NIMG / 8 - 1 && a1 && a2 && a1 < a2,
       "ablate --mode both: its two passes announced and their lines labelled (%d, %d lines), an "
       "overall ETA in the first's",
       n1, n2);
    free(err);

    snprintf(out, sizeof out, "%s/rep", tap_tmpdir());
    snprintf(args, sizeof args,
             "reproduce --model '%s' --data '%s' --out '%s' --classes Trouser,Dress,Coat,Bag "
             "--pair Trouser,Bag --per-class 10 --mode both --batch 4 --threads 1",
             model, data, out);
    st = run_logged(args, &err);
    static const char *const stages[] = {
        "stage 1 of 5: recording 40 images of Trouser,Dress,Coat,Bag",
        "stage 2 of 5: block ablations, recording every image", "stage 3 of 5: statistics",
        "stage 4 of 5: figures", "stage 5 of 5: report"};
    const char *at = err;
    int in_order = 1;
    for (int k = 0; k < 5 && at; k++) {
        char want[200];
        snprintf(want, sizeof want, "sekit reproduce: %s\n", stages[k]);
        at = strstr(at, want);
        if (!at) diag("missing or out of order: %s", want), in_order = 0;
    }
    /* stage 1 has the ablations' two passes over every image after it; the mean gates' pass has
     * the variants' pass after it */
    const int r1 = err ? check_lines(err, "reproduce", 40, 4,
                                     "stage 1 of 5 (recording 40 images of "
                                     "Trouser,Dress,Coat,Bag): ",
                                     1)
                       : -1;
    const int r2 = err ? check_lines(err, "reproduce", NIMG, 4,
                                     "stage 2 of 5 (block ablations, recording every image), "
                                     "pass 1 of 2 (mean gates): ",
                                     1)
                       : -1;
    const int r3 = err ? check_lines(err, "reproduce", NIMG, 4,
                                     "stage 2 of 5 (block ablations, recording every image), "
                                     "pass 2 of 2 (variants): ",
                                     0)
                       : -1;
    ok(st == 0 && in_order && r1 == 40 / 4 - 1 && r2 == NIMG / 4 - 1 && r3 == NIMG / 4 - 1,
       "reproduce: the five stages in order, their lines labelled (%d, %d, %d lines), an overall "
       "ETA while images are still to come",
       r1, r2, r3);
    free(err);
}

/* What a terminal of cols columns shows of out: the longest stretch between carriage returns and
 * line feeds, escape sequences (ESC [ ... letter) not counted; the number of line feeds and of
 * redraws. */
static int widest(const char *out, int *lines, int *redraws)
{
    int w = 0, cur = 0;
    *lines = *redraws = 0;
    for (const char *p = out; *p; p++) {
        if (*p == '\033' && p[1] == '[') {
            p += 2;
            while (*p && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
                p++;
            if (!*p) break;
            continue;
        }
        if (*p == '\r' || *p == '\n') {
            *lines += *p == '\n';
            *redraws += *p == '\r';
            cur = 0;
            continue;
        }
        if (++cur > w) w = cur;
    }
    return w;
}

/* Runs sekit with argv under a pseudo-terminal of 24 rows and cols columns (its stderr; stdout to
 * /dev/null); returns everything written to the terminal, malloc'd, and the exit status. */
static char *run_pty(char *const argv[], int cols, int *status)
{
    *status = -1;
    const int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) return NULL;
    const char *name = ptsname(master);
    const int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    if (slave < 0) return NULL;
    struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)cols};
    struct termios t;
    /* the bytes as sekit writes them: no \n -> \r\n translation */
    if (ioctl(slave, TIOCSWINSZ, &ws) || tcgetattr(slave, &t)) return NULL;
    t.c_oflag &= ~(tcflag_t)OPOST;
    tcsetattr(slave, TCSANOW, &t);
    const pid_t pid = fork();
    if (pid == 0) {
        setsid();
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(slave, 2);
        close(master);
        execv(argv[0], argv);
        _exit(127);
    }
    close(slave);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 4096 >= cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) break;
            buf = grown;
        }
        const ssize_t got = read(master, buf + n, 4096);
        if (got > 0)
            n += (size_t)got;
        else if (got < 0 && errno == EINTR)
            continue;
        else
            break; /* EIO: the child closed the terminal */
    }
    buf[n] = 0;
    int st;
    waitpid(pid, &st, 0);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    close(master);
    return buf;
}

static void terminal(void)
{
    int st, lines = 0, redraws = 0;
    char *argv[] = {(char *)tap_sekit(), "eval", "--model",   model, "--data", data,
                    "--batch",           "4",    "--threads", "1",   NULL};
    char *out = run_pty(argv, 50, &st);
    const int w = out ? widest(out, &lines, &redraws) : -1;
    ok(st == 0 && w > 20 && w <= 49,
       "eval under a 50-column terminal: the bar takes %d columns (at most 49)", w);
    ok(out && lines == 1 && redraws == NIMG / 4,
       "redrawn in place after each of the %d batches: %d redraws, %d line feed (the finished "
       "bar's)",
       NIMG / 4, redraws, lines);
    const char *last = out ? strrchr(out, '\r') : NULL;
    char took[64];
    snprintf(took, sizeof took, "%d/%d ", NIMG, NIMG);
    ok(last && strstr(last, took) && strstr(last, " in 0:") && !strstr(last, "ETA"),
       "the finished bar shows the time taken, not an ETA: %s", last ? last + 1 : "?");
    free(out);

    char ablout[700];
    snprintf(ablout, sizeof ablout, "%s/abl-tty", tap_tmpdir());
    char *argv2[] = {
        (char *)tap_sekit(), "ablate", "--model", model,  "--data",  data, "--out", ablout,
        "--variants",        "single", "--mode",  "both", "--batch", "8",  NULL};
    out = run_pty(argv2, 50, &st);
    int ablines, abredraws;
    const int w2 = out ? widest(out, &ablines, &abredraws) : -1;
    /* the notes and the closing summary are whole lines; the bars are the \r-led stretches */
    int barw = 0, bars1 = 0, bars2 = 0;
    for (const char *p = out; p && (p = strchr(p, '\r')); p++) {
        const size_t len = strcspn(p + 1, "\r\n\033");
        if ((int)len > barw) barw = (int)len;
        bars1 += strncmp(p + 1, "pass 1/2 ", 9) == 0;
        bars2 += strncmp(p + 1, "pass 2/2 ", 9) == 0;
    }
    ok(st == 0 && w2 > 0 && barw <= 49 && bars1 == NIMG / 8 && bars2 == NIMG / 8,
       "ablate --mode both: bars labelled pass 1/2 (%d draws) and pass 2/2 (%d), one a batch, at "
       "most %d columns",
       bars1, bars2, barw);
    free(out);
}

int main(void)
{
    meter_no_rate_yet();
    meter_eta();
    meter_window();
    meter_interval();
    meter_last();
    meter_labels();
    meter_bar_width();

    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(NIMG));
    logged();
    /* the bar after every batch too (run_pty passes this environment on) */
    setenv("SEKIT_PROGRESS_INTERVAL", "0", 1);
    terminal();
    return tap_done();
}
