public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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
    /// For a plain `http://` prefix: SwiftNIO connections kept alive; `https://` goes through
    /// URLSession.
    private let client: KeepAliveHTTPClient?

    public init(prefix: URL) {
        self.prefix = prefix
        if prefix.scheme == "http", let host = prefix.host {
            client = KeepAliveHTTPClient(host: host, port: prefix.port ?? 80)
        } else {
            client = nil
        }
    }

    /// One session for every `https://` source: no cache (every tile is read once, and a
    /// checkpoint must be fresh), and as many connections to the server as the mirror reads at once.
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
        let (status, body): (Int, [UInt8])
        do {
            if let client {
                let base = prefix.path.hasSuffix("/") ? String(prefix.path.dropLast()) : prefix.path
                let response = try await client.get(base + "/" + path)
                (status, body) = (response.status, response.body)
            } else {
                (status, body) = try await Self.fetch(url)
            }
        } catch {
            let reason = (error as? KeepAliveHTTPClient.Failure)?.description ?? (error as NSError).localizedDescription
            throw Mirror.MirrorError.source("cannot read \(url.absoluteString): \(reason)")
        }
        guard status == 200 else { throw Mirror.MirrorError.source("\(url.absoluteString) answered \(status)") }
        return body
    }

    private static func fetch(_ url: URL) async throws -> (Int, [UInt8]) {
        let request = URLRequest(url: url, timeoutInterval: 30)
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data ?? Data())))
                }
            }.resume()
        }
    }
}

/// A log published into a folder (`defter log publish --to DIR`) read in place: a copy carried
/// on a disk, or synced from a bucket.
public struct FolderTileSource: TileSource {
    /// The folder holding `checkpoint` and `tile/`.
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    public var name: String { folder.path }

    /// The file's bytes, read straight into the array (not through `Data`, which a copy into an
    /// array would follow: a tenth of a catching-up mirror's reading).
    public func read(_ path: String) async throws -> [UInt8] {
        let file = folder.appendingPathComponent(path).path
        func failure(_ what: String, _ code: Int32 = errno) -> Mirror.MirrorError {
            .source(code == ENOENT ? "cannot read \(file): it is missing" : "cannot \(what) \(file): \(String(cString: strerror(code)))")
        }
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("read the size of") }
        let size = Int(status.st_size)
        var readError: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = Glibc.read(descriptor, buffer.baseAddress! + count, size - count)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    readError = got < 0 ? errno : 0
                    return
                }
                count += got
            }
        }
        guard bytes.count == size else {
            throw readError == 0
                ? Mirror.MirrorError.source("cannot read \(file): it shrank while it was read") : failure("read", readError)
        }
        return bytes
    }
}
