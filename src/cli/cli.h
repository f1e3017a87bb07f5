/* cli.h -- helpers shared by the sekit subcommands (the only code that prints and exits). */
#ifndef SEKIT_CLI_H
#define SEKIT_CLI_H

#include "../sekit.h"

/* Exit codes: 0 success, 1 the work failed (bad input file, I/O), 2 bad command line. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "sekit: <msg>" for a failed library call; returns CLI_FAIL (CLI_USAGE for EINVAL). */
int cli_fail(const struct sekit_err *e);
/* Prints "sekit CMD: <msg>" and a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strict integer option value in [lo, hi]; 0 on success, else prints and returns CLI_USAGE. */
int cli_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out);
/* argv[*i] is flag: returns its value (argv[*i + 1]) and advances, or NULL after an error. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);
/* 1234567 -> "1,234,567" */
const char *cli_group(char *buf, size_t n, long long v);
double cli_now(void);

int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_ablate(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
/* RUN.h5 -> RUN.stats.h5 (malloc'd) */
char *cli_stats_path(const char *rec);

#endif
