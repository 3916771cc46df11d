import DefterDomain
import DefterLog
import DefterProjections
import DefterTickets
import Foundation
import Hummingbird
import NIOCore

/// Open311 GeoReport v2 under `/open311/v2`: the catalog's categories as services, tickets as
/// service requests, every endpoint in JSON and XML (the path's suffix chooses). Requests are
/// submitted with an `api_key` (a Defter token of role `open311` or `operator`) through the same
/// intake as `POST /v1/calls`; reading is public, and shows no personal data.
extension DefterAPI {
    /// Where the endpoints live.
    static let open311Base = "/open311/v2"
    /// The jurisdiction this endpoint serves; `jurisdiction_id` may be absent, empty or this.
    static let open311Jurisdiction = "kahramanmaras.bel.tr"
    /// The most requests one search returns, and its longest span.
    static let open311MaximumResults = 1000
    static let open311MaximumSpan: TimeInterval = 90 * 24 * 3600

    func registerOpen311(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        let base = Self.open311Base
        for format in Open311Format.allCases {
            let suffix = "." + format.rawValue
            recorder.get(router, "\(base)/discovery\(suffix)") { request, _ in
                await open311(format) { try discovery(request) }
            }
            recorder.get(router, "\(base)/services\(suffix)") { request, _ in
                await open311(format) {
                    try jurisdiction(request.uri.queryParameters.get("jurisdiction_id"))
                    let services = catalog.departments.flatMap { department in
                        // A retired category is not offered to new requests.
                        department.categories.filter { !$0.isRetired }.map { Open311Records.service($0, of: department) }
                    }
                    return Open311Document(root: "services", node: .list(item: "service", services))
                }
            }
            recorder.get(router, "\(base)/services/{service_code}\(suffix)") { request, context in
                await open311(format) {
                    try jurisdiction(request.uri.queryParameters.get("jurisdiction_id"))
                    let category = try service(context.parameters.get("service_code") ?? "")
                    return Open311Document(root: "service_definition", node: Open311Records.definition(category))
                }
            }
            recorder.post(router, "\(base)/requests\(suffix)") { request, context in
                await open311(format) { try await submitOpen311(request, context) }
            }
            recorder.get(router, "\(base)/requests\(suffix)") { request, _ in
                await open311(format) { try searchOpen311(request) }
            }
            recorder.get(router, "\(base)/requests/{service_request_id}\(suffix)") { request, context in
                await open311(format) {
                    try jurisdiction(request.uri.queryParameters.get("jurisdiction_id"))
                    let view = try serviceRequest(context.parameters.get("service_request_id") ?? "")
                    let state = try publicState(view.ticket)
                    let record = Open311Records.request(
                        view, updated: state.updated, publicNote: state.note,
                        mediaURL: mediaURL(state.afterPhoto, of: view, request), catalog: catalog,
                        extensions: request.uri.queryParameters.get("extensions") == "true")
                    return Open311Document(root: "service_requests", node: .list(item: "request", [record]))
                }
            }
            recorder.get(router, "\(base)/tokens/{token}\(suffix)") { request, context in
                await open311(format) {
                    try jurisdiction(request.uri.queryParameters.get("jurisdiction_id"))
                    // Defter records a request synchronously: its token is its number.
                    let id = try serviceRequest(context.parameters.get("token") ?? "").ticket.id.rawValue
                    let record = Open311Node.record([("service_request_id", .text(id)), ("token", .text(id))])
                    return Open311Document(root: "service_requests", node: .list(item: "request", [record]))
                }
            }
        }
    }

