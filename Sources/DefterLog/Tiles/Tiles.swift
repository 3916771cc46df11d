/// The C2SP `tlog-tiles` layout of a log: its Merkle tree as tiles of 256 hashes and its entries
/// as bundles of 256, each a file at a fixed path, so that any static web server or CDN can serve
/// the log and any reader can check it with hashes and signatures alone.
///
/// Defter's leaf is an entry's stored bytes (`MerkleHash.leaf`), so a bundle's entries are those
/// bytes, each prefixed with its length as a big-endian `UInt16` as the spec says. An entry longer
/// than 65,535 bytes cannot be bundled; `Schemas/log-format.md` says so.
public struct TileAddress: Sendable, Hashable, CustomStringConvertible {
    /// The hashes (or entries) a full tile holds.
    public static let width = 256

    /// The tile's level; nil for an entry bundle.
    public let level: Int?
    /// The tile's index within its level.
    public let index: UInt64
    /// How many hashes or entries it holds: 256 when full, 1 to 255 when partial.
    public let width: Int

    /// Whether the tile is partial.
    public var isPartial: Bool { width < Self.width }

    /// A hash tile (`level` 0 to 63) or, with `level` nil, an entry bundle.
    public init(level: Int?, index: UInt64, width: Int = TileAddress.width) {
        self.level = level
        self.index = index
        self.width = width
    }

    /// The path under the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`,
    /// with `<N>` in zero-padded groups of three digits, all but the last prefixed `x`.
    public var description: String {
        var groups: [String] = []
        var rest = index
        repeat {
            let group = String(rest % 1000)
            groups.insert(String(repeating: "0", count: 3 - group.count) + group, at: 0)
            rest /= 1000
        } while rest > 0
        let number = groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
        return "tile/\(level.map(String.init) ?? "entries")/\(number)" + (isPartial ? ".p/\(width)" : "")
    }

    /// Parses a path written by `description` (without a leading slash); nil for anything else,
    /// including non-canonical spellings of the same tile.
    public init?(path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "tile" else { return nil }
        let level: Int?
        if parts[1] == "entries" {
            level = nil
        } else {
            guard let parsed = Int(parts[1]), (0...63).contains(parsed), String(parsed) == parts[1] else { return nil }
            level = parsed
        }
        var width = Self.width
        if parts.count >= 4, parts[parts.count - 2].hasSuffix(".p") {
            // `.../067.p/12`: the last group carries `.p`, and the width follows.
            guard let parsed = Int(parts[parts.count - 1]), (1...255).contains(parsed), String(parsed) == parts[parts.count - 1] else {
                return nil
            }
            width = parsed
            parts.removeLast()
            parts[parts.count - 1] = String(parts[parts.count - 1].dropLast(2))
        }
        var index: UInt64 = 0
        let groups = parts[2...]
        for (offset, group) in groups.enumerated() {
            let last = offset == groups.count - 1
            let digits = last ? group : (group.hasPrefix("x") ? String(group.dropFirst()) : "")
            guard digits.count == 3, digits.utf8.allSatisfy({ (48...57).contains($0) }), let value = UInt64(digits) else { return nil }
            let (shifted, overflow) = index.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            index = shifted + value
        }
        self.init(level: level, index: index, width: width)
        // Only the canonical spelling: no leading zero groups beyond what the index needs.
        guard description == path else { return nil }
    }

    /// The number of leaves one hash of a tile at `level` covers: 256^level.
    static func span(level: Int) -> UInt64? {
        guard level < 8 else { return nil }
        return UInt64(1) << UInt64(8 * level)
    }

    /// The tree size at which this tile first exists.
    public var requiredTreeSize: UInt64? {
        guard let span = Self.span(level: level ?? 0) else { return nil }
        let (first, overflow1) = index.multipliedReportingOverflow(by: UInt64(Self.width))
        let (count, overflow2) = first.addingReportingOverflow(UInt64(width))
        let (size, overflow3) = count.multipliedReportingOverflow(by: span)
        return overflow1 || overflow2 || overflow3 ? nil : size
    }

    /// Every tile a tree of `size` entries has: the full tiles of each level and its partial one,
    /// hash tiles level by level, then the entry bundles.
    public static func tiles(treeSize size: UInt64) -> [TileAddress] {
        var out: [TileAddress] = []
        for level in 0..<8 {
            let span = UInt64(1) << UInt64(8 * level)
            let hashes = size / span
            guard hashes > 0 else { break }
            for index in 0..<(hashes / 256) { out.append(TileAddress(level: level, index: index)) }
            if hashes % 256 > 0 { out.append(TileAddress(level: level, index: hashes / 256, width: Int(hashes % 256))) }
        }
        for index in 0..<(size / 256) { out.append(TileAddress(level: nil, index: index)) }
        if size % 256 > 0 { out.append(TileAddress(level: nil, index: size / 256, width: Int(size % 256))) }
        return out
    }
}

/// Why a tile cannot be made.
public struct TileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension EventLog {
    /// The largest entry an entry bundle can hold (its length is a `UInt16`).
    public static let maximumBundledEntryBytes = Int(UInt16.max)

    /// The bytes of tile `address`, read from the log: 32-byte hashes for a hash tile, length-
    /// prefixed entries for a bundle. Throws when the log is not yet large enough to have it.
    public func tile(_ address: TileAddress) throws -> [UInt8] {
        guard let required = address.requiredTreeSize else { throw TileError("tile \(address) is beyond any log") }
        let size = try size()
        guard required <= size else { throw TileError("tile \(address) needs \(required) entries; the log has \(size)") }
        let first = address.index * UInt64(TileAddress.width)
        if let level = address.level {
            var out: [UInt8] = []
            out.reserveCapacity(32 * address.width)
            for hash in try perfectNodes(level: 8 * level, indices: first..<(first + UInt64(address.width))) {
                hash.withUnsafeBytes { out.append(contentsOf: $0) }
            }
            return out
        }
        return try bundled(first..<(first + UInt64(address.width)))
    }

    /// Entries `range`, counted from 0 (entry `i` is sequence `i + 1`), as an entry bundle holds
    /// them: each after its length, a big-endian `UInt16`. What a bundle and a C2SP `tlog-mirror`
    /// package carry. Throws `TileError` when the log does not hold them all, or one is longer than
    /// a bundle can hold.
    public func bundledEntries(_ range: Range<UInt64>) throws -> [UInt8] {
        let size = try size()
        guard range.upperBound <= size else {
            throw TileError("entries [\(range.lowerBound), \(range.upperBound)) need \(range.upperBound) entries; the log has \(size)")
        }
        return try bundled(range)
    }

    /// `bundledEntries(_:)` of a range the log is known to hold.
    private func bundled(_ range: Range<UInt64>) throws -> [UInt8] {
        var out: [UInt8] = []
        var failure: TileError?
        try forEachEntryBytes(from: range.lowerBound + 1, through: range.upperBound) { sequence, bytes in
            guard bytes.count <= Self.maximumBundledEntryBytes else {
                failure = TileError(
                    "entry \(sequence) is \(bytes.count) bytes, more than an entry bundle's 65,535; it cannot be published as tiles nor pushed to a mirror"
                )
                return false
            }
            out.append(UInt8(bytes.count >> 8))
            out.append(UInt8(bytes.count & 0xFF))
            out.append(contentsOf: bytes)
            return true
        }
        if let failure { throw failure }
        return out
    }
}
