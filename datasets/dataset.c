/*
 * dataset.c -- opening, validating, selecting and loading labelled images. See dataset.h.
 */
#include "dataset.h"
#include "../src/fileio.h"
#include "image.h"
#include "imagenet.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                              "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};

struct sekit_ds {
    enum sekit_ds_format format;
    char *path, *split;
    int64_t count;
    int nclasses;
    char **class_names;
    char **synsets; /* [nclasses] ImageNet synset of each class, NULL where unknown (folders) */
    int *present, npresent; /* folders: the classes that have a folder, ascending */
    int *labels;
    int c, h, w; /* native geometry (idx, cifar) */
    /* idx: decompressed pixels, count * h * w */
    unsigned char *pixels;
    /* cifar: the batch files and their record layout */
    int nfiles;
    int fds[6];
    int64_t file_first[7]; /* item index where each file starts */
    int label_bytes;       /* 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine) */
    /* folder */
    char **items;
    int64_t skipped, skipped_hidden; /* class-folder entries that are not images, hidden ones */
    char *skipped_first;             /* the first of the others, by path */
};

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *joinpath(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Reads a whole (possibly gzip-compressed) file; gzread passes plain files through. The buffer
 * starts small and doubles: a label file of a few KB needs no megabyte (which a sanitizer build
 * maps and unmaps per call), and a 47 MB image file costs ten reallocations. */
static int read_gz(const char *path, unsigned char **out, size_t *len, size_t limit,
                   struct sekit_err *e)
{
    const int fd = sekit_open_regular(path, NULL, e);
    if (fd < 0) return SEKIT_EIO;
    gzFile g = gzdopen(fd, "rb");
    if (!g) {
        close(fd);
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        gzclose(g);
        return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= limit) {
                free(buf);
                gzclose(g);
                return sekit_errf(e, SEKIT_EFORMAT, "%s: larger than %zu MB", path, limit >> 20);
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                gzclose(g);
                return sekit_errf(e, SEKIT_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        int r = gzread(g, buf + n, (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n));
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            sekit_errf(e, SEKIT_EFORMAT, "%s: corrupt compressed data: %s", path, msg);
            free(buf);
            gzclose(g);
            return SEKIT_EFORMAT;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    gzclose(g);
    *out = buf;
    *len = n;
    return SEKIT_OK;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int set_names(struct sekit_ds *ds, int n, const char *const *names, struct sekit_err *e)
{
    ds->nclasses = n;
    ds->class_names = calloc((size_t)n, sizeof *ds->class_names);
    if (!ds->class_names) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int k = 0; k < n; k++) {
        char tmp[32];
        if (!names) snprintf(tmp, sizeof tmp, "%d", k);
        if (!(ds->class_names[k] = strdup(names ? names[k] : tmp)))
            return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    return SEKIT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* IDX (MNIST, Fashion-MNIST) */

/* Finds "<prefix>-<kind>-ubyte" or ".gz" in dir. */
static char *idx_file(const char *dir, const char *prefix, const char *kind)
{
    char name[128];
    snprintf(name, sizeof name, "%s-%s-ubyte.gz", prefix, kind);
    char *p = joinpath(dir, name);
    if (p && is_file(p)) return p;
    free(p);
    snprintf(name, sizeof name, "%s-%s-ubyte", prefix, kind);
    p = joinpath(dir, name);
    if (p && is_file(p)) return p;
    free(p);
    return NULL;
}

static int open_idx(struct sekit_ds *ds, struct sekit_err *e)
{
    const char *prefix = strcmp(ds->split, "train") == 0 ? "train" : "t10k";
    char *ip = idx_file(ds->path, prefix, "images-idx3"),
         *lp = idx_file(ds->path, prefix, "labels-idx1");
    unsigned char *img = NULL, *lab = NULL;
    size_t ni = 0, nl = 0;
    int rc;
    if (!ip || !lp) {
        rc = sekit_errf(e, SEKIT_EIO,
                        "%s: no %s-images-idx3-ubyte[.gz] and %s-labels-idx1-ubyte"
                        "[.gz] for split '%s'",
                        ds->path, prefix, prefix, ds->split);
        goto out;
    }
    if ((rc = read_gz(ip, &img, &ni, (size_t)1 << 32, e))) goto out;
    if ((rc = read_gz(lp, &lab, &nl, (size_t)1 << 28, e))) goto out;
    if (ni < 16 || be32(img) != 0x00000803) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: not an IDX image file (magic %08x, want 00000803)",
                        ip, ni >= 4 ? be32(img) : 0);
        goto out;
    }
    if (nl < 8 || be32(lab) != 0x00000801) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: not an IDX label file (magic %08x, want 00000801)",
                        lp, nl >= 4 ? be32(lab) : 0);
        goto out;
    }
    uint64_t n = be32(img + 4), h = be32(img + 8), w = be32(img + 12);
    if (h < 1 || w < 1 || h > 4096 || w > 4096 || n < 1) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: implausible geometry %llu images of %llux%llu", ip,
                        (unsigned long long)n, (unsigned long long)h, (unsigned long long)w);
        goto out;
    }
    if (ni - 16 != n * h * w) {
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: truncated or padded: %llu images of %llux%llu need "
                        "%llu bytes of pixels, file has %zu",
                        ip, (unsigned long long)n, (unsigned long long)h, (unsigned long long)w,
                        (unsigned long long)(n * h * w), ni - 16);
        goto out;
    }
    if (be32(lab + 4) != n || nl - 8 != n) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %u labels (%zu stored) for %llu images in %s", lp,
                        be32(lab + 4), nl - 8, (unsigned long long)n, ip);
        goto out;
    }
    ds->labels = malloc(n * sizeof *ds->labels);
    if (!ds->labels) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    int maxl = 0;
    for (uint64_t i = 0; i < n; i++) {
        ds->labels[i] = lab[8 + i];
        if (ds->labels[i] > maxl) maxl = ds->labels[i];
    }
    if (maxl > 9) {
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: label %d outside 0..9", lp, maxl);
        goto out;
    }
    ds->count = (int64_t)n;
    ds->c = 1;
    ds->h = (int)h;
    ds->w = (int)w;
    ds->pixels = malloc(n * h * w);
    if (!ds->pixels) {
        rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(ds->pixels, img + 16, n * h * w);
    /* Fashion-MNIST and MNIST share the format; the names of the former are the useful default
     * (the Debian package and sekit's bundled model), digits otherwise. */
    rc = set_names(ds, 10,
                   strstr(ds->path, "mnist") && !strstr(ds->path, "fashion") ? NULL : fashion_names,
                   e);
out:
    free(ip);
    free(lp);
    free(img);
    free(lab);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* CIFAR binary batches */

static int read_lines(const char *path, char ***lines, int *n, struct sekit_err *e)
{
    unsigned char *buf;
    size_t len;
    int rc = read_gz(path, &buf, &len, (size_t)1 << 24, e);
    if (rc) return rc;
    *n = 0;
    *lines = NULL;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '\n')
            j++;
        size_t k = j;
        while (k > i && isspace(buf[k - 1]))
            k--;
        if (k > i) {
            char **nl = realloc(*lines, (size_t)(*n + 1) * sizeof **lines);
            if (!nl) {
                free(buf);
                return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            }
            *lines = nl;
            if (!((*lines)[*n] = strndup((char *)buf + i, k - i))) {
                free(buf);
                return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            }
            ++*n;
        }
        i = j + 1;
    }
    free(buf);
    return SEKIT_OK;
}

