import DefterDomain
public import DefterLog
import DefterTickets
public import Foundation
import Synchronization

/// Runs one projection: catches up from its checkpoint in batches, then follows the log's live
/// tail. Each batch's state and the checkpoint (the last sequence applied) commit in the same
/// store transaction, so a crash can neither apply an entry twice nor skip one.
public final class ProjectionWorker: Sendable {
    /// The projection it runs.
    public let projection: any TicketProjection
    /// Its store.
    public let store: KeyValueStore
    let log: EventLog
    private let batchSize: Int
    private let failure = Mutex<ProjectionError?>(nil)

    /// The worker's own databases: `meta` (checkpoint) and `state` (each ticket's `Ticket`).
    static let workerDatabases = ["meta", "state"]
    static let checkpointKey = Array("checkpoint".utf8)

    /// The folder of `projection`'s store under `root`: `<name>-v<version>`.
    public static func folder(for projection: any TicketProjection, under root: URL) -> URL {
        root.appendingPathComponent("\(projection.name)-v\(projection.version)")
    }

    /// Opens the projection's store under `root` (creating it empty when missing).
    public init(projection: any TicketProjection, log: EventLog, root: URL, batchSize: Int = 2000) throws {
        self.projection = projection
        self.log = log
        self.batchSize = batchSize
        store = try KeyValueStore.open(
            at: Self.folder(for: projection, under: root), databases: Self.workerDatabases + projection.databases, durable: false)
    }

    /// The last sequence applied.
    public func checkpoint() throws -> UInt64 {
        try store.read { try ProjectionCodec.uint64($0.get("meta", Self.checkpointKey)) } ?? 0
    }

    /// Log head minus checkpoint.
    public func lag() throws -> UInt64 {
        let head = try log.size()
        return head - min(head, try checkpoint())
    }

    /// The error that stopped the projection, if one did.
    public var error: ProjectionError? { failure.withLock { $0 } }

    /// Applies everything the log holds now (up to `limit`, if given); returns the new checkpoint.
    @discardableResult
    public func catchUp(upTo limit: UInt64? = nil, asOf: Date? = nil) throws -> UInt64 {
        if let error { throw error }
        var next = try checkpoint() + 1
        while true {
            var entries = try log.entries(from: next, limit: batchSize)
            if let limit { entries = entries.filter { $0.sequence <= limit } }
            guard let last = entries.last else { return next - 1 }
            try apply(try Self.decode(entries, projection: projection.name), asOf: asOf)
            next = last.sequence + 1
        }
    }

    /// Decodes the ticket events of a batch once, for every projection that applies it.
    static func decode(_ entries: [LogEntry], projection: String) throws -> [(LogEntry, TicketEvent?)] {
        try entries.map { entry in
            do {
                return (entry, try TicketService.ticketEvent(entry))
            } catch {
                throw ProjectionError(projection: projection, sequence: entry.sequence, type: entry.type, reason: "\(error)")
            }
        }
    }

    /// Catches up, then waits for commits and applies them, until cancelled or the log closes.
    /// Stops with `ProjectionError` at an entry it cannot apply.
    public func run() async throws {
        while !Task.isCancelled {
            let applied = try catchUp()
            guard await log.waitForCommits(beyond: applied) else { return }
        }
    }

