/*
 * t-jobs.c -- the library side of the commands, without the CLI: the report's findings on
 * hand-made numbers (every verdict rule on both sides of its threshold), preprocessing
 * resolution (where each value comes from, and every hostile value refused with a message that
 * names its source), output checks, --resume without a journal, and error messages built from a
 * previous message.
 */
#include "../analysis/findings.h"
#include "../datasets/pipeline.h"
#include "../jobs/jobs.h"
#include "fixture.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A recording's statistics as the findings see them: n blocks with these stages and values. */
static void stats(struct sekit_block_stats *st, int n, const int *stage, const double *spec,
                  const double *sat)
{
    memset(st, 0, sizeof *st * (size_t)n);
    for (int b = 0; b < n; b++) {
        snprintf(st[b].name, sizeof st[b].name, "SE_%d_%d", stage[b], b + 1);
        st[b].stage = stage[b];
        st[b].specificity = spec[b];
        st[b].sat_high = sat[b];
        st[b].correlation = 0.95;
    }
}

static void findings(void)
{
    enum { N = 6 };
    struct sekit_block_stats st[N];
    const int stage[N] = {2, 2, 3, 3, 4, 4};
    const double rising[N] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, sat0[N] = {0};
    stats(st, N, stage, rising, sat0);
    struct sekit_findings f;
    sekit_findings_compute(&f, st, N, NULL);
    is_int(f.first_end, 2, "first stage: blocks 0..1");
    is_int(f.last_begin, 4, "last stage: blocks 4..5");
    ok(fabs(f.spec_first - 0.15) < 1e-12 && fabs(f.spec_last - 0.55) < 1e-12,
       "stage means of specificity: %g, %g (want 0.15, 0.55)", f.spec_first, f.spec_last);
    ok(fabs(f.rho - 1) < 1e-12, "Spearman of a rising series is 1 (got %g)", f.rho);
    is_int(f.verdict[0], SEKIT_AGREES, "0.15 <= half of 0.6: class-agnostic early");
    is_int(f.verdict[1], SEKIT_AGREES, "rising specificity: class-specific late");
    is_int(f.verdict[2], SEKIT_DISAGREES, "no saturation: observation 3 not shown");
    is_int(f.verdict[3], SEKIT_AGREES, "correlation 0.95 >= 0.9: scale-only differences");
    is_int(f.verdict[4], SEKIT_NOT_MEASURED, "no ablation given: observation 5 not measured");

    const double falling[N] = {0.6, 0.5, 0.4, 0.3, 0.2, 0.1};
    stats(st, N, stage, falling, sat0);
    sekit_findings_compute(&f, st, N, NULL);
    ok(fabs(f.rho + 1) < 1e-12, "Spearman of a falling series is -1 (got %g)", f.rho);
    is_int(f.verdict[0], SEKIT_DISAGREES, "0.55 > half of 0.6: not class-agnostic early");
    is_int(f.verdict[1], SEKIT_DISAGREES, "falling specificity: not class-specific late");

    /* saturation: >= 0.5 agrees; above every earlier block and >= 5% is a tendency */
    const double sat_half[N] = {0, 0, 0, 0, 0.1, 0.5}, sat_tend[N] = {0, 0.01, 0, 0, 0.05, 0},
                 sat_low[N] = {0, 0.2, 0, 0, 0.1, 0};
    stats(st, N, stage, rising, sat_half);
    sekit_findings_compute(&f, st, N, NULL);
    ok(f.verdict[2] == SEKIT_AGREES && f.sat_argmax == 5, "50%% saturated SE_4_6: agrees");
    stats(st, N, stage, rising, sat_tend);
    sekit_findings_compute(&f, st, N, NULL);
    is_int(f.verdict[2], SEKIT_TENDENCY, "5%% in the last stage, 1%% before: a tendency");
    stats(st, N, stage, rising, sat_low);
    sekit_findings_compute(&f, st, N, NULL);
    is_int(f.verdict[2], SEKIT_DISAGREES, "an earlier block more saturated: not shown");

    st[N - 1].correlation = 0.89;
    sekit_findings_compute(&f, st, N, NULL);
    is_int(f.verdict[3], SEKIT_DISAGREES, "correlation 0.89 < 0.9: patterns differ");

    const struct sekit_last_stage_ablation small = {1, -1.0, -0.1, 0.04}, big = {1, -1.01, 0, 0.04},
                                           top5 = {1, 0, -0.11, 0.04};
    sekit_findings_compute(&f, st, N, &small);
    is_int(f.verdict[4], SEKIT_AGREES, "-1.0 top-1, -0.1 top-5: costs little");
    sekit_findings_compute(&f, st, N, &big);
    is_int(f.verdict[4], SEKIT_DISAGREES, "-1.01 top-1: matters more than the paper found");
    sekit_findings_compute(&f, st, N, &top5);
    is_int(f.verdict[4], SEKIT_DISAGREES, "-0.11 top-5: matters more than the paper found");

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    sekit_findings_compute(&f, st, N, &small);
    sekit_findings_markdown(mem, &f, st);
    fclose(mem);
    ok(text && strstr(text, "1. **Class-agnostic early**") && strstr(text, "5. **Removing") &&
           strstr(text, "changes top-1 by -1.00 and top-5 by -0.10 points and removes 4.00%"),
       "the Markdown states each observation with its numbers");
    if (!(text && strstr(text, "-1.00"))) diag("%s", text ? text : "(null)");
    free(text);
}

