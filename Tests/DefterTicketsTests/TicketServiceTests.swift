import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterRouting
import DefterTickets
import Foundation
import Testing

@Suite struct IntakeServiceTests {
    @Test("a call becomes a numbered, routed ticket; the catalog is published first")
    func intakeRoutes() async throws {
        try await withService { service, log, _ in
            let result = try await service.receiveCall(SampleCalls.garbage(1))
            #expect(result.ticket == TicketID(year: 2025, sequence: 1))
            #expect(result.status == .routed)
            #expect(result.destination == DepartmentID(unchecked: "temizlik"))
            #expect(result.routing?.auto == true)
            #expect(!result.duplicate)
            #expect(try log.version(of: StreamID("catalog")) == 1)
            #expect(
                try log.entries(inStream: StreamID("ticket-2025-000001")).map(\.type) == ["CallReceived", "TicketOpened", "TicketRouted"])
        }
    }

    @Test("ticket numbers are consecutive per year, and a retried call id returns its first ticket")
    func numberingAndIdempotency() async throws {
        try await withService { service, log, _ in
            for n in 1...3 { _ = try await service.receiveCall(SampleCalls.garbage(n)) }
            let sizeBefore = try log.size()
            let retry = try await service.receiveCall(SampleCalls.garbage(2))
            #expect(retry.duplicate)
            #expect(retry.ticket == TicketID(year: 2025, sequence: 2))
            #expect(try log.size() == sizeBefore)
            #expect(try log.version(of: StreamID("ticket-numbers-2025")) == 3)
        }
    }

    @Test("64 calls at once all get tickets, numbered 1 to 64 without a gap")
    func concurrentCallsAllGetNumbers() async throws {
        try await withService { service, log, _ in
            let tickets = try await withThrowingTaskGroup(of: TicketID.self) { group in
                for n in 1...64 { group.addTask { try await service.receiveCall(SampleCalls.garbage(n)).ticket } }
                return try await group.reduce(into: Set<TicketID>()) { $0.insert($1) }
            }
            #expect(tickets == Set((1...64).map { TicketID(year: 2025, sequence: $0) }))
            #expect(try log.version(of: StreamID("ticket-numbers-2025")) == 64)
        }
    }

    @Test(
        "bad input is refused with a precise error and writes nothing",
        arguments: [
            ("district", "location.district"), ("long", "4001 characters"), ("nationalId", "check digits"), ("category", "no category"),
        ])
    func badInput(kind: String, expected: String) async throws {
        try await withService { service, log, _ in
            var request = SampleCalls.garbage(9)
            switch kind {
            case "district": request.district = "Kadıköy"
            case "long": request.caller = PersonalData(text: String(repeating: "a", count: 4001))
            case "nationalId": request.caller = PersonalData(nationalId: "10000000147", text: "çöp")
            default: request.category = "temizlik.yok-boyle"
            }
            _ = try await service.catalogInForce()
            let before = try log.size()
            await #expect {
                try await service.receiveCall(request)
            } throws: { error in
                "\(error)".contains(expected)
            }
            #expect(try log.size() == before)
        }
    }

    @Test("commands follow the rules; a command id makes a retry harmless")
    func commands() async throws {
        try await withService { service, _, _ in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1)).ticket
            let crew = ActorID(unchecked: "temizlik-ekip")
            let cleaning = DepartmentID(unchecked: "temizlik")
            await #expect(throws: TicketError.wrongDepartment(ticket, owner: cleaning, acting: DepartmentID(unchecked: "fen-isleri"))) {
                try await service.handle(
                    .acknowledge(actingDepartment: DepartmentID(unchecked: "fen-isleri"), by: crew, at: SampleCalls.t0), on: ticket,
                    actor: crew)
            }
            let acknowledged = try await service.handle(
                .acknowledge(actingDepartment: cleaning, by: crew, at: SampleCalls.t0), on: ticket, commandId: "ack-1", actor: crew)
            #expect(acknowledged.status == .acknowledged)
            let again = try await service.handle(
                .acknowledge(actingDepartment: cleaning, by: crew, at: SampleCalls.t0), on: ticket, commandId: "ack-1", actor: crew)
            #expect(again.version == acknowledged.version)
            await #expect(throws: TicketError.self) {
                try await service.handle(
                    .acknowledge(actingDepartment: cleaning, by: crew, at: SampleCalls.t0), on: ticket, commandId: "ack-2", actor: crew)
            }
            let resolved = try await service.handle(
                .resolve(
                    code: "collected", note: "Boşaltıldı", actingDepartment: cleaning, by: crew, at: SampleCalls.t0.addingTimeInterval(3600)
                ), on: ticket, actor: crew)
            #expect(resolved.status == .resolved)
            #expect(try await service.ticket(ticket) == resolved)
        }
    }
}

