/*
 * tap.h -- a small TAP producer for sekit's test programs (after c-tap-harness and git's
 * unit-test library). Each test program prints "ok N - ..." / "not ok N - ..." lines, a lazy plan
 * at the end, and exits non-zero when any check failed or when it ran no check at all.
 * Diagnostics are printed only on failure and show both sides.
 */
#ifndef SEKIT_TAP_H
#define SEKIT_TAP_H

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

/* Test fixtures: the source tree, the build tree (for build/sekit) and a fresh temporary
 * directory removed at exit. */
const char *tap_srcdir(void);
const char *tap_sekit(void);
const char *tap_tmpdir(void);
/* Max |a| over n floats. */
double tap_maxabs(const float *a, size_t n);

#endif
