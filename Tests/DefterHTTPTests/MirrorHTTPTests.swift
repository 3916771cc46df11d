import DefterHTTP
import DefterLog
import DefterLogTestSupport
import DefterMirror
import DefterWitness
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The HTTP face of a C2SP `tlog-mirror` (`defter mirror serve`): a log pushes to it over real
/// HTTP, and an `add-entries` body may arrive gzip-compressed, as the spec requires a mirror to accept.
@Suite struct MirrorHTTPTests {
    @Test func aLogPushesItsEntriesOverHTTPAndAGzipBodyIsTakenAsAPlainOne() async throws {
        try await withTemporaryLog { primary, folder in
            var configuration = LogConfiguration()
            configuration.mirrorOf = primary.verifierKey
            let mirrorLog = try EventLog.open(at: folder.appendingPathComponent("mirror"), configuration: configuration)
            defer { mirrorLog.close() }
            let cosigner = Cosigner(name: "mirror.example.org/m1")
            try await withPushMirror(on: mirrorLog, cosigner) { mirror in
                try await Application(router: MirrorHTTP.router(for: mirror)).test(.live) { client in
                    let port = try #require(client.port)
                    let endpoint = try WitnessClient.Endpoint(parsing: "http://127.0.0.1:\(port)/=\(cosigner.verifierKey.vkey)")
                    func grow(to size: UInt64) async throws {
                        while try primary.size() < size { _ = try await primary.append(SampleEvents.call("http", Int(try primary.size()))) }
                    }
                    for size: UInt64 in [300, 700] {
                        try await grow(to: size)
                        let checkpoint = try await primary.checkpoint()
                        let line = try await MirrorPusher(log: primary, mirror: endpoint).push(checkpoint)
                        #expect(try cosigner.verifierKey.verify(line: line, body: checkpoint.checkpoint.body) != nil)
                        #expect(try mirrorLog.root() == primary.root())
                    }

                    // Entries 700 to 800, gzip-compressed, after their checkpoint is pending.
                    try await grow(to: 800)
                    let checkpoint = try await primary.checkpoint()
                    let proof = try primary.consistencyProof(from: 700, to: 800).path
                    let pending = try await client.execute(
                        uri: "/add-checkpoint", method: .post,
                        body: ByteBuffer(string: "old 700\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.text)
                    ) { $0.status.code }
                    #expect(pending == 200)
                    let body = try EntryUpload.body(EntryUpload.Header(origin: primary.origin, start: 700, end: 800), from: primary)
                    let gzipped = try gzip(body)
                    let answer = try await client.execute(
                        uri: "/add-entries", method: .post, headers: [.contentEncoding: "gzip", .contentType: "application/octet-stream"],
                        body: ByteBuffer(bytes: gzipped)
                    ) { ($0.status.code, String(buffer: $0.body), $0.headers[.acceptEncoding]) }
                    #expect(answer.0 == 200 && answer.2 == "gzip")
                    #expect(
                        try cosigner.verifierKey.verify(line: answer.1.trimmingCharacters(in: .newlines), body: checkpoint.checkpoint.body)
                            != nil)
                    #expect(try mirrorLog.root() == primary.root())

                    // A body that is not gzip although it says so keeps nothing; another encoding is 415.
                    let notGzip = try await client.execute(
                        uri: "/add-entries", method: .post, headers: [.contentEncoding: "gzip"], body: ByteBuffer(bytes: body)
                    ) { ($0.status.code, String(buffer: $0.body)) }
                    #expect(notGzip.0 == 400 && notGzip.1.contains("not valid gzip"))
                    let brotli = try await client.execute(
                        uri: "/add-entries", method: .post, headers: [.contentEncoding: "br"], body: ByteBuffer(bytes: body)
                    ) { $0.status.code }
                    #expect(brotli == 415)
                }
            }
        }
    }
}

/// Runs `body` with a mirror taking pushes into `log`, closed afterwards however `body` ends.
func withPushMirror<T>(on log: EventLog, _ cosigner: Cosigner, _ body: (PushMirror) async throws -> T) async throws -> T {
    let mirror = try PushMirror(log: log, cosigner: cosigner)
    do {
        let result = try await body(mirror)
        await mirror.close()
        return result
    } catch {
        await mirror.close()
        throw error
    }
}

/// `bytes` compressed by the system's `gzip`: a compressor that shares no code with the mirror.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    // Write from another thread: gzip's output pipe could fill while its input is being written.
    let writer = Thread {
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let compressed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(compressed)
}
