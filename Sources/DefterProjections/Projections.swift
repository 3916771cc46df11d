import DefterDomain
public import DefterLog
public import Foundation
import ServiceLifecycle

/// The projections Defter maintains, opened together under `data/projections`.
public final class Projections: Sendable {
    public let tickets: ProjectionWorker
    public let queues: ProjectionWorker
    public let stats: ProjectionWorker
    /// Where their stores live.
    public let root: URL

    /// Every projection, in a stable order.
    public var all: [ProjectionWorker] { [tickets, queues, stats] }

    /// Opens the projections of `log` under `root` (default: `<log folder>/projections`).
    public init(log: EventLog, root: URL? = nil) throws {
        let root = root ?? log.folder.appendingPathComponent("projections")
        self.root = root
        tickets = try ProjectionWorker(projection: TicketViewProjection(), log: log, root: root)
        queues = try ProjectionWorker(projection: QueueProjection(), log: log, root: root)
        stats = try ProjectionWorker(projection: StatisticsProjection(), log: log, root: root)
    }

    /// The worker named `name`.
    public func worker(named name: String) -> ProjectionWorker? {
        all.first { $0.projection.name == name }
    }

    /// Catches every projection up with the log, reading and decoding each entry once for all
    /// of them. The next batch is read and decoded on another thread while this one is applied.
    /// Returns the lowest checkpoint.
    @discardableResult
    public func catchUp(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        let log = tickets.log
        let head = try log.size()
        var checkpoints = try all.map { try $0.checkpoint() }
        var next = (checkpoints.min() ?? 0) + 1
        guard next <= head else { return checkpoints.min() ?? 0 }
        var upcoming = DecodedBatch.read(log, from: next)
        while true {
            let batch = try upcoming.wait()
            guard let last = batch.last?.0 else { break }
            next = last.sequence + 1
            if next <= head { upcoming = DecodedBatch.read(log, from: next) }
            for (index, worker) in all.enumerated() where checkpoints[index] < last.sequence {
                // A worker ahead of the others applies only what it has not seen.
                try worker.apply(batch.filter { $0.0.sequence > checkpoints[index] }, asOf: nil)
                checkpoints[index] = last.sequence
            }
            progress?(last.sequence, head)
            if next > head { break }
        }
        return checkpoints.min() ?? 0
    }

    /// Catches up, then follows the log's commits until cancelled, shut down gracefully, or the
    /// log closes.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    let applied = try self.catchUp()
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

/// A batch of entries being read and decoded on a background queue.
private final class DecodedBatch: @unchecked Sendable {
    // `result` is written once before `done` is signalled and read only after waiting on it.
    private var result: Result<[(LogEntry, TicketEvent?)], any Error> = .success([])
    private let done = DispatchSemaphore(value: 0)
    private static let queue = DispatchQueue(label: "defter.projections.decode")

    static func read(_ log: EventLog, from sequence: UInt64, limit: Int = 2000) -> DecodedBatch {
        let batch = DecodedBatch()
        queue.async {
            batch.result = Result { try ProjectionWorker.decode(try log.entries(from: sequence, limit: limit), projection: "all") }
            batch.done.signal()
        }
        return batch
    }

    func wait() throws -> [(LogEntry, TicketEvent?)] {
        done.wait()
        return try result.get()
    }
}
