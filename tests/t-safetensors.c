/*
 * t-safetensors.c -- the strict reader against valid files and a corpus of hostile ones.
 *
 * Every malformed file must be rejected by the library with one line that names the file, and by
 * `sekit info FILE` with exit status 1, exactly one line on stderr and no crash. Valid edge cases
 * (0-d and empty tensors, unaligned data, F16/BF16, num_batches_tracked) must load. Files that
 * are valid safetensors but do not fit an SE-ResNet must be rejected naming the first tensor that
 * does not fit.
 */
#include "sekit.h"
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char path[512];

static const char *tmpfile_named(const char *name)
{
    snprintf(path, sizeof path, "%s/%s", tap_tmpdir(), name);
    return path;
}

/* Writes u64 header length (hlen, or strlen(json) when hlen == UINT64_MAX), the header bytes and
 * ndata bytes of data. */
static const char *write_raw(const char *name, uint64_t hlen, const char *json, size_t ndata)
{
    const char *p = tmpfile_named(name);
    FILE *f = fopen(p, "wb");
    uint64_t n = hlen == UINT64_MAX ? strlen(json) : hlen;
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(json, 1, strlen(json), f);
    for (size_t i = 0; i < ndata; i++)
        fputc((int)(i * 37 % 251), f);
    fclose(f);
    return p;
}

/* Runs `sekit info FILE`; returns its exit status, stores the number of stderr lines and whether
 * stderr names the file. */
