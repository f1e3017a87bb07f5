/*
 * bootstrap.c -- the cost of the confidence intervals of a full ablation run: the paired
 * bootstrap (sekit_ablation_bootstrap) of 10,000 images x 40 series (20 variants x top-1 and
 * top-5) at B = SEKIT_ABLATION_CI_RESAMPLES, sparse (3% of images change, as a real ablation's
 * deltas) and dense (every image does: the worst case). A time measured here, never asserted in
 * a test.
 *
 *     ninja -C build bench/bootstrap && build/bench/bootstrap [runs]
 */
#include "../ablation/ablation.h"

#include <stdio.h>
#include <stdlib.h>

enum { N = 10000, NS = 40 };

static uint64_t lcg_state = 7;
static unsigned lcg(unsigned mod)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((lcg_state >> 33) % mod);
}

int main(int argc, char **argv)
{
    const int runs = argc > 1 ? atoi(argv[1]) : 3;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "usage: bootstrap [runs: 1 to 1000, default 3]\n");
        return 2;
    }
    signed char *d = malloc((size_t)N * NS);
    if (!d) return 1;
    const signed char *dp[NS];
    double lo[NS], hi[NS];
    for (int dense = 0; dense < 2; dense++) {
        for (int s = 0; s < NS; s++) {
            dp[s] = d + (size_t)s * N;
            for (int i = 0; i < N; i++)
                d[(size_t)s * N + i] = (signed char)(dense || lcg(100) < 3 ? (int)lcg(3) - 1 : 0);
        }
        printf("bootstrap of %d images x %d series, B = %d, %s:", N, NS,
               SEKIT_ABLATION_CI_RESAMPLES, dense ? "dense" : "sparse (3%)");
        double best = 0;
        for (int r = 0; r < runs; r++) {
            struct sekit_err e = {0};
            const double t0 = sekit_seconds();
            if (sekit_ablation_bootstrap(dp, NS, N, SEKIT_ABLATION_CI_RESAMPLES,
                                         (uint64_t)SEKIT_ABLATION_CI_SEED, 95, lo, hi, &e)) {
                fprintf(stderr, "\nbootstrap: %s\n", e.msg);
                free(d);
                return 1;
            }
            const double dt = sekit_seconds() - t0;
            if (r == 0 || dt < best) best = dt;
            printf(" %.3f", dt);
        }
        printf(" s (best %.3f s)\n", best);
    }
    free(d);
    return 0;
}
