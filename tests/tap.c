/* tap.c -- see tap.h. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int tests_run, tests_failed;
static char tmpdir[256];

static int report(int cond, const char *fmt, va_list ap)
{
    tests_run++;
    if (!cond) tests_failed++;
    /* a description is one TAP line: a line break in it (a quoted page) would end the line */
    char desc[4096];
    vsnprintf(desc, sizeof desc, fmt, ap);
    for (char *c = desc; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    printf("%sok %d - %s\n", cond ? "" : "not ", tests_run, desc);
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
    const char *bin = getenv("SEKIT_BIN");
    return bin && *bin ? bin : SEKIT_BIN;
}

int tap_sekit_argv(const char *argv[TAP_SEKIT_ARGS], char *cmd, size_t ncmd, const char *first,
                   va_list ap)
{
    int n = 0;
    argv[n++] = tap_sekit();
    if (first) argv[n++] = first;
    for (const char *a; n < TAP_SEKIT_ARGS - 1 && (a = va_arg(ap, const char *));)
        argv[n++] = a;
    argv[n] = NULL;
    size_t o = 0;
    cmd[0] = 0;
    for (int i = 1; i < n && o < ncmd - 1; i++)
        o += (size_t)snprintf(cmd + o, ncmd - o, "%s%s", i > 1 ? " " : "", argv[i]);
    return n;
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

int tap_run_as(const char *const argv[], const char *workdir, long fsize_limit_bytes, int uid,
               char *err, size_t errn, int *signaled)
{
    int fd[2];
    if (signaled) *signaled = 0;
    if (errn) err[0] = 0;
    if (pipe(fd) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]), close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        /* only async-signal-safe calls from here to exec; a failure exits 127 with a reason */
        int null = open("/dev/null", O_RDWR);
        const char *why = NULL;
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(fd[1], 2) < 0)
            why = "redirect";
        else if (workdir && chdir(workdir) != 0)
            why = "chdir";
        else if (uid >= 0 &&
                 (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0))
            why = "setuid";
        if (!why && fsize_limit_bytes > 0) {
            struct rlimit rl = {(rlim_t)fsize_limit_bytes, (rlim_t)fsize_limit_bytes};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) why = "setrlimit";
        }
        if (!why) {
            alarm(TAP_RUN_TIMEOUT); /* survives exec: a hung child is killed by SIGALRM */
            execv(argv[0], (char *const *)argv);
            why = "exec";
        }
        (void)!write(2, "tap_run: cannot ", 16);
        (void)!write(2, why, strlen(why));
        (void)!write(2, "\n", 1);
        _exit(127);
    }
    close(fd[1]);
    size_t have = 0;
    char sink[4096];
    for (;;) {
        char *to = errn && have < errn - 1 ? err + have : sink;
        size_t room = errn && have < errn - 1 ? errn - 1 - have : sizeof sink;
        ssize_t n = read(fd[0], to, room);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (to != sink) have += (size_t)n;
    }
    if (errn) err[have] = 0;
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFSIGNALED(st)) {
        if (signaled) *signaled = 1;
        return 128 + WTERMSIG(st);
    }
    return WEXITSTATUS(st);
}

int tap_run(const char *const argv[], const char *workdir, long fsize_limit_bytes, char *err,
            size_t errn, int *signaled)
{
    return tap_run_as(argv, workdir, fsize_limit_bytes, -1, err, errn, signaled);
}

int tap_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        if (*s == '\n' || !s[1]) n++;
    return n;
}
