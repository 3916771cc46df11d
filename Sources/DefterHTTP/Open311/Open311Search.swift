import DefterDomain
import DefterProjections
import Foundation
import Hummingbird

/// `GET /open311/v2/requests`: service requests by id, or by service, status and the time they
/// were made (the last 90 days by default, at most 90 days, at most 1000 requests, newest first).
extension DefterAPI {
    func searchOpen311(_ request: Request) throws -> Open311Document {
        let query = request.uri.queryParameters
        func parameter(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        try jurisdiction(parameter("jurisdiction_id"))
        let extensions = parameter("extensions") == "true"
        try projections.tickets.catchUp()
        var views: [TicketView]
        if let list = parameter("service_request_id") {
            let texts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard texts.count <= Self.open311MaximumResults else {
                throw Open311Error.badRequest("ask for at most \(Self.open311MaximumResults) service_request_id values at once")
            }
            let ids = try texts.map { text in
                guard let id = try? TicketID(text) else {
                    throw Open311Error.badRequest("'\(text.prefix(100))' is not a service request id like 2025-000123")
                }
                return id
            }
            views = try ids.compactMap { try projections.tickets.ticketView($0) }.filter { $0.ticket.category != nil }
        } else {
            let codes = try items(parameter("service_code")).map { list in Set(try list.map { try service($0).id }) }
            let statuses = try items(parameter("status")).map { list in
                Set(
                    try list.map { status in
                        guard status == "open" || status == "closed" else {
                            throw Open311Error.badRequest("status must be open, closed or open,closed")
                        }
                        return status == "open"
                    })
            }
            let (start, end) = try window(parameter("start_date"), parameter("end_date"))
            let years = Calendar.istanbul.component(.year, from: start)...Calendar.istanbul.component(.year, from: end)
            views = try projections.tickets.ticketViews(numberedIn: years) { ticket in
                guard let category = ticket.category, ticket.receivedAt >= start, ticket.receivedAt <= end else { return false }
                return codes?.contains(category) != false && statuses?.contains(ticket.status.isOpen) != false
            }
            views.sort { $0.ticket.receivedAt > $1.ticket.receivedAt }
            views = Array(views.prefix(Self.open311MaximumResults))
        }
        let records = try views.map { view in
            let state = try publicState(view.ticket)
            return Open311Records.request(
                view, updated: state.updated, publicNote: state.note, mediaURL: mediaURL(state.afterPhoto, of: view, request),
                catalog: catalog, extensions: extensions)
        }
        return Open311Document(root: "service_requests", node: .list(item: "request", records))
    }

    /// The items of a comma list, trimmed; nil when it names none.
    func items(_ list: String?) -> [String]? {
        let items = list?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        return items.isEmpty ? nil : items
    }

    /// The span `start_date`...`end_date`, defaulting to the 90 days up to now (or around the
    /// one date given); refuses bad dates, reversed spans and spans over 90 days.
    func window(_ startText: String?, _ endText: String?) throws -> (Date, Date) {
        func date(_ text: String, _ name: String) throws -> Date {
            guard text.count <= 40, let date = Open311Time.parse(text) else {
                throw Open311Error.badRequest("\(name) '\(text.prefix(40))' is not an ISO 8601 time like 2025-03-01T09:30:00+03:00")
            }
            return date
        }
        let start = try startText.map { try date($0, "start_date") }
        let end = try endText.map { try date($0, "end_date") }
        let span = Self.open311MaximumSpan
        switch (start, end) {
        case (let start?, let end?):
            guard start <= end else { throw Open311Error.badRequest("start_date is after end_date") }
            guard end.timeIntervalSince(start) <= span else {
                throw Open311Error.badRequest("start_date to end_date spans more than 90 days; ask in parts")
            }
            return (start, end)
        case (let start?, nil): return (start, start.addingTimeInterval(span))
        case (nil, let end?): return (end.addingTimeInterval(-span), end)
        case (nil, nil):
            let now = Date()
            return (now.addingTimeInterval(-span), now)
        }
    }
}
