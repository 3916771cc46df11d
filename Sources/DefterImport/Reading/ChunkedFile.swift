import Foundation

/// A file read front to back in fixed-size chunks, so that memory stays flat however large the
/// file is; counts the bytes read for progress.
final class ChunkedFile {
    private let handle: FileHandle
    private let chunkSize: Int
    /// The current chunk and the position in it.
    private(set) var chunk: [UInt8] = []
    var position = 0
    /// Bytes handed out so far.
    private(set) var bytesRead = 0
    private var ended = false

    init(url: URL, chunkSize: Int = 1 << 20) throws {
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw ImportError.unreadable(url.path, "\(error.localizedDescription)")
        }
        self.chunkSize = chunkSize
    }

    deinit { try? handle.close() }

    /// The next byte, or nil at the end of the file.
    @inline(__always)
    func next() throws -> UInt8? {
        if position == chunk.count {
            guard try refill() else { return nil }
        }
        defer { position += 1 }
        return chunk[position]
    }

    /// The next byte without consuming it.
    @inline(__always)
    func peek() throws -> UInt8? {
        if position == chunk.count {
            guard try refill() else { return nil }
        }
        return chunk[position]
    }

    private func refill() throws -> Bool {
        guard !ended else { return false }
        let data: Data?
        do { data = try handle.read(upToCount: chunkSize) } catch {
            throw ImportError.unreadable("the source file", "\(error.localizedDescription)")
        }
        guard let data, !data.isEmpty else {
            ended = true
            return false
        }
        bytesRead += chunk.count
        chunk = [UInt8](data)
        position = 0
        return true
    }

    /// Bytes consumed so far.
    var offset: Int { bytesRead + position }
}