static void free_lines(char **l, int n)
{
    for (int i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static int open_cifar(struct sekit_ds *ds, struct sekit_err *e)
{
    int train = strcmp(ds->split, "train") == 0;
    char *names[6] = {0};
    int cifar100 = 0;
    char *probe = joinpath(ds->path, "test_batch.bin");
    if (probe && !is_file(probe)) {
        free(probe);
        probe = joinpath(ds->path, "test.bin");
        cifar100 = probe && is_file(probe);
    }
    free(probe);
    if (cifar100) {
        names[0] = joinpath(ds->path, train ? "train.bin" : "test.bin");
        ds->nfiles = 1;
    } else if (train) {
        for (int i = 0; i < 5; i++) {
            char b[32];
            snprintf(b, sizeof b, "data_batch_%d.bin", i + 1);
            names[i] = joinpath(ds->path, b);
        }
        ds->nfiles = 5;
    } else {
        names[0] = joinpath(ds->path, "test_batch.bin");
        ds->nfiles = 1;
    }
    ds->label_bytes = cifar100 ? 2 : 1;
    const int64_t rec = ds->label_bytes + 3072;
    int rc = SEKIT_OK;
    ds->c = 3;
    ds->h = ds->w = 32;
    int64_t total = 0;
    for (int f = 0; f < ds->nfiles && !rc; f++) {
        struct stat sb;
        if ((ds->fds[f] = sekit_open_regular(names[f], &sb, e)) < 0) {
            rc = SEKIT_EIO;
            break;
        }
        if (sb.st_size == 0 || sb.st_size % rec) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: %lld bytes is not a whole number of %lld-byte "
                            "CIFAR-%d records",
                            names[f], (long long)sb.st_size, (long long)rec, cifar100 ? 100 : 10);
            break;
        }
        ds->file_first[f] = total;
        total += sb.st_size / rec;
    }
    ds->file_first[ds->nfiles] = total;
    if (!rc) {
        ds->count = total;
        ds->labels = malloc((size_t)total * sizeof *ds->labels);
        if (!ds->labels) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    const int maxlabel = cifar100 ? 99 : 9;
    for (int f = 0; f < ds->nfiles && !rc; f++) {
        for (int64_t i = ds->file_first[f]; i < ds->file_first[f + 1] && !rc; i++) {
            unsigned char lb[2];
            if (pread(ds->fds[f], lb, (size_t)ds->label_bytes,
                      (off_t)((i - ds->file_first[f]) * rec)) != ds->label_bytes) {
                rc = sekit_errf(e, SEKIT_EIO, "%s: read error", names[f]);
                break;
            }
            int l = lb[ds->label_bytes - 1];
            if (l > maxlabel)
                rc = sekit_errf(e, SEKIT_EFORMAT, "%s: record %lld has label %d outside 0..%d",
                                names[f], (long long)(i - ds->file_first[f]), l, maxlabel);
            ds->labels[i] = l;
        }
    }
    if (!rc) {
        char *mp = joinpath(ds->path, cifar100 ? "fine_label_names.txt" : "batches.meta.txt");
        char **lines = NULL;
        int nl = 0;
        if (mp && is_file(mp)) rc = read_lines(mp, &lines, &nl, e);
        if (!rc) {
            if (lines && nl != maxlabel + 1)
                rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %d class names for %d classes", mp, nl,
                                maxlabel + 1);
            else
                rc = set_names(ds, maxlabel + 1, (const char *const *)lines, e);
        }
        free_lines(lines, nl);
        free(mp);
    }
    for (int f = 0; f < 6; f++)
        free(names[f]);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* image folders */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int image_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png");
}

