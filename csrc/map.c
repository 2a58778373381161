/* map.c: the core's hash map (see map.h). */
#include "map.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

/* The shared slot of an empty map: every probe of it misses. */
static pyaudit_map_slot no_slot;

static uint32_t
slots_for(size_t keys)
{
    uint32_t size = 4;
    while (size < keys * 2) {
        size *= 2;
    }
    return size;
}

int
pyaudit_map_init(pyaudit_map *map, size_t keys)
{
    map->used = 0;
    if (keys == 0) {
        map->slots = &no_slot;
        map->mask = 0;
        return 0;
    }
    if (keys > UINT32_MAX / 4) {
        return pyaudit_error_nomemory();
    }
    uint32_t size = slots_for(keys);
    map->slots = calloc(size, sizeof(pyaudit_map_slot));
    if (map->slots == NULL) {
        map->slots = &no_slot;
        map->mask = 0;
        return pyaudit_error_nomemory();
    }
    map->mask = size - 1;
    return 0;
}

static pyaudit_map_slot *
free_slot_for(pyaudit_map_slot *slots, uint32_t mask, uint32_t hash)
{
    uint32_t i = hash & mask;
    while (slots[i].key != NULL) {
        i = (i + 1) & mask;
    }
    return &slots[i];
}

static int
grow(pyaudit_map *map)
{
    if (map->used > UINT32_MAX / 4) {
        return pyaudit_error_nomemory();
    }
    uint32_t size = slots_for((size_t)map->used + 1);
    pyaudit_map_slot *slots = calloc(size, sizeof(pyaudit_map_slot));
    if (slots == NULL) {
        return pyaudit_error_nomemory();
    }
    if (map->slots != &no_slot) {
        for (uint32_t i = 0; i <= map->mask; i++) {
            if (map->slots[i].key != NULL) {
                *free_slot_for(slots, size - 1, map->slots[i].hash) =
                    map->slots[i];
            }
        }
        free(map->slots);
    }
    map->slots = slots;
    map->mask = size - 1;
    return 0;
}

pyaudit_map_slot *
pyaudit_map_put(pyaudit_map *map, const char *key, size_t len, uint32_t hash,
                int *added)
{
    uint32_t i = hash & map->mask;
    while (map->slots[i].key != NULL) {
        pyaudit_map_slot *slot = &map->slots[i];
        if (slot->hash == hash && slot->len == len
            && pyaudit_bytes_equal(slot->key, key, len)) {
            *added = 0;
            return slot;
        }
        i = (i + 1) & map->mask;
    }
    *added = 1;
    if (len > UINT32_MAX) {
        pyaudit_error(PYAUDIT_ERR_VALUE, "a name of %zu bytes is too long",
                      len);
        return NULL;
    }
    if (((size_t)map->used + 1) * 2 > (size_t)map->mask + 1) {
        if (grow(map) < 0) {
            return NULL;
        }
        i = hash & map->mask;
        while (map->slots[i].key != NULL) {
            i = (i + 1) & map->mask;
        }
    }
    pyaudit_map_slot *slot = &map->slots[i];
    slot->key = key;
    slot->hash = hash;
    slot->len = (uint32_t)len;
    slot->value = NULL;
    map->used++;
    return slot;
}

int
pyaudit_map_copy(pyaudit_map *dst, const pyaudit_map *src, size_t extra)
{
    size_t keys = (size_t)src->used + extra;
    if (src->used != 0 && ((size_t)src->mask + 1) / 2 >= keys) {
        /* Room enough at the same size: every key stays in its slot. */
        size_t bytes = ((size_t)src->mask + 1) * sizeof(pyaudit_map_slot);
        dst->slots = malloc(bytes);
        if (dst->slots == NULL) {
            dst->slots = &no_slot;
            dst->mask = 0;
            dst->used = 0;
            return pyaudit_error_nomemory();
        }
        memcpy(dst->slots, src->slots, bytes);
        dst->mask = src->mask;
        dst->used = src->used;
        return 0;
    }
    if (pyaudit_map_init(dst, keys) < 0) {
        return -1;
    }
    for (uint32_t i = 0; src->used != 0 && i <= src->mask; i++) {
        if (src->slots[i].key != NULL) {
            *free_slot_for(dst->slots, dst->mask, src->slots[i].hash) =
                src->slots[i];
        }
    }
    dst->used = src->used;
    return 0;
}

void
pyaudit_map_free(pyaudit_map *map)
{
    if (map->slots != &no_slot) {
        free(map->slots);
    }
    map->slots = &no_slot;
    map->mask = 0;
    map->used = 0;
}
