/*
 * failenv.h -- running a write in a child process under a failure it cannot avoid: a file-size
 * limit (RLIMIT_FSIZE with SIGXFSZ ignored, so write() returns EFBIG as on a full disk) or a
 * directory it may not write (for root, for whom permissions do not stop writes, the child drops
 * to uid 65534). The child shuts HDF5 down (H5close: what exit would do, where a failed H5Fclose
 * used to crash) and reports through its exit status and a pipe; it never runs the test's exit
 * handlers (TAP plan, temporary directory).
 */
#ifndef SEKIT_TEST_FAILENV_H
#define SEKIT_TEST_FAILENV_H

#include "sekit.h"

#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum failenv_kind {
    FAILENV_FSIZE,    /* files may grow to limit bytes */
    FAILENV_READONLY, /* an unprivileged user, who may not write the directory */
};

struct failenv_result {
    int crashed; /* the child died of a signal */
    int status;  /* its exit status: the sekit status of fn */
    char msg[SEKIT_ERRMSG_MAX];
};

/* Makes dir (mode 0555) in parent, opening parent to 0755 so that an unprivileged child can
 * reach it: where FAILENV_READONLY children write. Returns 0, or -1 (the caller skips). */
static inline int failenv_readonly_dir(const char *parent, const char *dir)
{
    return mkdir(dir, 0555) == 0 && chmod(parent, 0755) == 0 ? 0 : -1;
}

/* Runs fn(ctx, e) in a child under kind. Returns 0, or -1 when the child could not be set up
 * (no fork, or no other uid to drop to: the caller skips). */
static inline int failenv_run(enum failenv_kind kind, long limit,
                              int (*fn)(void *ctx, struct sekit_err *e), void *ctx,
                              struct failenv_result *res)
{
    int fds[2];
    memset(res, 0, sizeof *res);
    fflush(stdout);
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        struct sekit_err e = {0};
        int rc;
        if (kind == FAILENV_FSIZE) {
            struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
            signal(SIGXFSZ, SIG_IGN);
            rc = setrlimit(RLIMIT_FSIZE, &rl) == 0 ? fn(ctx, &e) : 100;
        } else {
            rc = geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0) ? 101 : fn(ctx, &e);
        }
        if (write(fds[1], e.msg, strlen(e.msg)) < 0) rc = 102;
        H5close();
        _exit(rc);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got < sizeof res->msg - 1 &&
           (r = read(fds[0], res->msg + got, sizeof res->msg - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    res->crashed = WIFSIGNALED(st);
    res->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return res->status == 100 || res->status == 101 ? -1 : 0;
}

#endif
