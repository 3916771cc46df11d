internal import CLMDB
import Foundation

/// Every `mdb_*` return code goes through here: 0 passes, anything else becomes a `StorageError`
/// carrying the code, the call's name and LMDB's own explanation.
@inline(__always)
func lmdbCheck(_ code: Int32, _ call: StaticString, path: String? = nil) throws(StorageError) {
    guard code != 0 else { return }
    throw lmdbError(code, call, path: path)
}

func lmdbError(_ code: Int32, _ call: StaticString, path: String? = nil) -> StorageError {
    let explanation = String(cString: mdb_strerror(code))
    let place = path.map { " at \($0)" } ?? ""
    let kind: StorageError.Kind
    let advice: String
    switch code {
    // The `where` applies to EIO alone: LMDB reports a short write of its pages at commit (what
    // a full file system gives) as EIO.
    case ENOSPC, EDQUOT,
        EIO where "\(call)" == "mdb_txn_commit" && path.map(isNearlyFull) == true:
        kind = .diskFull
        advice = "the disk is full\(place); free space and retry (nothing of this write was kept)"
    case MDB_INVALID, MDB_VERSION_MISMATCH:
        kind = .notALog
        advice = "\(place.isEmpty ? "the data file" : "the file\(place)") is not an LMDB database Defter can open (damaged or foreign)"
    case MDB_CORRUPTED, MDB_PAGE_NOTFOUND:
        kind = .corrupted
        advice = "the log's data file\(place) is damaged (\(explanation)); restore it from a backup"
    case EACCES, EROFS:
        kind = .io
        advice = "permission denied\(place): \(explanation)"
    case EAGAIN, EBUSY:
        kind = .busy
        advice = "the log\(place) is locked by another process: \(explanation)"
    default:
        kind = .io
        advice = "\(explanation)\(place)"
    }
    return StorageError(kind, advice, code: code, operation: "\(call)")
}

/// Whether the file system holding `path` has less than 64 MiB left for this process: then an
/// I/O error of a write is taken for a full disk.
private func isNearlyFull(_ path: String) -> Bool {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return false }
    return UInt64(info.f_bavail) * UInt64(info.f_frsize) < 64 << 20
}

extension StorageError {
    /// Whether the store handles this error itself, running the transaction again: its map was
    /// full (the store grows it) or another process grew it. Code inside a `write` must let such
    /// an error through untouched rather than report it.
    public var isRetriedByTheStore: Bool {
        (code == MDB_MAP_FULL && kind != .diskFull) || code == MDB_MAP_RESIZED
    }
}