/* An entry of a class folder that is not an image: counted (hidden ones apart), and the first by
 * path kept, so that it can be reported rather than skipped in silence. */
static void count_skipped(struct sekit_ds *ds, const char *name, const char *full)
{
    if (name[0] == '.') {
        ds->skipped_hidden += strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
        return;
    }
    ds->skipped++;
    if (full && (!ds->skipped_first || strcmp(full, ds->skipped_first) < 0)) {
        char *keep = strdup(full);
        if (keep) free(ds->skipped_first), ds->skipped_first = keep;
    }
}

/* Lists the entries of dir (sorted) that satisfy want (1: directories, 0: image files); with ds,
 * counts the entries it leaves out (image files only). */
static int list_dir(const char *dir, int want_dirs, char ***out, int *n, struct sekit_ds *ds,
                    struct sekit_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return sekit_errf(e, SEKIT_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    *out = NULL;
    *n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            if (ds) count_skipped(ds, de->d_name, NULL);
            continue;
        }
        char *full = joinpath(dir, de->d_name);
        int keep = full && (want_dirs ? is_dir(full) : (is_file(full) && image_ext(de->d_name)));
        if (!keep && ds) count_skipped(ds, de->d_name, full);
        free(full);
        if (!keep) continue;
        char **nl = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (!nl || !(nl[*n] = strdup(de->d_name))) {
            closedir(d);
            if (nl) *out = nl;
            return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        }
        *out = nl;
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, cmp_str);
    return SEKIT_OK;
}

/* One class folder of a folder set: the model class it holds and the name to show for it. */
struct folder_class {
    char *dir, *name;
    int index;
};

static void free_folder_classes(struct folder_class *fc, int n)
{
    for (int i = 0; fc && i < n; i++)
        free(fc[i].dir), free(fc[i].name);
    free(fc);
}

/* A class index field: digits only, at most 6 of them (below the recording reader's bound on
 * classes, and a cap on the names allocated when no model bounds the index). */
static int parse_index(const char *s, size_t len, int *out)
{
    if (len == 0 || len > 6 || strspn(s, "0123456789") < len) return 0;
    *out = (int)strtol(s, NULL, 10);
    return 1;
}

/* The --class-map file: "folder index [name]" lines, or the older "folder [name]" lines that
 * number the folders 0..n-1 in file order (accepted only when they cover every model class:
 * otherwise which model class a folder holds would be a guess). */
