import DefterDomain
import DefterLog
import DefterTickets
import Foundation

/// A log entry read and decoded once for every projection that applies it.
struct DecodedEntry: Sendable {
    let entry: LogEntry
    /// The ticket event it carries; nil for entries that are not ticket events.
    let event: TicketEvent?
    /// Why its data does not decode as the ticket event its type names, if it does not: every
    /// projection stops at such an entry when it plans it.
    let undecodable: String?

    /// Decodes an entry; one that does not decode is kept, with the reason.
    init(_ entry: LogEntry) {
        self.entry = entry
        do {
            event = try TicketService.ticketEvent(entry)
            undecodable = nil
        } catch {
            event = nil
            undecodable = "\(error)"
        }
    }

    /// Decodes a batch.
    static func decode(_ entries: [LogEntry]) -> [DecodedEntry] {
        entries.map(DecodedEntry.init)
    }
}

/// What a batch of entries does to the tickets: each ticket event with the ticket's state before
/// and after it, in log order, and every ticket's state after the batch. Planning replays the
/// domain's rules once; every projection at the same checkpoint then applies the same plan.
struct BatchPlan: Sendable {
    /// One step of the batch, in log order.
    enum Step: Sendable {
        /// Consecutive ticket events.
        case changes([TicketChange])
        /// An entry that is not a ticket event, of a type some projection acts on (an erasure).
        case other(LogEntry)
    }

    /// The first and last sequence of the batch.
    let first: UInt64
    let last: UInt64
    private(set) var steps: [Step] = []
    /// Each ticket the batch touched, with its state after the batch.
    private(set) var states: [TicketID: TicketState] = [:]

    /// Plans `batch`, reading a ticket's state before the batch from `known`, else `read`.
    /// Entries other than ticket events become steps only when their type is one of
    /// `otherTypes`. Events after `asOf` (and other entries recorded after it) are left out.
    init(
        _ batch: ArraySlice<DecodedEntry>, projection: String, otherTypes: Set<String>, asOf: Date? = nil,
        known: [TicketID: TicketState] = [:], read: (TicketID) throws -> Ticket?
    ) throws(ProjectionError) {
        first = batch.first?.entry.sequence ?? 0
        last = batch.last?.entry.sequence ?? 0
        var pending: [TicketChange] = []
        states.reserveCapacity(batch.count)
        pending.reserveCapacity(batch.count)
        // By index: binding each element would copy the entry and its event.
        for index in batch.indices {
            let entry = batch[index].entry
            func failure(_ reason: String) -> ProjectionError {
                ProjectionError(projection: projection, sequence: entry.sequence, type: entry.type, reason: reason)
            }
            if let reason = batch[index].undecodable { throw failure(reason) }
            guard let event = batch[index].event else {
                // Entries that are not ticket events apply in order with the others, when a
                // projection acts on them.
                if otherTypes.contains(entry.type) && (asOf == nil || entry.recordedAt.date <= asOf!) {
                    if !pending.isEmpty { steps.append(.changes(pending)) }
                    pending.removeAll()
                    steps.append(.other(entry))
                }
                continue
            }
            if let asOf, event.at > asOf { continue }
            guard let id = TicketID(streamName: entry.stream.rawValue) else {
                throw failure("a ticket event on stream '\(entry.stream)'")
            }
            let before: TicketState?
            if let current = states[id] ?? known[id] {
                before = current
            } else if entry.streamVersion == 1 {
                // The first entry of its stream: no earlier one can have left a state to read.
                before = nil
            } else {
                do { before = try read(id).map(TicketState.init) } catch { throw failure("reading the state of \(id): \(error)") }
            }
            let after: TicketState
            do {
                if let before {
                    var ticket = before.ticket
                    try TicketRules.apply(event, to: &ticket)
                    after = TicketState(ticket)
                } else {
                    after = TicketState(try TicketRules.evolve(nil, event))
                }
            } catch {
                throw failure(error.description)
            }
            states[id] = after
            pending.append(TicketChange(entry: entry, event: event, before: before, after: after))
        }
        if !pending.isEmpty { steps.append(.changes(pending)) }
    }

    /// The ticket states to store, as `state` rows in key order.
    func stateRows() -> [(key: [UInt8], value: [UInt8])] {
        states.map { (Array($0.key.rawValue.utf8), TicketStateCodec.encode($0.value.ticket)) }.sorted {
            $0.key.lexicographicallyPrecedes($1.key)
        }
    }
}

/// Ticket states a catch-up has written, as they stood after entry `checkpoint` of the log, so
/// that its next batch need not read them back. A ticket's state depends only on the log up to a
/// point, so they serve any store at that checkpoint. It holds at most `limit` tickets, then
/// starts afresh (the stores have them all).
struct KnownStates {
    private var checkpoint: UInt64 = 0
    private var tickets: [TicketID: TicketState] = [:]
    static let limit = 250_000

    /// The states, if they are those after entry `checkpoint`; else none.
    func states(at checkpoint: UInt64) -> [TicketID: TicketState] {
        checkpoint == self.checkpoint ? tickets : [:]
    }

    /// Records the states a batch from entry `start + 1` to `end` left.
    mutating func advance(from start: UInt64, to end: UInt64, with states: [TicketID: TicketState]) {
        if start != checkpoint || tickets.count + states.count > Self.limit {
            tickets = states
        } else {
            tickets.merge(states) { $1 }
        }
        checkpoint = end
    }
}
