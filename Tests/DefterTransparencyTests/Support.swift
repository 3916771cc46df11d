import DefterDemo
import DefterLog
import DefterLogTestSupport
import DefterProjections
import DefterRouting
import DefterTickets
import Foundation

@testable import DefterDomain

/// A generated city's calls in a real log, with its ticket service and caught-up projections.
struct SeededCity {
    let log: EventLog
    let vault: KeyVault
    let service: TicketService
    let projections: Projections
    let folder: URL
}

/// Seeds `calls` calls of 2025 (deterministic) into a temporary data folder.
func withSeededCity<T>(calls: Int, _ body: (SeededCity) async throws -> T) async throws -> T {
    try await withTemporaryLog { log, folder in
        let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
        defer { vault.close() }
        let catalog = try BundledCatalog.load()
        let router = try Router.bundled(catalog: catalog)
        let service = TicketService(log: log, vault: vault, router: router, bundledCatalog: catalog)
        let published = try await service.catalogInForce()
        var seeder = DemoSeeder(
            batch: TicketBatch(log: log, vault: vault, router: router, catalog: published), corpus: try Router.bundledCorpus(),
            year: 2025, seed: 11)
        _ = try await seeder.seed(calls: calls)
        let projections = try Projections(log: log)
        defer { projections.close() }
        try projections.catchUp()
        return try await body(SeededCity(log: log, vault: vault, service: service, projections: projections, folder: folder))
    }
}

/// Appends a ticket event as it would be stored, bypassing the ticket service's rules: how a
/// buggy or hostile writer could have put it there.
func appendRaw(_ event: TicketEvent, to log: EventLog) async throws {
    let ticket = TicketRules.ticket(of: event)
    try await log.append(
        NewEvent(
            stream: try StreamID(ticket.streamName), type: event.typeName,
            data: try JSONValue(parsing: Array(TicketEventCodec.encode(event))), actor: "planted"))
}

/// The first ticket of the log that `matches`.
func firstTicket(in city: SeededCity, where matches: (Ticket) -> Bool) async throws -> Ticket {
    var next: UInt64 = 1
    while true {
        let entries = try city.log.entries(from: next, limit: 1000)
        guard let last = entries.last else { break }
        for entry in entries where entry.type == "CallReceived" {
            if let id = TicketID(streamName: entry.stream.rawValue), let ticket = try await city.service.ticket(id), matches(ticket) {
                return ticket
            }
        }
        next = last.sequence + 1
    }
    throw TestFailure("no ticket matches")
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
