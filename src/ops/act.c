/*
 * act.c -- the activations of the supported SE families, as torch 1.13's CPU kernels compute
 * them, so that results agree to the last bit where the formulas allow: hard sigmoid adds 3,
 * clamps to [0, 6] and divides by 6 (a true division, not a multiplication by 1/6); hard swish
 * multiplies x by that clamp before dividing; SiLU divides x by 1 + exp(-x).
 */
#include "ops.h"

#include <math.h>

const char *sekit_act_name(enum sekit_act a)
{
    switch (a) {
    case SEKIT_ACT_NONE:
        return "none";
    case SEKIT_ACT_RELU:
        return "relu";
    case SEKIT_ACT_RELU6:
        return "relu6";
    case SEKIT_ACT_SILU:
        return "silu";
    case SEKIT_ACT_HARDSWISH:
        return "hardswish";
    case SEKIT_ACT_SIGMOID:
        return "sigmoid";
    case SEKIT_ACT_HARDSIGMOID:
        return "hardsigmoid";
    }
    return "?";
}

static inline float clamp06(float v)
{
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
}

void sekit_act_forward(float *x, size_t n, enum sekit_act act)
{
    switch (act) {
    case SEKIT_ACT_NONE:
        return;
    case SEKIT_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    case SEKIT_ACT_RELU6:
        for (size_t i = 0; i < n; i++)
            x[i] = clamp06(x[i]);
        return;
    case SEKIT_ACT_SILU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] / (1.0f + expf(-x[i]));
        return;
    case SEKIT_ACT_HARDSWISH:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] * clamp06(x[i] + 3.0f) / 6.0f;
        return;
    case SEKIT_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        return;
    case SEKIT_ACT_HARDSIGMOID:
        for (size_t i = 0; i < n; i++)
            x[i] = clamp06(x[i] + 3.0f) / 6.0f;
        return;
    }
    SEKIT_ASSERT(!"unknown activation");
}
