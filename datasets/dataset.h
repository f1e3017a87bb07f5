/*
 * dataset.h -- labelled image sets for sekit (libsekit_ds).
 *
 * Three formats, detected from what --data points at (or forced):
 *   idx     MNIST / Fashion-MNIST IDX files, gzip-compressed or raw: a directory holding
 *           {train,t10k}-images-idx3-ubyte[.gz] and {train,t10k}-labels-idx1-ubyte[.gz]
 *           (splits "train" and "test"); Fashion-MNIST's class names are built in.
 *   cifar   CIFAR-10 (data_batch_1..5.bin, test_batch.bin, batches.meta.txt) or CIFAR-100
 *           (train.bin, test.bin, fine_label_names.txt) binary batches.
 *   folder  one sub-folder per class of JPEG / PNG files (decoded and resized as Pillow
 *           does, image.h).
 *           Labels are the model's class indices: folders named by ImageNet synset
 *           (n01443537) take their ILSVRC2012 index (imagenet.h); a mapping file gives each
 *           folder its index; otherwise the folders, in sorted order, must be exactly the
 *           model's classes (anything else is refused: a guessed numbering mislabels).
 * Every file is validated when the set is opened (magic numbers, sizes, counts, labels); images
 * of a folder are decoded when loaded, and a file that does not decode is an error naming it
 * (a recording holds exactly the images asked for, so nothing is skipped silently).
 *
 * Loading returns float32 CHW images preprocessed as struct sekit_preproc says.
 */
#ifndef SEKIT_DATASET_H
#define SEKIT_DATASET_H

#include "sekit.h"

#include <stdint.h>

enum sekit_ds_format { SEKIT_DS_AUTO, SEKIT_DS_IDX, SEKIT_DS_CIFAR, SEKIT_DS_FOLDER };

struct sekit_ds_opts {
    const char *path;
    enum sekit_ds_format format;
    const char *split;     /* "train" or "test" (idx, cifar); NULL: "test" */
    const char *class_map; /* folder: a text file of lines "folder index [name]" giving each
                              folder its model class (index) and display name; the older
                              "folder [name]" lines, numbered in file order, only when they
                              cover every model class */
    int model_classes;     /* the model's class count, which folder sets are checked against and
                              whose classes they take (0: unknown, the folders define them) */
};

/* How an image becomes the network's input. */
struct sekit_preproc {
    int channels;          /* what the model takes: 1 or 3 (gray images are replicated) */
    int resize;            /* shorter side after resizing, 0: keep (folders) */
    int crop;              /* centre crop side, 0: none (native size for idx / cifar) */
    int bicubic;           /* folder resize kernel: 1 bicubic, 0 bilinear */
    int bgr;               /* Caffe: channels in BGR order */
    int scale255;          /* Caffe: pixel values 0..255 instead of 0..1 */
    float mean[3], std[3]; /* per channel (in the model's channel order) */
};

struct sekit_ds;

/* dst (C, S, S) from interleaved 8-bit pixels src (H, W, sc) at offset (y0, x0), normalised as
 * pp says (ToTensor and Normalize in float32). The one conversion of pixels to model input, for
 * datasets and for images handed in through sekit_input_convert. */
void sekit_ds_to_chw(float *dst, const unsigned char *src, int sc, int W, int y0, int x0, int S,
                     const struct sekit_preproc *pp);
/* The offset of a centre crop that leaves d pixels, as torchvision's CenterCrop. */
int sekit_ds_center_offset(int d);

int sekit_ds_open(struct sekit_ds **out, const struct sekit_ds_opts *o, struct sekit_err *e);
void sekit_ds_close(struct sekit_ds *ds);

const char *sekit_ds_path(const struct sekit_ds *ds);
/* Image folders: the entries of the class folders that are not images and were skipped (*first:
 * the first by path, NULL when none), and the hidden ones (*hidden); 0 for other formats. */
int64_t sekit_ds_skipped(const struct sekit_ds *ds, const char **first, int64_t *hidden);
const char *sekit_ds_format_name(const struct sekit_ds *ds);
const char *sekit_ds_split(const struct sekit_ds *ds);
int64_t sekit_ds_count(const struct sekit_ds *ds);
int sekit_ds_num_classes(const struct sekit_ds *ds);
const char *sekit_ds_class_name(const struct sekit_ds *ds, int k);
/* The ImageNet synset of class k (folder sets of synset folders), else NULL. */
const char *sekit_ds_class_synset(const struct sekit_ds *ds, int k);
/* The classes that have images (folder sets may cover a few of the model's classes): j-th of
 * sekit_ds_num_present, ascending. */
int sekit_ds_num_present(const struct sekit_ds *ds);
int sekit_ds_present(const struct sekit_ds *ds, int j);
int sekit_ds_label(const struct sekit_ds *ds, int64_t i);
/* Folder sets: the file of item i; NULL for other formats. */
const char *sekit_ds_item_path(const struct sekit_ds *ds, int64_t i);
/* The stored image size (channels, height, width); 0s for folders, whose images vary. */
void sekit_ds_native(const struct sekit_ds *ds, int *c, int *h, int *w);

/* Output side of sekit_ds_load under pp: the crop, else the native size. */
int sekit_ds_out_size(const struct sekit_ds *ds, const struct sekit_preproc *pp);

/* Loads item i into dst (pp->channels x S x S floats, S = sekit_ds_out_size). */
int sekit_ds_load(struct sekit_ds *ds, int64_t i, const struct sekit_preproc *pp, float *dst,
                  struct sekit_err *e);

/* Parses a class list: "all" (the classes that have images), or comma-separated names,
 * ImageNet synsets or indices ("Trouser,Bag", "1,8", "goldfish,n02110958"). Unknown names,
 * names that two classes share (ImageNet's crane, maillot) and classes without images are
 * refused with the valid ones listed. *classes is malloc'd. */
int sekit_ds_parse_classes(const struct sekit_ds *ds, const char *spec, int **classes, int *n,
                           struct sekit_err *e);

/* Picks per_class items of each class (0: all of them), in class-list order. seed 0 takes the
 * first items of each class in dataset order; another seed a seeded sample (sorted back into
 * dataset order). Refuses, saying how many exist, when a class has fewer than per_class.
 * *idx is malloc'd. */
int sekit_ds_select(const struct sekit_ds *ds, const int *classes, int n, int64_t per_class,
                    uint64_t seed, int64_t **idx, int64_t *count, struct sekit_err *e);

#endif
