// SHA-256 (FIPS 180-4): a portable compression function, and on x86-64 one using the SHA
// extensions (the instruction sequence of Intel's "New Instructions Supporting the Secure Hash
// Algorithm on Intel Architecture Processors", 2013), chosen once at run time with cpuid.
#include "CDefterSHA256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DEFTER_SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

typedef void (*compress_fn)(uint32_t state[8], const uint8_t *blocks, size_t count);

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void compress_portable(uint32_t state[8], const uint8_t *blocks, size_t count) {
    uint32_t w[64];
    for (; count > 0; count--, blocks += 64) {
        for (int t = 0; t < 16; t++) w[t] = load_be32(blocks + 4 * t);
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

#ifdef DEFTER_SHA256_X86
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_shani(uint32_t state[8], const uint8_t *blocks,
                                                                        size_t count) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // The instructions keep the state as ABEF and CDGH.
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // CDAB
    __m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);  // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);  // CDGH
    for (; count > 0; count--, blocks += 64) {
        __m128i abef = state0, cdgh = state1;
        __m128i x[4];
        // Fully unrolled, the four message groups stay in registers.
#if defined(__clang__)
#pragma clang loop unroll(full)
#else
#pragma GCC unroll 16
#endif
        for (int i = 0; i < 16; i++) {
            __m128i w;
            if (i < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16 * i)), mask);
            } else {
                // Words 4i..4i+3 from the four groups before them (x[i & 3] still holds group i - 4).
                __m128i t = _mm_sha256msg1_epu32(x[i & 3], x[(i + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(x[(i + 3) & 3], x[(i + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(t, x[(i + 3) & 3]);
            }
            x[i & 3] = w;
            __m128i message = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * i]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, message);
            message = _mm_shuffle_epi32(message, 0x0E);
            state0 = _mm_sha256rnds2_epu32(state0, state1, message);
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);  // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);  // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);  // HGFE
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int cpu_has_sha_extensions(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ssse3 && sse41 && ((b >> 29) & 1);
}
#endif

// Chosen on first use; every thread computes the same answer, so a race only repeats cpuid.
static compress_fn chosen;

static compress_fn compressor(void) {
    compress_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (fn) return fn;
    fn = compress_portable;
#ifdef DEFTER_SHA256_X86
    if (cpu_has_sha_extensions()) fn = compress_shani;
#endif
    __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
    return fn;
}

int defter_sha256_uses_cpu_extensions(void) { return compressor() != compress_portable; }

void defter_sha256_use_cpu_extensions(int enabled) {
    compress_fn fn = compress_portable;
#ifdef DEFTER_SHA256_X86
    if (enabled && cpu_has_sha_extensions()) fn = compress_shani;
#endif
    __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
}

static void store_digest(const uint32_t state[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

// Pads the `used` bytes in `block` (room for 128) for a message of `total` bytes, and compresses.
static void finish(compress_fn compress, uint32_t state[8], uint8_t block[128], size_t used, uint64_t total) {
    size_t blocks = used + 9 <= 64 ? 1 : 2;
    block[used] = 0x80;
    memset(block + used + 1, 0, blocks * 64 - used - 9);
    uint64_t bits = total * 8;
    for (int i = 0; i < 8; i++) block[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(state, block, blocks);
}

void defter_sha256_prefixed(uint8_t prefix, const void *data, size_t length, uint8_t out[32]) {
    compress_fn compress = compressor();
    const uint8_t *bytes = data;
    uint32_t state[8];
    memcpy(state, H0, sizeof state);
    uint8_t block[128];
    block[0] = prefix;
    size_t used;
    if (length >= 63) {
        memcpy(block + 1, bytes, 63);
        compress(state, block, 1);
        size_t rest = length - 63;
        size_t whole = rest / 64;
        if (whole > 0) compress(state, bytes + 63, whole);
        used = rest % 64;
        memcpy(block, bytes + 63 + whole * 64, used);
    } else {
        if (length > 0) memcpy(block + 1, bytes, length);
        used = length + 1;
    }
    finish(compress, state, block, used, (uint64_t)length + 1);
    store_digest(state, out);
}

void defter_sha256_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    uint32_t state[8];
    memcpy(state, H0, sizeof state);
    uint8_t block[128];
    block[0] = 0x01;
    memcpy(block + 1, left, 32);
    memcpy(block + 33, right, 32);
    finish(compressor(), state, block, 65, 65);
    store_digest(state, out);
}
