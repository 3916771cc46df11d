internal import CLMDB
import Foundation

/// The outcome of checking a whole log.
public struct VerificationReport: Sendable, Equatable {
    /// Whether every check passed.
    public let ok: Bool
    /// How many entries the log holds.
    public let size: UInt64
    /// The root recomputed from the stored entry bytes (nil when the scan stopped early).
    public let root: MerkleHash?
    /// How many stored checkpoints were verified (signature and root).
    public let checkpointsVerified: Int
    /// The first sequence found bad, when a problem can be pinned to one.
    public let firstBadSequence: UInt64?
    /// What is wrong, when something is.
    public let reason: String?
}

extension EventLog {
    /// Recomputes every leaf from the stored bytes, every stored Merkle node and the root; checks
    /// that sequences have no gaps, that the stream and id indexes point at the right entries and
    /// hold nothing else, and that every stored checkpoint is validly signed by this log's key and
    /// matches the tree at its size. Reads one consistent snapshot; appends may continue meanwhile.
    ///
    /// - Parameter progress: called now and then with (entries checked, entries in the log).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        try environment.read { txn in
            try LogVerifier(log: self, txn: txn, progress: progress).run()
        }
    }
}

private struct Failure: Error {
    let sequence: UInt64?
    let reason: String
}

private struct LogVerifier {
    let log: EventLog
    let txn: LMDBTransaction
    let progress: ((UInt64, UInt64) -> Void)?

    init(log: EventLog, txn: LMDBTransaction, progress: ((UInt64, UInt64) -> Void)?) {
        self.log = log
        self.txn = txn
        self.progress = progress
    }

