import Foundation

/// An event to append: what a producer says happened, before the log gives it a sequence.
public struct NewEvent: Sendable, Hashable {
    /// The stream the event belongs to.
    public var stream: StreamID
    /// The event's type name: a letter, then letters, digits, `.`, `_` or `-`; at most 100.
    public var type: String
    /// The event's data; must be a JSON object.
    public var data: JSONValue
    /// The event's identity; appending the same id again is recorded once.
    public var id: EventID
    /// When set, the append succeeds only if the stream is at this version (0: no events yet).
    public var expectedVersion: UInt64?
    /// Who caused the event.
    public var actor: String
    /// The version of the event type's schema.
    public var schemaVersion: Int

    /// Describes an event to append.
    public init(
        stream: StreamID, type: String, data: JSONValue, id: EventID = .random(), expectedVersion: UInt64? = nil,
        actor: String = "system", schemaVersion: Int = 1
    ) {
        self.stream = stream
        self.type = type
        self.data = data
        self.id = id
        self.expectedVersion = expectedVersion
        self.actor = actor
        self.schemaVersion = schemaVersion
    }

    /// Checks the event's own fields and encodes every part of its envelope that does not
    /// depend on where it lands.
    func prepared(maximumPayloadBytes: Int) throws(EventValidationError) -> PreparedEvent {
        guard case .object = data else { throw EventValidationError("data must be a JSON object") }
        var typeLength = 0
        var typeIsValid = true
        for byte in type.utf8 {
            typeIsValid =
                typeIsValid
                && (typeLength == 0
                    ? byte.isASCIILetter
                    : byte.isASCIILetter || byte.isASCIIDigit || byte == 0x2e || byte == 0x5f || byte == 0x2d)
            typeLength += 1
        }
        guard typeIsValid, (1...100).contains(typeLength) else {
            throw EventValidationError(
                "type '\(type)' must start with a letter and use only letters, digits, '.', '_' or '-' (at most 100)")
        }
        do { try InvalidIdentifier.check(actor, what: "actor", maximumBytes: 200) } catch {
            throw EventValidationError(error.reason)
        }
        guard (1...1_000_000).contains(schemaVersion) else {
            throw EventValidationError("schemaVersion must be a positive integer")
        }
        let template = EnvelopeTemplate(actor: actor, id: id, stream: stream, type: type, schemaVersion: schemaVersion) { out in
            CanonicalJSON.write(data, into: &out)
        }
        guard template.payload.count <= maximumPayloadBytes else {
            throw EventValidationError("data is \(template.payload.count) bytes once encoded; the limit is \(maximumPayloadBytes)")
        }
        return PreparedEvent(stream: stream, id: id, expectedVersion: expectedVersion, template: template)
    }
}

/// Why an event was refused before it reached the log.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the event.
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool { (0x41...0x5a).contains(self) || (0x61...0x7a).contains(self) }
    fileprivate var isASCIIDigit: Bool { (0x30...0x39).contains(self) }
}

/// Why an append was refused. Nothing of a refused batch is written.
public enum AppendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Event number `index` (from 0) of the batch is invalid.
    case invalidEvent(index: Int, reason: String)
    /// The stream was not at the version the producer expected (someone else appended first).
    case versionConflict(stream: StreamID, expected: UInt64, actual: UInt64)
    /// The event id was already used for a different event.
    case idempotencyConflict(id: EventID, existingSequence: UInt64)
    /// The batch has no events.
    case emptyBatch

    public var description: String {
        switch self {
        case .invalidEvent(let index, let reason):
            "event \(index + 1) of the batch is invalid: \(reason)"
        case .versionConflict(let stream, let expected, let actual):
            "stream '\(stream)' is at version \(actual), not \(expected) as expected; read the stream again and retry"
        case .idempotencyConflict(let id, let sequence):
            "event id '\(id)' was already recorded at sequence \(sequence) for a different event; use a new id"
        case .emptyBatch:
            "the batch has no events"
        }
    }
}

/// Where the events of one appended batch landed.
public struct AppendResult: Sendable, Equatable {
    /// The sequence of each event of the batch, in order; a duplicate reports the original's.
    public let sequences: [UInt64]
    /// For each event, whether it had been recorded before (idempotent retry).
    public let duplicates: [Bool]

    /// How many events were newly written.
    public var appendedCount: Int { duplicates.count(where: { !$0 }) }
    /// The smallest sequence of the batch.
    public var first: UInt64 { sequences.min() ?? 0 }
    /// The largest sequence of the batch.
    public var last: UInt64 { sequences.max() ?? 0 }
}

/// An event that passed validation, its envelope encoded but for what the writer decides.
struct PreparedEvent: Sendable {
    let stream: StreamID
    let id: EventID
    let expectedVersion: UInt64?
    let template: EnvelopeTemplate
}
