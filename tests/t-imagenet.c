/*
 * t-imagenet.c -- ImageNet class subsets of a 1000-class model: the built-in class table
 * against datasets/imagenet-classes.tsv, synset folders labelled with the model's class indices
 * through record and eval (read back from the recording), --class-map with indices, and the
 * refusals (plain folders without a mapping, old-format maps that do not cover the model,
 * unknown synsets, ambiguous names). Images are written with libpng; the 1000-class model is the
 * bundled one with its classifier widened to 1000 outputs.
 */
#include "../analysis/analysis.h"
#include "../datasets/imagenet.h"
#include "../datasets/pipeline.h"
#include "../jobs/jobs.h"
#include "fixture.h"
#include "tap.h"

#include <hdf5.h>
#include <jansson.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char model10[700], model1000[800];

/* Every row of the TSV is the table's entry of that index. */
static void table(void)
{
    char p[700];
    snprintf(p, sizeof p, "%s/datasets/imagenet-classes.tsv", tap_srcdir());
    FILE *f = fopen(p, "r");
    if (!ok(f != NULL, "%s opens", p)) return;
    char line[512];
    int rows = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || strncmp(line, "index\t", 6) == 0) continue;
        int idx, id, off = 0;
        char syn[16];
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "%d\t%15[^\t]\t%d\t%n", &idx, syn, &id, &off) != 3 || !off ||
            idx != rows || idx >= SEKIT_IMAGENET_CLASSES ||
            strcmp(syn, sekit_imagenet_classes[idx].synset) ||
            id != sekit_imagenet_classes[idx].devkit_id ||
            strcmp(line + off, sekit_imagenet_classes[idx].name)) {
            if (!bad++) diag("TSV row %d: '%s' vs table", rows, line);
        }
        rows++;
    }
    fclose(f);
    is_int(rows, 1000, "the TSV has 1000 classes");
    is_int(bad, 0, "every TSV row matches the built-in table");
    const struct {
        int k;
        const char *syn, *name;
    } want[] = {{0, "n01440764", "tench"},   {1, "n01443537", "goldfish"},
                {254, "n02110958", "pug"},   {404, "n02690373", "airliner"},
                {972, "n09246464", "cliff"}, {999, "n15075141", "toilet tissue"},
                {134, "n02012849", "crane"}, {517, "n03126707", "crane"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        is_str(sekit_imagenet_classes[want[i].k].synset, want[i].syn, "class %d synset", want[i].k);
        is_str(sekit_imagenet_classes[want[i].k].name, want[i].name, "class %d name", want[i].k);
        is_int(sekit_imagenet_find(want[i].syn), want[i].k, "%s is found at %d", want[i].syn,
               want[i].k);
    }
    is_int(sekit_imagenet_classes[sekit_imagenet_find("n02119789")].devkit_id, 1,
           "devkit ID 1 is n02119789 (kit fox)");
    is_int(sekit_imagenet_find("n01440763"), -1, "a synset outside the 1000 is not found");
    ok(sekit_imagenet_is_synset("n01443537") && !sekit_imagenet_is_synset("n0144353") &&
           !sekit_imagenet_is_synset("n014435370") && !sekit_imagenet_is_synset("x01443537") &&
           !sekit_imagenet_is_synset("n0144353a"),
       "synset ids are 'n' and exactly 8 digits");
}

/* The bundled model with fc widened to 1000 classes (seeded values) and no class_names in its
 * metadata: a small network with an ImageNet-sized classifier. */
