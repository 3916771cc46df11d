public import DefterMirror
import HTTPTypes
public import Hummingbird
import NIOCore

/// The HTTP face of a C2SP `tlog-mirror`'s submission prefix (`defter mirror serve`):
/// `POST /add-checkpoint`, `POST /add-entries` (read as it streams in, plain or gzip), and
/// `GET /healthz`. The mirror's copy is read through `defter serve --read-only` on its folder.
public enum MirrorHTTP {
    /// The largest `add-checkpoint` request: 63 proof lines and a checkpoint with a few signatures.
    static let maximumCheckpointBytes = 16 * 1024

    /// The mirror's routes.
    public static func router(for mirror: PushMirror) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.post("/add-checkpoint") { request, _ -> Response in
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: maximumCheckpointBytes) } catch {
                return text(413, "text/plain; charset=utf-8", "the request is larger than \(maximumCheckpointBytes) bytes\n")
            }
            let answer = await mirror.addCheckpoint(Array(body.readableBytesView))
            return text(answer.status, answer.contentType, answer.body)
        }
        router.post("/add-entries") { request, _ -> Response in
            let encoding = request.headers[.contentEncoding]?.lowercased() ?? "identity"
            let answer: PushMirror.Response
            switch encoding {
            case "identity":
                answer = await mirror.addEntries(request.body.map { Array($0.readableBytesView) })
            case "gzip", "x-gzip":
                answer = await mirror.addEntries(GzipInflatingSequence(request.body))
            default:
                return text(
                    415, "text/plain; charset=utf-8", "Content-Encoding \(encoding) is not supported; send gzip or none\n", acceptGzip: true
                )
            }
            return text(answer.status, answer.contentType, answer.body, acceptGzip: true)
        }
        return router
    }

    private static func text(_ status: Int, _ contentType: String, _ body: String, acceptGzip: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        if acceptGzip { headers[.acceptEncoding] = "gzip" }
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
