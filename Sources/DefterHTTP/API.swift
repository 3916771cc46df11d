public import DefterDomain
public import DefterLog
public import DefterProjections
public import DefterTickets
public import DefterWitness
public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// An error the API answers with: a status and a JSON body `{"error": code, "message": ...}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// More of the body, for a client that acts on it (a version conflict's newer events).
    var details: [String: JSONValue] = [:]
}

/// The JSON API under `/v1` and the health endpoints: a thin layer over the ticket service, the
/// projections and the log.
public struct DefterAPI: Sendable {
    let service: TicketService
    let projections: Projections
    let log: EventLog
    let tokens: TokenStore
    let catalog: Catalog
    let logger: Logger
    let metrics: DefterMetrics
    /// The origin the service is published at (`https://alo153.example.gov.tr`), when set: the
    /// console's writes must come from it, and its cookies are `Secure` when it is https.
    let publicOrigin: String?
    /// Where the console's files come from.
    let console: ConsoleFiles
    /// Where the public pages' files come from.
    let publicPages: ConsoleFiles
    /// The figures the public pages show, at the newest published checkpoint.
    public let figures: PublishedFigures
    /// Requests a second per client on the public endpoints; nil lets them all through.
    let publicLimiter: RateLimiter?
    /// Failed lookups of a request per client: an empty bucket refuses further lookups a while.
    let trackingFailures: RateLimiter
    /// How many calls may be recorded at once before intake answers 503 (`--max-pending-intake`).
    let intakeGate: IntakeGate
    /// The witnesses' cosignatures, shown with the checkpoint at `GET /checkpoint`.
    let witnesses: WitnessClient?
    /// Queue pages rendered in the current second at the queue projection's checkpoint.
    let queuePages = QueuePageCache()
    /// Whether every write is refused (a mirror).
    let readOnly: Bool
    /// The largest request body accepted.
    static let maximumBodyBytes = 64 * 1024

    /// Creates the API over the application's parts. `metrics` is what `GET /metrics` shows; give
    /// the log the same instance's `groupCommitObserver` to see appends there.
    public init(
        service: TicketService, projections: Projections, log: EventLog, tokens: TokenStore, catalog: Catalog, logger: Logger,
        metrics: DefterMetrics = DefterMetrics(), publicURL: URL? = nil, console: ConsoleFiles = .bundled,
        publicPages: ConsoleFiles = .bundledPublicPages, figures: PublishedFigures? = nil,
        publicLimiter: RateLimiter? = RateLimiter(perSecond: 20, burst: 100),
        trackingFailures: RateLimiter = RateLimiter(perSecond: 1.0 / 60, burst: 10),
        intakeGate: IntakeGate = IntakeGate(limit: 1024), witnesses: WitnessClient? = nil, readOnly: Bool = false
    ) {
        self.readOnly = readOnly
        self.intakeGate = intakeGate
        self.witnesses = witnesses
        self.metrics = metrics
        self.publicPages = publicPages
        self.figures = figures ?? PublishedFigures(projections: projections, log: log, catalog: catalog)
        self.publicLimiter = publicLimiter
        self.trackingFailures = trackingFailures
        self.publicOrigin = publicURL.flatMap(Self.origin(of:))
        self.console = console
        self.service = service
        self.projections = projections
        self.log = log
        self.tokens = tokens
        self.catalog = catalog
        self.logger = logger
    }

    /// Every route the API serves, as `METHOD /path` (with `{name}` parameters), in the order
    /// registered: what `Schemas/openapi.yaml` must describe, no more and no less.
    public func routeTable() -> [String] {
        let recorder = RouteRecorder()
        _ = register(on: Router(context: DefterRequestContext.self), recorder)
        return recorder.routes
    }

    /// The router with every route.
    public func router() -> Router<DefterRequestContext> {
        register(on: Router(context: DefterRequestContext.self), RouteRecorder())
    }

