import DefterDomain
import DefterLog
import DefterTransparency
import Hummingbird

extension DefterAPI {
    /// `GET /v1/tickets/{id}/history`: for auditors, every event of a ticket with its sequence,
    /// what it changed, and its inclusion proof against the newest signed checkpoint (events
    /// recorded after that checkpoint carry none). Personal data appears only as sealed or erased.
    func registerHistory(on router: Router<BasicRequestContext>, _ recorder: RouteRecorder) {
        recorder.get(router, "/v1/tickets/{id}/history") { request, context in
            await respond {
                _ = try authorize(request, { $0 == .auditor || $0 == .admin })
                let id = try ticketID(context)
                let newest = try log.checkpoints().last
                if let newest { try newest.verify(with: log.verifierKey) }
                return try TicketHistory.load(id, from: log, provingAgainst: newest).json
            }
        }
    }
}
