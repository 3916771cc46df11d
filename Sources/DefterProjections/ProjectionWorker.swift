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

    /// The worker's own databases: `meta` (the checkpoint) and, for a projection that stores
    /// them, `state` (each ticket's `Ticket`).
    static func workerDatabases(for projection: any TicketProjection) -> [String] {
        projection.storesTicketStates ? ["meta", "state"] : ["meta"]
    }
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
            at: Self.folder(for: projection, under: root), databases: Self.workerDatabases(for: projection) + projection.databases,
            durable: false)
    }

    /// The last sequence applied.
    public func checkpoint() throws -> UInt64 {
        try store.read { try Self.storedCheckpoint($0) }
    }

    /// The last sequence applied, as `reader` sees the store.
    static func storedCheckpoint(_ reader: StoreReader) throws -> UInt64 {
        ProjectionCodec.uint64(try reader.get("meta", checkpointKey)) ?? 0
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
        var known = KnownStates()
        while true {
            var entries = try log.entries(from: next, limit: batchSize)
            if let limit { entries = entries.filter { $0.sequence <= limit } }
            guard let last = entries.last else { return next - 1 }
            try apply(DecodedEntry.decode(entries)[...], asOf: asOf, known: &known)
            next = last.sequence + 1
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

    /// Applies a batch of decoded entries in one store transaction, with the checkpoint. Only
    /// entries past the stored checkpoint are applied (another caller may have applied part of
    /// the batch meanwhile), so none is applied twice. `known` holds ticket states a previous
    /// batch of the same catch-up left, valid at its checkpoint.
    func apply(_ batch: ArraySlice<DecodedEntry>, asOf: Date?, known: inout KnownStates) throws {
        guard let last = batch.last?.entry.sequence else { return }
        if let error { throw error }
        do {
            var planned: (start: UInt64, plan: BatchPlan)?
            // The closure may run again when the store grows its map: it starts afresh each time.
            try store.write { writer in
                planned = nil
                let applied = try Self.storedCheckpoint(writer.reader)
                guard last > applied else { return }
                let pending = batch.drop { $0.entry.sequence <= applied }
                let storesStates = projection.storesTicketStates
                let plan = try BatchPlan(
                    pending, projection: projection.name, otherTypes: projection.otherEntryTypes, asOf: asOf,
                    known: known.states(at: applied),
                    read: { id in
                        try storesStates
                            ? Self.storedState(id, writer.reader) : self.replayedState(id, through: applied, asOf: asOf)
                    })
                try write(plan, plan.stateRows(), to: writer)
                planned = (applied, plan)
            }
            if let planned { known.advance(from: planned.start, to: planned.plan.last, with: planned.plan.states) }
        } catch {
            if let error = error as? ProjectionError { failure.withLock { $0 = error } }
            throw error
        }
    }

    /// Applies a batch planned for every projection at the same checkpoint, in one store
    /// transaction. Returns false, applying nothing, when the store is not at the checkpoint the
    /// plan starts from (another caller moved it): the caller then applies the batch by itself.
    func apply(planned plan: BatchPlan, stateRows: [(key: [UInt8], value: [UInt8])]) throws -> Bool {
        if let error { throw error }
        do {
            var matched = false
            try store.write { writer in
                let applied = try Self.storedCheckpoint(writer.reader)
                matched = applied == plan.first - 1
                guard matched else { return }
                try write(plan, stateRows, to: writer)
            }
            return matched
        } catch {
            if let error = error as? ProjectionError { failure.withLock { $0 = error } }
            throw error
        }
    }

    /// A ticket's state after entry `checkpoint`, replayed from its stream in the log (events
    /// after `asOf` left out, as the plan leaves them out): how a projection that keeps no ticket
    /// states plans a batch alone.
    func replayedState(_ id: TicketID, through checkpoint: UInt64, asOf: Date?) throws -> Ticket? {
        let stream = try StreamID(id.streamName)
        var ticket: Ticket?
        var nextVersion: UInt64 = 1
        let pageSize = 1000
        while true {
            let page = try log.entries(inStream: stream, fromVersion: nextVersion, limit: pageSize)
            for entry in page {
                guard entry.sequence <= checkpoint else { return ticket }
                guard let event = try TicketService.ticketEvent(entry) else { continue }
                if let asOf, event.at > asOf { continue }
                ticket = try TicketRules.evolve(ticket, event)
            }
            guard let last = page.last, page.count == pageSize else { return ticket }
            nextVersion = last.streamVersion + 1
        }
    }

    /// A ticket's state as the store holds it.
    static func storedState(_ id: TicketID, _ reader: StoreReader) throws -> Ticket? {
        try reader.get("state", Array(id.rawValue.utf8)).map { try TicketStateCodec.decode($0) }
    }

    /// Writes a plan's effects: the projection's own rows, step by step, then the ticket states
    /// and the checkpoint.
    private func write(_ plan: BatchPlan, _ stateRows: [(key: [UInt8], value: [UInt8])], to writer: StoreWriter) throws {
        for step in plan.steps {
            switch step {
            case .changes(let changes): try apply(changes, writer)
            case .other(let entry):
                // A plan made for every projection holds the entries any of them acts on.
                guard projection.otherEntryTypes.contains(entry.type) else { continue }
                do {
                    try projection.apply(other: entry, to: writer)
                } catch let error where error is ProjectionError || Self.belongsToTheStore(error) {
                    throw error
                } catch {
                    throw ProjectionError(projection: projection.name, sequence: entry.sequence, type: entry.type, reason: "\(error)")
                }
            }
        }
        if projection.storesTicketStates {
            for row in stateRows { try writer.put("state", row.key, row.value) }
        }
        try writer.put("meta", Self.checkpointKey, ProjectionCodec.bigEndian(plan.last))
    }

    /// Whether `error` is one the store handles by running the transaction again (a full map,
    /// which it grows): it passes through as it is and stops no projection.
    static func belongsToTheStore(_ error: any Error) -> Bool {
        (error as? StorageError)?.isRetriedByTheStore ?? false
    }

    /// Hands the projection consecutive ticket changes.
    private func apply(_ changes: [TicketChange], _ writer: StoreWriter) throws {
        do {
            try projection.apply(changes, to: writer)
        } catch let error where error is ProjectionError || Self.belongsToTheStore(error) {
            throw error
        } catch {
            let first = changes[0].entry
            throw ProjectionError(
                projection: projection.name, sequence: first.sequence, type: first.type,
                reason: "applying entries \(first.sequence)...\(changes[changes.count - 1].entry.sequence): \(error)")
        }
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

    /// The digest of the projection's contents (its own databases, and the ticket states when it
    /// stores them).
    public func digest() throws -> String {
        try store.digest(excluding: ["meta"])
    }

    /// Closes the store.
    public func close() {
        store.close()
    }
}
