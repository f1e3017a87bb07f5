/* fileio.h -- whole reads and writes on file descriptors (internal to libsekit). */
#ifndef SEKIT_FILEIO_H
#define SEKIT_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Writes n bytes, retrying short writes and EINTR; -1 on error (errno set; ENOSPC for a write
 * that makes no progress). */
int sekit_write_full(int fd, const void *buf, size_t n);
/* Reads n bytes at offset off, retrying short reads and EINTR; -1 on error or end of file. */
int sekit_pread_full(int fd, void *buf, size_t n, uint64_t off);

#endif
