/*
 * jobs.h -- the work of each sekit command as a library function (libsekit_jobs): each joins
 * the stages (datasets/ -> src/ engine -> record file -> analysis/ -> plots/) for one task. The
 * CLI (cli/) parses arguments, calls one job and prints its result; tests call the jobs
 * directly. Jobs never print: long ones report through struct sekit_progress.
 *
 * Outputs. Before any long work a job checks that every output location can be written (the
 * directory exists and a file can be created in it); a missing directory is an error at once
 * and is never created, except reproduce's own DIR (created with its missing parents). Every file
 * is written under a temporary name and renamed when complete; a failed write leaves nothing under
 * the final name (a recording keeps its journal for --resume).
 */
#ifndef SEKIT_JOBS_H
#define SEKIT_JOBS_H

#include "../ablation/ablation.h"
#include "../analysis/analysis.h"
#include "../datasets/pipeline.h"

/* What a job of several stages or passes tells its caller before each begins: number k of n,
 * its name, and how many images the stages or passes after it still run through the model (so
 * the caller can estimate the time left overall). */
struct sekit_stages {
    void (*begin)(int k, int n, const char *name, int64_t images_after, void *ctx);
    void *ctx;
};

/* The engine threads a job's rank runs: threads, or for 0 (all cores) under mpirun the node's
 * cores shared among its ranks, which would otherwise each run as many threads as the node has
 * cores. */
int sekit_job_threads(int threads);

/* Opens p with o on every rank (each opens the model and the data itself: a node may lack them)
 * and selects `classes` (per_class images of each, seeded sample when seed > 0, as
 * sekit_pipeline_select). A failure on any rank fails every rank with the message of the lowest
 * that failed, and leaves p closed. Notes the skipped files of the data through pr. */
int sekit_job_open(struct sekit_pipeline *p, const struct sekit_pipeline_opts *o,
                   const char *classes, int64_t per_class, uint64_t seed,
                   const struct sekit_progress *pr, struct sekit_err *e);

/* Tells pr's note, in one line, of the files in p's data that are not images and were skipped
 * (their count and the first; hidden files only counted); nothing when there are none. */
void sekit_job_note_skipped(const struct sekit_pipeline *p, const struct sekit_progress *pr);

/* The directory of path exists and a file can be created in it; else an error naming the
 * directory and the reason (strerror). */
int sekit_check_output(const char *path, struct sekit_err *e);

/* ---- info and bench: a model alone ---- */

/* Loads path when set, else builds the preset arch with synthetic weights (seed 1). */
int sekit_job_model(struct sekit_model **m, const char *path, const char *arch,
                    struct sekit_err *e);
/* The input side the model expects: its metadata's input_size, else 224 (32 for small stems). */
int sekit_model_default_size(const struct sekit_model *m);
/* One line describing an architecture (recorded in output files). */
void sekit_arch_summary(const struct sekit_arch *a, char *buf, size_t n);

#define SEKIT_SE_MAX_STAGE 15

struct sekit_se_summary {
    int64_t total_params, se_params, se_weights; /* se_weights: FC weights only (paper Eq. 5) */
    int64_t stage_params[SEKIT_SE_MAX_STAGE + 1]; /* SE parameters per stage, by SE stage number */
    int stage_blocks[SEKIT_SE_MAX_STAGE + 1];     /* SE blocks per stage */
    int64_t macs;                                /* per image at size x size */
};
void sekit_job_se_summary(const struct sekit_model *m, int size, struct sekit_se_summary *s);

struct sekit_bench_result {
    int batches, threads;
    double seconds, images_per_second, ms_per_batch, gmacs_per_second;
};
/* Seeded random batches for about `seconds` after one warm-up batch, on `threads` threads (0: all
 * cores). */
int sekit_job_bench(struct sekit_model *m, int batch, int size, int threads, double seconds,
                    struct sekit_bench_result *r, struct sekit_err *e);

/* ---- jobs on a pipeline with a selection ---- */

struct sekit_eval_result {
    int K, topk;                  /* topk = min(5, K) */
    int64_t *n, *top1, *top5;     /* [K] per model class */
    int64_t images, hits1, hits5; /* over all selected images */
};
int sekit_job_eval(struct sekit_pipeline *p, struct sekit_eval_result *r,
                   const struct sekit_progress *pr, struct sekit_err *e);
void sekit_eval_result_free(struct sekit_eval_result *r);

struct sekit_record_job {
    const char *out;
    const char *blocks; /* comma list of SE blocks by paper name or module prefix, NULL: all */
    int squeeze, resume, force;
    int nblocks; /* out: blocks recorded */
};
int sekit_job_record(struct sekit_pipeline *p, struct sekit_record_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e);

/* The recording of sekit_job_record, driven by another job's pass over p's selection: open
 * (checks j->out, refuses what sekit_job_record refuses; *done: rows a --resume already holds),
 * append after each batch's full forward pass, while the model holds that batch's SE vectors,
 * then finish. The file is the one sekit_job_record writes for the same selection.
 * Under MPI (dist/dist.h) open and finish are collective, and each rank appends exactly the rows
 * sekit_dist_range_batches(world, p->n, p->batch) gives it, in order (*done: the row of that
 * range to continue from). */
struct sekit_job_writer;
int sekit_job_writer_open(struct sekit_job_writer **r, struct sekit_pipeline *p,
                          struct sekit_record_job *j, int64_t *done, struct sekit_err *e);
int sekit_job_writer_append(struct sekit_job_writer *r, const struct sekit_pipeline *p,
                            int64_t first, int nb, struct sekit_err *e);
