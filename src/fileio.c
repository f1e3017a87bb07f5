/* fileio.c -- see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
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
