#ifndef DEFTER_CJEMALLOC_SHIM_H
#define DEFTER_CJEMALLOC_SHIM_H
#include <jemalloc/jemalloc.h>
#include <stddef.h>

/// jemalloc's version when it serves this process's malloc, else NULL. Calling it also keeps the
/// library linked (a linker that drops unused libraries would otherwise drop it).
static inline const char *defter_jemalloc_version(void) {
    const char *version = NULL;
    size_t size = sizeof(version);
    if (mallctl("version", &version, &size, NULL, 0) != 0) return NULL;
    return version;
}
#endif
