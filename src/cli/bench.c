/* bench.c -- `sekit bench`: engine images per second on random inputs. */
#include "common_model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: sekit bench [--arch NAME | --model FILE] [--batch B] [--threads T] [--seconds S]\n"
    "                   [--size N] [--json]\n"
    "\n"
    "Runs batches of seeded random inputs through the engine for about S seconds (default 5)\n"
    "after one warm-up batch and reports images per second. --arch builds the network with\n"
    "synthetic weights in memory (default seresnet50); --model loads a weight file. Batch\n"
    "defaults to 8, threads to all cores, the input side to 224 (or the model's input_size).\n";

int cmd_bench(int argc, char **argv)
{
    const char *path = NULL, *arch = NULL, *v;
    long batch = 8, threads = 0, size = 0;
    double seconds = 5;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            fputs(help, stdout);
            return CLI_OK;
        } else if (strcmp(f, "--json") == 0) {
            json = 1;
            continue;
        }
        if (f[0] != '-') return cli_usage_error("bench", "unexpected argument '%s'", f);
        if (!(v = cli_value("bench", argc, argv, &i))) return CLI_USAGE;
        int bad = 0;
        if (strcmp(f, "--arch") == 0)
            arch = v;
        else if (strcmp(f, "--model") == 0)
            path = v;
        else if (strcmp(f, "--batch") == 0)
            bad = cli_int("bench", f, v, 1, 4096, &batch);
        else if (strcmp(f, "--threads") == 0)
            bad = cli_int("bench", f, v, 0, 1024, &threads);
        else if (strcmp(f, "--size") == 0)
            bad = cli_int("bench", f, v, 8, 4096, &size);
        else if (strcmp(f, "--seconds") == 0)
            bad = cli_double("bench", f, v, 0, 3600, &seconds);
        else
            return cli_usage_error("bench", "unknown option '%s'", f);
        if (bad) return CLI_USAGE;
    }
    if (path && arch) return cli_usage_error("bench", "give --arch or --model, not both");
    if (!path && !arch) arch = "seresnet50";
    int nthreads = sekit_set_threads((int)threads);
    struct sekit_model *m;
    if (cli_open_model(&m, path, arch)) return CLI_FAIL;
    const struct sekit_arch *a = sekit_model_arch(m);
    if (!size) size = cli_default_size(m);
    struct sekit_err e = {0};
    if (sekit_model_prepare(m, (int)batch, (int)size, (int)size, &e)) {
        sekit_model_free(m);
        return cli_fail(&e);
    }
    size_t nin = (size_t)batch * a->in_chans * size * size;
    float *x = malloc(nin * sizeof *x),
          *logits = malloc((size_t)batch * a->num_classes * sizeof *logits);
    if (!x || !logits) {
        free(x);
        free(logits);
        sekit_model_free(m);
        fprintf(stderr, "sekit: out of memory for a batch of %ld\n", batch);
        return CLI_FAIL;
    }
    uint64_t s = 42;
    for (size_t i = 0; i < nin; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
    sekit_model_forward(m, x, (int)batch, logits);
    int runs = 0;
    double t0 = cli_now(), el;
    do {
        sekit_model_forward(m, x, (int)batch, logits);
        runs++;
        el = cli_now() - t0;
    } while (el < seconds);
    double ips = runs * batch / el, macs = (double)sekit_model_macs(m, (int)size, (int)size);
    if (json) {
        json_t *o = json_pack(
            "{s:s, s:f, s:i, s:i, s:i, s:i, s:f, s:f}", "model", path ? path : arch,
            "images_per_second", ips, "batch", (int)batch, "threads", nthreads, "size", (int)size,
            "batches", runs, "ms_per_batch", 1e3 * el / runs, "gmacs_per_second", ips * macs / 1e9);
        char *out = json_dumps(o, JSON_PRESERVE_ORDER);
        puts(out ? out : "{}");
        free(out);
        json_decref(o);
    } else {
        printf("%s: batch %ld, %d threads, %ldx%ld: %.2f images/s (%.1f ms per batch, %d batches, "
               "%.1f GMAC/s)\n",
               path ? path : arch, batch, nthreads, size, size, ips, 1e3 * el / runs, runs,
               ips * macs / 1e9);
    }
    free(x);
    free(logits);
    sekit_model_free(m);
    return CLI_OK;
}
