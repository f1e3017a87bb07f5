/* info.c -- `sekit info`: what a model is, where its SE blocks sit and what they cost. */
#include "common_model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit info MODEL.safetensors [--json] [--size N]\n"
    "       sekit info --arch NAME [--json] [--size N]\n"
    "\n"
    "Prints the architecture inferred from a weight file (or of a named architecture), a table\n"
    "of its SE blocks (paper name, weight-name prefix, channels C, reduced width CR, parameters),\n"
    "total parameters as PyTorch's parameters() counts them, and the SE parameters per stage with\n"
    "their share of the total. --size sets the input side for the MAC count (default: the model's\n"
    "input_size metadata, else 224, or 32 for small stems).\n";

int cmd_info(int argc, char **argv)
{
    const char *path = NULL, *arch = NULL, *v;
    int json = 0;
    long size = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--arch") == 0) {
            if (!(arch = cli_value("info", argc, argv, &i))) return CLI_USAGE;
        } else if (strcmp(argv[i], "--size") == 0) {
            if (!(v = cli_value("info", argc, argv, &i))) return CLI_USAGE;
            if (cli_int("info", "--size", v, 8, 4096, &size)) return CLI_USAGE;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("info", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage_error("info", "one model at a time ('%s' and '%s')", path, argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path == !arch) return cli_usage_error("info", "give either MODEL or --arch NAME");
    struct sekit_model *m;
    if (cli_open_model(&m, path, arch)) return CLI_FAIL;
    const struct sekit_arch *a = sekit_model_arch(m);
    if (!size) size = cli_default_size(m);
    int64_t total = sekit_model_params(m), se_total = 0, se_weights = 0;
    int64_t stage_params[SEKIT_MAX_STAGES] = {0};
    int nse = sekit_model_se_count(m);
    for (int i = 0; i < nse; i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        se_total += s->params;
        se_weights += 2 * (int64_t)s->channels * s->reduced;
        stage_params[s->stage - 2] += s->params;
    }
    int64_t macs = sekit_model_macs(m, (int)size, (int)size);
    char g1[32], g2[32];
    if (json) {
        json_t *root = json_object(), *blocks = json_array(), *stages = json_array();
        json_object_set_new(root, "source", json_string(path ? path : arch));
        json_object_set_new(root, "layout", json_string(sekit_layout_name(a->layout)));
        json_object_set_new(root, "stem", json_string(sekit_stem_name(a->stem)));
        json_object_set_new(
            root, "block",
            json_string(a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic"));
        json_object_set_new(root, "stride_on", json_string(a->stride_on_3x3 ? "3x3" : "1x1"));
        json_object_set_new(root, "groups", json_integer(a->groups));
        json_object_set_new(root, "in_chans", json_integer(a->in_chans));
        json_object_set_new(root, "num_classes", json_integer(a->num_classes));
        json_object_set_new(root, "se_bias", json_boolean(a->se_bias));
        json_t *bps = json_array();
        for (int s = 0; s < a->nstages; s++)
            json_array_append_new(bps, json_integer(a->blocks[s]));
        json_object_set_new(root, "blocks_per_stage", bps);
        json_object_set_new(root, "total_params", json_integer(total));
        json_object_set_new(root, "se_params", json_integer(se_total));
        json_object_set_new(root, "se_weight_params", json_integer(se_weights));
        json_object_set_new(root, "se_share", json_real((double)se_total / (double)total));
        json_object_set_new(root, "input_size", json_integer(size));
        json_object_set_new(root, "macs", json_integer(macs));
        for (int i = 0; i < nse; i++) {
            const struct sekit_se_info *s = sekit_model_se_info(m, i);
            json_array_append_new(blocks,
                                  json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:I}", "name", s->name,
                                            "module", s->module, "stage", s->stage, "block",
                                            s->block, "channels", s->channels, "reduced",
                                            s->reduced, "params", (json_int_t)s->params));
        }
        json_object_set_new(root, "blocks", blocks);
        for (int s = 0; s < a->nstages; s++)
            json_array_append_new(stages,
                                  json_pack("{s:i, s:i, s:I, s:f}", "stage", s + 2, "blocks",
                                            a->blocks[s], "se_params", (json_int_t)stage_params[s],
                                            (double)stage_params[s] / (double)total));
        json_object_set_new(root, "stages", stages);
        char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(out ? out : "{}");
        free(out);
        json_decref(root);
        sekit_model_free(m);
        return CLI_OK;
    }
    printf("model        %s\n", path ? path : arch);
    printf("layout       %s, %s stem, %s blocks, stride on the %s, groups %d\n",
           sekit_layout_name(a->layout), sekit_stem_name(a->stem),
           a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic",
           a->stride_on_3x3 ? "3x3" : "first 1x1", a->groups);
    printf("stages       %d:", a->nstages);
    for (int s = 0; s < a->nstages; s++)
        printf(" %d", a->blocks[s]);
    printf(" blocks; input %d channels, %d classes\n", a->in_chans, a->num_classes);
    printf("parameters   %s (%.2fM)\n", cli_group(g1, sizeof g1, total), total / 1e6);
    printf("SE params    %s (%.2fM, %.2f%% of total); FC weights only (paper Eq. 5): %s\n",
           cli_group(g1, sizeof g1, se_total), se_total / 1e6, 100.0 * se_total / total,
           cli_group(g2, sizeof g2, se_weights));
    printf("MACs         %.3fG per image at %ldx%ld\n\n", macs / 1e9, size, size);
    printf("%-9s %-22s %6s %5s %12s\n", "SE block", "module", "C", "CR", "params");
    for (int i = 0; i < nse; i++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, i);
        printf("%-9s %-22s %6d %5d %12s\n", s->name, s->module, s->channels, s->reduced,
               cli_group(g1, sizeof g1, s->params));
    }
    printf("\n%-9s %6s %12s %8s\n", "stage", "blocks", "SE params", "share");
    for (int s = 0; s < a->nstages; s++)
        printf("%-9d %6d %12s %7.2f%%\n", s + 2, a->blocks[s],
               cli_group(g1, sizeof g1, stage_params[s]), 100.0 * stage_params[s] / total);
    sekit_model_free(m);
    return CLI_OK;
}