    /// Runs `body` and renders its document, or the standard's error document.
    func open311(_ format: Open311Format, _ body: () async throws -> Open311Document) async -> Response {
        do {
            return Self.render(try await body(), format, .ok)
        } catch let error as Open311Error {
            return Self.render(error.document, format, error.status)
        } catch let full as IntakeFull {
            var response = Self.render(
                Open311Error(status: .serviceUnavailable, descriptions: [Self.intakeFullError(full).message]).document, format,
                .serviceUnavailable)
            response.headers[.retryAfter] = String(IntakeFull.retryAfterSeconds)
            return response
        } catch let error as APIError {
            return Self.render(Open311Error(status: error.status, descriptions: [error.message]).document, format, error.status)
        } catch {
            let (status, _) = Self.classify(error)
            guard status != .internalServerError else {
                logFailure(error)
                let failure = Open311Error(status: status, descriptions: ["the server failed; the error is logged"])
                return Self.render(failure.document, format, status)
            }
            return Self.render(Open311Error(status: status, descriptions: ["\(error)"]).document, format, status)
        }
    }

    static func render(_ document: Open311Document, _ format: Open311Format, _ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: document.render(format))))
    }

    /// Refuses a `jurisdiction_id` other than this city's (an empty one counts as absent).
    func jurisdiction(_ value: String?) throws(Open311Error) {
        guard let value, !value.isEmpty else { return }
        guard value == Self.open311Jurisdiction else {
            throw .notFound("jurisdiction_id '\(value.prefix(100))' is not served here; this endpoint serves \(Self.open311Jurisdiction)")
        }
    }

    /// The category a service code names.
    func service(_ code: String) throws(Open311Error) -> Catalog.Category {
        guard let id = try? CategoryID(code), let found = catalog.category(id) else {
            throw .notFound("service_code '\(code.prefix(100))' is not a service; GET services.json lists them")
        }
        return found.category
    }

    /// The ticket a service request id names; information-only calls are not service requests.
    func serviceRequest(_ text: String) throws -> TicketView {
        guard let id = try? TicketID(text) else {
            throw Open311Error.badRequest("'\(text.prefix(100))' is not a service request id like 2025-000123")
        }
        try projections.tickets.catchUp()
        guard let view = try projections.tickets.ticketView(id), view.ticket.category != nil else {
            throw Open311Error.notFound("there is no service request \(id)")
        }
        return view
    }

    /// When the ticket's last event happened, the newest note staff wrote for the public
    /// (`NoteAdded` with visibility public), and the newest "after" photo the crew attached (the
    /// only photo the public sees), read from its stream.
    func publicState(_ ticket: Ticket) throws -> (updated: Date?, note: String?, afterPhoto: String?) {
        let stream = try StreamID(ticket.id.streamName)
        var updated: Date?
        var note: String?
        var afterPhoto: String?
        for entry in try log.entries(inStream: stream, fromVersion: 1, limit: max(1, ticket.version)) {
            guard let event = try TicketService.ticketEvent(entry) else { continue }
            updated = event.at
            if case .noteAdded(let added) = event, added.visibility == .public { note = added.text }
            if case .photoAttached(let photo) = event, photo.role == .after { afterPhoto = Self.publicPhotoPath(ticket.id, photo.sha256) }
        }
        return (updated, note, afterPhoto)
    }

    /// The absolute address of a public photo path, unless the citizen's data was erased (which
    /// deletes the photo too).
    func mediaURL(_ path: String?, of view: TicketView, _ request: Request) -> String? {
        guard let path, view.personalDataErasedAt == nil else { return nil }
        return (publicOrigin ?? request.head.authority.map { "http://\($0)" } ?? "") + path
    }

    func discovery(_ request: Request) throws -> Open311Document {
        let host = request.head.authority.map { "http://\($0)" } ?? ""
        let endpoint = Open311Node.record([
            ("specification", .text("http://wiki.open311.org/GeoReport_v2")), ("url", .text(host + Self.open311Base)),
            ("changeset", .text(catalog.effectiveFrom)), ("type", .text("production")),
            ("formats", .list(item: "format", Open311Format.allCases.map { .text($0.contentType.prefix { $0 != ";" }.description) })),
        ])
        return Open311Document(
            root: "discovery",
            node: .record([
                ("changeset", .text(catalog.effectiveFrom)), ("contact", .text("ALO 153, Kahramanmaraş Büyükşehir Belediyesi")),
                ("key_service", .text("API keys are Defter tokens of role open311: defter tokens issue --role open311")),
                ("endpoints", .list(item: "endpoint", [endpoint])),
            ]))
    }
}
