internal import CLMDB
import Crypto
public import Foundation
import Logging

/// The append-only event log: one LMDB environment in a data folder, a Merkle tree over its
/// entries (RFC 9162), signed checkpoints, and a single group-committing writer.
///
/// Open it with `EventLog.open(at:configuration:)`, share it freely between tasks, and call
/// `close()` last, after everything that uses it has stopped.
public final class EventLog: Sendable {
    /// The data folder.
    public let folder: URL
    /// The log's identity in checkpoints.
    public let origin: String
    /// The key that verifies this log's checkpoints.
    public let verifierKey: CheckpointVerifierKey
    /// Whether this log holds its signing key (a mirror does not, until promoted).
    public let canSign: Bool
    let environment: LMDBEnvironment
    let notifier: CommitNotifier
    private let writer: GroupCommitWriter?
    private let configuration: LogConfiguration
    let dbi: GroupCommitWriter.Databases
    let meta: MDB_dbi

    /// The name of the private signing key file inside the data folder.
    public static let signingKeyFileName = "checkpoint.key"
    /// The name of the public verifier key file inside the data folder.
    public static let verifierKeyFileName = "checkpoint.vkey"

    private init(
        folder: URL, origin: String, verifierKey: CheckpointVerifierKey, signer: CheckpointSigner?,
        environment: LMDBEnvironment, configuration: LogConfiguration
    ) throws {
        self.folder = folder
        self.origin = origin
        self.verifierKey = verifierKey
        self.canSign = signer != nil
        self.environment = environment
        self.configuration = configuration
        self.meta = environment.database(LogLayout.meta)
        let dbi = GroupCommitWriter.Databases(
            events: environment.database(LogLayout.events), streams: environment.database(LogLayout.streams),
            ids: environment.database(LogLayout.ids), merkle: environment.database(LogLayout.merkle),
            checkpoints: environment.database(LogLayout.checkpoints), meta: environment.database(LogLayout.meta))
        self.dbi = dbi
        if !configuration.readOnly {
            let indexed = try DeferredIndexes.buildIfPending(environment: environment, dbi: dbi)
            if indexed > 0 {
                configuration.logger.notice(
                    "built the index rows a stopped writer had deferred", metadata: ["entries": "\(indexed)", "log": "\(folder.path)"])
            }
        }
        let head = try environment.read { txn in
            try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        }
        let notifier = CommitNotifier(head: head)
        self.notifier = notifier
        if configuration.readOnly {
            writer = nil
        } else {
            writer = GroupCommitWriter(
                environment: environment, head: head, clock: configuration.clock, signer: signer, origin: origin,
                notifier: notifier, maximumGroupEvents: configuration.maximumGroupEvents, logger: configuration.logger,
                observer: configuration.groupCommitObserver)
        }
    }

