import Crypto
import Foundation

/// A SHA-256 hash in the log's Merkle tree (RFC 6962 / RFC 9162, section 2.1.1).
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes of the hash.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses 64 hexadecimal digits.
    public init?(hex: String) {
        guard let decoded = Hex.decode(hex), decoded.count == 32 else { return nil }
        self.bytes = decoded
    }

    init(digest: SHA256.Digest) {
        self.bytes = Array(digest)
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

    static func leaf(raw entry: UnsafeRawBufferPointer) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(bufferPointer: entry)
        return MerkleHash(digest: hasher.finalize())
    }

    /// The hash of an interior node: `SHA-256(0x01 || left || right)`.
    public static func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        MerkleHash(digest: nodeDigest(left.bytes, right.bytes))
    }

    static func nodeDigest(_ left: [UInt8], _ right: [UInt8]) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return hasher.finalize()
    }
}

/// Hexadecimal encoding and decoding.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
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
