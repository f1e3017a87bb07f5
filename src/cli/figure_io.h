/* figure_io.h -- one figure from its input file to its output, shared by plot and reproduce. */
#ifndef SEKIT_CLI_FIGURE_IO_H
#define SEKIT_CLI_FIGURE_IO_H

#include "../sekit.h"

struct figure_request {
    const char *input;       /* recording, or the ablation file for "ablation" */
    const char *figure;      /* inter-class | intra-class | depth | ablation */
    const char *out;         /* .png | .pdf | .svg */
    const char *classes;     /* comma-separated names or indices, or NULL */
    const char *blocks;      /* comma-separated block names, or NULL */
    const char *all;         /* inter-class: recording whose class means make the "all" curve */
    const char *gnuplot_dir; /* also write <dir>/<figure>.{dat,gp} */
    int use_gnuplot;         /* render through gnuplot instead of cairo */
};

/* Validates the request, reads its input, draws the figure. */
int figure_make(const struct figure_request *q, struct sekit_err *e);

#endif
