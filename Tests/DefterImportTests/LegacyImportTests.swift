import DefterDomain
import DefterImport
import DefterLog
import DefterLogTestSupport
import DefterProjections
import DefterRouting
import DefterTickets
import DefterTransparency
import Foundation
import Testing

/// A log, its vault and the catalog in force, in a temporary folder.
struct ImportFixture {
    let log: EventLog
    let vault: KeyVault
    let service: TicketService
    let folder: URL

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    static func with<T>(_ body: (ImportFixture) async throws -> T) async throws -> T {
        try await withTemporaryLog { log, folder in
            let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
            defer { vault.close() }
            let catalog = try BundledCatalog.load()
            let service = TicketService(
                log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog)
            _ = try await service.catalogInForce()
            return try await body(ImportFixture(log: log, vault: vault, service: service, folder: folder))
        }
    }

    func importer(_ mappingFile: String) throws -> LegacyImporter {
        let text = try String(contentsOf: try Self.fixture(mappingFile), encoding: .utf8)
        let catalogs = try LegacyImporter.publishedCatalogs(in: log)
        return LegacyImporter(
            log: log, vault: vault, mapping: try ImportMapping(toml: text, catalog: catalogs.last!), mappingText: text, catalogs: catalogs)
    }

    func run(_ file: URL, _ mappingFile: String, dryRun: Bool = false) async throws -> ImportReport {
        try await importer(mappingFile).run(file: file, dryRun: dryRun)
    }

    /// The statistics of everything in the log, rebuilt from zero.
    func facts() throws -> [TicketFact] {
        let projections = try Projections(log: log, root: folder.appendingPathComponent("projections-\(UUID().uuidString)"))
        defer { projections.close() }
        _ = try projections.catchUp()
        return try projections.stats.facts()
    }
}

/// What `tools/check_import.py` (the independent Python checker, reading the source with `csv`
/// alone) computed from a fixture: the importer must agree with it on every count.
struct ExpectedImport: Decodable {
    let rowsRead: Int
    let mapped: Int
    let imported: Int
    let changed: Int
    let unchanged: Int
    let unmappedRecords: Int
    let bad: [Bad]
    let unmapped: [String: [String: Int]]
    let byDepartment: [String: Int]
    let byStatus: [String: Int]
    let resolved: Int
    let resolveMedianMilliseconds: Int64?

    struct Bad: Decodable { let line: Int }

    static func load(_ name: String) throws -> ExpectedImport {
        try JSONDecoder().decode(ExpectedImport.self, from: Data(contentsOf: try ImportFixture.fixture(name)))
    }
}

@Suite struct LegacyImportTests {
    func expectAgreement(_ report: ImportReport, _ expected: ExpectedImport) {
        #expect(report.rowsRead == expected.rowsRead)
        #expect(report.mapped == expected.mapped)
        #expect(report.imported == expected.imported)
        #expect(report.changed == expected.changed)
        #expect(report.unchanged == expected.unchanged)
        #expect(report.unmappedRecords == expected.unmappedRecords)
        #expect(report.bad.map(\.line) == expected.bad.map(\.line))
        var unmapped: [String: [String: Int]] = [:]
        for (value, entry) in report.unmapped { unmapped[value.section, default: [:]][value.value] = entry.count }
        #expect(unmapped == expected.unmapped)
        #expect(report.byDepartment == expected.byDepartment)
        #expect(report.byStatus == expected.byStatus)
    }

    @Test("the Turkish CRM export (Windows-1254, embedded newlines, bad and unmapped rows) imports as the independent checker computes")
    func turkishExport() async throws {
        try await ImportFixture.with { fixture in
            let expected = try ExpectedImport.load("expected-turkish-crm.json")
            let source = try ImportFixture.fixture("turkish-crm.csv")
            let dry = try await fixture.run(source, "turkish-crm.toml", dryRun: true)
            #expect(dry.dryRun)
            expectAgreement(dry, expected)
            let sizeBefore = try fixture.log.size()
            let report = try await fixture.run(source, "turkish-crm.toml")
            #expect(try fixture.log.size() > sizeBefore)
            expectAgreement(report, expected)
            // The statistics of the log say what the source says.
            let facts = try fixture.facts().filter(\.imported)
            let rows = StatisticsReport.rows(of: facts, by: .department)
            #expect(rows.total.calls == expected.imported)
            #expect(rows.total.resolved == expected.resolved)
            #expect(rows.total.resolveMedianMilliseconds == expected.resolveMedianMilliseconds)
            #expect(Dictionary(uniqueKeysWithValues: rows.rows.map { ($0.key, $0.calls) }) == expected.byDepartment)
            let statuses = StatisticsReport.rows(of: facts, by: .status).rows
            #expect(Dictionary(uniqueKeysWithValues: statuses.map { ($0.key, $0.calls) }) == expected.byStatus)
        }
    }

