/* status.c -- status codes, error messages and the abort path for bugs. */
#include "sekit.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sekit_errf(struct sekit_err *e, int code, const char *fmt, ...)
{
    if (e) {
        /* formatted apart first: callers may pass e->msg itself as an argument, to prefix it */
        char buf[SEKIT_ERRMSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        memcpy(e->msg, buf, sizeof buf);
        e->code = code;
    }
    return code;
}

const char *sekit_name_list(char *buf, size_t size, const char *(*name)(const void *ctx, int i),
                            const void *ctx, int n)
{
    static const char more[] = ", ...";
    SEKIT_ASSERT(size > sizeof more);
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        const char *v = name(ctx, i);
        const size_t need = (i ? 2 : 0) + strlen(v);
        if (len + need + sizeof more > size) {
            memcpy(buf + len, more + (i ? 0 : 2), sizeof more - (i ? 0 : 2));
            break;
        }
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", v);
    }
    return buf;
}

double sekit_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

const char *sekit_strerror(int code)
{
    switch (code) {
    case SEKIT_OK:
        return "ok";
    case SEKIT_EINVAL:
        return "invalid argument";
    case SEKIT_ENOMEM:
        return "out of memory";
    case SEKIT_EIO:
        return "input/output error";
    case SEKIT_EFORMAT:
        return "malformed file";
    case SEKIT_ESHAPE:
        return "tensors do not fit the architecture";
    case SEKIT_EHDF5:
        return "HDF5 error";
    case SEKIT_ECAIRO:
        return "cairo error";
    }
    return "unknown status";
}

_Noreturn void sekit_abort(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

/* Every member of the structs a binding mirrors (python/sekit/_lib.py), and the structs' sizes
 * (member NULL). */
#define LAYOUT_MEMBER(t, m) {#t, #m, offsetof(struct t, m), sizeof(((struct t *)0)->m)}
#define LAYOUT_STRUCT(t) {#t, NULL, 0, sizeof(struct t)}
static const struct layout {
    const char *type, *member;
    size_t offset, size;
} layouts[] = {
    LAYOUT_STRUCT(sekit_err),
    LAYOUT_MEMBER(sekit_err, code),
    LAYOUT_MEMBER(sekit_err, msg),
    LAYOUT_STRUCT(sekit_se_info),
    LAYOUT_MEMBER(sekit_se_info, name),
    LAYOUT_MEMBER(sekit_se_info, module),
    LAYOUT_MEMBER(sekit_se_info, stage),
    LAYOUT_MEMBER(sekit_se_info, block),
    LAYOUT_MEMBER(sekit_se_info, channels),
    LAYOUT_MEMBER(sekit_se_info, reduced),
    LAYOUT_MEMBER(sekit_se_info, params),
    LAYOUT_MEMBER(sekit_se_info, gate),
    LAYOUT_MEMBER(sekit_se_info, act),
    LAYOUT_STRUCT(sekit_input),
    LAYOUT_MEMBER(sekit_input, kind),
    LAYOUT_MEMBER(sekit_input, h),
    LAYOUT_MEMBER(sekit_input, w),
    LAYOUT_MEMBER(sekit_input, c),
    LAYOUT_MEMBER(sekit_input, channels),
    LAYOUT_MEMBER(sekit_input, size),
    LAYOUT_MEMBER(sekit_input, resize),
    LAYOUT_MEMBER(sekit_input, crop),
    LAYOUT_MEMBER(sekit_input, bicubic),
    LAYOUT_MEMBER(sekit_input, bgr),
    LAYOUT_MEMBER(sekit_input, scale255),
    LAYOUT_MEMBER(sekit_input, mean),
    LAYOUT_MEMBER(sekit_input, std),
    LAYOUT_MEMBER(sekit_input, desc),
};

int sekit_struct_layout(const char *type, const char *member, size_t *offset, size_t *size)
{
    for (size_t i = 0; type && i < sizeof layouts / sizeof layouts[0]; i++) {
        const struct layout *l = &layouts[i];
        if (strcmp(l->type, type) != 0 || (member == NULL) != (l->member == NULL) ||
            (member && strcmp(l->member, member) != 0))
            continue;
        *offset = l->offset, *size = l->size;
        return 0;
    }
    return -1;
}