static int read_class_map(const struct sekit_ds *ds, const char *path, int model_classes,
                          struct folder_class **out, int *n, struct sekit_err *e)
{
    char **lines;
    int nl, rc;
    *out = NULL;
    *n = 0;
    if ((rc = read_lines(path, &lines, &nl, e))) return rc;
    if (nl == 0) {
        free_lines(lines, nl);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: empty class mapping", path);
    }
    struct folder_class *fc = calloc((size_t)nl, sizeof *fc);
    if (!fc) {
        free_lines(lines, nl);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    int indexed = -1; /* the format of the first line, which every line must share */
    for (int i = 0; i < nl && !rc; i++) {
        const char *s = lines[i], *sp = s + strcspn(s, " \t"), *f2 = sp;
        while (*f2 == ' ' || *f2 == '\t')
            f2++;
        const size_t l2 = strcspn(f2, " \t");
        const char *rest = f2;
        int idx = i;
        const int has_index = parse_index(f2, l2, &idx);
        if (has_index) {
            for (rest = f2 + l2; *rest == ' ' || *rest == '\t';)
                rest++;
        }
        if (indexed < 0) indexed = has_index;
        fc[i].dir = strndup(s, (size_t)(sp - s));
        fc[i].name = strdup(*rest ? rest : fc[i].dir ? fc[i].dir : "");
        fc[i].index = idx;
        if (!fc[i].dir || !fc[i].name) {
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            break;
        }
        if (has_index != indexed) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: line %d %s a class index but line 1 %s; write every line as "
                            "'folder index [name]'",
                            path, i + 1, has_index ? "has" : "lacks", indexed ? "has" : "does not");
            break;
        }
        if (model_classes && idx >= model_classes) {
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: line %d maps folder '%s' to class %d, but the model has classes "
                            "0..%d",
                            path, i + 1, fc[i].dir, idx, model_classes - 1);
            break;
        }
        for (int j = 0; j < i && !rc; j++) {
            if (strcmp(fc[j].dir, fc[i].dir) == 0)
                rc = sekit_errf(e, SEKIT_EFORMAT, "%s: lines %d and %d both name folder '%s'", path,
                                j + 1, i + 1, fc[i].dir);
            else if (fc[j].index == idx)
                rc = sekit_errf(e, SEKIT_EFORMAT,
                                "%s: lines %d and %d both map to class %d ('%s' and '%s')", path,
                                j + 1, i + 1, idx, fc[j].dir, fc[i].dir);
        }
        /* a map names folders of the set; a path would read images from elsewhere */
        if (!rc && (strchr(fc[i].dir, '/') || !strcmp(fc[i].dir, ".") || !strcmp(fc[i].dir, "..")))
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: line %d names '%s', which is a path, not a folder of %s", path,
                            i + 1, fc[i].dir, ds->path);
        char *full = rc ? NULL : joinpath(ds->path, fc[i].dir);
        if (!rc && !(full && is_dir(full)))
            rc = sekit_errf(e, SEKIT_EIO, "%s: line %d names folder '%s', which is not in %s", path,
                            i + 1, fc[i].dir, ds->path);
        free(full);
    }
    if (!rc && !indexed && model_classes && nl != model_classes)
        rc = sekit_errf(e, SEKIT_EFORMAT,
                        "%s: lines 'folder [name]' number %d folders 0..%d, but the model has %d "
                        "classes; give each folder its model class: 'folder index [name]' "
                        "(e.g. 'n01443537 1 goldfish')",
                        path, nl, nl - 1, model_classes);
    free_lines(lines, nl);
    if (rc) {
        free_folder_classes(fc, nl);
        return rc;
    }
    *out = fc;
    *n = nl;
    return SEKIT_OK;
}

/* The class folders of ds->path without a mapping file: ImageNet synset folders take their
 * ILSVRC2012 class index; other folders are numbered in sorted order, which is only right when
 * they are exactly the model's classes. *imagenet: the folders are synsets. */
static int list_folder_classes(const struct sekit_ds *ds, int model_classes,
                               struct folder_class **out, int *n, int *imagenet,
                               struct sekit_err *e)
{
    char **dirs = NULL;
    int nd = 0, rc;
    *out = NULL;
    *n = 0;
    if ((rc = list_dir(ds->path, 1, &dirs, &nd, NULL, e))) return rc;
    if (nd <= 0) {
        free(dirs);
        return sekit_errf(e, SEKIT_EFORMAT, "%s: no class sub-folders", ds->path);
    }
    int synsets = 0;
    for (int i = 0; i < nd; i++)
        synsets += sekit_imagenet_is_synset(dirs[i]);
    *imagenet = synsets == nd;
    struct folder_class *fc = calloc((size_t)nd, sizeof *fc);
    if (!fc) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int i = 0; i < nd && !rc; i++) {
        fc[i].dir = dirs[i];
        dirs[i] = NULL;
        fc[i].index = *imagenet ? sekit_imagenet_find(fc[i].dir) : i;
        if (fc[i].index < 0)
            rc = sekit_errf(e, SEKIT_EFORMAT,
                            "%s: folder '%s' is a synset id but not one of the 1000 ILSVRC2012 "
                            "classes; give its model class with --class-map (lines "
                            "'folder index [name]')",
                            ds->path, fc[i].dir);
        else if (!(fc[i].name =
                       strdup(*imagenet ? sekit_imagenet_classes[fc[i].index].name : fc[i].dir)))
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    if (!rc && *imagenet && model_classes && model_classes != SEKIT_IMAGENET_CLASSES)
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: the class folders are ImageNet synsets, which name the %d ILSVRC2012 "
                        "classes, but the model has %d classes; give each folder its model class "
                        "with --class-map (lines 'folder index [name]')",
                        ds->path, SEKIT_IMAGENET_CLASSES, model_classes);
    if (!rc && !*imagenet && model_classes && nd != model_classes)
        rc = sekit_errf(e, SEKIT_EINVAL,
                        "%s: %d class folders for a model of %d classes, so which model class "
                        "each holds is unknown; name the folders by ImageNet synset (n01443537, "
                        "...) for an ImageNet model, or map them with --class-map FILE (lines "
                        "'folder index [name]', e.g. 'goldfish 1')",
                        ds->path, nd, model_classes);
    free_lines(dirs, nd);
    if (rc) {
        free_folder_classes(fc, nd);
        return rc;
    }
    *out = fc;
    *n = nd;
    return SEKIT_OK;
}

