/* config.h -- timm's config.json beside a weight file (internal to libsekit: the public header
 * names no foreign type). */
#ifndef SEKIT_CONFIG_H
#define SEKIT_CONFIG_H

#include "sekit.h"

#include <jansson.h>

/* timm's config.json beside weight file `weights`: *root its parsed JSON (json_decref it), or
 * NULL when there is none; cfg (size bytes) gets its path, for messages. SEKIT_EFORMAT when it
 * is not valid JSON. */
int sekit_config_json(const char *weights, char *cfg, size_t size, json_t **root,
                      struct sekit_err *e);

#endif
