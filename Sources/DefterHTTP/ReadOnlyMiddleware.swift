import HTTPTypes
import Hummingbird

/// A mirror's service (`defter serve --read-only`): every read is served, every write refused
/// with 403 `read_only`, since a mirror's log only ever takes its primary's entries.
struct ReadOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.get, .head, .options].contains(request.method) else {
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            let body =
                #"{"error":"read_only","message":"Bu sunucu bir ayna: yalnızca okur; başvuruyu asıl sunucuya gönderin. / This server is a read-only mirror: send writes to the primary."}"#
            return Response(status: .forbidden, headers: headers, body: ResponseBody(byteBuffer: .init(string: body)))
        }
        return try await next(request, context)
    }
}
