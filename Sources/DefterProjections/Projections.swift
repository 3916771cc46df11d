import DefterDomain
public import DefterLog
public import Foundation
public import Logging
import ServiceLifecycle
import Synchronization

/// The projections Defter maintains, opened together under `data/projections`.
public final class Projections: Sendable {
    public let tickets: ProjectionWorker
    public let queues: ProjectionWorker
    public let stats: ProjectionWorker
    /// Where their stores live.
    public let root: URL
    /// Entries read, decoded and applied at a time when catching up together.
    let batchSize: Int
    /// The default `batchSize`. 32,768 rebuilt the year about 7% cheaper in CPU than 8,192 (each
    /// store commit rewrites the pages it touched, and the recent tickets' pages are touched by
    /// every batch), for about 130 MB more at the peak (see docs/benchmarks.md). Following the
    /// live log, batches are as small as what arrived.
    public static let defaultBatchSize = 32768
    /// Where `run` reports a projection that stopped, or a disk too full to write on.
    let logger: Logger
    /// How long `run` waits before trying again when the disk is full.
    let diskFullRetryDelay: Duration
    /// Following the live log, the shortest time between two catch-ups: the commits that arrive
    /// meanwhile are applied together. Each catch-up commits every store, and a commit rewrites
    /// every page it touched, so under heavy intake one catch-up per log commit cost more than the
    /// intake itself wrote. Reads are not delayed by it: each read catches its projection up first.
    let liveInterval: Duration
    /// The default `liveInterval`.
    public static let defaultLiveInterval: Duration = .milliseconds(25)

    /// Every projection, in a stable order.
    public var all: [ProjectionWorker] { [tickets, queues, stats] }
    /// The entries other than ticket events that some projection acts on: a shared plan keeps them.
    private var otherEntryTypes: Set<String> { all.reduce(into: []) { $0.formUnion($1.projection.otherEntryTypes) } }

    /// Opens the projections of `log` under `root` (default: `<log folder>/projections`).
    /// `batchSize`: entries per batch (and per store transaction) when they catch up together;
    /// `logger`: where `run` reports a projection that stopped, or a full disk;
    /// `diskFullRetryDelay`: how long `run` waits for space before trying again; `liveInterval`:
    /// the shortest time between two of `run`'s catch-ups.
    public init(
        log: EventLog, root: URL? = nil, batchSize: Int = defaultBatchSize, logger: Logger = Logger(label: "defter.projections"),
        diskFullRetryDelay: Duration = .seconds(5), liveInterval: Duration = defaultLiveInterval
    ) throws {
        let root = root ?? log.folder.appendingPathComponent("projections")
        self.root = root
        self.batchSize = batchSize
        self.logger = logger
        self.diskFullRetryDelay = diskFullRetryDelay
        self.liveInterval = liveInterval
        tickets = try ProjectionWorker(projection: TicketViewProjection(), log: log, root: root)
        queues = try ProjectionWorker(projection: QueueProjection(), log: log, root: root)
        stats = try ProjectionWorker(projection: StatisticsProjection(), log: log, root: root)
    }

    /// Folders under `root` that no projection of this build uses: stores of other versions of
    /// the projections (left by an upgrade that bumped a version, or kept by an older build still
    /// serving from them) and staging folders of interrupted rebuilds.
    public func obsoleteFolders() throws -> [URL] {
        let current = Set(all.map { ProjectionWorker.folder(for: $0.projection, under: root).lastPathComponent })
        let names = all.map(\.projection.name)
        let children = try FileManager.default.contentsOfDirectory(atPath: root.path)
        return children.sorted().filter { child in
            guard !current.contains(child) else { return false }
            if child.hasPrefix(".rebuild-") { return true }
            return names.contains { name in
                child.hasPrefix("\(name)-v") && Int(child.dropFirst(name.count + 2)) != nil
            }
        }.map { root.appendingPathComponent($0) }
    }

    /// The worker named `name`.
    public func worker(named name: String) -> ProjectionWorker? {
        all.first { $0.projection.name == name }
    }

    /// Catches every projection up with the log, reading and decoding each entry once for all
    /// of them, and replaying the ticket rules once for all those at the same checkpoint. Two
    /// cores share the work: while this thread plans a batch and applies it to the ticket view
    /// and the queues, a background queue reads the next batch and applies the statistics; both
    /// decode the next batch, whichever is free taking the next chunk. Returns the lowest
    /// checkpoint.
    ///
    /// A projection that meets an entry it cannot apply stops there (see `ProjectionWorker.error`)
    /// while the others go on to the log's head; then the first such error is thrown.
    @discardableResult
    public func catchUp(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        let applied = try advance(progress: progress)
        if let error = all.lazy.compactMap(\.error).first { throw error }
        return applied
    }

