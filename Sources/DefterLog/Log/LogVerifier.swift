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
    /// matches the tree at its size. Reads one consistent snapshot, in two passes that run on
    /// both cores at once; appends may continue meanwhile.
    ///
    /// - Parameter progress: called now and then with (entries checked, entries in the log).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        let (tree, structure) = try environment.readInParallel(
            { txn in try LogVerifier(log: self, txn: txn, progress: progress).checkTree() },
            { txn in try LogVerifier(log: self, txn: txn, progress: nil).checkStructure() })
        // Report the problem at the lowest sequence; one that names no sequence comes last.
        let failures = [tree.failure, structure].compactMap { $0 }
        let first = failures.min { ($0.sequence ?? .max) < ($1.sequence ?? .max) }
        if let first {
            return VerificationReport(
                ok: false, size: tree.total, root: nil, checkpointsVerified: tree.checkpointsVerified,
                firstBadSequence: first.sequence, reason: first.reason)
        }
        return VerificationReport(
            ok: true, size: tree.total, root: tree.root, checkpointsVerified: tree.checkpointsVerified,
            firstBadSequence: nil, reason: nil)
    }
}

private struct Failure: Error {
    let sequence: UInt64?
    let reason: String
}

/// What the tree pass found.
private struct TreeOutcome {
    let total: UInt64
    let root: MerkleHash?
    let checkpointsVerified: Int
    let failure: Failure?
}

/// The two passes over a read snapshot.
///
/// The tree pass scans entries in order, recomputing leaves and perfect nodes while a single
/// cursor walks the stored nodes (stored in exactly that order), and checks checkpoints as it
/// passes their sizes. The structure pass reads the index rows sequentially into per-sequence
/// fingerprints, then decodes every envelope and matches it against them.
private struct LogVerifier {
    let log: EventLog
    let txn: LMDBTransaction
    let progress: ((UInt64, UInt64) -> Void)?

