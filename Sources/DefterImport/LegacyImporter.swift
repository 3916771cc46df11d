import Crypto
public import DefterDomain
public import DefterLog
import DefterTickets
import Dispatch
public import Foundation

/// Imports a city's past requests from the system it used before: reads the file a record at a
/// time, maps each record, seals its personal data per citizen as live intake does, and appends
/// the records in atomic batches, each with an `ImportBatchRecorded`.
///
/// Idempotent by (system, source id): a record already imported as it is adds nothing, a record
/// changed since adds one `ImportedRecordChanged`. Resumable: each batch is appended whole or
/// not at all, and a run killed at any point and run again skips what was appended and goes on,
/// numbering as the uninterrupted run would have. Memory stays flat: one batch is held at a time.
public struct LegacyImporter: Sendable {
    let log: EventLog
    /// The key vault; nil for an importer that only ever runs dry.
    let vault: KeyVault?
    let mapping: ImportMapping
    let mapper: RecordMapper
    let mappingSHA256: String
    /// Records per appended batch.
    public var batchSize = 2000

    /// An importer into `log` (with its key `vault`; nil to only run dry) with `mapping`, read
    /// from `mappingText`. `catalogs` are the catalogs published in the log, oldest first (the
    /// last is in force).
    public init(log: EventLog, vault: KeyVault?, mapping: ImportMapping, mappingText: String, catalogs: [Catalog]) {
        self.log = log
        self.vault = vault
        self.mapping = mapping
        self.mapper = RecordMapper(mapping: mapping, catalogs: catalogs)
        self.mappingSHA256 = Hex.encode(SHA256.hash(data: Array(mappingText.utf8)))
    }

    /// The event id of a record's `TicketImported`: `import:<system>:<source id>` (the source id
    /// hashed when it would make the id longer than the log allows).
    public static func importEventID(_ source: ImportSource) -> EventID {
        let plain = "import:\(source.system):\(source.id)"
        if plain.utf8.count <= 120, let id = try? EventID(plain) { return id }
        let hash = Hex.encode(SHA256.hash(data: Array(source.id.utf8))).prefix(40)
        return try! EventID("import:\(source.system):sha256:\(hash)")
    }

