public import Foundation

/// A compact binary form of `Ticket` for projection stores, which read and write a ticket's
/// state for nearly every event they replay: an order of magnitude cheaper than JSON. Times are
/// whole milliseconds (as events store them), so a state survives the round trip exactly.
///
/// Layout: a format byte (1), then the fields in declaration order; strings are a LEB128 length
/// and UTF-8; optionals a 0/1 byte then the value; integers and times zig-zag LEB128.
public enum TicketStateCodec {
    static let format: UInt8 = 1

    /// Why stored bytes are not a ticket state.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The ticket's binary form.
    public static func encode(_ ticket: Ticket) -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(256)
        out.byte(format)
        out.string(ticket.id.rawValue)
        out.string(ticket.status.rawValue)
        out.int(Int64(ticket.version))
        out.string(ticket.callId)
        out.string(ticket.channel.rawValue)
        out.string(ticket.location.district)
        out.optional(ticket.location.neighbourhood) { $0.string($1) }
        out.string(ticket.citizen.rawValue)
        out.time(ticket.receivedAt)
        out.optional(ticket.catalogVersion) { $0.int(Int64($1)) }
        out.optional(ticket.department) { $0.string($1.rawValue) }
        out.optional(ticket.category) { $0.string($1.rawValue) }
        out.optional(ticket.priority) { $0.int(Int64($1)) }
        out.optional(ticket.standardHours) { $0.int(Int64($1)) }
        out.optional(ticket.dueAt) { $0.time($1) }
        out.optional(ticket.openedAt) { $0.time($1) }
        out.optional(ticket.routedAt) { $0.time($1) }
        out.optional(ticket.acknowledgedAt) { $0.time($1) }
        out.optional(ticket.startedAt) { $0.time($1) }
        out.optional(ticket.resolvedAt) { $0.time($1) }
        out.optional(ticket.closedAt) { $0.time($1) }
        out.optional(ticket.assignee) { $0.string($1) }
        out.int(Int64(ticket.reopenCount))
        out.int(Int64(ticket.referralCount))
        out.int(Int64(ticket.overrideCount))
        out.optional(ticket.duplicateOf) { $0.string($1.rawValue) }
        out.int(Int64(ticket.escalatedDeadlines.count))
        for deadline in ticket.escalatedDeadlines { out.time(deadline) }
        out.optional(ticket.satisfaction) { $0.int(Int64($1)) }
        out.byte(ticket.feedbackSinceResolution ? 1 : 0)
        // Imported tickets only; states written before imports existed end here.
        if let source = ticket.source {
            out.string(source.system)
            out.string(source.id)
            out.optional(ticket.sourceDigest) { $0.string($1) }
            out.optional(ticket.importedVersion) { $0.int(Int64($1)) }
        }
        return out.bytes
    }

    /// Reads a ticket written by `encode`.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodingError) -> Ticket {
        var input = ByteReader(Array(bytes))
        do {
            guard try input.byte() == format else { throw DecodingError(description: "unknown ticket state format") }
            let id = TicketID(unchecked: try input.string())
            guard let status = Ticket.Status(rawValue: try input.string()) else { throw DecodingError(description: "unknown status") }
            let version = Int(try input.int())
            let callId = try input.string()
            guard let channel = Channel(rawValue: try input.string()) else { throw DecodingError(description: "unknown channel") }
            let district = try input.string()
            let neighbourhood = try input.optional { try $0.string() }
            let citizen = CitizenRef(unchecked: try input.string())
            var ticket = Ticket(
                id: id, status: status, version: version, callId: callId, channel: channel,
                location: Location(district: district, neighbourhood: neighbourhood), citizen: citizen, receivedAt: try input.time())
            ticket.catalogVersion = try input.optional { Int(try $0.int()) }
            ticket.department = try input.optional { DepartmentID(unchecked: try $0.string()) }
            ticket.category = try input.optional { CategoryID(unchecked: try $0.string()) }
            ticket.priority = try input.optional { Int(try $0.int()) }
            ticket.standardHours = try input.optional { Int(try $0.int()) }
            ticket.dueAt = try input.optional { try $0.time() }
            ticket.openedAt = try input.optional { try $0.time() }
            ticket.routedAt = try input.optional { try $0.time() }
            ticket.acknowledgedAt = try input.optional { try $0.time() }
            ticket.startedAt = try input.optional { try $0.time() }
            ticket.resolvedAt = try input.optional { try $0.time() }
            ticket.closedAt = try input.optional { try $0.time() }
            ticket.assignee = try input.optional { try $0.string() }
            ticket.reopenCount = Int(try input.int())
            ticket.referralCount = Int(try input.int())
            ticket.overrideCount = Int(try input.int())
            ticket.duplicateOf = try input.optional { TicketID(unchecked: try $0.string()) }
            let escalations = try input.int()
            guard (0...10_000).contains(escalations) else { throw DecodingError(description: "implausible escalation count") }
            ticket.escalatedDeadlines = try (0..<escalations).map { _ in try input.time() }
            ticket.satisfaction = try input.optional { Int(try $0.int()) }
            ticket.feedbackSinceResolution = try input.byte() == 1
            if !input.isAtEnd {
                ticket.source = ImportSource(system: try input.string(), id: try input.string())
                ticket.sourceDigest = try input.optional { try $0.string() }
                ticket.importedVersion = try input.optional { Int(try $0.int()) }
            }
            guard input.isAtEnd else { throw DecodingError(description: "trailing bytes") }
            return ticket
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError(description: "truncated ticket state")
        }
    }
}

/// Appends compact binary primitives: the building blocks of projection stores' record formats.
public struct ByteWriter: Sendable {
    /// What was written so far.
    public var bytes: [UInt8] = []

    /// An empty writer.
    @inlinable public init() {}

    @inlinable public mutating func byte(_ value: UInt8) { bytes.append(value) }

    @inlinable public mutating func unsigned(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    @inlinable public mutating func int(_ value: Int64) { unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    @inlinable public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            unsigned(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    @inlinable public mutating func time(_ date: Date) { int(Int64((date.timeIntervalSince1970 * 1000).rounded())) }

    @inlinable public mutating func optional<T>(_ value: T?, _ write: (inout ByteWriter, T) -> Void) {
        guard let value else { return byte(0) }
        byte(1)
        write(&self, value)
    }
}

/// Reads what `ByteWriter` writes; throws `EndOfInput` past the end or on malformed input.
public struct ByteReader: Sendable {
    /// The input ended early, or held something that is not what was asked for.
    public struct EndOfInput: Error {
        @inlinable public init() {}
    }
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var position = 0

    /// A reader at the start of `bytes`.
    @inlinable public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether everything was read.
    @inlinable public var isAtEnd: Bool { position == bytes.count }

    @inlinable public mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw EndOfInput() }
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable public mutating func unsigned() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw EndOfInput() }
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    @inlinable public mutating func int() throws -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @inlinable public mutating func string() throws -> String {
        let count = Int(clamping: try unsigned())
        guard count <= bytes.count - position else { throw EndOfInput() }
        defer { position += count }
        return String(decoding: bytes[position..<(position + count)], as: UTF8.self)
    }

    @inlinable public mutating func time() throws -> Date { Date(timeIntervalSince1970: Double(try int()) / 1000) }

    @inlinable public mutating func optional<T>(_ read: (inout ByteReader) throws -> T) throws -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        default: throw EndOfInput()
        }
    }
}
