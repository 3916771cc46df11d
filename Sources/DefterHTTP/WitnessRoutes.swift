public import DefterWitness
import HTTPTypes
public import Hummingbird

/// The HTTP face of a C2SP `tlog-witness` (`defter witness serve`): `POST /add-checkpoint`,
/// `GET /<origin hash>/checkpoint` (the newest checkpoint it cosigned for that log, its monitoring
/// prefix being the root), and `GET /healthz`.
public enum WitnessHTTP {
    /// The witness's routes.
    public static func router(for witness: Witness) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/:originHash/checkpoint") { _, context -> Response in
            let answer = witness.cosignedCheckpoint(originHash: context.parameters.get("originHash") ?? "")
            var response = SubmissionHTTP.response(answer)
            // Monitors may poll; the spec lets a witness delay this by up to an hour.
            if answer.status == 200 { response.headers[.cacheControl] = "public, max-age=60" }
            return response
        }
        router.post("/add-checkpoint") { request, _ in
            await SubmissionHTTP.addCheckpoint(request) { witness.addCheckpoint($0) }
        }
        return router
    }
}
