import DefterDomain
import DefterHTTP
import DefterLog
import DefterLogTestSupport
import DefterProjections
import DefterRouting
import DefterTickets
import DefterWitness
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The real router over a real log, vault, projections and token store.
struct Harness {
    let api: DefterAPI
    /// The ticket service behind the API (for what a test must compute as the server does).
    let service: TicketService
    let tokens: TokenStore
    let app: Application<RouterResponder<DefterRequestContext>>
    let log: EventLog
    let operatorToken: String
    let roadsToken: String
    let cleaningToken: String
    let auditorToken: String
    let officerToken: String
    let open311Token: String
    let catalog: Catalog
}

func withAPI(
    logger: Logger = .warningsOnly("test"), publicURL: URL? = nil, clock: @escaping @Sendable () -> Date = { Date() },
    publicLimiter: RateLimiter? = nil, trackingFailures: RateLimiter = RateLimiter(perSecond: 1.0 / 60, burst: 10),
    intakeGate: IntakeGate = IntakeGate(limit: 1024), _ body: (Harness) async throws -> Void
) async throws {
    let metrics = DefterMetrics()
    var configuration = LogConfiguration()
    configuration.groupCommitObserver = metrics.groupCommitObserver
    try await withTemporaryLog(configuration) { log, folder in
        try await withAPI(
            on: log, in: folder, metrics: metrics, logger: logger, publicURL: publicURL, clock: clock, publicLimiter: publicLimiter,
            trackingFailures: trackingFailures, intakeGate: intakeGate, body)
    }
}

/// The harness over a log the caller opened in `folder`, its parts beside it; with `witnesses`,
/// the API asks them (a test that needs the log's key before the API exists starts here).
func withAPI(
    on log: EventLog, in folder: URL, metrics: DefterMetrics = DefterMetrics(), logger: Logger = .warningsOnly("test"),
    publicURL: URL? = nil, clock: @escaping @Sendable () -> Date = { Date() }, publicLimiter: RateLimiter? = nil,
    trackingFailures: RateLimiter = RateLimiter(perSecond: 1.0 / 60, burst: 10), intakeGate: IntakeGate = IntakeGate(limit: 1024),
    witnesses: WitnessClient? = nil, _ body: (Harness) async throws -> Void
) async throws {
    let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
    defer { vault.close() }
    let catalog = try BundledCatalog.load()
    let service = TicketService(log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog)
    let projections = try Projections(log: log)
    defer { projections.close() }
    let tokens = try TokenStore(folder: folder.appendingPathComponent("tokens"), now: clock)
    defer { tokens.close() }
    let inForce = try await service.catalogInForce()
    let api = DefterAPI(
        service: service, projections: projections, log: log, tokens: tokens, catalog: inForce, logger: logger,
        metrics: metrics, publicURL: publicURL, publicLimiter: publicLimiter, trackingFailures: trackingFailures,
        intakeGate: intakeGate, witnesses: witnesses)
    let harness = Harness(
        api: api, service: service, tokens: tokens, app: Application(router: api.router()), log: log,
        operatorToken: try tokens.issue(role: .operatorRole, name: "op"),
        roadsToken: try tokens.issue(role: .department(DepartmentID(unchecked: "fen-isleri")), name: "roads"),
        cleaningToken: try tokens.issue(role: .department(DepartmentID(unchecked: "temizlik")), name: "cleaning"),
        auditorToken: try tokens.issue(role: .auditor, name: "audit"), officerToken: try tokens.issue(role: .officer, name: "officer"),
        open311Token: try tokens.issue(role: .open311, name: "city-app"), catalog: inForce)
    try await body(harness)
}

/// Records the pothole call as an operator and returns its ticket number.
func recordPothole(_ client: some TestClientProtocol, _ h: Harness) async throws -> String {
    try await client.execute(uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)) {
        json($0.body)["ticket"]?.stringValue ?? ""
    }
}

extension Harness {
    /// How many personal-data reads the log records.
    func accesses() throws -> Int {
        try log.entries(from: 1, limit: 10_000).filter { $0.type == "PersonalDataAccessed" }.count
    }
}

let potholeCall =
    #"{"callId":"tel-1","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"Caddede yol çöktü, kocaman çukur var","phone":"0532 999 88 77"}}"#

func headers(_ token: String?) -> HTTPFields {
    var fields = HTTPFields()
    if let token { fields[.authorization] = "Bearer \(token)" }
    return fields
}

/// The response body as JSON (`null` when it is not JSON, which the expectations then catch).
func json(_ buffer: ByteBuffer) -> JSONValue { (try? JSONValue(parsing: Array(buffer.readableBytesView))) ?? .null }

