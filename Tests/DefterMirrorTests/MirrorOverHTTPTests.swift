import DefterLog
import DefterLogTestSupport
import DefterMirror
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Serves `folder` on a loopback port, as a static web server would, while `body` runs with its
/// address.
private func withTileServer(_ folder: URL, _ body: @escaping @Sendable (URL) async throws -> Void) async throws {
    let router = Router()
    router.get("**") { request, _ -> Response in
        guard let data = FileManager.default.contents(atPath: folder.path + request.uri.path) else {
            return Response(status: .notFound)
        }
        return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
    let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in
        let port = try #require(client.port)
        try await body(try #require(URL(string: "http://127.0.0.1:\(port)")))
    }
}

/// A mirror reading a web server: plain `http://` goes through SwiftNIO connections kept alive
/// (`HTTPTileSource`), with the same checks as from a folder.
@Suite struct MirrorOverHTTPTests {
    @Test func aMirrorFollowsAWebServerAcrossPublicationsOnKeptAliveConnections() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            let mirror = try openMirror(of: primary, in: root.appendingPathComponent("mirror"))
            defer { mirror.close() }
            try await withTileServer(tiles) { address in
                let follower = Mirror(log: mirror, source: HTTPTileSource(prefix: address), parallelReads: 4)
                for size in [700, 1300] {
                    try await grow(primary, to: size, stream: "primary")
                    try await publish(primary, to: tiles)
                    let report = try await follower.follow()
                    #expect(report.toSize == UInt64(size))
                    #expect(try mirror.root() == primary.root())
                }
                #expect(try mirror.verify().ok)
                // A file the server does not have is refused, naming the address and the status.
                await #expect {
                    _ = try await HTTPTileSource(prefix: address).read("tile/entries/x999")
                } throws: { error in
                    "\(error)".contains("tile/entries/x999 answered 404")
                }
            }
        }
    }

    @Test func aServerThatIsNotThereIsNamedInTheRefusal() async throws {
        let port = try freeLoopbackPort()
        let source = HTTPTileSource(prefix: try #require(URL(string: "http://127.0.0.1:\(port)/log")))
        await #expect {
            _ = try await source.read("checkpoint")
        } throws: { error in
            "\(error)".contains("cannot read http://127.0.0.1:\(port)/log/checkpoint: cannot connect to 127.0.0.1:\(port)")
        }
    }
}
