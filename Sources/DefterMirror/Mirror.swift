public import DefterLog
public import DefterWitness
import Foundation

/// A verifying mirror of a Defter log published as C2SP tiles (`defter log publish`, or
/// `defter serve`'s own `/checkpoint` and `/tile/...`), after C2SP `tlog-mirror` where it fits.
///
/// A round reads the primary's checkpoint and checks its signature with the pinned key (and, when
/// asked, its witnesses' cosignatures). Before it fetches any entry, it checks the primary's hash
/// tiles against that checkpoint: the hash of each full bundle's subtree (tree level 8, from the
/// level-1 tiles) and the leaves of the partial bundle at the end (from the last level-0 tile),
/// with the subtrees the mirror already holds, must make the signed root. Then it reads the entry
/// bundles, several at a time, checks each against its verified subtree hash, and appends the
/// entries byte for byte (same leaves, same roots) while it reads the next ones: each bundle is
/// read once and memory stays flat. The checkpoint is stored beside them last (`EventLog.adopt`).
/// With a cosigner key of its own, the mirror then cosigns the checkpoint: tlog-mirror's statement
/// that it has durably copied what the checkpoint covers. Its cosignature, and those of the
/// primary's witnesses it verified, are kept beside the log (`data/witnesses`), and a mirror served
/// with `defter serve --read-only` shows them after the log's signature at `/checkpoint`.
///
/// A primary whose new checkpoint does not extend what the mirror holds (a rewritten or a shorter
/// history) is refused with `MirrorError.fork`, naming both checkpoints, before anything is
/// written; a server that serves damaged tiles is refused with `MirrorError.source`, keeping every
/// entry already verified, so that the next round goes on from there.
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
    let source: any TileSource
    /// Witnesses whose cosignatures a checkpoint must carry, `quorum` of them, before the mirror
    /// takes anything it covers (C2SP tlog-cosignature lines after the log's own signature).
    let witnesses: [CosignerVerifierKey]
    let quorum: Int
    /// The mirror's own cosigning key, when it vouches for what it copied.
    let cosigner: Cosigner?
    /// How many files are read at once.
    let parallelReads: Int
    /// How many entries at most one commit of the mirror's log carries.
    static let entriesPerCommit = 131_072
    /// How many entries the first commit of a round carries: the log's writer starts early, and
    /// each next commit doubles it up to `entriesPerCommit`.
    static let entriesInFirstCommit = 8_192

    /// A mirror of the log published at `source` into `log`, which must have been made with
    /// `LogConfiguration.mirrorOf` the primary's key; with `witnesses`, only checkpoints cosigned
    /// by `quorum` of them are mirrored. `parallelReads` files are read at once.
    public init(
        log: EventLog, source: any TileSource, witnesses: [CosignerVerifierKey] = [], quorum: Int = 0, cosigner: Cosigner? = nil,
        parallelReads: Int = 8
    ) {
        self.log = log
        self.source = source
        self.witnesses = witnesses
        self.quorum = quorum
        self.cosigner = cosigner
        self.parallelReads = max(1, parallelReads)
    }

    /// Brings the mirror up to the primary's newest checkpoint.
    public func follow() async throws -> Report {
        let note = String(decoding: try await source.read("checkpoint"), as: UTF8.self)
        // Only the log's own signature: witnesses' cosignatures may follow it.
        guard let separator = note.range(of: "\n\n") else { throw MirrorError.source("\(source.name)/checkpoint is not a signed note") }
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
        // The cosignature lines after the log's signature that a trusted witness's key verifies.
        let witnessLines = note[separator.upperBound...].split(separator: "\n").dropFirst().map(String.init).filter { line in
            witnesses.contains { ((try? $0.verify(line: line, body: checkpoint.checkpoint.body)) ?? nil) != nil }
        }
        if quorum > 0 {
            let lines = witnessLines
            let vouching = CosignerVerifierKey.vouching(witnesses, in: lines, body: checkpoint.checkpoint.body).map(\.name)
            guard vouching.count >= quorum else {
                throw MirrorError.source(
                    "the primary's checkpoint (size \(checkpoint.checkpoint.treeSize)) carries \(vouching.count) of the \(quorum) witness cosignatures required (\(vouching.isEmpty ? "none" : vouching.joined(separator: ", "))); nothing it covers is mirrored until witnesses vouch for it"
                )
            }
        }
        let target = checkpoint.checkpoint.treeSize
        let held = try log.size()
        let newest = try log.newestCheckpoint()
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
            if newest?.checkpoint.treeSize != target {
                try await log.adopt(checkpoint)
                try keep(checkpoint, witnessLines: witnessLines)
            }
            return Report(fromSize: held, toSize: target)
        }
        let plan = try await verifiedBundles(held: held, checkpoint: checkpoint, newest: newest)
        try await copyEntries(plan, held: held, target: target, checkpoint: checkpoint, newest: newest)
        try await log.adopt(checkpoint)
        try keep(checkpoint, witnessLines: witnessLines)
        return Report(fromSize: held, toSize: target)
    }

    /// Keeps the verified witnesses' cosignatures of a checkpoint the mirror adopted, with its own
    /// when it has a key: the log is committed, so the mirror can say it holds what it covers.
    private func keep(_ checkpoint: SignedCheckpoint, witnessLines: [String]) throws {
        var lines = witnessLines
        if let cosigner {
            let line = try cosigner.cosign(body: checkpoint.checkpoint.body, time: UInt64(Date().timeIntervalSince1970))
            lines.append(line.trimmingCharacters(in: .newlines))
        }
        guard !lines.isEmpty else { return }
        try WitnessClient.keep(lines, treeSize: checkpoint.checkpoint.treeSize, at: log.folder.appendingPathComponent("witnesses"))
    }

    static func forkMessage(_ primary: SignedCheckpoint, _ held: SignedCheckpoint?) -> String {
        "the primary's checkpoint (size \(primary.checkpoint.treeSize), root \(primary.checkpoint.root.base64)) is not an extension of "
            + (held.map { "the one this mirror verified (size \($0.checkpoint.treeSize), root \($0.checkpoint.root.base64))" }
                ?? "the entries this mirror holds")
            + ": its history was rewritten; the mirror keeps what it has"
    }

    /// What the bundles the mirror has yet to take must hash to, every value already checked
    /// against the signed root.
    struct BundlePlan {
        /// The bundle holding the mirror's next entry.
        let firstBundle: UInt64
        /// The subtree hash of each full bundle from `firstBundle` on.
        let fullBundleHashes: [MerkleHash]
        /// The leaves of the partial bundle at the end of the tree; empty when it ends on a full one.
        let tailLeaves: [MerkleHash]
    }

    /// Reads the primary's hash tiles for the part of the tree the mirror lacks and checks that,
    /// with the perfect subtrees the mirror holds, they make the checkpoint's root.
    private func verifiedBundles(held: UInt64, checkpoint: SignedCheckpoint, newest: SignedCheckpoint?) async throws -> BundlePlan {
        let width = UInt64(TileAddress.width)
        let target = checkpoint.checkpoint.treeSize
        let firstBundle = held / width
        let fullBundles = target / width
        var frontier = try localFrontier(size: firstBundle * width)
        var fullBundleHashes: [MerkleHash] = []
        if fullBundles > firstBundle {
            // A level-1 tile holds the level-8 hashes of 256 bundles.
            let tiles = (firstBundle / width)...((fullBundles - 1) / width)
            let addresses = tiles.map { TileAddress(level: 1, index: $0, width: Int(min(width, fullBundles - $0 * width))) }
            try await readInOrder(addresses) { address, bytes in
                try Self.hashes(in: bytes, of: address)
            } _: { address, hashes in
                for (offset, hash) in hashes.enumerated()
                where address.index * width + UInt64(offset) >= firstBundle {
                    fullBundleHashes.append(hash)
                    Self.push((level: 8, hash: hash), onto: &frontier)
                }
            }
        }
        var tailLeaves: [MerkleHash] = []
        if target % width != 0 {
            let address = TileAddress(level: 0, index: fullBundles, width: Int(target % width))
            tailLeaves = try Self.hashes(in: try await source.read(address.description), of: address)
            for leaf in tailLeaves { Self.push((level: 0, hash: leaf), onto: &frontier) }
        }
        guard Self.root(of: frontier) == checkpoint.checkpoint.root else {
            guard held > 0 else {
                throw MirrorError.source(
                    "the hash tiles at \(source.name) do not make the root its checkpoint signs (size \(target)): the server holds damaged or mixed-up tiles"
                )
            }
            throw MirrorError.fork(Self.forkMessage(checkpoint, newest))
        }
        return BundlePlan(firstBundle: firstBundle, fullBundleHashes: fullBundleHashes, tailLeaves: tailLeaves)
    }

    /// Reads the entry bundles the plan covers, checks each against it, and appends the new
    /// entries in a pipeline: while one commit is written, the next one's index rows are sorted
    /// and the bundles after it read and checked. A mirror that starts empty defers its id and
    /// stream index rows and writes them once at the end (`EventLog.restore(_:deferringIndexes:)`),
    /// before it adopts the checkpoint.
    private func copyEntries(
        _ plan: BundlePlan, held: UInt64, target: UInt64, checkpoint: SignedCheckpoint, newest: SignedCheckpoint?
    ) async throws {
        let width = UInt64(TileAddress.width)
        let addresses = (plan.firstBundle..<((target + width - 1) / width)).map {
            TileAddress(level: nil, index: $0, width: Int(min(width, target - $0 * width)))
        }
        // The leaves the mirror holds in the bundle it has begun: the primary's must be the same.
        let heldLeaves = try log.perfectNodes(level: 0, indices: (plan.firstBundle * width)..<held)
        let sourceName = source.name
        var batch: [EntryBundle] = []
        var batchEntries = 0
        var commitSize = Self.entriesInFirstCommit
        // The last commit queued (its rows sorting, then waiting for the one before), and the one
        // before it: at most these two are in flight while the next bundles are read.
        var last: Task<Void, any Error>?
        var beforeLast: Task<Void, any Error>?
        let log = self.log
        let deferring = held == 0
        do {
            // Each bundle is read, checked entry by entry and hashed in the reading task, several at
            // once; here, in order, its hash is compared with the plan's and it joins the next commit.
            try await readInOrder(addresses) { address, bytes in
                do {
                    return try EntryBundle(bytes, of: address)
                } catch {
                    throw MirrorError.source("\(sourceName)/\(address) is not a bundle of log entries: \(error)")
                }
            } _: { address, bundle in
                let matches =
                    address.isPartial
                    ? bundle.leaves == plan.tailLeaves
                    : bundle.subtreeRoot == plan.fullBundleHashes[Int(address.index - plan.firstBundle)]
                guard matches else {
                    throw MirrorError.source(
                        "the entries in \(sourceName)/\(address) are not the ones the checkpoint (size \(target)) signs: the server holds a damaged bundle; entries before it are kept"
                    )
                }
                if address.index == plan.firstBundle, !bundle.leaves.starts(with: heldLeaves) {
                    throw MirrorError.fork(Self.forkMessage(checkpoint, newest))
                }
                let new = bundle.after(held)
                batch.append(new)
                batchEntries += new.count
                if batchEntries >= commitSize {
                    commitSize = min(2 * commitSize, Self.entriesPerCommit)
                    try await beforeLast?.value
                    let sorted = Task { [batch] in RestoreBatch(batch) }
                    let previous = last
                    beforeLast = previous
                    last = Task {
                        try await previous?.value
                        _ = try await log.restore(await sorted.value, deferringIndexes: deferring)
                    }
                    batch = []
                    batchEntries = 0
                }
            }
        } catch {
            // What was verified before the failure is kept: wait for its commits.
            _ = try? await last?.value
            if batchEntries > 0 { _ = try? await log.restore(RestoreBatch(batch), deferringIndexes: deferring) }
            try? await log.finishDeferredIndexes()
            throw error
        }
        try await last?.value
        if batchEntries > 0 { _ = try await log.restore(RestoreBatch(batch), deferringIndexes: deferring) }
        try await log.finishDeferredIndexes()
    }

    /// Reads the files at `addresses`, `parallelReads` at a time, each read and then `decode`d in
    /// a task of its own, and hands each result to `body` in order.
    private func readInOrder<Decoded: Sendable>(
        _ addresses: [TileAddress], _ decode: @escaping @Sendable (TileAddress, [UInt8]) throws -> Decoded,
        _ body: (TileAddress, Decoded) async throws -> Void
    ) async throws {
        let source = self.source
        var pending: [Task<Decoded, any Error>] = []
        defer { for task in pending { task.cancel() } }
        var next = 0
        for address in addresses {
            while next < addresses.count, pending.count < parallelReads {
                let address = addresses[next]
                pending.append(Task { try decode(address, try await source.read(address.description)) })
                next += 1
            }
            try await body(address, try await pending.removeFirst().value)
        }
    }

    /// The hashes of a hash tile: 32 bytes each.
    static func hashes(in bytes: [UInt8], of address: TileAddress) throws -> [MerkleHash] {
        guard bytes.count == address.width * 32 else {
            throw MirrorError.source("\(address) holds \(bytes.count) bytes, not the \(address.width * 32) of \(address.width) hashes")
        }
        return stride(from: 0, to: bytes.count, by: 32).map { MerkleHash(bytes: Array(bytes[$0..<($0 + 32)]))! }
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

    /// Adds the perfect subtree `node` after the others, merging equal levels; subtrees are pushed
    /// left to right, never one above the level of the last.
    static func push(_ node: (level: Int, hash: MerkleHash), onto frontier: inout [(level: Int, hash: MerkleHash)]) {
        var node = node
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
}