    @Test("a second import of the same file appends nothing")
    func idempotent() async throws {
        try await ImportFixture.with { fixture in
            let source = try ImportFixture.fixture("turkish-crm.csv")
            let first = try await fixture.run(source, "turkish-crm.toml")
            let size = try fixture.log.size()
            let second = try await fixture.run(source, "turkish-crm.toml")
            #expect(try fixture.log.size() == size)
            #expect(second.imported == 0)
            #expect(second.changed == 0)
            #expect(second.unchanged == first.imported + first.changed + first.unchanged)
            #expect(second.numbers.isEmpty)
        }
    }

    @Test("a record closed in the source since the first import appends one ImportedRecordChanged, and only that")
    func changedRecord() async throws {
        try await ImportFixture.with { fixture in
            let folder = fixture.folder.deletingLastPathComponent()
            let before = folder.appendingPathComponent("before.csv")
            let after = folder.appendingPathComponent("after.csv")
            let header = "id,opened,closed,status,type,district,text\n"
            try Data((header + "A-1,2024-03-01T09:00:00Z,,open,Çöp,Onikişubat,çöp\nA-2,2024-03-02T09:00:00Z,,open,Çöp,Elbistan,çöp\n").utf8)
                .write(to: before)
            try Data(
                (header
                    + "A-1,2024-03-01T09:00:00Z,2024-03-03T10:00:00Z,closed,Çöp,Onikişubat,çöp\nA-2,2024-03-02T09:00:00Z,,open,Çöp,Elbistan,çöp\n")
                    .utf8
            ).write(to: after)
            let first = try await fixture.run(before, "simple.toml")
            #expect(first.imported == 2)
            let ticket = try #require(first.numbers[2024]?.first)
            let size = try fixture.log.size()
            let second = try await fixture.run(after, "simple.toml")
            #expect(second.imported == 0)
            #expect(second.changed == 1)
            #expect(second.unchanged == 1)
            // One batch marker and one change.
            #expect(try fixture.log.size() == size + 2)
            let events = try await fixture.service.events(of: ticket)
            #expect(events.map(\.typeName) == ["TicketImported", "ImportedRecordChanged"])
            let state = try #require(try await fixture.service.ticket(ticket))
            #expect(state.status == .closed)
            #expect(state.resolvedAt == Date(timeIntervalSince1970: 1_709_460_000))
            // Running the changed file again adds nothing.
            let third = try await fixture.run(after, "simple.toml")
            #expect(third.changed == 0 && third.imported == 0)
        }
    }

    @Test("a source change to a ticket Defter has worked since is reported as a conflict and not applied")
    func workedSinceImport() async throws {
        try await ImportFixture.with { fixture in
            let folder = fixture.folder.deletingLastPathComponent()
            let source = folder.appendingPathComponent("source.csv")
            let header = "id,opened,closed,status,type,district,text\n"
            try Data((header + "B-1,2024-05-01T09:00:00Z,,open,Çöp,Onikişubat,çöp\n").utf8).write(to: source)
            let first = try await fixture.run(source, "simple.toml")
            let ticket = try #require(first.numbers[2024]?.first)
            let crew = try ActorID("temizlik-ekip-1")
            try await fixture.service.handle(
                .acknowledge(actingDepartment: try DepartmentID("temizlik"), by: crew, at: Date()), on: ticket, actor: crew)
            try Data((header + "B-1,2024-05-01T09:00:00Z,2024-05-02T09:00:00Z,closed,Çöp,Onikişubat,çöp\n").utf8).write(to: source)
            let size = try fixture.log.size()
            let second = try await fixture.run(source, "simple.toml")
            #expect(second.conflicts.map(\.ticket) == [ticket])
            #expect(second.changed == 0)
            #expect(try fixture.log.size() == size)
            #expect(try await fixture.service.ticket(ticket)?.status == .acknowledged)
        }
    }

    @Test("imported tickets are numbered YYYY-9NNNNNNN: the live numbering of the same year is not disturbed")
    func numbering() async throws {
        try await ImportFixture.with { fixture in
            let report = try await fixture.run(try ImportFixture.fixture("turkish-crm.csv"), "turkish-crm.toml")
            #expect(report.numbers[2024]?.first.rawValue == "2024-90000001")
            #expect(report.numbers[2024]?.last.rawValue == "2024-90000056")
            var call = CallRequest(
                callId: "live-1", channel: .phone, operatorId: "op-1", at: Date(timeIntervalSince1970: 1_717_000_000),
                district: "Onikişubat", caller: PersonalData(text: "Sokakta çöp birikti"))
            call.neighbourhood = nil
            let live = try await fixture.service.receiveCall(call)
            #expect(live.ticket.rawValue == "2024-000001")
            #expect(ImportNumbering.isImported(try TicketID("2024-90000001")))
            #expect(!ImportNumbering.isImported(live.ticket))
            // Found by the source's id.
            let found = try LegacyImporter.ticket(source: "KM-2024-000101", system: nil, in: fixture.log)
            #expect(found.count == 1)
            #expect(found.first?.system == "kahramanmaras-crm")
        }
    }