    func run() throws -> VerificationReport {
        var checkpointsVerified = 0
        var size: UInt64 = 0
        do {
            let checkpoints = try loadCheckpoints()
            let total = try txn.last(log.dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            var frontier: [(level: Int, hash: MerkleHash)] = []
            var streamVersions: [StreamID: UInt64] = [:]
            var pending = checkpoints.enumerated().map { (number: $0.offset + 1, checkpoint: $0.element) }
                .sorted { $0.checkpoint.checkpoint.treeSize < $1.checkpoint.checkpoint.treeSize }[...]
            var lastGoodCheckpointSize: UInt64 = 0
            var expected: UInt64 = 1
            let dbi = log.dbi

            try checkCheckpoints(&pending, atSize: 0, frontier: frontier, lastGood: &lastGoodCheckpointSize, verified: &checkpointsVerified)
            try txn.scan(dbi.events) { key, value in
                guard let sequence = LogLayout.decodeBigEndian(key) else {
                    throw Failure(sequence: expected, reason: "the events database holds a key that is not an 8-byte sequence")
                }
                guard sequence == expected else {
                    throw Failure(sequence: expected, reason: "entry \(expected) is missing: the next stored entry is \(sequence)")
                }
                let leaf = MerkleHash.leaf(raw: value)
                let storedLeaf = try txn.get(dbi.merkle, key: LogLayout.merkleKey(level: 0, index: sequence - 1))
                guard storedLeaf == leaf.bytes else {
                    throw Failure(
                        sequence: sequence,
                        reason: storedLeaf == nil
                            ? "entry \(sequence) has no recorded leaf hash"
                            : "entry \(sequence)'s bytes differ from its recorded leaf hash: it was altered after it was written")
                }
                let entry: LogEntry
                do {
                    entry = try Envelope.decode(value)
                } catch {
                    throw Failure(sequence: sequence, reason: "entry \(sequence) is not a valid envelope: \(error)")
                }
                guard entry.sequence == sequence else {
                    throw Failure(sequence: sequence, reason: "entry \(sequence) says it is entry \(entry.sequence)")
                }
                let previousVersion = streamVersions[entry.stream] ?? 0
                guard entry.streamVersion == previousVersion + 1 else {
                    throw Failure(
                        sequence: sequence,
                        reason: "entry \(sequence) is version \(entry.streamVersion) of stream '\(entry.stream)', which is at version \(previousVersion)")
                }
                streamVersions[entry.stream] = entry.streamVersion
                let sequenceKey = Array(key)
                guard try txn.get(dbi.streams, key: LogLayout.streamKey(entry.stream, version: entry.streamVersion)) == sequenceKey else {
                    throw Failure(sequence: sequence, reason: "the stream index does not point at entry \(sequence)")
                }
                guard try txn.get(dbi.ids, key: Array(entry.id.rawValue.utf8)) == sequenceKey else {
                    throw Failure(sequence: sequence, reason: "the id index does not point at entry \(sequence) for id '\(entry.id)'")
                }
                // Fold the leaf into the frontier of perfect subtrees; check each node it completes.
                var node = (level: 0, hash: leaf)
                var index = sequence - 1
                while let last = frontier.last, last.level == node.level {
                    frontier.removeLast()
                    node = (node.level + 1, MerkleHash.node(last.hash, node.hash))
                    index >>= 1
                    let stored = try txn.get(dbi.merkle, key: LogLayout.merkleKey(level: node.level, index: index))
                    guard stored == node.hash.bytes else {
                        throw Failure(
                            sequence: sequence,
                            reason: "the recorded Merkle node at level \(node.level), index \(index) differs from the one recomputed from the entries")
                    }
                }
                frontier.append(node)
                size = sequence
                expected = sequence + 1
                try checkCheckpoints(&pending, atSize: sequence, frontier: frontier, lastGood: &lastGoodCheckpointSize, verified: &checkpointsVerified)
                if sequence & 0xFFFF == 0 { progress?(sequence, total) }
                return true
            }
            progress?(size, total)
            if let truncated = pending.first {
                throw Failure(
                    sequence: size + 1,
                    reason: "the log holds \(size) entries but checkpoint #\(truncated.number) (taken \(truncated.checkpoint.checkpoint.timestamp)) covers \(truncated.checkpoint.checkpoint.treeSize): entries \(size + 1)...\(truncated.checkpoint.checkpoint.treeSize) were removed")
            }
            try checkCounts(size: size)
            let root = Self.root(of: frontier)
            return VerificationReport(ok: true, size: size, root: root, checkpointsVerified: checkpointsVerified, firstBadSequence: nil, reason: nil)
        } catch let failure as Failure {
            return VerificationReport(
                ok: false, size: try txn.last(log.dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0, root: nil,
                checkpointsVerified: checkpointsVerified, firstBadSequence: failure.sequence, reason: failure.reason)
        }
    }

    private func loadCheckpoints() throws -> [SignedCheckpoint] {
        var out: [SignedCheckpoint] = []
        var expectedNumber: UInt64 = 1
        try txn.scan(log.dbi.checkpoints) { key, value in
            let number = LogLayout.decodeBigEndian(key) ?? 0
            guard number == expectedNumber else {
                throw Failure(sequence: nil, reason: "checkpoint #\(expectedNumber) is missing from the stored checkpoints")
            }
            expectedNumber += 1
            let checkpoint: SignedCheckpoint
            do {
                checkpoint = try SignedCheckpoint(parsing: String(decoding: value, as: UTF8.self))
                try checkpoint.verify(with: log.verifierKey)
            } catch {
                throw Failure(sequence: nil, reason: "checkpoint #\(number) is not valid: \(error)")
            }
            guard checkpoint.checkpoint.origin == log.origin else {
                throw Failure(sequence: nil, reason: "checkpoint #\(number) is for log '\(checkpoint.checkpoint.origin)', not '\(log.origin)'")
            }
            if let previous = out.last, previous.checkpoint.treeSize > checkpoint.checkpoint.treeSize {
                throw Failure(
                    sequence: nil,
                    reason: "checkpoint #\(number) covers \(checkpoint.checkpoint.treeSize) entries, fewer than checkpoint #\(number - 1) (\(previous.checkpoint.treeSize)): the log shrank")
            }
            out.append(checkpoint)
            return true
        }
        return out
    }

    private func checkCheckpoints(
        _ pending: inout ArraySlice<(number: Int, checkpoint: SignedCheckpoint)>, atSize size: UInt64,
        frontier: [(level: Int, hash: MerkleHash)], lastGood: inout UInt64, verified: inout Int
    ) throws {
        while let next = pending.first, next.checkpoint.checkpoint.treeSize == size {
            pending.removeFirst()
            guard Self.root(of: frontier) == next.checkpoint.checkpoint.root else {
                throw Failure(
                    sequence: lastGood + 1,
                    reason: "entries \(lastGood + 1)...\(size) are not what checkpoint #\(next.number) (taken \(next.checkpoint.checkpoint.timestamp)) signed: the log was rewritten")
            }
            lastGood = size
            verified += 1
        }
    }

    private func checkCounts(size: UInt64) throws {
        let dbi = log.dbi
        let streams = try txn.count(dbi.streams)
        guard streams == size else {
            throw Failure(sequence: nil, reason: "the stream index has \(streams) rows for \(size) entries")
        }
        let ids = try txn.count(dbi.ids)
        guard ids == size else {
            throw Failure(sequence: nil, reason: "the id index has \(ids) rows for \(size) entries")
        }
        var expectedNodes: UInt64 = 0
        var level = size
        while level > 0 {
            expectedNodes += level
            level >>= 1
        }
        let nodes = try txn.count(dbi.merkle)
        guard nodes == expectedNodes else {
            throw Failure(sequence: nil, reason: "the Merkle tree has \(nodes) recorded nodes; \(size) entries make \(expectedNodes)")
        }
    }

    static func root(of frontier: [(level: Int, hash: MerkleHash)]) -> MerkleHash {
        guard var root = frontier.last?.hash else { return .emptyTree }
        for node in frontier.dropLast().reversed() { root = MerkleHash.node(node.hash, root) }
        return root
    }
}
