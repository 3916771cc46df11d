import NIOCore
import Synchronization

/// Rendered queue pages, kept while nothing they show can have changed: the key holds the queue
/// projection's checkpoint (any new entry it applies changes the key) and the second the page was
/// rendered in (overdue flags are computed against that second). A department polling its queue,
/// or a wall display, is answered from here without a scan or a rendering.
final class QueuePageCache: Sendable {
    private let pages = Mutex<[String: ByteBuffer]>([:])
    /// Pages kept at most; past it (many filters at once) the cache starts over.
    static let maximumPages = 1024

    /// The page rendered under `key`, or renders and keeps it.
    func page(_ key: String, render: () throws -> ByteBuffer) rethrows -> ByteBuffer {
        if let cached = pages.withLock({ $0[key] }) { return cached }
        let page = try render()
        pages.withLock { pages in
            if pages.count >= Self.maximumPages { pages.removeAll(keepingCapacity: true) }
            pages[key] = page
        }
        return page
    }
}
