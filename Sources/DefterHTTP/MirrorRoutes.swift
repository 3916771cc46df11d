public import DefterMirror
import DefterWitness
import HTTPTypes
public import Hummingbird

/// The HTTP face of a C2SP `tlog-mirror`'s submission prefix (`defter mirror serve`):
/// `POST /add-checkpoint`, `POST /add-entries` (read as it streams in, plain or gzip), and
/// `GET /healthz`. The mirror's copy is read through `defter serve --read-only` on its folder.
public enum MirrorHTTP {
    /// The mirror's routes.
    public static func router(for mirror: PushMirror) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.post("/add-checkpoint") { request, _ in
            await SubmissionHTTP.addCheckpoint(request) { await mirror.addCheckpoint($0) }
        }
        router.post("/add-entries") { request, _ -> Response in
            let encoding = request.headers[.contentEncoding]?.lowercased() ?? "identity"
            let answer: SubmissionAnswer
            switch encoding {
            case "identity":
                answer = await mirror.addEntries(request.body.map { Array($0.readableBytesView) })
            case "gzip", "x-gzip":
                answer = await mirror.addEntries(GzipInflatingSequence(request.body))
            default:
                answer = SubmissionAnswer(status: 415, body: "Content-Encoding \(encoding) is not supported; send gzip or none\n")
            }
            return SubmissionHTTP.response(answer, acceptGzip: true)
        }
        return router
    }
}
