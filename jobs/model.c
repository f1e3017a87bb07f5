/* model.c -- jobs on a model alone (info, bench) and checking output locations. See jobs.h. */
#include "jobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sekit_check_output(const char *path, struct sekit_err *e)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    /* a probe file, not access(): root passes access() on read-only directories and mounts */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.sekit-probe-XXXXXX", dir);
    int fd = mkstemp(probe);
    if (fd < 0)
        return sekit_errf(e, SEKIT_EIO, "%s: cannot write %s there: %s", dir, path,
                          strerror(errno));
    close(fd);
    unlink(probe);
    return SEKIT_OK;
}

int sekit_job_model(struct sekit_model **m, const char *path, const char *arch, struct sekit_err *e)
{
    if (path) return sekit_model_load(m, path, e);
    struct sekit_arch a;
    int rc = sekit_arch_preset(&a, arch, e);
    return rc ? rc : sekit_model_synthetic(m, &a, 1, e);
}

int sekit_model_default_size(const struct sekit_model *m)
{
    const char *v = sekit_model_meta(m, "input_size");
    if (v) {
        char *end;
        long s = strtol(v, &end, 10);
        if (end != v && !*end && s >= 8 && s <= 4096) return (int)s;
    }
    return sekit_model_arch(m)->stem == SEKIT_STEM_SMALL ? 32 : 224;
}

void sekit_arch_summary(const struct sekit_arch *a, char *buf, size_t n)
{
    if (a->family != SEKIT_FAMILY_SERESNET) {
        snprintf(buf, n,
                 "%s layout, %s, %d blocks, 3x3/2 stem %d, widths %d..%d, BN eps %g, %d input "
                 "channels, %d classes",
                 sekit_layout_name(a->layout), sekit_family_name(a->family), a->nnet, a->stem_width,
                 a->net[0].out_c, sekit_arch_features(a), a->bn_eps, a->in_chans, a->num_classes);
        return;
    }
    char blocks[128] = "";
    for (int s = 0; s < a->nstages; s++)
        snprintf(blocks + strlen(blocks), sizeof blocks - strlen(blocks), "%s%d", s ? "," : "",
                 a->blocks[s]);
    char stem[128];
    snprintf(buf, n,
             "%s layout, %s, %s blocks %s, widths %d..%d, groups %d%s%s, stride on the %s, SE "
             "%s, %d input channels, %d classes",
             sekit_layout_name(a->layout), sekit_arch_stem_desc(a, stem, sizeof stem),
             a->block == SEKIT_BLOCK_BOTTLENECK ? "bottleneck" : "basic", blocks,
             sekit_arch_block(a, 0, 0).out_c, sekit_arch_features(a), a->groups,
             a->avg_down ? ", average-pool shortcuts" : "", a->aa ? ", anti-aliased" : "",
             a->stride_on_3x3 ? "3x3" : "1x1", a->se_bias ? "with bias" : "without bias",
             a->in_chans, a->num_classes);
}

void sekit_job_se_summary(const struct sekit_model *m, int size, struct sekit_se_summary *s)
{
    memset(s, 0, sizeof *s);
    s->total_params = sekit_model_params(m);
    for (int i = 0; i < sekit_model_se_count(m); i++) {
        const struct sekit_se_info *b = sekit_model_se_info(m, i);
        s->se_params += b->params;
        s->se_weights += 2 * (int64_t)b->channels * b->reduced;
        const int st = b->stage < 0                    ? 0
                       : b->stage > SEKIT_SE_MAX_STAGE ? SEKIT_SE_MAX_STAGE
                                                       : b->stage;
        s->stage_params[st] += b->params;
        s->stage_blocks[st]++;
    }
    s->macs = sekit_model_macs(m, size, size);
}

int sekit_job_bench(struct sekit_model *m, int batch, int size, int threads, double seconds,
                    struct sekit_bench_result *r, struct sekit_err *e)
{
    const struct sekit_arch *a = sekit_model_arch(m);
    memset(r, 0, sizeof *r);
    r->threads = sekit_set_threads(threads);
    int rc = sekit_model_prepare(m, batch, size, size, e);
    if (rc) return rc;
    const size_t nin = (size_t)batch * a->in_chans * size * size;
    float *x = malloc(nin * sizeof *x), *logits = malloc((size_t)batch * a->num_classes * 4);
    if (!x || !logits) {
        free(x), free(logits);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory for a batch of %d", batch);
    }
    uint64_t s = 42;
    for (size_t i = 0; i < nin; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
    sekit_model_forward(m, x, batch, logits);
    const double t0 = sekit_seconds();
    do {
        sekit_model_forward(m, x, batch, logits);
        r->batches++;
        r->seconds = sekit_seconds() - t0;
    } while (r->seconds < seconds);
    r->images_per_second = r->batches * batch / r->seconds;
    r->ms_per_batch = 1e3 * r->seconds / r->batches;
    r->gmacs_per_second = r->images_per_second * (double)sekit_model_macs(m, size, size) / 1e9;
    free(x), free(logits);
    return SEKIT_OK;
}
