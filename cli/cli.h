/*
 * cli.h -- what the sekit subcommands share: exit codes, error and progress printing, and the
 * options of every data-driven command. cli/ parses and prints; the work itself is a job
 * (jobs/jobs.h).
 */
#ifndef SEKIT_CLI_H
#define SEKIT_CLI_H

#include "../jobs/jobs.h"
#include "meter.h"
#include "opts.h"

/* Exit codes: 0 success, 1 the work failed (bad input file, I/O), 2 bad command line. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "sekit CMD: <msg>" for a failed job; returns CLI_USAGE for SEKIT_EINVAL (a bad value on
 * the command line), else CLI_FAIL. */
int cli_fail(const char *cmd, const struct sekit_err *e);

/* 1234567 -> "1,234,567" */
const char *cli_group(char *buf, size_t n, long long v);

/* Progress of cmd's passes over the images, on stderr, and its stage notes ("sekit cmd: ..."),
 * all silenced by quiet; the meter (cli/meter.h) says what to show and when.
 *   - stderr a terminal: one bar redrawn in place, cut to the terminal's width (TIOCGWINSZ), so
 *     it never wraps; a finished bar shows the time taken.
 *   - otherwise (a log file, a batch scheduler): one plain line every SEKIT_PROGRESS_INTERVAL
 *     seconds (default 5): done/total, images per second, elapsed, ETA; and a last line with the
 *     time taken.
 * SEKIT_PROGRESS_INTERVAL, when set, also sets the seconds between a bar's redraws (default
 * 0.1); 0 shows every batch. */
struct cli_progress {
    const char *cmd;
    int quiet, drawn; /* drawn: a bar is on the screen */
    struct sekit_meter meter;
    struct sekit_progress p;
    struct sekit_stages stages, passes;
};
const struct sekit_progress *cli_progress(struct cli_progress *c, const char *cmd, int quiet);

/* The ablation modes, shared by ablate and reproduce: the names --mode takes, and the set of
 * modes each stands for. */
extern const char *const cli_mode_names[];
extern const enum sekit_ablation_modes cli_modes[];

/* The options of every command that runs a model over a dataset. */
struct cli_pipeline {
    struct sekit_pipeline_opts o;
    const char *classes;
    long per_class, seed, batch, threads, resize, crop;
    struct opt_reals mean, std;
    int quiet;
    struct opt tab[24];
};
/* Sets the defaults and the option table; with_selection 1 offers --classes, --per-class and
 * --seed, CLI_SAMPLE_ONLY --per-class and --seed (for a command with a --classes of its own). */
enum { CLI_SAMPLE_ONLY = 2 };
void cli_pipeline_init(struct cli_pipeline *c, int with_selection);
/* The backend --backend defaults to: $SEKIT_BACKEND when set (and available), else
 * sekit_backend_default(); -1 when SEKIT_BACKEND names none this build has. */
int cli_default_backend(void);
/* Moves the parsed values into c->o. */
void cli_pipeline_finish(struct cli_pipeline *c);
/* Opens the pipeline and selects c's images; notes the files of the data that are not images
 * through pr; prints the error (as cmd's) and returns the exit code. */
int cli_pipeline_open(struct cli_pipeline *c, const char *cmd, struct sekit_pipeline *p,
                      const struct sekit_progress *pr);

int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_ablate(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);

#endif