    private func register(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) -> Router<DefterRequestContext> {
        router.add(middleware: ObservingMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: PublicRateLimitMiddleware(limiter: publicLimiter))
        if readOnly { router.add(middleware: ReadOnlyMiddleware()) }
        recorder.get(router, "/healthz") { _, _ in respondJSON(["status": "ok"]) }
        recorder.get(router, "/metrics") { _, _ in
            do {
                try metrics.recordLag(of: projections)
            } catch {
                return errorResponse(error)
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        recorder.get(router, "/readyz") { _, _ in
            await respond {
                if let error = projections.all.lazy.compactMap(\.error).first {
                    throw APIError(
                        status: .serviceUnavailable, code: "projection_stopped",
                        message: "\(error); rebuild it with `defter replay --projection \(error.projection)` once the cause is fixed")
                }
                let lag = try projections.all.map { try $0.lag() }.max() ?? 0
                guard lag == 0 else {
                    throw APIError(
                        status: .serviceUnavailable, code: "catching_up", message: "projections are \(lag) entries behind the log")
                }
                return ["status": "ready"]
            }
        }
        recorder.post(router, "/v1/calls") { request, context in
            await respondWithStatus {
                _ = try authorize(request, { $0 == .operatorRole || $0 == .admin })
                let key = try IdempotencyKey.of(request)
                let (call, photos, fingerprint) = try await callUpload(request, context, fingerprinted: key != nil)
                if let key {
                    // The call id is in the body, so a retry of the same body is the same call; the key
                    // adds that another body under the same key is refused.
                    do {
                        _ = try tokens.claimIdempotencyKey(
                            key, client: try credential(request).name, fingerprint: fingerprint, callId: call.callId)
                    } catch let error as IdempotencyKeyReused {
                        throw Self.keyReused(error)
                    }
                }
                let result = try await intake { try await service.receiveCall(call, photos: photos) }
                var object: [String: JSONValue] = [
                    "ticket": .string(result.ticket.rawValue), "status": .string(result.status.rawValue),
                    "duplicate": .bool(result.duplicate),
                ]
                object["destination"] = result.destination.map { .string($0.rawValue) } ?? .null
                if let routing = result.routing {
                    object["routing"] = [
                        "department": .string(routing.department.rawValue), "category": .string(routing.category.rawValue),
                        "confidence": .number(routing.confidence), "auto": .bool(routing.auto),
                        "reasons": .array(routing.terms.map { .string($0) }),
                    ]
                }
                // A retried call id answers with the ticket it made the first time.
                return (.object(object), result.duplicate ? .ok : .created)
            }
        }
        recorder.get(router, "/v1/tickets/{id}") { request, context in
            await respond {
                let role = try authorize(request, { _ in true })
                let id = try ticketID(context)
                try projections.tickets.catchUp()
                guard let view = try projections.tickets.ticketView(id) else {
                    throw APIError(status: .notFound, code: "not_found", message: "ticket \(id) does not exist")
                }
                if case .department(let own) = role, view.ticket.department != own {
                    throw APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) belongs to another department")
                }
                return view.json
            }
        }
        recorder.get(router, "/v1/tickets/{id}/personal-data") { request, context in
            await respond {
                let role = try authorize(
                    request,
                    { role in
                        if case .department = role { return true }
                        return role == .operatorRole
                    })
                let id = try ticketID(context)
                if case .department(let own) = role {
                    try projections.tickets.catchUp()
                    guard try projections.tickets.ticketView(id)?.ticket.department == own else {
                        throw APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) belongs to another department")
                    }
                }
                guard let reason = request.uri.queryParameters.get("reason") else {
                    throw APIError(
                        status: .badRequest, code: "bad_parameter",
                        message: "say why: ?reason=... (every read of personal data is recorded)")
                }
                let actor = ActorID(unchecked: role.description.replacingOccurrences(of: ":", with: "."))
                guard let data = try await service.readPersonalData(of: id, by: actor, reason: reason) else {
                    return ["ticket": .string(id.rawValue), "erased": true, "personalData": .null]
                }
                var object: [String: JSONValue] = ["text": .string(data.text)]
                object["name"] = data.name.map { .string($0) } ?? .null
                object["phone"] = data.phone.map { .string($0) } ?? .null
                object["nationalId"] = data.nationalId.map { .string($0) } ?? .null
                object["address"] = data.address.map { .string($0) } ?? .null
                object["email"] = data.email.map { .string($0) } ?? .null
                object["mediaURL"] = data.mediaURL.map { .string($0) } ?? .null
                return ["ticket": .string(id.rawValue), "erased": false, "personalData": .object(object)]
            }
        }
        recorder.get(router, "/v1/departments/{id}/queue") { request, context in
            do {
                let department = try departmentID(context)
                _ = try authorize(
                    request,
                    { role in
                        if case .department(let own) = role { return own == department }
                        return role != .operatorRole || department == .triage
                    })
                let query = request.uri.queryParameters
                var filter = QueueFilter()
                if let status = query.get("status") {
                    guard let parsed = Ticket.Status(rawValue: status), parsed.isOpen else {
                        throw APIError(
                            status: .badRequest, code: "bad_parameter",
                            message: "status must be triage, routed, acknowledged or in-progress")
                    }
                    filter.status = parsed
                }
                if let category = query.get("category") { filter.category = try input { try CategoryID(category) } }
                filter.district = query.get("district")
                // Pages are rendered as of a whole second, so that one rendering serves that second.
                let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                filter.overdueAt = try flag(query.get("overdue"), "overdue") ? now : nil
                filter.assignee = query.get("assignee")
                filter.unassigned = try flag(query.get("unassigned"), "unassigned")
                guard !(filter.unassigned && filter.assignee != nil) else {
                    throw APIError(
                        status: .badRequest, code: "bad_parameter", message: "ask for assignee=NAME or unassigned=true, not both")
                }
                filter.offset = try integer(query.get("offset"), "offset", default: 0, range: 0...1_000_000)
                filter.limit = try integer(query.get("limit"), "limit", default: 50, range: 1...500)
                guard department == .triage || catalog.department(department) != nil else {
                    throw APIError(status: .notFound, code: "not_found", message: "there is no department '\(department)'")
                }
                try projections.queues.catchUp()
                let key = [
                    department.rawValue, filter.status?.rawValue ?? "", filter.category?.rawValue ?? "", filter.district ?? "",
                    filter.overdueAt == nil ? "" : "overdue", filter.assignee ?? "", filter.unassigned ? "unassigned" : "",
                    String(filter.offset), String(filter.limit), String(try projections.queues.checkpoint()),
                    String(Int64(now.timeIntervalSince1970)),
                ].joined(separator: "\u{0}")
                let body = try queuePages.page(key) {
                    ByteBuffer(bytes: try projections.queues.queue(department, filter: filter).json(now: now).canonicalBytes)
                }
                var headers = HTTPFields()
                headers[.contentType] = "application/json; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
            } catch {
                return errorResponse(error)
            }
        }
        recorder.get(router, "/v1/departments/{id}/events") { request, context in
            await departmentEvents(request, context)
        }
        for action in ["acknowledge", "start", "resolve", "refer", "assign", "override", "cancel", "merge", "notes", "note"] {
            recorder.post(router, "/v1/tickets/{id}/\(action)") { request, context in
                await respond {
                    let role = try authorize(request, { _ in true })
                    let id = try ticketID(context)
                    let fields = try await object(try await body(request, context, allowEmpty: true))
                    let ticket = try await command(action, on: id, role: role, fields: fields, expected: request.headers[.ifMatch])
                    return [
                        "ticket": .string(ticket.id.rawValue), "status": .string(ticket.status.rawValue),
                        "version": .integer(Int64(ticket.version)),
                    ]
                }
            }
        }
        recorder.get(router, "/v1/stats") { request, _ in
            await respond {
                _ = try authorize(request, { [.officer, .auditor, .admin].contains($0) })
                let query = request.uri.queryParameters
                let dimension = try query.get("by").map { by in
                    guard let parsed = StatisticsDimension(rawValue: by) else {
                        throw APIError(
                            status: .badRequest, code: "bad_parameter",
                            message: "by must be one of \(StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return parsed
                }
                for day in [query.get("from"), query.get("to")].compactMap({ $0 }) where !StatisticsReport.isDay(day) {
                    throw APIError(status: .badRequest, code: "bad_parameter", message: "'\(day)' is not a day like 2025-03-01")
                }
                try projections.stats.catchUp()
                let report = StatisticsReport(
                    facts: try projections.stats.facts(), from: query.get("from"), to: query.get("to"), by: dimension)
                return ["total": report.total.json, "rows": .array(report.rows.map(\.json))]
            }
        }
        recorder.get(router, "/v1/log/checkpoints") { request, _ in
            await respond {
                _ = try authorize(request, { $0 == .auditor || $0 == .admin })
                return .array(try log.checkpoints().map { .string($0.text) })
            }
        }
        recorder.get(router, "/v1/log/proof") { request, _ in
            await respond {
                _ = try authorize(request, { $0 == .auditor || $0 == .admin })
                let seq = try integer(request.uri.queryParameters.get("seq"), "seq", default: nil, range: 1...Int.max)
                let proof = try log.inclusionProof(sequence: UInt64(seq))
                return [
                    "seq": .integer(Int64(proof.sequence)), "leafIndex": .integer(Int64(proof.sequence - 1)),
                    "treeSize": .integer(Int64(proof.treeSize)),
                    "leafHash": .string(proof.leafHash.hex), "root": .string(proof.root.hex),
                    "proof": .array(proof.path.map { .string($0.hex) }),
                ]
            }
        }
        recorder.get(router, "/v1/log/consistency") { request, _ in
            await respond {
                _ = try authorize(request, { $0 == .auditor || $0 == .admin })
                let query = request.uri.queryParameters
                let from = try integer(query.get("from"), "from", default: nil, range: 1...Int.max)
                let to = try query.get("to").map { try integer($0, "to", default: nil, range: 1...Int.max) }
                let proof = try log.consistencyProof(from: UInt64(from), to: to.map(UInt64.init))
                return [
                    "from": .integer(Int64(proof.oldSize)), "to": .integer(Int64(proof.newSize)), "fromRoot": .string(proof.oldRoot.hex),
                    "toRoot": .string(proof.newRoot.hex), "proof": .array(proof.path.map { .string($0.hex) }),
                ]
            }
        }
        registerHistory(on: router, recorder)
        registerPhotos(on: router, recorder)
        registerSession(on: router, recorder)
        registerDesk(on: router, recorder)
        registerReports(on: router, recorder)
        registerConsole(on: router, recorder)
        registerPublic(on: router, recorder)
        registerTiles(on: router, recorder)
        registerOpen311(on: router, recorder)
        registerFeedback(on: router, recorder)
        return router
    }
}

/// Registers routes on a router and remembers them.
final class RouteRecorder: @unchecked Sendable {
    // Safe: used only while the router is being built, on one task.
    private(set) var routes: [String] = []

    @discardableResult
    func get(
        _ router: Router<DefterRequestContext>, _ path: String,
        use handler: @escaping @Sendable (Request, DefterRequestContext) async throws -> Response
    ) -> Router<DefterRequestContext> {
        add(.get, router, path, handler)
    }

    @discardableResult
    func delete(
        _ router: Router<DefterRequestContext>, _ path: String,
        use handler: @escaping @Sendable (Request, DefterRequestContext) async throws -> Response
    ) -> Router<DefterRequestContext> {
        add(.delete, router, path, handler)
    }

    @discardableResult
    func post(
        _ router: Router<DefterRequestContext>, _ path: String,
        use handler: @escaping @Sendable (Request, DefterRequestContext) async throws -> Response
    ) -> Router<DefterRequestContext> {
        add(.post, router, path, handler)
    }

    private func add(
        _ method: HTTPRequest.Method, _ router: Router<DefterRequestContext>, _ path: String,
        _ handler: @escaping @Sendable (Request, DefterRequestContext) async throws -> Response
    ) -> Router<DefterRequestContext> {
        routes.append("\(method.rawValue) \(path)")
        router.on(RouterPath(path), method: method, use: handler)
        return router
    }
}
