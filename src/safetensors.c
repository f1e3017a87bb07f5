/*
 * safetensors.c -- a strict reader for the safetensors weight format.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON (must start with '{', may be
 * padded with spaces), then one byte buffer that the tensors index contiguously. A weight file
 * is hostile input, so everything is validated before anything is sized from it:
 *   - N != 0, N <= 100 MB (the reference limit), 8 + N <= file size;
 *   - the JSON parses with duplicate keys rejected and ends in nothing but spaces;
 *   - __metadata__ is an object of strings; every other entry has exactly dtype, shape and
 *     data_offsets, with a known dtype, non-negative integer dims (rank <= 8) and 2 offsets;
 *   - element and byte counts are overflow-checked and equal end - begin;
 *   - sorted by begin, tensors tile [0, file size - 8 - N) with no gap and no overlap.
 * Tensor data is read with pread into the caller's buffer, so unaligned files are fine.
 */
#include "sekit.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sekit reads little-endian tensor data in place; a big-endian port must byte-swap"
#endif

#define ST_MAX_HEADER 100000000ull

struct st_meta {
    char *key, *value;
};

struct sekit_st {
    char *path;
    int fd;
    uint64_t data_start; /* 8 + N */
    int count;
    struct sekit_st_tensor *tensors; /* sorted by begin */
    char *names;                     /* storage for tensor names */
    int nmeta;
    struct st_meta *meta;
};

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    [SEKIT_DT_BOOL] = {"BOOL", 1},       [SEKIT_DT_U8] = {"U8", 1},
    [SEKIT_DT_I8] = {"I8", 1},           [SEKIT_DT_F8_E5M2] = {"F8_E5M2", 1},
    [SEKIT_DT_F8_E4M3] = {"F8_E4M3", 1}, [SEKIT_DT_I16] = {"I16", 2},
    [SEKIT_DT_U16] = {"U16", 2},         [SEKIT_DT_F16] = {"F16", 2},
    [SEKIT_DT_BF16] = {"BF16", 2},       [SEKIT_DT_I32] = {"I32", 4},
    [SEKIT_DT_U32] = {"U32", 4},         [SEKIT_DT_F32] = {"F32", 4},
    [SEKIT_DT_F64] = {"F64", 8},         [SEKIT_DT_I64] = {"I64", 8},
    [SEKIT_DT_U64] = {"U64", 8},
};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *sekit_dtype_name(enum sekit_dtype dt)
{
    return (int)dt >= 0 && (int)dt < NDTYPES ? dtypes[dt].name : "?";
}

static int parse_dtype(const char *s)
{
    for (int i = 0; i < NDTYPES; i++)
        if (strcmp(s, dtypes[i].name) == 0) return i;
    return -1;
}

static int cmp_begin(const void *a, const void *b)
{
    const struct sekit_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Names and strings from the file appear in error messages, and a message is one line. */
static int has_line_break(const char *s)
{
    return s[strcspn(s, "\r\n")] != '\0';
}

/* Validates one tensor entry; fills t (name left to the caller). */
static int parse_entry(const char *path, const char *key, json_t *v, struct sekit_st_tensor *t,
                       struct sekit_err *e)
{
    if (!json_is_object(v))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' is not a JSON object", path, key);
    if (json_object_size(v) != 3)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: tensor '%s' must have exactly dtype, shape and data_offsets", path,
                          key);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
           *jo = json_object_get(v, "data_offsets");
    if (!json_is_string(jd) || !json_is_array(js) || !json_is_array(jo))
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: tensor '%s' needs string dtype, array shape and array data_offsets",
                          path, key);
    int dt = parse_dtype(json_string_value(jd));
    if (dt < 0)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' has unknown dtype '%.*s'", path, key,
                          (int)strcspn(json_string_value(jd), "\r\n"), json_string_value(jd));
    t->dtype = (enum sekit_dtype)dt;
    size_t rank = json_array_size(js);
    if (rank > SEKIT_ST_MAX_RANK)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' has rank %zu (at most %d)", path, key,
                          rank, SEKIT_ST_MAX_RANK);
    t->ndim = (int)rank;
    uint64_t numel = 1;
    for (size_t i = 0; i < rank; i++) {
        json_t *d = json_array_get(js, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return sekit_errf(e, SEKIT_EFORMAT,
                              "%s: tensor '%s' shape[%zu] is not a non-negative integer", path, key,
                              i);
        t->shape[i] = json_integer_value(d);
        if (__builtin_mul_overflow(numel, (uint64_t)t->shape[i], &numel))
            return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' element count overflows", path,
                              key);
    }
    t->numel = numel;
    if (json_array_size(jo) != 2)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' data_offsets must hold 2 integers",
                          path, key);
    json_int_t b = 0, en = 0;
    for (int i = 0; i < 2; i++) {
        json_t *o = json_array_get(jo, (size_t)i);
        if (!json_is_integer(o) || json_integer_value(o) < 0)
            return sekit_errf(e, SEKIT_EFORMAT,
                              "%s: tensor '%s' data_offsets[%d] is not a non-negative integer",
                              path, key, i);
        *(i ? &en : &b) = json_integer_value(o);
    }
    if (en < b)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' data_offsets end %lld < begin %lld",
                          path, key, (long long)en, (long long)b);
    t->begin = (uint64_t)b;
    t->end = (uint64_t)en;
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, (uint64_t)dtypes[dt].size, &nbytes))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: tensor '%s' byte count overflows", path, key);
    if (t->end - t->begin != nbytes)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: tensor '%s' shape needs %llu bytes but data_offsets span %llu", path,
                          key, (unsigned long long)nbytes, (unsigned long long)(t->end - t->begin));
    return SEKIT_OK;
}