@Suite struct APITests {
    @Test("health answers without a token")
    func health() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test("an operator records a call: 201 with the ticket; a retry is 200 and the same ticket")
    func intake() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .created)
                    let body = json(response.body)
                    #expect(body["ticket"] == "2026-000001" || body["ticket"]?.stringValue?.hasSuffix("-000001") == true)
                    #expect(body["destination"] == "fen-isleri")
                }
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["duplicate"] == true)
                }
            }
        }
    }

    @Test("a channel the service does not know is refused with the channels it knows")
    func unknownChannelNamesTheKnownOnes() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let body = #"{"callId":"x","channel":"fax","operatorId":"o","district":"Elbistan","caller":{"text":"a"}}"#
                try await client.execute(uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: body))
                { response in
                    #expect(response.status == .badRequest)
                    let message = json(response.body)["message"]?.stringValue ?? ""
                    #expect(
                        message.contains("\"fax\"") && message.contains("phone, web, mobile-app, whatsapp, email, walk-in"), "\(message)")
                }
            }
        }
    }

    @Test(
        "bad bodies get 400 with a JSON error and write nothing",
        arguments: [
            ("{", "bad_json"), ("[1]", "bad_json"), (#"{"callId":"x","colour":"red"}"#, "unknown_field"),
            (#"{"callId":"x","channel":"fax","operatorId":"o","district":"Elbistan","caller":{"text":"a"}}"#, "bad_input"),
            (#"{"callId":"x","channel":"phone","operatorId":"o","district":"Kadıköy","caller":{"text":"a"}}"#, "bad_input"),
            (
                #"{"callId":"x","channel":"phone","operatorId":"o","district":"Elbistan","caller":{"text":"a","nationalId":"12345678901"}}"#,
                "bad_input"
            ),
            (
                #"{"callId":"x","channel":"phone","operatorId":"o","district":"Elbistan","caller":{"text":"a","coordinates":{"latitude":0,"longitude":null}}}"#,
                "bad_input"
            ),
            ("", "bad_input"),
        ])
    func badBodies(body: String, code: String) async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: body))
                { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["error"]?.stringValue == code)
                }
                try await client.execute(uri: "/v1/stats", method: .get, headers: headers(h.officerToken)) { response in
                    #expect(json(response.body)["total"]?["calls"] == 0)
                }
            }
        }
    }

    @Test("invalid UTF-8 and oversized bodies are refused")
    func invalidBytes() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken),
                    body: ByteBuffer(bytes: [0x7b, 0x22, 0xff, 0x22, 0x7d])
                ) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(repeating: 0x20, count: 70_000)
                ) { response in
                    #expect(response.status == .contentTooLarge)
                }
            }
        }
    }

    @Test("no token is 401, a wrong role is 403, both with JSON bodies")
    func authentication() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/v1/calls", method: .post, headers: headers(nil), body: ByteBuffer(string: potholeCall)) {
                    response in
                    #expect(response.status == .unauthorized)
                    #expect(json(response.body)["error"] == "unauthenticated")
                }
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers("dft_forged"), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.roadsToken), body: ByteBuffer(string: potholeCall)
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(json(response.body)["error"] == "forbidden")
                }
            }
        }
    }

    @Test("a department works only its own queue and tickets; illegal steps are 409; If-Match guards races")
    func departmentWork() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                try await client.execute(uri: "/v1/departments/fen-isleri/queue", method: .get, headers: headers(h.roadsToken)) {
                    response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["items"]?.canonicalString.contains(ticket) == true)
                }
                try await client.execute(uri: "/v1/departments/fen-isleri/queue", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                var stale = headers(h.roadsToken)
                stale[.ifMatch] = "1"
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: stale) { response in
                    #expect(response.status == .conflict)
                    #expect(json(response.body)["error"] == "version_conflict")
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: headers(h.roadsToken)) {
                    response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["status"] == "acknowledged")
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: headers(h.roadsToken)) {
                    response in
                    #expect(response.status == .conflict)
                    #expect(json(response.body)["error"] == "illegal_transition")
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/resolve", method: .post, headers: headers(h.roadsToken),
                    body: ByteBuffer(string: #"{"code":"patched","note":"Asfalt yamandı"}"#)
                ) { response in
                    #expect(json(response.body)["status"] == "resolved")
                }
                try await client.execute(uri: "/v1/tickets/2025-999999", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: headers(h.auditorToken)) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }

    @Test("auditors read proofs and checkpoints; bad parameters are 400")
    func auditor() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { _ in }
                try await client.execute(uri: "/v1/log/proof?seq=2", method: .get, headers: headers(h.auditorToken)) { response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["leafIndex"] == 1)
                }
                try await client.execute(uri: "/v1/log/proof?seq=abc", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/v1/log/proof?seq=999", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/v1/log/consistency?from=1", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/stats?by=planet", method: .get, headers: headers(h.officerToken)) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/v1/log/proof?seq=1", method: .get, headers: headers(h.officerToken)) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }
}

