#ifndef DEFTER_CJEMALLOC_SHIM_H
#define DEFTER_CJEMALLOC_SHIM_H
#include <jemalloc/jemalloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/// jemalloc's version, or NULL. Calling it also keeps the library linked (a linker that drops
/// unused libraries would otherwise drop it).
static inline const char *defter_jemalloc_version(void) {
    const char *version = NULL;
    size_t size = sizeof(version);
    if (mallctl("version", &version, &size, NULL, 0) != 0) return NULL;
    return version;
}

/// Whether jemalloc serves this process's malloc, rather than being merely loaded: a block from
/// malloc shows in jemalloc's count of this thread's allocations.
static inline int defter_jemalloc_serves_malloc(void) {
    uint64_t before = 0, after = 0;
    size_t size = sizeof(uint64_t);
    if (mallctl("thread.allocated", &before, &size, NULL, 0) != 0) return 0;
    void *volatile block = malloc(1 << 16);
    size = sizeof(uint64_t);
    if (mallctl("thread.allocated", &after, &size, NULL, 0) != 0) after = before;
    free(block);
    return after > before;
}
#endif
