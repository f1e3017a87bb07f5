/* info.c -- `sekit info`: what a model is, where its SE blocks sit and what they cost. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static void print_json(const char *source, const struct sekit_model *m,
                       const struct sekit_se_summary *s, long size)
{
    const struct sekit_arch *a = sekit_model_arch(m);
    json_t *root = json_object(), *blocks = json_array(), *stages = json_array(),
           *bps = json_array();
    json_object_set_new(root, "source", json_string(source));
    json_object_set_new(root, "layout", json_string(sekit_layout_name(a->layout)));
    char stem[128];
    json_object_set_new(root, "architecture", json_string(a->name));
    json_object_set_new(root, "family", json_string(sekit_family_name(a->family)));
    json_object_set_new(root, "bn_eps", json_real(a->bn_eps));
    json_object_set_new(root, "stem", json_string(sekit_stem_name(a->stem)));
    json_object_set_new(root, "stem_desc", json_string(sekit_arch_stem_desc(a, stem, sizeof stem)));
    json_object_set_new(root, "avg_down", json_boolean(a->avg_down));
    json_object_set_new(root, "anti_aliased", json_boolean(a->aa));
    json_object_set_new(root, "reduce_first", json_integer(a->reduce_first));
    json_object_set_new(root, "block",
                        json_string(a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic"));
    json_object_set_new(root, "stride_on", json_string(a->stride_on_3x3 ? "3x3" : "1x1"));
    json_object_set_new(root, "groups", json_integer(a->groups));
    json_object_set_new(root, "in_chans", json_integer(a->in_chans));
    json_object_set_new(root, "num_classes", json_integer(a->num_classes));
    json_object_set_new(root, "se_bias", json_boolean(a->se_bias));
    for (int i = 0; a->family == SEKIT_FAMILY_SERESNET && i < a->nstages; i++)
        json_array_append_new(bps, json_integer(a->blocks[i]));
    json_object_set_new(root, "blocks_per_stage", bps);
    json_object_set_new(
        root, "network_blocks",
        json_integer(a->family == SEKIT_FAMILY_SERESNET ? sekit_model_se_count(m) : a->nnet));
    json_object_set_new(root, "total_params", json_integer(s->total_params));
    json_object_set_new(root, "se_params", json_integer(s->se_params));
    json_object_set_new(root, "se_weight_params", json_integer(s->se_weights));
    json_object_set_new(root, "se_share",
                        json_real((double)s->se_params / (double)s->total_params));
    json_object_set_new(root, "input_size", json_integer(size));
    json_object_set_new(root, "macs", json_integer(s->macs));
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *b = sekit_model_se_info(m, i);
        json_array_append_new(
            blocks, json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:s}", "name", b->name,
                              "module", b->module, "stage", b->stage, "block", b->block, "channels",
                              b->channels, "reduced", b->reduced, "params", (json_int_t)b->params,
                              "gate", sekit_act_name(b->gate), "act", sekit_act_name(b->act)));
    }
    json_object_set_new(root, "blocks", blocks);
    for (int i = 0; i <= SEKIT_SE_MAX_STAGE; i++)
        if (s->stage_blocks[i])
            json_array_append_new(
                stages, json_pack("{s:i, s:i, s:I, s:f}", "stage", i, "blocks", s->stage_blocks[i],
                                  "se_params", (json_int_t)s->stage_params[i], "se_share",
                                  (double)s->stage_params[i] / (double)s->total_params));
    json_object_set_new(root, "stages", stages);
    char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(out ? out : "{}");
    free(out);
    json_decref(root);
}

static void print_text(const char *source, const struct sekit_model *m,
                       const struct sekit_se_summary *s, long size)
{
    const struct sekit_arch *a = sekit_model_arch(m);
    const double total = (double)s->total_params;
    char g1[32], g2[32];
    printf("model        %s\n", source);
    char stem[128];
    printf("architecture %s\n", a->name);
    if (a->family == SEKIT_FAMILY_SERESNET) {
        printf("layout       %s, %s blocks, stride on the %s, groups %d%s%s\n",
               sekit_layout_name(a->layout),
               a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic",
               a->stride_on_3x3 ? "3x3" : "first 1x1", a->groups,
               a->avg_down ? ", average-pool shortcuts" : "",
               a->aa ? ", anti-aliased (2x2 average pool) downsampling" : "");
        printf("stem         %s\n", sekit_arch_stem_desc(a, stem, sizeof stem));
        printf("stages       %d:", a->nstages);
        for (int i = 0; i < a->nstages; i++)
            printf(" %d", a->blocks[i]);
        printf(" blocks; input %d channels, %d classes\n", a->in_chans, a->num_classes);
    } else {
        printf("layout       %s, %s, BatchNorm eps %g\n", sekit_layout_name(a->layout),
               sekit_family_name(a->family), a->bn_eps);
        if (a->family == SEKIT_FAMILY_BYOBNET)
            printf("stem         tiered: 3x3/2 conv %d, 3x3 conv %d, 3x3%s conv %d, %s%s\n",
                   a->stem_chs[0], a->stem_chs[1], a->stem_pool ? "" : "/2", a->stem_width,
                   sekit_act_name(a->stem_act), a->stem_pool ? ", 3x3/2 max-pool" : "");
        else
            printf("stem         3x3/2 conv %d, %s\n", a->stem_width, sekit_act_name(a->stem_act));
        printf("blocks       %d, %d with SE; input %d channels, %d classes\n", a->nnet,
               sekit_model_se_count(m), a->in_chans, a->num_classes);
    }
    printf("parameters   %s (%.2fM)\n", cli_group(g1, sizeof g1, s->total_params), total / 1e6);
    printf("SE params    %s (%.2fM, %.2f%% of total); FC weights only (paper Eq. 5): %s\n",
           cli_group(g1, sizeof g1, s->se_params), (double)s->se_params / 1e6,
           100.0 * (double)s->se_params / total, cli_group(g2, sizeof g2, s->se_weights));
    printf("MACs         %.3fG per image at %ldx%ld\n\n", (double)s->macs / 1e9, size, size);
    printf("%-9s %-34s %6s %5s %12s  %s\n", "SE block", "module", "C", "CR", "params",
           "act / gate");
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *b = sekit_model_se_info(m, i);
        printf("%-9s %-34s %6d %5d %12s  %s / %s\n", b->name, b->module, b->channels, b->reduced,
               cli_group(g1, sizeof g1, b->params), sekit_act_name(b->act),
               sekit_act_name(b->gate));
    }
    printf("\n%-9s %6s %12s %8s\n", "stage", "SE", "SE params", "share");
    for (int i = 0; i <= SEKIT_SE_MAX_STAGE; i++)
        if (s->stage_blocks[i])
            printf("%-9d %6d %12s %7.2f%%\n", i, s->stage_blocks[i],
                   cli_group(g1, sizeof g1, s->stage_params[i]),
                   100.0 * (double)s->stage_params[i] / total);
}

/* Every named architecture, one per line: its name, family and weight-name layout. */
static int print_list(void)
{
    for (const char *const *n = sekit_arch_preset_names(); *n; n++) {
        struct sekit_arch a;
        struct sekit_err e = {0};
        if (sekit_arch_preset(&a, *n, &e)) return cli_fail("info", &e);
        printf("%-28s %-14s %s\n", *n, sekit_family_name(a.family), sekit_layout_name(a.layout));
    }
    return CLI_OK;
}

