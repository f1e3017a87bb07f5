/*
 * fuzz.c -- the scratch directory of fuzz.h.
 */
#include "fuzz.h"

#include <dirent.h>
#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FZ_MAX_FILES 16

static char dir[PATH_MAX];
static char files[FZ_MAX_FILES][PATH_MAX];
static int nfiles;
/* sub-directories made by fz_write, removed at exit after the files */
static char subs[FZ_MAX_FILES][PATH_MAX];
static int nsubs;

static void cleanup(void)
{
    fz_clear();
    for (int i = nsubs - 1; i >= 0; i--)
        rmdir(subs[i]);
    if (dir[0]) rmdir(dir);
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    remove(path);
    return 0;
}

/* A harness that crashed (a finding) never ran its atexit cleanup: the next one to start removes
 * the directories of harness processes that no longer exist. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        char c;
        if (sscanf(de->d_name, "sekit-fuzz-%ld-%c", &pid, &c) != 2 || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", base, de->d_name);
        nftw(p, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

const char *fz_dir(void)
{
    if (dir[0]) return dir;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
    remove_stale(base);
    snprintf(dir, sizeof dir, "%s/sekit-fuzz-%ld-XXXXXX", base, (long)getpid());
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", dir, strerror(errno));
        abort();
    }
    atexit(cleanup);
    return dir;
}

static void make_subdir(const char *name)
{
    const char *slash = strrchr(name, '/');
    if (!slash) return;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%.*s", fz_dir(), (int)(slash - name), name);
    for (int i = 0; i < nsubs; i++)
        if (strcmp(subs[i], sub) == 0) return;
    if (nsubs == FZ_MAX_FILES || (mkdir(sub, 0700) != 0 && errno != EEXIST)) {
        fprintf(stderr, "fuzz: cannot create %s\n", sub);
        abort();
    }
    snprintf(subs[nsubs++], PATH_MAX, "%s", sub);
}

const char *fz_write(const char *name, const uint8_t *data, size_t n)
{
    if (nfiles == FZ_MAX_FILES) abort(); /* a harness writes a handful of files per input */
    make_subdir(name);
    char *p = files[nfiles];
    snprintf(p, PATH_MAX, "%s/%s", fz_dir(), name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    nfiles++;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    return close(fd) == 0 && done == n ? p : NULL;
}

void fz_clear(void)
{
    for (int i = 0; i < nfiles; i++)
        unlink(files[i]);
    nfiles = 0;
}

void fz_h5_setup(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* bounded (64 MB in all, 16 MB a list) so that a file with huge chunks cannot make the
     * lists hold gigabytes, which the fuzzer would report as running out of memory */
    if (H5set_free_list_limits(64 << 20, 16 << 20, 64 << 20, 16 << 20, 64 << 20, 16 << 20) < 0)
        abort();
}

void fz_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: harness check failed: %s\n", file, line, expr);
    abort();
}

void fz_check_err(int rc, const struct sekit_err *e)
{
    FZ_CHECK(rc != SEKIT_OK && e->code == rc);
    FZ_CHECK(e->msg[0] != '\0' && strchr(e->msg, '\n') == NULL);
}