static char model[700];

/* The bundled model with its __metadata__ value for key replaced (the header grows or shrinks;
 * tensor offsets are relative to the data, so they stay valid). */
static const char *model_with_meta(const char *name, const char *key, const char *value)
{
    static char out[800];
    snprintf(out, sizeof out, "%s/%s", tap_tmpdir(), name);
    mkdir(out, 0755);
    snprintf(out + strlen(out), sizeof out - strlen(out), "/model.safetensors");
    size_t n;
    unsigned char *buf = fixture_slurp(model, &n);
    const uint64_t hl = fixture_st_header_len(buf, n);
    if (!hl) diag("cannot read %s", model);
    char *hdr = calloc(hl + 256, 1);
    memcpy(hdr, buf + 8, hl);
    char pat[64], *at, *end;
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    if (!(at = strstr(hdr, pat))) {
        snprintf(pat, sizeof pat, "\"%s\": \"", key);
        at = strstr(hdr, pat);
    }
    at += strlen(pat);
    end = strchr(at, '"');
    char *nh = calloc(hl + 256, 1);
    snprintf(nh, hl + 256, "%.*s%s%s", (int)(at - hdr), hdr, value, end);
    if (!fixture_write_st(out, nh, buf + 8 + hl, n - 8 - hl)) diag("cannot write %s", out);
    free(buf), free(hdr), free(nh);
    return out;
}

/* Opens model on the fixture data with request rq; returns the status, e and r filled. */
static int resolve(const char *path, const struct sekit_pp_request *rq, struct sekit_pp_resolved *r,
                   struct sekit_err *e)
{
    struct sekit_pipeline_opts o;
    sekit_pipeline_defaults(&o, path);
    o.data = fixture_idx_dataset(20);
    o.pp = *rq;
    struct sekit_pipeline p;
    int rc = sekit_pipeline_open(&p, &o, e);
    if (!rc) *r = p.pre;
    sekit_pipeline_close(&p);
    return rc;
}

