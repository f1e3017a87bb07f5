/*
 * t-progress.c -- what long commands print while they run, on the golden timm_basic_small model
 * and an IDX dataset this test writes:
 *   - stderr to a file (a log, a batch scheduler): plain lines every SEKIT_PROGRESS_INTERVAL
 *     seconds with done/total, img/s, elapsed and ETA, no carriage return, and a last line with
 *     the time taken; ablate's two passes and reproduce's stages are named in them; --quiet
 *     prints nothing;
 *   - stderr a pseudo-terminal of 50 columns: the bar never takes more than 49 columns, is
 *     redrawn in place (no line per redraw), and a finished bar shows the time taken.
 */
#define _DEFAULT_SOURCE
#include "fixture.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

enum { NIMG = 4000 };

static char data[600], model[800];

/* Runs sekit with args and SEKIT_PROGRESS_INTERVAL=0.05, stderr into a file, stdout to
 * /dev/null; returns the exit status and the stderr text (malloc'd) in *err. */
static int run_logged(const char *args, char **err)
{
    char path[700], cmd[3000];
    snprintf(path, sizeof path, "%s/stderr.txt", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "SEKIT_PROGRESS_INTERVAL=0.05 '%s' %s >/dev/null 2>'%s'", tap_sekit(),
             args, path);
    const int st = system(cmd);
    size_t len;
    *err = (char *)fixture_slurp(path, &len);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The periodic lines of a logged run: "sekit CMD: [where: ]D/T images, R img/s, elapsed M:SS,
 * ETA M:SS|-:--[, overall ETA M:SS]", done growing, total fixed; the last line "... D/T images in
 * M:SS (R img/s)". Returns the number of periodic lines, or -1 with a diagnostic when a line is
 * not of that form. */
static int check_lines(const char *text, const char *cmd, long long total, const char *where)
{
    char prefix[200];
    snprintf(prefix, sizeof prefix, "sekit %s: %s", cmd, where);
    int periodic = 0, finals = 0;
    long long last = -1;
    double rates[256], mean_rate = 0;
    for (const char *l = text; *l;) {
        const size_t len = strcspn(l, "\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), l);
        l += len + (l[len] == '\n');
        if (strncmp(line, prefix, strlen(prefix)) != 0 || !strstr(line, " images")) continue;
        const char *p = line + strlen(prefix);
        long long d, t;
        double rate;
        int em, es, n = 0;
        char eta[16];
        if (sscanf(p, "%lld/%lld images, %lf img/s, elapsed %d:%d, ETA %15[-:0-9]%n", &d, &t, &rate,
                   &em, &es, eta, &n) == 6 &&
            n > 0) {
            if (t != total || d <= last || d > total || rate <= 0 || es > 59 ||
                (strcmp(eta, "-:--") != 0 && strchr(eta, ':') == NULL)) {
                diag("bad periodic line: %s", line);
                return -1;
            }
            /* measured over a fifth of the pass (less its first batch): an ETA is shown */
            if (d >= total / 5 && strcmp(eta, "-:--") == 0) {
                diag("no ETA at %lld of %lld: %s", d, total, line);
                return -1;
            }
            last = d;
            rates[periodic < 256 ? periodic : 255] = rate;
            periodic++;
        } else if (sscanf(p, "%lld/%lld images in %d:%d (%lf img/s)%n", &d, &t, &em, &es, &rate,
                          &n) == 5 &&
                   n > 0 && p[n] == 0) {
            if (d != total || t != total || rate <= 0) {
                diag("bad last line: %s", line);
                return -1;
            }
            mean_rate = rate;
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
    /* the moving window's rate stays near the pass's mean (a loaded machine may halve or double
     * it for a moment; a window that lost its samples is off by orders of magnitude) */
    for (int i = 1; i < periodic && i < 256; i++)
        if (rates[i] < mean_rate / 10 || rates[i] > mean_rate * 10) {
            diag("line %d of '%s': %.1f img/s against the pass's %.1f", i + 1, prefix, rates[i],
                 mean_rate);
            return -1;
        }
    return periodic;
}

static void logged(void)
{
    char args[2400], *err = NULL;
    snprintf(args, sizeof args, "eval --model '%s' --data '%s' --batch 4 --threads 1", model, data);
    int st = run_logged(args, &err);
    int n = err ? check_lines(err, "eval", NIMG, "") : -1;
    ok(st == 0 && n >= 2, "eval, stderr to a file: %d periodic lines and a last line", n);
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
    const int n1 = err ? check_lines(err, "ablate", NIMG, "pass 1 of 2 (mean gates): ") : -1;
    const int n2 = err ? check_lines(err, "ablate", NIMG, "pass 2 of 2 (variants): ") : -1;
    const char *a1 = err ? strstr(err, "sekit ablate: pass 1 of 2: mean gates\n") : NULL;
    const char *a2 = err ? strstr(err, "sekit ablate: pass 2 of 2: variants\n") : NULL;
    ok(st == 0 && n1 >= 0 && n2 >= 0 && a1 && a2 && a1 < a2,
       "ablate --mode both: its two passes announced and their lines labelled (%d, %d lines)", n1,
       n2);
    free(err);

    snprintf(out, sizeof out, "%s/rep", tap_tmpdir());
    snprintf(args, sizeof args,
             "reproduce --model '%s' --data '%s' --out '%s' --classes Trouser,Dress,Coat,Bag "
             "--pair Trouser,Bag --per-class 100 --mode both --batch 4 --threads 1",
             model, data, out);
    st = run_logged(args, &err);
    static const char *const stages[] = {
        "stage 1 of 5: recording 400 images of Trouser,Dress,Coat,Bag",
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
    const int r1 = err ? check_lines(err, "reproduce", 400,
                                     "stage 1 of 5 (recording 400 images of "
                                     "Trouser,Dress,Coat,Bag): ")
                       : -1;
    const int r2 = err ? check_lines(err, "reproduce", NIMG,
                                     "stage 2 of 5 (block ablations, recording every image), "
                                     "pass 1 of 2 (mean gates): ")
                       : -1;
    ok(st == 0 && in_order && r1 >= 0 && r2 >= 0,
       "reproduce: the five stages in order, their lines labelled");
    /* the mean gates' pass has the variants' pass after it: its lines add an overall ETA */
    const char *late = NULL;
    for (const char *p = err; p && (p = strstr(p, "pass 1 of 2 (mean gates): ")); p++) {
        long long d = 0;
        sscanf(p + 26, "%lld", &d);
        if (d >= NIMG / 5) {
            late = p;
            break;
        }
    }
    const char *ov = late ? strstr(late, ", overall ETA ") : NULL;
    ok(ov && ov < late + strcspn(late, "\n"),
       "reproduce --mode both: an overall ETA while a pass is still to come: %.*s",
       late ? (int)strcspn(late, "\n") : 1, late ? late : "?");
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
    ok(out && lines == 1 && redraws >= 3,
       "redrawn in place: %d redraws, %d line feed (the finished bar's)", redraws, lines);
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
    ok(st == 0 && w2 > 0 && barw <= 49 && bars1 > 0 && bars2 > 0,
       "ablate --mode both: bars labelled pass 1/2 (%d draws) and pass 2/2 (%d), at most %d "
       "columns",
       bars1, bars2, barw);
    free(out);
}

int main(void)
{
    snprintf(model, sizeof model, "%s/tests/reference/data/timm_basic_small.safetensors",
             tap_srcdir());
    snprintf(data, sizeof data, "%s", fixture_idx_dataset(NIMG));
    logged();
    terminal();
    return tap_done();
}