static int cmp_int(const void *a, const void *b)
{
    const int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static int open_folder(struct sekit_ds *ds, const char *class_map, int model_classes,
                       struct sekit_err *e)
{
    struct folder_class *fc = NULL;
    int nd = 0, imagenet = 0, rc;
    rc = class_map ? read_class_map(ds, class_map, model_classes, &fc, &nd, e)
                   : list_folder_classes(ds, model_classes, &fc, &nd, &imagenet, e);
    if (rc) return rc;
    /* the classes are the model's: those without a folder keep their number as name */
    int K = model_classes ? model_classes : imagenet ? SEKIT_IMAGENET_CLASSES : 0;
    for (int i = 0; i < nd; i++)
        if (fc[i].index >= K) K = fc[i].index + 1;
    rc = set_names(ds, K, NULL, e);
    ds->synsets = rc ? NULL : calloc((size_t)K, sizeof *ds->synsets);
    ds->present = rc ? NULL : malloc(sizeof(int) * (size_t)nd);
    if (!rc && (!ds->synsets || !ds->present)) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int k = 0; k < K && !rc && imagenet; k++) {
        free(ds->class_names[k]);
        ds->class_names[k] = strdup(sekit_imagenet_classes[k].name);
        ds->synsets[k] = strdup(sekit_imagenet_classes[k].synset);
        if (!ds->class_names[k] || !ds->synsets[k])
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nd && !rc; i++) {
        const int k = fc[i].index;
        free(ds->class_names[k]);
        ds->class_names[k] = fc[i].name;
        fc[i].name = NULL;
        /* a mapped synset folder keeps its synset beside the name */
        if (!ds->synsets[k] && sekit_imagenet_is_synset(fc[i].dir) &&
            !(ds->synsets[k] = strdup(fc[i].dir)))
            rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        ds->present[ds->npresent++] = k;
    }
    if (!rc) qsort(ds->present, (size_t)ds->npresent, sizeof *ds->present, cmp_int);
    int64_t cap = 0;
    for (int c = 0; c < nd && !rc; c++) {
        char *sub = joinpath(ds->path, fc[c].dir);
        char **files = NULL;
        int nf = 0;
        rc = sub ? list_dir(sub, 0, &files, &nf, ds, e)
                 : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
        for (int i = 0; i < nf && !rc; i++) {
            if (ds->count == cap) {
                cap = cap ? cap * 2 : 1024;
                char **ni = realloc(ds->items, (size_t)cap * sizeof *ni);
                int *nlb = realloc(ds->labels, (size_t)cap * sizeof *nlb);
                if (ni) ds->items = ni;
                if (nlb) ds->labels = nlb;
                if (!ni || !nlb) rc = sekit_errf(e, SEKIT_ENOMEM, "out of memory");
            }
            if (!rc) {
                ds->items[ds->count] = joinpath(sub, files[i]);
                ds->labels[ds->count++] = fc[c].index;
            }
        }
        free_lines(files, nf);
        free(sub);
    }
    if (!rc && ds->count == 0)
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: no .jpg, .jpeg or .png files in its class folders",
                        ds->path);
    free_folder_classes(fc, nd);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */

int sekit_ds_open(struct sekit_ds **out, const struct sekit_ds_opts *o, struct sekit_err *e)
{
    *out = NULL;
    if (!o->path) return sekit_errf(e, SEKIT_EINVAL, "no dataset path given");
    const char *split = o->split ? o->split : "test";
    if (strcmp(split, "train") && strcmp(split, "test"))
        return sekit_errf(e, SEKIT_EINVAL, "split '%s' is neither train nor test", split);
    if (!is_dir(o->path))
        return sekit_errf(e, SEKIT_EIO, "%s: %s", o->path,
                          access(o->path, F_OK) ? "no such dataset directory" : "not a directory");
    struct sekit_ds *ds = calloc(1, sizeof *ds);
    if (!ds) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (int f = 0; f < 6; f++)
        ds->fds[f] = -1;
    ds->path = strdup(o->path);
    ds->split = strdup(split);
    enum sekit_ds_format fmt = o->format;
    if (fmt == SEKIT_DS_AUTO) {
        char *a = idx_file(o->path, "t10k", "images-idx3"),
             *b = idx_file(o->path, "train", "images-idx3");
        char *c1 = joinpath(o->path, "test_batch.bin"), *c2 = joinpath(o->path, "test.bin"),
             *c3 = joinpath(o->path, "data_batch_1.bin");
        if (a || b)
            fmt = SEKIT_DS_IDX;
        else if (is_file(c1) || is_file(c2) || is_file(c3))
            fmt = SEKIT_DS_CIFAR;
        else
            fmt = SEKIT_DS_FOLDER;
        free(a), free(b), free(c1), free(c2), free(c3);
    }
    ds->format = fmt;
    int rc = !ds->path || !ds->split ? sekit_errf(e, SEKIT_ENOMEM, "out of memory")
             : fmt == SEKIT_DS_IDX   ? open_idx(ds, e)
             : fmt == SEKIT_DS_CIFAR ? open_cifar(ds, e)
                                     : open_folder(ds, o->class_map, o->model_classes, e);
    if (rc) {
        sekit_ds_close(ds);
        return rc;
    }
    *out = ds;
    return SEKIT_OK;
}

