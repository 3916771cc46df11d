import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `defter serve` is stopped with SIGTERM while operators are still posting calls: it must exit
/// cleanly, and every call it answered with a 2xx must be in the log, which must verify.
@Suite struct GracefulShutdownTests {
    static let writers = 12
    static let callsPerWriter = 400

    @Test("SIGTERM during a stream of POST /v1/calls loses no acknowledged call and exits 0")
    func sigtermLosesNoAcknowledgedCall() async throws {
        ignoreBrokenPipes()
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data")
            let issued = try runDefter(["tokens", "issue", "--role", "operator", "--name", "shutdown-test", "--data", data.path])
            try #require(issued.status == 0, "tokens issue failed: \(issued.stderr)")
            let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let server = try await DefterServer(data: data)

            let acknowledged = Acknowledgements()
            let base = server.baseURL
            let session = URLSession(configuration: .ephemeral)
            let stopped = try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<Self.writers {
                    group.addTask {
                        // Each writer posts its calls one after another and stops at the first
                        // request that gets no answer: the server has stopped taking requests.
                        for number in 0..<Self.callsPerWriter {
                            let callId = "shutdown-\(writer)-\(number)"
                            guard let answer = await postCall(callId, to: base, token: token, session: session) else { return }
                            if (200..<300).contains(answer.status) { await acknowledged.record(callId, ticket: answer.ticket) }
                        }
                    }
                }
                // Stop the server mid-stream: once some calls were answered, well before all were sent.
                while await acknowledged.count < 40 {
                    guard server.process.isRunning else { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                server.terminate()
                let status = try await server.waitForExit(timeout: .seconds(30))
                try await group.waitForAll()
                return status
            }
            session.invalidateAndCancel()

            let answered = await acknowledged.calls
            #expect(stopped == 0, "defter serve exited with \(stopped) after SIGTERM: \(server.log())")
            #expect(server.process.terminationReason == .exit, "defter serve died of a signal instead of stopping")
            #expect(answered.count >= 40, "only \(answered.count) calls were answered before SIGTERM; the test proved little")
            #expect(
                answered.count < Self.writers * Self.callsPerWriter,
                "every call was answered: SIGTERM came after the stream, not during it")

            let log = try openReadOnly(data)
            defer { log.close() }
            let report = try log.verify()
            #expect(report.ok, "the log does not verify after shutdown: \(report.reason ?? "")")
            for (callId, ticket) in answered.sorted(by: { $0.key < $1.key }) {
                let entry = try log.entry(id: EventID("call:\(callId)"))
                #expect(entry?.type == "CallReceived", "acknowledged call \(callId) is not in the log")
                #expect(try entry?.data()["ticket"]?.stringValue == ticket, "call \(callId) was answered with ticket \(ticket)")
            }
        }
    }
}

/// The calls the server answered with a 2xx, and the ticket each answer named.
actor Acknowledgements {
    private(set) var calls: [String: String] = [:]

    var count: Int { calls.count }

    func record(_ callId: String, ticket: String) {
        calls[callId] = ticket
    }
}

/// Posts one call; nil when the request got no HTTP answer at all (refused, reset, timed out).
func postCall(_ callId: String, to base: URL, token: String, session: URLSession) async -> (status: Int, ticket: String)? {
    var request = URLRequest(url: base.appendingPathComponent("v1/calls"), timeoutInterval: 20)
    request.httpMethod = "POST"
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(
        #"{"callId":"\#(callId)","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"Caddede yol çöktü, araçlar geçemiyor"}}"#
            .utf8)
    guard let (body, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
    return (http.statusCode, object?["ticket"] as? String ?? "")
}
