import Foundation

/// The entries of one C2SP entry bundle (`tile/entries/<N>[.p/<W>]`), read from the bytes another
/// log published and each checked as a canonical Defter envelope in its place (entry `N * 256 + 1`
/// first), with its leaf hash: what a mirror checks against a signed tree and then appends byte
/// for byte (`EventLog.restore(_:)`), without building a `LogEntry` for each.
public struct EntryBundle: Sendable {
    /// Where the bundle lives in the tree.
    public let address: TileAddress
    /// The bundle's bytes as published: each entry after its big-endian `UInt16` length.
    let bytes: [UInt8]
    /// Each entry's place in `bytes`, its stream version, and its index keys' places in `keys`.
    let entries: [Entry]
    /// The `ids` and `streams` key bytes of every entry (unescaped id, then unescaped stream).
    let keys: [UInt8]
    /// The leaf hash of each entry, in order.
    public let leaves: [MerkleHash]
    /// A full bundle's interior nodes, hashed from `leaves`: level 1's 128, then level 2's 64,
    /// up to its subtree's root at level 8 (255 in all); empty for a partial bundle. A mirror
    /// checks the root against the signed tree, and the log stores the nodes without hashing
    /// them again (`node(level:index:)`).
    let subtree: [MerkleHash]
    /// The first entry `EventLog.restore(_:)` writes: those before it are already held.
    private(set) var start = 0

    struct Entry {
        let bytes: Range<Int>
        let streamVersion: UInt64
        let id: Range<Int>
        let stream: Range<Int>
    }

