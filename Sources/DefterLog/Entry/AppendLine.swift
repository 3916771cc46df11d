import Foundation

/// The NDJSON input form of an event, one JSON object a line (see `Schemas/append-line.schema.json`):
/// `{"stream": "...", "type": "...", "data": {...}, "id"?: "...", "expectedVersion"?: n, "actor"?: "...", "schemaVersion"?: n}`.
public enum AppendLine {
    /// The fields a line may have.
    public static let allowedFields: Set<String> = ["stream", "type", "data", "id", "expectedVersion", "actor", "schemaVersion"]
    /// The longest line accepted, in bytes.
    public static let maximumLineBytes = 1 << 20

    /// Why a line was refused.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The 1-based line number.
        public let line: Int
        /// What is wrong with it.
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Decodes one line into an event. `defaultActor` is used when the line names none.
    public static func decode(_ bytes: [UInt8], line: Int, defaultActor: String) throws(Failure) -> NewEvent {
        func fail(_ reason: String) -> Failure { Failure(line: line, reason: reason) }
        guard bytes.count <= maximumLineBytes else {
            throw fail("the line is \(bytes.count) bytes long; the limit is \(maximumLineBytes)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw fail("the line is not valid UTF-8") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw fail("not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw fail("expected a JSON object") }
        if let unknown = fields.keys.filter({ !allowedFields.contains($0) }).sorted().first {
            throw fail("unknown field \"\(unknown)\" (allowed: \(allowedFields.sorted().joined(separator: ", ")))")
        }
        guard case .string(let streamText)? = fields["stream"] else { throw fail("\"stream\" is required and must be a string") }
        let stream: StreamID
        do { stream = try StreamID(streamText) } catch { throw fail(error.reason) }
        guard case .string(let type)? = fields["type"] else { throw fail("\"type\" is required and must be a string") }
        guard let data = fields["data"] else { throw fail("\"data\" is required") }
        guard case .object = data else { throw fail("\"data\" must be a JSON object") }
        var event = NewEvent(stream: stream, type: type, data: data, actor: defaultActor)
        if let id = fields["id"] {
            guard case .string(let idText) = id else { throw fail("\"id\" must be a string") }
            do { event.id = try EventID(idText) } catch { throw fail(error.reason) }
        }
        if let expected = fields["expectedVersion"] {
            guard case .integer(let version) = expected, version >= 0 else {
                throw fail("\"expectedVersion\" must be a non-negative integer (0: the stream must not exist yet)")
            }
            event.expectedVersion = UInt64(version)
        }
        if let actor = fields["actor"] {
            guard case .string(let actorText) = actor else { throw fail("\"actor\" must be a string") }
            event.actor = actorText
        }
        if let schemaVersion = fields["schemaVersion"] {
            guard case .integer(let version) = schemaVersion, version >= 1, version <= 1_000_000 else {
                throw fail("\"schemaVersion\" must be a positive integer")
            }
            event.schemaVersion = Int(version)
        }
        return event
    }
}
