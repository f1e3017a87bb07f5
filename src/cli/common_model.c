/* common_model.c -- model selection shared by info and bench. */
#include "common_model.h"

#include <stdlib.h>

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