    /// Reads the bundle at `address` from `bytes`: exactly `address.width` entries, each a
    /// canonical envelope of the sequence its place gives.
    public init(_ bytes: [UInt8], of address: TileAddress) throws(EntryBundleError) {
        var entries: [Entry] = []
        var keys: [UInt8] = []
        var leaves: [MerkleHash] = []
        entries.reserveCapacity(address.width)
        leaves.reserveCapacity(address.width)
        keys.reserveCapacity(address.width * 64)
        let first = address.index * UInt64(TileAddress.width) + 1
        let failure: EntryBundleError? = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard offset + 2 <= raw.count else { return EntryBundleError("\(address) ends inside a length prefix") }
                let length = Int(raw[offset]) << 8 | Int(raw[offset + 1])
                guard offset + 2 + length <= raw.count else { return EntryBundleError("\(address) ends inside an entry") }
                guard entries.count < address.width else { break }
                let range = (offset + 2)..<(offset + 2 + length)
                let sequence = first + UInt64(entries.count)
                let entry = UnsafeRawBufferPointer(rebasing: raw[range])
                do {
                    let (streamVersion, id, stream) = try Self.check(entry, sequence: sequence, keys: &keys)
                    entries.append(Entry(bytes: range, streamVersion: streamVersion, id: id, stream: stream))
                } catch let whyNot as WhyNot {
                    return EntryBundleError("entry \(sequence) in \(address) \(whyNot.reason)")
                } catch {
                    return EntryBundleError("entry \(sequence) in \(address): \(error)")
                }
                leaves.append(MerkleHash.leaf(raw: entry))
                offset = range.upperBound
            }
            guard entries.count == address.width, offset == raw.count else {
                return EntryBundleError(
                    "\(address) holds \(entries.count == address.width ? "more" : "\(entries.count)") entries, not \(address.width)")
            }
            return nil
        }
        if let failure { throw failure }
        self.address = address
        self.bytes = bytes
        self.entries = entries
        self.keys = keys
        self.leaves = leaves
        self.subtree = address.isPartial ? [] : Self.interiorNodes(leaves)
    }

    /// The root of a full bundle's subtree (level 8 of the tree: the hash of its 256 leaves);
    /// nil for a partial bundle.
    public var subtreeRoot: MerkleHash? { subtree.last }

    /// Tree levels a full bundle's subtree spans above its leaves.
    static let subtreeLevels = TileAddress.width.trailingZeroBitCount

    /// The node `index` of tree level `level` (1 up to `subtreeLevels`), when it lies inside this
    /// full bundle; nil otherwise.
    @inline(__always)
    func node(level: Int, index: UInt64) -> MerkleHash? {
        guard !subtree.isEmpty, level >= 1, level <= Self.subtreeLevels,
            index >> UInt64(Self.subtreeLevels - level) == address.index
        else { return nil }
        // Level `level` begins after the 256 >> 1 + ... + 256 >> (level - 1) nodes below it.
        let levelStart = TileAddress.width - (TileAddress.width >> (level - 1))
        let widthAtLevel = UInt64(TileAddress.width >> level)
        return subtree[levelStart + Int(index & (widthAtLevel - 1))]
    }

    /// Every interior node above `leaves` (a power of two of them), level by level, the root last.
    private static func interiorNodes(_ leaves: [MerkleHash]) -> [MerkleHash] {
        var nodes: [MerkleHash] = []
        nodes.reserveCapacity(leaves.count - 1)
        var level = leaves[...]
        while level.count > 1 {
            let start = nodes.count
            for pair in stride(from: level.startIndex, to: level.endIndex, by: 2) {
                nodes.append(MerkleHash.node(level[pair], level[pair + 1]))
            }
            level = nodes[start...]
        }
        return nodes
    }

    /// The sequence of the bundle's first entry.
    public var firstSequence: UInt64 { address.index * UInt64(TileAddress.width) + 1 }

    /// The sequence of the bundle's last entry.
    public var lastSequence: UInt64 { address.index * UInt64(TileAddress.width) + UInt64(address.width) }

    /// The entries from `sequence + 1` on: those up to `sequence` are held already.
    public func after(_ sequence: UInt64) -> EntryBundle {
        var copy = self
        copy.start = Int(min(max(sequence + 1, firstSequence) - firstSequence, UInt64(entries.count)))
        return copy
    }

    /// The entries `EventLog.restore(_:)` writes.
    public var count: Int { entries.count - start }

    /// The index keys of a stored entry of `sequence`, checked as a bundle's are (see `check`):
    /// its unescaped id and stream appended to `keys`, and where they are there.
    static func indexKeys(
        of entry: UnsafeRawBufferPointer, sequence: UInt64, into keys: inout [UInt8]
    ) throws(EntryBundleError) -> (streamVersion: UInt64, id: Range<Int>, stream: Range<Int>) {
        do { return try check(entry, sequence: sequence, keys: &keys) } catch {
            throw EntryBundleError("entry \(sequence) \(error.reason)")
        }
    }

    /// Checks that `entry` is a canonical envelope of `sequence`, and appends its unescaped id and
    /// stream to `keys`. Strings without escapes are checked in place, as `defter log verify`
    /// reads them; an entry with an escape is decoded and encoded again (`LogEntry(envelope:)`).
    private static func check(
        _ entry: UnsafeRawBufferPointer, sequence: UInt64, keys: inout [UInt8]
    ) throws(WhyNot) -> (streamVersion: UInt64, id: Range<Int>, stream: Range<Int>) {
        let fields: EnvelopeFields
        do { fields = try Envelope.scan(entry, dataEnd: .foundFromTheEnd) } catch { throw WhyNot("is not a log entry: \(error)") }
        guard fields.sequence == sequence else { throw WhyNot("says it is entry \(fields.sequence)") }
        func body(_ range: Range<Int>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: entry[(range.lowerBound + 1)..<(range.upperBound - 1)])
        }
        let strings = [fields.actor, fields.id, fields.stream, fields.type].map(body)
        if strings.contains(where: { $0.contains(UInt8(ascii: "\\")) }) {
            let decoded: LogEntry
            do { decoded = try LogEntry(envelope: Array(entry)) } catch { throw WhyNot(error.reason) }
            let id = keys.count..<(keys.count + decoded.id.rawValue.utf8.count)
            keys.append(contentsOf: decoded.id.rawValue.utf8)
            let stream = keys.count..<(keys.count + decoded.stream.rawValue.utf8.count)
            keys.append(contentsOf: decoded.stream.rawValue.utf8)
            return (fields.streamVersion, id, stream)
        }
        // Without escapes, a string is canonical when it holds no control character (which the
        // encoder escapes) and is UTF-8; identifiers also have their lengths and no DEL.
        for string in strings {
            guard !string.contains(where: { $0 < 0x20 }) else { throw WhyNot("is not in canonical form (a control character in a string)") }
            guard JSONParser.isUTF8(string) else { throw WhyNot("holds a string that is not UTF-8") }
        }
        let (id, stream) = (strings[1], strings[2])
        guard (1...128).contains(id.count), !id.contains(0x7f) else {
            throw WhyNot("has an event id that is empty, too long, or holds DEL")
        }
        guard (1...200).contains(stream.count), !stream.contains(0x7f) else {
            throw WhyNot("has a stream name that is empty, too long, or holds DEL")
        }
        let idRange = keys.count..<(keys.count + id.count)
        keys.append(contentsOf: id)
        let streamRange = keys.count..<(keys.count + stream.count)
        keys.append(contentsOf: stream)
        return (fields.streamVersion, idRange, streamRange)
    }

    private struct WhyNot: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// Why published bytes are not the entry bundle they should be.
public struct EntryBundleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the bundle and the entry.
    public let description: String
    init(_ description: String) { self.description = description }
}
