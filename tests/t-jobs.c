/*
 * t-jobs.c -- the library side of the commands, without the CLI: the report's findings on
 * hand-made numbers (every verdict rule on both sides of its threshold), preprocessing
 * resolution (where each value comes from, and every hostile value refused with a message that
 * names its source), output checks, --resume without a journal, error messages built from a
 * previous message, and the analysis's one pass: a recording made in the ablation's pass (as
 * reproduce's all.h5) equals `sekit record` of the same images in every dataset, with the
 * ablation's table unchanged and its throughput reported.
 */
#include "../ablation/ablation.h"
#include "../report/findings.h"
#include "../datasets/pipeline.h"
#include "../jobs/jobs.h"
#include "../report/report_html.h"
#include "../recording/record.h"
#include "fixture.h"
#include "tap.h"

#include <glib.h>
#include <hdf5.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char model[700];
/* reproduce's command line as the report's provenance gives it; the HTML must escape it */
static const char html_command_line[] = "sekit reproduce --out 'a <b> & \"c\"'";

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
static int resolve(const char *path, const struct sekit_preproc_request *rq,
                   struct sekit_preproc_resolved *r, struct sekit_err *e)
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
    struct sekit_preproc_resolved r;
    struct sekit_err e = {0};
    struct sekit_preproc_request rq = {0};
    is_int(resolve(model, &rq, &r, &e), SEKIT_OK, "the bundled model resolves: %s", e.msg);
    ok(r.pp.crop == 28 && r.crop_from == SEKIT_PREPROC_METADATA &&
           r.mean_from == SEKIT_PREPROC_METADATA && fabsf(r.pp.mean[0] - 0.286041f) < 1e-7f &&
           r.size == 28,
       "crop 28 and mean 0.286041 from the metadata (got crop %d from %s)", r.pp.crop,
       sekit_preproc_source_name(r.crop_from));
    is_str(r.sources,
           "resize from default, crop from metadata, mean from metadata, std from metadata, "
           "interpolation from default",
           "the sources line");

    rq.nmean = 1, rq.mean[0] = 0.5, rq.crop = 24;
    resolve(model, &rq, &r, &e);
    ok(r.pp.mean[0] == 0.5f && r.mean_from == SEKIT_PREPROC_OPTION && r.pp.crop == 24 &&
           r.crop_from == SEKIT_PREPROC_OPTION && r.size == 24,
       "the request overrides the metadata");

    static const struct {
        struct sekit_preproc_request rq;
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
    struct sekit_preproc_request none = {0};
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

/* A recording of the 20 fixture images by model m into rec. */
static int record_fixture(const char *m, const char *rec, struct sekit_err *e)
{
    struct sekit_pipeline_opts o;
    struct sekit_pipeline p;
    sekit_pipeline_defaults(&o, m);
    o.data = fixture_idx_dataset(20);
    struct sekit_record_job j = {.out = rec};
    int rc = sekit_pipeline_open(&p, &o, e);
    if (!rc) rc = sekit_pipeline_select(&p, "all", 0, 0, e);
    if (!rc) rc = sekit_job_record(&p, &j, NULL, e);
    sekit_pipeline_close(&p);
    return rc;
}

/* The figures read the statistics file the analysis wrote; from a recording they compute the same
 * statistics in memory, so both draw the same figure, byte for byte (PNG: cairo's SVG numbers
 * its elements per process). */
static void figures_from_stats(void)
{
    struct sekit_err e = {0};
    char rec[800], st[800], a[800], b[800];
    snprintf(rec, sizeof rec, "%s/fig.h5", tap_tmpdir());
    snprintf(st, sizeof st, "%s/fig.stats.h5", tap_tmpdir());
    if (!is_int(record_fixture(model, rec, &e), SEKIT_OK, "a recording of the fixture images: %s",
                e.msg))
        return;
    is_int(sekit_job_stats(rec, NULL, NULL, NULL, &e), SEKIT_OK, "its statistics file");
    for (int k = 0; k < 3; k++) {
        const char *fig = sekit_figure_names[k];
        snprintf(a, sizeof a, "%s/from-rec-%s.png", tap_tmpdir(), fig);
        snprintf(b, sizeof b, "%s/from-stats-%s.png", tap_tmpdir(), fig);
        struct sekit_figure_request qa = {.input = rec,
                                          .figure = (enum sekit_figure_kind)k,
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

/* Every dataset of one file, for H5Lvisit: its path and, when the other file is given, whether
 * that one has the same dataset with equal values. */
struct h5cmp {
    hid_t other; /* H5I_INVALID_HID: only count */
    int n, differ;
    char first[256]; /* the first differing dataset */
};

/* The values of dataset d (type class and size as stored, read as the native type; variable
 * strings read and joined with NULs), malloc'd; *len their bytes. */
static unsigned char *dataset_bytes(hid_t d, size_t *len)
{
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d), mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT);
    const hssize_t n = H5Sget_simple_extent_npoints(sp);
    unsigned char *out = NULL;
    *len = 0;
    if (H5Tis_variable_str(ft) > 0) {
        char **v = calloc((size_t)n + 1, sizeof *v);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            for (hssize_t i = 0; i < n; i++)
                *len += strlen(v[i] ? v[i] : "") + 1;
            out = malloc(*len + 1);
            size_t at = 0;
            for (hssize_t i = 0; out && i < n; i++) {
                const size_t l = strlen(v[i] ? v[i] : "") + 1;
                memcpy(out + at, v[i] ? v[i] : "", l);
                at += l;
            }
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        free(v);
    } else {
        *len = H5Tget_size(mt) * (size_t)n;
        out = malloc(*len + 1);
        if (out && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) free(out), out = NULL;
    }
    H5Tclose(mt), H5Sclose(sp), H5Tclose(ft);
    return out;
}

static herr_t compare_dataset(hid_t f, const char *name, const H5L_info_t *info, void *ctx)
{
    struct h5cmp *c = ctx;
    (void)info;
    const hid_t o = H5Oopen(f, name, H5P_DEFAULT);
    const int dataset = o >= 0 && H5Iget_type(o) == H5I_DATASET;
    if (o >= 0) H5Oclose(o);
    if (!dataset) return 0;
    c->n++;
    if (c->other == H5I_INVALID_HID) return 0;
    int same = H5Lexists(c->other, name, H5P_DEFAULT) > 0;
    if (same) {
        hid_t a = H5Dopen2(f, name, H5P_DEFAULT), b = H5Dopen2(c->other, name, H5P_DEFAULT);
        size_t la = 0, lb = 0;
        unsigned char *va = dataset_bytes(a, &la), *vb = dataset_bytes(b, &lb);
        same = va && vb && la == lb && memcmp(va, vb, la) == 0;
        free(va), free(vb);
        H5Dclose(a), H5Dclose(b);
    }
    if (!same && !c->differ++) snprintf(c->first, sizeof c->first, "%s", name);
    return 0;
}

/* Files a and b hold the same datasets with the same values (attributes are not compared: they
 * carry times); *n the datasets compared, *what the first that differs. */
static int same_datasets(const char *a, const char *b, int *n, char *what, size_t wn)
{
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT),
          fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    struct h5cmp ab = {.other = fb}, ba = {.other = H5I_INVALID_HID};
    int ok = fa >= 0 && fb >= 0;
    if (ok) {
        H5Lvisit(fa, H5_INDEX_NAME, H5_ITER_INC, compare_dataset, &ab);
        H5Lvisit(fb, H5_INDEX_NAME, H5_ITER_INC, compare_dataset, &ba);
        ok = !ab.differ && ab.n == ba.n && ab.n > 0;
    }
    snprintf(what, wn, "%s", ab.differ ? ab.first : ok ? "" : "the files or their datasets");
    *n = ab.n;
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
    return ok;
}

static int exists(const char *dir, const char *name)
{
    char p[1000];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* reproduce's all.h5 comes from the ablation's pass: it equals a recording of every image of the
 * split in a pass of its own, in every dataset, even with mean mode's first pass; the ablation
 * table is the one a plain ablation writes; the throughput is images x variants / seconds. */
static void one_pass(void)
{
    struct sekit_pipeline_opts o;
    sekit_pipeline_defaults(&o, model);
    o.data = fixture_idx_dataset(20); /* batches of 16: a partial last batch */
    struct sekit_err e = {0};
    char dir[800], all[900], ref[900], plain[900], a[1000], b[1000], what[300];
    snprintf(dir, sizeof dir, "%s/repro", tap_tmpdir());
    struct sekit_reproduce_job j = {.dir = dir,
                                    .classes = "1,2,7,8",
                                    .pair = "1,8",
                                    .per_class = 1,
                                    .modes = SEKIT_MODES_BOTH,
                                    .command_line = html_command_line};
    if (!is_int(sekit_job_reproduce(&o, &j, NULL, &e), SEKIT_OK, "reproduce runs: %s", e.msg))
        return;
    ok(j.image_variants_per_second > 0, "reproduce reports the ablation's throughput: %g /s",
       j.image_variants_per_second);

    struct sekit_pipeline p;
    if (!is_int(sekit_pipeline_open(&p, &o, &e), SEKIT_OK, "pipeline opens")) return;
    snprintf(all, sizeof all, "%s/all.h5", dir);
    snprintf(ref, sizeof ref, "%s/all-ref.h5", tap_tmpdir());
    struct sekit_record_job r = {.out = ref, .force = 1};
    int n = 0, same;
    if (is_int(sekit_pipeline_select(&p, "all", 0, 0, &e) || sekit_job_record(&p, &r, NULL, &e),
               SEKIT_OK, "a recording of every image in a pass of its own: %s", e.msg)) {
        same = same_datasets(all, ref, &n, what, sizeof what);
        /* 7 per-image and per-class datasets, a channel scale per block, the gates */
        ok(same && n == 7 + 2 * r.nblocks, "all.h5 equals it in every dataset (%d compared) %s", n,
           what);
    }

    /* the same ablation without a recording: the same table; with one and the squeeze vectors:
     * the same recording as `sekit record --squeeze` */
    snprintf(plain, sizeof plain, "%s/plain", tap_tmpdir());
    struct sekit_ablate_job pa = {
        .out = plain, .presets = "single,stage,last-stage,last-two,all", .modes = SEKIT_MODES_BOTH};
    if (is_int(sekit_job_ablate(&p, &pa, NULL, &e), SEKIT_OK, "a plain ablation: %s", e.msg)) {
        snprintf(a, sizeof a, "%s/ablation.csv", dir);
        snprintf(b, sizeof b, "%s.csv", plain);
        ok(same_bytes(a, b), "reproduce's ablation CSV equals the plain ablation's");
        ok(pa.images == 20 && pa.seconds > 0 &&
               fabs(pa.image_variants_per_second - 20.0 * pa.nvariants / pa.seconds) <=
                   1e-9 * pa.image_variants_per_second,
           "throughput %g image-variants/s = 20 images x %d variants / %g s",
           pa.image_variants_per_second, pa.nvariants, pa.seconds);
    }
    snprintf(a, sizeof a, "%s/sq-ref.h5", tap_tmpdir());
    snprintf(b, sizeof b, "%s/sq-abl.h5", tap_tmpdir());
    struct sekit_record_job ra = {.out = b, .squeeze = 1, .blocks = "SE_3_1,SE_4_2"},
                            rb = {.out = a, .squeeze = 1, .blocks = "SE_3_1,SE_4_2", .force = 1};
    struct sekit_ablate_job sa = {
        .out = plain, .presets = "stage", .modes = SEKIT_MODES_REMOVE, .record = &ra};
    if (is_int(sekit_job_ablate(&p, &sa, NULL, &e), SEKIT_OK, "ablation recording two blocks: %s",
               e.msg) &&
        is_int(sekit_job_record(&p, &rb, NULL, &e), SEKIT_OK, "and record of the same: %s",
               e.msg)) {
        same = same_datasets(b, a, &n, what, sizeof what);
        ok(same && ra.nblocks == 2 && n == 7 + 2 + 2 * 2,
           "excitation and squeeze of the two blocks equal (%d datasets) %s", n, what);
    }

    /* failures: nothing under any output name */
    char bad[900], out[900];
    snprintf(bad, sizeof bad, "%s/no/such/dir/all.h5", tap_tmpdir());
    snprintf(out, sizeof out, "%s/failing", tap_tmpdir());
    struct sekit_record_job rm = {.out = bad};
    struct sekit_ablate_job fa = {
        .out = out, .presets = "single", .modes = SEKIT_MODES_REMOVE, .record = &rm};
    ok(sekit_job_ablate(&p, &fa, NULL, &e) == SEKIT_EIO && strstr(e.msg, "/no/such/dir"),
       "a recording into a missing directory is refused before any work: %s", e.msg);
    ok(!exists(tap_tmpdir(), "failing.csv") && !exists(tap_tmpdir(), "failing.h5") &&
           !exists(tap_tmpdir(), "failing.png"),
       "and writes no ablation files");
    snprintf(bad, sizeof bad, "%s/resumed.h5", tap_tmpdir());
    struct sekit_record_job rr = {.out = bad, .resume = 1};
    fa.record = &rr;
    ok(sekit_job_ablate(&p, &fa, NULL, &e) == SEKIT_EINVAL && strstr(e.msg, "cannot be resumed"),
       "a recording in the ablation's pass cannot --resume: %s", e.msg);
    snprintf(bad, sizeof bad, "%s/badblock.h5", tap_tmpdir());
    struct sekit_record_job rk = {.out = bad, .blocks = "SE_9_9"};
    fa.record = &rk;
    ok(sekit_job_ablate(&p, &fa, NULL, &e) == SEKIT_EINVAL && strstr(e.msg, "SE_9_9"),
       "an unknown recorded block is refused: %s", e.msg);
    ok(!exists(tap_tmpdir(), "resumed.h5") && !exists(tap_tmpdir(), "resumed.h5.journal") &&
           !exists(tap_tmpdir(), "badblock.h5") && !exists(tap_tmpdir(), "badblock.h5.journal") &&
           !exists(tap_tmpdir(), "failing.csv"),
       "neither writes a recording, a journal nor an ablation");
    sekit_pipeline_close(&p);
}

/* What report.html holds, as an XML parser sees it. */
struct page_scan {
    int h1, svg, tables, rows[32], forbidden, external, duplicate_ids;
    char what[300];     /* the first forbidden element or external reference */
    GString *text;      /* every text node, unescaped */
    GHashTable *ids;    /* every id */
    GPtrArray *targets; /* every #id an attribute refers to */
};

/* The id a reference "#x" or "url(#x)" in v names, appended to targets. */
static void add_target(struct page_scan *ps, const char *v)
{
    const char *h = g_str_has_prefix(v, "#") ? v + 1 : strstr(v, "url(#");
    if (!h) return;
    if (h != v + 1) h += 5;
    g_ptr_array_add(ps->targets, g_strndup(h, strcspn(h, ")")));
}

static void page_start(GMarkupParseContext *c, const char *name, const char **an, const char **av,
                       void *ctx, GError **err)
{
    struct page_scan *ps = ctx;
    (void)c, (void)err;
    static const char *const forbidden[] = {"script", "link", "iframe", "object", "embed", "img"};
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
        if (strcmp(name, forbidden[i]) == 0 && !ps->forbidden++)
            snprintf(ps->what, sizeof ps->what, "<%s>", name);
    ps->h1 += strcmp(name, "h1") == 0;
    ps->svg += strcmp(name, "svg") == 0;
    if (strcmp(name, "table") == 0) ps->tables++;
    if (strcmp(name, "tr") == 0 && ps->tables && ps->tables <= 32) ps->rows[ps->tables - 1]++;
    for (int i = 0; an[i]; i++) {
        /* namespace names identify vocabularies; nothing fetches them */
        if (strcmp(an[i], "xmlns") == 0 || g_str_has_prefix(an[i], "xmlns:")) continue;
        if ((!g_ascii_strncasecmp(av[i], "http:", 5) || !g_ascii_strncasecmp(av[i], "https:", 6) ||
             g_str_has_prefix(av[i], "//")) &&
            !ps->external++)
            snprintf(ps->what, sizeof ps->what, "%s=\"%s\"", an[i], av[i]);
        if (strcmp(an[i], "id") == 0 && !g_hash_table_add(ps->ids, g_strdup(av[i])))
            ps->duplicate_ids++;
        add_target(ps, av[i]);
    }
}

static void page_text(GMarkupParseContext *c, const char *text, gsize n, void *ctx, GError **err)
{
    (void)c, (void)err;
    g_string_append_len(((struct page_scan *)ctx)->text, text, (gssize)n);
}

/* The rows of each |-table of a Markdown text (separator rows not counted); returns the tables,
 * *images the ![...](...) images. */
static int md_tables(const char *md, int *rows, int max, int *images)
{
    int n = 0, in = 0;
    *images = 0;
    for (const char *s = md; (s = strstr(s, "![")); s += 2)
        ++*images;
    for (const char *line = md; *line;) {
        const size_t len = strcspn(line, "\n");
        if (line[0] == '|') {
            if (!in && n < max) rows[n++] = 0;
            in = 1;
            if (strspn(line, "|-: ") < len) rows[n - 1]++;
        } else {
            in = 0;
        }
        line += len + (line[len] == '\n');
    }
    return n;
}

/* The share of pixels of a PNG that are not white, or -1 when it cannot be read. */
static double ink(const char *path)
{
    png_image im = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&im, path)) return -1;
    im.format = PNG_FORMAT_GRAY;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(im));
    if (!px || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        png_image_free(&im);
        free(px);
        return -1;
    }
    size_t dark = 0, n = (size_t)im.width * im.height;
    for (size_t i = 0; i < n; i++)
        dark += px[i] < 240;
    free(px);
    return n ? (double)dark / (double)n : -1;
}

