import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterTickets
import Foundation
import Testing

/// Every event type the application emits is produced here through the real service, and every
/// stored entry is checked against `Schemas/events` by an independent validator (Python's
/// `jsonschema`, run by `tools/validate_events.py`).
@Suite struct SchemaConformanceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every event the domain emits validates against its JSON Schema")
    func everyEventValidates() async throws {
        try await withService { service, log, folder in
            let t0 = SampleCalls.t0
            func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
            let crew = ActorID(unchecked: "ekip-1")
            let operatorID = ActorID(unchecked: "op-7")

            // Routed, worked, resolved, closed, rated, reopened, notified.
            let one = try await service.receiveCall(SampleCalls.garbage(1, caller: SampleCalls.personal)).ticket
            let department = try #require(try await service.ticket(one)?.department)
            for command: DefterDomain.TicketCommand in [
                .assign(assignee: "ekip-1", actingDepartment: department, by: crew, at: at(0.5)),
                .acknowledge(actingDepartment: department, by: crew, at: at(1)),
                .startWork(actingDepartment: department, by: crew, at: at(2)),
                .resolve(code: "collected", note: "Boşaltıldı.", actingDepartment: department, by: crew, at: at(3)),
                .notifyCitizen(channel: "sms", template: "resolved", by: operatorID, at: at(3.1)),
                .notifyCitizen(
                    channel: "email", template: "resolved", by: .notifier, at: at(3.15),
                    delivery: NotificationDelivery(
                        outcome: "failed", attempts: 3, triggerSequence: 9, triggerType: "TicketResolved", failure: "smtp 550 after RCPT TO"
                    )),
                .addNote(text: "Vatandaş aranıp bilgi verildi <b>", visibility: .public, by: crew, at: at(3.2)),
                .addNote(text: "Ekip 2 yönlendirildi", visibility: .internal, by: crew, at: at(3.3)),
                .close(reason: "confirmed", by: operatorID, at: at(4)),
                .recordFeedback(satisfaction: 4, at: at(5), fixed: true),
                .reopen(reason: "Yine taştı", by: operatorID, at: at(30)),
                .escalate(at: at(30 + 25)),
            ] {
                try await service.handle(command, on: one, actor: crew)
            }
            // Referred, overridden, merged, cancelled, information-only.
            var quiet = SampleCalls.garbage(2)
            quiet.notify = false
            let two = try await service.receiveCall(quiet).ticket
            try await service.handle(
                .refer(
                    to: DepartmentID(unchecked: "fen-isleri"), category: nil, reason: "Yol işi", actingDepartment: nil, by: crew, at: at(1)),
                on: two, actor: crew)
            try await service.handle(
                .overrideRouting(department: DepartmentID(unchecked: "zabita"), category: nil, reason: "İşgal", by: operatorID, at: at(2)),
                on: two, actor: operatorID)
            try await service.handle(.mergeAsDuplicate(of: one, by: operatorID, at: at(3)), on: two, actor: operatorID)
            let three = try await service.receiveCall(SampleCalls.garbage(3)).ticket
            try await service.handle(.cancel(reason: .abusive, note: "Hakaret", by: operatorID, at: at(1)), on: three, actor: operatorID)
            var information = SampleCalls.garbage(4)
            information.informationTopic = "vergi-odeme"
            _ = try await service.receiveCall(information)
            var unsure = SampleCalls.garbage(5)
            unsure.caller = PersonalData(text: "alo merhaba")
            _ = try await service.receiveCall(unsure)
            // Photos: the citizen's while open, the crew's "after" once resolved.
            let six = try await service.receiveCall(SampleCalls.garbage(6, caller: SampleCalls.personal)).ticket
            let sixDepartment = try #require(try await service.ticket(six)?.department)
            _ = try await service.attachPhoto(
                try PhotoFixtures.load("gps.jpg"), claimed: .jpeg, role: .citizen, to: six, actingDepartment: nil, by: operatorID)
            try await service.handle(.acknowledge(actingDepartment: sixDepartment, by: crew, at: at(1)), on: six, actor: crew)
            try await service.handle(
                .resolve(code: "collected", note: "", actingDepartment: sixDepartment, by: crew, at: at(2)), on: six, actor: crew)
            _ = try await service.attachPhoto(
                try PhotoFixtures.load("gps.webp"), claimed: .webp, role: .after, to: six, actingDepartment: sixDepartment, by: crew)
            _ = try await service.readPersonalData(of: one, by: operatorID, reason: "Vatandaşı geri aramak için")
            guard case .callReceived(let call)? = try await service.events(of: one).first else { throw CancellationError() }
            _ = try await service.eraseCitizen(call.personalData.citizen, by: ActorID(unchecked: "kvkk"), reason: "KVKK başvurusu")

            let entries = try log.entries(from: 1, limit: 10_000)
            let emitted = Set(entries.map(\.type))
            // Imported records are not the service's: `ImportConformanceTests` validates them.
            let serviceTypes = Set(TicketEvent.typeNames).subtracting(["TicketImported", "ImportedRecordChanged"])
            #expect(emitted.isSuperset(of: serviceTypes), "missing: \(serviceTypes.subtracting(emitted))")
            #expect(
                emitted.isSuperset(of: [
                    "CatalogPublished", "RouterPublished", "TicketNumberAssigned", "PersonalDataErased", "PersonalDataAccessed",
                ]))
            // Replays decode member by member (EventFields); the result equals Foundation's Decodable.
            for entry in entries {
                #expect(try TicketService.ticketEvent(entry) == TicketEventCodec.decode(type: entry.type, data: Data(entry.payload)))
            }
            // Appends encode events straight into JSON values; the stored data is exactly what
            // Foundation's JSONEncoder writes for the same event.
            let direct = JSONValueEncoder(dates: { .string(TicketEventCodec.format($0)) })
            for entry in entries {
                guard let event = try TicketService.ticketEvent(entry) else { continue }
                let viaFoundation = try JSONValue(parsing: Array(TicketEventCodec.encode(event))).canonicalString
                #expect(try direct.encode(event.payload).canonicalString == viaFoundation, "\(entry.type)")
                #expect(try JSONValue(parsing: entry.payload).canonicalString == viaFoundation, "\(entry.type)")
            }

            let file = folder.deletingLastPathComponent().appendingPathComponent("entries.ndjson")
            var ndjson = Data()
            for entry in entries {
                ndjson.append(contentsOf: entry.bytes)
                ndjson.append(0x0a)
            }
            try ndjson.write(to: file)
            let result = try Self.runPython(["tools/validate_events.py", "--schemas", "Schemas/events", file.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("\(entries.count) passed, 0 failed"))
        }
    }

    static func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = repository
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