static int parse_metadata(struct sekit_st *st, json_t *m, struct sekit_err *e)
{
    if (!json_is_object(m))
        return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ is not a JSON object", st->path);
    size_t n = json_object_size(m);
    st->meta = calloc(n ? n : 1, sizeof *st->meta);
    if (!st->meta) return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", st->path);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        if (has_line_break(k))
            return sekit_errf(e, SEKIT_EFORMAT, "%s: a __metadata__ key holds a line break",
                              st->path);
        if (!json_is_string(v))
            return sekit_errf(e, SEKIT_EFORMAT, "%s: __metadata__ value of '%s' is not a string",
                              st->path, k);
        struct st_meta *mm = &st->meta[st->nmeta++];
        mm->key = strdup(k);
        mm->value = strdup(json_string_value(v));
        if (!mm->key || !mm->value)
            return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", st->path);
    }
    return SEKIT_OK;
}

static int parse_header(struct sekit_st *st, const char *hdr, size_t n, uint64_t data_len,
                        struct sekit_err *e)
{
    if (n == 0 || hdr[0] != '{')
        return sekit_errf(e, SEKIT_EFORMAT, "%s: header does not start with '{'", st->path);
    json_error_t jerr;
    json_t *root = json_loadb(hdr, n, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
    if (!root)
        return sekit_errf(e, SEKIT_EFORMAT, "%s: header is not valid JSON: %s (byte %d)", st->path,
                          jerr.text, jerr.position);
    int rc = SEKIT_OK;
    for (size_t i = (size_t)jerr.position; i < n; i++)
        if (hdr[i] != ' ') {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: header has trailing bytes after the JSON object (byte %zu)",
                            st->path, i);
            goto out;
        }
    if (!json_is_object(root)) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: header is not a JSON object", st->path);
        goto out;
    }
    size_t total = json_object_size(root), names_len = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (has_line_break(key)) {
            rc = sekit_errf(e, SEKIT_EFORMAT, "%s: a tensor name holds a line break", st->path);
            goto out;
        }
        if (strcmp(key, "__metadata__") != 0) names_len += strlen(key) + 1;
    }
    st->tensors = calloc(total ? total : 1, sizeof *st->tensors);
    st->names = malloc(names_len ? names_len : 1);
    if (!st->tensors || !st->names) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", st->path);
        goto out;
    }
    char *np = st->names;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "__metadata__") == 0) {
            if ((rc = parse_metadata(st, v, e))) goto out;
            continue;
        }
        struct sekit_st_tensor *t = &st->tensors[st->count];
        if ((rc = parse_entry(st->path, key, v, t, e))) goto out;
        size_t kl = strlen(key) + 1;
        memcpy(np, key, kl);
        t->name = np;
        np += kl;
        st->count++;
    }
    if (st->count > 1) qsort(st->tensors, (size_t)st->count, sizeof *st->tensors, cmp_begin);
    uint64_t pos = 0;
    for (int i = 0; i < st->count; i++) {
        const struct sekit_st_tensor *t = &st->tensors[i];
        if (t->begin != pos) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            t->begin > pos ? "%s: tensor '%s' leaves a gap in the data buffer "
                                             "(begins at %llu, previous data ends at %llu)"
                                           : "%s: tensor '%s' overlaps another tensor (begins "
                                             "at %llu, previous data ends at %llu)",
                            st->path, t->name, (unsigned long long)t->begin,
                            (unsigned long long)pos);
            goto out;
        }
        pos = t->end;
    }
    if (pos > data_len) {
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: tensor data runs past end of file (needs %llu bytes, file has %llu)",
                        st->path, (unsigned long long)pos, (unsigned long long)data_len);
        goto out;
    }
    if (pos < data_len) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %llu bytes of trailing data after the last tensor",
                        st->path, (unsigned long long)(data_len - pos));
        goto out;
    }