    @Test("imported open tickets wait in their department's queue with their original deadline")
    func openTicketsInQueues() async throws {
        try await ImportFixture.with { fixture in
            let folder = fixture.folder.deletingLastPathComponent()
            let source = folder.appendingPathComponent("open.csv")
            let header = "id,opened,closed,status,type,district,text\n"
            try Data((header + "Q-1,2024-03-01T09:00:00Z,,open,Çöp,Onikişubat,çöp dolu\n").utf8).write(to: source)
            let report = try await fixture.run(source, "simple.toml")
            let ticket = try #require(report.numbers[2024]?.first)
            let projections = try Projections(log: fixture.log)
            defer { projections.close() }
            _ = try projections.catchUp()
            let page = try projections.queues.queue(try DepartmentID("temizlik"))
            let item = try #require(page.items.first { $0.ticket == ticket })
            #expect(item.status == .routed)
            // temizlik.cop-toplama's standard in the catalog in force: counted from the source's opening.
            let standard = try #require(try BundledCatalog.load().category(try CategoryID("temizlik.cop-toplama"))?.category.standardHours)
            #expect(item.dueAt == Date(timeIntervalSince1970: 1_709_283_600 + Double(standard) * 3600))
            // The department works it like any other ticket.
            let crew = try ActorID("temizlik-ekip-2")
            try await fixture.service.handle(
                .acknowledge(actingDepartment: try DepartmentID("temizlik"), by: crew, at: Date()), on: ticket, actor: crew)
            try await fixture.service.handle(
                .resolve(code: "collected", note: "", actingDepartment: try DepartmentID("temizlik"), by: crew, at: Date()), on: ticket,
                actor: crew)
            #expect(try await fixture.service.ticket(ticket)?.status == .resolved)
        }
    }