    /// Opens the log in `folder`, creating it when the folder is missing or empty (unless the
    /// configuration says read-only or not to create).
    ///
    /// Throws `StorageError` with kind `.notALog` for a folder holding anything else, and
    /// `.missing` when there is no log and none may be created.
    public static func open(at folder: URL, configuration: LogConfiguration = LogConfiguration()) throws -> EventLog {
        let path = folder.path
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        let mayCreate = configuration.createIfMissing && !configuration.readOnly
        if files.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StorageError(.notALog, "\(path) is a file, not a Defter data folder")
            }
        } else {
            guard mayCreate else { throw StorageError(.missing, "there is no log at \(path); check --data or DEFTER_DATA") }
            do {
                try files.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.io, "cannot create the data folder \(path): \(error.localizedDescription)")
            }
        }
        let contents = (try? files.contentsOfDirectory(atPath: path)) ?? []
        let exists = contents.contains("data.mdb")
        if !exists {
            guard contents.filter({ !$0.hasPrefix(".") }).isEmpty else {
                throw StorageError(
                    .notALog, "\(path) is not empty and holds no data.mdb, so it is not a Defter log; use an empty or new folder")
            }
            guard mayCreate else { throw StorageError(.missing, "there is no log at \(path); check --data or DEFTER_DATA") }
        }
        let environment = try LMDBEnvironment(
            path: path, databaseNames: LogLayout.all, initialMapSize: configuration.initialMapSize,
            maximumMapSize: configuration.maximumMapSize, readOnly: configuration.readOnly, create: !exists,
            logger: configuration.logger)
        let meta = environment.database(LogLayout.meta)
        var stored = try environment.read { txn in
            (
                format: try txn.get(meta, key: Array("format".utf8)).map { String(decoding: $0, as: UTF8.self) },
                origin: try txn.get(meta, key: Array("origin".utf8)).map { String(decoding: $0, as: UTF8.self) },
                vkey: try txn.get(meta, key: Array("vkey".utf8)).map { String(decoding: $0, as: UTF8.self) }
            )
        }
        let keyFile = folder.appendingPathComponent(signingKeyFileName)
        var signer: CheckpointSigner?
        if stored.format == nil && !exists, let primary = configuration.mirrorOf {
            do {
                try Data((primary.vkey + "\n").utf8).write(to: folder.appendingPathComponent(verifierKeyFileName))
            } catch {
                throw StorageError(.io, "cannot write the verifier key in \(folder.path): \(error.localizedDescription)")
            }
            try environment.write { txn in
                try txn.put(meta, key: Array("format".utf8), value: Array(LogLayout.formatMarker.utf8))
                try txn.put(meta, key: Array("origin".utf8), value: Array(primary.name.utf8))
                try txn.put(meta, key: Array("vkey".utf8), value: Array(primary.vkey.utf8))
            }
            stored = (LogLayout.formatMarker, primary.name, primary.vkey)
        } else if stored.format == nil && !exists {
            let origin = configuration.origin ?? "defter.local/log-\(Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) }))"
            let newSigner = CheckpointSigner(name: origin, privateKey: Curve25519.Signing.PrivateKey())
            try writeKeyFiles(newSigner, in: folder)
            try environment.write { txn in
                try txn.put(meta, key: Array("format".utf8), value: Array(LogLayout.formatMarker.utf8))
                try txn.put(meta, key: Array("origin".utf8), value: Array(origin.utf8))
                try txn.put(meta, key: Array("vkey".utf8), value: Array(newSigner.verifierKey.vkey.utf8))
            }
            stored = (LogLayout.formatMarker, origin, newSigner.verifierKey.vkey)
            signer = newSigner
        }
        guard let format = stored.format else {
            throw StorageError(.notALog, "\(path) holds an LMDB environment without Defter's format marker; it is not a Defter log")
        }
        guard format == LogLayout.formatMarker else {
            throw StorageError(.notALog, "\(path) holds a log in format '\(format)'; this defter reads \(LogLayout.formatMarker)")
        }
        guard let origin = stored.origin, let vkeyText = stored.vkey, let verifierKey = try? CheckpointVerifierKey(vkey: vkeyText)
        else { throw StorageError(.corrupted, "the log's metadata in \(path) (origin or verifier key) is missing or damaged") }
        if signer == nil, let text = try? String(contentsOf: keyFile, encoding: .utf8) {
            let loaded = try CheckpointSigner(fileText: text)
            guard loaded.verifierKey == verifierKey else {
                throw CheckpointError.key("\(keyFile.path) is not the key this log was created with; restore the right key")
            }
            signer = loaded
        }
        return try EventLog(
            folder: folder, origin: origin, verifierKey: verifierKey, signer: signer, environment: environment,
            configuration: configuration)
    }

    /// Gives a mirror's folder the log's signing key (`checkpoint.key` text), so that it can
    /// carry on as the primary: the key must be the one whose verifier key the log holds.
    /// Refuses a folder that already has a signing key.
    public static func installSigningKey(_ keyFileText: String, in folder: URL) throws {
        let signer = try CheckpointSigner(fileText: keyFileText)
        var configuration = LogConfiguration()
        configuration.readOnly = true
        configuration.createIfMissing = false
        let log = try EventLog.open(at: folder, configuration: configuration)
        let expected = log.verifierKey
        let canSign = log.canSign
        log.close()
        guard !canSign else { throw CheckpointError.key("\(folder.path) already has a signing key; it is a primary, not a mirror") }
        guard signer.verifierKey == expected else {
            throw CheckpointError.key(
                "the key is '\(signer.verifierKey.name)' (\(Hex.encode(signer.verifierKey.keyID))), not this log's '\(expected.name)' (\(Hex.encode(expected.keyID)))"
            )
        }
        let keyFile = folder.appendingPathComponent(signingKeyFileName)
        guard
            FileManager.default.createFile(
                atPath: keyFile.path, contents: Data(signer.fileText.utf8), attributes: [.posixPermissions: 0o600])
        else { throw StorageError(.io, "cannot write the signing key \(keyFile.path)") }
    }

    private static func writeKeyFiles(_ signer: CheckpointSigner, in folder: URL) throws {
        let keyFile = folder.appendingPathComponent(signingKeyFileName)
        let created = FileManager.default.createFile(
            atPath: keyFile.path, contents: Data(signer.fileText.utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw StorageError(.io, "cannot write the signing key \(keyFile.path)") }
        do {
            try Data((signer.verifierKey.vkey + "\n").utf8).write(to: folder.appendingPathComponent(verifierKeyFileName))
        } catch {
            throw StorageError(.io, "cannot write the verifier key in \(folder.path): \(error.localizedDescription)")
        }
    }

    /// Finishes queued appends, stops the writer, wakes live tails (which then end), and closes
    /// LMDB. Later calls throw `StorageError(.closed)`.
    public func close() {
        writer?.stop()
        notifier.close()
        environment.close()
    }

    // MARK: Appending

    /// Appends a batch atomically and durably: it returns once the batch is on disk, and either
    /// every event of it is recorded or none is.
    ///
    /// Runs on the caller's executor up to the point where the batch is queued for the writer,
    /// so an actor that appends twice has its batches queued, and so written, in that order:
    /// the ticket service relies on it to number tickets without conflicts.
    ///
    /// - Throws: `AppendError` when the batch is refused, `StorageError` when storage fails.
    @discardableResult
    public nonisolated(nonsending) func append(_ events: [NewEvent]) async throws -> AppendResult {
        try await append(events, first: nil)
    }

    /// Appends a batch as `append(_:)` does, after `first` has run on the log's writer, in the
    /// same cycle as the transaction that writes the batch and just before it. When `first`
    /// throws, the batch is refused with its error and nothing of it is written.
    ///
    /// The ticket service passes `KeyVault.makeDurable` here: a call's new citizen key is stored
    /// durably just before the events that name it, and the keys of every call in a group commit
    /// are stored in one vault transaction, with no hop to a thread of the vault's own.
    @discardableResult
    public nonisolated(nonsending) func append(_ events: [NewEvent], committingFirst first: @escaping @Sendable () throws -> Void)
        async throws -> AppendResult
    {
        try await append(events, first: first)
    }

    /// Both `append`s: prepares the batch and queues it, still on the caller's executor.
    private nonisolated(nonsending) func append(_ events: [NewEvent], first: (@Sendable () throws -> Void)?) async throws
        -> AppendResult
    {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        guard !events.isEmpty else { throw AppendError.emptyBatch }
        return try await writer.append(try Self.prepare(events, maximumPayloadBytes: configuration.maximumPayloadBytes), first: first)
    }

    /// The smallest batch whose events are validated and encoded on two threads.
    static let parallelPreparationThreshold = 512

    /// Validates and encodes a batch's events, in order. A large batch is split in two halves
    /// prepared on two threads at once (the writer is idle meanwhile, waiting for this batch);
    /// this blocks rather than suspends, so that the caller's executor is not given up before the
    /// batch is queued (see `append(_:)`).
    static func prepare(_ events: [NewEvent], maximumPayloadBytes: Int) throws(AppendError) -> [PreparedEvent] {
        @Sendable func prepare(_ range: Range<Int>, into prepared: inout [PreparedEvent]) -> AppendError? {
            for index in range {
                do {
                    prepared.append(try events[index].prepared(maximumPayloadBytes: maximumPayloadBytes))
                } catch {
                    return AppendError.invalidEvent(index: index, reason: error.reason)
                }
            }
            return nil
        }
        var prepared: [PreparedEvent] = []
        prepared.reserveCapacity(events.count)
        guard events.count >= parallelPreparationThreshold else {
            if let failure = prepare(events.indices, into: &prepared) { throw failure }
            return prepared
        }
        let half = events.count / 2
        // Each half has its own box, written only by its own iteration and read after
        // concurrentPerform returns. (One array of both halves would be modified by two threads
        // at once: a data race, which the thread sanitizer reported.)
        let halves = [UncheckedTransfer<(events: [PreparedEvent], failure: AppendError?)>(([], nil)), UncheckedTransfer(([], nil))]
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            var out: [PreparedEvent] = []
            out.reserveCapacity(part == 0 ? half : events.count - half)
            let failure = prepare(part == 0 ? 0..<half : half..<events.count, into: &out)
            halves[part].value = (out, failure)
        }
        // The first invalid event of the batch is the one reported.
        if let failure = halves[0].value.failure ?? halves[1].value.failure { throw failure }
        prepared.append(contentsOf: halves[0].value.events)
        prepared.append(contentsOf: halves[1].value.events)
        return prepared
    }

    /// Appends one event; see `append(_:)`.
    @discardableResult
    public func append(_ event: NewEvent) async throws -> UInt64 {
        try await append([event]).sequences[0]
    }

    /// Appends entries exported from another log (`LogEntry.init(exported:)`), byte for byte, so
    /// that this log becomes a copy of that one with the same Merkle root. Each must be the next
    /// sequence and the next version of its stream, with an id not yet recorded; otherwise the
    /// whole batch is refused with `AppendError.invalidEvent` and nothing is written.
    @discardableResult
    public func restore(_ entries: [LogEntry]) async throws -> AppendResult {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        guard !entries.isEmpty else { throw AppendError.emptyBatch }
        return try await writer.restore(entries)
    }

    /// Appends the entries of bundles another copy of this log published (`EntryBundle`, gathered
    /// in a `RestoreBatch`), byte for byte, the bundles in order: what a mirror writes once it has
    /// checked their leaf hashes against a checkpoint. Each entry must be the next sequence and the
    /// next version of its stream, with an id not yet recorded; otherwise nothing of the call is
    /// written and it throws `AppendError.invalidEvent`.
    ///
    /// With `deferringIndexes`, a log that is empty (or already deferring) keeps the entries' id
    /// and stream index rows in memory, checked just the same, and writes them all at once, sorted,
    /// at the next other write, at `finishDeferredIndexes()` or at `close()`: a mirror catching up
    /// from nothing then writes each index page once instead of in every commit. Until then,
    /// lookups by id or stream (`entry(id:)`, `entries(inStream:)`, `version(of:)`) do not see those
    /// entries. Should the process stop first, the next open builds the rows from the entries.
    @discardableResult
    public func restore(_ batch: RestoreBatch, deferringIndexes: Bool = false) async throws -> AppendResult {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        guard batch.count > 0 else { throw AppendError.emptyBatch }
        return try await writer.restore(batch, deferringIndexes: deferringIndexes)
    }

    /// Writes the index rows `restore(_:deferringIndexes:)` deferred, if any: after it returns,
    /// lookups by id and stream see every entry.
    public func finishDeferredIndexes() async throws {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        try await writer.finishIndexes()
    }

    /// Stores a checkpoint signed by this log's key elsewhere (a mirror adopting its primary's):
    /// its signature must verify with this log's verifier key, its size must not exceed the log
    /// nor fall below the newest stored checkpoint, and its root must be this log's root at its
    /// size. Throws naming what did not hold; stores nothing then.
    public func adopt(_ checkpoint: SignedCheckpoint) async throws {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        try checkpoint.verify(with: verifierKey)
        guard checkpoint.checkpoint.origin == origin else {
            throw CheckpointError.wrongKey("the checkpoint is for '\(checkpoint.checkpoint.origin)', not '\(origin)'")
        }
        try await writer.adopt(checkpoint)
    }

    /// Signs and stores a checkpoint of the tree as it stands.
    public func checkpoint() async throws -> SignedCheckpoint {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        return try await writer.checkpoint()
    }

    /// Signs and stores a checkpoint of the first `size` entries, which the log may have grown
    /// past: what a reader that computed something at `size` (the statistics behind a report)
    /// needs while the service keeps appending. Throws `LogRequestError` when `size` exceeds the
    /// log or falls below the newest stored checkpoint: checkpoints only grow.
    public func checkpoint(atSize size: UInt64) async throws -> SignedCheckpoint {
        guard let writer else { throw StorageError(.io, "the log at \(folder.path) was opened read-only") }
        return try await writer.checkpoint(atSize: size)
    }

    // MARK: Reading

    /// The number of committed entries (the sequence of the newest one).
    public func size() throws -> UInt64 {
        try environment.read { txn in
            try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        }
    }

    /// Up to `limit` entries starting at sequence `from`, in order.
    public func entries(from: UInt64, limit: Int = 1000) throws -> [LogEntry] {
        guard limit > 0 else { return [] }
        return try environment.read { txn in
            var out: [LogEntry] = []
            try txn.scan(dbi.events, from: LogLayout.bigEndian(max(from, 1))) { key, value in
                out.append(try decodeEntry(key: key, value: value))
                return out.count < limit
            }
            return out
        }
    }

    /// Calls `body` with the stored bytes of entries `from` through `through` (inclusive, clamped
    /// to the log), in order, in one read snapshot; `body` returns false to stop early.
    public func forEachEntryBytes(
        from: UInt64 = 1, through: UInt64 = .max, _ body: (_ sequence: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try environment.read { txn in
            try txn.scan(dbi.events, from: LogLayout.bigEndian(max(from, 1))) { key, value in
                guard let sequence = LogLayout.decodeBigEndian(key), sequence <= through else { return false }
                return try body(sequence, value)
            }
        }
    }

    /// The entry at `sequence`, or nil past the end.
    public func entry(at sequence: UInt64) throws -> LogEntry? {
        try environment.read { txn in
            try txn.withValue(dbi.events, key: LogLayout.bigEndian(sequence)) { raw in
                guard let raw else { return nil }
                return try decodeEntry(sequence: sequence, value: raw)
            }
        }
    }

    /// The entry recorded for an event id, if any.
    public func entry(id: EventID) throws -> LogEntry? {
        try environment.read { txn in
            guard let stored = try txn.get(dbi.ids, key: Array(id.rawValue.utf8)),
                let sequence = LogLayout.decodeBigEndian(stored)
            else { return nil }
            return try txn.withValue(dbi.events, key: stored) { raw in
                guard let raw else {
                    throw StorageError(.corrupted, "the id index points at sequence \(sequence), which is missing; run `defter log verify`")
                }
                return try decodeEntry(sequence: sequence, value: raw)
            }
        }
    }

    /// Up to `limit` events of `stream` from version `fromVersion` on, in stream order.
    public func entries(inStream stream: StreamID, fromVersion: UInt64 = 1, limit: Int = 1000) throws -> [LogEntry] {
        try environment.read { txn in
            let prefix = Array(stream.rawValue.utf8) + [0]
            var sequences: [[UInt8]] = []
            try txn.scan(dbi.streams, from: LogLayout.streamKey(stream, version: max(fromVersion, 1))) { key, value in
                guard key.count == prefix.count + 8, key.starts(with: prefix), sequences.count < limit else { return false }
                sequences.append(Array(value))
                return true
            }
            return try sequences.map { key in
                try txn.withValue(dbi.events, key: key) { raw in
                    guard let raw, let sequence = LogLayout.decodeBigEndian(key) else {
                        throw StorageError(.corrupted, "the stream index of '\(stream)' points at a missing entry; run `defter log verify`")
                    }
                    return try decodeEntry(sequence: sequence, value: raw)
                }
            }
        }
    }

    /// The current version of `stream` (0 when it has no events).
    public func version(of stream: StreamID) throws -> UInt64 {
        try environment.read { txn in try txn.streamVersion(stream, in: dbi.streams) }
    }

    /// Every entry from `sequence` on, then each new entry as it commits.
    public func tail(from sequence: UInt64 = 1, batchSize: Int = 512) -> LiveTail {
        LiveTail(log: self, start: sequence, batchSize: batchSize)
    }

    private func decodeEntry(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> LogEntry {
        guard let sequence = LogLayout.decodeBigEndian(key) else {
            throw StorageError(.corrupted, "the events database holds a key that is not a sequence number; run `defter log verify`")
        }
        return try decodeEntry(sequence: sequence, value: value)
    }

    private func decodeEntry(sequence: UInt64, value: UnsafeRawBufferPointer) throws -> LogEntry {
        let entry: LogEntry
        do {
            entry = try Envelope.decode(value)
        } catch {
            throw StorageError(.corrupted, "entry \(sequence) is damaged (\(error)); run `defter log verify`")
        }
        guard entry.sequence == sequence else {
            throw StorageError(.corrupted, "entry \(sequence) says it is entry \(entry.sequence); run `defter log verify`")
        }
        return entry
    }

    // MARK: Proofs

    /// The Merkle root of the first `size` entries (all of them when nil).
    public func root(size: UInt64? = nil) throws -> (size: UInt64, root: MerkleHash) {
        try environment.read { txn in
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            let size = size ?? head
            guard size <= head else { throw LogRequestError.sizeBeyondLog(size: size, logSize: head) }
            let root = try MerkleTree.root(size: size) { level, index in
                try txn.merkleNode(level: level, index: index, in: dbi.merkle)
            }
            return (size, root)
        }
    }

    /// The perfect nodes `(level, index)` for each index in `indices`, in order, from one
    /// snapshot: what a C2SP hash tile holds. Throws when one does not exist yet.
    public func perfectNodes(level: Int, indices: Range<UInt64>) throws -> [MerkleHash] {
        try environment.read { txn in
            try indices.map { index in try txn.merkleNode(level: level, index: index, in: dbi.merkle) }
        }
    }

    /// The proof that entry `sequence` is in the tree of `treeSize` entries (the whole log when nil).
    public func inclusionProof(sequence: UInt64, treeSize: UInt64? = nil) throws -> InclusionProof {
        try environment.read { txn in
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            let size = treeSize ?? head
            guard size <= head else { throw LogRequestError.sizeBeyondLog(size: size, logSize: head) }
            guard sequence >= 1, sequence <= size else { throw LogRequestError.sequenceOutOfRange(sequence: sequence, treeSize: size) }
            let node: MerkleTree.PerfectNode = { level, index in try txn.merkleNode(level: level, index: index, in: self.dbi.merkle) }
            return InclusionProof(
                sequence: sequence, treeSize: size, leafHash: try node(0, sequence - 1),
                root: try MerkleTree.root(size: size, node: node),
                path: try MerkleTree.inclusionProof(index: sequence - 1, size: size, node: node))
        }
    }

    /// The proof that the tree of `oldSize` entries is a prefix of the tree of `newSize` entries.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64? = nil) throws -> ConsistencyProof {
        try environment.read { txn in
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            let newSize = newSize ?? head
            guard newSize <= head else { throw LogRequestError.sizeBeyondLog(size: newSize, logSize: head) }
            guard oldSize >= 1, oldSize <= newSize else { throw LogRequestError.invalidConsistencyRange(from: oldSize, to: newSize) }
            let node: MerkleTree.PerfectNode = { level, index in try txn.merkleNode(level: level, index: index, in: self.dbi.merkle) }
            return ConsistencyProof(
                oldSize: oldSize, newSize: newSize, oldRoot: try MerkleTree.root(size: oldSize, node: node),
                newRoot: try MerkleTree.root(size: newSize, node: node),
                path: try MerkleTree.consistencyProof(oldSize: oldSize, newSize: newSize, node: node))
        }
    }

    /// The subtree consistency proof (draft-ietf-plants-merkle-tree-certs-02 section 4.4.1) that
    /// entries `[start, end)`, counted from 0 (`MerkleTree.isSubtree`), are part of the tree of
    /// `treeSize` entries: what C2SP `tlog-mirror` sends with each package of entries it uploads.
    public func subtreeConsistencyProof(start: UInt64, end: UInt64, treeSize: UInt64) throws -> [MerkleHash] {
        try environment.read { txn in
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            guard treeSize <= head else { throw LogRequestError.sizeBeyondLog(size: treeSize, logSize: head) }
            guard MerkleTree.isSubtree(start: start, end: end), end <= treeSize else {
                throw LogRequestError.notASubtree(start: start, end: end, treeSize: treeSize)
            }
            return try MerkleTree.subtreeConsistencyProof(start: start, end: end, size: treeSize) { level, index in
                try txn.merkleNode(level: level, index: index, in: self.dbi.merkle)
            }
        }
    }

    /// Every stored checkpoint, oldest first.
    public func checkpoints() throws -> [SignedCheckpoint] {
        try environment.read { txn in
            var out: [SignedCheckpoint] = []
            try txn.scan(dbi.checkpoints) { key, value in
                let number = LogLayout.decodeBigEndian(key) ?? 0
                do {
                    out.append(try SignedCheckpoint(parsing: String(decoding: value, as: UTF8.self)))
                } catch {
                    throw StorageError(.corrupted, "stored checkpoint #\(number) is damaged: \(error)")
                }
                return true
            }
            return out
        }
    }

    /// The newest stored checkpoint that `accept` takes, read from the newest back: what a
    /// reader of the log's head needs, without parsing every checkpoint ever signed.
    public func newestCheckpoint(where accept: (SignedCheckpoint) throws -> Bool = { _ in true }) throws -> SignedCheckpoint? {
        try environment.read { txn in
            var found: SignedCheckpoint?
            try txn.scanBackward(dbi.checkpoints) { key, value in
                let checkpoint: SignedCheckpoint
                do {
                    checkpoint = try SignedCheckpoint(parsing: String(decoding: value, as: UTF8.self))
                } catch {
                    throw StorageError(.corrupted, "stored checkpoint #\(LogLayout.decodeBigEndian(key) ?? 0) is damaged: \(error)")
                }
                guard try accept(checkpoint) else { return true }
                found = checkpoint
                return false
            }
            return found
        }
    }

    // MARK: Backup

    /// Writes a compacted, consistent copy of the log into `destination` (which must not exist or
    /// be empty) with the public verifier key, then verifies the copy. The private signing key is
    /// not copied: back it up separately.
    public func backup(to destination: URL) throws -> VerificationReport {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? files.contentsOfDirectory(atPath: destination.path))?.isEmpty == true else {
                throw StorageError(.io, "the backup destination \(destination.path) exists and is not an empty folder; choose a new path")
            }
        } else {
            do {
                try files.createDirectory(at: destination, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.io, "cannot create the backup folder \(destination.path): \(error.localizedDescription)")
            }
        }
        try environment.copyCompacted(to: destination.path)
        try? Data((verifierKey.vkey + "\n").utf8).write(to: destination.appendingPathComponent(Self.verifierKeyFileName))
        var readOnly = LogConfiguration()
        readOnly.readOnly = true
        readOnly.logger = configuration.logger
        let copy = try EventLog.open(at: destination, configuration: readOnly)
        defer { copy.close() }
        return try copy.verify()
    }

    // MARK: Testing hooks

    /// Removes the newest `count` entries and their index and tree rows, as an attacker or a bad
    /// restore might. For tests of truncation detection only.
    func removeNewestEntriesForTesting(_ count: UInt64) throws {
        try environment.write { txn in
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            for sequence in stride(from: head, to: head - min(count, head), by: -1) {
                let key = LogLayout.bigEndian(sequence)
                let entry = try txn.withValue(dbi.events, key: key) { raw in try Envelope.decode(raw!) }
                try txn.delete(dbi.events, key: key)
                try txn.delete(dbi.streams, key: LogLayout.streamKey(entry.stream, version: entry.streamVersion))
                try txn.delete(dbi.ids, key: Array(entry.id.rawValue.utf8))
                var level = 0
                var index = sequence - 1
                while true {
                    try txn.delete(dbi.merkle, key: LogLayout.merkleKey(level: level, index: index))
                    guard index & 1 == 1 else { break }
                    level += 1
                    index >>= 1
                }
            }
        }
    }

    /// Overwrites the stored bytes of entry `sequence` and, when `rehash` is set, its leaf and
    /// every perfect node above it, as a careful forger would. For tests only.
    func rewriteEntryForTesting(_ sequence: UInt64, bytes: [UInt8], rehash: Bool) throws {
        try environment.write { txn in
            try txn.put(dbi.events, key: LogLayout.bigEndian(sequence), value: bytes)
            guard rehash else { return }
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            var hash = MerkleHash.leaf(bytes)
            var level = 0
            var index = sequence - 1
            try txn.put(dbi.merkle, key: LogLayout.merkleKey(level: 0, index: index), value: hash)
            while true {
                let sibling = index ^ 1
                let siblingEnd = (sibling + 1) << UInt64(level)
                guard siblingEnd <= head else { break }
                let other = try txn.merkleNode(level: level, index: sibling, in: dbi.merkle)
                hash = index & 1 == 1 ? MerkleHash.node(other, hash) : MerkleHash.node(hash, other)
                level += 1
                index >>= 1
                try txn.put(dbi.merkle, key: LogLayout.merkleKey(level: level, index: index), value: hash)
            }
        }
    }
}

