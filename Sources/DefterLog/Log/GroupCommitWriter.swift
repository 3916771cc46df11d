internal import CLMDB
import Foundation
import Logging

/// The log's single writer: one dedicated thread that owns every write transaction.
///
/// Appenders enqueue work and suspend; the thread drains everything queued, writes it in one
/// transaction with one fsync (group commit), then resumes each appender with its own outcome.
/// A batch that is refused (version conflict, reused id) fails alone; the others still commit.
final class GroupCommitWriter: @unchecked Sendable {
    // Safe to share: `queue`, `stopping`, `wakeAt` and `head` are guarded by `condition`; everything
    // else is immutable or touched only by the writer thread.
    private enum Job {
        /// A batch, and what must be done on the writer before the transaction that writes it.
        case append([PreparedEvent], first: (@Sendable () throws -> Void)?, CheckedContinuation<AppendResult, any Error>)
        /// Signs at the given tree size, or at the head when nil.
        case checkpoint(UInt64?, CheckedContinuation<SignedCheckpoint, any Error>)
        case restore([LogEntry], CheckedContinuation<AppendResult, any Error>)
        case restoreBundles(RestoreBatch, deferringIndexes: Bool, CheckedContinuation<AppendResult, any Error>)
        case adopt(SignedCheckpoint, CheckedContinuation<SignedCheckpoint, any Error>)
        /// Writes the deferred index rows, as any other job does before it runs.
        case finishIndexes(CheckedContinuation<Void, any Error>)

        func fail(_ error: any Error) {
            switch self {
            case .append(_, _, let c): c.resume(throwing: error)
            case .checkpoint(_, let c): c.resume(throwing: error)
            case .restore(_, let c): c.resume(throwing: error)
            case .restoreBundles(_, _, let c): c.resume(throwing: error)
            case .adopt(_, let c): c.resume(throwing: error)
            case .finishIndexes(let c): c.resume(throwing: error)
            }
        }
    }

    /// A job refused partway through writing it: the transaction is abandoned, and the group is
    /// written again without that job.
    private struct Refused: Error {
        let job: Int
        let error: any Error
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    /// How many queued jobs wake the writer: 1 when it is idle, more while it lingers for a group,
    /// so that appenders arriving one by one do not wake it for each.
    private var wakeAt = 1
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    private var head: UInt64
    /// The version of recently written streams: committed ones, and while a group is written
    /// also what that group wrote so far. Read and written only on the writer thread, bounded so
    /// that a city's year of tickets does not grow it without limit.
    private var streamHeads: [StreamID: UInt64] = [:]
    private static let streamHeadCacheLimit = 100_000
    /// What `streamHeads` held before each change the current group made, oldest first, so that a
    /// refused batch or a failed or retried transaction can take its changes back.
    private var streamHeadsUndo: [(stream: StreamID, previous: UInt64?)] = []
    /// Buffers the writer reuses for every entry and index key, so that writing allocates nothing.
    private var entryBuffer: [UInt8] = []
    private var keyBuffer: [UInt8] = []
    /// The index rows of entries restored without them: those committed, and while a group is
    /// written those it added (`DeferredIndexes.rollback()` takes them back).
    private var deferredIndexes: DeferredIndexes?
    /// Whether the group being written wrote the deferred rows (kept until it commits).
    private var groupWroteDeferredRows = false

    private let environment: LMDBEnvironment
    private let dbi: Databases
    private let clock: @Sendable () -> Date
    private let signer: CheckpointSigner?
    private let origin: String
    private let notifier: CommitNotifier
    private let maximumGroupEvents: Int
    private let logger: Logger
    private let observer: (@Sendable (_ events: Int, _ batches: Int) -> Void)?

    struct Databases {
        let events: MDB_dbi
        let streams: MDB_dbi
        let ids: MDB_dbi
        let merkle: MDB_dbi
        let checkpoints: MDB_dbi
        let meta: MDB_dbi
    }

