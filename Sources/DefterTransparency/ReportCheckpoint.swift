public import DefterLog
public import DefterProjections

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
            guard checkpoint.checkpoint.treeSize == covered, try projections.stats.checkpoint() == covered else { continue }
            return (checkpoint, try await BlockingWork.run { try projections.stats.facts() })
        }
        throw ReportBusyError()
    }
}
