/*
 * fuzz-recording.c -- libFuzzer harness for the recording reader: the input is written as an
 * HDF5 file, opened with sekit_recording_open, and every block of every group it has is read
 * (excitation, and squeeze when recorded), with the block and class look-ups. libhdf5 itself is
 * not instrumented, so coverage guides only through sekit's side of the reader.
 */
#include "analysis.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

/* The harness's own buffer for a block: a file may declare far more images than it stores
 * (HDF5 fills unwritten chunks), and reading those is not what this harness is about. */
#define MAX_FLOATS ((int64_t)1 << 24)

static void read_blocks(const struct sekit_recording *r, const char *group)
{
    for (int b = 0; b < r->nblocks; b++) {
        const struct sekit_recording_block *bi = &r->blocks[b];
        FZ_CHECK(bi->channels >= 1);
        if (r->n > MAX_FLOATS / bi->channels) continue;
        float *dst = malloc((size_t)r->n * (size_t)bi->channels * sizeof *dst);
        FZ_CHECK(dst != NULL);
        struct sekit_err e = {0};
        int rc = sekit_recording_read(r, group, b, dst, &e);
        if (rc) fz_check_err(rc, &e);
        free(dst);
        FZ_CHECK(sekit_recording_find(r, bi->name) >= 0);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_h5_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("run.h5", data, size);
    FZ_CHECK(path != NULL);
    struct sekit_recording *r = NULL;
    struct sekit_err e = {0};
    int rc = sekit_recording_open(&r, path, &e);
    if (rc) {
        fz_check_err(rc, &e);
        FZ_CHECK(r == NULL);
    } else {
        FZ_CHECK(r->n >= 1 && r->num_classes >= 1 && r->nblocks >= 1);
        for (int64_t i = 0; i < r->n; i++)
            FZ_CHECK(r->labels[i] >= 0 && r->labels[i] < r->num_classes);
        for (int k = 0; k < r->num_classes; k++)
            FZ_CHECK(sekit_recording_class(r, r->class_names[k]) >= 0);
        for (int i = 0; i < r->nsel; i++)
            FZ_CHECK(r->sel_classes[i] >= 0 && r->sel_classes[i] < r->num_classes);
        read_blocks(r, "excitation");
        if (r->has_squeeze) read_blocks(r, "squeeze");
        sekit_recording_close(r);
    }
    fz_clear();
    return 0;
}