    /// Applies a batch of decoded entries in one store transaction, with the checkpoint. The
    /// batch must start right after the checkpoint.
    func apply(_ batch: [(LogEntry, TicketEvent?)], asOf: Date?) throws {
        guard let last = batch.last?.0 else { return }
        if let error { throw error }
        do {
            // The closure may run again when the store grows its map: it starts afresh each time.
            try store.write { writer in
                // Another caller may have applied part of this batch meanwhile: only entries past
                // the stored checkpoint are applied, so none is applied twice.
                let applied = ProjectionCodec.uint64(try writer.get("meta", Self.checkpointKey)) ?? 0
                guard last.sequence > applied else { return }
                var cache: [TicketID: Ticket] = [:]
                var touched: Set<TicketID> = []
                var pending: [TicketChange] = []
                for (entry, event) in batch where entry.sequence > applied {
                    do {
                        if let change = try change(entry, event, asOf: asOf, writer: writer, cache: &cache, touched: &touched) {
                            pending.append(change)
                        } else if event == nil, asOf == nil || entry.recordedAt.date <= asOf! {
                            // Entries that are not ticket events apply in order with the others.
                            try flush(&pending, writer)
                            try projection.apply(other: entry, to: writer)
                        }
                    } catch let error as ProjectionError {
                        throw error
                    } catch {
                        throw ProjectionError(projection: projection.name, sequence: entry.sequence, type: entry.type, reason: "\(error)")
                    }
                }
                try flush(&pending, writer)
                for id in touched.sorted() {
                    try writer.put("state", Array(id.rawValue.utf8), TicketStateCodec.encode(cache[id]!))
                }
                try writer.put("meta", Self.checkpointKey, ProjectionCodec.bigEndian(last.sequence))
            }
        } catch {
            if let error = error as? ProjectionError { failure.withLock { $0 = error } }
            throw error
        }
    }

    /// Hands the projection the changes gathered so far.
    private func flush(_ pending: inout [TicketChange], _ writer: StoreWriter) throws {
        guard !pending.isEmpty else { return }
        do {
            try projection.apply(pending, to: writer)
        } catch let error as ProjectionError {
            throw error
        } catch {
            let first = pending[0].entry
            throw ProjectionError(
                projection: projection.name, sequence: first.sequence, type: first.type,
                reason: "applying entries \(first.sequence)...\(pending[pending.count - 1].entry.sequence): \(error)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// The change a ticket event makes, with the ticket's state before and after it; nil for
    /// entries that are not ticket events and for events after `asOf`.
    private func change(
        _ entry: LogEntry, _ event: TicketEvent?, asOf: Date?, writer: StoreWriter, cache: inout [TicketID: Ticket],
        touched: inout Set<TicketID>
    ) throws -> TicketChange? {
        guard let event else { return nil }
        if let asOf, event.at > asOf { return nil }
        guard let id = TicketID(streamName: entry.stream.rawValue) else {
            throw ProjectionError(
                projection: projection.name, sequence: entry.sequence, type: entry.type,
                reason: "a ticket event on stream '\(entry.stream)'")
        }
        let before: Ticket?
        if let cached = cache[id] {
            before = cached
        } else if let stored = try writer.get("state", Array(id.rawValue.utf8)) {
            before = try TicketStateCodec.decode(stored)
        } else {
            before = nil
        }
        let after: Ticket
        do {
            after = try TicketRules.evolve(before, event)
        } catch {
            throw ProjectionError(projection: projection.name, sequence: entry.sequence, type: entry.type, reason: error.description)
        }
        cache[id] = after
        touched.insert(id)
        return TicketChange(entry: entry, event: event, before: before, after: after)
    }

    /// Rebuilds from zero into a fresh store beside the current one, then swaps it in; the old
    /// state serves readers until the swap. Returns the new worker (this one is closed).
    public func rebuilt(root: URL) throws -> ProjectionWorker {
        let staging = root.appendingPathComponent(".rebuild-\(projection.name)-\(UUID().uuidString)")
        let fresh = try ProjectionWorker(projection: projection, log: log, root: staging)
        try fresh.catchUp()
        fresh.close()
        close()
        let target = Self.folder(for: projection, under: root)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: Self.folder(for: projection, under: staging), to: target)
        try? FileManager.default.removeItem(at: staging)
        return try ProjectionWorker(projection: projection, log: log, root: root)
    }

    /// The digest of the projection's contents (its own databases and the ticket states).
    public func digest() throws -> String {
        try store.digest(excluding: ["meta"])
    }

    /// Closes the store.
    public func close() {
        store.close()
    }
}
