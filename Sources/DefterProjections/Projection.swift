public import DefterDomain
public import DefterLog
import DefterTickets
import Foundation

/// A read model built from the log: it has a name and a version, keeps its state in its own
/// store (never in the log), and applies ticket events in log order.
///
/// The worker keeps each ticket's state (`Ticket`, replayed with the domain's `evolve`) and hands
/// the projection the state before and after every ticket event.
public protocol TicketProjection: Sendable {
    /// A stable name, e.g. `queues`.
    var name: String { get }
    /// Bumping it rebuilds the projection from zero.
    var version: Int { get }
    /// The store databases the projection writes (besides the worker's own).
    var databases: [String] { get }
    /// Whether its store keeps every ticket's state (the worker's `state` database), as the ticket
    /// view does, those states being what it shows. A projection without them plans a batch from
    /// the ticket view's states when both stand at the same checkpoint, else from the log (each
    /// ticket's stream, replayed). Default: false.
    var storesTicketStates: Bool { get }
    /// Applies one ticket event.
    func apply(_ change: TicketChange, to store: StoreWriter) throws
    /// Applies consecutive ticket events, in log order. Default: one `apply(_:to:)` each; a
    /// projection overrides it to write each ticket's result once per batch.
    func apply(_ changes: [TicketChange], to store: StoreWriter) throws
    /// The types of the entries other than ticket events that `apply(other:to:)` acts on (e.g.
    /// `PersonalDataErased`). Only these are handed to it, in log order with the ticket events;
    /// the others (ticket numbers, catalogs, access records...) are passed over, so that they do
    /// not cut a batch's ticket events into short runs. Default: none.
    var otherEntryTypes: Set<String> { get }
    /// Applies an entry that is not a ticket event, of one of the `otherEntryTypes`. Default:
    /// nothing.
    func apply(other entry: LogEntry, to store: StoreWriter) throws
}

extension TicketProjection {
    public var storesTicketStates: Bool { false }

    public var otherEntryTypes: Set<String> { [] }

    public func apply(other entry: LogEntry, to store: StoreWriter) throws {}

    public func apply(_ changes: [TicketChange], to store: StoreWriter) throws {
        for change in changes { try apply(change, to: store) }
    }
}

/// One ticket event with the ticket before and after it. A class: a batch hands every change
/// to three projections, and copying the values it holds would cost more than applying them.
public final class TicketChange: Sendable {
    /// The log entry that carried the event.
    public let entry: LogEntry
    public let event: TicketEvent
    /// The states, held once and shared with the plan's other changes of the ticket.
    let beforeState: TicketState?
    let afterState: TicketState

    /// The ticket before the event; nil for the call that created it.
    public var before: Ticket? { beforeState?.ticket }
    /// The ticket after the event.
    public var after: Ticket { afterState.ticket }

    init(entry: LogEntry, event: TicketEvent, before: TicketState?, after: TicketState) {
        self.entry = entry
        self.event = event
        beforeState = before
        afterState = after
    }
}

/// A ticket's state, held once: a batch's plan, its changes and the states a catch-up keeps
/// share it instead of copying a value of some 350 bytes and a dozen strings each time.
final class TicketState: Sendable {
    let ticket: Ticket

    init(_ ticket: Ticket) {
        self.ticket = ticket
    }
}

/// A projection that cannot go on: it names the entry and the reason, and the projection stays
/// stopped (at its last good checkpoint) until the cause is fixed; nothing is skipped.
public struct ProjectionError: Error, Sendable, CustomStringConvertible {
    public let projection: String
    public let sequence: UInt64
    public let type: String
    public let reason: String

    public var description: String {
        "projection '\(projection)' stopped at entry \(sequence) (\(type)): \(reason)"
    }
}

/// Keys and encodings shared by the projections.
enum ProjectionCodec {
    static let encoder: JSONEncoder = {
        let encoder = TicketEventCodec.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = TicketEventCodec.makeDecoder()

    static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func uint64(_ bytes: [UInt8]?) -> UInt64? {
        guard let bytes, bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func milliseconds(_ date: Date?) -> UInt64 {
        guard let date else { return UInt64.max }
        return UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
    }
}
