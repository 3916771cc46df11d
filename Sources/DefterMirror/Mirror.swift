public import DefterLog
public import DefterWitness
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A verifying mirror of a Defter log published as C2SP tiles (`defter log publish`, or
/// `defter serve`'s own `/checkpoint` and `/tile/...`), after C2SP `tlog-mirror` where it fits:
/// it fetches the primary's checkpoint, checks its signature with the pinned key, fetches the
/// entries it does not have, recomputes the tree over its own entries and the new ones, and
/// appends them byte for byte (same leaves, same roots) only when that tree's root is the signed
/// one. The checkpoint is then stored beside them (`EventLog.adopt`).
///
/// A primary whose new checkpoint does not extend what the mirror holds (a rewritten or a shorter
/// history) is refused with `MirrorError.fork`, naming both checkpoints; the mirror keeps its log
/// as it was.
public struct Mirror: Sendable {
    /// What one round did.
    public struct Report: Sendable, Equatable {
        /// The mirror's size before.
        public let fromSize: UInt64
        /// Its size after: the primary's checkpoint.
        public let toSize: UInt64
    }

    /// Why a round failed.
    public enum MirrorError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The primary's history is not the one the mirror holds.
        case fork(String)
        /// The primary could not be read, or served something that is not what it should be.
        case source(String)

        public var description: String {
            switch self {
            case .fork(let message): "FORK: \(message)"
            case .source(let message): message
            }
        }
    }

    let log: EventLog
    let source: URL
    /// Witnesses whose cosignatures a checkpoint must carry, `quorum` of them, before the mirror
    /// takes anything it covers (C2SP tlog-cosignature lines after the log's own signature).
    let witnesses: [CosignerVerifierKey]
    let quorum: Int

    /// A mirror of the log at `source` (its tile prefix) into `log`, which must have been made
    /// with `LogConfiguration.mirrorOf` the primary's key; with `witnesses`, only checkpoints
    /// cosigned by `quorum` of them are mirrored.
    public init(log: EventLog, source: URL, witnesses: [CosignerVerifierKey] = [], quorum: Int = 0) {
        self.log = log
        self.source = source
        self.witnesses = witnesses
        self.quorum = quorum
    }

    /// Brings the mirror up to the primary's newest checkpoint.
    public func follow() async throws -> Report {
        let note = try await fetchText("checkpoint")
        // Only the log's own signature: witnesses' cosignatures may follow it.
        guard let separator = note.range(of: "\n\n") else { throw MirrorError.source("\(source)/checkpoint is not a signed note") }
        let firstSignature = note[separator.upperBound...].prefix { $0 != "\n" }
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try SignedCheckpoint(parsing: String(note[..<separator.upperBound]) + firstSignature + "\n")
            try checkpoint.verify(with: log.verifierKey)
        } catch {
            throw MirrorError.source("the primary's checkpoint does not verify with the pinned key \(log.verifierKey.name): \(error)")
        }
        guard checkpoint.checkpoint.origin == log.origin else {
            throw MirrorError.source("the primary serves log '\(checkpoint.checkpoint.origin)', not '\(log.origin)'")
        }
        if quorum > 0 {
            let lines = note[separator.upperBound...].split(separator: "\n").dropFirst().map(String.init)
            let vouching = witnesses.filter { key in
                lines.contains { line in (try? key.verify(line: line, body: checkpoint.checkpoint.body)).flatMap { $0 } != nil }
            }.map(\.name)
            guard vouching.count >= quorum else {
                throw MirrorError.source(
                    "the primary's checkpoint (size \(checkpoint.checkpoint.treeSize)) carries \(vouching.count) of the \(quorum) witness cosignatures required (\(vouching.isEmpty ? "none" : vouching.joined(separator: ", "))); nothing it covers is mirrored until witnesses vouch for it"
                )
            }
        }
        let target = checkpoint.checkpoint.treeSize
        let held = try log.size()
        let newest = try log.checkpoints().last
        if let newest, newest.checkpoint.treeSize > target {
            throw MirrorError.fork(
                "the primary's checkpoint (size \(target), root \(checkpoint.checkpoint.root.base64)) is older than the one this mirror "
                    + "holds (size \(newest.checkpoint.treeSize), root \(newest.checkpoint.root.base64)): it went back")
        }
        guard held <= target else {
            throw MirrorError.fork(
                "the primary's checkpoint (size \(target), root \(checkpoint.checkpoint.root.base64)) is smaller than this mirror's log (\(held) entries)"
            )
        }
        if held == target {
            guard try log.root(size: target).root == checkpoint.checkpoint.root else {
                throw MirrorError.fork(Self.forkMessage(checkpoint, newest))
            }
            if newest?.checkpoint.treeSize != target { try await log.adopt(checkpoint) }
            return Report(fromSize: held, toSize: target)
        }
        // First pass: the tree over what the mirror holds and the new entries must have the signed
        // root. Only the leaf hashes are kept; the entries are fetched again to be written.
        var frontier = try localFrontier(size: held)
        var leaves: [MerkleHash] = []
        try await forEachNewEntry(from: held, to: target) { entry in
            let leaf = MerkleHash.leaf(entry.bytes)
            leaves.append(leaf)
            Self.push(leaf, onto: &frontier)
        }
        guard Self.root(of: frontier) == checkpoint.checkpoint.root else { throw MirrorError.fork(Self.forkMessage(checkpoint, newest)) }
        // Second pass: write them, each the very bytes whose hash was checked.
        var batch: [LogEntry] = []
        var index = 0
        try await forEachNewEntry(from: held, to: target) { entry in
            guard MerkleHash.leaf(entry.bytes) == leaves[index] else {
                throw MirrorError.source("entry \(entry.sequence) changed between two reads of the same tile; try again")
            }
            index += 1
            batch.append(entry)
        } flush: {
            if !batch.isEmpty { _ = try await log.restore(batch) }
            batch.removeAll(keepingCapacity: true)
        }
        try await log.adopt(checkpoint)
        return Report(fromSize: held, toSize: target)
    }

    static func forkMessage(_ primary: SignedCheckpoint, _ held: SignedCheckpoint?) -> String {
        "the primary's checkpoint (size \(primary.checkpoint.treeSize), root \(primary.checkpoint.root.base64)) is not an extension of "
            + (held.map { "the one this mirror verified (size \($0.checkpoint.treeSize), root \($0.checkpoint.root.base64))" }
                ?? "the entries this mirror holds")
            + ": its history was rewritten; the mirror keeps what it has"
    }

    /// Calls `body` with each entry `from + 1 ... to`, bundle by bundle, and `flush` after each bundle.
    private func forEachNewEntry(
        from held: UInt64, to target: UInt64, _ body: (LogEntry) async throws -> Void, flush: () async throws -> Void = {}
    ) async throws {
        var bundle = held / 256
        while bundle * 256 < target {
            let width = min(256, target - bundle * 256)
            let address = TileAddress(level: nil, index: bundle, width: Int(width))
            let bytes = try await fetch(address.description)
            var offset = 0
            var position = bundle * 256
            while offset < bytes.count {
                guard offset + 2 <= bytes.count else { throw MirrorError.source("\(address) ends inside a length prefix") }
                let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                guard offset + 2 + length <= bytes.count else { throw MirrorError.source("\(address) ends inside an entry") }
                position += 1
                if position > held {
                    let entry: LogEntry
                    do { entry = try LogEntry(exported: Array(bytes[(offset + 2)..<(offset + 2 + length)])) } catch {
                        throw MirrorError.source("entry \(position) in \(address) is not a log entry: \(error)")
                    }
                    guard entry.sequence == position else {
                        throw MirrorError.source("\(address) holds entry \(entry.sequence) where entry \(position) belongs")
                    }
                    try await body(entry)
                }
                offset += 2 + length
            }
            guard position == bundle * 256 + width else {
                throw MirrorError.source("\(address) holds \(position - bundle * 256) entries, not \(width)")
            }
            try await flush()
            bundle += 1
        }
    }

    /// The perfect subtrees of the mirror's first `size` leaves, largest first: the start of the
    /// tree the new leaves extend.
    private func localFrontier(size: UInt64) throws -> [(level: Int, hash: MerkleHash)] {
        var frontier: [(level: Int, hash: MerkleHash)] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            let index = start >> UInt64(level)
            frontier.append((level, try log.perfectNodes(level: level, indices: index..<(index + 1))[0]))
            start += UInt64(1) << UInt64(level)
        }
        return frontier
    }

    static func push(_ leaf: MerkleHash, onto frontier: inout [(level: Int, hash: MerkleHash)]) {
        var node = (level: 0, hash: leaf)
        while let last = frontier.last, last.level == node.level {
            frontier.removeLast()
            node = (node.level + 1, MerkleHash.node(last.hash, node.hash))
        }
        frontier.append(node)
    }

    static func root(of frontier: [(level: Int, hash: MerkleHash)]) -> MerkleHash {
        guard var root = frontier.last?.hash else { return .emptyTree }
        for node in frontier.dropLast().reversed() { root = MerkleHash.node(node.hash, root) }
        return root
    }

    private func fetchText(_ path: String) async throws -> String {
        String(decoding: try await fetch(path), as: UTF8.self)
    }

    private func fetch(_ path: String) async throws -> [UInt8] {
        let url = source.appendingPathComponent(path)
        let request = URLRequest(url: url, timeoutInterval: 30)
        let (status, data): (Int, Data)
        do {
            (status, data) = try await withCheckedThrowingContinuation { continuation in
                URLSession.shared.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else {
                        continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                    }
                }.resume()
            }
        } catch {
            throw MirrorError.source("cannot read \(url.absoluteString): \((error as NSError).localizedDescription)")
        }
        guard status == 200 else { throw MirrorError.source("\(url.absoluteString) answered \(status)") }
        return Array(data)
    }
}
