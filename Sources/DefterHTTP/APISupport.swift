import DefterDomain
import DefterImages
import DefterLog
import DefterProjections
import DefterTickets
import Foundation
import Hummingbird
import Logging
import NIOCore

extension DefterAPI {
    /// Runs `body` and answers with its JSON, or with the error's status and JSON body. Errors a
    /// person caused map to 4xx; anything unexpected is a logged 500 that reveals nothing.
    func respond(status: HTTPResponse.Status = .ok, _ body: () async throws -> JSONValue) async -> Response {
        await respondWithStatus { (try await body(), status) }
    }

    /// As `respond`, with the status chosen by `body`.
    func respondWithStatus(_ body: () async throws -> (JSONValue, HTTPResponse.Status)) async -> Response {
        do {
            let (value, status) = try await body()
            return respondJSON(value, status: status)
        } catch {
            return errorResponse(error)
        }
    }

    /// The JSON error response for `error`.
    func errorResponse(_ error: any Error) -> Response {
        if let full = error as? IntakeFull {
            var response = errorResponse(Self.intakeFullError(full))
            response.headers[.retryAfter] = String(IntakeFull.retryAfterSeconds)
            return response
        }
        if let error = error as? APIError {
            var body = error.details
            body["error"] = .string(error.code)
            body["message"] = .string(error.message)
            return respondJSON(.object(body), status: error.status)
        }
        let (status, code) = Self.classify(error)
        if status == .internalServerError {
            logFailure(error)
            return respondJSON(["error": "internal", "message": "the server failed; the error is logged"], status: status)
        }
        return respondJSON(["error": .string(code), "message": .string("\(error)")], status: status)
    }

    /// Logs an unexpected error with the request's id. Storage errors say what failed without
    /// payloads; other errors are named by type only.
    func logFailure(_ error: any Error) {
        let detail = (error as? StorageError)?.description ?? String(reflecting: type(of: error))
        logger.error("request failed", metadata: ["error": "\(detail)", "request_id": "\(RequestID.current ?? "-")"])
    }

