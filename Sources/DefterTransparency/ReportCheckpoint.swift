public import DefterLog
public import DefterProjections
public import Foundation

/// The log kept growing while a report's facts were read, five times over.
public struct ReportBusyError: Error, Sendable, CustomStringConvertible {
    /// The error.
    public init() {}
    public var description: String { "the log keeps growing while the report is computed; try again" }
}

extension AccountabilityReport {
    /// The statistics facts and a signed checkpoint of exactly the entries they cover. What
    /// `defter report` and `GET /v1/reports/{period}` both compute a report from, so both give
    /// the same bytes.
    public static func factsAtCheckpoint(projections: Projections, log: EventLog) async throws -> (SignedCheckpoint, [TicketFact]) {
        try await atCheckpoint(projections: projections, log: log) { stats in try stats.factsWithCheckpoint() }
    }

    /// The statistics facts at a signed checkpoint of exactly the entries they cover, written to
    /// a file in `folder` (`FactSnapshot`): what the public pages' figures are computed from.
    public static func factSnapshotAtCheckpoint(projections: Projections, log: EventLog, into folder: URL) async throws
        -> (SignedCheckpoint, FactSnapshot)
    {
        try await atCheckpoint(projections: projections, log: log) { stats in
            let snapshot = try FactSnapshot.write(stats, into: folder)
            return (snapshot.treeSize, snapshot)
        }
    }

    /// What `read` takes from the statistics projection, caught up with the log, and a signed
    /// checkpoint of exactly the entries it covers. `read` returns the projection's checkpoint
    /// with what it read, both from one store transaction: the service's projections keep moving
    /// and the log keeps growing, so the checkpoint is signed at the size read (the newest
    /// checkpoint when it has that size), not at the log's head.
    static func atCheckpoint<Read: Sendable>(
        projections: Projections, log: EventLog, read: @escaping @Sendable (ProjectionWorker) throws -> (UInt64, Read)
    ) async throws -> (SignedCheckpoint, Read) {
        for _ in 0..<5 {
            // Catching up and reading every fact take seconds on a large log: off the cooperative
            // threads, so that a service keeps taking calls meanwhile.
            let (covered, value) = try await BlockingWork.run {
                try projections.catchUp()
                return try read(projections.stats)
            }
            if let newest = try log.newestCheckpoint() {
                if newest.checkpoint.treeSize == covered { return (newest, value) }
                // Signed past what was read (by another reader meanwhile): read again.
                if newest.checkpoint.treeSize > covered { continue }
            }
            do {
                return (try await log.checkpoint(atSize: covered), value)
            } catch LogRequestError.olderThanNewestCheckpoint {
                continue
            }
        }
        throw ReportBusyError()
    }
}