out:
    json_decref(root);
    return rc;
}

int sekit_st_open(struct sekit_st **out, const char *path, struct sekit_err *e)
{
    *out = NULL;
    struct sekit_st *st = calloc(1, sizeof *st);
    if (!st) return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
    st->fd = -1;
    char *hdr = NULL;
    int rc;
    if (!(st->path = strdup(path))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    struct stat sb;
    if ((st->fd = sekit_open_regular(path, &sb, e)) < 0) {
        rc = SEKIT_EIO;
        goto fail;
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char lenbuf[8];
    if (size < 8 || sekit_pread_full(st->fd, lenbuf, 8, 0) != 0) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: truncated: shorter than the 8-byte header length",
                        path);
        goto fail;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | lenbuf[i];
    if (n == 0 || n > ST_MAX_HEADER) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: header length %llu is outside 1..%llu", path,
                        (unsigned long long)n, ST_MAX_HEADER);
        goto fail;
    }
    if (n > size - 8) {
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: truncated: header length %llu runs past end of file (%llu bytes)",
                        path, (unsigned long long)n, (unsigned long long)size);
        goto fail;
    }
    if (!(hdr = malloc(n))) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory for a %llu-byte header", path,
                        (unsigned long long)n);
        goto fail;
    }
    if (sekit_pread_full(st->fd, hdr, n, 8) != 0) {
        rc = sekit_errf(e, SEKIT_EIO, "%s: cannot read header: %s", path, strerror(errno));
        goto fail;
    }
    st->data_start = 8 + n;
    if ((rc = parse_header(st, hdr, n, size - 8 - n, e))) goto fail;
    free(hdr);
    *out = st;
    return SEKIT_OK;
fail:
    free(hdr);
    sekit_st_close(st);
    return rc;
}

void sekit_st_close(struct sekit_st *st)
{
    if (!st) return;
    if (st->fd >= 0) close(st->fd);
    for (int i = 0; i < st->nmeta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->meta);
    free(st->tensors);
    free(st->names);
    free(st->path);
    free(st);
}

const char *sekit_st_path(const struct sekit_st *st)
{
    return st->path;
}

int sekit_st_count(const struct sekit_st *st)
{
    return st->count;
}

const struct sekit_st_tensor *sekit_st_tensor(const struct sekit_st *st, int i)
{
    SEKIT_ASSERT(i >= 0 && i < st->count);
    return &st->tensors[i];
}

const struct sekit_st_tensor *sekit_st_find(const struct sekit_st *st, const char *name)
{
    for (int i = 0; i < st->count; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *sekit_st_meta(const struct sekit_st *st, const char *key)
{
    for (int i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | man << 13;
    } else if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int shift = 0;
            while (!(man & 0x400)) {
                man <<= 1;
                shift++;
            }
            man &= 0x3ff;
            bits = sign | (uint32_t)(127 - 15 + 1 - shift) << 23 | man << 13;
        }
    } else {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int sekit_st_read_f32(const struct sekit_st *st, const struct sekit_st_tensor *t, float *dst,
                      struct sekit_err *e)
{
    uint64_t nbytes = t->end - t->begin;
    if (t->dtype == SEKIT_DT_F32) {
        if (sekit_pread_full(st->fd, dst, nbytes, st->data_start + t->begin) != 0)
            return sekit_errf(e, SEKIT_EIO, "%s: cannot read tensor '%s'", st->path, t->name);
        return SEKIT_OK;
    }
    if (t->dtype != SEKIT_DT_F16 && t->dtype != SEKIT_DT_BF16)
        return sekit_errf(e, SEKIT_EFORMAT,
                          "%s: tensor '%s' has dtype %s; sekit reads F32, F16 and BF16 weights",
                          st->path, t->name, sekit_dtype_name(t->dtype));
    uint16_t *tmp = malloc(nbytes ? nbytes : 1);
    if (!tmp) return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", st->path);
    if (sekit_pread_full(st->fd, tmp, nbytes, st->data_start + t->begin) != 0) {
        free(tmp);
        return sekit_errf(e, SEKIT_EIO, "%s: cannot read tensor '%s'", st->path, t->name);
    }
    for (uint64_t i = 0; i < t->numel; i++) {
        if (t->dtype == SEKIT_DT_F16) {
            dst[i] = half_to_float(tmp[i]);
        } else {
            uint32_t bits = (uint32_t)tmp[i] << 16;
            memcpy(&dst[i], &bits, 4);
        }
    }
    free(tmp);
    return SEKIT_OK;
}
