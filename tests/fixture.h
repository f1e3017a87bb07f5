/* fixture.h -- a small synthetic SE-ResNet shared by the tests: small stem, two stages of two
 * basic blocks (width, 2 x width channels), SE width 4, one input channel. */
#ifndef SEKIT_TEST_FIXTURE_H
#define SEKIT_TEST_FIXTURE_H

#include "sekit.h"

struct sekit_model *fixture_small_model(int width, int classes, uint64_t seed);

struct sekit_writer;
struct sekit_writer_block;
/* blocks[0..n) describe the model's first n SE blocks as the recorder takes them. */
void fixture_rec_blocks(const struct sekit_model *m, struct sekit_writer_block *blocks, int n);
/* Runs rows [from, to) of inputs (rows of side x side, one channel) through m in batches of at
 * most 8 from `from`, as the pipeline runs a range, and appends them to r with their labels and
 * predictions; 0 when every append succeeded, else 1 with the message as a diagnostic. */
int fixture_rec_feed(struct sekit_model *m, struct sekit_writer *r, const float *inputs, int side,
                     const int *labels, const int *preds, int64_t from, int64_t to);

/* The whole file at path, malloc'd with a NUL after it (*len its size); NULL when unreadable. */
unsigned char *fixture_slurp(const char *path, size_t *len);
/* The temporaries (fileio.h: NAME.XXXXXX.tmp) in stem's directory whose names start with stem's
 * file name, each named in a diagnostic; 0 when none is left. */
int fixture_tmp_left(const char *stem);
/* Writes n bytes to path; 1 when all were written and the file closed cleanly. */
int fixture_spit(const char *path, const void *data, size_t n);
/* The header length of safetensors bytes b (len of them): the first 8 bytes, little-endian;
 * 0 when that does not fit in len. */
uint64_t fixture_st_header_len(const unsigned char *b, size_t len);
/* A safetensors file at path: the length of header, header (JSON) and ndata bytes of data; 1
 * when written. */
int fixture_write_st(const char *path, const char *header, const void *data, size_t ndata);

/* Writes nimg 28x28 images (class i % 10, class-dependent stripes plus noise, so classes
 * differ) as a gzip'd Fashion-MNIST test split under the temporary directory; returns its path. */
const char *fixture_idx_dataset(int nimg);

/* Runs build/sekit with args (shell-quoted); returns its exit status (128 + signal when killed)
 * and the number of lines it wrote to stderr, which is kept for fixture_stderr_has. */
int fixture_run(const char *args, int *lines);
/* The last fixture_run's stderr contains needle; if not, prints it as a diagnostic. */
int fixture_stderr_has(const char *needle);
/* The last fixture_run failed as bad input must: exit status 1..127, exactly one stderr line
 * containing needle, and no file at out (NULL: not checked). Prints both sides when not. */
int fixture_clean_failure(int st, int lines, const char *needle, const char *out);
/* The last fixture_run's stderr, for diagnostics. */
const char *fixture_stderr(void);

#endif