    @Test("personal data is sealed per citizen: the log holds no name or phone in plaintext, and erasure works as for calls")
    func personalDataSealed() async throws {
        try await ImportFixture.with { fixture in
            let report = try await fixture.run(try ImportFixture.fixture("turkish-crm.csv"), "turkish-crm.toml")
            #expect(report.imported > 0)
            let entries = try fixture.log.entries(from: 1, limit: 10_000)
            let everything = entries.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: "\n")
            // The fixture's callers, as written and as normalized; whole numbers, as a short
            // fragment ("0532") turns up by chance in the ids and digests of a thousand entries.
            for personal in [
                "Mehmet Yıldız", "Ayşe Kaya", "Hasan Çelik", "hasan.celik@example.com", "418 22 91", "4182291", "225 10 74", "2251074",
            ] {
                #expect(!everything.contains(personal), "\(personal) is in the log in plaintext")
            }
            let ticket = try #require(report.numbers[2024]?.first)
            let opened = try #require(try await fixture.service.personalData(of: ticket))
            #expect(!opened.text.isEmpty)
            guard case .ticketImported(let imported)? = try await fixture.service.events(of: ticket).first else {
                Issue.record("the first event is not TicketImported")
                return
            }
            _ = try await fixture.service.eraseCitizen(imported.personalData.citizen, by: try ActorID("kvkk"), reason: "KVKK başvurusu")
            #expect(try await fixture.service.personalData(of: ticket) == nil)
            #expect(try fixture.log.verify().ok)
        }
    }

    @Test("the audit replays imported histories and lists what the source got wrong as findings of the import, not of the log")
    func auditFindings() async throws {
        try await ImportFixture.with { fixture in
            _ = try await fixture.run(try ImportFixture.fixture("turkish-crm.csv"), "turkish-crm.toml")
            let report = try await Auditor.audit(
                fixture.log, projections: nil, scratch: fixture.folder.deletingLastPathComponent().appendingPathComponent("scratch"))
            #expect(report.findings.isEmpty, "\(report.findings)")
            #expect(report.observations.importedBySystem == ["kahramanmaras-crm": 60])
            let findings = report.observations.importFindings.map(\.finding)
            #expect(findings.contains("closed before it was opened"))
            #expect(findings.contains("has a closing time but its status is open"))
        }
    }

    @Test("a US city's open-data 311 export imports as the independent checker computes")
    func usOpenData() async throws {
        try await ImportFixture.with { fixture in
            let expected = try ExpectedImport.load("expected-nyc-311-sample.json")
            let report = try await fixture.run(try ImportFixture.fixture("nyc-311-sample.csv"), "us-311.toml")
            expectAgreement(report, expected)
            let facts = try fixture.facts().filter(\.imported)
            let total = StatisticsReport.rows(of: facts, by: nil).total
            #expect(total.resolved == expected.resolved)
            #expect(total.resolveMedianMilliseconds == expected.resolveMedianMilliseconds)
        }
    }

    @Test("an Open311 GeoReport requests.json imports as the independent checker computes")
    func open311Dump() async throws {
        try await ImportFixture.with { fixture in
            let expected = try ExpectedImport.load("expected-open311-requests.json")
            let report = try await fixture.run(try ImportFixture.fixture("open311-requests.json"), "open311.toml")
            expectAgreement(report, expected)
        }
    }

    @Test("mapping mistakes are refused before anything is read, saying what to fix")
    func mappingErrors() throws {
        let catalog = try BundledCatalog.load()
        func message(_ toml: String) -> String {
            do {
                _ = try ImportMapping(toml: toml, catalog: catalog)
                return "accepted"
            } catch { return error.description }
        }
        let base = "[source]\nsystem = \"x\"\n[columns]\nsource_id = \"id\"\nopened = \"opened\"\n"
        #expect(message(base) == "accepted")
        #expect(message("[columns]\nsource_id = \"id\"\nopened = \"o\"\n").contains("[source] needs system"))
        #expect(message(base + "[agencies]\n\"DPW\" = \"roads\"\n").contains("there is no department 'roads'"))
        #expect(message(base + "[statuses]\n\"Open\" = \"pending\"\n").contains("the states are open, acknowledged"))
        #expect(message(base + "[districts]\n\"Merkez\" = \"Ankara\"\n").contains("the city's districts are"))
        #expect(
            message(base.replacingOccurrences(of: "system = \"x\"", with: "system = \"x\"\ntimezone = \"Mars/Olympus\"")).contains("IANA"))
        #expect(message(base + "[sources]\n").contains("unknown section [sources]"))
        #expect(message("[source\nsystem=").contains("not valid TOML"))
    }

    @Test("a header without a mapped column is refused naming the columns it has")
    func missingColumn() async throws {
        try await ImportFixture.with { fixture in
            let source = fixture.folder.deletingLastPathComponent().appendingPathComponent("wrong.csv")
            try Data("id;opened;status\n1;2024-01-01T00:00:00Z;open\n".utf8).write(to: source)
            await #expect {
                _ = try await fixture.run(source, "simple.toml")
            } throws: { error in
                "\(error)".contains("the file's header does not have") && "\(error)".contains("delimiter")
            }
        }
    }

    @Test("every imported event validates against its JSON Schema")
    func schemas() async throws {
        try await ImportFixture.with { fixture in
            let folder = fixture.folder.deletingLastPathComponent()
            let source = folder.appendingPathComponent("change.csv")
            let header = "id,opened,closed,status,type,district,text\n"
            try Data((header + "S-1,2024-03-01T09:00:00Z,,open,Çöp,Onikişubat,çöp\n").utf8).write(to: source)
            _ = try await fixture.run(source, "simple.toml")
            try Data((header + "S-1,2024-03-01T09:00:00Z,2024-03-01T08:00:00Z,closed,Çöp,Onikişubat,çöp\n").utf8).write(to: source)
            _ = try await fixture.run(source, "simple.toml")
            _ = try await fixture.run(try ImportFixture.fixture("turkish-crm.csv"), "turkish-crm.toml")
            let entries = try fixture.log.entries(from: 1, limit: 10_000)
            #expect(Set(entries.map(\.type)).isSuperset(of: ["TicketImported", "ImportedRecordChanged", "ImportBatchRecorded"]))
            // Replay decodes member by member; it equals Foundation's Decodable. The stored data,
            // built by hand for speed, is exactly what Foundation's JSONEncoder writes.
            for entry in entries {
                #expect(try TicketService.ticketEvent(entry) == TicketEventCodec.decode(type: entry.type, data: Data(entry.payload)))
                guard let event = try TicketService.ticketEvent(entry) else { continue }
                let viaFoundation = try JSONValue(parsing: Array(TicketEventCodec.encode(event))).canonicalString
                #expect(try JSONValue(parsing: entry.payload).canonicalString == viaFoundation, "\(entry.type)")
            }
            let file = folder.appendingPathComponent("entries.ndjson")
            try Data(entries.flatMap { $0.bytes + [0x0a] }).write(to: file)
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "tools/validate_events.py", "--schemas", "Schemas/events", file.path]
            process.currentDirectoryURL = repository
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(output)")
            #expect(output.contains("\(entries.count) passed, 0 failed"))
        }
    }
}