@Suite struct PersonalDataErasureTests {
    /// Every file under `folder`, read raw.
    func rawFiles(_ folder: URL) throws -> [(URL, Data)] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])!
        return try enumerator.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
        .map { ($0, try Data(contentsOf: $0)) }
    }

    @Test("personal data never reaches disk in plaintext; erasure destroys the key and the log still verifies")
    func erasure() async throws {
        try await withService { service, log, folder in
            let result = try await service.receiveCall(SampleCalls.garbage(1, caller: SampleCalls.personal))
            _ = try await service.receiveCall(SampleCalls.garbage(2))
            let secrets = [
                "Zeynep Karaağaçlı", "Karaağaçlı", "+905321112233", "0532 111 22 33", "10000000146", "Menekşe Sokak No: 17",
                SampleCalls.personal.text, "Menekşe Sokak 17",
            ]
            for (file, bytes) in try rawFiles(folder) {
                for secret in secrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(file.lastPathComponent)")
                }
            }
            // Authorised reading works before erasure.
            let opened = try #require(try await service.personalData(of: result.ticket))
            #expect(opened.phone == "+905321112233")
            guard case .callReceived(let call)? = try await service.events(of: result.ticket).first else {
                Issue.record("no CallReceived")
                return
            }
            let citizen = call.personalData.citizen
            let (sizeBefore, rootBefore) = try log.root()

            #expect(try await service.eraseCitizen(citizen, by: ActorID(unchecked: "kvkk-officer"), reason: "KVKK başvurusu 2025/17"))
            #expect(try await service.personalData(of: result.ticket) == nil)
            #expect(try log.root(size: sizeBefore).root == rootBefore, "erasure rewrote nothing")
            let report = try log.verify()
            #expect(report.ok, "\(report.reason ?? "")")
            #expect(try log.entries(inStream: StreamID("citizen-\(citizen)")).map(\.type) == ["PersonalDataErased"])
            // The other citizen's data is untouched.
            #expect(try await service.personalData(of: TicketID(year: 2025, sequence: 2))?.text.contains("çöp") == true)
            for (file, bytes) in try rawFiles(folder) {
                for secret in secrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(file.lastPathComponent) after erasure")
                }
            }
        }
    }

    @Test("the erased key's bytes are gone from the vault's files")
    func keyBytesGone() async throws {
        try await withServiceAndVault { service, _, vault, folder in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1, caller: SampleCalls.personal)).ticket
            guard case .callReceived(let call)? = try await service.events(of: ticket).first else {
                Issue.record("no CallReceived")
                return
            }
            let citizen = call.personalData.citizen
            let key = try #require(try vault.key(citizen.rawValue))
            let vaultFile = folder.appendingPathComponent("vault/data.mdb")
            #expect(try Data(contentsOf: vaultFile).range(of: Data(key)) != nil, "the key is in the vault before erasure")
            _ = try await service.eraseCitizen(citizen, by: ActorID(unchecked: "kvkk-officer"), reason: "test")
            let bytes = try Data(contentsOf: vaultFile)
            #expect(bytes.range(of: Data(key)) == nil)
            #expect(bytes.range(of: Data(citizen.rawValue.utf8)) == nil)
            #expect(try vault.key(citizen.rawValue) == nil)
        }
    }
}
