import Crypto
public import DefterDomain
public import DefterLog
public import DefterProjections
import DefterTransparency
public import DefterWitness
public import Foundation
import HTTPTypes
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// What the public pages show: the statistics facts at one signed checkpoint, taken when a
/// checkpoint is signed, and the bodies rendered from them, cached until the next one. A public
/// read never computes a report twice, never signs, and never waits on the log.
///
/// The facts are kept in a file (`FactSnapshot`, under `<projections>/published-figures`), not
/// in memory: between renders, the service's memory stays flat as the log grows; a body being
/// rendered (off the cooperative threads) holds its period's facts for as long as it renders, and
/// each body is rendered once per snapshot.
public final class PublishedFigures: Sendable {
    /// The facts at one signed checkpoint.
    struct Snapshot: Sendable {
        let checkpoint: SignedCheckpoint
        let facts: FactSnapshot
        let periods: DashboardPeriods

        /// A period's report at the snapshot's checkpoint, from that period's facts only.
        func report(
            _ period: ReportPeriod, catalog: Catalog, importDays: [String: (first: String, last: String)] = [:],
            cosignatures: [String] = []
        ) throws -> AccountabilityReport {
            AccountabilityReport(
                factsInPeriod: try facts.facts { period.contains(day: $0.day) }, lastCallDay: periods.lastDay, period: period,
                checkpoint: checkpoint, catalog: catalog, importDays: importDays, cosignatures: cosignatures)
        }
    }

    /// A rendered body with its validator.
    struct Body: Sendable {
        /// The bytes, in the buffer every response shares (copy-on-write: sending copies nothing).
        let buffer: ByteBuffer
        let contentType: String
        let etag: String
        /// Headers the body needs besides type and validator (a report's policy and file name).
        let extraHeaders: HTTPFields?
    }

    let projections: Projections
    let log: EventLog
    let catalog: Catalog
    /// Where the snapshots' files are written.
    let folder: URL
    /// The published snapshot and what was rendered from it.
    private struct State {
        var snapshot: Snapshot?
        var bodies: [String: Body] = [:]
        /// Renders under way, so that readers missing the same body wait for one render rather
        /// than each starting its own (64 readers at a cold cache would decode the facts 64 times).
        var rendering: [String: Task<Body, any Error>] = [:]
        /// Bumped whenever the bodies are dropped: a render started before keeps to itself.
        var generation = 0

        mutating func replace(with snapshot: Snapshot) {
            self.snapshot = snapshot
            forgetBodies()
        }

        mutating func forgetBodies() {
            bodies = [:]
            rendering = [:]
            generation += 1
        }
    }
    private let state = Mutex(State())

    /// A body found in the cache, or one being rendered.
    private enum BodyLookup {
        case cached(Body)
        case underWay(Task<Body, any Error>)
    }
    /// Bodies kept per snapshot; beyond it (readers asking for many custom periods) the cache
    /// starts over.
    private static let maximumBodies = 512

    /// Figures over `projections`' statistics, at checkpoints of `log`.
    public init(projections: Projections, log: EventLog, catalog: Catalog) {
        self.projections = projections
        self.log = log
        self.catalog = catalog
        folder = projections.root.appendingPathComponent("published-figures")
        // The files a run before this one left when it stopped without cleaning up (killed).
        try? FileManager.default.removeItem(at: folder)
    }

    /// The tree size of the published snapshot, if one was taken.
    public var publishedTreeSize: UInt64? { state.withLock { $0.snapshot?.checkpoint.checkpoint.treeSize } }

    /// Takes a new snapshot: the statistics' facts, caught up with the log, at a signed checkpoint
    /// of exactly the entries they cover (signing one when the newest is not that one), and drops
    /// the bodies rendered from the old one. Returns the checkpoint of the snapshot now published.
    @discardableResult
    public func publish() async throws -> SignedCheckpoint {
        let (checkpoint, facts) = try await AccountabilityReport.factSnapshotAtCheckpoint(
            projections: projections, log: log, into: folder)
        let snapshot = Snapshot(checkpoint: checkpoint, facts: facts, periods: DashboardPeriods(days: facts.days))
        // Publications may overlap (a first read publishes too): the newer snapshot stays. The
        // one dropped is handed out of the lock, so that its file (removed when its last copy
        // goes; a render may still hold it) is not removed while the lock is held.
        _ = state.withLock { state -> Snapshot? in
            if let current = state.snapshot, current.checkpoint.checkpoint.treeSize > checkpoint.checkpoint.treeSize { return snapshot }
            defer { state.replace(with: snapshot) }
            return state.snapshot
        }
        return state.withLock { $0.snapshot?.checkpoint } ?? checkpoint
    }

    /// Drops the bodies rendered from the current snapshot, so that the next reads render them
    /// again (after witnesses cosigned its checkpoint, say).
    public func forgetRenderedBodies() {
        state.withLock { $0.forgetBodies() }
    }

    /// The published snapshot, taking the first one when none was.
    func snapshot() async throws -> Snapshot {
        if let snapshot = state.withLock({ $0.snapshot }) { return snapshot }
        try await publish()
        guard let snapshot = state.withLock({ $0.snapshot }) else { throw ReportBusyError() }
        return snapshot
    }

