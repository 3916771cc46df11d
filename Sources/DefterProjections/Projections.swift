public import DefterLog
public import Foundation

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

    /// Catches every projection up with the log.
    public func catchUp() throws {
        for worker in all { try worker.catchUp() }
    }

    /// Closes every store.
    public func close() {
        for worker in all { worker.close() }
    }
}
