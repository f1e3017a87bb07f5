/* common_model.c -- model selection shared by info and bench. */
#include "common_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_open_model(struct sekit_model **m, const char *path, const char *arch)
{
    struct sekit_err e = {0};
    int rc;
    if (path) {
        rc = sekit_model_load(m, path, &e);
    } else {
        struct sekit_arch a;
        rc = sekit_arch_preset(&a, arch, &e);
        if (!rc) rc = sekit_model_synthetic(m, &a, 1, &e);
    }
    return rc ? cli_fail(&e) : 0;
}

int cli_default_size(const struct sekit_model *m)
{
    const char *v = sekit_model_meta(m, "input_size");
    if (v) {
        char *end;
        long s = strtol(v, &end, 10);
        if (end != v && s > 0 && s < 16384) return (int)s;
    }
    return sekit_model_arch(m)->stem == SEKIT_STEM_SMALL ? 32 : 224;
}

void cli_arch_summary(const struct sekit_arch *a, char *buf, size_t n)
{
    char blocks[128] = "";
    for (int s = 0; s < a->nstages; s++)
        snprintf(blocks + strlen(blocks), sizeof blocks - strlen(blocks), "%s%d", s ? "," : "",
                 a->blocks[s]);
    snprintf(buf, n,
             "%s layout, %s stem, %s blocks %s, widths %d..%d, groups %d, stride on the %s, SE "
             "%s, %d input channels, %d classes",
             sekit_layout_name(a->layout), sekit_stem_name(a->stem),
             a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic", blocks,
             sekit_arch_block(a, 0, 0).out_c, sekit_arch_features(a), a->groups,
             a->stride_on_3x3 ? "3x3" : "1x1", a->se_bias ? "with bias" : "without bias",
             a->in_chans, a->num_classes);
}