void sekit_ds_close(struct sekit_ds *ds)
{
    if (!ds) return;
    for (int f = 0; f < 6; f++)
        if (ds->fds[f] >= 0) close(ds->fds[f]);
    for (int k = 0; ds->class_names && k < ds->nclasses; k++)
        free(ds->class_names[k]);
    free(ds->class_names);
    for (int k = 0; ds->synsets && k < ds->nclasses; k++)
        free(ds->synsets[k]);
    free(ds->synsets);
    free(ds->present);
    for (int64_t i = 0; ds->items && i < ds->count; i++)
        free(ds->items[i]);
    free(ds->items);
    free(ds->skipped_first);
    free(ds->labels);
    free(ds->pixels);
    free(ds->path);
    free(ds->split);
    free(ds);
}

const char *sekit_ds_path(const struct sekit_ds *ds)
{
    return ds->path;
}

int64_t sekit_ds_skipped(const struct sekit_ds *ds, const char **first, int64_t *hidden)
{
    *first = ds->skipped_first;
    *hidden = ds->skipped_hidden;
    return ds->skipped;
}

const char *sekit_ds_format_name(const struct sekit_ds *ds)
{
    return ds->format == SEKIT_DS_IDX ? "idx" : ds->format == SEKIT_DS_CIFAR ? "cifar" : "folder";
}

const char *sekit_ds_split(const struct sekit_ds *ds)
{
    return ds->format == SEKIT_DS_FOLDER ? "folder" : ds->split;
}

int64_t sekit_ds_count(const struct sekit_ds *ds)
{
    return ds->count;
}

int sekit_ds_num_classes(const struct sekit_ds *ds)
{
    return ds->nclasses;
}

const char *sekit_ds_class_name(const struct sekit_ds *ds, int k)
{
    SEKIT_ASSERT(k >= 0 && k < ds->nclasses);
    return ds->class_names[k];
}

const char *sekit_ds_class_synset(const struct sekit_ds *ds, int k)
{
    SEKIT_ASSERT(k >= 0 && k < ds->nclasses);
    return ds->synsets ? ds->synsets[k] : NULL;
}

int sekit_ds_num_present(const struct sekit_ds *ds)
{
    return ds->present ? ds->npresent : ds->nclasses;
}

int sekit_ds_present(const struct sekit_ds *ds, int j)
{
    SEKIT_ASSERT(j >= 0 && j < sekit_ds_num_present(ds));
    return ds->present ? ds->present[j] : j;
}

int sekit_ds_label(const struct sekit_ds *ds, int64_t i)
{
    SEKIT_ASSERT(i >= 0 && i < ds->count);
    return ds->labels[i];
}

const char *sekit_ds_item_path(const struct sekit_ds *ds, int64_t i)
{
    SEKIT_ASSERT(i >= 0 && i < ds->count);
    return ds->items ? ds->items[i] : NULL;
}

void sekit_ds_native(const struct sekit_ds *ds, int *c, int *h, int *w)
{
    *c = ds->c;
    *h = ds->h;
    *w = ds->w;
}

int sekit_ds_out_size(const struct sekit_ds *ds, const struct sekit_preproc *pp)
{
    return pp->crop ? pp->crop : ds->h;
}

/* dst (C, S, S) from interleaved 8-bit pixels src (H, W, sc) at offset (y0, x0), normalised as
 * torchvision's ToTensor and Normalize compute it in float32: v / 255, then (x - mean) / std
 * (a division, not a product with 1 / 255, which rounds differently). */
void sekit_ds_to_chw(float *dst, const unsigned char *src, int sc, int W, int y0, int x0, int S,
                     const struct sekit_preproc *pp)
{
    for (int c = 0; c < pp->channels; c++) {
        int from = sc == 1 ? 0 : pp->bgr ? 2 - c : c;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                float v = src[((size_t)(y + y0) * W + (x + x0)) * sc + from];
                if (!pp->scale255) v = v / 255.0f;
                dst[((size_t)c * S + y) * S + x] = (v - pp->mean[c]) / pp->std[c];
            }
    }
}

/* The offset of a centre crop that leaves d pixels: torchvision's CenterCrop takes
 * int(round(d / 2.0)) with Python's round, half to even (d = 117: 58, not 59). */
int sekit_ds_center_offset(int d)
{
    const int k = d / 2;
    return d % 2 == 0 || k % 2 == 0 ? k : k + 1;
}

