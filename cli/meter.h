/*
 * meter.h -- the progress meter of a job's passes over the images: from the done/total counts a
 * job reports (struct sekit_progress) and the time a clock gives, the rate over a moving window,
 * the ETA, and the text of a terminal's bar or of a log's line. It does no I/O and reads no clock
 * of its own: the CLI gives it sekit_seconds and writes its text; a test gives it a fake clock.
 *
 *   - The rate counts from the end of a pass's first batch (whose time holds the warm-up), over a
 *     moving window of the last SEKIT_METER_BAR_WINDOW seconds (a bar) or two intervals (lines).
 *     Until a later batch has been timed there is no rate: `-- img/s`.
 *   - The ETA appears once SEKIT_METER_ETA_AFTER seconds or a tenth of the pass have been
 *     measured (`-:--` before); stages and passes still to come add their images to an overall
 *     ETA at the same rate.
 *   - A text is due every interval seconds, and at the end of each pass: a last line with the
 *     time taken and the pass's mean rate (its first batch included), or a finished bar.
 */
#ifndef SEKIT_CLI_METER_H
#define SEKIT_CLI_METER_H

#include <stddef.h>
#include <stdint.h>

/* A time source: seconds from any origin, never decreasing. */
struct sekit_clock {
    double (*now)(void *ctx);
    void *ctx;
};
/* sekit_seconds (the monotonic clock) */
extern const struct sekit_clock sekit_clock_monotonic;

enum sekit_meter_style {
    SEKIT_METER_LINES, /* a plain line every interval (a log file, a batch scheduler) */
    SEKIT_METER_BAR,   /* a bar redrawn in place every interval (a terminal) */
};
#define SEKIT_METER_LINE_INTERVAL 5.0
#define SEKIT_METER_BAR_INTERVAL 0.1
#define SEKIT_METER_BAR_WINDOW 10.0
#define SEKIT_METER_ETA_AFTER 1.0
enum {
    SEKIT_METER_SAMPLES = 128, /* 12.8 s of a bar drawn every 0.1 s */
    SEKIT_METER_TEXT = 512,    /* a text's size, its NUL included */
};

struct sekit_meter {
    struct sekit_clock clock;
    enum sekit_meter_style style;
    double interval;              /* seconds between texts */
    int started, timed;           /* a pass is under way; its first batch has ended */
    double t_start, t_rate, last; /* the pass's start, its first batch's end, the last text */
    int64_t from, rate_from;      /* done at those two times */
    struct sekit_meter_sample {
        double t;
        int64_t done;
    } win[SEKIT_METER_SAMPLES]; /* the moving window's samples, a ring */
    int nwin, headwin;
    int stage_k, stage_n, pass_k, pass_n;
    char stage_name[64], pass_name[64];
    int64_t stage_after, pass_after; /* images later stages / passes still run */
};

/* A meter of style that shows a text every interval seconds (>= 0) by clock's time. */
void sekit_meter_init(struct sekit_meter *m, enum sekit_meter_style style, double interval,
                      const struct sekit_clock *clock);

/* Stage k of n (reproduce's) or pass k of n (ablate's) begins, with after images in those that
 * follow it: later texts carry "stage k of n (name)", "pass k of n (name)" (a bar: "k/n",
 * "pass k/n") when n > 1, and an overall ETA when after > 0. A new stage has no pass yet. */
void sekit_meter_stage(struct sekit_meter *m, int k, int n, const char *name, int64_t after);
void sekit_meter_pass(struct sekit_meter *m, int k, int n, const char *name, int64_t after);

enum sekit_meter_due {
    SEKIT_METER_NONE, /* nothing to show: a pass's start, or within the interval */
    SEKIT_METER_TICK, /* text holds a periodic line, or the bar to redraw */
    SEKIT_METER_LAST, /* text holds the pass's last line, or its finished bar */
};
/* Tells m that done of total images are done (as struct sekit_progress does: once with the
 * pass's start, then after each batch; done == total ends the pass). Returns what is due and
 * writes its text into text (n >= SEKIT_METER_TEXT, no newline): a line's
 *   "[where: ]D/T images, R img/s, elapsed M:SS, ETA M:SS|-:--[, overall ETA M:SS]"
 *   "[where: ]D/T images in M:SS (R img/s)"
 * or a bar, at most cols - 1 columns (a full last column makes some terminals wrap):
 *   "[where ][[=====     ] ]D/T R img/s ETA M:SS|-:--[ all M:SS]"
 *   "[where ][[==========] ]D/T R img/s in M:SS"
 * R is "--" while no rate has been measured. */
enum sekit_meter_due sekit_meter_update(struct sekit_meter *m, int64_t done, int64_t total,
                                        int cols, char *text, size_t n);

#endif
