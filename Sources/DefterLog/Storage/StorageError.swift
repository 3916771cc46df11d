import Foundation

/// A failure of the storage underneath the log: LMDB, the file system, or the data folder itself.
///
/// The message says what went wrong and what to do about it; it never contains event payloads.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is, so that callers can react (an HTTP layer maps `.diskFull` to 503).
    public enum Kind: Sendable, Equatable {
        /// The folder is not a Defter log (foreign files, a foreign LMDB environment, or garbage).
        case notALog
        /// No log exists at the given folder.
        case missing
        /// The disk or quota is full; nothing of the failed write was kept.
        case diskFull
        /// Another process holds the log in a way that prevents this operation.
        case busy
        /// Stored bytes are not what Defter wrote (damage or tampering).
        case corrupted
        /// The log is closed.
        case closed
        /// Any other failure reported by LMDB or the operating system.
        case io
    }

    /// The kind of failure.
    public let kind: Kind
    /// A sentence a person can act on.
    public let message: String
    /// The LMDB or errno code, when the failure came from a C call.
    public let code: Int32?
    /// The C call or operation that failed, e.g. `mdb_txn_commit`.
    public let operation: String?

    /// Creates a storage error.
    public init(_ kind: Kind, _ message: String, code: Int32? = nil, operation: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
        self.operation = operation
    }

    public var description: String {
        var text = message
        if let operation, let code { text += " [\(operation) returned \(code)]" }
        return text
    }
}
