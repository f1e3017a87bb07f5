/*
 * ablation_pass.h -- running every ablation variant on a batch with shared computation
 * (ablation/ablation_pass.c), and the mean gates that mean-mode variants freeze blocks at.
 *
 * After the full model's forward pass of a batch, each variant restarts from the captured input
 * of the first block it changes; variants that treat the following blocks alike run them once
 * between them, and split where they first differ. Results are bit-identical to running each
 * variant's network from the image.
 */
#ifndef SEKIT_ABLATION_PASS_H
#define SEKIT_ABLATION_PASS_H

#include "ablation.h"

struct sekit_ablation_pass;

/* Prepares the passes of v[0..nv) (v[0] the full model, room reserved for every image's hits:
 * sekit_ablation_reserve) on m, prepared for batches of up to `batch` images; means[i] is SE block
 * i's frozen gate for mean-mode variants (or NULL when there are none). Sets m's captures: call
 * before the full forward passes it will use. */
int sekit_ablation_pass_new(struct sekit_ablation_pass **out, struct sekit_model *m,
                            struct sekit_variant *v, int nv, int batch, const float *const *means,
                            struct sekit_err *e);
/* After m's full forward pass of nb images: tallies v[0] from logits and every other variant
 * from its own pass. */
void sekit_ablation_pass_batch(struct sekit_ablation_pass *a, const float *logits,
                               const int *labels, int nb);
/* Releases a and stops m's captures. */
void sekit_ablation_pass_free(struct sekit_ablation_pass *a);

/* The mean gate of every SE block over a set of images. The sums are integers: each gate in
 * units of 2^-52 (exact for every gate of at least 2^-28, a float having 24 bits; a smaller one is
 * rounded to the nearest unit), summed as hi 2^32 + lo (lo carried into hi as it passes 2^32,
 * so neither overflows; sums added afterwards need no carry). An integer sum is the
 * same in any order, so ranks that each sum their own images and add their sums
 * (sekit_dist_sum_i64 over sum[i] and count) get the mean a single process gets, bit for bit. */
struct sekit_gate_means {
    int nse, *channels; /* [nse] */
    float **mean;       /* [nse][C] */
    /* [nse][3 C]: per channel hi, then per channel lo, then per channel the gates outside [0, 1]
     * (a sigmoid's output is inside; a NaN is not, and makes that channel's mean NaN) */
    int64_t **sum;
    int64_t count; /* images summed */
};

int sekit_gate_means_new(struct sekit_gate_means *g, const struct sekit_model *m,
                         struct sekit_err *e);
/* Adds the gates of m's last forward pass (nb images). */
void sekit_gate_means_add(struct sekit_gate_means *g, const struct sekit_model *m, int nb);
/* mean := sum / count (count > 0), the sums carried to 0 <= lo < 2^32: equal sums, equal arrays. */
void sekit_gate_means_finish(struct sekit_gate_means *g);
/* mean := every block's mean gate over all images of a recording (matched by block name and
 * channel count), summed as above: the means of a pass over the same images. g must be new. */
int sekit_gate_means_from_recording(struct sekit_gate_means *g, const struct sekit_model *m,
                                    const char *path, struct sekit_err *e);
void sekit_gate_means_free(struct sekit_gate_means *g);

#endif
