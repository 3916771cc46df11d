public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a log into a folder in the C2SP `tlog-tiles` layout, as of a signed checkpoint:
/// `checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
///
/// Publishing is incremental: full tiles are immutable, so only the tiles that the previous
/// publication (the folder's own `checkpoint`) did not complete are written. Each file is written
/// to a temporary name, synced and renamed, so a reader sees it whole or not at all, and the
/// checkpoint is written last: a crash leaves the folder at the previous checkpoint, with perhaps
/// some tiles of the next, which the next publication writes again, byte for byte the same.
public enum TilePublisher {
    /// What one publication wrote.
    public struct Report: Sendable, Equatable {
        /// The tree size the folder was at before (0 when it was empty).
        public let fromSize: UInt64
        /// The tree size it is at now.
        public let toSize: UInt64
        /// Files written (tiles and bundles, not counting the checkpoint).
        public let files: Int
        /// Their bytes.
        public let bytes: Int
    }

    /// Publishes `log` as of `checkpoint` (one of its signed checkpoints) into `folder`; the
    /// folder's `checkpoint` file is `note` when given (the checkpoint with witnesses'
    /// cosignatures after the log's signature), else the checkpoint as signed.
    /// Refuses a folder that holds another log's tiles, or a larger checkpoint of this one: a
    /// publication never makes the folder show a shorter history.
    public static func publish(_ log: EventLog, at checkpoint: SignedCheckpoint, note: String? = nil, to folder: URL) throws -> Report {
        let size = checkpoint.checkpoint.treeSize
        guard checkpoint.checkpoint.origin == log.origin else {
            throw TileError("the checkpoint is for log '\(checkpoint.checkpoint.origin)', not '\(log.origin)'")
        }
        guard try log.root(size: size).root == checkpoint.checkpoint.root else {
            throw TileError("the checkpoint's root is not this log's root at size \(size); run `defter log verify`")
        }
        let previous = try publishedSize(in: folder, origin: log.origin)
        guard previous <= size else {
            throw TileError(
                "\(folder.path) already shows \(previous) entries, more than this checkpoint's \(size); publish a newer checkpoint")
        }
        var files = 0
        var bytes = 0
        for tile in TileAddress.tiles(treeSize: size) where needsWriting(tile, previous: previous) {
            let url = folder.appendingPathComponent(tile.description)
            if tile.isPartial, FileManager.default.fileExists(atPath: url.path) { continue }
            let content = try log.tile(tile)
            try AtomicFile.write(content, to: url)
            files += 1
            bytes += content.count
        }
        try AtomicFile.write(Array((note ?? checkpoint.text).utf8), to: folder.appendingPathComponent("checkpoint"))
        return Report(fromSize: previous, toSize: size, files: files, bytes: bytes)
    }

    /// The tree size of the checkpoint already in `folder`, 0 when there is none. Throws when it is
    /// damaged or another log's.
    public static func publishedSize(in folder: URL, origin: String) throws -> UInt64 {
        let url = folder.appendingPathComponent("checkpoint")
        guard let data = FileManager.default.contents(atPath: url.path) else { return 0 }
        let published: SignedCheckpoint
        do { published = try SignedCheckpoint(parsing: String(decoding: data, as: UTF8.self)) } catch {
            throw TileError("\(url.path) is not a checkpoint (\(error)); publish into an empty folder or this log's own")
        }
        guard published.checkpoint.origin == origin else {
            throw TileError("\(folder.path) holds the tiles of log '\(published.checkpoint.origin)', not '\(origin)'; use another folder")
        }
        return published.checkpoint.treeSize
    }

    /// Whether `tile` must be written for a folder published up to `previous` entries: a full tile
    /// is there once a publication reached it; a partial one when its exact width was published.
    static func needsWriting(_ tile: TileAddress, previous: UInt64) -> Bool {
        guard let required = tile.requiredTreeSize else { return false }
        return tile.isPartial || required > previous
    }
}

/// Whole-or-nothing files: written under a temporary name, synced, renamed into place, and the
/// folder synced so that the rename survives a crash.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw TileError("cannot create \(folder.path): \(error.localizedDescription)")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TileError("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(temporary.path): \(String(cString: strerror(errno)))"
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = "cannot sync \(temporary.path): \(String(cString: strerror(errno)))" }
        close(descriptor)
        if failure == nil, rename(temporary.path, url.path) != 0 {
            failure = "cannot rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary.path)
            throw TileError(failure + (errno == ENOSPC ? " (the disk is full; free space and publish again)" : ""))
        }
        let folderDescriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}
