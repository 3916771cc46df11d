public import DefterWitness
import HTTPTypes
public import Hummingbird
import NIOCore

/// The HTTP face of a C2SP `tlog-witness` (`defter witness serve`): `POST /add-checkpoint`,
/// `GET /<origin hash>/checkpoint` (the newest checkpoint it cosigned for that log, its monitoring
/// prefix being the root), and `GET /healthz`.
public enum WitnessHTTP {
    /// The largest request: 63 proof lines and a checkpoint with a few signatures fit in far less.
    static let maximumBodyBytes = 16 * 1024

    /// The witness's routes.
    public static func router(for witness: Witness) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/:originHash/checkpoint") { _, context -> Response in
            let answer = witness.cosignedCheckpoint(originHash: context.parameters.get("originHash") ?? "")
            var response = text(answer.status, answer.contentType, answer.body)
            // Monitors may poll; the spec lets a witness delay this by up to an hour.
            if answer.status == 200 { response.headers[.cacheControl] = "public, max-age=60" }
            return response
        }
        router.post("/add-checkpoint") { request, _ -> Response in
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: maximumBodyBytes) } catch {
                return text(413, "text/plain; charset=utf-8", "the request is larger than \(maximumBodyBytes) bytes\n")
            }
            let answer = witness.addCheckpoint(Array(body.readableBytesView))
            return text(answer.status, answer.contentType, answer.body)
        }
        return router
    }

    private static func text(_ status: Int, _ contentType: String, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
