/* map.h: the one hash map of the core: open addressing, linear probing,
 * keyed by byte strings with their pyaudit_hash stored beside them.
 *
 * Used for the table's exact and prefix keys (where the hook probes it),
 * a count subscription's per-name cells and an interpreter's event-name
 * strings.  The map never owns its keys or values: each user says who
 * does.  It grows by doubling at half load, so a probe stays short; keys
 * are never removed (users that forget drop the whole map).
 */
#ifndef PYAUDIT_MAP_H
#define PYAUDIT_MAP_H

#include "bytes.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key;            /* NULL if the slot is free */
    uint32_t hash;
    uint32_t len;
    void *value;
} pyaudit_map_slot;

typedef struct {
    pyaudit_map_slot *slots;    /* owned, mask + 1 of them; NULL if empty */
    uint32_t mask;
    uint32_t used;
} pyaudit_map;

/* The slot holding key, or NULL.  Inline: the hook probes with it. */
static inline const pyaudit_map_slot *
pyaudit_map_find(const pyaudit_map *map, const char *key, size_t len,
                 uint32_t hash)
{
    uint32_t i = hash & map->mask;
    for (;;) {
        const pyaudit_map_slot *slot = &map->slots[i];
        if (slot->key == NULL) {
            return NULL;
        }
        if (slot->hash == hash && slot->len == len
            && pyaudit_bytes_equal(slot->key, key, len)) {
            return slot;
        }
        i = (i + 1) & map->mask;
    }
}

/* An empty map with room for keys keys without growing; -1 when out of
 * memory (error set). */
int pyaudit_map_init(pyaudit_map *map, size_t keys);

/* The slot of key, added (value NULL) if missing, growing the map when
 * needed; NULL when out of memory (error set).  *added says which. */
pyaudit_map_slot *pyaudit_map_put(pyaudit_map *map, const char *key,
                                  size_t len, uint32_t hash, int *added);

/* A copy of src (the same keys and values, both still borrowed) with room
 * for extra more keys without growing; -1 when out of memory (error
 * set). */
int pyaudit_map_copy(pyaudit_map *dst, const pyaudit_map *src,
                     size_t extra);

void pyaudit_map_free(pyaudit_map *map);

#endif /* PYAUDIT_MAP_H */