    /// The body cached under `key` for the current snapshot, rendering it with `render` once:
    /// readers asking while it renders wait for that render.
    func body(_ key: String, contentType: String, extraHeaders: HTTPFields? = nil, render: @escaping @Sendable (Snapshot) throws -> [UInt8])
        async throws
        -> Body
    {
        let snapshot = try await snapshot()
        let treeSize = snapshot.checkpoint.checkpoint.treeSize
        let cacheKey = "\(treeSize)|\(key)"
        let rendering = state.withLock { state -> BodyLookup in
            if let cached = state.bodies[cacheKey] { return .cached(cached) }
            if let underWay = state.rendering[cacheKey] { return .underWay(underWay) }
            let generation = state.generation
            let task = Task {
                do {
                    // Rendering decodes the period's facts from the mapped file (page faults are
                    // blocking reads): off the cooperative threads, which serve every other request.
                    let bytes = try await BlockingWork.run { try render(snapshot) }
                    let digest = SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined()
                    let body = Body(
                        buffer: ByteBuffer(bytes: bytes), contentType: contentType, etag: "\"\(treeSize)-\(digest)\"",
                        extraHeaders: extraHeaders)
                    self.state.withLock { state in
                        // Bodies dropped meanwhile (a newer snapshot, new cosignatures): not kept.
                        guard state.generation == generation else { return }
                        state.rendering[cacheKey] = nil
                        if state.bodies.count >= Self.maximumBodies { state.bodies = [:] }
                        state.bodies[cacheKey] = body
                    }
                    return body
                } catch {
                    self.state.withLock { state in if state.generation == generation { state.rendering[cacheKey] = nil } }
                    throw error
                }
            }
            state.rendering[cacheKey] = task
            return .underWay(task)
        }
        switch rendering {
        case .cached(let body): return body
        case .underWay(let task): return try await task.value
        }
    }
}

/// Signs a checkpoint at most every `interval` while the log grows, and publishes the public
/// figures at it: what keeps the dashboard fresh without a reader ever paying for a report.
/// With a `tiles` folder, it also keeps that folder's C2SP tiles at each checkpoint it signs
/// (`defter serve --publish DIR`).
public struct CheckpointPublisher: Service {
    let figures: PublishedFigures
    let interval: Duration
    let logger: Logger
    let tiles: URL?
    let witnesses: WitnessClient?

    /// Publishes `figures` (and, with `tiles`, the log as tiles into that folder) every
    /// `interval` when the log has grown since the last time. With `witnesses`, each checkpoint
    /// is sent to them to cosign, and tiles are published only at a checkpoint that their quorum
    /// (`WitnessClient.quorum`) cosigned.
    public init(
        figures: PublishedFigures, interval: Duration, logger: Logger, tiles: URL? = nil, witnesses: WitnessClient? = nil
    ) {
        self.figures = figures
        self.interval = interval
        self.logger = logger
        self.tiles = tiles
        self.witnesses = witnesses
    }

    /// Publishes once when the log grew since the last publication; returns whether it did.
    @discardableResult
    public func publishIfGrown() async throws -> Bool {
        let size = try figures.log.size()
        guard size > 0, figures.publishedTreeSize != size else { return false }
        let checkpoint = try await figures.publish()
        logger.info("published the public figures", metadata: ["treeSize": "\(checkpoint.checkpoint.treeSize)"])
        var note: String?
        if let witnesses {
            let outcomes = await witnesses.cosign(checkpoint, of: figures.log)
            for (name, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                if case .failed(let why) = outcome {
                    logger.warning("a witness did not cosign the checkpoint", metadata: ["witness": "\(name)", "why": "\(why)"])
                }
            }
            let cosigned = outcomes.values.filter { if case .cosigned = $0 { true } else { false } }.count
            logger.info(
                "witnesses cosigned the checkpoint", metadata: ["treeSize": "\(checkpoint.checkpoint.treeSize)", "cosigned": "\(cosigned)"])
            guard cosigned >= witnesses.quorum else {
                logger.error(
                    "the checkpoint lacks its quorum of cosignatures and is not published as tiles; the witnesses may have refused a history that does not extend the one they cosigned",
                    metadata: ["treeSize": "\(checkpoint.checkpoint.treeSize)", "cosigned": "\(cosigned)", "quorum": "\(witnesses.quorum)"])
                return true
            }
            note = try witnesses.cosignedNote(checkpoint)
            // The public pages name the witnesses of the checkpoint they show.
            figures.forgetRenderedBodies()
        }
        if let tiles {
            let (log, cosignedNote) = (figures.log, note)
            let report = try await BlockingWork.run { try TilePublisher.publish(log, at: checkpoint, note: cosignedNote, to: tiles) }
            logger.info(
                "published the log as tiles",
                metadata: ["folder": "\(tiles.path)", "treeSize": "\(report.toSize)", "files": "\(report.files)"])
        }
        return true
    }

    /// Publishes, then sleeps `interval`, until shut down. A publication that fails (the disk is
    /// full, a projection stopped) is logged once for as long as it keeps failing, and tried again.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var failing = false
                while !Task.isCancelled {
                    do {
                        try await self.publishIfGrown()
                        if failing { self.logger.notice("publishing the public figures works again") }
                        failing = false
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        if !failing {
                            self.logger.error(
                                "cannot publish the public figures; trying again every interval",
                                metadata: ["error": "\(error)", "interval": "\(self.interval)"])
                        }
                        failing = true
                    }
                    try await Task.sleep(for: self.interval)
                }
            }
        } catch is CancellationError {
            // Shut down (or cancelled) while sleeping: a normal end.
        }
    }
}