@Suite struct TicketHistoryRouteTests {
    @Test("a ticket's history has proofs against the newest checkpoint and the stored bytes; other departments are refused")
    func history() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                var ticket = ""
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) { ticket = json($0.body)["ticket"]?.stringValue ?? "" }
                try await client.execute(uri: "/v1/tickets/\(ticket)/history", method: .get, headers: headers(h.auditorToken)) { response in
                    #expect(response.status == .ok)
                    let body = json(response.body)
                    #expect(body["checkpoint"] == nil || body["checkpoint"] == .null)
                    guard case .array(let events)? = body["events"] else {
                        Issue.record("no events")
                        return
                    }
                    #expect(events.first?["type"] == "CallReceived")
                    #expect(events.first?["data"]?["personalData"] == "sealed")
                    #expect(events.allSatisfy { $0["proof"] == nil })
                }
                let checkpoint = try await h.log.checkpoint()
                try await client.execute(uri: "/v1/tickets/\(ticket)/history", method: .get, headers: headers(h.auditorToken)) { response in
                    let body = json(response.body)
                    #expect(body["checkpoint"]?["treeSize"] == .integer(Int64(checkpoint.checkpoint.treeSize)))
                    guard case .array(let events)? = body["events"] else {
                        Issue.record("no events")
                        return
                    }
                    #expect(!events.isEmpty && events.allSatisfy { $0["proof"] != nil })
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/history", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
                // The owning department reads its ticket's timeline; each event carries the bytes its leaf hashes.
                try await client.execute(uri: "/v1/tickets/\(ticket)/history", method: .get, headers: headers(h.roadsToken)) { response in
                    #expect(response.status == .ok)
                    guard case .array(let events)? = json(response.body)["events"], let first = events.first else {
                        Issue.record("no events")
                        return
                    }
                    let bytes = Data(base64Encoded: first["entry"]?.stringValue ?? "").map(Array.init) ?? []
                    #expect(!bytes.isEmpty && first["proof"]?["leafHash"]?.stringValue == MerkleHash.leaf(bytes).base64)
                }
                try await client.execute(uri: "/v1/tickets/\(ticket)/history", method: .get, headers: headers(h.officerToken)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/tickets/2025-999999/history", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/v1/tickets/nonsense/history", method: .get, headers: headers(h.auditorToken)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}

@Suite struct PersonalDataAccessTests {
    @Test("an operator or the owning department reads personal data with a reason, and the read is recorded; others may not")
    func recordedReads() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                try await client.execute(uri: "/v1/tickets/\(ticket)/personal-data", method: .get, headers: headers(h.roadsToken)) {
                    response in
                    #expect(response.status == .badRequest, "a read needs a reason")
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/personal-data?reason=geri-arama", method: .get, headers: headers(h.roadsToken)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["personalData"]?["phone"] == "+905329998877")
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/personal-data?reason=x", method: .get, headers: headers(h.cleaningToken)
                ) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/personal-data?reason=x", method: .get, headers: headers(h.auditorToken)
                ) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/log/proof?seq=1", method: .get, headers: headers(h.auditorToken)) { _ in }
            }
            #expect(try h.accesses() == 1, "exactly one read was allowed, and it is in the log")
        }
    }
}

@Suite struct OpenAPIDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Schemas/openapi.yaml")

    /// `METHOD /path` for every operation under `paths:` (two-space path keys, four-space methods),
    /// and the path keys written more than once.
    static func documentedRoutes() throws -> (routes: Set<String>, repeatedPaths: [String]) {
        var routes: Set<String> = []
        var paths: Set<String> = []
        var repeatedPaths: [String] = []
        var inPaths = false
        var path: String?
        for line in try String(contentsOf: document, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let key = String(line.dropFirst(2).dropLast())
                if !paths.insert(key).inserted { repeatedPaths.append(key) }
                path = key
            }
            for method in ["get", "post", "put", "delete", "patch"] where line == "    \(method):" {
                routes.insert("\(method.uppercased()) \(path ?? "?")")
            }
        }
        return (routes, repeatedPaths)
    }

    @Test("every route the server has is in Schemas/openapi.yaml, and every documented route exists")
    func routesMatchTheDocument() async throws {
        try await withAPI { h in
            let table = h.api.routeTable()
            let served = Set(table)
            let (documented, repeatedPaths) = try Self.documentedRoutes()
            // A YAML loader keeps only the last of two equal keys, so a repeated path hides its
            // other operations from every tool that reads the document.
            #expect(repeatedPaths.isEmpty, "path keys written twice: \(repeatedPaths)")
            #expect(served.count == table.count, "no route is registered twice")
            #expect(served.subtracting(documented).isEmpty, "undocumented: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        }
    }
}
