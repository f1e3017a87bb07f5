/* fileio.h -- whole reads and writes on file descriptors (internal to libsekit). */
#ifndef SEKIT_FILEIO_H
#define SEKIT_FILEIO_H

#include "sekit.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

/* Writes n bytes, retrying short writes and EINTR; -1 on error (errno set; ENOSPC for a write
 * that makes no progress). */
int sekit_write_full(int fd, const void *buf, size_t n);
/* Reads n bytes at offset off, retrying short reads and EINTR; -1 on error or end of file. */
int sekit_pread_full(int fd, void *buf, size_t n, uint64_t off);

/* Opens path read-only, refusing what is not a regular file before reading a byte: a FIFO's open
 * or read waits for a writer for ever, a device's read may never end. The descriptor (*sb its
 * status, when sb is not NULL), or -1 with "PATH: cannot open: REASON" or "PATH: not a regular
 * file" in e. */
int sekit_open_regular(const char *path, struct stat *sb, struct sekit_err *e);
/* The same as a stdio stream for reading, or NULL with e set. */
FILE *sekit_fopen_regular(const char *path, struct stat *sb, struct sekit_err *e);

#endif
