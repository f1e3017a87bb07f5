/*
 * imagenet.h -- the 1000 ILSVRC2012 classes, built in (libsekit_ds).
 *
 * The table is generated at build time from datasets/imagenet-classes.tsv (see
 * datasets/README.md) by gen-imagenet.c, so the library needs neither the TSV at run time nor
 * anything but a C compiler at build time. Entry k is the class that ImageNet models (torchvision,
 * timm, Cadene) call k: synsets in sorted order.
 */
#ifndef SEKIT_IMAGENET_H
#define SEKIT_IMAGENET_H

#define SEKIT_IMAGENET_CLASSES 1000

struct sekit_imagenet_class {
    const char *synset; /* WordNet id, "n01443537" */
    int devkit_id;      /* ILSVRC2012_ID, 1..1000: the validation ground truth's numbering */
    const char *name;   /* darknet's short name, "goldfish"; not unique (crane, maillot) */
};

extern const struct sekit_imagenet_class sekit_imagenet_classes[SEKIT_IMAGENET_CLASSES];

/* s has the form of a WordNet noun synset id: 'n' and 8 digits. */
int sekit_imagenet_is_synset(const char *s);

/* The model class index of synset s, or -1 when it is not one of the 1000. */
int sekit_imagenet_find(const char *s);

#endif
