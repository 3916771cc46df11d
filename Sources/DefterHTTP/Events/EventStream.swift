import DefterDomain
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

extension HTTPField.Name {
    /// `Last-Event-ID`, sent by a reconnecting EventSource.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// `GET /v1/departments/{id}/events`: the department's queue changes as Server-Sent Events,
/// following the log's live tail; `Last-Event-ID` (a log sequence) resumes after that entry.
extension DefterAPI {
    /// How long the stream may be silent before a comment line keeps proxies (and the check that
    /// the client is still there) going.
    static let heartbeat = Duration.seconds(15)

    func departmentEvents(_ request: Request, _ context: DefterRequestContext) async -> Response {
        do {
            let department = try departmentID(context)
            _ = try authorize(
                request,
                { role in
                    if case .department(let own) = role { return own == department }
                    // Operators work the triage queue, as they read it.
                    return role == .admin || role == .auditor || (role == .operatorRole && department == .triage)
                })
            guard department == .triage || catalog.department(department) != nil else {
                throw APIError(status: .notFound, code: "not_found", message: "there is no department '\(department)'")
            }
            let head = try log.size()
            var after = head
            if let last = request.headers[.lastEventID] {
                guard let sequence = UInt64(last.trimmingCharacters(in: .whitespaces)), sequence <= head else {
                    throw APIError(
                        status: .badRequest, code: "bad_parameter", message: "Last-Event-ID must be a log sequence from 0 to \(head)")
                }
                after = sequence
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            let feed = QueueFeed(log: log, department: department)
            let log = self.log
            let start = after
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await Self.stream(feed, log: log, after: start, to: &writer)
                    try await writer.finish(nil)
                })
        } catch {
            return errorResponse(error)
        }
    }

    /// Writes the feed's changes for the entries after `after`, then waits for commits, with a
    /// heartbeat comment whenever it waited `heartbeat` for nothing. Ends when the service shuts
    /// down gracefully or the log closes; a client that left makes the next write throw.
    static func stream(_ feed: QueueFeed, log: EventLog, after: UInt64, to writer: inout any ResponseBodyWriter) async throws {
        var feed = feed
        var next = after + 1
        try await writer.write(ByteBuffer(string: "retry: 5000\n\n"))
        while !Task.isShuttingDownGracefully {
            try Task.checkCancellation()
            let entries = try log.entries(from: next, limit: 256)
            guard let last = entries.last else {
                let seen = next - 1
                let committed = await withTaskGroup(of: Bool?.self) { group in
                    group.addTask { await log.waitForCommits(beyond: seen) }
                    group.addTask {
                        try? await Task.sleep(for: heartbeat)
                        return nil
                    }
                    group.addTask {
                        try? await gracefulShutdown()
                        return false
                    }
                    let first = await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                switch committed {
                case false?: return
                case nil: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case true?: break
                }
                continue
            }
            for entry in entries {
                if let change = try feed.change(for: entry) { try await writer.write(ByteBuffer(string: change.message)) }
            }
            next = last.sequence + 1
        }
    }
}
