/* imagenet.c -- lookups in the built-in ILSVRC2012 class table. See imagenet.h. */
#include "imagenet.h"

#include <ctype.h>
#include <string.h>

int sekit_imagenet_is_synset(const char *s)
{
    if (s[0] != 'n') return 0;
    for (int i = 1; i <= 8; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return s[9] == 0;
}

int sekit_imagenet_find(const char *s)
{
    /* the table is sorted by synset (the generator checks it) */
    int lo = 0, hi = SEKIT_IMAGENET_CLASSES - 1;
    while (lo <= hi) {
        const int mid = lo + (hi - lo) / 2, c = strcmp(s, sekit_imagenet_classes[mid].synset);
        if (c == 0) return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}