int sekit_job_writer_finish(struct sekit_job_writer *r, struct sekit_err *e);
/* Releases r (NULL: nothing); an unfinished recording leaves its journal, never OUT. */
void sekit_job_writer_close(struct sekit_job_writer *r);

struct sekit_ablate_job {
    const char *out;     /* writes out.csv, .md, .h5, .png */
    const char *presets; /* single,stage,last-stage,last-two,cumulative,all or NULL for none */
    const char *const *drops;
    int ndrops;
    enum sekit_ablation_modes modes;
    const char *means_path; /* mean mode: gates from this recording instead of a first pass */
    /* Also record every image's SE vectors in the pass whose full-model forward the variants
     * restart from, instead of a pass of its own (NULL: none). Its output is checked with the
     * ablation's before any work; resume is refused (the tallies cannot resume). */
    struct sekit_record_job *record;
    const struct sekit_stages *passes; /* told of the mean-gates pass and the variants pass when
                                          there are two (NULL: not told) */
    int nvariants;                     /* out, the full model included */
    int64_t images;                    /* out: images of the variants pass (every rank's) */
    double seconds;                    /* out: wall time of the variants pass (and the recording),
                                          until the slowest rank finished it */
    double image_variants_per_second;  /* out: images * nvariants / seconds */
};
/* Under MPI (sekit_dist_world) every rank calls it: each runs its whole batches of the selection
 * (sekit_dist_range_batches), the counts are summed and the per-image hits gathered on rank 0,
 * which alone writes the files: the ones a single process writes, byte for byte. */
int sekit_job_ablate(struct sekit_pipeline *p, struct sekit_ablate_job *j,
                     const struct sekit_progress *pr, struct sekit_err *e);

/* ---- jobs on files ---- */

/* RUN.h5 -> RUN.stats.h5 (malloc'd). */
char *sekit_stats_path(const char *recording);
/* Statistics of a recording into out (NULL: sekit_stats_path); *st and *nblocks (when st is not
 * NULL) get the per-block statistics, for the caller to free with sekit_stats_free each. Under
 * MPI every rank calls it: each computes a contiguous share of the blocks, every rank gets all
 * of them, and rank 0 alone writes the files (those of a single process). */
int sekit_job_stats(const char *in, const char *out, struct sekit_block_stats **st, int *nblocks,
                    struct sekit_err *e);

/* The figures: the paper's Fig. 6 and Fig. 7, the depth trend, the ablation chart. */
enum sekit_figure_kind {
    SEKIT_FIGURE_INTER_CLASS,
    SEKIT_FIGURE_INTRA_CLASS,
    SEKIT_FIGURE_DEPTH,
    SEKIT_FIGURE_ABLATION,
    SEKIT_FIGURE_DEPTH_COMPARE, /* the depth trends of input and compare side by side */
    SEKIT_FIGURE_KINDS
};
/* Each kind's name, indexed by the kind ("inter-class", ...), NULL-terminated. */
extern const char *const sekit_figure_names[];

struct sekit_figure_request {
    const char *input; /* a recording, or the ablation file for the ablation chart */
    enum sekit_figure_kind figure;
    const char *out;         /* .png | .pdf | .svg */
    const char *classes;     /* comma-separated names, ImageNet synsets or indices, or NULL */
    const char *blocks;      /* comma-separated block names, or NULL */
    const char *all;         /* inter-class: recording whose class means make the "all" curve */
    const char *compare;     /* depth-compare: the other network's statistics (or recording) */
    const char *gnuplot_dir; /* also write <dir>/<figure>.{dat,gp} */
    int use_gnuplot;         /* render through gnuplot instead of cairo */
    const char *title;       /* replaces the figure's title, or NULL */
    /* inter-class, intra-class: the channels drawn, "a-b" and/or a comma list ("0-15,32"), or
     * NULL: up to 50 evenly spaced */
    const char *channels;
    int width, height; /* the page: pixels for PNG, points for PDF and SVG; 0: natural */
};
int sekit_job_figure(const struct sekit_figure_request *q, struct sekit_err *e);

struct sekit_reproduce_job {
    const char *dir;
    const char *classes; /* the inter-class figure's classes (names, synsets or indices) */
    const char *pair;    /* the intra-class figure's two classes */
    const char *compare; /* another run's statistics: the report compares the depth trends */
    int64_t per_class;   /* images of each class in classes.h5, 0: all (all.h5, ablations: all) */
    uint64_t seed;       /* 0: the first per_class images, else a seeded sample */
    /* SEKIT_MODES_MEAN: every preset frozen at the mean gates (what the SE check and verdict 5
     * rest on), with remove mode beside for the last stage, the last two blocks and all blocks;
     * SEKIT_MODES_BOTH: every preset in both modes */
    enum sekit_ablation_modes modes;
    const char *command_line;          /* the command that ran this, shell-quoted, for the report's
                                          provenance; NULL: none */
    const struct sekit_stages *stages; /* told of each stage (NULL: not told) */
    const struct sekit_stages *passes; /* told of the ablation's passes (NULL: not told) */
    /* out: seconds of recording classes.h5, of the ablation with all.h5 recorded in its pass, of
     * the statistics, of the figures (the ablation's PDF included), in all */
    double t_record, t_ablation, t_stats, t_figures, t_total;
    double image_variants_per_second; /* out: the ablation's throughput */
};
/* The whole analysis with one model and dataset, loaded once (o: the pipeline options). Under
 * MPI every rank calls it: record, ablate and stats split their work across the ranks; rank 0
 * alone writes the figures and the report. */
int sekit_job_reproduce(const struct sekit_pipeline_opts *o, struct sekit_reproduce_job *j,
                        const struct sekit_progress *pr, struct sekit_err *e);

#endif