    static func classify(_ error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as TicketError:
            switch error {
            case .notFound: (.notFound, "not_found")
            case .illegalTransition, .alreadyExists, .alreadyEscalated, .notYetDue, .sameDepartment: (.conflict, "illegal_transition")
            case .wrongDepartment: (.forbidden, "forbidden")
            default: (.badRequest, "bad_input")
            }
        case is DomainInputError, is EventValidationError, is JSONParseError: (.badRequest, "bad_input")
        case let error as AppendError:
            switch error {
            case .versionConflict: (.conflict, "version_conflict")
            case .idempotencyConflict: (.conflict, "id_reused")
            default: (.badRequest, "bad_input")
            }
        case is LogRequestError: (.badRequest, "bad_parameter")
        case let error as ImageError:
            switch error {
            case .tooLarge: (.contentTooLarge, "bad_photo")
            case .unsupported, .notClaimedType: (.unsupportedMediaType, "bad_photo")
            default: (.badRequest, "bad_photo")
            }
        case is IntakeError: (.conflict, "conflict")
        case let error as StorageError where error.kind == .diskFull: (.serviceUnavailable, "storage_full")
        case let error as PhotoStoreError where error.code == .storageFull: (.serviceUnavailable, "storage_full")
        case is ProjectionError: (.serviceUnavailable, "projection_stopped")
        default: (.internalServerError, "internal")
        }
    }

    /// Checks the bearer token or session cookie, and that its role may do this.
    func authorize(_ request: Request, _ allowed: (Role) -> Bool) throws -> Role {
        let role = try credential(request).role
        // Open311 keys work only under /open311.
        guard role != .open311, allowed(role) else {
            throw APIError(status: .forbidden, code: "forbidden", message: "the role \(role) may not do this")
        }
        return role
    }

    /// Who the request speaks for: its bearer token, else its console session. A write from a
    /// session must come from this site's own pages (see `requireSameOrigin`).
    func credential(_ request: Request) throws -> Credential {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw APIError(
                    status: .unauthorized, code: "unauthenticated",
                    message: "send a token: Authorization: Bearer <token> (defter tokens issue)")
            }
            guard let (role, name) = try tokens.lookup(header.dropFirst(7).trimmingWhiteSpace()) else {
                throw APIError(status: .unauthorized, code: "unauthenticated", message: "the token is not valid (unknown or revoked)")
            }
            return Credential(role: role, name: name)
        }
        if let session = Self.cookie(Self.sessionCookie, in: request) {
            guard let credential = try tokens.session(session) else {
                throw APIError(
                    status: .unauthorized, code: "unauthenticated",
                    message: "the session has ended (signed out, unused for 12 hours, or its token was revoked); sign in again")
            }
            if ![.get, .head, .options].contains(request.method) { try requireSameOrigin(request) }
            return credential
        }
        throw APIError(
            status: .unauthorized, code: "unauthenticated",
            message: "sign in at /console/ or send a token: Authorization: Bearer <token> (defter tokens issue)")
    }

    /// The request body as bytes, at most `maximumBodyBytes`.
    func body(_ request: Request, _ context: DefterRequestContext, allowEmpty: Bool = false) async throws -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumBodyBytes)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the body is larger than \(Self.maximumBodyBytes) bytes")
        }
        guard buffer.readableBytes <= Self.maximumBodyBytes else {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "the body is larger than \(Self.maximumBodyBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty && !allowEmpty {
            throw APIError(status: .badRequest, code: "bad_input", message: "the body is empty; send a JSON object")
        }
        return bytes
    }

    /// The body as a JSON object (an empty body is an empty object).
    func object(_ bytes: [UInt8]) async throws -> [String: JSONValue] {
        if bytes.isEmpty { return [:] }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch {
            throw APIError(status: .badRequest, code: "bad_json", message: "the body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw APIError(status: .badRequest, code: "bad_json", message: "the body must be a JSON object")
        }
        return fields
    }

    static let callFields: Set<String> = [
        "callId", "channel", "operatorId", "at", "district", "neighbourhood", "caller", "category", "informationTopic", "notify",
    ]

    /// A call from its JSON body, refusing unknown fields.
    func decodeCall(_ bytes: [UInt8]) async throws -> CallRequest {
        let fields = try await object(bytes)
        try Self.requireOnly(fields, Self.callFields)
        if let call = CallRequestReading.call(fields) { return call }
        if case .string(let channel)? = fields["channel"], Channel(rawValue: channel) == nil {
            throw APIError(
                status: .badRequest, code: "bad_input",
                message:
                    "\"channel\" is \"\(channel.prefix(40))\"; say how the call came in: \(Channel.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        do {
            return try TicketEventCodec.makeDecoder().decode(CallRequest.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(status: .badRequest, code: "bad_input", message: "missing field \"\(key.stringValue)\"")
        } catch let DecodingError.dataCorrupted(context) {
            throw APIError(
                status: .badRequest, code: "bad_input",
                message: "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError(
                status: .badRequest, code: "bad_input",
                message: "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            // `null` where a value is required, e.g. {"coordinates": {"longitude": null}}.
            throw APIError(
                status: .badRequest, code: "bad_input",
                message: "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" must not be null")
        }
    }

    static func requireOnly(_ fields: [String: JSONValue], _ allowed: Set<String>) throws {
        if let unknown = fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw APIError(
                status: .badRequest, code: "unknown_field",
                message: "unknown field \"\(unknown)\" (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func ticketID(_ context: DefterRequestContext) throws -> TicketID {
        try input { try TicketID(context.parameters.get("id") ?? "") }
    }

    func departmentID(_ context: DefterRequestContext) throws -> DepartmentID {
        try input { try DepartmentID(context.parameters.get("id") ?? "") }
    }

    func input<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DomainInputError {
            throw APIError(status: .badRequest, code: "bad_parameter", message: error.description)
        }
    }

    func integer(_ text: String?, _ name: String, default fallback: Int?, range: ClosedRange<Int>) throws -> Int {
        guard let text else {
            guard let fallback else { throw APIError(status: .badRequest, code: "bad_parameter", message: "\(name) is required") }
            return fallback
        }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A query flag: absent or `false` is false, `true` is true.
    func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text {
        case nil, "false"?, "0"?: return false
        case "true"?, "1"?: return true
        default: throw APIError(status: .badRequest, code: "bad_parameter", message: "\(name) must be true or false")
        }
    }

    /// Maps a ticket action and its body onto a domain command.
    func command(_ action: String, on id: TicketID, role: Role, fields: [String: JSONValue], expected: String?) async throws -> Ticket {
        func text(_ name: String, required: Bool = true) throws -> String {
            guard let value = fields[name] else {
                if required { throw APIError(status: .badRequest, code: "bad_input", message: "\"\(name)\" is required") }
                return ""
            }
            guard let string = value.stringValue else {
                throw APIError(status: .badRequest, code: "bad_input", message: "\"\(name)\" must be a string")
            }
            return string
        }
        let now = Date()
        let actor = ActorID(unchecked: role.description.replacingOccurrences(of: ":", with: "."))
        var department: DepartmentID?
        if case .department(let own) = role { department = own }
        if action == "note", case .department(let own) = role, let ticket = try await service.ticket(id), ticket.department != own {
            throw APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) belongs to another department")
        }
        let operatorOnly = ["override", "cancel", "merge"].contains(action)
        let departmentOnly = ["acknowledge", "start", "resolve", "refer", "assign"].contains(action)
        guard !(operatorOnly && ![.operatorRole, .admin].contains(role)) else {
            throw APIError(status: .forbidden, code: "forbidden", message: "only operators may \(action) a ticket")
        }
        guard !(departmentOnly && department == nil && role != .admin) else {
            throw APIError(status: .forbidden, code: "forbidden", message: "only the owning department may \(action) a ticket")
        }
        guard role != .auditor, role != .officer else {
            throw APIError(status: .forbidden, code: "forbidden", message: "the role \(role) reads only")
        }
        let allowed: Set<String>
        let command: TicketCommand
        switch action {
        case "acknowledge":
            allowed = []
            command = .acknowledge(actingDepartment: department, by: actor, at: now)
        case "start":
            allowed = []
            command = .startWork(actingDepartment: department, by: actor, at: now)
        case "resolve":
            allowed = ["code", "note"]
            command = .resolve(
                code: try text("code"), note: try text("note", required: false), actingDepartment: department, by: actor, at: now)
        case "refer":
            allowed = ["to", "category", "reason"]
            let categoryText = fields["category"] == nil ? nil : try text("category")
            let category = try categoryText.map { value in try input { try CategoryID(value) } }
            let to = try text("to")
            command = .refer(
                to: try input { try DepartmentID(to) }, category: category, reason: try text("reason"), actingDepartment: department,
                by: actor, at: now)
        case "assign":
            allowed = ["assignee"]
            command = .assign(assignee: try text("assignee"), actingDepartment: department, by: actor, at: now)
        case "override":
            allowed = ["department", "category", "reason"]
            let categoryText = fields["category"] == nil ? nil : try text("category")
            let category = try categoryText.map { value in try input { try CategoryID(value) } }
            let target = try text("department")
            command = .overrideRouting(
                department: try input { try DepartmentID(target) }, category: category, reason: try text("reason"), by: actor, at: now)
        case "cancel":
            allowed = ["reason", "note"]
            guard let reason = CancellationReason(rawValue: try text("reason")) else {
                throw APIError(
                    status: .badRequest, code: "bad_input",
                    message: "reason must be one of \(CancellationReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            command = .cancel(reason: reason, note: try text("note", required: false), by: actor, at: now)
        case "merge":
            allowed = ["duplicateOf"]
            let original = try text("duplicateOf")
            command = .mergeAsDuplicate(of: try input { try TicketID(original) }, by: actor, at: now)
        case "note":
            allowed = ["text", "visibility"]
            guard let visibility = NoteVisibility(rawValue: try text("visibility")) else {
                throw APIError(
                    status: .badRequest, code: "bad_input",
                    message: "visibility must be internal (staff only) or public (the citizen sees it)")
            }
            command = .addNote(text: try text("text"), visibility: visibility, by: actor, at: now)
        default:
            allowed = ["channel", "template"]
            command = .notifyCitizen(channel: try text("channel"), template: try text("template"), by: actor, at: now)
        }
        try Self.requireOnly(fields, allowed)
        if let expected {
            let current = try await service.ticket(id)?.version
            let sent = expected.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard current.map(String.init) == sent else {
                throw APIError(
                    status: .conflict, code: "version_conflict",
                    message: "ticket \(id) is at version \(current.map(String.init) ?? "none"), not \(expected); read it again",
                    details: [
                        "current": current.map { .integer(Int64($0)) } ?? .null,
                        "changes": .array(try changes(of: id, after: Int(sent) ?? 0)),
                    ])
            }
        }
        return try await service.handle(command, on: id, actor: actor)
    }
}

extension DefterAPI {
    /// The events of a ticket after stream version `version`: who changed it, how and when
    /// (what a version conflict tells the person whose copy was stale).
    func changes(of id: TicketID, after version: Int) throws -> [JSONValue] {
        let entries = try log.entries(inStream: StreamID(id.streamName), fromVersion: UInt64(max(0, version)) + 1, limit: 50)
        return try entries.map { entry in
            var change: [String: JSONValue] = [
                "seq": .integer(Int64(entry.sequence)), "version": .integer(Int64(entry.streamVersion)), "type": .string(entry.type),
                "actor": .string(entry.actor), "recordedAt": .string(entry.recordedAt.description),
            ]
            change["at"] = try entry.data()["at"] ?? .null
            return .object(change)
        }
    }
}

/// A JSON response.
func respondJSON(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
}