    /// Reads `file` and imports it, or with `dryRun` only reports what it would do. `progress`
    /// is told now and then how many records were read and how many bytes of how many.
    public func run(
        file: URL, dryRun: Bool, progress: ((_ records: Int, _ bytes: Int, _ totalBytes: Int) -> Void)? = nil
    ) async throws -> ImportReport {
        precondition(dryRun || vault != nil, "an import that writes needs the key vault")
        let started = Date()
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        let fileSHA256 = try Self.sha256(of: file)
        var reader = try RowReader(url: file, mapping: mapping)
        var report = ImportReport()
        report.dryRun = dryRun
        var state = try RunState(log: log)
        var batch = Batch()
        var dryRunSeen = DryRunIndex()

        // While one batch is sealed and appended, the next is read and mapped: two cores, two stages.
        var inFlight: (task: Task<Void, any Error>, sourceIds: Set<String>)?
        func flush() async throws {
            guard !batch.isEmpty else { return }
            report.batches += 1
            defer { batch = Batch() }
            guard !dryRun else { return }
            try await inFlight?.task.value
            let closed = batch
            let expectedVersion = state.batchesVersion
            let lastNumbers = state.lastNumbers
            state.batchesVersion += 1
            inFlight = (
                Task {
                    try await append(closed, expectedVersion: expectedVersion, lastNumbers: lastNumbers, file: file, fileSHA256: fileSHA256)
                }, closed.sourceIds
            )
        }

        while let row = try reader.next() {
            report.rowsRead += 1
            if report.rowsRead % 5000 == 0 { progress?(report.rowsRead, reader.offset, totalBytes) }
            if let problem = row.problem {
                report.addBad(line: row.line, reason: problem)
                continue
            }
            switch mapper.map(row.row) {
            case .bad(let line, let reason):
                report.addBad(line: line, reason: reason)
            case .unmapped(let line, let values):
                report.unmappedRecords += 1
                report.addUnmapped(values, line: line)
            case .mapped(let record):
                report.mapped += 1
                if batch.sourceIds.contains(record.source.id) { try await flush() }
                // A record whose earlier row is being appended is looked up once that is done.
                if let pending = inFlight, pending.sourceIds.contains(record.source.id) {
                    try await pending.task.value
                    inFlight = nil
                }
                // What the log (or, in a dry run, this run) already holds of the record.
                if dryRun, let seen = dryRunSeen[record.source.id] {
                    if seen.digests.contains(DryRunIndex.short(record.digest)) {
                        report.unchanged += 1
                    } else {
                        report.changed += 1
                        report.uncount(department: seen.department, status: seen.status)
                        report.count(record.record, 1)
                        dryRunSeen.note(record)
                    }
                    continue
                }
                if let (ticket, digests) = try importedTicket(record.source) {
                    if digests.contains(record.digest) {
                        // This state of the record was imported already (an earlier row of the
                        // same id in this file, read again on a second run, included).
                        report.unchanged += 1
                    } else if ticket.importedVersion != ticket.version {
                        report.conflicts.append((record.line, ticket.id, record.source.id))
                    } else {
                        report.changed += 1
                        report.addFindings(record.findings, line: record.line)
                        if let previous = Self.recordState(of: ticket) { report.count(previous, -1) }
                        report.count(record.record, 1)
                        batch.add(change: record, to: ticket)
                        if dryRun { dryRunSeen.note(record, after: digests) }
                    }
                    continue
                }
                report.imported += 1
                report.addFindings(record.findings, line: record.line)
                report.count(record.record, 1)
                let ticket = state.number(for: record.openedAt)
                if let range = report.numbers[ticket.year] {
                    report.numbers[ticket.year] = (range.first, ticket.id)
                } else {
                    report.numbers[ticket.year] = (ticket.id, ticket.id)
                }
                batch.add(new: record, as: ticket.id)
                if dryRun { dryRunSeen.note(record) }
            }
            if batch.count >= batchSize { try await flush() }
        }
        try await flush()
        try await inFlight?.task.value
        progress?(report.rowsRead, totalBytes, totalBytes)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The ticket a record was imported as, as its events leave it, and every digest the record
    /// was imported with; nil when never imported.
    func importedTicket(_ source: ImportSource) throws -> (Ticket, Set<String>)? {
        guard let entry = try log.entry(id: Self.importEventID(source)), let id = TicketID(streamName: entry.stream.rawValue) else {
            return nil
        }
        let events = try TicketService.events(of: id, in: log)
        guard let ticket = try TicketRules.replay(events) else { return nil }
        var digests: Set<String> = []
        for event in events {
            switch event {
            case .ticketImported(let e): digests.insert(e.digest)
            case .importedRecordChanged(let e): digests.insert(e.digest)
            default: break
            }
        }
        return (ticket, digests)
    }

    /// The imported state a ticket is in, when Defter has not worked it since.
    static func recordState(of ticket: Ticket) -> ImportedRecordState? {
        guard let department = ticket.department else { return nil }
        let state: ImportedState =
            switch ticket.status {
            case .acknowledged: .acknowledged
            case .inProgress: .inProgress
            case .resolved: .resolved
            case .closed: .closed
            case .cancelled: .cancelled
            default: .open
            }
        return ImportedRecordState(
            state: state, closedAt: ticket.closedAt ?? ticket.resolvedAt, updatedAt: nil, department: department, category: ticket.category,
            standardHours: ticket.standardHours, priority: ticket.priority, dueAt: ticket.dueAt)
    }

    /// Seals the batch's personal data (new citizens' keys made durable first, in one vault
    /// commit) and appends the batch with its `ImportBatchRecorded`, atomically.
    private func append(_ batch: Batch, expectedVersion: UInt64, lastNumbers: [Int: Int], file: URL, fileSHA256: String) async throws {
        guard let vault else { preconditionFailure("checked in run") }
        let sealer = PersonalDataSealer(vault: vault)
        // A caller is the same citizen as at live intake when the source gives a phone; a record
        // without one is a citizen of its own, derived from its source id (so a resumed import
        // names the same citizens as an uninterrupted one).
        let citizens = try batch.new.map { item in
            let data = item.record.personalData
            return data.phone != nil || data.nationalId != nil
                ? try sealer.citizen(for: data)
                : try sealer.citizen(identity: "import:\(item.record.source.system):\(item.record.source.id)")
        }
        let keys = try vault.keys(Array(Set(citizens.map(\.rawValue)))) { Self.randomKey() }
        var events: [NewEvent] = []
        events.reserveCapacity(batch.count + 1)
        let recorded = ImportBatchRecorded(
            system: mapping.system, file: file.lastPathComponent, fileSHA256: fileSHA256, mappingSHA256: mappingSHA256,
            firstLine: batch.firstLine, lastLine: batch.lastLine, imported: batch.new.count, changed: batch.changes.count,
            lastNumbers: Dictionary(uniqueKeysWithValues: lastNumbers.map { (String($0.key), $0.value) }))
        events.append(
            NewEvent(
                stream: try StreamID(ImportBatchRecorded.stream), type: "ImportBatchRecorded", data: try Self.encoder.encode(recorded),
                id: try EventID("import-batch:\(expectedVersion + 1)"),
                expectedVersion: expectedVersion, actor: "import:\(mapping.system)"))
        // Sealing and encoding are independent per record: both cores share them.
        let new = batch.new
        let actor = "import:\(mapping.system)"
        let encoded = try Self.parallelMap(new.indices) { index -> NewEvent in
            let item = new[index]
            let record = item.record
            let sealed = try sealer.seal(record.personalData, for: citizens[index], key: keys[citizens[index].rawValue])
            let event = TicketImported(
                ticket: item.ticket, source: record.source, at: record.openedAt, record: record.record,
                catalogVersion: record.catalogVersion, channel: record.channel, location: record.location, personalData: sealed,
                textLength: record.personalData.text.count, digest: record.digest, findings: record.findings)
            return NewEvent(
                stream: try StreamID(item.ticket.streamName), type: "TicketImported", data: event.json,
                id: Self.importEventID(record.source), expectedVersion: 0, actor: actor, schemaVersion: TicketEvent.schemaVersion)
        }
        events += encoded
        for (record, ticket) in batch.changes {
            var findings = record.findings
            if let closedAt = ticket.closedAt ?? ticket.resolvedAt, !ticket.status.isOpen,
                record.record.updatedAt.map({ $0 > closedAt }) ?? false
            {
                findings.append(.changedAfterClosure)
            }
            let event = ImportedRecordChanged(
                ticket: ticket.id, source: record.source,
                at: record.record.updatedAt ?? record.record.closedAt ?? record.openedAt, record: record.record,
                previousDigest: ticket.sourceDigest ?? "", digest: record.digest, findings: findings)
            events.append(
                NewEvent(
                    stream: try StreamID(ticket.id.streamName), type: "ImportedRecordChanged", data: try Self.encoder.encode(event),
                    id: try EventID("\(Self.importEventID(record.source).rawValue):v\(ticket.version + 1)"),
                    expectedVersion: UInt64(ticket.version), actor: "import:\(mapping.system)", schemaVersion: TicketEvent.schemaVersion))
        }
        do {
            try await log.append(events)
        } catch AppendError.versionConflict(let stream, _, _) where stream.rawValue == ImportBatchRecorded.stream {
            throw ImportError.conflict(
                "another import appended to the log while this one ran; nothing of this batch was written. Run the import again: it goes on where the log stands"
            )
        }
    }

    static let encoder = JSONValueEncoder(dates: { .string(TicketEventCodec.format($0)) })

    /// `transform` over `indices` on every core, in order; the first error is thrown.
    static func parallelMap<T>(_ indices: Range<Int>, _ transform: @Sendable (Int) throws -> T) throws -> [T] {
        let count = indices.count
        guard count > 64 else { return try indices.map(transform) }
        let chunks = min(count / 32, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        var results = [Result<T, any Error>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let slots = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = indices.lowerBound + chunk * count / chunks
                let end = indices.lowerBound + (chunk + 1) * count / chunks
                for index in start..<end { slots[index - indices.lowerBound] = Result { try transform(index) } }
            }
        }
        return try results.map { try $0!.get() }
    }

    /// A new 256-bit key: four draws from the system's generator.
    static func randomKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var key: [UInt8] = []
        key.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next()) { key.append(contentsOf: $0) } }
        return key
    }

    static func sha256(of file: URL) throws -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: file) } catch {
            throw ImportError.unreadable(file.path, error.localizedDescription)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return Hex.encode(hasher.finalize())
    }
}