static int widen_model(void)
{
    snprintf(model10, sizeof model10, "%s/models/fashion_mnist_seresnet_basic6.safetensors",
             tap_srcdir());
    snprintf(model1000, sizeof model1000, "%s/m1000.safetensors", tap_tmpdir());
    size_t n;
    unsigned char *buf = fixture_slurp(model10, &n);
    const uint64_t hl = fixture_st_header_len(buf, n);
    int good = hl > 0;
    json_t *h = good ? json_loadb((char *)buf + 8, hl, 0, NULL) : NULL, *out = json_object();
    const unsigned char *data = buf + 8 + hl;
    size_t cap = (size_t)n + 1000 * 97 * 4, used = 0;
    unsigned char *nd = malloc(cap);
    const char *key;
    json_t *v;
    uint64_t s = 12345;
    json_object_foreach(h, key, v)
    {
        if (strcmp(key, "__metadata__") == 0) {
            json_t *meta = json_deep_copy(v);
            json_object_del(meta, "class_names");
            json_object_set_new(out, key, meta);
            continue;
        }
        json_t *off = json_object_get(v, "data_offsets");
        size_t a = (size_t)json_integer_value(json_array_get(off, 0)),
               b = (size_t)json_integer_value(json_array_get(off, 1)), len = b - a;
        json_t *t = json_deep_copy(v);
        if (strcmp(key, "fc.weight") == 0 || strcmp(key, "fc.bias") == 0) {
            const int w = strcmp(key, "fc.weight") == 0;
            const size_t cols = w ? len / 4 / 10 : 1;
            len = 1000 * cols * 4;
            json_array_set_new(json_object_get(t, "shape"), 0, json_integer(1000));
            for (size_t i = 0; i < 1000 * cols; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                float x = ((float)(s >> 40) / (float)(1 << 24) - 0.5f) * 0.2f;
                memcpy(nd + used + i * 4, &x, 4);
            }
        } else {
            memcpy(nd + used, data + a, len);
        }
        json_t *no = json_array();
        json_array_append_new(no, json_integer((json_int_t)used));
        json_array_append_new(no, json_integer((json_int_t)(used + len)));
        json_object_set_new(t, "data_offsets", no);
        json_object_set_new(out, key, t);
        used += len;
    }
    char *hs = json_dumps(out, JSON_COMPACT);
    good = good && h && hs && fixture_write_st(model1000, hs, nd, used);
    free(hs), free(nd), free(buf);
    json_decref(h), json_decref(out);
    return good;
}

/* A w x h 8-bit gray PNG whose pixels depend on seed. */
static int write_png(const char *path, int w, int h, int seed)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w);
    int good = png && info && row;
    if (good && setjmp(png_jmpbuf(png))) good = 0;
    if (good) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                row[x] = (unsigned char)((x * 7 + y * 3 + seed * 50) & 255);
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(f) == 0 && good;
}

/* dir/<name>/ with two PNGs for each name; returns dir (valid for the next 7 calls). */
static const char *image_set(const char *dir, const char *const *names, int n)
{
    static char roots[8][700];
    static int next;
    char *root = roots[next++ % 8];
    snprintf(root, 700, "%s/%s", tap_tmpdir(), dir);
    mkdir(root, 0755);
    int good = 1;
    for (int i = 0; i < n; i++) {
        char p[900];
        snprintf(p, sizeof p, "%s/%s", root, names[i]);
        mkdir(p, 0755);
        for (int j = 0; j < 2; j++) {
            snprintf(p, sizeof p, "%s/%s/img%d.png", root, names[i], j);
            good &= write_png(p, 36, 32, i * 2 + j);
        }
    }
    ok(good, "%s: %d class folders of 2 PNGs written", dir, n);
    return root;
}

