import DefterDomain
import DefterHTTP
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(hours: Double) { current.withLock { $0 += hours * 3600 } }
}

/// Where the console is published in these tests; writes from a session must come from here.
let consoleOrigin = "http://console.test"

func browserHeaders(cookie: String?, origin: String? = consoleOrigin) -> HTTPFields {
    var fields = HTTPFields()
    if let cookie { fields[.cookie] = "defter_session=\(cookie)" }
    if let origin { fields[HTTPField.Name("Origin")!] = origin }
    return fields
}

/// Signs in with `token` from the console's origin; returns the session cookie's value and its
/// whole `Set-Cookie` line.
func signIn(_ client: some TestClientProtocol, _ token: String) async throws -> (session: String, setCookie: String) {
    try await client.execute(
        uri: "/v1/session", method: .post, headers: browserHeaders(cookie: nil), body: ByteBuffer(string: #"{"token":"\#(token)"}"#)
    ) { response in
        #expect(response.status == .ok)
        let line = response.headers[.setCookie] ?? ""
        let value = line.split(separator: ";").first.map { String($0.dropFirst("defter_session=".count)) } ?? ""
        return (value, line)
    }
}

@Suite struct SessionTests {
    @Test("signing in sets an HttpOnly, SameSite=Strict session cookie that says who is signed in; a bad token is 401")
    func signInCookie() async throws {
        try await withAPI(publicURL: URL(string: consoleOrigin)) { h in
            try await h.app.test(.router) { client in
                let (session, line) = try await signIn(client, h.roadsToken)
                #expect(session.count == 64)
                #expect(line.contains("HttpOnly") && line.contains("SameSite=Strict") && line.contains("Path=/"))
                #expect(!line.contains("Secure"), "served over plain http")
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: session)) { response in
                    #expect(json(response.body)["role"] == "department:fen-isleri")
                    #expect(json(response.body)["name"] == "roads")
                    #expect(json(response.body)["idleTimeoutSeconds"] == 43_200)
                }
                // The session opens what the token opens, and no more.
                try await client.execute(uri: "/v1/departments/fen-isleri/queue", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/departments/temizlik/queue", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(
                    uri: "/v1/session", method: .post, headers: browserHeaders(cookie: nil),
                    body: ByteBuffer(string: #"{"token":"dft_nope"}"#)
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.setCookie] == nil)
                }
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: "0123abcd")) {
                    #expect($0.status == .ok)
                    #expect(json($0.body)["signedIn"] == false)
                }
                // Anything else with an unknown session is 401.
                try await client.execute(uri: "/v1/catalog", method: .get, headers: browserHeaders(cookie: "0123abcd")) {
                    #expect($0.status == .unauthorized)
                    #expect(json($0.body)["error"] == "unauthenticated")
                }
            }
        }
    }

    @Test("the cookie is Secure when the service is published over https")
    func secureCookie() async throws {
        try await withAPI(publicURL: URL(string: "https://alo153.example.gov.tr")) { h in
            try await h.app.test(.router) { client in
                let line = try await client.execute(
                    uri: "/v1/session", method: .post, headers: browserHeaders(cookie: nil, origin: "https://alo153.example.gov.tr"),
                    body: ByteBuffer(string: #"{"token":"\#(h.operatorToken)"}"#)
                ) { $0.headers[.setCookie] ?? "" }
                #expect(line.contains("; Secure"))
            }
        }
    }

    @Test("a write with a session from another site is 403 with a JSON error and writes nothing; the same site's is accepted")
    func crossSiteRefused() async throws {
        try await withAPI(publicURL: URL(string: consoleOrigin)) { h in
            try await h.app.test(.router) { client in
                let (session, _) = try await signIn(client, h.operatorToken)
                let before = try h.log.size()
                for origin in ["http://evil.example", "null"] {
                    try await client.execute(
                        uri: "/v1/calls", method: .post, headers: browserHeaders(cookie: session, origin: origin),
                        body: ByteBuffer(string: potholeCall)
                    ) { response in
                        #expect(response.status == .forbidden)
                        #expect(json(response.body)["error"] == "cross_site")
                    }
                }
                // Neither Origin nor Sec-Fetch-Site: not a browser's write; refused too.
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: browserHeaders(cookie: session, origin: nil),
                    body: ByteBuffer(string: potholeCall)
                ) { #expect($0.status == .forbidden) }
                #expect(try h.log.size() == before)
                var sameSite = browserHeaders(cookie: session, origin: nil)
                sameSite[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
                try await client.execute(uri: "/v1/calls", method: .post, headers: sameSite, body: ByteBuffer(string: potholeCall)) {
                    #expect($0.status == .created)
                }
                // Reads need no origin; bearer tokens need none either.
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: session, origin: nil)) {
                    #expect($0.status == .ok)
                }
                // A sign-in posted from another site plants no session.
                try await client.execute(
                    uri: "/v1/session", method: .post, headers: browserHeaders(cookie: nil, origin: "http://evil.example"),
                    body: ByteBuffer(string: #"{"token":"\#(h.operatorToken)"}"#)
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.headers[.setCookie] == nil)
                }
            }
        }
    }

    @Test("signing out ends the session and clears the cookie")
    func signOut() async throws {
        try await withAPI(publicURL: URL(string: consoleOrigin)) { h in
            try await h.app.test(.router) { client in
                let (session, _) = try await signIn(client, h.auditorToken)
                try await client.execute(uri: "/v1/session", method: .delete, headers: browserHeaders(cookie: session)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
                }
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect(json($0.body)["signedIn"] == false)
                }
                try await client.execute(uri: "/v1/catalog", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect($0.status == .unauthorized)
                }
            }
        }
    }

    @Test("a session used within 12 hours stays open; one left idle for 12 hours ends")
    func idleExpiry() async throws {
        let clock = TestClock()
        let now: @Sendable () -> Date = { clock.now }
        try await withAPI(publicURL: URL(string: consoleOrigin), clock: now) { h in
            try await h.app.test(.router) { client in
                let (session, _) = try await signIn(client, h.officerToken)
                clock.advance(hours: 11)
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect(json($0.body)["signedIn"] == true)
                }
                clock.advance(hours: 11)
                try await client.execute(uri: "/v1/session", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect(json($0.body)["signedIn"] == true, "used 11 hours ago, not 22")
                }
                clock.advance(hours: 12.1)
                try await client.execute(uri: "/v1/stats", method: .get, headers: browserHeaders(cookie: session)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(json(response.body)["message"]?.stringValue?.contains("sign in again") == true)
                }
            }
        }
    }

    @Test("revoking a token stops it and its sessions at once; the list shows names and use, never tokens")
    func revocation() async throws {
        try await withAPI(publicURL: URL(string: consoleOrigin)) { h in
            try await h.app.test(.router) { client in
                let (session, _) = try await signIn(client, h.roadsToken)
                let listed = try h.tokens.list()
                #expect(listed.map(\.name).contains("roads"))
                #expect(listed.first { $0.name == "roads" }?.lastUsedAt != nil)
                #expect(listed.first { $0.name == "audit" }?.lastUsedAt == nil)
                #expect(try h.tokens.revoke(name: "roads") == 1)
                try await client.execute(uri: "/v1/departments/fen-isleri/queue", method: .get, headers: browserHeaders(cookie: session)) {
                    #expect($0.status == .unauthorized)
                }
                try await client.execute(uri: "/v1/departments/fen-isleri/queue", method: .get, headers: headers(h.roadsToken)) {
                    #expect($0.status == .unauthorized)
                }
                #expect(try h.tokens.revoke(name: "roads") == 0)
                #expect(try h.tokens.list().allSatisfy { !$0.name.isEmpty && $0.name != "roads" })
            }
        }
    }
}