/* Pillow's pipeline (image.h): decode, convert('RGB') or ('L'), Resize, CenterCrop. */
static int load_folder(struct sekit_ds *ds, int64_t i, const struct sekit_preproc *pp, float *dst,
                       struct sekit_err *e)
{
    const char *p = ds->items[i];
    struct sekit_image img, rs = {0};
    int rc = sekit_image_load(&img, p, pp->channels, e);
    if (rc) return rc;
    const struct sekit_image *src = &img;
    if (pp->resize) {
        int nw, nh;
        sekit_image_shorter_side(img.w, img.h, pp->resize, &nw, &nh);
        /* Pillow returns a copy when the size does not change */
        if (nw != img.w || nh != img.h) {
            rc = sekit_image_resize(&rs, &img, nw, nh,
                                    pp->bicubic ? SEKIT_FILTER_BICUBIC : SEKIT_FILTER_BILINEAR, p,
                                    e);
            src = &rs;
        }
    }
    const int W = src->w, H = src->h, S = pp->crop ? pp->crop : (W < H ? W : H);
    if (!rc && (W < S || H < S))
        rc = sekit_errf(e, SEKIT_EFORMAT, "%s: %dx%d image is smaller than the %dx%d crop", p, W, H,
                        S, S);
    if (!rc)
        sekit_ds_to_chw(dst, src->pix, src->c, W, sekit_ds_center_offset(H - S),
                        sekit_ds_center_offset(W - S), S, pp);
    sekit_image_free(&img);
    sekit_image_free(&rs);
    return rc;
}

