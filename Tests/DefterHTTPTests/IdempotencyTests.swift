import DefterDomain
import DefterLog
import DefterLogTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DefterHTTP

private func keyed(_ fields: HTTPFields, _ key: String) -> HTTPFields {
    var fields = fields
    fields[HTTPField.Name("Idempotency-Key")!] = key
    return fields
}

private let otherCall =
    #"{"callId":"tel-1","channel":"phone","operatorId":"op-1","district":"Afşin","caller":{"text":"Sokak lambası yanmıyor"}}"#

@Suite struct IdempotencyKeyTests {
    @Test func theSameKeyAndBodyGetTheFirstTicketAndAnotherBodyIs422() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let key = #""8e03978e-40d5-43e8-bc93-6894a57f9324""#
                let first = try await client.execute(
                    uri: "/v1/calls", method: .post, headers: keyed(headers(h.operatorToken), key), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .created)
                    return json(response.body)["ticket"]?.stringValue
                }
                // The same call, its keys in another order: the same request.
                let reordered = try JSONValue(parsing: Array(potholeCall.utf8)).canonicalString
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: keyed(headers(h.operatorToken), key), body: ByteBuffer(string: reordered)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["ticket"]?.stringValue == first)
                }
                let entries = try h.log.entries(from: 1, limit: 10_000).count
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: keyed(headers(h.operatorToken), key), body: ByteBuffer(string: otherCall)
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(json(response.body)["error"] == "idempotency_key_reused")
                    #expect(json(response.body)["message"]?.stringValue?.hasPrefix("Bu Idempotency-Key başka bir istekle") == true)
                }
                #expect(try h.log.entries(from: 1, limit: 10_000).count == entries)
                for bad in ["", String(repeating: "k", count: 256), "iki kelime"] {
                    try await client.execute(
                        uri: "/v1/calls", method: .post, headers: keyed(headers(h.operatorToken), bad), body: ByteBuffer(string: otherCall)
                    ) { response in
                        #expect(response.status == .badRequest, "\(bad)")
                        #expect(json(response.body)["error"] == "bad_idempotency_key")
                    }
                }
            }
        }
    }

    @Test func anOpen311RetryWithItsKeyMakesOneTicketAndAnotherReportUnderItIs422() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                var ids: [String] = []
                for _ in 0..<2 {
                    try await client.execute(
                        uri: "/open311/v2/requests.json", method: .post, headers: keyed(formHeaders, "app-retry-1"),
                        body: potholeReport(h.open311Token)
                    ) { response in
                        #expect(response.status == .ok)
                        ids.append(json(response.body)[0]?["service_request_id"]?.stringValue ?? "")
                    }
                }
                #expect(ids[0] == ids[1] && !ids[0].isEmpty)
                try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: keyed(formHeaders, "app-retry-1"),
                    body: potholeReport(h.open311Token, extra: [("device_id", "another-phone")])
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(json(response.body)[0]?["code"] == "422")
                }
                // Without a key, each report is a new request, as GeoReport v2 has it.
                let third = try await submit(client, potholeReport(h.open311Token))
                #expect(third != ids[0])
            }
        }
    }

    @Test func aClaimedKeySurvivesReopeningTheStoreAndIsPerClient() async throws {
        try await withTemporaryDirectory { folder in
            let key = IdempotencyKey(value: "k-1")
            var store = try TokenStore(folder: folder)
            #expect(try store.claimIdempotencyKey(key, client: "app", fingerprint: [1], callId: "first") == "first")
            store.close()
            store = try TokenStore(folder: folder)
            defer { store.close() }
            #expect(try store.claimIdempotencyKey(key, client: "app", fingerprint: [1], callId: "second") == "first")
            #expect(throws: IdempotencyKeyReused.self) { try store.claimIdempotencyKey(key, client: "app", fingerprint: [2], callId: "x") }
            #expect(try store.claimIdempotencyKey(key, client: "other-app", fingerprint: [2], callId: "third") == "third")
        }
    }
}

@Suite struct IntakeBackpressureTests {
    @Test func aFullIntakeAnswers503WithRetryAfterAndRecordsNothing() async throws {
        let gate = IntakeGate(limit: 1)
        try await withAPI(intakeGate: gate) { h in
            try await h.app.test(.router) { client in
                #expect(gate.enter())
                let entries = try h.log.entries(from: 1, limit: 10_000).count
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(json(response.body)["error"] == "busy")
                }
                try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: formHeaders, body: potholeReport(h.open311Token)
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                }
                #expect(try h.log.entries(from: 1, limit: 10_000).count == entries)
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(String(buffer: response.body).contains("defter_intake_refused_total 2"))
                }
                gate.leave()
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { #expect($0.status == .created) }
                #expect(gate.inFlight == 0)
            }
        }
    }
}
