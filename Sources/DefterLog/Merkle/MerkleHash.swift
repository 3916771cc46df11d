internal import CDefterSHA256
import Crypto
public import Foundation

/// A SHA-256 hash in the log's Merkle tree (RFC 6962 / RFC 9162, section 2.1.1), stored inline
/// (no heap allocation), since verification makes one per entry.
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible, ContiguousBytes {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    private init() {}

    private init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 32)
        Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
    }

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        bytes.withUnsafeBytes { source in Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
    }

    /// Copies 32 stored bytes; nil for any other length.
    init?(stored raw: UnsafeRawBufferPointer) {
        guard raw.count == 32 else { return nil }
        self.init(raw: raw)
    }

    /// Parses 64 hexadecimal digits.
    public init?(hex: String) {
        guard let decoded = Hex.decode(hex), decoded.count == 32 else { return nil }
        self.init(bytes: decoded)
    }

    init(digest: SHA256.Digest) {
        digest.withUnsafeBytes { source in Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
    }

    /// The 32 bytes of the hash.
    public var bytes: [UInt8] { Swift.withUnsafeBytes(of: storage) { Array($0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Whether `raw` holds exactly these 32 bytes.
    func matches(_ raw: UnsafeRawBufferPointer?) -> Bool {
        guard let raw, raw.count == 32 else { return false }
        return withUnsafeBytes { memcmp($0.baseAddress!, raw.baseAddress!, 32) == 0 }
    }

    public static func == (a: MerkleHash, b: MerkleHash) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 && a.storage.2 == b.storage.2 && a.storage.3 == b.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    /// Lowercase hexadecimal, the form used in JSON output.
    public var hex: String { Hex.encode(bytes) }
    /// Standard base64, the form used in checkpoints.
    public var base64: String { Data(bytes).base64EncodedString() }
    public var description: String { hex }

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyTree = MerkleHash(digest: SHA256.hash(data: [UInt8]()))

    /// The hash of a leaf: `SHA-256(0x00 || entry)`.
    public static func leaf(_ entry: [UInt8]) -> MerkleHash {
        entry.withUnsafeBytes { leaf(raw: $0) }
    }

    // Leaves and nodes are hashed by CDefterSHA256 rather than swift-crypto's `SHA256`, whose
    // context is a class: one allocation a hash, which was a tenth of appending and verifying.

    static func leaf(raw entry: UnsafeRawBufferPointer) -> MerkleHash {
        var hash = MerkleHash()
        Swift.withUnsafeMutableBytes(of: &hash.storage) { out in
            defter_sha256_prefixed(0x00, entry.baseAddress, entry.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return hash
    }

    /// The hash of an interior node: `SHA-256(0x01 || left || right)`.
    public static func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hash = MerkleHash()
        var left = left
        var right = right
        Swift.withUnsafeMutableBytes(of: &hash.storage) { out in
            Swift.withUnsafeBytes(of: &left.storage) { l in
                Swift.withUnsafeBytes(of: &right.storage) { r in
                    defter_sha256_node(
                        l.baseAddress!.assumingMemoryBound(to: UInt8.self), r.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return hash
    }

    /// Whether leaves and nodes are hashed with the CPU's SHA extensions; `enabled: false` forces
    /// the portable code, so that tests check it on machines that have the extensions.
    static func useCPUExtensions(_ enabled: Bool) { defter_sha256_use_cpu_extensions(enabled ? 1 : 0) }
    static var usesCPUExtensions: Bool { defter_sha256_uses_cpu_extensions() != 0 }

    /// `SHA-256(0x01 || left || right)` over arbitrary byte strings (proof verification must not
    /// trap on malformed input).
    static func nodeDigest(_ left: [UInt8], _ right: [UInt8]) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return hasher.finalize()
    }
}

/// Hexadecimal encoding (lowercase) and decoding: key ids, hashes, stored token references.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The bytes as lowercase hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of hex text (either case), or nil when it is not hex.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