/// A request about the log that cannot be answered as asked.
public enum LogRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tree size larger than the log.
    case sizeBeyondLog(size: UInt64, logSize: UInt64)
    /// A sequence outside the tree asked about.
    case sequenceOutOfRange(sequence: UInt64, treeSize: UInt64)
    /// A consistency range that is not `1 <= from <= to`.
    case invalidConsistencyRange(from: UInt64, to: UInt64)
    /// A checkpoint asked for at a size below the newest stored one.
    case olderThanNewestCheckpoint(size: UInt64, newest: UInt64)
    /// Entries `[start, end)` that are not a subtree (`MerkleTree.isSubtree`) of the tree asked about.
    case notASubtree(start: UInt64, end: UInt64, treeSize: UInt64)

    public var description: String {
        switch self {
        case .sizeBeyondLog(let size, let logSize):
            "the log has \(logSize) entries, so there is no tree of size \(size)"
        case .sequenceOutOfRange(let sequence, let treeSize):
            "sequence \(sequence) is not in a tree of \(treeSize) entries (sequences start at 1)"
        case .invalidConsistencyRange(let from, let to):
            "a consistency proof needs 1 <= from <= to; got from \(from) to \(to)"
        case .olderThanNewestCheckpoint(let size, let newest):
            "a checkpoint of size \(size) would be older than the newest one, of size \(newest); checkpoints only grow"
        case .notASubtree(let start, let end, let treeSize):
            "entries [\(start), \(end)) are not a subtree of the tree of \(treeSize): start must be a multiple of the smallest power of two not below their count, and end at most the tree's size"
        }
    }
}

