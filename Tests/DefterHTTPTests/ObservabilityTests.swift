import DefterHTTP
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// A log handler that keeps every message with its metadata, for tests that read the log.
struct RecordingLogHandler: LogHandler {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    let recorded: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let text = "\(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        recorded.lines.withLock { $0.append(text) }
    }
}

@Suite struct MetricsTests {
    /// The value of the sample whose line starts with `name{` and holds every label given.
    static func sample(_ text: String, _ name: String, _ labels: [String] = []) -> Double? {
        text.split(separator: "\n").first { line in
            (line.hasPrefix(name + "{") || line.hasPrefix(name + " ")) && labels.allSatisfy { line.contains($0) }
        }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("GET /metrics shows requests by route and status, their latency, log appends, group commits and projection lag")
    func exposition() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await recordPothole(client, h)
                try await client.execute(uri: "/v1/tickets/2025-999999", method: .get, headers: headers(h.auditorToken)) { _ in }
                try await client.execute(uri: "/v1/tickets/2025-999998", method: .get, headers: headers(h.auditorToken)) { _ in }
                try await client.execute(uri: "/nowhere", method: .get) { _ in }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                    let text = String(buffer: response.body)
                    let calls = [#"route="/v1/calls""#, #"status="201""#, #"method="POST""#]
                    #expect(Self.sample(text, "defter_http_requests_total", calls) == 1)
                    #expect(Self.sample(text, "defter_http_requests_total", [#"route="/v1/tickets/{id}""#, #"status="404""#]) == 2)
                    #expect(Self.sample(text, "defter_http_requests_total", [#"route="NotFound""#, #"status="404""#]) == 1, "\(text)")
                    #expect(Self.sample(text, "defter_http_request_duration_seconds_count", calls) == 1)
                    #expect(text.contains("defter_http_request_duration_seconds_bucket{"))
                    // The catalog, then the call's batch (number, call, ticket, routing).
                    #expect((Self.sample(text, "defter_log_appended_events_total") ?? 0) >= 4)
                    #expect((Self.sample(text, "defter_log_group_commits_total") ?? 0) >= 2)
                    #expect(
                        Self.sample(text, "defter_log_group_commit_events_count") == Self.sample(text, "defter_log_group_commits_total"))
                    for projection in ["tickets", "queues", "stats"] {
                        #expect(Self.sample(text, "defter_projection_lag_entries", [#"projection="\#(projection)""#]) != nil)
                    }
                    #expect(!text.contains("0532") && !text.contains("çukur"), "no personal data in metrics")
                }
            }
        }
    }
}

@Suite struct RequestIDTests {
    @Test("every response carries x-request-id: a valid one sent is echoed, an invalid one replaced")
    func requestIDs() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                var sent = HTTPFields()
                sent[HTTPField.Name("x-request-id")!] = "trace-42.a_b"
                try await client.execute(uri: "/healthz", method: .get, headers: sent) { response in
                    #expect(response.headers[HTTPField.Name("x-request-id")!] == "trace-42.a_b")
                }
                sent[HTTPField.Name("x-request-id")!] = "evil\u{1b}[31m" + String(repeating: "x", count: 200)
                try await client.execute(uri: "/healthz", method: .get, headers: sent) { response in
                    let id = response.headers[HTTPField.Name("x-request-id")!]
                    #expect(id != nil && id?.contains("evil") == false)
                }
                try await client.execute(uri: "/v1/calls", method: .post, headers: headers(nil), body: ByteBuffer(string: "{}")) {
                    response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[HTTPField.Name("x-request-id")!]?.isEmpty == false)
                }
            }
        }
    }

    @Test("each request is logged once with its id, method, route template and status; never its query, body or path values")
    func requestLog() async throws {
        let recorded = RecordingLogHandler.Lines()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(recorded: recorded) }
        try await withAPI(logger: logger) { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                var sent = headers(h.operatorToken)
                sent[HTTPField.Name("x-request-id")!] = "call-centre-7"
                try await client.execute(uri: "/v1/tickets/\(ticket)/personal-data?reason=Ay%C5%9Fe-geri-ara", method: .get, headers: sent)
                {
                    #expect($0.status == .ok)
                }
            }
        }
        let lines = recorded.lines.withLock { $0 }
        let read = try #require(lines.first { $0.contains("request_id=call-centre-7") }, "\(lines)")
        #expect(read.contains("route=/v1/tickets/{id}/personal-data") && read.contains("status=200") && read.contains("method=GET"))
        #expect(lines.filter { $0.hasPrefix("request ") }.count == 2)
        for secret in ["Ayşe", "Ay%C5", "Caddede", "0532", "999 88 77", "-000001"] {
            #expect(!lines.joined().contains(secret), "'\(secret)' must not be logged")
        }
    }

    @Test("an unknown route is a JSON 404 like every other error")
    func unknownRoute() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/v2/everything", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(json(response.body)["error"] == "not_found")
                }
            }
        }
    }
}