static void preproc(void)
{
    struct sekit_pp_resolved r;
    struct sekit_err e = {0};
    struct sekit_pp_request rq = {0};
    is_int(resolve(model, &rq, &r, &e), SEKIT_OK, "the bundled model resolves: %s", e.msg);
    ok(r.pp.crop == 28 && r.crop_from == SEKIT_PP_METADATA && r.mean_from == SEKIT_PP_METADATA &&
           fabsf(r.pp.mean[0] - 0.286041f) < 1e-7f && r.size == 28,
       "crop 28 and mean 0.286041 from the metadata (got crop %d from %s)", r.pp.crop,
       sekit_pp_source_name(r.crop_from));
    is_str(r.sources,
           "resize from default, crop from metadata, mean from metadata, std from metadata, "
           "interpolation from default",
           "the sources line");

    rq.nmean = 1, rq.mean[0] = 0.5, rq.crop = 24;
    resolve(model, &rq, &r, &e);
    ok(r.pp.mean[0] == 0.5f && r.mean_from == SEKIT_PP_OPTION && r.pp.crop == 24 &&
           r.crop_from == SEKIT_PP_OPTION && r.size == 24,
       "the request overrides the metadata");

    static const struct {
        struct sekit_pp_request rq;
        int code;
        const char *msg;
    } bad[] = {
        {{.crop = 1000}, SEKIT_EINVAL, "crop 1000 (from option) is larger than the 28x28 images"},
        {{.resize = 32}, SEKIT_EINVAL, "--resize is for image folders"},
        {{.nstd = 1, .std = {1e-45}},
         SEKIT_EINVAL,
         "--std: std value 1e-45 is not a number > 0, from 1e-06 to 1e+06"},
        {{.nstd = 1, .std = {0}},
         SEKIT_EINVAL,
         "--std: std value 0 is not a number > 0, from 1e-06"},
        {{.nmean = 1, .mean = {1e39}},
         SEKIT_EINVAL,
         "--mean: mean value 1e+39 is not a finite number from -1e+06 to 1e+06"},
        {{.nmean = 1, .mean = {NAN}}, SEKIT_EINVAL, "--mean: mean value nan is not a finite"},
        {{.nmean = 3, .mean = {0, 0, 0}},
         SEKIT_EINVAL,
         "--mean: mean has 3 values; the model takes 1 or 1"},
        {{.preset = "timm"}, SEKIT_EINVAL, "preset 'timm' is for 3-channel ImageNet models"},
        {{.preset = "nosuch"}, SEKIT_EINVAL, "unknown preset 'nosuch' (timm, legacy, caffe, none)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = (struct sekit_err){0};
        int rc = resolve(model, &bad[i].rq, &r, &e);
        ok(rc == bad[i].code && strstr(e.msg, bad[i].msg), "refused: %s", bad[i].msg);
        if (!strstr(e.msg, bad[i].msg)) diag("got status %d: %s", rc, e.msg);
    }

    const struct {
        const char *dir, *key, *value, *msg;
    } meta[] = {
        {"m_abc", "mean", "abc,def",
         "/m_abc/model.safetensors: __metadata__ mean 'abc,def' is not 1 or 3 comma-separated "
         "numbers"},
        {"m_std0", "std", "0",
         "/m_std0/model.safetensors: __metadata__: std value 0 is not a "
         "number > 0, from 1e-06 to 1e+06"},
        {"m_size", "input_size", "29", "crop 29 (from metadata) is larger than the 28x28 images"},
        {"m_inf", "mean", "inf", "__metadata__: mean value inf is not a finite number"},
    };
    struct sekit_pp_request none = {0};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        e = (struct sekit_err){0};
        const char *path = model_with_meta(meta[i].dir, meta[i].key, meta[i].value);
        int rc = resolve(path, &none, &r, &e);
        ok(rc != SEKIT_OK && strstr(e.msg, meta[i].msg), "metadata %s '%s' refused cleanly",
           meta[i].key, meta[i].value);
        if (!strstr(e.msg, meta[i].msg))
            diag("got status %d: %s\n  want: %s", rc, e.msg, meta[i].msg);
    }

    /* config.json next to the weights is read before the metadata, and checked the same way */
    const char *path = model_with_meta("cfg", "seed", "1");
    char cfg[900];
    snprintf(cfg, sizeof cfg, "%s/cfg/config.json", tap_tmpdir());
    FILE *f = fopen(cfg, "w");
    fputs("{\"pretrained_cfg\": {\"input_size\": [1, 28, 28], \"std\": [0]}}", f);
    fclose(f);
    e = (struct sekit_err){0};
    ok(resolve(path, &none, &r, &e) == SEKIT_EFORMAT &&
           strstr(e.msg, "config.json: std value 0 is not a number > 0, from 1e-06 to 1e+06"),
       "config.json std 0 refused, naming config.json");
    if (!strstr(e.msg, "config.json")) diag("got: %s", e.msg);
}

