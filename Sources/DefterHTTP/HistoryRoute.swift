import DefterDomain
import DefterLog
import DefterTransparency
import Hummingbird

extension DefterAPI {
    /// `GET /v1/tickets/{id}/history`: for auditors, every event of a ticket with its sequence,
    /// what it changed, and its inclusion proof against the newest signed checkpoint (events
    /// recorded after that checkpoint carry none). Personal data appears only as sealed or erased.
    /// Auditors and admins read any ticket's; operators too (the ticket screen's timeline), and
    /// a department its own tickets'.
    func registerHistory(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.get(router, "/v1/tickets/{id}/history") { request, context in
            await respond {
                let role = try authorize(
                    request,
                    { role in
                        if case .department = role { return true }
                        return [.auditor, .admin, .operatorRole].contains(role)
                    })
                let id = try ticketID(context)
                if case .department(let own) = role {
                    try projections.tickets.catchUp()
                    guard let view = try projections.tickets.ticketView(id) else {
                        throw APIError(status: .notFound, code: "not_found", message: "ticket \(id) does not exist")
                    }
                    guard view.ticket.department == own else {
                        throw APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) belongs to another department")
                    }
                }
                let newest = try log.newestCheckpoint()
                if let newest { try newest.verify(with: log.verifierKey) }
                return try TicketHistory.load(id, from: log, provingAgainst: newest).json
            }
        }
    }
}
