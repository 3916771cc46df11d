public import Foundation

/// A ticket's number, `YYYY-NNNNNN` (e.g. `2025-000123`): the year of the call and its place in
/// that year's numbering. Its events live on the stream `ticket-<number>`.
public struct TicketID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The number's text.
    public let rawValue: String

    /// Validates `YYYY-NNNNNN`.
    public init(_ rawValue: String) throws(DomainInputError) {
        // Checked on the contiguous UTF-8 bytes: replays validate millions of ticket numbers.
        var text = rawValue
        let valid = text.withUTF8 { bytes in
            (11...14).contains(bytes.count)
                && bytes.indices.allSatisfy { $0 == 4 ? bytes[$0] == UInt8(ascii: "-") : (0x30...0x39).contains(bytes[$0]) }
        }
        guard valid else { throw DomainInputError(field: "ticket", reason: "'\(rawValue)' is not a ticket number like 2025-000123") }
        self.rawValue = rawValue
    }

    /// A number already known to be valid (read back from a store that only holds valid ones).
    init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// The number `sequence` of `year`.
    public init(year: Int, sequence: Int) {
        let digits = String(sequence)
        rawValue = "\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The stream that holds the ticket's events.
    public var streamName: String { "ticket-\(rawValue)" }

    /// The ticket number named by a stream, if the stream is a ticket's.
    public init?(streamName: String) {
        let utf8 = streamName.utf8
        guard utf8.count > 7, utf8.starts(with: "ticket-".utf8),
            let id = try? TicketID(String(decoding: utf8.dropFirst(7), as: UTF8.self))
        else { return nil }
        self = id
    }

    public var description: String { rawValue }
    public static func < (a: TicketID, b: TicketID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Declares a string-backed identifier type with a validation rule.
public protocol StringIdentifier: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The identifier's text.
    var rawValue: String { get }
    /// Wraps text already known to be valid.
    init(unchecked: String)
    /// What the identifier names, for error messages.
    static var noun: String { get }
}

extension StringIdentifier {
    /// Validates: 1 to 100 characters of lowercase ASCII letters, digits, `.`, `-` and `_`.
    public init(_ rawValue: String) throws(DomainInputError) {
        var text = rawValue
        let valid = text.withUTF8 { bytes in
            (1...100).contains(bytes.count)
                && bytes.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x2d || $0 == 0x5f }
        }
        guard valid else {
            throw DomainInputError(
                field: Self.noun, reason: "'\(rawValue)' is not a valid \(Self.noun) id (lowercase letters, digits, '.', '-', '_')")
        }
        self.init(unchecked: rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A department of the municipality (`temizlik`, `fen-isleri`...), or the human triage queue.
public struct DepartmentID: StringIdentifier {
    public let rawValue: String
    public init(unchecked: String) { rawValue = unchecked }
    public static let noun = "department"
    /// The queue of tickets the router was not sure of, worked by human operators.
    public static let triage = DepartmentID(unchecked: "triage")
}

/// A request category, `<department>.<slug>` (e.g. `temizlik.cop-toplama`).
public struct CategoryID: StringIdentifier {
    public let rawValue: String
    public init(unchecked: String) { rawValue = unchecked }
    public static let noun = "category"
}

/// A pseudonymous reference to a citizen: the id of the key that seals their personal data.
public struct CitizenRef: StringIdentifier {
    public let rawValue: String
    public init(unchecked: String) { rawValue = unchecked }
    public static let noun = "citizen"
}

/// Who did something: an operator, a department's staff, the system.
public struct ActorID: StringIdentifier {
    public let rawValue: String
    public init(unchecked: String) { rawValue = unchecked }
    public static let noun = "actor"
    /// The system itself (deadline worker, router).
    public static let system = ActorID(unchecked: "system")
    /// The citizen, answering through the feedback page.
    public static let citizen = ActorID(unchecked: "citizen")
    /// The notifier worker, telling citizens about their tickets.
    public static let notifier = ActorID(unchecked: "notifier")
}

/// Input the domain cannot accept, naming the field and what is wrong with it.
public struct DomainInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault.
    public let field: String
    /// What is wrong, and how to fix it.
    public let reason: String

    /// Creates an input error.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
