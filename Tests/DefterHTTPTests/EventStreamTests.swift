import DefterDomain
import DefterHTTP
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let garbageCall =
    #"{"callId":"tel-2","channel":"phone","operatorId":"op-1","district":"Afşin","caller":{"text":"Çöp konteyneri taştı, günlerdir alınmıyor"}}"#

#if canImport(Glibc)
    /// Reads an HTTP response from 127.0.0.1:`port` for `request` until the text holds `marker` or
    /// `seconds` pass, then hangs up, as an EventSource that leaves does. Runs off the concurrency pool.
    func readStream(port: Int, _ request: String, until marker: String, seconds: Int = 10) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(socket) }
                var timeout = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { return continuation.resume(returning: "") }
                _ = request.withCString { send(socket, $0, strlen($0), 0) }
                var received: [UInt8] = []
                let deadline = Date().addingTimeInterval(Double(seconds))
                var buffer = [UInt8](repeating: 0, count: 4096)
                while Date() < deadline, !String(decoding: received, as: UTF8.self).contains(marker) {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    if count == 0 { break }
                    if count > 0 { received += buffer[..<count] }
                }
                continuation.resume(returning: String(decoding: received, as: UTF8.self))
            }
        }
    }
#endif

@Suite struct DepartmentEventTests {
    @Test("a ticket routed to a department enters that department's feed and not another's; resolving it leaves")
    func feedsFollowQueues() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let pothole = try await recordPothole(client, h)
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: garbageCall)
                ) { #expect(json($0.body)["destination"] == "temizlik") }
                try await client.execute(uri: "/v1/tickets/\(pothole)/acknowledge", method: .post, headers: headers(h.roadsToken)) { _ in }
                try await client.execute(
                    uri: "/v1/tickets/\(pothole)/resolve", method: .post, headers: headers(h.roadsToken),
                    body: ByteBuffer(string: #"{"code":"patched","note":"Yamandı"}"#)
                ) { _ in }
            }
            let entries = try h.log.entries(from: 1, limit: 1000)
            var roads = QueueFeed(log: h.log, department: DepartmentID(unchecked: "fen-isleri"))
            var cleaning = QueueFeed(log: h.log, department: DepartmentID(unchecked: "temizlik"))
            let roadChanges = try entries.compactMap { try roads.change(for: $0) }
            let cleaningChanges = try entries.compactMap { try cleaning.change(for: $0) }
            #expect(roadChanges.map(\.kind) == [.entered, .changed, .left])
            #expect(roadChanges.map(\.type) == ["TicketRouted", "TicketAcknowledged", "TicketResolved"])
            #expect(roadChanges.allSatisfy { $0.ticket.id.rawValue.hasSuffix("-000001") })
            #expect(cleaningChanges.count == 1)
            #expect(cleaningChanges.first?.ticket.id.rawValue.hasSuffix("-000002") == true)
            #expect(!roadChanges.map(\.message).joined().contains("çukur"), "no caller text in the feed")
            // Starting anywhere gives the same answer as reading from the start.
            var late = QueueFeed(log: h.log, department: DepartmentID(unchecked: "fen-isleri"))
            let resumed = try entries.filter { $0.sequence > roadChanges[0].sequence }.compactMap { try late.change(for: $0) }
            #expect(resumed == Array(roadChanges.dropFirst()))
        }
    }

    #if canImport(Glibc)
        @Test("GET /v1/departments/{id}/events streams the department's tickets live, resumes after Last-Event-ID, and not another's")
        func liveStream() async throws {
            try await withAPI { h in
                try await h.app.test(.live) { client in
                    let port = try #require(client.port)
                    func request(_ department: String, _ token: String, lastEventID: String? = nil) -> String {
                        "GET /v1/departments/\(department)/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                            + (lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? "") + "\r\n"
                    }
                    // Live: the stream is open before the call arrives.
                    async let live = readStream(port: port, request("fen-isleri", h.roadsToken), until: "event: entered")
                    try await Task.sleep(for: .milliseconds(500))
                    let pothole = try await recordPothole(client, h)
                    let roads = await live
                    #expect(roads.contains("200 OK") && roads.contains("text/event-stream"))
                    #expect(roads.contains("event: entered") && roads.contains(pothole))
                    #expect(!roads.contains("Caddede"), "no caller text")

                    try await client.execute(
                        uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: garbageCall)
                    ) { _ in }
                    // Resumed from the start of the log: the cleaning queue's ticket, and not the pothole before it.
                    let cleaning = await readStream(port: port, request("temizlik", h.cleaningToken, lastEventID: "0"), until: "-000002")
                    #expect(cleaning.contains("-000002"))
                    #expect(!cleaning.contains(pothole))
                    let sequence = try #require(
                        roads.split(whereSeparator: \.isNewline).first { $0.hasPrefix("id: ") }.flatMap { UInt64($0.dropFirst(4)) },
                        "\(roads)")
                    let resumed = await readStream(
                        port: port, request("fen-isleri", h.auditorToken, lastEventID: String(sequence - 1)), until: pothole)
                    #expect(resumed.contains("id: \(sequence)"))
                }
            }
        }
    #endif

    @Test("the stream refuses other departments' tokens, unknown departments and bad Last-Event-ID")
    func refusals() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/v1/departments/fen-isleri/events", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/departments/fen-isleri/events", method: .get, headers: headers(h.operatorToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/departments/triage/events", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/departments/uzay/events", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .notFound)
                }
                var resume = headers(h.roadsToken)
                resume[HTTPField.Name("Last-Event-ID")!] = "99999"
                try await client.execute(uri: "/v1/departments/fen-isleri/events", method: .get, headers: resume) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["error"] == "bad_parameter")
                }
            }
        }
    }
}
