/*
 * journal.h -- the recording's journal (internal to libsekit; see record.h for the design).
 *
 * A journal is a flat file: the 8-byte magic "SEKITJ01", the length of the run's description
 * (uint64, host order), the description, then fixed-size records. Each record starts with its
 * row number (uint64) and ends with a CRC-32 of everything before it in the record; what lies
 * between is the writer's. A write cut short leaves at most one torn record at the end. Row
 * numbers count from the journal's first row: 0 for a whole run's journal, the first row of its
 * range for one rank's share of an MPI job.
 */
#ifndef SEKIT_JOURNAL_H
#define SEKIT_JOURNAL_H

#include "sekit.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes of a record's row number and CRC: the payload lies between them. */
#define SEKIT_JOURNAL_ROW_BYTES 8
#define SEKIT_JOURNAL_CRC_BYTES 4

struct sekit_journal {
    const char *path; /* borrowed */
    int fd;           /* -1: closed */
    uint64_t data_start;
    size_t rec_bytes;
    int64_t row0; /* the row number of the first record */
    int64_t rows; /* whole records in the journal */
};

/* Creates a journal (refusing an existing file) with the run's description. */
int sekit_journal_create(struct sekit_journal *j, const char *path, const char *desc,
                         size_t rec_bytes, int64_t row0, struct sekit_err *e);
/* Opens an interrupted run's journal: refuses one of another description (naming the first
 * item that differs), keeps the leading records whose row numbers and CRCs are right, up to
 * max_rows and rounded down to a multiple of batch, and truncates the rest. */
int sekit_journal_resume(struct sekit_journal *j, const char *path, const char *desc,
                         size_t rec_bytes, int64_t row0, int64_t max_rows, int batch,
                         struct sekit_err *e);
/* Opens a finished journal for reading (another rank's share of the rows): refuses one of another
 * description, or one that does not hold exactly rows records. */
int sekit_journal_open_read(struct sekit_journal *j, const char *path, const char *desc,
                            size_t rec_bytes, int64_t row0, int64_t rows, struct sekit_err *e);
/* Compares the description old that a run stored (in its journal, or in its finished file)
 * with this run's, now: SEKIT_OK when equal, else SEKIT_EINVAL "PATH: --resume refused: the
 * WHICH run had ITEM, this one has ITEM (use --force to start over)" naming the first item
 * that differs. */
int sekit_journal_compare(const char *path, const char *which, const char *old, const char *now,
                          struct sekit_err *e);
/* Flushes the journal to the disk (fsync), for a reader in another process or on another node. */
int sekit_journal_sync(struct sekit_journal *j, struct sekit_err *e);
/* Appends n records from recs (n * rec_bytes, payloads filled in): sets their row numbers
 * (continuing the journal) and CRCs, then writes them. */
int sekit_journal_append(struct sekit_journal *j, unsigned char *recs, int n, struct sekit_err *e);
/* Reads the journal's records [first, first + n) (counted from its first record) into dst. */
int sekit_journal_read(const struct sekit_journal *j, int64_t first, int64_t n, void *dst,
                       struct sekit_err *e);
/* Closes the file and leaves it on disk. */
void sekit_journal_close(struct sekit_journal *j);

#endif
