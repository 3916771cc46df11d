public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a mirror reads a published log: the paths of C2SP `tlog-tiles` (`checkpoint`,
/// `tile/...`) under some prefix. Nothing it returns is trusted: the mirror checks every byte
/// against the signed checkpoint.
public protocol TileSource: Sendable {
    /// The prefix, as messages name it.
    var name: String { get }
    /// The file at `path` under the prefix; throws `Mirror.MirrorError.source` naming what failed.
    func read(_ path: String) async throws -> [UInt8]
}

/// A log published on a web server or CDN (`defter log publish` behind nginx, an S3 bucket) or by
/// `defter serve` itself.
public struct HTTPTileSource: TileSource {
    /// The tile prefix: `<prefix>/checkpoint`, `<prefix>/tile/...`.
    public let prefix: URL

    public init(prefix: URL) { self.prefix = prefix }

    /// One session for every source: no cache (every tile is read once, and a checkpoint must be
    /// fresh), and as many connections to the server as the mirror reads at once.
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    public var name: String { prefix.absoluteString }

    public func read(_ path: String) async throws -> [UInt8] {
        let url = prefix.appendingPathComponent(path)
        let request = URLRequest(url: url, timeoutInterval: 30)
        let (status, data): (Int, Data)
        do {
            (status, data) = try await withCheckedThrowingContinuation { continuation in
                Self.session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else {
                        continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                    }
                }.resume()
            }
        } catch {
            throw Mirror.MirrorError.source("cannot read \(url.absoluteString): \((error as NSError).localizedDescription)")
        }
        guard status == 200 else { throw Mirror.MirrorError.source("\(url.absoluteString) answered \(status)") }
        return Array(data)
    }
}

/// A log published into a folder (`defter log publish --to DIR`) read in place: a copy carried
/// on a disk, or synced from a bucket.
public struct FolderTileSource: TileSource {
    /// The folder holding `checkpoint` and `tile/`.
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    public var name: String { folder.path }

    public func read(_ path: String) async throws -> [UInt8] {
        let file = folder.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw Mirror.MirrorError.source("cannot read \(file.path): it is missing or unreadable")
        }
        return Array(data)
    }
}
