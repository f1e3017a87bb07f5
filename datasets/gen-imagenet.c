/*
 * gen-imagenet.c -- turns datasets/imagenet-classes.tsv into the C table of imagenet.h. A build
 * tool (meson runs it natively): it refuses a TSV that is not exactly the 1000 classes in model
 * order, so a hand edit that breaks the table fails the build instead of mislabelling images.
 *   gen-imagenet IN.tsv OUT.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 1000

static int fail(const char *path, int line, const char *what)
{
    fprintf(stderr, "%s:%d: %s\n", path, line, what);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen-imagenet IN.tsv OUT.c\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    static char syn[N][16], name[N][128];
    static int dev[N], seen[N + 1];
    char buf[512];
    int line = 0, rows = 0, header = 0;
    while (fgets(buf, sizeof buf, in)) {
        line++;
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n')
            return fail(argv[1], line, "line too long or unterminated");
        buf[--len] = 0;
        if (buf[0] == '#') continue;
        if (!header) {
            if (strcmp(buf, "index\tsynset\tdevkit_id\tname"))
                return fail(argv[1], line, "want the header index, synset, devkit_id, name");
            header = 1;
            continue;
        }
        int idx, id, off = 0;
        char s[16];
        if (rows == N) return fail(argv[1], line, "more than 1000 classes");
        if (sscanf(buf, "%d\t%15[^\t]\t%d\t%n", &idx, s, &id, &off) != 3 || !off)
            return fail(argv[1], line, "want index <TAB> synset <TAB> devkit_id <TAB> name");
        const char *nm = buf + off;
        if (idx != rows) return fail(argv[1], line, "index out of sequence");
        if (strlen(s) != 9 || s[0] != 'n' || strspn(s + 1, "0123456789") != 8)
            return fail(argv[1], line, "not a synset");
        if (rows && strcmp(syn[rows - 1], s) >= 0)
            return fail(argv[1], line, "synsets not in sorted order");
        if (id < 1 || id > N || seen[id]++)
            return fail(argv[1], line, "devkit_id outside 1..1000 or repeated");
        if (!*nm || strlen(nm) >= sizeof name[0])
            return fail(argv[1], line, "empty or overlong name");
        for (const char *c = nm; *c; c++)
            if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\' || *c == '\t')
                return fail(argv[1], line, "name holds a character the C table cannot take as is");
        strcpy(syn[rows], s);
        strcpy(name[rows], nm);
        dev[rows++] = id;
    }
    fclose(in);
    if (rows != N) return fail(argv[1], line, "fewer than 1000 classes");
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 1;
    }
    fprintf(
        out,
        "/* Generated from datasets/imagenet-classes.tsv by gen-imagenet.c; do not edit. */\n"
        "#include \"imagenet.h\"\n\n"
        "const struct sekit_imagenet_class sekit_imagenet_classes[SEKIT_IMAGENET_CLASSES] = {\n");
    for (int k = 0; k < N; k++)
        fprintf(out, "    {\"%s\", %d, \"%s\"},\n", syn[k], dev[k], name[k]);
    fprintf(out, "};\n");
    if (fclose(out)) {
        perror(argv[2]);
        remove(argv[2]);
        return 1;
    }
    return 0;
}
