/* fixture.h -- a small synthetic SE-ResNet shared by the tests: small stem, two stages of two
 * basic blocks (width, 2 x width channels), SE width 4, one input channel. */
#ifndef SEKIT_TEST_FIXTURE_H
#define SEKIT_TEST_FIXTURE_H

#include "sekit.h"

struct sekit_model *fixture_small_model(int width, int classes, uint64_t seed);

#endif