    /// Catches up every projection that is not stopped; returns their lowest checkpoint (the
    /// log's head when every projection is stopped).
    private func advance(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        let log = tickets.log
        let head = try log.size()
        var checkpoints = try all.map { try $0.checkpoint() }
        var running = Set(all.indices.filter { all[$0].error == nil })
        func lowest() -> UInt64 { running.map { checkpoints[$0] }.min() ?? head }
        var next = lowest() + 1
        guard next <= head else { return lowest() }
        /// Runs one worker's part of a batch; a projection that cannot apply it stops, the others go on.
        func applying(_ index: Int, _ body: () throws -> Void) throws {
            do { try body() } catch is ProjectionError { running.remove(index) }
        }
        // Ticket states depend only on the log up to a checkpoint, so every store at the same
        // checkpoint holds the same ones: one cache serves them all.
        var known = KnownStates()
        let batchSize = batchSize
        func read(from sequence: UInt64) -> SharedDecoding {
            SharedDecoding { try log.entries(from: sequence, limit: batchSize) }
        }
        var upcoming: SharedDecoding? = read(from: next)
        // The statistics' apply of the previous batch, running in the background.
        let background = all.count - 1
        var inFlight: (batch: [DecodedEntry], applied: BackgroundWork<Bool>)?
        // Nothing may still use the stores or the log once this returns or throws.
        defer {
            _ = try? upcoming?.batch()
            _ = try? inFlight?.applied.wait()
        }
        /// Waits for the background apply; if its store had moved meanwhile, applies the batch here.
        func settle() throws {
            guard let (batch, applied) = inFlight else { return }
            inFlight = nil
            try applying(background) {
                if try !applied.wait() { try all[background].apply(batch[...], asOf: nil, known: &known) }
                checkpoints[background] = batch[batch.count - 1].entry.sequence
            }
        }
        while let work = upcoming, !running.isEmpty {
            let batch = try work.batch()
            upcoming = nil
            guard let first = batch.first?.entry.sequence, let last = batch.last?.entry.sequence else { break }
            next = last + 1
            if next <= head { upcoming = read(from: next) }
            // The background apply of the previous batch counts as done; `settle` makes it so.
            var expected = checkpoints
            if let (previous, _) = inFlight { expected[background] = previous[previous.count - 1].entry.sequence }
            var pending = running.sorted()
            // Those the batch is not behind (a ticket view kept while the others are rebuilt).
            let needing = pending.filter { expected[$0] < last }
            if !needing.isEmpty, needing.allSatisfy({ expected[$0] == first - 1 }), let plan = plan(batch, known: known) {
                let rows = plan.stateRows()
                var done: [Int] = []
                for index in needing where index != background {
                    try applying(index) {
                        guard try all[index].apply(planned: plan, stateRows: rows) else { return }
                        checkpoints[index] = last
                        done.append(index)
                    }
                }
                pending.removeAll { done.contains($0) || !running.contains($0) }
                known.advance(from: first - 1, to: last, with: plan.states)
                try settle()
                if running.contains(background), needing.contains(background), checkpoints[background] == first - 1 {
                    let worker = all[background]
                    inFlight = (batch, BackgroundWork { try worker.apply(planned: plan, stateRows: rows) })
                    pending.removeAll { $0 == background }
                }
            } else {
                try settle()
            }
            // A worker moved by another caller meanwhile, or a batch the rules reject: each worker
            // applies what it has not seen, and names its error. Each starts from the states known
            // before it: one advancing them first would leave the next without any.
            let knownBefore = known
            for index in pending where running.contains(index) && checkpoints[index] < last {
                try applying(index) {
                    var states = knownBefore
                    try all[index].apply(batch[...], asOf: nil, known: &states)
                    checkpoints[index] = last
                    known = states
                }
            }
            progress?(last, head)
        }
        try settle()
        return lowest()
    }

    /// Plans a batch once for every projection at its start; nil when the rules reject it (each
    /// worker then reports the error itself).
    func plan(_ batch: [DecodedEntry], known: KnownStates) -> BatchPlan? {
        let start = batch[0].entry.sequence - 1
        return try? tickets.store.read { reader -> BatchPlan? in
            // States not in `known` are read from the ticket view when it stands at the batch's
            // start (another caller may have moved it since the checkpoints were read, or it is
            // ahead while the others are rebuilt), else replayed from the log.
            let viewAtStart = try ProjectionWorker.storedCheckpoint(reader) == start
            return try BatchPlan(
                batch[...], projection: tickets.projection.name, otherTypes: otherEntryTypes, known: known.states(at: start),
                read: { id in
                    try viewAtStart
                        ? ProjectionWorker.storedState(id, reader) : tickets.replayedState(id, through: start, asOf: nil)
                })
        }
    }