/* report.html of one_pass's reproduce: XML, every figure of report.md inline and every table
 * with its rows, the provenance, nothing fetched from anywhere; drawn by a browser when one is
 * installed. */
static void html_report(void)
{
    char dir[800], md_path[900], html[900], shot[900];
    snprintf(dir, sizeof dir, "%s/repro", tap_tmpdir());
    snprintf(md_path, sizeof md_path, "%s/report.md", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    char *md = NULL, *page = NULL;
    gsize n;
    if (!ok(g_file_get_contents(md_path, &md, &n, NULL) &&
                g_file_get_contents(html, &page, &n, NULL),
            "reproduce wrote report.md and report.html"))
        return;
    struct page_scan ps = {.text = g_string_new(""),
                           .ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                           .targets = g_ptr_array_new_with_free_func(g_free)};
    const GMarkupParser parser = {.start_element = page_start, .text = page_text};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &ps, NULL);
    GError *err = NULL;
    /* GMarkup takes no DOCTYPE: the page after it */
    const char *root = strstr(page, "<html");
    const int parsed = g_str_has_prefix(page, "<!DOCTYPE html>") && root &&
                       g_markup_parse_context_parse(ctx, root, -1, &err) &&
                       g_markup_parse_context_end_parse(ctx, &err);
    if (!ok(parsed, "report.html parses as XML")) diag("%s", err ? err->message : "no <html");
    g_clear_error(&err);
    g_markup_parse_context_free(ctx);

    int rows[32], images;
    const int tables = md_tables(md, rows, 32, &images);
    is_int(ps.h1, 1, "one h1");
    ok(images >= 4 && ps.svg == images, "%d inline SVG figures for report.md's %d images", ps.svg,
       images);
    int same_rows = ps.tables == tables;
    for (int t = 0; same_rows && t < tables && t < 32; t++)
        if (ps.rows[t] != rows[t]) {
            same_rows = 0;
            diag("table %d: %d rows in HTML, %d in Markdown", t + 1, ps.rows[t], rows[t]);
        }
    ok(tables >= 3 && same_rows, "every table of report.md (%d) is a <table> with its rows (%d)",
       tables, ps.tables);
    int dangling = 0;
    for (guint i = 0; i < ps.targets->len; i++)
        dangling += !g_hash_table_contains(ps.ids, g_ptr_array_index(ps.targets, i));
    ok(ps.duplicate_ids == 0 && dangling == 0 && ps.targets->len > 0,
       "the figures' ids are unique in the page and every reference (%u) finds its id: %d "
       "duplicates, %d dangling",
       ps.targets->len, ps.duplicate_ids, dangling);
    ok(!ps.forbidden && !ps.external, "no script, link or external reference %s", ps.what);

    char sha[65] = "", version[64];
    struct sekit_err e = {0};
    sekit_sha256_file(model, sha, &e);
    snprintf(version, sizeof version, "sekit %s", SEKIT_VERSION);
    const char *text = ps.text->str;
    ok(*sha && strstr(text, sha) && strstr(md, sha), "both name the model's SHA-256 %s", sha);
    ok(strstr(text, version) && strstr(md, "## Provenance"), "both state the version: %s", version);
    ok(strstr(text, html_command_line) && strstr(md, html_command_line),
       "both give the command line, its <, & and quotes intact in the HTML");
    ok(strstr(text, "online cores") && strstr(text, "backend: "),
       "the machine and the backend are stated");

    if (access("/usr/bin/chromium", X_OK) != 0) {
        skip("chromium not installed");
    } else {
        snprintf(shot, sizeof shot, "--screenshot=%s/shot.png", tap_tmpdir());
        char url[1000], out[2000];
        snprintf(url, sizeof url, "file://%s", html);
        const char *const argv[] = {"/usr/bin/chromium",
                                    "--headless",
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    shot,
                                    "--window-size=1200,2000",
                                    url,
                                    NULL};
        const int rc = tap_run(argv, tap_tmpdir(), 0, out, sizeof out, NULL);
        const double share = ink(shot + strlen("--screenshot="));
        if (!ok(rc == 0 && share > 0.02, "chromium draws the page: %.1f%% non-white pixels",
                100 * share))
            diag("chromium exited %d: %s", rc, out);
    }
    g_string_free(ps.text, TRUE);
    g_hash_table_destroy(ps.ids);
    g_ptr_array_free(ps.targets, TRUE);
    g_free(md), g_free(page);
}

