/* opts.c -- see opts.h. */
#include "opts.h"
#include "../dist/dist.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cli_mode_names[] = {"remove", "mean", "both", NULL};
const enum sekit_ablation_modes cli_modes[] = {SEKIT_MODES_REMOVE, SEKIT_MODES_MEAN,
                                               SEKIT_MODES_BOTH};
/* indexed by enum sekit_backend */
const char *const cli_backend_names[] = {"openblas", "onednn", NULL};

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    /* every rank parses the same command line: rank 0 alone says what is wrong */
    if (sekit_dist_world()->rank != 0) return CLI_USAGE;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sekit %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'sekit %s --help')\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

/* A finite real from the whole of s (strtod also takes "inf", "nan" and hex: refused or
 * range-checked here). */
static int real_of(const char *s, const char *stop, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && (stop ? end == stop : *end == 0) && errno != ERANGE && isfinite(*v);
}

static const char *choice(const void *choices, int i)
{
    return ((const char *const *)choices)[i];
}

static void range_text(char *buf, size_t n, const struct opt *o)
{
    if (o->type == OPT_INT)
        snprintf(buf, n, "an integer in [%.0f, %.0f]", o->lo, o->hi);
    else
        snprintf(buf, n, "%s%s in [%g, %g]",
                 o->type == OPT_REALS ? "1 or 3 comma-separated numbers, each" : "a number",
                 o->lo > 0 ? " > 0," : "", o->lo, o->hi);
}

static int set_value(const struct cli_cmd *c, const struct opt *o, const char *v)
{
    char want[128];
    switch (o->type) {
    case OPT_FLAG:
        SEKIT_ASSERT(0);
    case OPT_STR:
        if (!*v) return cli_usage_error(c->name, "%s: expected a non-empty value", o->name);
        *(const char **)o->dst = v;
        return 0;
    case OPT_MULTI: {
        struct opt_multi *m = o->dst;
        const char **grown = realloc(m->v, sizeof *grown * (size_t)(m->n + 1));
        if (!grown) return cli_usage_error(c->name, "out of memory");
        m->v = grown;
        m->v[m->n++] = v;
        return 0;
    }
    case OPT_CHOICE: {
        char list[256];
        int n = 0;
        for (; o->choices[n]; n++)
            if (strcmp(v, o->choices[n]) == 0) {
                *(int *)o->dst = n;
                return 0;
            }
        return cli_usage_error(c->name, "%s: expected one of %s, got '%s'", o->name,
                               sekit_name_list(list, sizeof list, choice, o->choices, n), v);
    }
    case OPT_INT: {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < o->lo || x > o->hi) break;
        *(long *)o->dst = x;
        return 0;
    }
    case OPT_REAL: {
        double x;
        if (!real_of(v, NULL, &x) || x < o->lo || x > o->hi) break;
        *(double *)o->dst = x;
        return 0;
    }
    case OPT_REALS: {
        struct opt_reals r = {0};
        const char *p = v;
        for (;;) {
            const char *comma = strchr(p, ',');
            if (r.n == 3 || !real_of(p, comma, &r.v[r.n]) || r.v[r.n] < o->lo || r.v[r.n] > o->hi) {
                r.n = -1;
                break;
            }
            r.n++;
            if (!comma) break;
            p = comma + 1;
        }
        if (r.n != 1 && r.n != 3) break;
        *(struct opt_reals *)o->dst = r;
        return 0;
    }
    }
    range_text(want, sizeof want, o);
    return cli_usage_error(c->name, "%s: expected %s, got '%s'", o->name, want, v);
}

void cli_print_version(void)
{
    printf("sekit %s (backends: openblas%s; default %s; %s)\n", SEKIT_VERSION,
           sekit_backend_available(SEKIT_BACKEND_ONEDNN) ? ", onednn" : "",
           sekit_backend_name(sekit_backend_default()),
           sekit_dist_built() ? "MPI: runs as mpirun's ranks" : "no MPI");
}

static void print_help(const struct cli_cmd *c, const struct opt *const *tables)
{
    printf("usage: sekit %s\n\n%s\noptions:\n", c->usage, c->about);
    for (int t = 0; tables[t]; t++)
        for (const struct opt *o = tables[t]; o->name; o++) {
            char head[64];
            snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
            printf("  %-20s", head);
            if (strlen(head) > 19) printf("\n  %-20s", "");
            for (const char *l = o->help; *l;) {
                const char *nl = strchr(l, '\n');
                int len = nl ? (int)(nl - l) : (int)strlen(l);
                printf("%s%.*s\n", l == o->help ? "" : "                      ", len, l);
                l += len + (nl != NULL);
            }
        }
    printf("  %-20sthis text\n  %-20sthe version of sekit\n", "--help", "--version");
    if (c->examples) {
        printf("\nexamples:\n");
        for (const char *l = c->examples; *l;) {
            const int len = (int)strcspn(l, "\n");
            printf("  %.*s\n", len, l);
            l += len + (l[len] == '\n');
        }
    }
}

/* Whether o was given: every option's destination starts zeroed or NULL, except choices (-1). */
static int given(const struct opt *o)
{
    switch (o->type) {
    case OPT_STR:
        return *(const char **)o->dst != NULL;
    case OPT_CHOICE:
        return *(int *)o->dst >= 0;
    case OPT_MULTI:
        return ((struct opt_multi *)o->dst)->n > 0;
    default:
        return 1;
    }
}

int cli_parse(const struct cli_cmd *c, const struct opt *own, const struct opt *extra, int argc,
              char **argv, const char **pos)
{
    const struct opt *const tables[] = {own, extra, NULL};
    *pos = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(c, tables);
            return OPTS_HELP;
        }
        if (strcmp(a, "--version") == 0) {
            cli_print_version();
            return OPTS_HELP;
        }
        if (a[0] != '-' || a[1] == 0) {
            if (!c->positional || *pos)
                return cli_usage_error(c->name, "'%s': unexpected argument", a);
            *pos = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const struct opt *o = NULL;
        for (int t = 0; tables[t] && !o; t++)
            for (const struct opt *p = tables[t]; p->name && !o; p++)
                if (strlen(p->name) == len && strncmp(p->name, a, len) == 0) o = p;
        if (!o) return cli_usage_error(c->name, "%.*s: unknown option", (int)len, a);
        if (o->type == OPT_FLAG) {
            if (eq) return cli_usage_error(c->name, "%s: takes no value", o->name);
            *(int *)o->dst = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) return cli_usage_error(c->name, "%s: needs a value", o->name);
            v = argv[++i];
        }
        if (set_value(c, o, v)) return CLI_USAGE;
    }
    if (c->positional_required && !*pos) return cli_usage_error(c->name, "give %s", c->positional);
    for (int r = 0; r < 3 && c->required[r]; r++)
        for (int t = 0; tables[t]; t++)
            for (const struct opt *o = tables[t]; o->name; o++)
                if (strcmp(o->name, c->required[r]) == 0 && !given(o))
                    return cli_usage_error(c->name, "%s: required (%s)", o->name, o->arg);
    return OPTS_PARSED;
}