static int run_info(const char *file, int *lines, int *names_file)
{
    char cmd[1600], errpath[600];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "'%s' info '%s' >/dev/null 2>'%s'", tap_sekit(), file, errpath);
    int st = system(cmd);
    FILE *f = fopen(errpath, "r");
    char buf[4096] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    *lines = 0;
    for (size_t i = 0; i < n; i++)
        *lines += buf[i] == '\n';
    *names_file = strstr(buf, file) != NULL;
    if (*lines != 1) diag("stderr was: %s", buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_reject(const char *file, const char *what, const char *needle)
{
    struct sekit_st *st = NULL;
    struct sekit_err e = {0};
    int rc = sekit_st_open(&st, file, &e);
    if (rc == SEKIT_OK) {
        /* a valid container may still not be an SE-ResNet */
        sekit_st_close(st);
        struct sekit_model *m = NULL;
        rc = sekit_model_load(&m, file, &e);
        sekit_model_free(m);
    }
    ok(rc != SEKIT_OK && strstr(e.msg, file) && !strchr(e.msg, '\n'),
       "%s: rejected with one line naming the file", what);
    if (needle && !ok(strstr(e.msg, needle) != NULL, "%s: message mentions '%s'", what, needle))
        diag("message: %s", e.msg);
    int lines, named;
    int status = run_info(file, &lines, &named);
    ok(status == 1 && lines == 1 && named, "%s: sekit info exits 1 with one line naming the file",
       what);
    if (status != 1) diag("exit status %d", status);
}

static void malformed_corpus(void)
{
    const char *ok1 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    {
        const char *p = tmpfile_named("empty.st");
        fclose(fopen(p, "wb"));
        expect_reject(p, "empty file", "truncated");
    }
    {
        const char *p = tmpfile_named("short.st");
        FILE *f = fopen(p, "wb");
        fwrite("\x10\0\0", 1, 3, f);
        fclose(f);
        expect_reject(p, "3-byte file", "truncated");
    }
    expect_reject(write_raw("hlen_past_eof.st", 4096, ok1, 8), "header length past EOF",
                  "past end of file");
    expect_reject(write_raw("hlen_zero.st", 0, ok1, 8), "header length 0", "header length");
    expect_reject(write_raw("hlen_huge.st", 1ull << 40, ok1, 8), "header length 2^40",
                  "header length");
    expect_reject(write_raw("not_brace.st", UINT64_MAX,
                            "[{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}]", 8),
                  "header not starting with '{'", "'{'");
    expect_reject(write_raw("bad_json.st", UINT64_MAX, "{\"a\":{\"dtype\":\"F32\",", 8),
                  "header cut mid-JSON", "JSON");
    expect_reject(write_raw("dup_key.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                            8),
                  "duplicate key", "duplicate");
    expect_reject(write_raw("overlap.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                            12),
                  "overlapping offsets", "overlaps");
    expect_reject(write_raw("alias.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                            8),
                  "two tensors on one range", "overlaps");
    expect_reject(write_raw("gap.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                            12),
                  "gap between tensors", "gap");
    expect_reject(write_raw("out_of_range.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                  "offsets past the data", "past end of file");
    expect_reject(write_raw("negative.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
                  "negative offset", "non-negative");
    expect_reject(write_raw("end_lt_begin.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8),
                  "end before begin", "end");
    expect_reject(write_raw("dtype.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                  "unknown dtype", "unknown dtype");
    expect_reject(write_raw("size_mismatch.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                  "shape-size mismatch", "needs 12 bytes");
    expect_reject(write_raw("overflow.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
                            "\"data_offsets\":[0,8]}}",
                            8),
                  "element count overflow", "overflow");
    expect_reject(write_raw("trailing_data.st", UINT64_MAX, ok1, 12), "trailing garbage data",
                  "trailing");
    expect_reject(write_raw("trailing_header.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  x ",
                            8),
                  "bytes after the JSON object", "trailing");
    expect_reject(write_raw("meta.st", UINT64_MAX,
                            "{\"__metadata__\":{\"format\":1},"
                            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                            8),
                  "non-string metadata", "__metadata__");
    expect_reject(write_raw("float_shape.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}",
                            8),
                  "real number in shape", "shape");
    expect_reject(write_raw("extra_field.st", UINT64_MAX,
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],"
                            "\"x\":1}}",
                            8),
                  "extra field in a tensor entry", "exactly");
    expect_reject(
        write_raw("utf8.st", UINT64_MAX,
                  "{\"\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "invalid UTF-8 name", "JSON");
    expect_reject(write_raw("not_a_model.st", UINT64_MAX, ok1, 8), "valid file, not an SE-ResNet",
                  "stem");
}

/* ---------------------------------------------------------------------------------------- */
/* A tiny timm-layout SE-ResNet written by hand: small stem (4 ch), one stage of one basic block,
 * 3 classes. Variants break one thing each. */

struct tdesc {
    const char *name;
    const char *dtype;
    int ndim;
    int64_t shape[4];
};

static struct tdesc tiny[] = {
    {"conv1.weight", "F32", 4, {4, 1, 3, 3}},
    {"bn1.weight", "F32", 1, {4}},
    {"bn1.bias", "F32", 1, {4}},
    {"bn1.running_mean", "F32", 1, {4}},
    {"bn1.running_var", "F32", 1, {4}},
    {"bn1.num_batches_tracked", "I64", 0, {0}},
    {"layer1.0.conv1.weight", "F32", 4, {4, 4, 3, 3}},
    {"layer1.0.bn1.weight", "F32", 1, {4}},
    {"layer1.0.bn1.bias", "F32", 1, {4}},
    {"layer1.0.bn1.running_mean", "F32", 1, {4}},
    {"layer1.0.bn1.running_var", "F32", 1, {4}},
    {"layer1.0.conv2.weight", "F32", 4, {4, 4, 3, 3}},
    {"layer1.0.bn2.weight", "F32", 1, {4}},
    {"layer1.0.bn2.bias", "F32", 1, {4}},
    {"layer1.0.bn2.running_mean", "F32", 1, {4}},
    {"layer1.0.bn2.running_var", "F32", 1, {4}},
    {"layer1.0.se.fc1.weight", "F32", 4, {2, 4, 1, 1}},
    {"layer1.0.se.fc1.bias", "F32", 1, {2}},
    {"layer1.0.se.fc2.weight", "F32", 4, {4, 2, 1, 1}},
    {"layer1.0.se.fc2.bias", "F32", 1, {4}},
    {"fc.weight", "F32", 2, {3, 4}},
    {"fc.bias", "F32", 1, {3}},
};
#define NTINY ((int)(sizeof tiny / sizeof tiny[0]))

static int dsize(const char *dt)
{
    return strcmp(dt, "I64") == 0 ? 8 : strcmp(dt, "F32") == 0 || strcmp(dt, "I32") == 0 ? 4 : 2;
}

/* Writes the tensors with values 0.25 + i/64 (exact in F16 and BF16), padding the header to
 * `pad` extra spaces so the data can start unaligned. */
static const char *write_model(const char *name, const struct tdesc *t, int n, int pad)
{
    char hdr[8192];
    size_t o = (size_t)snprintf(hdr, sizeof hdr, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++)
            numel *= (uint64_t)t[i].shape[d];
        uint64_t end = off + numel * (uint64_t)dsize(t[i].dtype);
        o += (size_t)snprintf(hdr + o, sizeof hdr - o, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                              t[i].name, t[i].dtype);
        for (int d = 0; d < t[i].ndim; d++)
            o += (size_t)snprintf(hdr + o, sizeof hdr - o, "%s%lld", d ? "," : "",
                                  (long long)t[i].shape[d]);
        o += (size_t)snprintf(hdr + o, sizeof hdr - o, "],\"data_offsets\":[%llu,%llu]}",
                              (unsigned long long)off, (unsigned long long)end);
        off = end;
    }
    o += (size_t)snprintf(hdr + o, sizeof hdr - o, "}%*s", pad, "");
    const char *p = tmpfile_named(name);
    FILE *f = fopen(p, "wb");
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)o >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(hdr, 1, o, f);
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++)
            numel *= (uint64_t)t[i].shape[d];
        for (uint64_t j = 0; j < numel; j++) {
            float v = 0.25f + (float)(j % 32) / 64.0f;
            uint32_t bits;
            memcpy(&bits, &v, 4);
            if (strcmp(t[i].dtype, "I64") == 0) {
                int64_t z = 0;
                fwrite(&z, 8, 1, f);
            } else if (strcmp(t[i].dtype, "I32") == 0) {
                int32_t z = 1;
                fwrite(&z, 4, 1, f);
            } else if (strcmp(t[i].dtype, "F32") == 0) {
                fwrite(&v, 4, 1, f);
            } else if (strcmp(t[i].dtype, "BF16") == 0) {
                uint16_t h = (uint16_t)(bits >> 16);
                fwrite(&h, 2, 1, f);
            } else { /* F16: these values are normal halves; rebias the exponent */
                uint32_t e = ((bits >> 23) & 0xff) - 127 + 15;
                uint16_t h = (uint16_t)((bits >> 16 & 0x8000) | e << 10 | (bits >> 13 & 0x3ff));
                fwrite(&h, 2, 1, f);
            }
        }
    }
    fclose(f);
    return p;
}

static void model_files(void)
{
    struct tdesc t[NTINY + 1];
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;

    const char *p = write_model("tiny.st", tiny, NTINY, 3);
    int rc = sekit_model_load(&m, p, &e);
    if (!ok(rc == SEKIT_OK, "a valid tiny timm model with unaligned data and an I64 scalar loads"))
        diag("%s", e.msg);
    if (m) {
        is_int(sekit_model_se_count(m), 1, "it has one SE block");
        is_str(sekit_model_se_info(m, 0)->name, "SE_2_1", "named as the paper names it");
        is_str(sekit_model_se_info(m, 0)->module, "layer1.0.se", "with its weight prefix");
        is_int(sekit_model_params(m), 36 + 8 + 144 + 8 + 144 + 8 + 8 + 2 + 8 + 4 + 12 + 3,
               "parameters counted as PyTorch counts them");
        is_str(sekit_model_meta(m, "format"), "pt", "metadata is readable");
    }
    sekit_model_free(m);

    memcpy(t, tiny, sizeof tiny);
    for (int i = 0; i < NTINY; i++)
        if (strcmp(t[i].dtype, "F32") == 0) t[i].dtype = i % 2 ? "F16" : "BF16";
    p = write_model("tiny16.st", t, NTINY, 0);
    struct sekit_st *st = NULL;
    rc = sekit_st_open(&st, p, &e);
    ok(rc == SEKIT_OK, "F16/BF16 file opens");
    if (st) {
        float w[36], want[36];
        for (int j = 0; j < 36; j++)
            want[j] = 0.25f + (float)(j % 32) / 64.0f;
        const struct sekit_st_tensor *c1 = sekit_st_find(st, "conv1.weight");
        ok(c1 && sekit_st_read_f32(st, c1, w, &e) == SEKIT_OK, "a %s tensor reads as float",
           c1 ? sekit_dtype_name(c1->dtype) : "?");
        is_close(w, want, 36, 0.0, "upcast values are exact");
        const struct sekit_st_tensor *b1 = sekit_st_find(st, "bn1.weight");
        ok(b1 && sekit_st_read_f32(st, b1, w, &e) == SEKIT_OK, "a %s tensor reads as float",
           b1 ? sekit_dtype_name(b1->dtype) : "?");
        is_close(w, want, 4, 0.0, "upcast values are exact");
        sekit_st_close(st);
    }
    rc = sekit_model_load(&m, p, &e);
    ok(rc == SEKIT_OK, "a half-precision model loads");
    sekit_model_free(m);

    const char *zj = "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                     "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                     "\"f\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}";
    rc = sekit_st_open(&st, write_raw("zero.st", UINT64_MAX, zj, 4), &e);
    ok(rc == SEKIT_OK && sekit_st_count(st) == 3, "0-d and empty tensors are valid");
    sekit_st_close(st);

    memcpy(t, tiny, sizeof tiny);
    t[20].shape[1] = 5;
    expect_reject(write_model("bad_fc.st", t, NTINY, 0), "classifier wider than the features",
                  "'fc.weight'");
    memcpy(t, tiny, sizeof tiny);
    t[18].shape[1] = 3;
    expect_reject(write_model("bad_se.st", t, NTINY, 0), "SE fc2 that contradicts fc1",
                  "'layer1.0.se.fc2.weight'");
    memcpy(t, tiny, sizeof tiny);
    t[8].shape[0] = 5;
    expect_reject(write_model("bad_bn.st", t, NTINY, 0), "BN of the wrong width",
                  "'layer1.0.bn1.bias'");
    memcpy(t, tiny, sizeof tiny);
    t[NTINY] = (struct tdesc){"layer1.0.extra.weight", "F32", 1, {2}};
    expect_reject(write_model("extra.st", t, NTINY + 1, 0), "a tensor the architecture lacks",
                  "'layer1.0.extra.weight'");
    memcpy(t, tiny, sizeof tiny);
    t[10] = t[NTINY - 1];
    expect_reject(write_model("missing.st", t, NTINY - 1, 0), "a missing running_var",
                  "'layer1.0.bn1.running_var'");
    memcpy(t, tiny, sizeof tiny);
    t[0].shape[2] = t[0].shape[3] = 5;
    expect_reject(write_model("stem5.st", t, NTINY, 0), "a 5x5 stem", "'conv1.weight'");
    memcpy(t, tiny, sizeof tiny);
    t[6].dtype = "I32";
    expect_reject(write_model("int_conv.st", t, NTINY, 0), "integer convolution weights",
                  "dtype I32");
}

/* Inputs the fuzzer (tests/fuzz) crashed sekit with, kept in tests/fuzz/regress/model: each must
 * now be rejected cleanly, by the library and by `sekit info`. */
static void fuzz_regressions(void)
{
    static const struct {
        const char *file, *what, *needle;
    } cases[] = {
        {"arch-conv2-zero-width.safetensors", "bottleneck conv2 of width 0 (was SIGFPE)",
         "layer1.0.conv2.weight"},
        /* strings from the file echoed into a message made it two lines */
        {"metadata-value-line-break.safetensors", "sekit.stem value with a line break",
         "sekit.stem is 'imag' ("},
        {"tensor-name-line-break.safetensors", "tensor name with a line break",
         "tensor name holds a line break"},
        {"dtype-line-break.safetensors", "dtype with a line break", "unknown dtype 'F'"},
        {"metadata-key-line-break.safetensors", "__metadata__ key with a line break",
         "__metadata__ key holds a line break"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/tests/fuzz/regress/model/%s", tap_srcdir(), cases[i].file);
        expect_reject(file, cases[i].what, cases[i].needle);
    }
}

int main(void)
{
    malformed_corpus();
    model_files();
    fuzz_regressions();
    return tap_done();
}
