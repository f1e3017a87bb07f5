/* fixture.c -- see fixture.h. */
#include "fixture.h"
#include "tap.h"
#include "../recording/record.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

unsigned char *fixture_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *b = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

int fixture_tmp_left(const char *stem)
{
    const char *slash = strrchr(stem, '/'), *base = slash ? slash + 1 : stem;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - stem) : 1, slash ? stem : ".");
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        const size_t l = strlen(de->d_name);
        if (!strncmp(de->d_name, base, strlen(base)) && l > 4 &&
            !strcmp(de->d_name + l - 4, ".tmp")) {
            diag("temporary left: %s/%s", dir, de->d_name);
            n++;
        }
    }
    if (d) closedir(d);
    return n;
}

int fixture_spit(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int good = fwrite(data, 1, n, f) == n;
    return (fclose(f) == 0) & good;
}

uint64_t fixture_st_header_len(const unsigned char *b, size_t len)
{
    if (!b || len < 8) return 0;
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++)
        hl |= (uint64_t)b[i] << (8 * i);
    return hl <= len - 8 ? hl : 0;
}

int fixture_write_st(const char *path, const char *header, const void *data, size_t ndata)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    const uint64_t hl = strlen(header);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(hl >> (8 * i));
    int good = fwrite(len, 1, 8, f) == 8 && fwrite(header, 1, hl, f) == hl &&
               (ndata == 0 || fwrite(data, 1, ndata, f) == ndata);
    return (fclose(f) == 0) & good;
}

struct sekit_model *fixture_small_model(int width, int classes, uint64_t seed)
{
    struct sekit_arch a = {0};
    snprintf(a.name, sizeof a.name, "small");
    a.layout = SEKIT_LAYOUT_TIMM;
    a.stem = SEKIT_STEM_SMALL;
    a.block = SEKIT_BLOCK_BASIC;
    a.stride_on_3x3 = 1;
    a.in_chans = 1;
    a.num_classes = classes;
    a.stem_width = width;
    a.nstages = 2;
    a.groups = 1;
    a.base_width = 64;
    a.se_bias = 1;
    for (int s = 0; s < 2; s++) {
        a.blocks[s] = 2;
        a.planes[s] = width << s;
        for (int b = 0; b < 2; b++) {
            a.se_reduced[s][b] = 4;
            a.has_downsample[s][b] = s == 1 && b == 0;
            a.downsample_kernel[s][b] = 1;
        }
    }
    struct sekit_model *m = NULL;
    struct sekit_err e = {0};
    if (sekit_model_synthetic(&m, &a, seed, &e)) diag("%s", e.msg);
    return m;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static int write_gz(const char *path, const void *buf, size_t n)
{
    gzFile g = gzopen(path, "wb1");
    int ok = g && gzwrite(g, buf, (unsigned)n) == (int)n;
    return (g && gzclose(g) == Z_OK) && ok;
}

const char *fixture_idx_dataset(int nimg)
{
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", tap_tmpdir());
    mkdir(dir, 0755);
    unsigned char *img = malloc(16 + (size_t)nimg * 784), *lab = malloc(8 + (size_t)nimg);
    if (!img || !lab) {
        diag("out of memory for the test dataset");
        free(img), free(lab);
        return dir;
    }
    put_be32(img, 0x803), put_be32(img + 4, (uint32_t)nimg), put_be32(img + 8, 28);
    put_be32(img + 12, 28);
    put_be32(lab, 0x801), put_be32(lab + 4, (uint32_t)nimg);
    uint64_t s = 1;
    for (int i = 0; i < nimg; i++) {
        int c = i % 10;
        lab[8 + i] = (unsigned char)c;
        for (int p = 0; p < 784; p++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int stripe = ((p / 28) / (c + 2)) % 2 ? 160 : 20;
            img[16 + (size_t)i * 784 + p] = (unsigned char)(stripe + (int)(s >> 59));
        }
    }
    char p[700];
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    int good = write_gz(p, img, 16 + (size_t)nimg * 784);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    good &= write_gz(p, lab, 8 + (size_t)nimg);
    if (!good) diag("cannot write the test dataset under %s", dir);
    free(img), free(lab);
    return dir;
}

static char errbuf[8192];

int fixture_run(const char *args, int *lines)
{
    char cmd[8192], errfile[700];
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", tap_tmpdir());
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", tap_sekit(), args, errfile);
    int st = system(cmd);
    FILE *f = fopen(errfile, "r");
    size_t n = f ? fread(errbuf, 1, sizeof errbuf - 1, f) : 0;
    errbuf[n] = 0;
    if (f) fclose(f);
    *lines = 0;
    for (size_t i = 0; i < n; i++)
        *lines += errbuf[i] == '\n';
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int fixture_stderr_has(const char *needle)
{
    int has = strstr(errbuf, needle) != NULL;
    if (!has) diag("stderr lacks '%s'; it was: %s", needle, errbuf);
    return has;
}

const char *fixture_stderr(void)
{
    return errbuf;
}

int fixture_clean_failure(int st, int lines, const char *needle, const char *out)
{
    int left = out && access(out, F_OK) == 0;
    int good = st != 0 && st < 128 && lines == 1 && strstr(errbuf, needle) && !left;
    if (!good)
        diag("want: non-zero exit, one stderr line containing '%s', no %s; got: exit %d, %d "
             "lines, %s left behind, stderr: %s",
             needle, out ? out : "output", st, lines, left ? "output" : "nothing", errbuf);
    return good;
}

void fixture_rec_blocks(const struct sekit_model *m, struct sekit_writer_block *blocks, int n)
{
    for (int k = 0; k < n; k++) {
        const struct sekit_se_info *s = sekit_model_se_info(m, k);
        snprintf(blocks[k].name, sizeof blocks[k].name, "%s", s->name);
        snprintf(blocks[k].module, sizeof blocks[k].module, "%s", s->module);
        blocks[k].stage = s->stage, blocks[k].block = s->block;
        blocks[k].channels = s->channels, blocks[k].reduced = s->reduced;
        snprintf(blocks[k].gate, sizeof blocks[k].gate, "%s", sekit_act_name(s->gate));
        blocks[k].model_index = k;
    }
}

int fixture_rec_feed(struct sekit_model *m, struct sekit_writer *r, const float *inputs, int side,
                     const int *labels, const int *preds, int64_t from, int64_t to)
{
    enum { BATCH = 8 };
    struct sekit_err e = {0};
    const int K = sekit_model_arch(m)->num_classes;
    float *lg = malloc(sizeof *lg * BATCH * (size_t)K);
    int bad = !lg;
    for (int64_t first = from; !bad && first < to; first += BATCH) {
        const int nb = (int)(to - first < BATCH ? to - first : BATCH);
        sekit_model_forward(m, inputs + first * side * side, nb, lg);
        if (sekit_writer_append(r, m, first, nb, labels + first, preds + first, lg, &e)) {
            diag("%s", e.msg);
            bad = 1;
        }
    }
    free(lg);
    return bad;
}
