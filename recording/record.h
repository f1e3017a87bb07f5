/*
 * record.h -- writing a recording: SE excitations (and optionally squeeze vectors), labels,
 * predictions and logits of a run, as one HDF5 file (schema: docs/record-format.md).
 *
 * Crash safety. While a run is under way nothing exists at the output path. Rows are appended
 * to OUT.journal, a flat file of fixed-size records, each carrying its row number and a CRC-32;
 * a write cut short by a kill leaves at most one torn record at the end, which --resume drops.
 * When every row is in, the journal is converted into OUT's temporary (OUT.XXXXXX.tmp, HDF5;
 * fileio.h), which is fsync'ed and
 * renamed onto OUT, and only then is the journal removed. So at any instant OUT is either
 * absent or complete, and the journal holds every row written so far exactly once. A failed
 * write (disk full, file-size limit) leaves no temporary; the journal stays, and the error says
 * so: freeing space and rerunning with --resume finishes the file.
 *
 * The code: journal.c (append, CRC, resume), record.c (the HDF5 file, through h5io.h),
 * chunkz.c (shuffle + deflate of the gate chunks on all cores).
 *
 * The journal begins with the run's description (model hash, data, classes, preprocessing,
 * blocks...: what decides the rows, not the batch size); --resume refuses a journal whose
 * description differs from the new run's, and continues from the last whole batch of its own.
 */
#ifndef SEKIT_RECORD_H
#define SEKIT_RECORD_H

#include "formats.h"
#include "sekit.h"

#include <stdint.h>

struct sekit_writer_block {
    char name[32], module[64];
    char gate[16]; /* the SE gate's activation, sekit_act_name: sigmoid, hardsigmoid */
    int stage, block, channels, reduced;
    int model_index; /* index for sekit_model_gate */
};

/* What a recording is: written into the journal header (and compared on resume) and into the
 * HDF5 root attributes. Strings are borrowed for the writer's lifetime. */
struct sekit_writer_spec {
    const char *out_path;
    const char *model_path, *model_sha256, *architecture;
    const char *dataset, *dataset_format, *split, *preprocessing;
    int num_classes;
    const char *const *class_names;   /* [num_classes] */
    const char *const *class_synsets; /* [num_classes] ImageNet synsets (NULL entries: unknown),
                                         or NULL: none known, no class_synsets dataset */
    int nsel_classes;
    const int *sel_classes; /* [nsel_classes] the recorded classes */
    int64_t per_class;      /* 0: all images of each class */
    uint64_t seed;
    int64_t n;                   /* rows */
    const int64_t *sample_index; /* [n] */
    const char *const *paths;    /* [n] for folder datasets, else NULL; stored absolute,
                                    relative ones joined to the working directory at open */
    int nblocks;
    const struct sekit_writer_block *blocks;
    int squeeze;
    int batch; /* images per forward pass: resuming restarts at a multiple of it, so a resumed
                  run of the same batch size batches images exactly as an uninterrupted one and
                  gives the same bits */
    /* An MPI job (dist/dist.h) of ranks > 1: this writer, rank `rank`, records rows
     * [bounds[rank], bounds[rank + 1]) into a journal of its own, OUT.journal.rank-R-of-N, and
     * rank 0 converts every rank's journal, in rank order, into OUT (sekit_writer_finish). ranks 0
     * or 1: one process records every row into OUT.journal. */
    int rank, ranks;
    const int64_t *bounds; /* [ranks + 1], from 0 to n */
};

struct sekit_writer;

/* Opens a recording. Without resume and force, an existing OUT or journal is refused. force
 * removes them first. resume continues OUT.journal (refusing one of another description) and
 * reports in *done the row to continue from (the rows it already holds); if OUT itself already
 * exists and is complete, *done == n; with neither there is nothing to resume, which is an error.
 * Journals of another rank count (OUT.journal of one process, OUT.journal.rank-R-of-M of M ranks)
 * are refused, naming both counts; force removes them too.
 *
 * With ranks > 1 the files every rank shares (OUT and the journals of other counts) are rank 0's
 * to check and remove: rank 0 opens first, and the other ranks only after it succeeded; each
 * rank then continues its own journal or, when it has none (a job killed before that rank made
 * one), starts it. *done is then a row of the rank's range. */
int sekit_writer_open(struct sekit_writer **out, const struct sekit_writer_spec *spec, int resume,
                      int force, int64_t *done, struct sekit_err *e);
/* After an open that failed on another rank: removes this rank's journal if this open created it
 * (it holds no rows), so that a new run does not find an interrupted one. */
void sekit_writer_abandon(struct sekit_writer *r);

/* Appends rows [first, first + nb): labels (nb), predictions (nb), logits (nb, K) and, per
 * recorded block, gates and squeeze vectors read from the model after its forward pass. Rows must
 * come in order. */
int sekit_writer_append(struct sekit_writer *r, const struct sekit_model *m, int64_t first, int nb,
                        const int *labels, const int *predictions, const float *logits,
                        struct sekit_err *e);

/* When all n rows are in: converts the journal to OUT atomically and removes the journal. With
 * ranks > 1 only rank 0 calls it, once every rank has called sekit_writer_seal: it converts the
 * ranks' journals, in rank order, into OUT, then removes them all. */
int sekit_writer_finish(struct sekit_writer *r, struct sekit_err *e);
/* With ranks > 1, on every rank once its rows are all in: the journal reaches the disk (fsync),
 * where rank 0 reads it. */
int sekit_writer_seal(struct sekit_writer *r, struct sekit_err *e);

/* Releases r; an unfinished journal stays on disk for --resume. */
void sekit_writer_close(struct sekit_writer *r);

/* SHA-256 of a file as 64 hex digits. */
int sekit_sha256_file(const char *path, char hex[65], struct sekit_err *e);

#endif
