import DefterHTTP
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

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
