import Crypto
import DefterLog
public import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The staff console's static files (HTML, CSS, JavaScript modules under `Console/`), served at
/// `/console/` with a strict Content-Security-Policy. There is no build step: the files in the
/// repository are what the browser runs.
public final class ConsoleFiles: Sendable {
    /// A file ready to send.
    struct File: Sendable {
        let bytes: [UInt8]
        let contentType: String
        let etag: String
    }

    private let root: URL?
    /// Read from disk at every request (for working on the console), not cached.
    private let live: Bool
    /// Whether a path without a file name is a screen of a single-page app (served `index.html`).
    private let singlePage: Bool
    private let cache = Mutex<[String: File]>([:])

    /// The files built into this release.
    public static let bundled = ConsoleFiles(root: Bundle.module.resourceURL?.appendingPathComponent("Console"), live: false)

    /// The public pages built into this release (the dashboard and request tracking).
    public static let bundledPublicPages = ConsoleFiles(
        root: Bundle.module.resourceURL?.appendingPathComponent("PublicPages"), live: false, singlePage: false)

    /// The files in `folder`, read anew at every request (`DEFTER_CONSOLE_DIR`, for working on the console).
    public static func folder(_ folder: URL, singlePage: Bool = true) -> ConsoleFiles {
        ConsoleFiles(root: folder, live: true, singlePage: singlePage)
    }

    private init(root: URL?, live: Bool, singlePage: Bool = true) {
        self.root = root
        self.live = live
        self.singlePage = singlePage
    }

    /// Every console response's security headers: no inline script or style, no eval, no
    /// framing, nothing loaded from elsewhere.
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            HTTPField.Name("Content-Security-Policy")!,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
    ]

    /// The file at `path` (relative to `Console/`), or nil when there is none. A path whose last
    /// segment has no dot is a screen of the single-page console: it gets `index.html`.
    func file(_ path: String) -> File? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard
            segments.allSatisfy({ segment in
                !segment.hasPrefix(".") && segment.unicodeScalars.allSatisfy { allowed.contains($0) }
            })
        else { return nil }
        let named = segments.last.map { $0.contains(".") } == true
        guard named || singlePage else { return nil }
        let relative = named ? segments.joined(separator: "/") : "index.html"
        if !live, let cached = cache.withLock({ $0[relative] }) { return cached }
        guard let root, let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path) else { return nil }
        let bytes = Array(data)
        let digest = Hex.encode(SHA256.hash(data: bytes).prefix(12))
        let file = File(bytes: bytes, contentType: Self.contentType(of: relative), etag: "\"\(digest)\"")
        if !live { cache.withLock { $0[relative] = file } }
        return file
    }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}

extension ConsoleFiles {
    /// The file at `path` with the security headers and its ETag (304 when the client has it),
    /// or a 404 naming `prefix + path`.
    func response(_ request: Request, _ path: String, prefix: String) -> Response {
        var headers = HTTPFields()
        for (name, value) in Self.securityHeaders { headers[name] = value }
        guard let file = file(path) else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(
                status: .notFound, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: "Bu dosya yok / there is no such file: \(prefix)\(path)\n")))
        }
        headers[.contentType] = file.contentType
        headers[.eTag] = file.etag
        // Revalidate every time: a new release changes a file under the same name.
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}

extension DefterAPI {
    /// `/console/...`: the staff console's files. Not part of the `/v1` API (the console is one
    /// of its clients), so not in the route table that `Schemas/openapi.yaml` describes.
    func registerConsole(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        let console = self.console
        router.get("/console/") { request, _ in console.response(request, "", prefix: "/console/") }
        router.get("/console/**") { request, context in
            console.response(request, context.parameters.getCatchAll().joined(separator: "/"), prefix: "/console/")
        }
    }
}
