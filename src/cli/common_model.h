/* common_model.h -- how subcommands obtain a model: a weight file or a named architecture. */
#ifndef SEKIT_CLI_MODEL_H
#define SEKIT_CLI_MODEL_H

#include "cli.h"

/* Loads `path` when set, else builds `arch` with synthetic weights (seed 1). Prints the error and
 * returns non-zero on failure. */
int cli_open_model(struct sekit_model **m, const char *path, const char *arch);
/* The input side the model expects: its metadata's input_size, else 224 (32 for small stems). */
int cli_default_size(const struct sekit_model *m);
/* One line describing an architecture (recorded in output files). */
void cli_arch_summary(const struct sekit_arch *a, char *buf, size_t n);

#endif