@Suite struct ConsoleServingTests {
    @Test(
        "every console response carries a strict CSP, nosniff and no-referrer; screens get the shell, unknown files 404",
        arguments: [
            ("/console/", HTTPResponse.Status.ok), ("/console/queue", .ok), ("/console/ticket/2025-000001", .ok),
            ("/console/js/app.js", .ok), ("/console/css/console.css", .ok), ("/console/js/nothing-here.js", .notFound),
            ("/console/..%2FPackage.swift", .notFound), ("/console/.hidden.js", .notFound),
        ])
    func securityHeaders(path: String, status: HTTPResponse.Status) async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == status)
                    let policy = response.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                    #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
                    #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    if status == .ok, !path.hasSuffix(".js"), !path.hasSuffix(".css") {
                        #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                        #expect(String(buffer: response.body).contains("<script type=\"module\""))
                    }
                }
            }
        }
    }

    @Test("a file not changed since the browser's copy is answered 304")
    func notModified() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let etag = try await client.execute(uri: "/console/js/app.js", method: .get) { $0.headers[.eTag] ?? "" }
                var fields = HTTPFields()
                fields[.ifNoneMatch] = etag
                try await client.execute(uri: "/console/js/app.js", method: .get, headers: fields) { #expect($0.status == .notModified) }
            }
        }
    }
}