/* The renderer on Markdown written here: escapes, code spans with backticks inside, bytes no
 * XML allows, an empty table cell, ids of two copies of one figure kept apart; a missing figure
 * is an error naming it, leaving no page. */
static void html_render(void)
{
    char md[900], html[900], svg[900];
    snprintf(md, sizeof md, "%s/r.md", tap_tmpdir());
    snprintf(html, sizeof html, "%s/r.html", tap_tmpdir());
    snprintf(svg, sizeof svg, "%s/f.svg", tap_tmpdir());
    FILE *f = fopen(svg, "w");
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
          "xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"10pt\" height=\"10pt\">\n<defs>"
          "<clipPath id=\"clip1\"><rect width=\"5\" height=\"5\"/></clipPath></defs>\n<use "
          "xlink:href=\"#clip1\" clip-path=\"url(#clip1)\"/>\n</svg>\n",
          f);
    fclose(f);
    f = fopen(md, "w");
    fputs("# T <1>\n\npara **bold `x`** and ``a`b`` \xff\x01 & more\n\n- item\n3. three\n\n"
          "| a | b |\n|---|---|\n| 1 |  |\n\n![one](f.png)\n\n![two](f.png)\n",
          f);
    fclose(f);
    struct sekit_err e = {0};
    char *page = NULL;
    gsize n;
    if (!is_int(sekit_report_html(md, html, &e), SEKIT_OK, "a page from hand-written Markdown: %s",
                e.msg) ||
        !g_file_get_contents(html, &page, &n, NULL))
        return;
    static const char *const want[] = {
        "<title>T &lt;1&gt;</title>",
        "<p>para <strong>bold <code>x</code></strong> and <code>a`b</code> "
        "\xef\xbf\xbd\xef\xbf\xbd "
        "&amp; more</p>",
        "<ul>\n<li>item</li>\n</ul>\n<ol start=\"3\">\n<li>three</li>",
        "<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td></td></tr>",
        "<svg role=\"img\" aria-label=\"one\" xmlns=",
        "id=\"f1-clip1\"",
        "xlink:href=\"#f2-clip1\" clip-path=\"url(#f2-clip1)\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!ok(strstr(page, want[i]) != NULL, "the page has %s", want[i])) diag("%s", page);
    ok(!strstr(page, "<?xml"), "the figures' XML prolog is dropped");
    g_free(page);

    remove(svg);
    remove(html);
    ok(sekit_report_html(md, html, &e) == SEKIT_EIO && strstr(e.msg, "/f.svg: cannot read") &&
           access(html, F_OK) != 0,
       "a missing figure is refused, naming it, and leaves no page: %s", e.msg);
}

