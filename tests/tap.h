/*
 * tap.h -- a small TAP producer for sekit's test programs (after c-tap-harness and git's
 * unit-test library). Each test program prints "ok N - ..." / "not ok N - ..." lines, a lazy plan
 * at the end, and exits non-zero when any check failed or when it ran no check at all.
 * Diagnostics are printed only on failure and show both sides.
 */
#ifndef SEKIT_TAP_H
#define SEKIT_TAP_H

#include <stdarg.h>
#include <stddef.h>

/* Checks; each returns its truth value so callers can chain. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int is_int(long long got, long long want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int is_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* |got - want| <= tol for every element; on failure prints the worst element's index, both
 * values and the maximum difference. */
int is_close(const float *got, const float *want, size_t n, double tol, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* One check skipped: "ok N # SKIP reason". */
void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skips the whole program ("1..0 # SKIP reason") and exits 0. */
_Noreturn void skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the exit status (non-zero on failure or when nothing was checked). */
int tap_done(void);

/* Test fixtures: the source tree, the sekit binary (build/sekit, or $SEKIT_BIN when set, so
 * that the suite can be pointed at another build) and a fresh temporary directory removed at
 * exit. */
const char *tap_srcdir(void);
const char *tap_sekit(void);
/* argv[] for running sekit: tap_sekit(), then first (unless NULL) and the arguments of ap up to
 * their NULL, at most TAP_SEKIT_ARGS in all with the NULL that ends argv. cmd gets the arguments
 * joined with spaces, for a diagnostic. Returns the count of argv's entries before the NULL. */
enum { TAP_SEKIT_ARGS = 64 };
int tap_sekit_argv(const char *argv[TAP_SEKIT_ARGS], char *cmd, size_t ncmd, const char *first,
                   va_list ap);
const char *tap_tmpdir(void);

/* Runs argv (argv[0] the program's path, NULL-terminated) the way a user would, in workdir (NULL:
 * the current directory), with stdin and stdout on /dev/null; fsize_limit_bytes > 0 sets
 * RLIMIT_FSIZE with SIGXFSZ ignored, so that writes past it fail with EFBIG ("File too large").
 * Its stderr goes to err (NUL-terminated, cut at errn - 1). A child still running after
 * TAP_RUN_TIMEOUT seconds is killed. Returns the exit status, or 128 + the signal with
 * *signaled (may be NULL) set to 1 when a signal ended it; -1 when it could not be started. */
enum { TAP_RUN_TIMEOUT = 240 };
int tap_run(const char *const argv[], const char *workdir, long fsize_limit_bytes, char *err,
            size_t errn, int *signaled);
/* tap_run as user and group id uid (after fork: setgid, setuid), for permission checks that root
 * would pass; uid < 0 runs as the caller. */
int tap_run_as(const char *const argv[], const char *workdir, long fsize_limit_bytes, int uid,
               char *err, size_t errn, int *signaled);
/* The number of lines in s (a last line without a newline counts). */
int tap_lines(const char *s);
/* Max |a| over n floats. */
double tap_maxabs(const float *a, size_t n);

#endif
