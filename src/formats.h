/*
 * formats.h -- the versions of the HDF5 files sekit writes (schemas: docs/record-format.md).
 * A reader refuses a file of a version it does not know; a writer bumps its version whenever a
 * reader of the old schema would misread the new one.
 */
#ifndef SEKIT_FORMATS_H
#define SEKIT_FORMATS_H

#define SEKIT_RECORD_FORMAT_VERSION 1   /* root attribute format_version */
#define SEKIT_STATS_FORMAT_VERSION 3    /* root attribute stats_format_version */
#define SEKIT_ABLATION_FORMAT_VERSION 3 /* root attribute ablation_format_version */

#endif
