// SHA-256 (FIPS 180-4) for the log's Merkle tree: one call per leaf or node, no allocation.
//
// The log hashes every entry when it is appended and again when it is verified; through a
// general-purpose digest API each of those hashes allocated a context. These functions keep the
// state on the stack and use the CPU's SHA extensions (x86-64 SHA-NI) when it has them.
#ifndef CDEFTER_SHA256_H
#define CDEFTER_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256(prefix || data): the RFC 9162 leaf hash with prefix 0x00.
void defter_sha256_prefixed(uint8_t prefix, const void *data, size_t length, uint8_t out[32]);

/// SHA-256(0x01 || left || right) for two 32-byte hashes: the RFC 9162 interior node hash.
void defter_sha256_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

/// Whether the SHA extensions are used (for tests and benchmarks to report).
int defter_sha256_uses_cpu_extensions(void);

/// Turns the SHA extensions off (0) or back on where the CPU has them, so that tests can check
/// the portable code on a machine that has them. Results are the same either way.
void defter_sha256_use_cpu_extensions(int enabled);

#endif
