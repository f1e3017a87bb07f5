/*
 * journal.c -- the recording's journal: append, CRC, resume. See journal.h.
 */
#include "journal.h"
#include "../src/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JOURNAL_MAGIC "SEKITJ01"
#define HEAD_BYTES 16 /* magic, description length */

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

int sekit_journal_create(struct sekit_journal *j, const char *path, const char *desc,
                         size_t rec_bytes, int64_t row0, struct sekit_err *e)
{
    *j = (struct sekit_journal){.path = path, .fd = -1, .rec_bytes = rec_bytes, .row0 = row0};
    j->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (j->fd < 0) return sekit_errf(e, SEKIT_EIO, "%s: cannot create: %s", path, strerror(errno));
    uint64_t dl = strlen(desc);
    char head[HEAD_BYTES];
    memcpy(head, JOURNAL_MAGIC, 8);
    memcpy(head + 8, &dl, 8);
    if (sekit_write_full(j->fd, head, HEAD_BYTES) || sekit_write_full(j->fd, desc, dl))
        return sekit_errf(e, SEKIT_EIO, "%s: write error: %s", path, strerror(errno));
    j->data_start = HEAD_BYTES + dl;
    return SEKIT_OK;
}

int sekit_journal_compare(const char *path, const char *which, const char *old, const char *now,
                          struct sekit_err *e)
{
    if (!strcmp(old, now)) return SEKIT_OK;
    const char *a = old, *b = now;
    while (*a && *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0)
            return sekit_errf(e, SEKIT_EINVAL,
                              "%s: --resume refused: the %s run had %.*s, this one has %.*s (use "
                              "--force to start over)",
                              path, which, (int)(la > 200 ? 200 : la), a,
                              (int)(lb > 200 ? 200 : lb), b);
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return sekit_errf(e, SEKIT_EINVAL, "%s: --resume refused: it describes another run", path);
}

/* Checks the header and the description against desc; sets data_start. */
static int check_head(struct sekit_journal *j, const char *desc, uint64_t size, struct sekit_err *e)
{
    char head[HEAD_BYTES];
    if (sekit_pread_full(j->fd, head, HEAD_BYTES, 0) || memcmp(head, JOURNAL_MAGIC, 8))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: not a sekit journal", j->path);
    uint64_t dl;
    memcpy(&dl, head + 8, 8);
    if (dl > (1u << 24) || HEAD_BYTES + dl > size)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: corrupt journal header", j->path);
    char *old = malloc(dl + 1);
    if (!old) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    int rc = SEKIT_OK;
    if (sekit_pread_full(j->fd, old, dl, HEAD_BYTES))
        rc = sekit_errf(e, SEKIT_EIO, "%s: read error", j->path);
    old[dl] = 0;
    if (!rc) rc = sekit_journal_compare(j->path, "interrupted", old, desc, e);
    free(old);
    j->data_start = HEAD_BYTES + dl;
    return rc;
}

/* Opens the journal at path with flags and checks its head against desc; *sb its status. */
static int open_checked(struct sekit_journal *j, const char *path, int flags, const char *desc,
                        size_t rec_bytes, int64_t row0, struct stat *sb, struct sekit_err *e)
{
    *j = (struct sekit_journal){.path = path, .fd = -1, .rec_bytes = rec_bytes, .row0 = row0};
    /* never through a link planted under the journal's name */
    j->fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC);
    if (j->fd < 0) return sekit_errf(e, SEKIT_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(j->fd, sb))
        return sekit_errf(e, SEKIT_EIO, "%s: cannot stat: %s", path, strerror(errno));
    return check_head(j, desc, (uint64_t)sb->st_size, e);
}

int sekit_journal_resume(struct sekit_journal *j, const char *path, const char *desc,
                         size_t rec_bytes, int64_t row0, int64_t max_rows, int batch,
                         struct sekit_err *e)
{
    struct stat sb;
    int rc = open_checked(j, path, O_RDWR, desc, rec_bytes, row0, &sb, e);
    if (rc) return rc;
    int64_t whole = (int64_t)(((uint64_t)sb.st_size - j->data_start) / rec_bytes), good = 0;
    unsigned char *rec = malloc(rec_bytes);
    if (!rec) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (; good < whole && good < max_rows; good++) {
        if (sekit_pread_full(j->fd, rec, rec_bytes, j->data_start + (uint64_t)good * rec_bytes))
            break;
        uint64_t row;
        uint32_t crc;
        memcpy(&row, rec, SEKIT_JOURNAL_ROW_BYTES);
        memcpy(&crc, rec + rec_bytes - SEKIT_JOURNAL_CRC_BYTES, SEKIT_JOURNAL_CRC_BYTES);
        if (row != (uint64_t)(row0 + good) ||
            crc != crc_of(rec, rec_bytes - SEKIT_JOURNAL_CRC_BYTES))
            break;
    }
    free(rec);
    good -= good % batch;
    if (ftruncate(j->fd, (off_t)(j->data_start + (uint64_t)good * rec_bytes)) ||
        lseek(j->fd, 0, SEEK_END) < 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot truncate: %s", path, strerror(errno));
    j->rows = good;
    return SEKIT_OK;
}

int sekit_journal_open_read(struct sekit_journal *j, const char *path, const char *desc,
                            size_t rec_bytes, int64_t row0, int64_t rows, struct sekit_err *e)
{
    struct stat sb;
    int rc = open_checked(j, path, O_RDONLY, desc, rec_bytes, row0, &sb, e);
    if (rc) return rc;
    const uint64_t want = j->data_start + (uint64_t)rows * rec_bytes;
    if ((uint64_t)sb.st_size != want)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: holds %llu bytes, expected %llu (%lld rows)", path,
                          (unsigned long long)sb.st_size, (unsigned long long)want,
                          (long long)rows);
    j->rows = rows;
    return SEKIT_OK;
}

int sekit_journal_sync(struct sekit_journal *j, struct sekit_err *e)
{
    if (fsync(j->fd))
        return sekit_errf(e, SEKIT_EIO, "%s: cannot sync: %s", j->path, strerror(errno));
    return SEKIT_OK;
}

int sekit_journal_append(struct sekit_journal *j, unsigned char *recs, int n, struct sekit_err *e)
{
    const size_t rb = j->rec_bytes;
    for (int i = 0; i < n; i++) {
        unsigned char *p = recs + rb * (size_t)i;
        uint64_t row = (uint64_t)(j->row0 + j->rows + i);
        memcpy(p, &row, SEKIT_JOURNAL_ROW_BYTES);
        uint32_t crc = crc_of(p, rb - SEKIT_JOURNAL_CRC_BYTES);
        memcpy(p + rb - SEKIT_JOURNAL_CRC_BYTES, &crc, SEKIT_JOURNAL_CRC_BYTES);
    }
    if (sekit_write_full(j->fd, recs, rb * (size_t)n))
        return sekit_errf(e, SEKIT_EIO, "%s: write error: %s", j->path, strerror(errno));
    j->rows += n;
    return SEKIT_OK;
}

int sekit_journal_read(const struct sekit_journal *j, int64_t first, int64_t n, void *dst,
                       struct sekit_err *e)
{
    if (sekit_pread_full(j->fd, dst, j->rec_bytes * (size_t)n,
                         j->data_start + (uint64_t)first * j->rec_bytes))
        return sekit_errf(e, SEKIT_EIO, "%s: read error: %s", j->path,
                          errno ? strerror(errno) : "unexpected end of file");
    return SEKIT_OK;
}

void sekit_journal_close(struct sekit_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
}
