import DefterLog
import DefterTickets
import DefterTransparency
import Foundation
import Testing

@testable import DefterDomain

@Suite struct TicketHistoryTests {
    @Test("a ticket's history lists its events in order with what each changed, personal data only as sealed")
    func timeline() async throws {
        try await withSeededCity(calls: 150) { city in
            let ticket = try await firstTicket(in: city) { $0.status == .closed }
            let history = try TicketHistory.load(ticket.id, from: city.log)
            let events = try city.log.entries(inStream: StreamID(ticket.id.streamName))
            #expect(history.steps.map(\.sequence) == events.map(\.sequence))
            #expect(history.steps.first?.type == "CallReceived")
            #expect(history.steps.last?.type == "TicketClosed")
            #expect(history.personalData == "sealed")
            #expect(history.steps.first?.data["personalData"] == .string("sealed"))
            let closing = try #require(history.steps.last)
            #expect(closing.changes.contains { $0.field == "status" && $0.after == #""closed""# })
            #expect(history.steps.allSatisfy { $0.proof == nil })
            #expect(!history.json.canonicalString.contains("AES"))
        }
    }

    @Test("with a checkpoint, every covered event carries an inclusion proof that verifies against its root")
    func proofs() async throws {
        try await withSeededCity(calls: 150) { city in
            let ticket = try await firstTicket(in: city) { $0.status.isOpen && $0.department != .triage && $0.department != nil }
            let checkpoint = try await city.log.checkpoint()
            let by = ActorID(unchecked: "ekip-3")
            _ = try await city.service.handle(
                .assign(assignee: "Ekip 3", actingDepartment: nil, by: by, at: ticket.receivedAt.addingTimeInterval(7200)), on: ticket.id,
                actor: by)
            let history = try TicketHistory.load(ticket.id, from: city.log, provingAgainst: checkpoint)
            let covered = history.steps.filter { $0.sequence <= checkpoint.checkpoint.treeSize }
            let later = history.steps.filter { $0.sequence > checkpoint.checkpoint.treeSize }
            #expect(!covered.isEmpty && later.count == 1)
            for step in covered {
                let proof = try #require(step.proof)
                #expect(proof.root == checkpoint.checkpoint.root)
                try MerkleProof.verifyInclusion(
                    leafHash: proof.leafHash.bytes, index: step.sequence - 1, size: checkpoint.checkpoint.treeSize,
                    proof: proof.path.map(\.bytes), root: checkpoint.checkpoint.root.bytes)
            }
            #expect(later.allSatisfy { $0.proof == nil })
            #expect(history.json["checkpoint"]?["treeSize"] == .integer(Int64(checkpoint.checkpoint.treeSize)))
        }
    }

    @Test("after erasure the history says erased, and reads of personal data appear in the timeline")
    func erasureAndAccess() async throws {
        try await withSeededCity(calls: 60) { city in
            let ticket = try await firstTicket(in: city) { $0.department != nil }
            let by = ActorID(unchecked: "op-2")
            _ = try await city.service.readPersonalData(of: ticket.id, by: by, reason: "calling the citizen back")
            #expect(try await city.service.eraseCitizen(ticket.citizen, by: by, reason: "KVKK request"))
            let history = try TicketHistory.load(ticket.id, from: city.log)
            #expect(history.personalData == "erased")
            #expect(history.steps.first?.data["personalData"] == .string("erased"))
            #expect(history.steps.contains { $0.type == "PersonalDataAccessed" && $0.stream == "access-\(ticket.id)" })
        }
    }

    @Test("an unknown ticket is reported as not found")
    func unknown() async throws {
        try await withSeededCity(calls: 5) { city in
            let unknown = try TicketID("2025-999999")
            #expect(throws: TicketError.notFound(unknown)) { try TicketHistory.load(unknown, from: city.log) }
        }
    }
}