extension LegacyImporter {
    /// The tickets imported with source id `id`, from `system` or from any system imported so far.
    public static func ticket(source id: String, system: String?, in log: EventLog) throws -> [(system: String, ticket: TicketID)] {
        var systems: [String] = []
        if let system {
            systems = [system]
        } else {
            let stream = try StreamID(ImportBatchRecorded.stream)
            let decoder = TicketEventCodec.makeDecoder()
            var from: UInt64 = 1
            var seen: Set<String> = []
            while true {
                let entries = try log.entries(inStream: stream, fromVersion: from, limit: 1000)
                guard let last = entries.last else { break }
                for entry in entries {
                    let system = try decoder.decode(ImportBatchRecorded.self, from: Data(entry.payload)).system
                    if seen.insert(system).inserted { systems.append(system) }
                }
                from = last.streamVersion + 1
            }
        }
        return try systems.compactMap { system in
            guard let entry = try log.entry(id: importEventID(ImportSource(system: system, id: id))),
                let ticket = TicketID(streamName: entry.stream.rawValue)
            else { return nil }
            return (system, ticket)
        }
    }

    /// Every catalog published in `log`, oldest first.
    public static func publishedCatalogs(in log: EventLog) throws -> [Catalog] {
        let stream = try StreamID(TicketService.catalogStream)
        let decoder = TicketEventCodec.makeDecoder()
        return try log.entries(inStream: stream, fromVersion: 1, limit: 1000).map {
            try decoder.decode(CatalogPublished.self, from: Data($0.payload)).catalog
        }
    }
}