static const char *write_map(const char *name, const char *text)
{
    static char p[700];
    snprintf(p, sizeof p, "%s/%s", tap_tmpdir(), name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static int open_pipe(struct sekit_pipeline *p, const char *model, const char *data, const char *map,
                     struct sekit_err *e)
{
    struct sekit_pipeline_opts o;
    sekit_pipeline_defaults(&o, model);
    o.data = data;
    o.class_map = map;
    o.pp.resize = 32;
    o.pp.crop = 28;
    o.batch = 4;
    o.threads = 1;
    return sekit_pipeline_open(p, &o, e);
}

/* The failure of opening data with model and map: status and message. */
static void refused(const char *what, const char *model, const char *data, const char *map,
                    const char *const *needles)
{
    struct sekit_pipeline p;
    struct sekit_err e = {0};
    const int rc = open_pipe(&p, model, data, map, &e);
    int good = rc != SEKIT_OK && !strchr(e.msg, '\n');
    for (int i = 0; needles[i]; i++)
        good &= strstr(e.msg, needles[i]) != NULL;
    if (!ok(good, "%s is refused: %s", what, e.msg)) {
        diag("got status %d: %s", rc, e.msg);
        for (int i = 0; needles[i]; i++)
            diag("want: %s", needles[i]);
    }
    if (rc == SEKIT_OK) sekit_pipeline_close(&p);
}

static const char *const synsets[] = {"n01443537", "n02110958", "n02690373"};

static void synset_folders(void)
{
    const char *data = image_set("imagenet3", synsets, 3);
    struct sekit_pipeline p;
    struct sekit_err e = {0};
    if (!ok(open_pipe(&p, model1000, data, NULL, &e) == SEKIT_OK,
            "synset folders open with a 1000-class model")) {
        diag("%s", e.msg);
        return;
    }
    is_int(sekit_ds_num_classes(p.ds), 1000, "the dataset has the model's 1000 classes");
    is_int(sekit_ds_num_present(p.ds), 3, "3 of them have images");
    is_str(sekit_ds_class_name(p.ds, 0), "tench", "classes without a folder keep ImageNet names");

    is_int(sekit_pipeline_select(&p, "goldfish,pug", 0, 0, &e), SEKIT_OK, "--classes goldfish,pug");
    ok(p.nclasses == 2 && p.classes[0] == 1 && p.classes[1] == 254 && p.n == 4,
       "goldfish,pug select classes 1, 254 and 4 images (got %d classes, %d, %d, %lld images)",
       p.nclasses, p.nclasses > 0 ? p.classes[0] : -1, p.nclasses > 1 ? p.classes[1] : -1,
       (long long)p.n);
    is_int(sekit_pipeline_select(&p, "n02690373,N01443537", 0, 0, &e), SEKIT_OK,
           "--classes by synset (any case)");
    ok(p.nclasses == 2 && p.classes[0] == 404 && p.classes[1] == 1,
       "synsets select 404, 1 (got %d, %d)", p.nclasses > 0 ? p.classes[0] : -1,
       p.nclasses > 1 ? p.classes[1] : -1);
    ok(sekit_pipeline_select(&p, "crane", 0, 0, &e) == SEKIT_EINVAL && strstr(e.msg, "ambiguous") &&
           strstr(e.msg, "n02012849 = 134") && strstr(e.msg, "n03126707 = 517"),
       "an ambiguous name is refused with both synsets: %s", e.msg);
    ok(sekit_pipeline_select(&p, "tench", 0, 0, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "has no folder") && strstr(e.msg, "goldfish (n01443537)"),
       "a class without a folder is refused, the present ones listed: %s", e.msg);
    ok(sekit_pipeline_select(&p, "goldfsh", 0, 0, &e) == SEKIT_EINVAL &&
           strstr(e.msg, "no class 'goldfsh'") && strstr(e.msg, "airliner (n02690373)"),
       "an unknown name is refused: %s", e.msg);

    if (!is_int(sekit_pipeline_select(&p, "all", 0, 0, &e), SEKIT_OK, "--classes all"))
        diag("%s", e.msg);
    ok(p.nclasses == 3 && p.n == 6, "all: the 3 classes with images, 6 images (got %d, %lld)",
       p.nclasses, (long long)p.n);
    struct sekit_eval_result r;
    if (ok(sekit_job_eval(&p, &r, NULL, &e) == SEKIT_OK, "eval runs")) {
        ok(r.K == 1000 && r.images == 6 && r.n[1] == 2 && r.n[254] == 2 && r.n[404] == 2 &&
               r.n[0] == 0 && r.n[2] == 0,
           "eval counts 2 images each under classes 1, 254, 404 (got K %d, %lld images, %lld %lld "
           "%lld)",
           r.K, (long long)r.images, (long long)r.n[1], (long long)r.n[254], (long long)r.n[404]);
        sekit_eval_result_free(&r);
    } else {
        diag("%s", e.msg);
    }
    char out[700];
    snprintf(out, sizeof out, "%s/imagenet3.h5", tap_tmpdir());
    struct sekit_record_job j = {.out = out, .force = 1};
    if (!ok(sekit_job_record(&p, &j, NULL, &e) == SEKIT_OK, "record runs")) diag("%s", e.msg);
    sekit_pipeline_close(&p);

    struct sekit_recording *rec = NULL;
    if (!ok(sekit_recording_open(&rec, out, &e) == SEKIT_OK, "the recording reads back")) {
        diag("%s", e.msg);
        return;
    }
    is_int(rec->num_classes, 1000, "recording: 1000 model classes");
    int lab_ok = rec->n == 6;
    for (int64_t i = 0; i < rec->n; i++)
        lab_ok &= rec->labels[i] == (i < 2 ? 1 : i < 4 ? 254 : 404);
    ok(lab_ok, "recording: labels 1, 1, 254, 254, 404, 404 (got n %lld, first %d, last %d)",
       (long long)rec->n, rec->labels[0], rec->labels[rec->n - 1]);
    ok(rec->nsel == 3 && rec->sel_classes[0] == 1 && rec->sel_classes[1] == 254 &&
           rec->sel_classes[2] == 404,
       "recording: class_indices 1, 254, 404");
    is_str(rec->class_names[1], "goldfish", "class_names[1]");
    is_str(rec->class_names[254], "pug", "class_names[254]");
    is_str(rec->class_names[404], "airliner", "class_names[404]");
    is_str(rec->class_names[972], "cliff", "class_names[972] (no folder): its ImageNet name");
    if (ok(rec->class_synsets != NULL, "recording: class_synsets present")) {
        is_str(rec->class_synsets[254], "n02110958", "class_synsets[254]");
        is_str(rec->class_synsets[0], "n01440764", "class_synsets[0]");
    }
    is_int(sekit_recording_class(rec, "n02690373"), 404, "recording lookup by synset");
    is_int(sekit_recording_class(rec, "pug"), 254, "recording lookup by name");
    sekit_recording_close(rec);

    /* hostile: a class_synsets of the wrong length is refused, naming it */
    char bad[800];
    snprintf(bad, sizeof bad, "%s/bad-synsets.h5", tap_tmpdir());
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", out, bad);
    hid_t f = system(cmd) == 0 ? H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
    if (f >= 0) {
        H5Ldelete(f, "class_synsets", H5P_DEFAULT);
        const char *three[3] = {"n01443537", "n02110958", "n02690373"};
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        hsize_t d3 = 3;
        hid_t sp = H5Screate_simple(1, &d3, NULL);
        hid_t d = H5Dcreate2(f, "class_synsets", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, three);
        H5Dclose(d), H5Sclose(sp), H5Tclose(t), H5Fclose(f);
    }
    ok(sekit_recording_open(&rec, bad, &e) == SEKIT_EFORMAT && strstr(e.msg, "class_synsets") &&
           strstr(e.msg, "bad-synsets.h5"),
       "a class_synsets of 3 entries for 1000 classes is refused: %s", e.msg);
    sekit_recording_close(rec);

    struct sekit_stats_file *st = NULL;
    if (ok(sekit_stats_load(&st, out, &e) == SEKIT_OK, "statistics of the recording")) {
        is_int(sekit_stats_row(st, "pug"), 1, "figure row of pug");
        is_int(sekit_stats_row(st, "n02690373"), 2, "figure row of n02690373");
        is_int(sekit_stats_row(st, "tench"), -1, "tench was not recorded");
        sekit_stats_file_free(st);
    } else {
        diag("%s", e.msg);
    }
}

/* reproduce on the synset folders: the report and the figures' statistics name the ImageNet
 * classes by themselves. */
static void reproduce(void)
{
    struct sekit_pipeline_opts o;
    sekit_pipeline_defaults(&o, model1000);
    o.data = image_set("imagenet3r", synsets, 3);
    o.pp.resize = 32;
    o.pp.crop = 28;
    o.batch = 4;
    o.threads = 1;
    char dir[700], path[800];
    snprintf(dir, sizeof dir, "%s/repro", tap_tmpdir());
    struct sekit_reproduce_job j = {.dir = dir,
                                    .classes = "goldfish,n02110958,airliner",
                                    .pair = "goldfish,airliner",
                                    .modes = SEKIT_MODES_REMOVE};
    struct sekit_err e = {0};
    if (!ok(sekit_job_reproduce(&o, &j, NULL, &e) == SEKIT_OK,
            "reproduce runs on synset folders")) {
        diag("%s", e.msg);
        return;
    }
    snprintf(path, sizeof path, "%s/report.md", dir);
    FILE *f = fopen(path, "r");
    char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    ok(strstr(buf, "3 classes") && strstr(buf, "goldfish,n02110958,airliner"),
       "the report names the data's 3 classes and the figure's classes");
    snprintf(path, sizeof path, "%s/classes.stats.h5", dir);
    struct sekit_stats_file *st = NULL;
    if (ok(sekit_stats_load(&st, path, &e) == SEKIT_OK, "the figures' statistics read back")) {
        ok(st->nsel == 3 && st->sel_classes[0] == 1 && st->sel_classes[1] == 254 &&
               st->sel_classes[2] == 404 && strcmp(st->class_names[254], "pug") == 0 &&
               st->class_synsets && strcmp(st->class_synsets[404], "n02690373") == 0,
           "statistics rows are classes 1, 254, 404 with ImageNet names and synsets");
        sekit_stats_file_free(st);
    } else {
        diag("%s", e.msg);
    }
}

static void class_maps(void)
{
    static const char *const plain[] = {"dog", "fish", "plane"};
    const char *data = image_set("plain3", plain, 3);
    refused("3 plain folders for a 1000-class model without a mapping", model1000, data, NULL,
            (const char *const[]){"3 class folders for a model of 1000 classes", "--class-map",
                                  "synset", NULL});
    refused("an old-format map of 3 folders for 1000 classes", model1000, data,
            write_map("old.map", "fish goldfish\ndog\nplane\n"),
            (const char *const[]){"old.map", "the model has 1000 classes", "'folder index [name]'",
                                  NULL});
    refused("a map mixing both formats", model1000, data,
            write_map("mixed.map", "fish 1 goldfish\ndog pug\n"),
            (const char *const[]){"mixed.map: line 2 lacks a class index", NULL});
    refused("a map index beyond the model", model1000, data, write_map("big.map", "fish 1000\n"),
            (const char *const[]){"maps folder 'fish' to class 1000", "0..999", NULL});
    refused("a map naming a path outside the set", model1000, data,
            write_map("path.map", "fish 1\n../plain3 2\n"),
            (const char *const[]){"line 2 names '../plain3', which is a path", NULL});
    refused("two folders mapped to one class", model1000, data,
            write_map("dup.map", "fish 1\ndog 1\n"),
            (const char *const[]){"both map to class 1", NULL});
    refused("synset folders with a 10-class model", model10, image_set("imagenet3b", synsets, 3),
            NULL, (const char *const[]){"ImageNet synsets", "the model has 10 classes", NULL});
    static const char *const unknown[] = {"n01443537", "n00000042"};
    refused("a synset folder outside the 1000 classes", model1000,
            image_set("unknown-synset", unknown, 2), NULL,
            (const char *const[]){"'n00000042' is a synset id but not one of the 1000", NULL});

    struct sekit_pipeline p;
    struct sekit_err e = {0};
    const char *map = write_map("idx.map", "fish 1 goldfish\ndog 254\nplane\t404  airliner jet\n");
    if (!ok(open_pipe(&p, model1000, data, map, &e) == SEKIT_OK, "a map with indices opens")) {
        diag("%s", e.msg);
        return;
    }
    is_str(sekit_ds_class_name(p.ds, 1), "goldfish", "mapped name");
    is_str(sekit_ds_class_name(p.ds, 254), "dog", "no name: the folder's");
    is_str(sekit_ds_class_name(p.ds, 404), "airliner jet", "names may hold spaces");
    is_str(sekit_ds_class_name(p.ds, 7), "7", "unmapped classes are numbered");
    ok(sekit_ds_class_synset(p.ds, 1) == NULL, "plain folders have no synset");
    ok(sekit_pipeline_class_synsets(&p) == NULL, "no synsets known: none recorded");
    is_int(sekit_pipeline_select(&p, "goldfish,254", 0, 0, &e), SEKIT_OK,
           "select by name and index");
    ok(p.nclasses == 2 && p.classes[0] == 1 && p.classes[1] == 254 && p.n == 4,
       "goldfish,254 -> classes 1, 254, 4 images");
    int lab = 1;
    for (int64_t i = 0; i < p.n; i++)
        lab &= sekit_ds_label(p.ds, p.idx[i]) == (i < 2 ? 1 : 254);
    ok(lab, "labels are the mapped model indices");
    sekit_pipeline_close(&p);

    /* the old format still works when it covers the model's classes */
    static const char *const ten[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"};
    const char *d10 = image_set("ten", ten, 10);
    map = write_map("old10.map", "c9 Ankle boot\nc8\nc7\nc6\nc5\nc4\nc3\nc2\nc1\nc0 T-shirt\n");
    if (ok(open_pipe(&p, model10, d10, map, &e) == SEKIT_OK,
           "an old-format map covering all 10 classes opens")) {
        is_str(sekit_ds_class_name(p.ds, 0), "Ankle boot", "line 1 is class 0");
        is_str(sekit_ds_class_name(p.ds, 9), "T-shirt", "line 10 is class 9");
        sekit_pipeline_close(&p);
    } else {
        diag("%s", e.msg);
    }
}

int main(void)
{
    table();
    if (ok(widen_model(), "a 1000-class copy of the bundled model written")) {
        synset_folders();
        reproduce();
        class_maps();
    }
    return tap_done();
}
