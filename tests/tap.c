/* tap.c -- see tap.h. */
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tests_run, tests_failed;
static char tmpdir[256];

static int report(int cond, const char *fmt, va_list ap)
{
    tests_run++;
    if (!cond) tests_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tests_run);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cond, fmt, ap);
    va_end(ap);
    return cond;
}

int is_int(long long got, long long want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(got == want, fmt, ap);
    va_end(ap);
    if (got != want) diag("   got: %lld\n#   want: %lld", got, want);
    return got == want;
}

int is_str(const char *got, const char *want, const char *fmt, ...)
{
    int same = got && want && strcmp(got, want) == 0;
    va_list ap;
    va_start(ap, fmt);
    report(same, fmt, ap);
    va_end(ap);
    if (!same) diag("   got: '%s'\n#   want: '%s'", got ? got : "(null)", want ? want : "(null)");
    return same;
}

int is_close(const float *got, const float *want, size_t n, double tol, const char *fmt, ...)
{
    double worst = -1;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (isnan(d)) d = INFINITY;
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    int cond = n > 0 && worst <= tol;
    va_list ap;
    va_start(ap, fmt);
    report(cond, fmt, ap);
    va_end(ap);
    if (!cond) {
        if (n == 0)
            diag("   no elements compared");
        else
            diag("   max |got - want| = %.3g at [%zu] (got %.9g, want %.9g), tolerance %.3g", worst,
                 at, (double)got[at], (double)want[at], tol);
    }
    return cond;
}

void skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ok %d # SKIP ", ++tests_run);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

void diag(const char *fmt, ...)
{
    /* every line of a multi-line message (a child's stderr) gets the "# " a TAP line needs */
    char buf[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *line = buf, *nl; line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = 0;
        if (nl && !nl[1]) nl = NULL; /* no empty comment for a trailing newline */
        printf("# %s\n", line);
    }
    fflush(stdout);
}

_Noreturn void skip_all(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("1..0 # SKIP ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(0);
}

int tap_done(void)
{
    if (tests_run == 0) {
        printf("not ok 1 - the test program ran no check\n1..1\n");
        return 1;
    }
    printf("1..%d\n", tests_run);
    if (tests_failed) printf("# failed %d of %d checks\n", tests_failed, tests_run);
    return tests_failed ? 1 : 0;
}

const char *tap_srcdir(void)
{
    return SEKIT_SRCDIR;
}

const char *tap_sekit(void)
{
    return SEKIT_BIN;
}

static void rm_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "# could not remove %s\n", tmpdir);
}

const char *tap_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/sekit-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            printf("Bail out! cannot create a temporary directory\n");
            exit(255);
        }
        atexit(rm_tmpdir);
    }
    return tmpdir;
}

double tap_maxabs(const float *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}
