/*
 * paths.c -- where the bundled models are (sekit.h: sekit_default_model_path).
 *
 * An installed sekit must not depend on the checkout it was built from, and an installed tree
 * may be moved (a DESTDIR staging tree, a relocated prefix). So the file is looked for relative
 * to the object that holds this code -- the sekit binary in <prefix>/<bindir>, or libsekit in
 * <prefix>/<libdir> -- under <prefix>/<datadir>/sekit/models, then under the configured
 * datadir. Only a binary or library that still lives in its build tree takes the source tree's
 * models/, so tests and development runs see the models they were built with.
 */
#include "sekit.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char model_path[PATH_MAX + 64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* 1 when dir is root or lies under it. */
static int under(const char *dir, const char *root)
{
    const size_t n = strlen(root);
    return strncmp(dir, root, n) == 0 && (dir[n] == 0 || dir[n] == '/');
}

/* The prefix of an object installed in directory dir when dir is <prefix>/<rel> (rel relative
 * to the prefix, as meson's bindir and libdir normally are); 0 when it is not. */
static int strip_suffix(char *prefix, size_t size, const char *dir, const char *rel)
{
    const size_t nd = strlen(dir), nr = strlen(rel);
    if (rel[0] == '/' || nr + 1 > nd || strcmp(dir + nd - nr, rel) != 0 || dir[nd - nr - 1] != '/')
        return 0;
    if (nd - nr >= size) return 0;
    memcpy(prefix, dir, nd - nr - 1);
    prefix[nd - nr - 1] = 0;
    return 1;
}

/* The directory of the file at path (resolved), into dir; 0 when it cannot be resolved. */
static int object_dir(char *dir, const char *path)
{
    char real[PATH_MAX];
    if (!path || !strchr(path, '/') || !realpath(path, real)) return 0;
    char *slash = strrchr(real, '/');
    *slash = 0;
    snprintf(dir, PATH_MAX, "%s", slash == real ? "/" : real);
    return 1;
}

static int try_prefix(const char *dir)
{
    static const char *const rels[] = {SEKIT_BINDIR, SEKIT_LIBDIR};
    for (size_t r = 0; r < sizeof rels / sizeof *rels; r++) {
        char prefix[PATH_MAX];
        if (!strip_suffix(prefix, sizeof prefix, dir, rels[r])) continue;
        snprintf(model_path, sizeof model_path, "%s/%s/sekit/models/%s", prefix, SEKIT_DATADIR,
                 SEKIT_DEFAULT_MODEL_NAME);
        if (access(model_path, R_OK) == 0) return 1;
    }
    return 0;
}

static void find_default(void)
{
    /* the object holding this function: libsekit.so, or the executable it is linked into,
     * whose dladdr name is argv[0] (resolvable only when it has a slash; /proc/self/exe is) */
    char dir[PATH_MAX];
    Dl_info info;
    const int found = (dladdr((void *)find_default, &info) && object_dir(dir, info.dli_fname)) ||
                      object_dir(dir, "/proc/self/exe");
    /* the build root as the object's directory is spelt: resolved, symbolic links and all */
    char root[PATH_MAX];
    if (!realpath(SEKIT_BUILD_ROOT, root)) snprintf(root, sizeof root, "%s", SEKIT_BUILD_ROOT);
    if (found && under(dir, root)) {
        snprintf(model_path, sizeof model_path, "%s/models/%s", SEKIT_SOURCE_ROOT,
                 SEKIT_DEFAULT_MODEL_NAME);
        return;
    }
    if (found && try_prefix(dir)) return;
    /* the configured place, whether or not it exists: a message then names where it should be */
    if (SEKIT_DATADIR[0] == '/')
        snprintf(model_path, sizeof model_path, "%s/sekit/models/%s", SEKIT_DATADIR,
                 SEKIT_DEFAULT_MODEL_NAME);
    else
        snprintf(model_path, sizeof model_path, "%s/%s/sekit/models/%s", SEKIT_PREFIX,
                 SEKIT_DATADIR, SEKIT_DEFAULT_MODEL_NAME);
}

const char *sekit_default_model_path(void)
{
    pthread_once(&once, find_default);
    return model_path;
}