    init(
        environment: LMDBEnvironment, head: UInt64, clock: @escaping @Sendable () -> Date, signer: CheckpointSigner?,
        origin: String, notifier: CommitNotifier, maximumGroupEvents: Int, logger: Logger,
        observer: (@Sendable (_ events: Int, _ batches: Int) -> Void)?
    ) {
        self.environment = environment
        self.head = head
        self.dbi = Databases(
            events: environment.database(LogLayout.events), streams: environment.database(LogLayout.streams),
            ids: environment.database(LogLayout.ids), merkle: environment.database(LogLayout.merkle),
            checkpoints: environment.database(LogLayout.checkpoints), meta: environment.database(LogLayout.meta))
        self.clock = clock
        self.signer = signer
        self.origin = origin
        self.notifier = notifier
        self.maximumGroupEvents = maximumGroupEvents
        self.logger = logger
        self.observer = observer
        let thread = Thread { [self] in run() }
        thread.name = "defter-writer"
        thread.start()
    }

    /// Queues the batch on the caller's executor (`nonsending`), so calls queue in the order made;
    /// `first` runs on the writer before the transaction that writes it (see
    /// `EventLog.append(_:committingFirst:)`).
    nonisolated(nonsending) func append(_ events: [PreparedEvent], first: (@Sendable () throws -> Void)? = nil) async throws
        -> AppendResult
    {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.append(events, first: first, continuation))
        }
    }

    /// Signs the tree of `size` entries (the head when nil); see `EventLog.checkpoint(atSize:)`.
    func checkpoint(atSize size: UInt64? = nil) async throws -> SignedCheckpoint {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.checkpoint(size, continuation))
        }
    }

    /// Stores another copy's checkpoint of this log; see `EventLog.adopt(_:)`.
    func adopt(_ checkpoint: SignedCheckpoint) async throws {
        _ = try await withCheckedThrowingContinuation { continuation in
            enqueue(.adopt(checkpoint, continuation))
        }
    }

    /// Writes entries taken from another log's export byte for byte; see `EventLog.restore(_:)`.
    func restore(_ entries: [LogEntry]) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.restore(entries, continuation))
        }
    }

    /// Writes the entries of published bundles byte for byte; see `EventLog.restore(_:deferringIndexes:)`.
    func restore(_ batch: RestoreBatch, deferringIndexes: Bool) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.restoreBundles(batch, deferringIndexes: deferringIndexes, continuation))
        }
    }

    /// Writes the index rows deferred so far; see `EventLog.finishDeferredIndexes()`.
    func finishIndexes() async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.finishIndexes(continuation))
        }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.fail(StorageError(.closed, "the log at \(environment.path) is closed"))
            return
        }
        queue.append(job)
        if queue.count >= wakeAt { condition.signal() }
        condition.unlock()
    }

    /// Stops taking work, finishes everything already queued, and waits for the thread to end.
    func stop() {
        condition.lock()
        let alreadyStopping = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !alreadyStopping { finished.wait() }
    }

    private func run() {
        // How many jobs the last group held, and how long writing it took.
        var lastGroupJobs = 0
        var lastGroupNanoseconds: UInt64 = 0
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                break
            }
            // When the last group served several appenders and fewer have queued since, the others
            // are most likely preparing their next batch: wait for them a little (half the last
            // group's time, at most a millisecond) so that one fsync serves them all. A lone
            // appender never waits.
            if lastGroupJobs > 1 && queue.count < lastGroupJobs && !stopping {
                let linger = Double(min(lastGroupNanoseconds / 2, 1_000_000)) / 1e9
                let deadline = Date(timeIntervalSinceNow: linger)
                wakeAt = lastGroupJobs
                while queue.count < lastGroupJobs && !stopping && condition.wait(until: deadline) {}
                wakeAt = 1
            }
            var group: [Job] = []
            var events = 0
            var taken = 0
            while taken < queue.count && (group.isEmpty || events < maximumGroupEvents) {
                let job = queue[taken]
                taken += 1
                switch job {
                case .append(let batch, _, _): events += batch.count
                case .restore(let batch, _): events += batch.count
                case .restoreBundles(let batch, _, _): events += batch.count
                case .checkpoint, .adopt, .finishIndexes: break
                }
                group.append(job)
            }
            queue.removeFirst(taken)
            condition.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            group = runningFirstSteps(of: group)
            if !group.isEmpty { process(group) }
            lastGroupNanoseconds = DispatchTime.now().uptimeNanoseconds - started
            lastGroupJobs = group.count
        }
        writeDeferredIndexesOnStop()
        finished.signal()
    }

    private enum Outcome {
        case appended(AppendResult)
        case signed(SignedCheckpoint)
        case refused(any Error)
        case done
    }

    /// Runs each append's first step (`EventLog.append(_:committingFirst:)`), in order; an append
    /// whose step throws is refused with its error, and the others are written.
    private func runningFirstSteps(of group: [Job]) -> [Job] {
        var ready: [Job] = []
        ready.reserveCapacity(group.count)
        for job in group {
            if case .append(_, let first?, _) = job {
                do {
                    try first()
                } catch {
                    job.fail(error)
                    continue
                }
            }
            ready.append(job)
        }
        return ready
    }

    /// Writes what is still deferred when the log closes, so that a clean stop leaves complete
    /// indexes; should this fail, the next open builds them (`DeferredIndexes.buildIfPending`).
    private func writeDeferredIndexesOnStop() {
        guard let rows = deferredIndexes else { return }
        do {
            try environment.write { txn in try rows.write(txn: txn, dbi: dbi) }
            deferredIndexes = nil
        } catch {
            logger.error(
                "the deferred index rows could not be written at close; the next open builds them",
                metadata: ["rows": "\(rows.count)", "error": "\(error)"])
        }
    }

    private func process(_ group: [Job]) {
        let recordedAt = Timestamp(clock())
        let recordedAtText = Array(recordedAt.description.utf8)
        var outcomes: [Outcome] = []
        var newHead = head
        do {
            try environment.write { txn in
                // Re-run from scratch when the map grows: reset everything this closure produces.
                undoStreamHeads(to: 0)
                abandonDeferredChanges()
                outcomes = []
                newHead = head
                var frontier = MerkleFrontier()
                let appends = try AppendCursors(txn: txn, dbi: dbi)
                defer { appends.close() }
                for (number, job) in group.enumerated() {
                    // An empty log, or one already deferring, takes bundles without index rows
                    // when asked; any other job first writes the rows deferred so far.
                    if case .restoreBundles(let batch, deferringIndexes: true, _) = job, !groupWroteDeferredRows,
                        deferredIndexes != nil || newHead == 0
                    {
                        do {
                            outcomes.append(
                                try restoreDeferringIndexes(batch, txn: txn, head: &newHead, frontier: &frontier, appends: appends))
                        } catch let refusal as AppendError {
                            throw Refused(job: number, error: refusal)
                        }
                        continue
                    }
                    if let rows = deferredIndexes, !groupWroteDeferredRows {
                        try rows.write(txn: txn, dbi: dbi)
                        groupWroteDeferredRows = true
                    }
                    switch job {
                    case .append(let events, _, _):
                        outcomes.append(
                            try write(events, at: recordedAtText, txn: txn, head: &newHead, frontier: &frontier, appends: appends))
                    case .checkpoint(nil, _):
                        outcomes.append(try sign(size: newHead, at: recordedAt, txn: txn))
                    case .checkpoint(let size?, _):
                        outcomes.append(try sign(olderSize: size, head: newHead, at: recordedAt, txn: txn))
                    case .restore(let entries, _):
                        outcomes.append(try restore(entries, txn: txn, head: &newHead, frontier: &frontier, appends: appends))
                    case .restoreBundles(let batch, _, _):
                        do {
                            outcomes.append(try restore(batch, txn: txn, head: &newHead, frontier: &frontier, appends: appends))
                        } catch let refusal as AppendError {
                            throw Refused(job: number, error: refusal)
                        }
                    case .adopt(let checkpoint, _):
                        outcomes.append(try adopt(checkpoint, head: newHead, txn: txn))
                    case .finishIndexes:
                        outcomes.append(.done)
                    }
                }
            }
        } catch let refused as Refused {
            undoStreamHeads(to: 0)
            abandonDeferredChanges()
            var others = group
            let job = others.remove(at: refused.job)
            if !others.isEmpty { process(others) }
            job.fail(refused.error)
            return
        } catch {
            undoStreamHeads(to: 0)
            abandonDeferredChanges()
            logger.error("group commit failed", metadata: ["batches": "\(group.count)", "error": "\(error)"])
            for job in group { job.fail(error) }
            return
        }
        if groupWroteDeferredRows { deferredIndexes = nil } else { deferredIndexes?.commit() }
        groupWroteDeferredRows = false
        streamHeadsUndo.removeAll(keepingCapacity: true)
        if streamHeads.count > Self.streamHeadCacheLimit { streamHeads.removeAll(keepingCapacity: true) }
        condition.lock()
        head = newHead
        condition.unlock()
        notifier.publish(head: newHead)
        var appendedBatches = 0
        var appendedEvents = 0
        for (job, outcome) in zip(group, outcomes) {
            switch (job, outcome) {
            case (.append(_, _, let c), .appended(let result)):
                appendedBatches += 1
                appendedEvents += result.appendedCount
                c.resume(returning: result)
            case (.append(_, _, let c), .refused(let error)): c.resume(throwing: error)
            case (.checkpoint(_, let c), .signed(let checkpoint)): c.resume(returning: checkpoint)
            case (.checkpoint(_, let c), .refused(let error)): c.resume(throwing: error)
            case (.restore(_, let c), .appended(let result)):
                appendedBatches += 1
                appendedEvents += result.appendedCount
                c.resume(returning: result)
            case (.restore(_, let c), .refused(let error)): c.resume(throwing: error)
            case (.restoreBundles(_, _, let c), .appended(let result)):
                appendedBatches += 1
                appendedEvents += result.appendedCount
                c.resume(returning: result)
            case (.adopt(_, let c), .signed(let checkpoint)): c.resume(returning: checkpoint)
            case (.adopt(_, let c), .refused(let error)): c.resume(throwing: error)
            case (.finishIndexes(let c), .done): c.resume()
            default: preconditionFailure("outcome does not match its job")
            }
        }
        observer?(appendedEvents, appendedBatches)
    }

    /// Takes back what the current group did to the deferred index rows: rows it began to
    /// defer leave none behind, as every committed batch holds rows.
    private func abandonDeferredChanges() {
        deferredIndexes?.rollback()
        if deferredIndexes?.count == 0 { deferredIndexes = nil }
        groupWroteDeferredRows = false
    }

    /// Records that the current group sets `stream` to `version`.
    private func setStreamHead(_ stream: StreamID, _ version: UInt64) {
        streamHeadsUndo.append((stream, streamHeads.updateValue(version, forKey: stream)))
    }

    /// Takes back the group's changes to `streamHeads` after the first `mark`, newest first.
    private func undoStreamHeads(to mark: Int) {
        while streamHeadsUndo.count > mark {
            let (stream, previous) = streamHeadsUndo.removeLast()
            streamHeads[stream] = previous
        }
    }

    /// Validates one batch against the log inside the transaction, and writes it only if every
    /// event passes, so that a refused batch leaves nothing behind.
    ///
    /// Each new event's id goes into the `ids` index as the batch is checked, one B-tree descent
    /// that both finds a recorded id and records a new one; a refused batch deletes its ids again.
    private func write(
        _ events: [PreparedEvent], at recordedAt: [UInt8], txn: LMDBTransaction, head: inout UInt64,
        frontier: inout MerkleFrontier, appends: AppendCursors
    ) throws -> Outcome {
        let first = head + 1
        let undoMark = streamHeadsUndo.count
        var sequences: [UInt64] = []
        var duplicates: [Bool] = []
        var planned: [(index: Int, version: UInt64)] = []
        sequences.reserveCapacity(events.count)
        duplicates.reserveCapacity(events.count)
        planned.reserveCapacity(events.count)
        var next = first
        // The stream of the last new event and the version it got, not yet in `streamHeads`: a
        // batch's events mostly follow each other on one stream (a call and its ticket).
        var run: (stream: StreamID, version: UInt64)?
        func refuse(_ error: AppendError) throws -> Outcome {
            for (index, _) in planned {
                try events[index].template.withIDKey { key in _ = try txn.delete(dbi.ids, key: key) }
            }
            undoStreamHeads(to: undoMark)
            return .refused(error)
        }
        for index in events.indices {
            let recorded = try events[index].template.withIDKey { key in
                try LogLayout.withBigEndian(next) { value in
                    try txn.putIfAbsent(dbi.ids, key: key, value: value).map { stored in
                        guard let sequence = LogLayout.decodeBigEndian(stored) else {
                            throw StorageError(.corrupted, "an id index row is damaged; run `defter log verify`")
                        }
                        return sequence
                    }
                }
            }
            if let recorded {
                let same =
                    recorded >= first
                    // Earlier in this batch, so not written yet.
                    ? events[planned[Int(recorded - first)].index].template.sameEvent(as: events[index].template)
                    : try isSameEvent(events[index], storedAt: recorded, txn: txn)
                guard same else { return try refuse(.idempotencyConflict(id: events[index].id, existingSequence: recorded)) }
                sequences.append(recorded)
                duplicates.append(true)
                continue
            }
            let stream = events[index].stream
            let current: UInt64
            if let run, run.stream == stream {
                current = run.version
            } else {
                if let run { setStreamHead(run.stream, run.version) }
                current =
                    try streamHeads[stream]
                    ?? events[index].template.withStreamKeyPrefix { try txn.streamVersion(keyPrefix: $0, in: dbi.streams) }
            }
            if let expected = events[index].expectedVersion, expected != current {
                try events[index].template.withIDKey { key in _ = try txn.delete(dbi.ids, key: key) }
                return try refuse(.versionConflict(stream: stream, expected: expected, actual: current))
            }
            run = (stream, current + 1)
            planned.append((index, current + 1))
            sequences.append(next)
            duplicates.append(false)
            next += 1
        }
        if let run { setStreamHead(run.stream, run.version) }
        try recordedAt.withUnsafeBytes { recordedAt in
            for (index, version) in planned {
                let sequence = head + 1
                let template = events[index].template
                template.write(sequence: sequence, streamVersion: version, recordedAt: recordedAt, into: &entryBuffer)
                template.streamKey(version: version, into: &keyBuffer)
                let leaf = try LogLayout.withBigEndian(sequence) { sequenceKey in
                    try txn.put(dbi.streams, key: keyBuffer, value: sequenceKey)
                    return try entryBuffer.withUnsafeBytes { entry in
                        try appends.events.put(key: sequenceKey, value: entry, append: true)
                        return MerkleHash.leaf(raw: entry)
                    }
                }
                try appendLeaf(leaf, index: sequence - 1, txn: txn, frontier: &frontier, appends: appends)
                head = sequence
            }
        }
        return .appended(AppendResult(sequences: sequences, duplicates: duplicates))
    }

    /// Writes exported entries verbatim, refusing the whole batch unless each one is the next
    /// sequence, the next version of its stream, and a new id: the log stays exactly what its
    /// source was, so its Merkle root is the source's.
    private func restore(
        _ entries: [LogEntry], txn: LMDBTransaction, head: inout UInt64, frontier: inout MerkleFrontier,
        appends: AppendCursors
    ) throws -> Outcome {
        let undoMark = streamHeadsUndo.count
        var ids: Set<EventID> = []
        var next = head + 1
        for (index, entry) in entries.enumerated() {
            func refuse(_ reason: String) -> Outcome {
                undoStreamHeads(to: undoMark)
                return .refused(AppendError.invalidEvent(index: index, reason: "entry \(entry.sequence): \(reason)"))
            }
            guard entry.sequence == next else { return refuse("expected entry \(next) here; entries must follow each other") }
            let current = try streamHeads[entry.stream] ?? txn.streamVersion(entry.stream, in: dbi.streams)
            guard entry.streamVersion == current + 1 else {
                return refuse("it is version \(entry.streamVersion) of '\(entry.stream)', which is at version \(current)")
            }
            guard ids.insert(entry.id).inserted, try txn.get(dbi.ids, key: Array(entry.id.rawValue.utf8)) == nil else {
                return refuse("its id '\(entry.id)' is already recorded")
            }
            setStreamHead(entry.stream, entry.streamVersion)
            next += 1
        }
        for entry in entries {
            let sequenceKey = LogLayout.bigEndian(entry.sequence)
            try txn.put(dbi.events, key: sequenceKey, value: entry.bytes, append: true)
            try txn.put(dbi.streams, key: LogLayout.streamKey(entry.stream, version: entry.streamVersion), value: sequenceKey)
            try txn.put(dbi.ids, key: Array(entry.id.rawValue.utf8), value: sequenceKey)
            try appendLeaf(
                MerkleHash.leaf(entry.bytes), index: entry.sequence - 1, txn: txn, frontier: &frontier, appends: appends)
            head = entry.sequence
        }
        return .appended(AppendResult(sequences: entries.map(\.sequence), duplicates: entries.map { _ in false }))
    }

    /// Writes the entries of published bundles (checked canonical envelopes, with their leaf
    /// hashes) verbatim. Each must be the next sequence and the next version of its stream, with
    /// a new id. The entries and their Merkle nodes are appended in order; the index rows, which
    /// the batch sorted by key before it reached this thread, are written in that order, so that
    /// consecutive rows descend the same pages, and checked as they go: each stream's versions
    /// follow the one the index holds, one by one at rising sequences, and each id is new, the
    /// index refusing a recorded one as it takes it. A refusal is thrown (`AppendError`) and the
    /// caller abandons the whole transaction rather than undo this job.
    private func restore(
        _ batch: RestoreBatch, txn: LMDBTransaction, head: inout UInt64, frontier: inout MerkleFrontier, appends: AppendCursors
    ) throws -> Outcome {
        // Versions are read from the index, not from `streamHeads`, which would hold stale ones.
        streamHeads.removeAll(keepingCapacity: true)
        let first = head + 1
        let sequences = try appendEntries(of: batch, head: &head, txn: txn, frontier: &frontier, appends: appends)
        func refuse(_ sequence: UInt64, _ reason: String) -> AppendError {
            .invalidEvent(index: Int(sequence - first), reason: "entry \(sequence): \(reason)")
        }
        try batch.ids.inOrder { key, sequence, previous in
            guard previous.map({ !$0.elementsEqual(key) }) ?? true,
                try LogLayout.withBigEndian(sequence, { try txn.putIfAbsent(dbi.ids, key: key, value: $0) }) == nil
            else { throw refuse(sequence, "its id '\(String(decoding: key, as: UTF8.self))' is already recorded") }
        }
        // Sorted, each stream's rows are together, by version: the first must follow the index.
        var expected: (version: UInt64, after: UInt64) = (0, 0)
        try batch.streams.inOrder { key, sequence, previous in
            let stream = UnsafeRawBufferPointer(rebasing: key[..<(key.count - 8)])
            let version = LogLayout.decodeBigEndian(UnsafeRawBufferPointer(rebasing: key[(key.count - 8)...])) ?? 0
            if previous.map({ !$0.starts(with: stream) || $0.count != key.count }) ?? true {
                expected = (try txn.streamVersion(keyPrefix: stream, in: dbi.streams) + 1, 0)
            }
            guard version == expected.version, sequence > expected.after else {
                let name = String(decoding: stream.dropLast(), as: UTF8.self)
                throw refuse(sequence, "it is version \(version) of '\(name)', which is at version \(expected.version - 1) before it")
            }
            expected = (version + 1, sequence)
            try LogLayout.withBigEndian(sequence) { try txn.put(dbi.streams, key: key, value: $0) }
        }
        return .appended(AppendResult(sequences: sequences, duplicates: Array(repeating: false, count: sequences.count)))
    }

    /// Writes the entries of published bundles as `restore(_:txn:…)` does, but keeps their index
    /// rows in `deferredIndexes`, checked against the rows deferred before them (the indexes were
    /// empty when deferring began); once those are full, they are written after all.
    private func restoreDeferringIndexes(
        _ batch: RestoreBatch, txn: LMDBTransaction, head: inout UInt64, frontier: inout MerkleFrontier, appends: AppendCursors
    ) throws -> Outcome {
        let first = head + 1
        if deferredIndexes == nil {
            deferredIndexes = DeferredIndexes()
            try DeferredIndexes.markPending(from: first, txn: txn, dbi: dbi)
        }
        // The entries first: they must follow the log. A refusal after them abandons the whole
        // transaction. The rows join last: a map that grows while the entries are written re-runs
        // the group, and rows added before would be taken back (`DeferredIndexes.rollback()`).
        let sequences = try appendEntries(of: batch, head: &head, txn: txn, frontier: &frontier, appends: appends)
        deferredIndexes!.add(try deferredIndexes!.check(ids: batch.ids, streams: batch.streams, first: first))
        if let rows = deferredIndexes, rows.isFull {
            try rows.write(txn: txn, dbi: dbi)
            groupWroteDeferredRows = true
        }
        return .appended(AppendResult(sequences: sequences, duplicates: Array(repeating: false, count: sequences.count)))
    }

    /// Appends the batch's entries and their Merkle nodes after `head`, each the next sequence;
    /// returns their sequences.
    private func appendEntries(
        of batch: RestoreBatch, head: inout UInt64, txn: LMDBTransaction, frontier: inout MerkleFrontier, appends: AppendCursors
    ) throws -> [UInt64] {
        var sequences: [UInt64] = []
        sequences.reserveCapacity(batch.count)
        let first = head + 1
        for bundle in batch.bundles {
            try bundle.bytes.withUnsafeBytes { raw in
                for index in bundle.start..<bundle.entries.count {
                    let entry = bundle.entries[index]
                    let sequence = bundle.firstSequence + UInt64(index)
                    guard sequence == head + 1 else {
                        throw AppendError.invalidEvent(
                            index: sequence >= first ? Int(sequence - first) : sequences.count,
                            reason: "entry \(sequence): expected entry \(head + 1) here; entries must follow each other")
                    }
                    try LogLayout.withBigEndian(sequence) { sequenceKey in
                        try appends.events.put(key: sequenceKey, value: UnsafeRawBufferPointer(rebasing: raw[entry.bytes]), append: true)
                    }
                    try appendLeaf(
                        bundle.leaves[index], index: sequence - 1, txn: txn, frontier: &frontier, appends: appends, hashedIn: bundle)
                    head = sequence
                    sequences.append(sequence)
                }
            }
        }
        return sequences
    }

    private func isSameEvent(_ prepared: PreparedEvent, storedAt sequence: UInt64, txn: LMDBTransaction) throws -> Bool {
        try LogLayout.withBigEndian(sequence) { key in
            try txn.withValue(dbi.events, key: key) { raw in
                guard let raw, let same = try? prepared.template.sameEvent(asStored: raw) else {
                    throw StorageError(.corrupted, "entry \(sequence) is missing or damaged; run `defter log verify`")
                }
                return same
            }
        }
    }

    /// Stores leaf `index` and every perfect node it completes; the nodes inside `bundle`, a
    /// published bundle holding the leaf, are taken as it hashed them, not hashed again.
    private func appendLeaf(
        _ leaf: MerkleHash, index: UInt64, txn: LMDBTransaction, frontier: inout MerkleFrontier, appends: AppendCursors,
        hashedIn bundle: EntryBundle? = nil
    ) throws {
        var hash = leaf
        var level = 0
        var position = index
        try putNode(hash, level: 0, index: position, appends: appends)
        while true {
            // A right child completes its parent: the bundle hashed it already, or it is hashed
            // with the left sibling, looked up before this node takes its place in the frontier.
            var parent: MerkleHash?
            if position & 1 == 1 {
                let sibling = position - 1
                parent =
                    try bundle?.node(level: level + 1, index: position >> 1)
                    ?? MerkleHash.node(
                        frontier.node(level: level, index: sibling) ?? txn.merkleNode(level: level, index: sibling, in: dbi.merkle), hash)
            }
            frontier.remember(level: level, index: position, hash: hash)
            guard let parent else { break }
            hash = parent
            level += 1
            position >>= 1
            try putNode(hash, level: level, index: position, appends: appends)
        }
    }

    private func putNode(_ hash: MerkleHash, level: Int, index: UInt64, appends: AppendCursors) throws {
        try LogLayout.withMerkleKey(level: level, index: index) { key in
            try hash.withUnsafeBytes { value in try appends.merkle.put(key: key, value: value, append: true) }
        }
    }

    /// Stores a checkpoint whose signature the caller verified, when it fits this log: no larger
    /// than the log, no smaller than the newest stored checkpoint, and with this log's root.
    private func adopt(_ checkpoint: SignedCheckpoint, head: UInt64, txn: LMDBTransaction) throws -> Outcome {
        let size = checkpoint.checkpoint.treeSize
        guard size <= head else {
            return .refused(LogRequestError.sizeBeyondLog(size: size, logSize: head))
        }
        let last = try txn.last(dbi.checkpoints)
        if let last, let newest = try? SignedCheckpoint(parsing: String(decoding: last.value, as: UTF8.self)),
            newest.checkpoint.treeSize > size
        {
            return .refused(
                CheckpointError.malformed(
                    "the checkpoint of size \(size) is older than the newest stored one (\(newest.checkpoint.treeSize))"))
        }
        let root = try MerkleTree.root(size: size) { level, index in
            try txn.merkleNode(level: level, index: index, in: dbi.merkle)
        }
        guard root == checkpoint.checkpoint.root else {
            return .refused(
                CheckpointError.badSignature(
                    "the checkpoint's root at size \(size) is not this log's root there: the two logs have different histories"))
        }
        let number = last.flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        try txn.put(dbi.checkpoints, key: LogLayout.bigEndian(number + 1), value: Array(checkpoint.text.utf8), append: true)
        return .signed(checkpoint)
    }

    /// Signs the tree of `size` entries, no larger than the log and no smaller than the newest
    /// stored checkpoint (checkpoints only grow, as witnesses and mirrors expect). When the newest
    /// has that size already, it is the answer: one size, one signed note, for every reader.
    private func sign(olderSize size: UInt64, head: UInt64, at time: Timestamp, txn: LMDBTransaction) throws -> Outcome {
        guard size <= head else { return .refused(LogRequestError.sizeBeyondLog(size: size, logSize: head)) }
        if let last = try txn.last(dbi.checkpoints) {
            guard let newest = try? SignedCheckpoint(parsing: String(decoding: last.value, as: UTF8.self)) else {
                return .refused(
                    StorageError(.corrupted, "the newest stored checkpoint cannot be read; run `defter log verify` to see what is damaged"))
            }
            if newest.checkpoint.treeSize == size { return .signed(newest) }
            if newest.checkpoint.treeSize > size {
                return .refused(LogRequestError.olderThanNewestCheckpoint(size: size, newest: newest.checkpoint.treeSize))
            }
        }
        return try sign(size: size, at: time, txn: txn)
    }

    private func sign(size: UInt64, at time: Timestamp, txn: LMDBTransaction) throws -> Outcome {
        guard let signer else {
            return .refused(
                CheckpointError.key(
                    "no signing key (checkpoint.key) in \(environment.path); restore it from your key backup to sign checkpoints"))
        }
        let root = try MerkleTree.root(size: size) { level, index in
            try txn.merkleNode(level: level, index: index, in: dbi.merkle)
        }
        let signed = try signer.sign(Checkpoint(origin: origin, treeSize: size, root: root, timestamp: time))
        let number = (try txn.last(dbi.checkpoints)).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
        try txn.put(dbi.checkpoints, key: LogLayout.bigEndian(number + 1), value: Array(signed.text.utf8), append: true)
        return .signed(signed)
    }
}

/// The cursors through which one write transaction appends entries and Merkle nodes, open for
/// the whole transaction so that each append starts where the last one ended.
struct AppendCursors {
    let events: LMDBCursor
    let merkle: LMDBCursor

    init(txn: LMDBTransaction, dbi: GroupCommitWriter.Databases) throws {
        events = try txn.openCursor(dbi.events)
        do {
            merkle = try txn.openCursor(dbi.merkle)
        } catch {
            events.close()
            throw error
        }
    }

    /// Closes both; call before the transaction ends.
    func close() {
        events.close()
        merkle.close()
    }
}

/// The most recent perfect node written at each level during one transaction, so that completing
/// a parent rarely needs to read its left child back.
struct MerkleFrontier {
    private var nodes: [(index: UInt64, hash: MerkleHash)?] = Array(repeating: nil, count: 64)

    mutating func remember(level: Int, index: UInt64, hash: MerkleHash) {
        nodes[level] = (index, hash)
    }

    func node(level: Int, index: UInt64) -> MerkleHash? {
        guard let known = nodes[level], known.index == index else { return nil }
        return known.hash
    }
}
