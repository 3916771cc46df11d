import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterTickets
import Foundation
import Testing

@testable import DefterRouting

@Suite struct LearningTests {
    static let streets = ["Gül", "Lale", "Menekşe", "Zambak", "Papatya", "Nergis", "Sümbül", "Karanfil", "Orkide", "Begonya"]

    /// `count` requests in the words of `template`, each on another street and day.
    static func corrections(_ count: Int, department: String, category: String, _ template: (String, Int) -> String) -> RoutingCorpus {
        RoutingCorpus(
            examples: (0..<count).map { n in
                RoutingCorpus.Example(
                    department: DepartmentID(unchecked: department), category: CategoryID(unchecked: category),
                    text: template(streets[n % streets.count], n + 2))
            })
    }

    @Test("systematic overrides the model did not know are learned, and the candidate is found better")
    func learnsPlantedOverrides() throws {
        // Operators keep moving fallen power poles to the fire brigade's rescue teams.
        let planted = Self.corrections(60, department: "itfaiye", category: "itfaiye.kurtarma") { street, n in
            "\(street) Sokak \(n) numara önünde elektrik direği yan yatmış, kablolar sarkıyor, direk her an düşebilir"
        }
        let learning = RouterLearning(
            corpus: SmallCorpus.corpus, corrections: planted, catalog: try BundledCatalog.load(), lexicon: try Router.bundledLexicon(),
            settings: SmallCorpus.settings)
        // The small corpus holds out about 110 requests, one of which is 0.9 points: allow three.
        let comparison = try learning.compare(tolerance: 0.03)
        #expect(comparison.heldOutCorrections > 0)
        #expect(comparison.candidateCorrections > comparison.inForceCorrections, "\(comparison)")
        #expect(comparison.candidateIsBetter, "\(comparison)")
        let router = try Router(catalog: try BundledCatalog.load(), model: try learning.candidateModel())
        #expect(router.classify("Karşı kaldırımda elektrik direği yan yatmış, kablolar sarkıyor").department.rawValue == "itfaiye")
    }

    @Test("a correction that breaks what the corpus teaches makes a worse model, which is refused")
    func refusesWorseModel() throws {
        // Garbage complaints "corrected" to the veterinary service: learnable, but wrong everywhere else.
        let wrong = Self.corrections(300, department: "veteriner", category: "veteriner.sokak-kopekleri") { street, n in
            "\(street) Sokak'ta çöpler \(n) gündür toplanmadı, çöp konteyneri taştı, kokudan durulmuyor"
        }
        let learning = RouterLearning(
            corpus: SmallCorpus.corpus, corrections: wrong, catalog: try BundledCatalog.load(), lexicon: try Router.bundledLexicon(),
            settings: SmallCorpus.settings)
        let comparison = try learning.compare(tolerance: 0)
        #expect(comparison.candidateHeldOut < comparison.inForceHeldOut, "\(comparison)")
        #expect(!comparison.candidateIsBetter, "\(comparison)")
    }

    @Test("the corrections are read from the log: the latest move per ticket, with its text opened in memory and the read recorded")
    func readsCorrectionsFromTheLog() async throws {
        try await withTemporaryLog { log, folder in
            let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
            defer { vault.close() }
            let catalog = try BundledCatalog.load()
            let t0 = RouterPublicationTests.t0
            let service = TicketService(
                log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog, clock: { t0 })
            let one = try await service.receiveCall(RouterPublicationTests.call(1, "Elektrik direği yan yatmış, kablolar sarkıyor"))
            let two = try await service.receiveCall(RouterPublicationTests.call(2, "Sokağımızdaki çöpler üç gündür toplanmadı"))
            let op = ActorID(unchecked: "op-7")
            try await service.handle(
                .overrideRouting(
                    department: DepartmentID(unchecked: "fen-isleri"), category: nil, reason: "Yol işi", by: op,
                    at: t0.addingTimeInterval(600)),
                on: one.ticket, actor: op)
            try await service.handle(
                .refer(
                    to: DepartmentID(unchecked: "itfaiye"), category: CategoryID(unchecked: "itfaiye.kurtarma"), reason: "Direk düşüyor",
                    actingDepartment: nil, by: op, at: t0.addingTimeInterval(1200)),
                on: one.ticket, actor: op)
            let corrections = try await service.routingCorrections(by: ActorID(unchecked: "router-training"), reason: "router training")
            #expect(corrections.count == 1)
            #expect(corrections.first?.ticket == one.ticket)
            #expect(corrections.first?.category.rawValue == "itfaiye.kurtarma")
            #expect(corrections.first?.reasons == ["Yol işi", "Direk düşüyor"])
            #expect(corrections.first?.text == "Elektrik direği yan yatmış, kablolar sarkıyor")
            let accesses = try log.entries(inStream: StreamID("access-\(one.ticket)"), fromVersion: 1, limit: 10)
            #expect(accesses.map(\.type) == ["PersonalDataAccessed"])
            _ = two
        }
    }
}