/// The imports' shared numbering and the `imports` stream's version, read from the log's last
/// `ImportBatchRecorded` and carried from batch to batch.
struct RunState {
    var batchesVersion: UInt64
    /// Per year, the last imported number given out (committed or in the pending batch).
    var lastNumbers: [Int: Int]

    init(log: EventLog) throws {
        let stream = try StreamID(ImportBatchRecorded.stream)
        batchesVersion = try log.version(of: stream)
        var numbers: [Int: Int] = [:]
        if batchesVersion > 0, let last = try log.entries(inStream: stream, fromVersion: batchesVersion, limit: 1).first {
            let recorded = try TicketEventCodec.makeDecoder().decode(ImportBatchRecorded.self, from: Data(last.payload))
            for (year, number) in recorded.lastNumbers { if let year = Int(year) { numbers[year] = number } }
        }
        lastNumbers = numbers
    }

    /// The next imported number for a record opened at `openedAt`, in the year of its opening in Istanbul.
    mutating func number(for openedAt: Date) -> (id: TicketID, year: Int) {
        let year = IstanbulDate(openedAt).year
        let next = (lastNumbers[year] ?? 0) + 1
        lastNumbers[year] = next
        return (ImportNumbering.ticket(year: year, index: next), year)
    }
}

/// What a dry run has seen of each source id, so that a later row of the same id counts as a
/// change, as the real run would append it: compact (a 64-bit hash of the id, 64 bits of each
/// digest, the department and status), since a dry run writes no log to look things up in.
struct DryRunIndex {
    struct Seen {
        var digests: [UInt64]
        var department: String
        var status: String
    }

