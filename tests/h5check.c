/* h5check.c -- see h5check.h. */
#include "h5check.h"

#include "tap.h"

#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct axes {
    int datasets, unscaled;
};

static herr_t check_axes(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    struct axes *a = data;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    if (d < 0) return 0; /* a group */
    if (H5DSis_scale(d) <= 0) {
        hid_t sp = H5Dget_space(d);
        const int rank = H5Sget_simple_extent_ndims(sp);
        a->datasets++;
        for (int i = 0; i < rank; i++)
            if (H5DSget_num_scales(d, (unsigned)i) < 1) {
                diag("%s: axis %d has no dimension scale", name, i);
                a->unscaled++;
            }
        H5Sclose(sp);
    }
    H5Dclose(d);
    return 0;
}

int h5check_unscaled_axes(hid_t loc, int *datasets)
{
    struct axes a = {0, 0};
    if (loc < 0 || H5Lvisit(loc, H5_INDEX_NAME, H5_ITER_NATIVE, check_axes, &a) < 0) a.unscaled++;
    *datasets = a.datasets;
    return a.unscaled;
}

void h5check_strings(hid_t loc, const char *name, char *out, size_t size)
{
    out[0] = 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t t = d < 0 ? -1 : H5Dget_type(d), sp = d < 0 ? -1 : H5Dget_space(d);
    const hssize_t n = sp < 0 ? 0 : H5Sget_simple_extent_npoints(sp);
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (v && t >= 0 && H5Tis_variable_str(t) > 0 &&
        H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
        for (hssize_t i = 0; i < n; i++) {
            const size_t len = strlen(out);
            snprintf(out + len, size - len, "%s%s", i ? "|" : "", v[i] ? v[i] : "");
            H5free_memory(v[i]);
        }
    free(v);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
}

int h5check_attached(hid_t loc, const char *name, const char *scale, unsigned axis)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), s = H5Dopen2(loc, scale, H5P_DEFAULT);
    const int yes = d >= 0 && s >= 0 && H5DSis_attached(d, s, axis) > 0;
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Dclose(s);
    H5Eclear2(H5E_DEFAULT);
    if (!yes) diag("%s axis %u: scale %s not attached", name, axis, scale);
    return yes;
}
