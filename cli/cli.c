/* cli.c -- error and progress printing, and the pipeline options. See cli.h. */
#include "cli.h"
#include "../dist/dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_fail(const char *cmd, const struct sekit_err *e)
{
    if (sekit_dist_world()->rank == 0) fprintf(stderr, "sekit %s: %s\n", cmd, e->msg);
    return e->code == SEKIT_EINVAL ? CLI_USAGE : CLI_FAIL;
}

const char *cli_group(char *buf, size_t n, long long v)
{
    char raw[32];
    int len = snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < n) buf[o++] = '-';
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i && (len - i) % 3 == 0 && o + 1 < n) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = 0;
    return buf;
}

static int term_columns(void)
{
    struct winsize w;
    return ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col > 0 ? w.ws_col : 80;
}

static void bar(int64_t done, int64_t total, void *ctx)
{
    struct cli_progress *c = ctx;
    if (c->quiet) return;
    const int tty = c->meter.style == SEKIT_METER_BAR;
    char text[SEKIT_METER_TEXT];
    const enum sekit_meter_due due =
        sekit_meter_update(&c->meter, done, total, tty ? term_columns() : 0, text, sizeof text);
    if (due == SEKIT_METER_NONE) return;
    if (tty) {
        /* redrawn in place: carriage return, the bar, erase to the end of the line */
        fprintf(stderr, "\r%s\033[K", text);
        c->drawn = due != SEKIT_METER_LAST;
        if (due == SEKIT_METER_LAST) fputc('\n', stderr);
    } else {
        fprintf(stderr, "sekit %s: %s\n", c->cmd, text);
    }
    fflush(stderr);
}

static void note(const char *msg, void *ctx)
{
    struct cli_progress *c = ctx;
    if (c->quiet) return;
    /* a note replaces the bar's line; the next batch draws the bar again below it */
    if (c->drawn) fputs("\r\033[K", stderr), c->drawn = 0;
    fprintf(stderr, "sekit %s: %s\n", c->cmd, msg);
    fflush(stderr);
}

/* "stage 2 of 5: NAME" or "pass 1 of 2: NAME" as a note */
static void announce(struct cli_progress *c, const char *what, int k, int n, const char *name)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s %d of %d: %s", what, k, n, name);
    note(msg, c);
}

static void stage_begin(int k, int n, const char *name, int64_t after, void *ctx)
{
    struct cli_progress *c = ctx;
    sekit_meter_stage(&c->meter, k, n, name, after);
    announce(c, "stage", k, n, name);
}

static void pass_begin(int k, int n, const char *name, int64_t after, void *ctx)
{
    struct cli_progress *c = ctx;
    sekit_meter_pass(&c->meter, k, n, name, after);
    announce(c, "pass", k, n, name);
}

const struct sekit_progress *cli_progress(struct cli_progress *c, const char *cmd, int quiet)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->quiet = quiet || sekit_dist_world()->rank != 0;
    const int tty = isatty(2);
    double interval = tty ? SEKIT_METER_BAR_INTERVAL : SEKIT_METER_LINE_INTERVAL;
    const char *iv = getenv("SEKIT_PROGRESS_INTERVAL");
    char *end;
    const double v = iv && *iv ? strtod(iv, &end) : -1;
    if (iv && *iv && *end == 0 && v >= 0 && v <= 86400) interval = v;
    sekit_meter_init(&c->meter, tty ? SEKIT_METER_BAR : SEKIT_METER_LINES, interval,
                     &sekit_clock_monotonic);
    c->p = (struct sekit_progress){bar, note, c};
    c->stages = (struct sekit_stages){stage_begin, c};
    c->passes = (struct sekit_stages){pass_begin, c};
    return &c->p;
}

int cli_default_backend(void)
{
    const char *env = getenv("SEKIT_BACKEND");
    if (!env || !*env) return sekit_backend_default();
    const int b = sekit_backend_parse(env);
    return b >= 0 && sekit_backend_available((enum sekit_backend)b) ? b : -1;
}