static void outputs(void)
{
    struct sekit_err e = {0};
    char path[800];
    snprintf(path, sizeof path, "%s/no/such/dir/x.h5", tap_tmpdir());
    ok(sekit_check_output(path, &e) == SEKIT_EIO && strstr(e.msg, "/no/such/dir: cannot write") &&
           strstr(e.msg, "No such file or directory"),
       "a missing output directory is refused at once: %s", e.msg);
    snprintf(path, sizeof path, "%s/x.h5", tap_tmpdir());
    is_int(sekit_check_output(path, &e), SEKIT_OK, "the temporary directory can be written");
    is_int(sekit_check_output("x.h5", &e), SEKIT_OK, "a bare name means the current directory");

    struct sekit_pipeline_opts o;
    sekit_pipeline_defaults(&o, model);
    o.data = fixture_idx_dataset(20);
    struct sekit_pipeline p;
    is_int(sekit_pipeline_open(&p, &o, &e), SEKIT_OK, "pipeline opens");
    is_int(sekit_pipeline_select(&p, "all", 0, 0, &e), SEKIT_OK, "all images selected");
    snprintf(path, sizeof path, "%s/never.h5", tap_tmpdir());
    struct sekit_record_job j = {.out = path, .resume = 1};
    ok(sekit_job_record(&p, &j, NULL, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "--resume: nothing to resume") && strstr(e.msg, "never.h5.journal"),
       "--resume without a journal is refused, naming it: %s", e.msg);
    struct stat sb;
    ok(stat(path, &sb) != 0, "and writes nothing");
    sekit_pipeline_close(&p);
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    for (int ca = 0, cb = 0; same && ca != EOF;) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* The figures read the statistics file the analysis wrote; from a recording they compute the same
 * statistics in memory, so both draw the same figure, byte for byte (PNG: cairo's SVG numbers
 * its elements per process). */
static void figures_from_stats(void)
{
    struct sekit_pipeline_opts o;
    struct sekit_pipeline p;
    struct sekit_err e = {0};
    char rec[800], st[800], a[800], b[800];
    snprintf(rec, sizeof rec, "%s/fig.h5", tap_tmpdir());
    snprintf(st, sizeof st, "%s/fig.stats.h5", tap_tmpdir());
    sekit_pipeline_defaults(&o, model);
    o.data = fixture_idx_dataset(20);
    struct sekit_record_job j = {.out = rec};
    int rc = sekit_pipeline_open(&p, &o, &e);
    if (!rc) rc = sekit_pipeline_select(&p, "all", 0, 0, &e);
    if (!rc) rc = sekit_job_record(&p, &j, NULL, &e);
    sekit_pipeline_close(&p);
    if (!is_int(rc, SEKIT_OK, "a recording of the fixture images: %s", e.msg)) return;
    is_int(sekit_job_stats(rec, NULL, NULL, NULL, &e), SEKIT_OK, "its statistics file");
    for (int k = 0; k < 3; k++) {
        const char *fig = sekit_figure_names[k];
        snprintf(a, sizeof a, "%s/from-rec-%s.png", tap_tmpdir(), fig);
        snprintf(b, sizeof b, "%s/from-stats-%s.png", tap_tmpdir(), fig);
        struct sekit_figure_request qa = {.input = rec,
                                          .figure = fig,
                                          .out = a,
                                          .classes = k == 0 ? "0,1,2" : NULL},
                                    qb = qa;
        qb.input = st;
        qb.out = b;
        const int ra = sekit_job_figure(&qa, &e), rb = ra ? ra : sekit_job_figure(&qb, &e);
        if (!ok(!ra && !rb && same_bytes(a, b),
                "%s: the figure from the statistics file equals the one from the recording", fig))
            diag("statuses %d, %d: %s", ra, rb, e.msg);
    }
}

static const char *word(const void *ctx, int i)
{
    return ((const char *const *)ctx)[i];
}

static void messages(void)
{
    static const char *const words[] = {"alpha", "beta", "gamma"};
    char buf[32];
    is_str(sekit_name_list(buf, sizeof buf, word, words, 3), "alpha, beta, gamma", "names joined");
    is_str(sekit_name_list(buf, 17, word, words, 3), "alpha, beta, ...", "cut with ', ...'");
    is_str(sekit_name_list(buf, 8, word, words, 3), "...", "nothing fits: '...'");
    is_str(sekit_name_list(buf, sizeof buf, word, words, 0), "", "no names: empty");
    struct sekit_err e = {0};
    sekit_errf(&e, SEKIT_EINVAL, "std value %g is bad", 0.0);
    sekit_errf(&e, SEKIT_EFORMAT, "%s: __metadata__ %s", "m.safetensors", e.msg);
    is_str(e.msg, "m.safetensors: __metadata__ std value 0 is bad",
           "a message may be built from the previous one");
    is_int(e.code, SEKIT_EFORMAT, "with the new code");
}

int main(void)
{
    snprintf(model, sizeof model, "%s/models/fashion_mnist_seresnet.safetensors", tap_srcdir());
    findings();
    preproc();
    outputs();
    figures_from_stats();
    messages();
    return tap_done();
}
