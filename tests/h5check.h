/* h5check.h -- what the tests check of sekit's HDF5 files as xarray would read them: dimension
 * scales on every axis, the strings of a name scale. */
#ifndef SEKIT_TEST_H5CHECK_H
#define SEKIT_TEST_H5CHECK_H

#include <hdf5.h>
#include <stddef.h>

/* Datasets below loc (a file or group, searched recursively) that are not themselves scales
 * are counted in *datasets; returns how many of their axes have no dimension scale, each named
 * in a diagnostic (a failed search counts as one). */
int h5check_unscaled_axes(hid_t loc, int *datasets);

/* The strings of the 1-D variable-length string dataset loc/name joined by "|" into out ("" when
 * it is missing or not such a dataset). */
void h5check_strings(hid_t loc, const char *name, char *out, size_t size);

/* Dataset loc/name has the scale loc/scale attached on axis; if not, a diagnostic says so. */
int h5check_attached(hid_t loc, const char *name, const char *scale, unsigned axis);

#endif
