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

/* s seconds as m:ss, or h:mm:ss from an hour on */
static const char *clock_text(char *buf, size_t n, double s)
{
    const long t = s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

/* Images per second over the moving window (0: not measured yet): from the oldest sample in
 * the window to now. The newest sample is now's own, so the oldest candidate is the one before
 * it. The window is CLI_RATE_WINDOW seconds for a bar, two intervals for logged lines. */
static double window_rate(const struct cli_progress *c, double t, int64_t done)
{
    if (c->nwin < 2) return 0;
    const double window = c->tty ? CLI_RATE_WINDOW : 2 * c->interval;
    const int first = (c->headwin - c->nwin + CLI_RATE_SAMPLES) % CLI_RATE_SAMPLES;
    int i = 0;
    while (i < c->nwin - 2 && t - c->win[(first + i) % CLI_RATE_SAMPLES].t > window)
        i++;
    const struct cli_rate_sample *o = &c->win[(first + i) % CLI_RATE_SAMPLES];
    const double dt = t - o->t;
    return dt > 0 ? (double)(done - o->done) / dt : 0;
}

static void window_add(struct cli_progress *c, double t, int64_t done)
{
    c->win[c->headwin] = (struct cli_rate_sample){t, done};
    c->headwin = (c->headwin + 1) % CLI_RATE_SAMPLES;
    if (c->nwin < CLI_RATE_SAMPLES) c->nwin++;
}

/* "stage 2 of 5 (block ablations), pass 1 of 2 (mean gates)": where the job is, or "" */
static void where_text(const struct cli_progress *c, char *buf, size_t n, int terse)
{
    int o = 0;
    buf[0] = 0;
    if (c->stage_n > 1)
        o += snprintf(buf, n, terse ? "%d/%d" : "stage %d of %d (%s)", c->stage_k, c->stage_n,
                      c->stage_name);
    if (c->pass_n > 1 && o < (int)n)
        snprintf(buf + o, n - (size_t)o, terse ? "%spass %d/%d" : "%spass %d of %d (%s)",
                 o ? (terse ? " " : ", ") : "", c->pass_k, c->pass_n, c->pass_name);
}

static int term_columns(void)
{
    struct winsize w;
    return ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col > 0 ? w.ws_col : 80;
}

/* The bar, cut to the terminal's width less one column (a full last column makes some terminals
 * wrap), redrawn in place: carriage return, the text, erase to the end of the line. */
static void draw_bar(struct cli_progress *c, int64_t done, int64_t total, double rate,
                     const char *eta, const char *overall, double took)
{
    const int cols = term_columns() - 1;
    char where[160], tail[160], line[512], clk[32];
    where_text(c, where, sizeof where, 1);
    /* done as wide as total, so that the bar keeps its length while it fills */
    const int dw = snprintf(clk, sizeof clk, "%lld", (long long)total);
    if (took >= 0)
        snprintf(tail, sizeof tail, "%*lld/%lld %.0f img/s in %s", dw, (long long)done,
                 (long long)total, rate, clock_text(clk, sizeof clk, took));
    else
        snprintf(tail, sizeof tail, "%*lld/%lld %.0f img/s ETA %s%s%s", dw, (long long)done,
                 (long long)total, rate, eta, *overall ? " all " : "", overall);
    const int head = (int)strlen(where) + (*where ? 1 : 0), tl = (int)strlen(tail);
    /* the bar takes what is left, from 10 to 30 columns, or is left out */
    int bw = cols - head - tl - 3;
    if (bw > 30) bw = 30;
    int o = snprintf(line, sizeof line, "%s%s", where, *where ? " " : "");
    if (bw >= 10) {
        const int fill = total > 0 ? (int)((int64_t)bw * done / total) : bw;
        o += snprintf(line + o, sizeof line - (size_t)o, "[%.*s%*s] ", fill,
                      "==============================", bw - fill, "");
    }
    snprintf(line + o, sizeof line - (size_t)o, "%s", tail);
    fprintf(stderr, "\r%.*s\033[K", cols > 0 ? cols : 0, line);
    c->drawn = 1;
}

static void bar(int64_t done, int64_t total, void *ctx)
{
    struct cli_progress *c = ctx;
    if (c->quiet) return;
    const double t = sekit_seconds();
    if (!c->started || done == c->from) {
        /* a new pass: its time counts from here, its rate from the end of the first batch */
        c->started = 1, c->t_start = t, c->last = t, c->from = done;
        c->t_rate = 0, c->nwin = 0, c->headwin = 0;
        return;
    }
    if (c->t_rate == 0) {
        c->t_rate = t, c->rate_from = done;
        window_add(c, t, done);
    }
    const int final = done >= total;
    if (!final && t - c->last < (c->tty ? 0.1 : c->interval)) return;
    c->last = t;
    window_add(c, t, done);
    const double measured = t - c->t_rate;
    double rate = window_rate(c, t, done);
    if (final) rate = t > c->t_start ? (double)(done - c->from) / (t - c->t_start) : 0;
    char eta[32] = "-:--", overall[32] = "", el[32], clk[32];
    /* the windowed rate is trusted after CLI_ETA_AFTER seconds, or a tenth of the pass: both
     * well past the first batch's warm-up, which the rate never counts */
    if ((measured >= CLI_ETA_AFTER || (done - c->rate_from) * 10 >= total - c->from) && rate > 0) {
        clock_text(eta, sizeof eta, (double)(total - done) / rate);
        if (c->stage_after + c->pass_after > 0)
            clock_text(overall, sizeof overall,
                       (double)(total - done + c->stage_after + c->pass_after) / rate);
    }
    const double took = t - c->t_start;
    if (c->tty) {
        draw_bar(c, done, total, rate, eta, overall, final ? took : -1);
        if (final) fputc('\n', stderr), c->drawn = 0;
    } else {
        char where[160];
        where_text(c, where, sizeof where, 0);
        fprintf(stderr, "sekit %s: %s%s", c->cmd, where, *where ? ": " : "");
        if (final)
            fprintf(stderr, "%lld/%lld images in %s (%.1f img/s)\n", (long long)done,
                    (long long)total, clock_text(clk, sizeof clk, took), rate);
        else
            fprintf(stderr, "%lld/%lld images, %.1f img/s, elapsed %s, ETA %s%s%s\n",
                    (long long)done, (long long)total, rate, clock_text(el, sizeof el, took), eta,
                    *overall ? ", overall ETA " : "", overall);
    }
    if (final) c->started = 0;
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

static void copy_name(char *dst, size_t n, const char *name)
{
    snprintf(dst, n, "%s", name);
}

static void stage_begin(int k, int n, const char *name, int64_t after, void *ctx)
{
    struct cli_progress *c = ctx;
    c->stage_k = k, c->stage_n = n, c->stage_after = after;
    c->pass_k = c->pass_n = 0, c->pass_after = 0;
    copy_name(c->stage_name, sizeof c->stage_name, name);
    char msg[160];
    snprintf(msg, sizeof msg, "stage %d of %d: %s", k, n, name);
    note(msg, c);
}

static void pass_begin(int k, int n, const char *name, int64_t after, void *ctx)
{
    struct cli_progress *c = ctx;
    c->pass_k = k, c->pass_n = n, c->pass_after = after;
    copy_name(c->pass_name, sizeof c->pass_name, name);
    char msg[160];
    snprintf(msg, sizeof msg, "pass %d of %d: %s", k, n, name);
    note(msg, c);
}

const struct sekit_progress *cli_progress(struct cli_progress *c, const char *cmd, int quiet)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->quiet = quiet || sekit_dist_world()->rank != 0;
    c->tty = isatty(2);
    c->interval = 5;
    const char *iv = getenv("SEKIT_PROGRESS_INTERVAL");
    char *end;
    const double v = iv && *iv ? strtod(iv, &end) : -1;
    if (iv && *iv && *end == 0 && v >= 0 && v <= 86400) c->interval = v;
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
        OPT_N(OPT_REALS, "--mean", &c->mean, -SEKIT_PP_MEAN_MAX, SEKIT_PP_MEAN_MAX, "a[,b,c]",
              "per-channel mean subtracted after scaling"),
        OPT_N(OPT_REALS, "--std", &c->std, SEKIT_PP_STD_MIN, SEKIT_PP_STD_MAX, "a[,b,c]",
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
