public import Foundation
public import Logging

/// How a log is opened.
public struct LogConfiguration: Sendable {
    /// The memory map's size at open; it doubles by itself whenever a write fills it.
    public var initialMapSize: Int = 64 << 20
    /// The largest the map may grow to.
    public var maximumMapSize: Int = 1 << 40
    /// The largest event data, in bytes of canonical JSON.
    public var maximumPayloadBytes: Int = 64 << 10
    /// The most events one group commit writes in a transaction.
    public var maximumGroupEvents: Int = 8192
    /// Open without writing anything (verification, reading a backup).
    public var readOnly: Bool = false
    /// Create an empty log when the folder does not exist or is empty.
    public var createIfMissing: Bool = true
    /// The origin a new log gets (its identity in checkpoints); a random one when nil.
    public var origin: String?
    /// Set to make a new log a mirror of another: it gets that log's origin and verifier key and
    /// no signing key of its own, takes entries only through `restore`, and stores that log's
    /// checkpoints (`adopt`) instead of signing its own.
    public var mirrorOf: CheckpointVerifierKey?
    /// The wall clock that stamps `recordedAt` and checkpoints.
    public var clock: @Sendable () -> Date = { Date() }
    /// Where the log reports what it does (map growth, stale readers, failures). Never payloads.
    public var logger: Logger = Logger(label: "defter.log")
    /// Called after every group commit with the number of events and batches written.
    public var groupCommitObserver: (@Sendable (_ events: Int, _ batches: Int) -> Void)?

    /// The defaults: durable appends, a 64 MiB map that grows, 64 KiB payloads.
    public init() {}
}

extension Logger {
    /// A logger that reports warnings and worse: the default for stores opened by tools.
    public static func warningsOnly(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}
