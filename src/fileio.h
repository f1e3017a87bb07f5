/* fileio.h -- whole reads and writes on file descriptors, and output files written whole under a
 * temporary name (internal to libsekit). */
#ifndef SEKIT_FILEIO_H
#define SEKIT_FILEIO_H

#include "sekit.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

/* Writes n bytes, retrying short writes and EINTR; -1 on error (errno set; ENOSPC for a write
 * that makes no progress). */
int sekit_write_full(int fd, const void *buf, size_t n);
/* Reads n bytes at offset off, retrying short reads and EINTR; -1 on error or end of file. */
int sekit_pread_full(int fd, void *buf, size_t n, uint64_t off);

/*
 * Output files. Every file sekit writes is first written under a temporary name of its own in the
 * final name's directory, PATH.XXXXXX.tmp (XXXXXX random), and renamed onto PATH only once
 * complete. The temporary is created with O_CREAT | O_EXCL | O_NOFOLLOW, so nothing planted under
 * any name (a symbolic link, another process's file) is ever opened or written through, and two
 * processes writing the same output each write their own; the last rename wins with a complete
 * file. Its mode is 0666 less the umask, as any new file's. A symbolic link at PATH itself is
 * replaced by the file (rename(2) replaces the link, never its target), as mv does.
 */

/* The most a temporary's name adds to its final name's, with the NUL. */
#define SEKIT_TMP_EXTRA 12

/* Creates PATH's temporary, writing its name to tmp (size bytes); returns a descriptor open for
 * reading and writing (close-on-exec), or -1 with errno set (tmp then empty: a name cut short is
 * another file's, never to be removed). */
int sekit_tmp_create(const char *path, char *tmp, size_t size);
/* Renames tmp onto path and fsyncs the directory (best effort: the data is already on disk); on
 * failure removes tmp and returns -1 with errno set. */
int sekit_tmp_publish(const char *tmp, const char *path);

/* A text output written with stdio to its temporary. */
struct sekit_text_out {
    FILE *fp;
    const char *path;
    char tmp[PATH_MAX + SEKIT_TMP_EXTRA]; /* empty while none exists */
};
/* Creates path's temporary; on failure "PATH: cannot create: REASON". */
int sekit_text_create(struct sekit_text_out *o, const char *path, struct sekit_err *e);
/* Closes o, checking ferror, fflush, fsync and fclose ("PATH: cannot write: REASON"). Returns rc,
 * or the failure; on failure (or rc != 0) the temporary is removed. Publish with sekit_publish.
 * An o never created must be zeroed. */
int sekit_text_close(struct sekit_text_out *o, int rc, struct sekit_err *e);

/* sekit_tmp_publish with a message: "PATH: cannot move into place: REASON" (tmp removed). */
int sekit_publish(const char *tmp, const char *path, struct sekit_err *e);

/* Opens path read-only, refusing what is not a regular file before reading a byte: a FIFO's open
 * or read waits for a writer for ever, a device's read may never end. The descriptor (*sb its
 * status, when sb is not NULL), or -1 with "PATH: cannot open: REASON" or "PATH: not a regular
 * file" in e. */
int sekit_open_regular(const char *path, struct stat *sb, struct sekit_err *e);
/* The same as a stdio stream for reading, or NULL with e set. */
FILE *sekit_fopen_regular(const char *path, struct stat *sb, struct sekit_err *e);

#endif