/// The proof that one entry is in a tree of a given size.
public struct InclusionProof: Sendable, Equatable {
    /// The entry's sequence (its leaf index is `sequence - 1`).
    public let sequence: UInt64
    /// The size of the tree the proof is against.
    public let treeSize: UInt64
    /// `SHA-256(0x00 || stored entry bytes)`.
    public let leafHash: MerkleHash
    /// The root of the tree of `treeSize` entries.
    public let root: MerkleHash
    /// The audit path, leaf to root.
    public let path: [MerkleHash]

    /// Checks the proof; throws `ProofError` when it does not hold.
    public func verify() throws(ProofError) {
        try MerkleProof.verifyInclusion(
            leafHash: leafHash.bytes, index: sequence - 1, size: treeSize, proof: path.map(\.bytes), root: root.bytes)
    }
}

/// The proof that an older tree is a prefix of a newer one: nothing was rewritten between them.
public struct ConsistencyProof: Sendable, Equatable {
    /// The older tree's size.
    public let oldSize: UInt64
    /// The newer tree's size.
    public let newSize: UInt64
    /// The older tree's root.
    public let oldRoot: MerkleHash
    /// The newer tree's root.
    public let newRoot: MerkleHash
    /// The consistency path.
    public let path: [MerkleHash]

    /// Checks the proof; throws `ProofError` when it does not hold.
    public func verify() throws(ProofError) {
        try MerkleProof.verifyConsistency(
            oldSize: oldSize, newSize: newSize, oldRoot: oldRoot.bytes, newRoot: newRoot.bytes, proof: path.map(\.bytes))
    }
}
