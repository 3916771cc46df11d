import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterRouting
import DefterTickets
import Foundation

/// A ticket service over a real log and vault in a temporary folder.
func withService<T>(
    clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_740_816_900) },
    _ body: (TicketService, EventLog, URL) async throws -> T
) async throws -> T {
    try await withServiceAndVault(clock: clock) { service, log, _, folder in try await body(service, log, folder) }
}

/// As `withService`, also handing over the key vault.
func withServiceAndVault<T>(
    clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_740_816_900) },
    _ body: (TicketService, EventLog, KeyVault, URL) async throws -> T
) async throws -> T {
    try await withTemporaryLog { log, folder in
        let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
        defer { vault.close() }
        let catalog = try BundledCatalog.load()
        let service = TicketService(
            log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog, clock: clock)
        return try await body(service, log, vault, folder)
    }
}

/// Calls for tests, each with a distinct call id.
enum SampleCalls {
    static let t0 = Date(timeIntervalSince1970: 1_740_816_900)  // 2025-03-01T08:15:00Z

    static func garbage(_ n: Int, caller: PersonalData? = nil) -> CallRequest {
        CallRequest(
            callId: "tel-\(n)", channel: .phone, operatorId: "op-7", at: t0.addingTimeInterval(Double(n) * 60), district: "Onikişubat",
            neighbourhood: "Hayrullah",
            caller: caller ?? PersonalData(text: "Sokağımızdaki çöp konteyneri üç gündür boşaltılmadı, çöpler taştı, koku dayanılmaz."),
            category: nil, informationTopic: nil)
    }

    static let personal = PersonalData(
        name: "Zeynep Karaağaçlı", phone: "0532 111 22 33", nationalId: "10000000146", address: "Menekşe Sokak No: 17 Daire 4",
        text: "Zeynep Karaağaçlı arıyor, Menekşe Sokak 17 önündeki çöp konteyneri taştı, çöpler toplanmadı.")
}
