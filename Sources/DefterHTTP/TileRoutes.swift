import Crypto
import DefterLog
import HTTPTypes
import Hummingbird
import NIOCore

extension DefterAPI {
    /// The log as C2SP `tlog-tiles`, served from the log itself: `GET /checkpoint` (the newest
    /// signed checkpoint, or with witnesses the newest their quorum cosigned, cached a few seconds)
    /// and `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]` (immutable, cached for
    /// a year). The same paths as `defter log publish --to DIR` writes, so a reader or a mirror
    /// cannot tell the two apart. Both are also served under `/<origin hash>/` (the SHA-256 of the
    /// log's origin, lowercase hex), where C2SP `tlog-mirror` puts a mirror's copy of a log.
    func registerTiles(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.get(router, "/checkpoint") { _, _ in checkpointResponse() }
        router.get("/tile/**") { request, _ in tileResponse(String(request.uri.path.dropFirst())) }
        let originHash = Hex.encode(SHA256.hash(data: Array(log.origin.utf8)))
        router.get("/\(originHash)/checkpoint") { _, _ in checkpointResponse() }
        router.get("/\(originHash)/tile/**") { request, _ in
            tileResponse(String(request.uri.path.dropFirst(originHash.count + 2)))
        }
    }

    private func checkpointResponse() -> Response {
        do {
            // With witnesses, the newest checkpoint their quorum cosigned, their cosignatures
            // after the log's signature (C2SP tlog-cosignature).
            let note: String
            if let witnesses {
                guard let witnessed = try witnesses.newestWitnessedNote(of: log) else {
                    throw APIError(
                        status: .notFound, code: "not_found",
                        message:
                            "no checkpoint has been cosigned by \(witnesses.quorum) witness(es) yet; the service asks them at each checkpoint it signs"
                    )
                }
                note = witnessed
            } else {
                guard let newest = try log.newestCheckpoint() else {
                    throw APIError(
                        status: .notFound, code: "not_found",
                        message: "no checkpoint has been signed yet; `defter log checkpoint` signs one")
                }
                note = newest.text
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.cacheControl] = "public, max-age=5"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: note)))
        } catch {
            return errorResponse(error)
        }
    }

    /// The tile at `path` (`tile/...`, without a leading slash).
    private func tileResponse(_ path: String) -> Response {
        do {
            guard let address = TileAddress(path: path) else {
                throw APIError(
                    status: .notFound, code: "not_found",
                    message: "\(path.prefix(200)) is not a C2SP tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])")
            }
            let bytes: [UInt8]
            do { bytes = try log.tile(address) } catch let error as TileError {
                throw APIError(status: .notFound, code: "not_found", message: error.description)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            return errorResponse(error)
        }
    }
}
