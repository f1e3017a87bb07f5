/*
 * arch_zoo.h -- the SE families beyond SE-ResNets (arch_zoo.c), internal to src/: arch.c
 * dispatches to these for torchvision's EfficientNet, MobileNetV3 and RegNetY.
 */
#ifndef SEKIT_ARCH_ZOO_H
#define SEKIT_ARCH_ZOO_H
#include "sekit.h"

/* The family of a file in one of these layouts, or -1. */
int sekit_zoo_detect(const struct sekit_st *st);
/* Infers a (family from sekit_zoo_detect) from the file's names, shapes and metadata. */
int sekit_zoo_infer(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e);
/* Fills a with upstream model `name`: 1, or 0 when it is none of these families'. */
int sekit_zoo_preset(struct sekit_arch *a, const char *name);
/* The i-th preset name, or NULL past the end. */
const char *sekit_zoo_name(int i);
/* Checks that inferred a has preset p's blocks and takes p's strides, activations and eps. */
int sekit_zoo_match(struct sekit_arch *a, const struct sekit_arch *p, const char *path,
                    const char *what, struct sekit_err *e);
/* Channels entering the classifier's pool. */
int sekit_zoo_features(const struct sekit_arch *a);

#endif
