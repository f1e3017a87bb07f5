/*
 * formats.h -- the versions of the HDF5 files sekit writes (schemas: docs/record-format.md).
 * A reader refuses a file of a version it does not know; a writer bumps its version whenever a
 * reader of the old schema would misread the new one. Recordings are read in every version up
 * to the current one (nothing recorded is lost); the statistics and ablation files are derived
 * from them, so their readers ask for a rerun of an older file instead.
 *
 * Recording 2: the model-class axis is the string scale /label, one channel scale per block,
 * absolute /paths. Statistics 4 and ablation 4: a dimension scale on every axis of every
 * dataset, class names as string coordinates. Ablation 5: per variant the images lost and
 * gained against the full model (counts, a bit per image, the exact McNemar p-value) and the
 * evaluated images' dataset rows.
 */
#ifndef SEKIT_FORMATS_H
#define SEKIT_FORMATS_H

#define SEKIT_RECORD_FORMAT_VERSION 2   /* root attribute format_version */
#define SEKIT_STATS_FORMAT_VERSION 6    /* root attribute stats_format_version */
#define SEKIT_ABLATION_FORMAT_VERSION 5 /* root attribute ablation_format_version */

/* The longest class name (and synset) in a recording or statistics file, in bytes. The writer
 * refuses longer ones and the readers refuse them before any output repeats them: the class
 * means' CSV writes a class's name on every row of that class (blocks x channels of them). */
#define SEKIT_CLASS_NAME_MAX 1024
/* The most model classes a recording or statistics file may declare (and a statistics file
 * rows): far above any dataset's, so that counts of them fit an int. */
#define SEKIT_MAX_CLASSES 1000000

#endif
