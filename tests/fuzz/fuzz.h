/*
 * fuzz.h -- what the libFuzzer harnesses share. sekit's readers take paths, so every input is
 * written to files in a scratch directory private to the process (under /dev/shm when it
 * exists, so no execution touches a disk) before the reader under test opens them.
 */
#ifndef SEKIT_FUZZ_H
#define SEKIT_FUZZ_H

#include "sekit.h"

#include <stddef.h>
#include <stdint.h>

/* The scratch directory, created on first use and removed (with what fz_write left in it) when
 * the process exits. */
const char *fz_dir(void);

/* Writes n bytes to fz_dir()/name ("sub/name" creates sub once); returns the full path, valid
 * until the next fz_clear, or NULL when the file cannot be written. */
const char *fz_write(const char *name, const uint8_t *data, size_t n);

/* Removes every file fz_write made, so each execution starts from an empty directory. */
void fz_clear(void);

/* Once, before the first input of a harness that goes through libhdf5: its error printing off
 * (sekit's messages are what the harnesses check), and free lists that keep what they hold.
 * libhdf5 allocates a 1 MB type-conversion buffer for each H5Dread and H5Dwrite that converts,
 * and with its default limits (1 MB a list) it returns that buffer to malloc every time; under
 * AddressSanitizer each is a fresh mapping, zeroed page by page, which made up most of an
 * execution of fuzz-contents. */
void fz_h5_setup(void);

/* Stops the fuzzer with a crash report: a harness invariant does not hold. */
#define FZ_CHECK(x)                                                                                \
    do {                                                                                           \
        if (!(x)) fz_fail(__FILE__, __LINE__, #x);                                                 \
    } while (0)
_Noreturn void fz_fail(const char *file, int line, const char *expr);

/* A failed call's error is well formed: its status in e, and a one-line, non-empty message. */
void fz_check_err(int rc, const struct sekit_err *e);

#endif
