/* fixture.c -- see fixture.h. */
#include "fixture.h"
#include "tap.h"

#include <stdio.h>

struct sekit_model *fixture_small_model(int width, int classes, uint64_t seed)
{
    struct sekit_arch a = {0};
    snprintf(a.name, sizeof a.name, "small");
    a.layout = SEKIT_LAYOUT_TIMM;
    a.stem = SEKIT_STEM_SMALL;
    a.block = SEKIT_BLOCK_BASIC;
    a.stride_on_3x3 = 1;
    a.in_chans = 1;
    a.num_classes = classes;
    a.stem_width = width;
    a.nstages = 2;
    a.groups = 1;
    a.base_width = 64;
    a.se_bias = 1;
    for (int s = 0; s < 2; s++) {
        a.blocks[s] = 2;
        a.planes[s] = width << s;
        for (int b = 0; b < 2; b++) {
            a.se_reduced[s][b] = 4;
            a.has_downsample[s][b] = s == 1 && b == 0;
            a.downsample_kernel[s][b] = 1;
        }
    }
    struct sekit_model *m = NULL;
    struct sekit_err e = {0};
    if (sekit_model_synthetic(&m, &a, seed, &e)) diag("%s", e.msg);
    return m;
}
