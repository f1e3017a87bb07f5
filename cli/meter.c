/* meter.c -- the progress meter: rate, ETA and the text of a bar or a line. See meter.h. */
#include "meter.h"

#include "sekit.h"

#include <stdio.h>
#include <string.h>

static double monotonic(void *ctx)
{
    (void)ctx;
    return sekit_seconds();
}

const struct sekit_clock sekit_clock_monotonic = {monotonic, NULL};

void sekit_meter_init(struct sekit_meter *m, enum sekit_meter_style style, double interval,
                      const struct sekit_clock *clock)
{
    SEKIT_ASSERT(interval >= 0 && clock && clock->now);
    memset(m, 0, sizeof *m);
    m->clock = *clock;
    m->style = style;
    m->interval = interval;
}

static void copy_name(char *dst, size_t n, const char *name)
{
    snprintf(dst, n, "%s", name ? name : "");
}

void sekit_meter_stage(struct sekit_meter *m, int k, int n, const char *name, int64_t after)
{
    m->stage_k = k, m->stage_n = n, m->stage_after = after;
    m->pass_k = m->pass_n = 0, m->pass_after = 0;
    copy_name(m->stage_name, sizeof m->stage_name, name);
}

void sekit_meter_pass(struct sekit_meter *m, int k, int n, const char *name, int64_t after)
{
    m->pass_k = k, m->pass_n = n, m->pass_after = after;
    copy_name(m->pass_name, sizeof m->pass_name, name);
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

/* A rate as lines show it (one decimal), as a bar does (whole images per second, a decimal below
 * 10 so that a slow model does not show 0), or "--" when none was measured (rate < 0). */
static const char *rate_text(char *buf, size_t n, double rate, int terse)
{
    if (rate < 0)
        snprintf(buf, n, "--");
    else
        snprintf(buf, n, terse && rate >= 9.95 ? "%.0f" : "%.1f", rate);
    return buf;
}

static void window_add(struct sekit_meter *m, double t, int64_t done)
{
    m->win[m->headwin] = (struct sekit_meter_sample){t, done};
    m->headwin = (m->headwin + 1) % SEKIT_METER_SAMPLES;
    if (m->nwin < SEKIT_METER_SAMPLES) m->nwin++;
}

/* Images per second over the moving window, from its oldest sample to the newest, which is
 * now's own; -1 while the window spans no time (the first batch's end alone, or a clock that has
 * not moved). */
static double window_rate(const struct sekit_meter *m)
{
    if (m->nwin < 2) return -1;
    const double window = m->style == SEKIT_METER_BAR ? SEKIT_METER_BAR_WINDOW : 2 * m->interval;
    const int first = (m->headwin - m->nwin + SEKIT_METER_SAMPLES) % SEKIT_METER_SAMPLES;
    const struct sekit_meter_sample *now =
        &m->win[(m->headwin - 1 + SEKIT_METER_SAMPLES) % SEKIT_METER_SAMPLES];
    int i = 0;
    while (i < m->nwin - 2 && now->t - m->win[(first + i) % SEKIT_METER_SAMPLES].t > window)
        i++;
    const struct sekit_meter_sample *o = &m->win[(first + i) % SEKIT_METER_SAMPLES];
    const double dt = now->t - o->t;
    return dt > 0 ? (double)(now->done - o->done) / dt : -1;
}

/* "stage 2 of 5 (block ablations), pass 1 of 2 (mean gates)", tersely "2/5 pass 1/2": where the
 * job is, or "" */
static void where_text(const struct sekit_meter *m, char *buf, size_t n, int terse)
{
    int o = 0;
    buf[0] = 0;
    if (m->stage_n > 1)
        o += snprintf(buf, n, terse ? "%d/%d" : "stage %d of %d (%s)", m->stage_k, m->stage_n,
                      m->stage_name);
    if (m->pass_n > 1 && o < (int)n)
        snprintf(buf + (size_t)o, n - (size_t)o, terse ? "%spass %d/%d" : "%spass %d of %d (%s)",
                 o ? (terse ? " " : ", ") : "", m->pass_k, m->pass_n, m->pass_name);
}

/* The bar: the terse where, a bar of 10 to 30 columns when there is room for one, then the
 * numbers; cut to cols - 1 columns. */
static void bar_text(const struct sekit_meter *m, char *text, size_t n, int cols, int64_t done,
                     int64_t total, const char *rate, const char *eta, const char *overall,
                     double took)
{
    char where[192], tail[160], line[SEKIT_METER_TEXT], clk[32];
    where_text(m, where, sizeof where, 1);
    /* done as wide as total, so that the bar keeps its length while it fills */
    const int dw = snprintf(clk, sizeof clk, "%lld", (long long)total);
    if (took >= 0)
        snprintf(tail, sizeof tail, "%*lld/%lld %s img/s in %s", dw, (long long)done,
                 (long long)total, rate, clock_text(clk, sizeof clk, took));
    else
        snprintf(tail, sizeof tail, "%*lld/%lld %s img/s ETA %s%s%s", dw, (long long)done,
                 (long long)total, rate, eta, *overall ? " all " : "", overall);
    const int width = cols - 1;
    const int head = (int)strlen(where) + (*where ? 1 : 0), tl = (int)strlen(tail);
    int bw = width - head - tl - 3;
    if (bw > 30) bw = 30;
    int o = snprintf(line, sizeof line, "%s%s", where, *where ? " " : "");
    if (bw >= 10) {
        const int fill = total > 0 ? (int)((int64_t)bw * done / total) : bw;
        o += snprintf(line + o, sizeof line - (size_t)o, "[%.*s%*s] ", fill,
                      "==============================", bw - fill, "");
    }
    snprintf(line + o, sizeof line - (size_t)o, "%s", tail);
    snprintf(text, n, "%.*s", width > 0 ? width : 0, line);
}

enum sekit_meter_due sekit_meter_update(struct sekit_meter *m, int64_t done, int64_t total,
                                        int cols, char *text, size_t n)
{
    SEKIT_ASSERT(n >= SEKIT_METER_TEXT);
    text[0] = 0;
    const double t = m->clock.now(m->clock.ctx);
    if (!m->started || done == m->from) {
        /* a new pass: its time counts from here, its rate from the end of the first batch */
        m->started = 1, m->timed = 0, m->t_start = t, m->last = t, m->from = done;
        m->nwin = 0, m->headwin = 0;
        return SEKIT_METER_NONE;
    }
    int first_batch = 0;
    if (!m->timed) {
        m->timed = 1, m->t_rate = t, m->rate_from = done;
        window_add(m, t, done);
        first_batch = 1;
    }
    const int final = done >= total;
    if (!final && t - m->last < m->interval) return SEKIT_METER_NONE;
    m->last = t;
    if (!first_batch) window_add(m, t, done);
    const double took = t - m->t_start;
    double rate = window_rate(m);
    if (final) rate = took > 0 ? (double)(done - m->from) / took : -1;
    char eta[32] = "-:--", overall[32] = "", rt[32], el[32];
    /* the windowed rate is trusted after SEKIT_METER_ETA_AFTER seconds, or a tenth of the pass:
     * both well past the first batch's warm-up, which the rate never counts */
    if (rate > 0 &&
        (t - m->t_rate >= SEKIT_METER_ETA_AFTER || (done - m->rate_from) * 10 >= total - m->from)) {
        clock_text(eta, sizeof eta, (double)(total - done) / rate);
        if (m->stage_after + m->pass_after > 0)
            clock_text(overall, sizeof overall,
                       (double)(total - done + m->stage_after + m->pass_after) / rate);
    }
    if (m->style == SEKIT_METER_BAR) {
        bar_text(m, text, n, cols, done, total, rate_text(rt, sizeof rt, rate, 1), eta, overall,
                 final ? took : -1);
    } else {
        char where[192];
        where_text(m, where, sizeof where, 0);
        if (final)
            snprintf(text, n, "%s%s%lld/%lld images in %s (%s img/s)", where, *where ? ": " : "",
                     (long long)done, (long long)total, clock_text(el, sizeof el, took),
                     rate_text(rt, sizeof rt, rate, 0));
        else
            snprintf(text, n, "%s%s%lld/%lld images, %s img/s, elapsed %s, ETA %s%s%s", where,
                     *where ? ": " : "", (long long)done, (long long)total,
                     rate_text(rt, sizeof rt, rate, 0), clock_text(el, sizeof el, took), eta,
                     *overall ? ", overall ETA " : "", overall);
    }
    if (final) m->started = 0;
    return final ? SEKIT_METER_LAST : SEKIT_METER_TICK;
}
