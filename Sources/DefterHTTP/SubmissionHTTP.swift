import DefterWitness
import HTTPTypes
import Hummingbird
import NIOCore

/// What the witness's and the mirror's HTTP faces share: reading an `add-checkpoint` request,
/// and turning a `SubmissionAnswer` into a response.
enum SubmissionHTTP {
    /// The largest `add-checkpoint` request: 63 proof lines and a checkpoint with a few
    /// signatures fit in far less.
    static let maximumCheckpointBytes = 16 * 1024

    /// `POST add-checkpoint`: the body, at most `maximumCheckpointBytes`, answered by `handle`.
    static func addCheckpoint(_ request: Request, _ handle: ([UInt8]) async -> SubmissionAnswer) async -> Response {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: maximumCheckpointBytes) } catch {
            return response(SubmissionAnswer(status: 413, body: "the request is larger than \(maximumCheckpointBytes) bytes\n"))
        }
        return response(await handle(Array(body.readableBytesView)))
    }

    /// `answer` as an HTTP response; `acceptGzip` says that request bodies may be gzip.
    static func response(_ answer: SubmissionAnswer, acceptGzip: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        if acceptGzip { headers[.acceptEncoding] = "gzip" }
        return Response(
            status: .init(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}
