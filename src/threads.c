/*
 * threads.c -- the engine's one threading knob: OpenBLAS's thread count.
 *
 * Only the GEMMs run in parallel. The element-wise passes (im2col, bias + ReLU, SE scale) stay
 * on the calling thread: measured on 2 cores, an OpenMP pool for them lost more to its threads
 * spinning against OpenBLAS's than it gained (SE-ResNet-50, batch 8: 6.9 img/s with both pools
 * against 15.8 img/s with OpenBLAS alone).
 */
#include "sekit.h"

#include <cblas.h>
#include <unistd.h>

int sekit_set_threads(int n)
{
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    openblas_set_num_threads(n);
    return n;
}
