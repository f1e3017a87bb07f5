/*
 * arch_zoo.h -- the SE families beyond SE-ResNets (arch_zoo.c), internal to src/: arch.c
 * dispatches to these for torchvision's EfficientNet, MobileNetV3 and RegNetY.
 */
#ifndef SEKIT_ARCH_ZOO_H
#define SEKIT_ARCH_ZOO_H
#include "sekit.h"

/* The builders' shared pieces: timm's and torchvision's make_divisible(v, d) (the nearest
 * multiple of d, at least d, rounded up when rounding would lose more than 10%); a new zeroed
 * block at the end of a; a cleared a with torchvision's defaults (3 channels, 1000 classes). */
int sekit_zoo_divisible(double v, int d);
struct sekit_net_block *sekit_zoo_add_block(struct sekit_arch *a);
void sekit_zoo_common(struct sekit_arch *a, const char *name, enum sekit_family f, double eps);

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
/* Applies the claim that timm-layout weights are upstream model `name` (tf_*: TF 'same' padding
 * and eps 1e-3, else symmetric and 1e-5): SEKIT_OK, SEKIT_ESHAPE when name is of another family,
 * 1 when name is none of these timm families. */
int sekit_zoo_claim(struct sekit_arch *a, const char *name, const char *path, const char *what,
                    struct sekit_err *e);
/* SEKIT_ESHAPE naming what neither the weights, a preset, a claim nor the metadata told. */
int sekit_zoo_check(const struct sekit_arch *a, const char *path, struct sekit_err *e);
/* timm's EfficientNet-builder models (arch_timm.c): block facts names cannot show, from timm's
 * arch_def of each model. sekit_timm_claim applies model `name`'s to a (inferred in the timm
 * layout): SEKIT_OK, SEKIT_ESHAPE (naming the models that do fit) when a's blocks are not that
 * model's, 1 when name is not one of these. sekit_timm_infer applies the one model a's blocks
 * fit, when every model they fit gives the same facts, and else leaves a unchanged (its blocks
 * without strides, which sekit_zoo_check refuses).
 * sekit_timm_fits lists the models a's blocks fit into list (n bytes): their count. */
int sekit_timm_claim(struct sekit_arch *a, const char *name, const char *path, const char *what,
                     struct sekit_err *e);
void sekit_timm_infer(struct sekit_arch *a);
int sekit_timm_fits(const struct sekit_arch *a, char *list, size_t n);
/* Whether a's weights may be a TensorFlow port's (another padding and eps): 1 unless every timm
 * model they fit has no tf_ twin. */
int sekit_timm_tf_twin(const struct sekit_arch *a);
/* timm's ReXNet and GhostNet by name (rexnet_100, rexnetr_150, ghostnet_100, ...): 1, or 0
 * when name is none of them; the i-th name, or NULL past the end. */
int sekit_timm_preset(struct sekit_arch *a, const char *name);
const char *sekit_timm_preset_name(int i);
/* Channels entering the classifier's pool. */
int sekit_zoo_features(const struct sekit_arch *a);

#endif