int sekit_ds_load(struct sekit_ds *ds, int64_t i, const struct sekit_preproc *pp, float *dst,
                  struct sekit_err *e)
{
    SEKIT_ASSERT(i >= 0 && i < ds->count);
    SEKIT_ASSERT(pp->channels == 1 || pp->channels == 3);
    if (ds->format == SEKIT_DS_FOLDER) return load_folder(ds, i, pp, dst, e);
    int S = sekit_ds_out_size(ds, pp);
    if (!pp->crop && ds->h != ds->w)
        return sekit_errf(e, SEKIT_EINVAL, "%s: %dx%d images need a square crop (--crop)", ds->path,
                          ds->w, ds->h);
    if (S > ds->h || S > ds->w)
        return sekit_errf(e, SEKIT_EINVAL, "%s: crop %d is larger than the %dx%d images", ds->path,
                          S, ds->h, ds->w);
    const int y0 = sekit_ds_center_offset(ds->h - S), x0 = sekit_ds_center_offset(ds->w - S);
    if (ds->format == SEKIT_DS_IDX) {
        sekit_ds_to_chw(dst, ds->pixels + (size_t)i * ds->h * ds->w, 1, ds->w, y0, x0, S, pp);
        return SEKIT_OK;
    }
    int f = 0;
    while (i >= ds->file_first[f + 1])
        f++;
    unsigned char rec[3074], hwc[3072];
    const int64_t rl = ds->label_bytes + 3072;
    if (pread(ds->fds[f], rec, (size_t)rl, (off_t)((i - ds->file_first[f]) * rl)) != rl)
        return sekit_errf(e, SEKIT_EIO, "%s: read error at record %lld", ds->path, (long long)i);
    /* CIFAR stores planes (R, G, B); interleave so one conversion path serves all formats */
    for (int p = 0; p < 1024; p++)
        for (int c = 0; c < 3; c++)
            hwc[p * 3 + c] = rec[ds->label_bytes + c * 1024 + p];
    if (pp->channels == 1)
        return sekit_errf(e, SEKIT_EINVAL, "%s: a 1-channel model cannot take colour CIFAR images",
                          ds->path);
    sekit_ds_to_chw(dst, hwc, 3, 32, y0, x0, S, pp);
    return SEKIT_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* class subsets */

/* "goldfish (n01443537), pug (n02110958)": the classes with images, for messages. */
static const char *present_list(const struct sekit_ds *ds, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    const int n = sekit_ds_num_present(ds);
    for (int j = 0; j < n; j++) {
        const int k = sekit_ds_present(ds, j);
        const char *syn = sekit_ds_class_synset(ds, k);
        char item[192];
        snprintf(item, sizeof item, "%s%s%s%s%s", j ? ", " : "", ds->class_names[k],
                 syn ? " (" : "", syn ? syn : "", syn ? ")" : "");
        if (used + strlen(item) + 6 > size) {
            snprintf(buf + used, size - used, ", ...");
            break;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s", item);
    }
    return buf;
}

/* The class a token names: a class name (refused when two classes share it), an ImageNet
 * synset, or an index; -1 (with the error set) when none or ambiguous. */
static int find_class(const struct sekit_ds *ds, const char *tok, struct sekit_err *e)
{
    int k = -1, hits = 0;
    for (int j = 0; j < ds->nclasses; j++)
        if (strcasecmp(tok, ds->class_names[j]) == 0) {
            if (hits++ == 0) k = j;
        }
    if (hits > 1) {
        char alts[512];
        size_t used = 0;
        alts[0] = 0;
        for (int j = 0; j < ds->nclasses && used + 48 < sizeof alts; j++)
            if (strcasecmp(tok, ds->class_names[j]) == 0) {
                const char *syn = sekit_ds_class_synset(ds, j);
                used += (size_t)snprintf(alts + used, sizeof alts - used, "%s%s%s%d",
                                         used ? ", " : "", syn ? syn : "", syn ? " = " : "", j);
            }
        sekit_errf(e, SEKIT_EINVAL,
                   "%s: class name '%.64s' is ambiguous: %d classes bear it (%s); "
                   "give the synset or index instead",
                   ds->path, tok, hits, alts);
        return -1;
    }
    for (int j = 0; k < 0 && ds->synsets && j < ds->nclasses; j++)
        if (ds->synsets[j] && strcasecmp(tok, ds->synsets[j]) == 0) k = j;
    if (k < 0) {
        char *end;
        long v = strtol(tok, &end, 10);
        if (*tok && !*end && v >= 0 && v < ds->nclasses) k = (int)v;
    }
    char list[1024];
    if (k < 0) {
        sekit_errf(e, SEKIT_EINVAL, "%s: no class '%.64s' (classes: %s)", ds->path, tok,
                   present_list(ds, list, sizeof list));
        return -1;
    }
    for (int j = 0; j < sekit_ds_num_present(ds); j++)
        if (sekit_ds_present(ds, j) == k) return k;
    sekit_errf(e, SEKIT_EINVAL, "%s: class '%.64s' (index %d) has no folder here (classes: %s)",
               ds->path, tok, k, present_list(ds, list, sizeof list));
    return -1;
}

int sekit_ds_parse_classes(const struct sekit_ds *ds, const char *spec, int **classes, int *n,
                           struct sekit_err *e)
{
    *classes = NULL;
    *n = 0;
    const int np = sekit_ds_num_present(ds);
    int *out = malloc(sizeof(int) * (size_t)np);
    if (!out) return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    if (!spec || strcmp(spec, "all") == 0) {
        for (int j = 0; j < np; j++)
            out[j] = sekit_ds_present(ds, j);
        *classes = out;
        *n = np;
        return SEKIT_OK;
    }
    char *copy = strdup(spec), *save = NULL;
    int cnt = 0, rc = copy ? SEKIT_OK : sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        const int k = find_class(ds, tok, e);
        if (k < 0) {
            rc = SEKIT_EINVAL;
            break;
        }
        for (int j = 0; j < cnt; j++)
            if (out[j] == k) {
                rc = sekit_errf(e, SEKIT_EINVAL, "class '%s' is listed twice", tok);
                break;
            }
        if (!rc) out[cnt++] = k;
    }
    free(copy);
    if (!rc && cnt == 0) rc = sekit_errf(e, SEKIT_EINVAL, "empty class list '%s'", spec);
    if (rc) {
        free(out);
        return rc;
    }
    *classes = out;
    *n = cnt;
    return SEKIT_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int sekit_ds_select(const struct sekit_ds *ds, const int *classes, int n, int64_t per_class,
                    uint64_t seed, int64_t **idx, int64_t *count, struct sekit_err *e)
{
    *idx = NULL;
    *count = 0;
    int64_t *members = malloc(sizeof(int64_t) * (size_t)(ds->count + 1));
    int64_t *out = malloc(sizeof(int64_t) * (size_t)(ds->count + 1));
    if (!members || !out) {
        free(members);
        free(out);
        return sekit_errf(e, SEKIT_ENOMEM, "out of memory");
    }
    int64_t total = 0;
    for (int j = 0; j < n; j++) {
        int64_t m = 0;
        for (int64_t i = 0; i < ds->count; i++)
            if (ds->labels[i] == classes[j]) members[m++] = i;
        int64_t take = per_class ? per_class : m;
        if (m < take) {
            free(members);
            free(out);
            return sekit_errf(e, SEKIT_EINVAL,
                              "%s: class '%s' has %lld images in split '%s', %lld asked for",
                              ds->path, ds->class_names[classes[j]], (long long)m,
                              sekit_ds_split(ds), (long long)take);
        }
        if (seed) {
            /* partial Fisher-Yates with a seeded splitmix64, then back to dataset order */
            uint64_t s = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(classes[j] + 1));
            for (int64_t i = 0; i < take; i++) {
                uint64_t z = (s += 0x9e3779b97f4a7c15ull);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
                z ^= z >> 31;
                int64_t r = i + (int64_t)(z % (uint64_t)(m - i));
                int64_t t = members[i];
                members[i] = members[r];
                members[r] = t;
            }
            qsort(members, (size_t)take, sizeof *members, cmp_i64);
        }
        memcpy(out + total, members, sizeof(int64_t) * (size_t)take);
        total += take;
    }
    free(members);
    *idx = out;
    *count = total;
    return SEKIT_OK;
}