    /// Catches up, then follows the log's commits until cancelled, shut down gracefully, or the
    /// log closes.
    ///
    /// A projection that stops (an entry it cannot apply) is logged and left at its checkpoint
    /// while the others keep following the log. A full disk stops none: the batch that did not
    /// fit is not kept, the error is logged, and `run` tries again every `diskFullRetryDelay`
    /// until there is space, going on from the checkpoints. Catch-ups start at most once every
    /// `liveInterval`.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var reported = Set<String>()
                var waitingForSpace = false
                let clock = ContinuousClock()
                var lastStarted = clock.now - self.liveInterval
                while !Task.isCancelled {
                    // The first commit after a quiet spell is applied at once; under load, what
                    // arrives within `liveInterval` of the last catch-up waits to be applied with it.
                    try await Task.sleep(until: lastStarted + self.liveInterval, clock: clock)
                    lastStarted = clock.now
                    let applied: UInt64
                    do {
                        applied = try self.advance()
                    } catch let error as StorageError where error.kind == .diskFull {
                        if !waitingForSpace {
                            self.logger.error(
                                "projections cannot write: the disk is full; they wait for space and go on from their checkpoints",
                                metadata: ["error": "\(error)", "retryEvery": "\(self.diskFullRetryDelay)"])
                            waitingForSpace = true
                        }
                        try await Task.sleep(for: self.diskFullRetryDelay)
                        continue
                    }
                    if waitingForSpace {
                        self.logger.notice("projections are writing again")
                        waitingForSpace = false
                    }
                    for worker in self.all {
                        guard let error = worker.error, reported.insert(worker.projection.name).inserted else { continue }
                        self.logger.error(
                            "projection stopped; the others go on",
                            metadata: [
                                "projection": "\(error.projection)", "sequence": "\(error.sequence)", "type": "\(error.type)",
                                "reason": "\(error.reason)",
                            ])
                    }
                    guard await self.tickets.log.waitForCommits(beyond: applied) else { return }
                }
            }
        } catch is CancellationError {
            // Shut down (or cancelled) while waiting: a normal end.
        }
    }

    /// Closes every store.
    public func close() {
        for worker in all { worker.close() }
    }
}

/// Work running on the projections' background queue, in the order it was started; its result
/// is waited for once.
private final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    // `result` is written once before `done` is signalled and read only after waiting on it.
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)
    /// Touched only by the waiting thread.
    private var waited = false

    init(_ body: @escaping @Sendable () throws -> Value) {
        backgroundQueue.async {
            self.result = Result(catching: body)
            self.done.signal()
        }
    }

    /// Waits for the work (the first call) and returns its result.
    func wait() throws -> Value {
        if !waited {
            done.wait()
            waited = true
        }
        return try result!.get()
    }
}

private let backgroundQueue = DispatchQueue(label: "defter.projections.background")

/// A batch read from the log on the background queue and decoded by both threads: each claims
/// the next chunk of entries in turn, so whichever thread is done with its own work first helps
/// the other, and neither core idles while the other decodes.
private final class SharedDecoding: @unchecked Sendable {
    // `entries`, `readError` and `slots` are written on the background queue before `read` is
    // signalled, and read elsewhere only after waiting on it. Each slot is initialised by the
    // thread that claimed its chunk, and read only once `decoded` counts every entry.
    private var entries: [LogEntry] = []
    private var readError: (any Error)?
    private var slots: UnsafeMutablePointer<DecodedEntry>?
    private let read = DispatchSemaphore(value: 0)
    private let claimed = Atomic<Int>(0)
    private let decoded = Atomic<Int>(0)
    private let allDecoded = DispatchSemaphore(value: 0)
    /// Touched only by the thread that collects the batch (and by `deinit`, after it).
    private var collected: [DecodedEntry]?
    private static let chunk = 256

    /// Reads the entries on the background queue, then decodes there until no chunk is left.
    init(reading body: @escaping @Sendable () throws -> [LogEntry]) {
        backgroundQueue.async {
            do {
                self.entries = try body()
                self.slots = .allocate(capacity: self.entries.count)
            } catch {
                self.readError = error
            }
            self.read.signal()
            self.help()
        }
    }

    /// Decodes chunks until every one is claimed.
    private func help() {
        let count = entries.count
        guard let slots else { return }
        while true {
            let start = claimed.add(Self.chunk, ordering: .relaxed).oldValue
            guard start < count else { return }
            let end = min(start + Self.chunk, count)
            for index in start..<end { (slots + index).initialize(to: DecodedEntry(entries[index])) }
            if decoded.add(end - start, ordering: .acquiringAndReleasing).newValue == count { allDecoded.signal() }
        }
    }

    /// Waits for the read, helps decode, waits for the other thread's last chunk, and returns the
    /// decoded batch (the same one each call).
    func batch() throws -> [DecodedEntry] {
        if let collected { return collected }
        read.wait()
        read.signal()  // so that a later call (after an error) does not wait forever
        if let readError { throw readError }
        guard let slots, !entries.isEmpty else {
            collected = []
            return []
        }
        help()
        allDecoded.wait()
        let count = entries.count
        let batch = [DecodedEntry](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress!.moveInitialize(from: slots, count: count)
            initialized = count
        }
        collected = batch
        return batch
    }

    deinit {
        // The background queue holds this object until its decoding is done, so every slot is
        // initialised here unless the batch was collected (which moved them out).
        guard let slots else { return }
        if collected == nil { slots.deinitialize(count: entries.count) }
        slots.deallocate()
    }
}
