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
    /// The statistics facts and a signed checkpoint of exactly the entries they cover: reuses the
    /// newest checkpoint when it covers the log, else signs one. What `defter report` and
    /// `GET /v1/reports/{period}` both compute a report from, so both give the same bytes.
    public static func factsAtCheckpoint(projections: Projections, log: EventLog) async throws -> (SignedCheckpoint, [TicketFact]) {
        try await atCheckpoint(projections: projections, log: log) { stats, treeSize in try stats.facts(atCheckpoint: treeSize) }
    }

    /// The statistics facts at a signed checkpoint of exactly the entries they cover, written to
    /// a file in `folder` (`FactSnapshot`): what the public pages' figures are computed from.
    public static func factSnapshotAtCheckpoint(projections: Projections, log: EventLog, into folder: URL) async throws
        -> (SignedCheckpoint, FactSnapshot)
    {
        try await atCheckpoint(projections: projections, log: log) { stats, treeSize in
            try FactSnapshot.write(stats, atCheckpoint: treeSize, into: folder)
        }
    }

    /// What `read` takes from the statistics projection at a signed checkpoint of exactly the
    /// entries it covers. `read` runs with the projection and the checkpoint's tree size, and
    /// returns nil when the projection is not at that checkpoint: it must check that in the same
    /// store transaction it reads in, since the service's projections keep moving.
    static func atCheckpoint<Read: Sendable>(
        projections: Projections, log: EventLog, read: @escaping @Sendable (ProjectionWorker, UInt64) throws -> Read?
    ) async throws -> (SignedCheckpoint, Read) {
        for _ in 0..<5 {
            // Catching up and reading every fact take seconds on a large log: off the cooperative
            // threads, so that a service keeps taking calls meanwhile.
            let covered = try await BlockingWork.run {
                try projections.catchUp()
                return try projections.stats.checkpoint()
            }
            let newest = try log.newestCheckpoint()
            let checkpoint: SignedCheckpoint
            if let newest, newest.checkpoint.treeSize == covered {
                checkpoint = newest
            } else {
                checkpoint = try await log.checkpoint()
            }
            // The log may have grown meanwhile (the service appends while we read): try again.
            guard checkpoint.checkpoint.treeSize == covered else { continue }
            let stats = projections.stats
            guard let value = try await BlockingWork.run({ try read(stats, covered) }) else { continue }
            return (checkpoint, value)
        }
        throw ReportBusyError()
    }
}