@Suite struct DeskRouteTests {
    @Test("the router's suggestion points at the words that decided it")
    func classify() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let text = "Sokağımızda büyük bir çukur oluştu, asfalt tamamen bozuldu"
                try await client.execute(
                    uri: "/v1/routing/classify", method: .post, headers: headers(h.operatorToken),
                    body: ByteBuffer(bytes: JSONValue.object(["text": .string(text)]).canonicalBytes)
                ) { response in
                    let body = json(response.body)
                    #expect(body["department"] == "fen-isleri")
                    guard case .array(let spans)? = body["highlights"] else {
                        Issue.record("no highlights")
                        return
                    }
                    let utf16 = Array(text.utf16)
                    let words = spans.compactMap { span -> String? in
                        guard case .integer(let start)? = span["start"], case .integer(let end)? = span["end"] else { return nil }
                        return String(decoding: utf16[Int(start)..<Int(end)], as: UTF16.self)
                    }
                    #expect(words.contains("çukur"))
                    #expect(words.allSatisfy { text.contains($0) && !$0.contains(" ") })
                }
                try await client.execute(
                    uri: "/v1/routing/classify", method: .post, headers: headers(h.roadsToken), body: ByteBuffer(string: #"{"text":"x"}"#)
                ) { #expect($0.status == .forbidden) }
            }
        }
    }

    @Test("notes are internal or public, stored as typed, public ones reach Open311; only the owning department may write one")
    func notes() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                let markup = "<script>alert(1)</script> kontrol edildi"
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/note", method: .post, headers: headers(h.roadsToken),
                    body: ByteBuffer(bytes: JSONValue.object(["text": .string(markup), "visibility": "public"]).canonicalBytes)
                ) { #expect($0.status == .ok) }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/note", method: .post, headers: headers(h.cleaningToken),
                    body: ByteBuffer(string: #"{"text":"bizim değil","visibility":"internal"}"#)
                ) { #expect($0.status == .forbidden) }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/note", method: .post, headers: headers(h.operatorToken),
                    body: ByteBuffer(string: #"{"text":"not","visibility":"secret"}"#)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["message"]?.stringValue?.contains("internal") == true)
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/note", method: .post, headers: headers(h.roadsToken),
                    body: ByteBuffer(string: #"{"text":"iç not: ekip 3 gidecek","visibility":"internal"}"#)
                ) { #expect($0.status == .ok) }
                // Open311 shows the citizen the public note, never the internal one.
                try await client.execute(uri: "/open311/v2/requests/\(ticket).json", method: .get) { response in
                    let notes = String(buffer: response.body)
                    #expect(notes.contains("kontrol edildi"))
                    #expect(!notes.contains("ekip 3"))
                }
                let notes = try h.log.entries(from: 1, limit: 1000).filter { $0.type == "NoteAdded" }
                #expect(notes.count == 2)
                #expect(try notes.first?.data()["text"]?.stringValue == markup)
                #expect(try notes.first?.data()["visibility"] == "public")
            }
        }
    }

    @Test("a stale If-Match is 409 naming the events since that version: who, what, when")
    func conflictSaysWhatChanged() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                let version = try await client.execute(uri: "/v1/tickets/\(ticket)", method: .get, headers: headers(h.roadsToken)) {
                    json($0.body)["version"].map { $0.canonicalString } ?? ""
                }
                var ifMatch = headers(h.roadsToken)
                ifMatch[.ifMatch] = version
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: ifMatch) {
                    #expect($0.status == .ok)
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/note", method: .post, headers: ifMatch,
                    body: ByteBuffer(string: #"{"text":"geç kalan not","visibility":"internal"}"#)
                ) { response in
                    #expect(response.status == .conflict)
                    let body = json(response.body)
                    #expect(body["error"] == "version_conflict")
                    guard case .array(let changes)? = body["changes"] else {
                        Issue.record("no changes")
                        return
                    }
                    #expect(changes.map { $0["type"] } == ["TicketAcknowledged"])
                    #expect(changes.first?["actor"] == "department.fen-isleri")
                }
            }
        }
    }

    @Test("the queue shows each ticket's assignee and neighbourhood, and filters by assignee and unassigned")
    func queueByAssignee() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                _ = try await recordPothole(client, h)  // the same call id: no second ticket
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/assign", method: .post, headers: headers(h.roadsToken),
                    body: ByteBuffer(string: #"{"assignee":"ekip-7"}"#)
                ) { #expect($0.status == .ok) }
                try await client.execute(
                    uri: "/v1/departments/fen-isleri/queue?assignee=ekip-7", method: .get, headers: headers(h.roadsToken)
                ) { response in
                    #expect(json(response.body)["matching"] == 1)
                    let item = json(response.body)["items"]?.arrayFirst
                    #expect(item?["assignee"] == "ekip-7")
                    #expect(item?["ticket"]?.stringValue == ticket)
                    #expect(item?["neighbourhood"] == .null)
                }
                try await client.execute(
                    uri: "/v1/departments/fen-isleri/queue?unassigned=true", method: .get, headers: headers(h.roadsToken)
                ) { #expect(json($0.body)["matching"] == 0) }
                try await client.execute(
                    uri: "/v1/departments/fen-isleri/queue?unassigned=true&assignee=x", method: .get, headers: headers(h.roadsToken)
                ) { #expect($0.status == .badRequest) }
                try await client.execute(
                    uri: "/v1/departments/fen-isleri/queue?overdue=maybe", method: .get, headers: headers(h.roadsToken)
                ) { #expect($0.status == .badRequest) }
            }
        }
    }
}

extension JSONValue {
    fileprivate var arrayFirst: JSONValue? {
        guard case .array(let items) = self else { return nil }
        return items.first
    }
}

@Suite struct ReportRouteTests {
    @Test("officers get a period's report at a signed checkpoint, the same bytes twice; others are refused; a bad period is 400")
    func report() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await recordPothole(client, h)
                let year = Calendar.istanbul.component(.year, from: Date())
                let first = try await client.execute(
                    uri: "/v1/reports/\(year)?format=json&lang=en", method: .get, headers: headers(h.officerToken)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    return String(buffer: response.body)
                }
                let again = try await client.execute(
                    uri: "/v1/reports/\(year)?format=json&lang=en", method: .get, headers: headers(h.officerToken)
                ) {
                    String(buffer: $0.body)
                }
                #expect(first == again, "the same log gives the same bytes")
                #expect(try h.log.checkpoints().count == 1, "one checkpoint signed, then reused")
                try await client.execute(uri: "/v1/reports/\(year)", method: .get, headers: headers(h.operatorToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/reports/last-year", method: .get, headers: headers(h.officerToken)) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/v1/reports/\(year)?format=pdf", method: .get, headers: headers(h.officerToken)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}