static void command_line(void)
{
    const char *const argv[] = {"sekit", "reproduce", "--out=x/y,z", "my dir", "it's", "", "a`b"};
    char *line = sekit_command_line(7, argv);
    is_str(line, "sekit reproduce --out=x/y,z 'my dir' 'it'\\''s' '' 'a`b'",
           "arguments the shell would split or expand are single-quoted");
    free(line);
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

/* A network with random weights: reproduce's default (every preset frozen at the mean gates, remove
 * mode beside for the last stage, the last two blocks and all) puts the SE check first, with the
 * warning before it, and no verdict agrees. */
static void random_weights(void)
{
    struct sekit_pipeline_opts o;
    char rnd[800], dir[800], path[900];
    snprintf(rnd, sizeof rnd, "%s/tests/reference/data/timm_basic_small.safetensors", tap_srcdir());
    sekit_pipeline_defaults(&o, rnd);
    o.data = fixture_idx_dataset(40);
    struct sekit_err e = {0};
    snprintf(dir, sizeof dir, "%s/random", tap_tmpdir());
    struct sekit_reproduce_job j = {
        .dir = dir, .classes = "1,2,7,8", .pair = "1,8", .per_class = 2, .modes = SEKIT_MODES_MEAN};
    if (!is_int(sekit_job_reproduce(&o, &j, NULL, &e), SEKIT_OK,
                "random weights: reproduce runs: %s", e.msg))
        return;
    snprintf(path, sizeof path, "%s/report.md", dir);
    size_t len = 0;
    char *md = (char *)fixture_slurp(path, &len);
    const char *warn = md ? strstr(md, "> **Warning: this model's SE gates cannot show") : NULL;
    const char *check = md ? strstr(md, "## Are the SE blocks doing anything?") : NULL;
    const char *figs = md ? strstr(md, "## Figures") : NULL;
    ok(warn && check && figs && warn < check && check < figs,
       "random weights: the warning, then the SE check, before the figures");
    ok(md && !strstr(md, "agrees**") && strstr(md, "**Verdict: inconclusive: "),
       "random weights: no verdict agrees, each inconclusive with its reason");
    ok(md && strstr(md, "| **all 6 blocks** |"),
       "random weights: the cost of freezing all 6 blocks");
    if (md && (!warn || strstr(md, "agrees**"))) diag("%s", md);
    free(md);
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = (char *)fixture_slurp(path, &len);
    ok(html && strstr(html, "<blockquote class=\"warning\"><p><strong>Warning: this model"),
       "random weights: report.html shows the warning as a blockquote");
    free(html);

    struct sekit_ablation_table *t = NULL;
    snprintf(path, sizeof path, "%s/ablation.h5", dir);
    if (is_int(sekit_ablation_read(&t, path, &e), SEKIT_OK, "random weights: ablation.h5 reads")) {
        int mean = 0, removed = 0;
        for (int i = 1; i < t->n; i++)
            mean += t->mode[i] == SEKIT_ABLATE_MEAN, removed += t->mode[i] == SEKIT_ABLATE_REMOVE;
        const int last = t->block_stage[t->nse - 1];
        const int r1 = sekit_ablation_find_stage(t, last, SEKIT_ABLATE_REMOVE),
                  r2 = sekit_ablation_find_last(t, 2, SEKIT_ABLATE_REMOVE),
                  r3 = sekit_ablation_find_last(t, t->nse, SEKIT_ABLATE_REMOVE);
        /* a last stage of two blocks is the last two blocks: one variant for both */
        ok(r1 > 0 && r2 > 0 && r3 > 0 && removed == 1 + (r1 != r2) + (r3 != r2) && mean > t->nse,
           "every preset frozen at the mean gates (%d variants), remove mode for the last stage, "
           "last two and all (%d)",
           mean, removed);
        sekit_ablation_table_free(t);
    }
}

/* The bundled MobileNetV3 end to end: its hard-sigmoid gates are recorded as such, the
 * statistics file carries the gate kind and the shares exactly 0 and 1, and those shares are
 * what the gates hold. */
static void hard_sigmoid_gates(void)
{
    struct sekit_err e = {0};
    char mnv3[800], rec[800], st[800];
    snprintf(mnv3, sizeof mnv3, "%s/models/fashion_mnist_mobilenetv3.safetensors", tap_srcdir());
    snprintf(rec, sizeof rec, "%s/mnv3.h5", tap_tmpdir());
    snprintf(st, sizeof st, "%s/mnv3.stats.h5", tap_tmpdir());
    if (!is_int(record_fixture(mnv3, rec, &e), SEKIT_OK,
                "the MobileNetV3 records the fixture images: %s", e.msg))
        return;
    struct sekit_recording *r = NULL;
    struct sekit_stats_file *s = NULL;
    if (!is_int(sekit_job_stats(rec, st, NULL, NULL, &e), SEKIT_OK, "its statistics: %s", e.msg) ||
        !is_int(sekit_recording_open(&r, rec, &e), SEKIT_OK, "the recording opens") ||
        !is_int(sekit_stats_read(&s, st, &e), SEKIT_OK, "the statistics read back: %s", e.msg))
        goto out;
    int gates = s->nblocks == r->nblocks && s->nblocks == 9, shares = gates;
    for (int b = 0; gates && b < s->nblocks; b++) {
        const struct sekit_block_stats *x = &s->blocks[b];
        gates = !strcmp(x->gate, "hardsigmoid") && !strcmp(r->blocks[b].gate, "hardsigmoid");
        /* the shares from the gates themselves */
        const size_t n = (size_t)r->n * x->channels;
        float *g = malloc(sizeof(float) * n + 1);
        int64_t one = 0, zero = 0;
        if (g && sekit_recording_read(r, "excitation", b, g, &e) == SEKIT_OK)
            for (size_t i = 0; i < n; i++)
                one += g[i] == 1.0f, zero += g[i] == 0.0f;
        shares &=
            g && x->sat_one == (double)one / (double)n && x->sat_zero == (double)zero / (double)n;
        free(g);
    }
    ok(gates, "every one of its 9 blocks: a hard-sigmoid gate in the recording and the statistics");
    ok(shares, "the shares exactly 1 and exactly 0 are those of the recorded gates");
out:
    sekit_stats_file_free(s);
    sekit_recording_close(r);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(model, sizeof model, "%s/models/fashion_mnist_seresnet_basic6.safetensors",
             tap_srcdir());
    preproc();
    outputs();
    figures_from_stats();
    one_pass();
    random_weights();
    hard_sigmoid_gates();
    html_report();
    html_render();
    command_line();
    messages();
    return tap_done();
}