    func checkTree() throws -> TreeOutcome {
        var checkpointsVerified = 0
        let total = try txn.last(log.dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        do {
            let checkpoints = try loadCheckpoints()
            var pending = checkpoints.enumerated().map { (number: $0.offset + 1, checkpoint: $0.element) }
                .sorted { $0.checkpoint.checkpoint.treeSize < $1.checkpoint.checkpoint.treeSize }[...]
            var lastGoodCheckpointSize: UInt64 = 0
            var frontier: [(level: Int, hash: MerkleHash)] = []
            var size: UInt64 = 0
            try checkCheckpoints(&pending, atSize: 0, frontier: frontier, lastGood: &lastGoodCheckpointSize, verified: &checkpointsVerified)
            try txn.withCursor(log.dbi.merkle) { nodes in
                var node = try nodes.first()
                /// Checks that the next stored node is `(level, index)` with `hash`, and moves on.
                func expectNode(level: Int, index: UInt64, hash: MerkleHash, sequence: UInt64) throws {
                    guard let stored = node, LogLayout.isMerkleKey(stored.key, level: level, index: index) else {
                        throw Failure(
                            sequence: sequence,
                            reason: level == 0
                                ? "entry \(sequence) has no recorded leaf hash"
                                : "the Merkle node at level \(level), index \(index) is missing")
                    }
                    guard hash.matches(stored.value) else {
                        throw Failure(
                            sequence: sequence,
                            reason: level == 0
                                ? "entry \(sequence)'s bytes differ from its recorded leaf hash: it was altered after it was written"
                                : "the recorded Merkle node at level \(level), index \(index) differs from the one recomputed from the entries"
                        )
                    }
                    node = try nodes.next()
                }
                var expected: UInt64 = 1
                try txn.withCursor(log.dbi.events) { events in
                    var row = try events.first()
                    while let (key, value) = row {
                        guard let sequence = LogLayout.decodeBigEndian(key) else {
                            throw Failure(sequence: expected, reason: "the events database holds a key that is not an 8-byte sequence")
                        }
                        guard sequence == expected else {
                            throw Failure(sequence: expected, reason: "entry \(expected) is missing: the next stored entry is \(sequence)")
                        }
                        let leaf = MerkleHash.leaf(raw: value)
                        try expectNode(level: 0, index: sequence - 1, hash: leaf, sequence: sequence)
                        // Fold the leaf into the frontier of perfect subtrees; check each node it completes.
                        var current = (level: 0, hash: leaf)
                        var index = sequence - 1
                        while let last = frontier.last, last.level == current.level {
                            frontier.removeLast()
                            current = (current.level + 1, MerkleHash.node(last.hash, current.hash))
                            index >>= 1
                            try expectNode(level: current.level, index: index, hash: current.hash, sequence: sequence)
                        }
                        frontier.append(current)
                        size = sequence
                        expected = sequence + 1
                        try checkCheckpoints(
                            &pending, atSize: sequence, frontier: frontier, lastGood: &lastGoodCheckpointSize,
                            verified: &checkpointsVerified)
                        if sequence & 0xFFFF == 0 { progress?(sequence, total) }
                        row = try events.next()
                    }
                }
                if node != nil {
                    throw Failure(sequence: nil, reason: "the Merkle tree holds nodes beyond the \(size) entries of the log")
                }
            }
            progress?(size, total)
            if let truncated = pending.first {
                let covered = truncated.checkpoint.checkpoint.treeSize
                throw Failure(
                    sequence: size + 1,
                    reason:
                        "the log holds \(size) entries but checkpoint #\(truncated.number) (taken \(truncated.checkpoint.checkpoint.timestamp)) covers \(covered): entries \(size + 1)...\(covered) were removed"
                )
            }
            return TreeOutcome(total: total, root: Self.root(of: frontier), checkpointsVerified: checkpointsVerified, failure: nil)
        } catch let failure as Failure {
            return TreeOutcome(total: total, root: nil, checkpointsVerified: checkpointsVerified, failure: failure)
        }
    }

    func checkStructure() throws -> Failure? {
        let total = try txn.last(log.dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        do {
            if let first = try DeferredIndexes.pendingFrom(txn: txn, dbi: log.dbi) {
                throw Failure(
                    sequence: first,
                    reason:
                        "the id and stream index rows of entries \(first) on are not written yet: a mirror stopped while catching up; open the log with `defter mirror` or `defter serve` once to write them, then verify again"
                )
            }
            let streamRows = try streamIndexFingerprints(total: total)
            let idRows = try idIndexFingerprints(total: total)
            try txn.withCursor(log.dbi.events) { events in
                var row = try events.first()
                while let (key, value) = row {
                    // Gaps and foreign keys are the tree pass's to report.
                    guard let sequence = LogLayout.decodeBigEndian(key), sequence >= 1, sequence <= total else { return }
                    let header: EnvelopeHeader
                    do {
                        header = try Envelope.decodeHeader(value)
                    } catch {
                        throw Failure(sequence: sequence, reason: "entry \(sequence) is not a valid envelope: \(error)")
                    }
                    guard header.sequence == sequence else {
                        throw Failure(sequence: sequence, reason: "entry \(sequence) says it is entry \(header.sequence)")
                    }
                    let slot = Int(sequence - 1)
                    guard streamRows[slot] == header.streamKeyFingerprint else {
                        throw Failure(
                            sequence: sequence,
                            reason: streamRows[slot] == 0
                                ? "no stream index row points at entry \(sequence)"
                                : "the stream index row that points at entry \(sequence) names another stream or version")
                    }
                    guard idRows[slot] == header.idFingerprint else {
                        throw Failure(
                            sequence: sequence,
                            reason: idRows[slot] == 0
                                ? "no id index row points at entry \(sequence)"
                                : "the id index row that points at entry \(sequence) names another event id")
                    }
                    row = try events.next()
                }
            }
            return nil
        } catch let failure as Failure {
            return failure
        }
    }

    /// Reads the stream index in key order, checking that each stream's versions run 1, 2, 3...
    /// at rising sequences, and returns, for each sequence, the fingerprint of the row naming it.
    private func streamIndexFingerprints(total: UInt64) throws -> [Int] {
        var rows = [Int](repeating: 0, count: Int(total))
        // Values read in a read-only transaction stay valid until it ends, so the previous row's
        // stream can be remembered without copying it.
        var previousStream = UnsafeRawBufferPointer(start: nil, count: 0)
        var previousVersion: UInt64 = 0
        var previousSequence: UInt64 = 0
        try txn.scan(log.dbi.streams) { key, value in
            guard key.count >= 10, key[key.count - 9] == 0,
                let version = LogLayout.decodeBigEndian(UnsafeRawBufferPointer(rebasing: key[(key.count - 8)...])),
                let sequence = LogLayout.decodeBigEndian(value)
            else { throw Failure(sequence: nil, reason: "the stream index holds a malformed row") }
            let stream = UnsafeRawBufferPointer(rebasing: key[..<(key.count - 9)])
            var name: String { String(decoding: stream, as: UTF8.self) }
            guard sequence >= 1, sequence <= total else {
                throw Failure(
                    sequence: nil,
                    reason: "the stream index row for '\(name)' version \(version) points at entry \(sequence), beyond the log's \(total)")
            }
            if stream.count == previousStream.count, memcmp(stream.baseAddress!, previousStream.baseAddress!, stream.count) == 0 {
                guard version == previousVersion + 1, sequence > previousSequence else {
                    throw Failure(
                        sequence: sequence,
                        reason:
                            "stream '\(name)' has version \(version) at entry \(sequence) after version \(previousVersion) at entry \(previousSequence)"
                    )
                }
            } else {
                guard version == 1 else {
                    throw Failure(sequence: sequence, reason: "stream '\(name)' starts at version \(version) (entry \(sequence)), not 1")
                }
                previousStream = stream
            }
            previousVersion = version
            previousSequence = sequence
            let slot = Int(sequence - 1)
            guard rows[slot] == 0 else {
                throw Failure(sequence: sequence, reason: "two stream index rows point at entry \(sequence)")
            }
            rows[slot] = Fingerprint.of(key)
            return true
        }
        return rows
    }

    /// Reads the id index and returns, for each sequence, the fingerprint of the id naming it.
    private func idIndexFingerprints(total: UInt64) throws -> [Int] {
        var rows = [Int](repeating: 0, count: Int(total))
        try txn.scan(log.dbi.ids) { key, value in
            guard let sequence = LogLayout.decodeBigEndian(value), sequence >= 1, sequence <= total else {
                throw Failure(
                    sequence: nil,
                    reason: "the id index row for '\(String(decoding: key, as: UTF8.self))' does not point at an entry of the log")
            }
            let slot = Int(sequence - 1)
            guard rows[slot] == 0 else { throw Failure(sequence: sequence, reason: "two id index rows point at entry \(sequence)") }
            rows[slot] = Fingerprint.of(key)
            return true
        }
        return rows
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
                throw Failure(
                    sequence: nil, reason: "checkpoint #\(number) is for log '\(checkpoint.checkpoint.origin)', not '\(log.origin)'")
            }
            if let previous = out.last, previous.checkpoint.treeSize > checkpoint.checkpoint.treeSize {
                throw Failure(
                    sequence: nil,
                    reason:
                        "checkpoint #\(number) covers \(checkpoint.checkpoint.treeSize) entries, fewer than checkpoint #\(number - 1) (\(previous.checkpoint.treeSize)): the log shrank"
                )
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
                    reason:
                        "entries \(lastGood + 1)...\(size) are not what checkpoint #\(next.number) (taken \(next.checkpoint.checkpoint.timestamp)) signed: the log was rewritten"
                )
            }
            lastGood = size
            verified += 1
        }
    }

    static func root(of frontier: [(level: Int, hash: MerkleHash)]) -> MerkleHash {
        guard var root = frontier.last?.hash else { return .emptyTree }
        for node in frontier.dropLast().reversed() { root = MerkleHash.node(node.hash, root) }
        return root
    }
}
