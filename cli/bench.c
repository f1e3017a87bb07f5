/* bench.c -- `sekit bench`: engine images per second on random inputs. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const struct cli_cmd cmd = {
    "bench",
    "bench [--arch NAME | --model FILE] [--batch B] [--threads T] [--seconds S]\n"
    "                   [--size N] [--backend B] [--json]",
    "Runs batches of seeded random inputs through the engine for about S seconds after one\n"
    "warm-up batch and reports images per second.\n",
    NULL,
    0,
    {NULL},
    "# images per second of SE-ResNet-50 with synthetic weights, 8 images per batch\n"
    "sekit bench --arch seresnet50 --batch 8 --seconds 10\n"};

int cmd_bench(int argc, char **argv)
{
    const char *path = NULL, *arch = NULL, *pos;
    long batch = 8, threads = 0, size = 0;
    double seconds = 5;
    int json = 0, backend = cli_default_backend();
    const struct opt own[] = {
        OPT_S("--arch", &arch, "NAME",
              "a named architecture with synthetic weights (default seresnet50)"),
        OPT_S("--model", &path, "FILE", "a weight file"),
        OPT_N(OPT_INT, "--batch", &batch, 1, 4096, "B", "images per batch (default 8)"),
        OPT_N(OPT_INT, "--threads", &threads, 0, 1024, "T",
              "engine threads (default 0: all cores)"),
        OPT_N(OPT_INT, "--size", &size, 8, 4096, "N",
              "input side (default 224, or the model's input_size)"),
        OPT_N(OPT_REAL, "--seconds", &seconds, 0, 3600, "S", "how long to run (default 5)"),
        OPT_C("--backend", &backend, cli_backend_names, "B",
              "openblas|onednn (default: $SEKIT_BACKEND, else onednn when\nthis sekit has it)"),
        OPT_F("--json", &json, "one JSON object instead of a line"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, NULL, argc, argv, &pos);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    if (path && arch) return cli_usage_error("bench", "give --arch or --model, not both");
    if (!path && !arch) arch = "seresnet50";
    struct sekit_model *m;
    struct sekit_err e = {0};
    if (sekit_job_model(&m, path, arch, &e)) return cli_fail("bench", &e);
    if (sekit_model_set_backend(m, (enum sekit_backend)backend, &e)) {
        sekit_model_free(m);
        return cli_fail("bench", &e);
    }
    if (!size) size = sekit_model_default_size(m);
    struct sekit_bench_result r;
    if (sekit_job_bench(m, (int)batch, (int)size, (int)threads, seconds, &r, &e)) {
        sekit_model_free(m);
        return cli_fail("bench", &e);
    }
    const char *name = path ? path : arch;
    if (json) {
        json_t *o =
            json_pack("{s:s, s:s, s:f, s:i, s:i, s:i, s:i, s:f, s:f}", "model", name, "backend",
                      sekit_backend_name((enum sekit_backend)backend), "images_per_second",
                      r.images_per_second, "batch", (int)batch, "threads", r.threads, "size",
                      (int)size, "batches", r.batches, "ms_per_batch", r.ms_per_batch,
                      "gmacs_per_second", r.gmacs_per_second);
        char *out = json_dumps(o, JSON_PRESERVE_ORDER);
        puts(out ? out : "{}");
        free(out);
        json_decref(o);
    } else {
        printf("%s on %s: batch %ld, %d threads, %ldx%ld: %.2f images/s (%.1f ms per batch, %d "
               "batches, %.1f GMAC/s)\n",
               name, sekit_backend_name((enum sekit_backend)backend), batch, r.threads, size, size,
               r.images_per_second, r.ms_per_batch, r.batches, r.gmacs_per_second);
    }
    sekit_model_free(m);
    return CLI_OK;
}