    private var seen: [UInt64: Seen] = [:]

    static func short(_ digest: String) -> UInt64 { UInt64(digest.prefix(16), radix: 16) ?? 0 }

    static func key(_ id: String) -> UInt64 {
        // FNV-1a: stable and cheap; 64 bits keep collisions out of reach for any export's size.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    subscript(id: String) -> Seen? { seen[Self.key(id)] }

    mutating func note(_ record: MappedRecord, after earlier: Set<String> = []) {
        let key = Self.key(record.source.id)
        var digests = seen[key]?.digests ?? earlier.map(Self.short)
        digests.append(Self.short(record.digest))
        seen[key] = Seen(digests: digests, department: record.record.department.rawValue, status: record.record.state.status.rawValue)
    }
}

/// The records of one batch, waiting to be sealed and appended.
struct Batch: Sendable {
    var new: [(record: MappedRecord, ticket: TicketID)] = []
    var changes: [(record: MappedRecord, ticket: Ticket)] = []
    var sourceIds: Set<String> = []
    var firstLine = 0
    var lastLine = 0

    var count: Int { new.count + changes.count }
    var isEmpty: Bool { count == 0 }

    mutating func add(new record: MappedRecord, as ticket: TicketID) {
        note(record)
        new.append((record, ticket))
    }

    mutating func add(change record: MappedRecord, to ticket: Ticket) {
        note(record)
        changes.append((record, ticket))
    }

    private mutating func note(_ record: MappedRecord) {
        if isEmpty { firstLine = record.line }
        lastLine = record.line
        sourceIds.insert(record.source.id)
    }
}

extension TicketImported {
    /// The event's data object, built directly: what `JSONEncoder` writes for it (keys sorted by
    /// the log's canonical form, absent optionals left out), without `Encodable`'s dynamic casts.
    var json: JSONValue {
        func time(_ date: Date) -> JSONValue { .string(TicketEventCodec.format(date)) }
        var state: [String: JSONValue] = [
            "state": .string(record.state.rawValue), "department": .string(record.department.rawValue),
        ]
        if let closedAt = record.closedAt { state["closedAt"] = time(closedAt) }
        if let updatedAt = record.updatedAt { state["updatedAt"] = time(updatedAt) }
        if let category = record.category { state["category"] = .string(category.rawValue) }
        if let hours = record.standardHours { state["standardHours"] = .integer(Int64(hours)) }
        if let priority = record.priority { state["priority"] = .integer(Int64(priority)) }
        if let dueAt = record.dueAt { state["dueAt"] = time(dueAt) }
        var place: [String: JSONValue] = ["district": .string(location.district)]
        if let neighbourhood = location.neighbourhood { place["neighbourhood"] = .string(neighbourhood) }
        return .object([
            "ticket": .string(ticket.rawValue), "source": .object(["system": .string(source.system), "id": .string(source.id)]),
            "at": time(at), "record": .object(state), "catalogVersion": .integer(Int64(catalogVersion)),
            "channel": .string(channel.rawValue), "location": .object(place),
            "personalData": .object([
                "citizen": .string(personalData.citizen.rawValue), "algorithm": .string(personalData.algorithm),
                "sealed": .string(personalData.sealed), "fields": .array(personalData.fields.map { .string($0) }),
            ]),
            "textLength": .integer(Int64(textLength)), "digest": .string(digest), "findings": .array(findings.map { .string($0.rawValue) }),
        ])
    }
}
