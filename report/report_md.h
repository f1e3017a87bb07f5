/*
 * report_md.h -- reproduce's report.md (report/report_md.c), written from the run's statistics
 * and ablation files and what the run was (struct sekit_report_run): the report reads files and
 * the description it is given, never a network or a dataset.
 */
#ifndef SEKIT_REPORT_MD_H
#define SEKIT_REPORT_MD_H

#include "sekit.h"

#include <stdint.h>

/* What ran, as report.md's header and provenance say it. */
struct sekit_report_run {
    /* the run's directory: report.md is written and ablation.md read there */
    const char *dir;
    const char *model_path;   /* the weight file */
    const char *model_sha256; /* its SHA-256, in hex */
    const char *architecture; /* its summary (sekit_arch_summary) */
    const char *data_path, *split;
    int64_t images; /* of the data's split */
    int num_classes;
    int64_t per_class; /* images of each class in classes.h5, 0: all */
    int seeded;        /* per_class images are a seeded sample, not the first ones */
    const char *preproc, *preproc_sources;
    const char *classes, *pair; /* the inter-class figure's classes, the intra-class pair */
    const char *command_line;   /* shell-quoted; NULL: none */
    const char *compare;        /* another network's statistics to compare depth trends with,
                                   drawn as depth-compare.png; NULL: none */
    const char *backend;
    int ranks;   /* MPI ranks, 1 without */
    int threads; /* each rank's, 0: a thread per core */
    double t_record, t_ablation, t_stats, t_figures, t_total; /* seconds */
    double image_variants_per_second;                         /* the ablation's throughput */
};

/* run->dir/report.md, through its temporary (fileio.h), from the statistics file stats_path
 * (every class), the ablation file ablation_path and run->dir/ablation.md; an error names the
 * file it concerns and leaves no report.md. */
int sekit_report_markdown(const struct sekit_report_run *run, const char *stats_path,
                          const char *ablation_path, struct sekit_err *e);

#endif
