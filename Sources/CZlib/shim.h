#ifndef DEFTER_CZLIB_SHIM_H
#define DEFTER_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro Swift cannot call: a gzip stream (window 15, gzip header).
static inline int defter_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}
#endif