static const struct cli_cmd cmd = {
    "info",
    "info [MODEL.safetensors] [--json] [--size N]\n       sekit info --arch NAME [--json] "
    "[--size N]\n       sekit info --list",
    "Prints the architecture inferred from a weight file (or of a named architecture), a "
    "table\nof its SE blocks (paper name, weight-name prefix, channels C, reduced width CR, "
    "parameters),\ntotal parameters as PyTorch's parameters() counts them, and the SE "
    "parameters per stage with\ntheir share of the total. Without MODEL or --arch: the bundled "
    "default model.\n",
    "MODEL",
    0,
    {NULL},
    "# the architecture, SE blocks and parameters of timm's SE-ResNet-50, then as JSON\n"
    "sekit info --arch seresnet50\n"
    "# the bundled default model's blocks\n"
    "sekit info\n"
    "sekit info --arch seresnet50 --json --size 224\n"
    "# every architecture sekit knows by name (timm/NAME: timm's model where torchvision has\n"
    "# one of the same name)\n"
    "sekit info --list\n"};

int cmd_info(int argc, char **argv)
{
    const char *path = NULL, *arch = NULL;
    int json = 0, list = 0;
    long size = 0;
    const struct opt own[] = {
        OPT_S("--arch", &arch, "NAME", "a named architecture instead of a file"),
        OPT_F("--json", &json, "one JSON object instead of the tables"),
        OPT_F("--list", &list, "every named architecture: name, family, layout"),
        OPT_N(OPT_INT, "--size", &size, 8, 4096, "N",
              "input side for the MAC count (default: the model's input_size\nmetadata, else 224, "
              "or 32 for small stems)"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &path);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    if (list && (path || arch || json || size))
        return cli_usage_error("info", "--list takes no other argument");
    if (list) return print_list();
    if (path && arch) return cli_usage_error("info", "give either MODEL or --arch NAME");
    if (!path && !arch) path = sekit_default_model_path();
    struct sekit_model *m;
    struct sekit_err e = {0};
    if (sekit_job_model(&m, path, arch, &e)) return cli_fail("info", &e);
    if (!size) size = sekit_model_default_size(m);
    struct sekit_se_summary s;
    sekit_job_se_summary(m, (int)size, &s);
    (json ? print_json : print_text)(path ? path : arch, m, &s, size);
    sekit_model_free(m);
    return CLI_OK;
}