void cli_pipeline_init(struct cli_pipeline *c, int with_selection)
{
    memset(c, 0, sizeof *c);
    sekit_pipeline_defaults(&c->o, sekit_default_model_path());
    /* main() has refused an invalid SEKIT_BACKEND before any command runs */
    c->o.backend = cli_default_backend();
    c->classes = "all";
    c->batch = c->o.batch;
    const struct opt sel[] = {
        OPT_S("--classes", &c->classes, "LIST",
              "class names, ImageNet synsets or indices, comma-separated, or\n'all' (default all: "
              "the classes with images)"),
        OPT_N(OPT_INT, "--per-class", &c->per_class, 1, 1e8, "N",
              "images per class (default: all of them)"),
        OPT_N(OPT_INT, "--seed", &c->seed, 0, 2147483647.0, "N",
              "sample the images with this seed (default 0: the first N)"),
    };
    const struct opt common[] = {
        OPT_S("--model", &c->o.model, "FILE",
              "weight file (default: the bundled Fashion-MNIST SE-ResNet)"),
        OPT_S("--arch", &c->o.arch, "NAME",
              "the upstream model the weights are, checked against them\n(e.g. seresnetaa50d, "
              "whose anti-aliasing names cannot show;\ndefault: config.json's architecture)"),
        OPT_S("--data", &c->o.data, "PATH",
              "IDX directory, CIFAR binary directory or image folder\n(default " SEKIT_DEFAULT_DATA
              ")"),
        OPT_S("--format", &c->o.format, "F", "idx|cifar|folder (default: detected)"),
        OPT_S("--split", &c->o.split, "S", "train|test (default test)"),
        OPT_S("--class-map", &c->o.class_map, "FILE",
              "image folders: lines 'folder index [name]' give each folder\nits model class "
              "(synset folders n01443537... need none)"),
        OPT_S("--preset", &c->o.pp.preset, "P",
              "timm|legacy|caffe|none preprocessing for image folders"),
        OPT_N(OPT_INT, "--resize", &c->resize, 1, 8192, "N",
              "image folders: shorter side after resizing"),
        OPT_N(OPT_INT, "--crop", &c->crop, 1, 8192, "N",
              "centre crop side; no larger than the (resized) image"),
        OPT_N(OPT_REALS, "--mean", &c->mean, -SEKIT_PREPROC_MEAN_MAX, SEKIT_PREPROC_MEAN_MAX,
              "a[,b,c]", "per-channel mean subtracted after scaling"),
        OPT_N(OPT_REALS, "--std", &c->std, SEKIT_PREPROC_STD_MIN, SEKIT_PREPROC_STD_MAX, "a[,b,c]",
              "per-channel std divided by (each from 1e-06 to 1e+06)"),
        OPT_N(OPT_INT, "--batch", &c->batch, 1, 4096, "B", "images per forward pass (default 16)"),
        OPT_N(OPT_INT, "--threads", &c->threads, 0, 1024, "T",
              "engine threads (default 0: all cores; under mpirun, the node's\ncores shared among "
              "its ranks)"),
        OPT_C("--backend", &c->o.backend, cli_backend_names, "B",
              "openblas|onednn: how convolutions run, with the same results\n(default: "
              "$SEKIT_BACKEND, else onednn when this sekit has it)"),
        OPT_F("--quiet", &c->quiet, "no progress bar or stage notes"),
    };
    int n = 0;
    for (size_t i = with_selection == CLI_SAMPLE_ONLY;
         with_selection && i < sizeof sel / sizeof sel[0]; i++)
        c->tab[n++] = sel[i];
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        c->tab[n++] = common[i];
    SEKIT_ASSERT(n < (int)(sizeof c->tab / sizeof c->tab[0]));
}

void cli_pipeline_finish(struct cli_pipeline *c)
{
    /* rank 0 alone prints (main.c): the notes commands print after their job, too */
    c->quiet |= sekit_dist_world()->rank != 0;
    c->o.batch = (int)c->batch;
    c->o.threads = sekit_job_threads((int)c->threads);
    c->o.pp.resize = (int)c->resize;
    c->o.pp.crop = (int)c->crop;
    c->o.pp.nmean = c->mean.n;
    c->o.pp.nstd = c->std.n;
    memcpy(c->o.pp.mean, c->mean.v, sizeof c->mean.v);
    memcpy(c->o.pp.std, c->std.v, sizeof c->std.v);
}

int cli_pipeline_open(struct cli_pipeline *c, const char *cmd, struct sekit_pipeline *p,
                      const struct sekit_progress *pr)
{
    struct sekit_err e = {0};
    cli_pipeline_finish(c);
    if (sekit_job_open(p, &c->o, c->classes, c->per_class, (uint64_t)c->seed, pr, &e))
        return cli_fail(cmd, &e);
    return CLI_OK;
}
