public import DefterWitness
import HTTPTypes
public import Hummingbird
import NIOCore

/// The HTTP face of a C2SP `tlog-witness` (`defter witness serve`): `POST /add-checkpoint`, and
/// `GET /healthz`. Nothing else: a witness has no other API and no state a reader needs.
public enum WitnessHTTP {
    /// The largest request: 63 proof lines and a checkpoint with a few signatures fit in far less.
    static let maximumBodyBytes = 16 * 1024

    /// The witness's routes.
    public static func router(for witness: Witness) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
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
