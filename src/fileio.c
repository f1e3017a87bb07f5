/* fileio.c -- see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

int sekit_write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sekit_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Six characters of [A-Za-z0-9] that no other process can guess ahead: from the kernel's random
 * pool, or, where that fails, the clock, the process and a counter (O_EXCL still refuses any name
 * that exists, so a guessable name costs only a retry). */
static void random_tag(char out[7])
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned long counter;
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        r = (uint64_t)t.tv_nsec ^ (uint64_t)t.tv_sec << 30 ^ (uint64_t)getpid() << 40 ^
            __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15u, __ATOMIC_RELAXED);
    }
    for (int i = 0; i < 6; i++, r /= 62)
        out[i] = set[r % 62];
    out[6] = 0;
}

int sekit_tmp_create(const char *path, char *tmp, size_t size)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        char tag[7];
        random_tag(tag);
        if ((size_t)snprintf(tmp, size, "%s.%s.tmp", path, tag) >= size) {
            tmp[0] = 0;
            errno = ENAMETOOLONG;
            return -1;
        }
        /* 0666: the umask applies, as to any file a program creates */
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        if (errno != EEXIST) break;
    }
    tmp[0] = 0;
    return -1;
}

int sekit_tmp_publish(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        const int err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    char *dir = strdup(path);
    int fd = dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
    return 0;
}

int sekit_text_create(struct sekit_text_out *o, const char *path, struct sekit_err *e)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    const int fd = sekit_tmp_create(path, o->tmp, sizeof o->tmp);
    if (fd < 0 || !(o->fp = fdopen(fd, "w"))) {
        const int err = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
            o->tmp[0] = 0;
        }
        return sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", path, strerror(err));
    }
    return SEKIT_OK;
}

int sekit_text_close(struct sekit_text_out *o, int rc, struct sekit_err *e)
{
    if (!o->fp) return rc;
    int bad = ferror(o->fp) || fflush(o->fp) != 0 || fsync(fileno(o->fp)) != 0;
    int err = errno;
    bad |= fclose(o->fp) != 0;
    if (bad && !err) err = errno;
    o->fp = NULL;
    if (!rc && bad)
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot write: %s", o->path, strerror(err ? err : EIO));
    if (rc) unlink(o->tmp);
    return rc;
}

int sekit_publish(const char *tmp, const char *path, struct sekit_err *e)
{
    if (sekit_tmp_publish(tmp, path) != 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot move into place: %s", path, strerror(errno));
    return SEKIT_OK;
}

int sekit_open_regular(const char *path, struct stat *sb, struct sekit_err *e)
{
    /* O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; it is cleared
     * again for the reads of a regular file */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), fl;
    struct stat st;
    int bad = fd < 0 || fstat(fd, &st) != 0;
    if (!bad && !S_ISREG(st.st_mode)) {
        close(fd);
        sekit_errf(e, SEKIT_EIO, "%s: not a regular file", path);
        return -1;
    }
    if (bad || (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        const int err = errno;
        if (fd >= 0) close(fd);
        sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", path, strerror(err));
        return -1;
    }
    if (sb) *sb = st;
    return fd;
}

FILE *sekit_fopen_regular(const char *path, struct stat *sb, struct sekit_err *e)
{
    const int fd = sekit_open_regular(path, sb, e);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (fd >= 0 && !f) {
        const int err = errno;
        close(fd);
        sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", path, strerror(err));
    }
    return f;
}
