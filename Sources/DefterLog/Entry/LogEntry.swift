/// One entry of the log, exactly as stored: its envelope fields and the stored bytes, which are
/// also its Merkle leaf.
public struct LogEntry: Sendable, Hashable {
    /// The entry's position in the log, from 1.
    public let sequence: UInt64
    /// The producer-chosen identity of the event.
    public let id: EventID
    /// The stream the event belongs to.
    public let stream: StreamID
    /// The event's position in its stream, from 1.
    public let streamVersion: UInt64
    /// The event's type name, e.g. `CallReceived`.
    public let type: String
    /// The version of the event type's schema.
    public let schemaVersion: Int
    /// When the log recorded the event.
    public let recordedAt: Timestamp
    /// Who caused the event (an operator, a department, `system`...).
    public let actor: String
    /// The canonical JSON of the event's data object.
    public let payload: [UInt8]
    /// The stored envelope bytes: the Merkle leaf of this entry.
    public let bytes: [UInt8]

    /// The event's data, decoded from `payload`.
    public func data() throws -> JSONValue { try JSONParser.parse(payload) }
}

/// The canonical envelope encoding described in `Schemas/log-format.md`:
/// `{"actor":…,"data":…,"id":…,"recordedAt":…,"schemaVersion":…,"seq":…,"stream":…,"streamVersion":…,"type":…}`.
enum Envelope {
    static let keys = ["actor", "data", "id", "recordedAt", "schemaVersion", "seq", "stream", "streamVersion", "type"]

    /// Encodes an envelope; `payload` must already be canonical JSON of an object.
    static func encode(
        sequence: UInt64, id: EventID, stream: StreamID, streamVersion: UInt64, type: String,
        schemaVersion: Int, recordedAt: Timestamp, actor: String, payload: [UInt8]
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 200)
        out.append(contentsOf: #"{"actor":"#.utf8)
        CanonicalJSON.writeString(actor, into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        out.append(contentsOf: payload)
        out.append(contentsOf: #","id":"#.utf8)
        CanonicalJSON.writeString(id.rawValue, into: &out)
        out.append(contentsOf: #","recordedAt":""#.utf8)
        out.append(contentsOf: recordedAt.description.utf8)
        out.append(contentsOf: #"","schemaVersion":"#.utf8)
        out.append(contentsOf: String(schemaVersion).utf8)
        out.append(contentsOf: #","seq":"#.utf8)
        out.append(contentsOf: String(sequence).utf8)
        out.append(contentsOf: #","stream":"#.utf8)
        CanonicalJSON.writeString(stream.rawValue, into: &out)
        out.append(contentsOf: #","streamVersion":"#.utf8)
        out.append(contentsOf: String(streamVersion).utf8)
        out.append(contentsOf: #","type":"#.utf8)
        CanonicalJSON.writeString(type, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Why stored bytes are not a valid envelope.
    struct DecodingError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Decodes stored bytes, checking that they are an envelope with exactly the nine fields, in
    /// canonical key order, with the right types. The payload is skimmed, not decoded.
    static func decode(_ raw: UnsafeRawBufferPointer) throws -> LogEntry {
        var parser = JSONParser(raw)
        do {
            guard parser.peek() == UInt8(ascii: "{") else { throw DecodingError(reason: "entry is not a JSON object") }
            var fields: [String: JSONValue] = [:]
            var payloadRange: Range<Int>?
            var keyIndex = 0
            _ = try parser.expect(UInt8(ascii: "{"), "'{'")
            while true {
                guard parser.peek() == UInt8(ascii: "\"") else { throw DecodingError(reason: "expected a key at byte \(parser.position + 1)") }
                let key = try parser.parseString()
                guard keyIndex < keys.count, key == keys[keyIndex] else {
                    throw DecodingError(reason: "unexpected field \"\(key)\" (fields must be exactly \(keys.joined(separator: ", ")) in that order)")
                }
                keyIndex += 1
                try parser.expect(UInt8(ascii: ":"), "':'")
                if key == "data" {
                    let start = parser.position
                    guard parser.peek() == UInt8(ascii: "{") else { throw DecodingError(reason: "data is not an object") }
                    try parser.skipValue()
                    payloadRange = start..<parser.position
                } else {
                    fields[key] = try parser.parseValue()
                }
                if parser.peek() == UInt8(ascii: "}") {
                    _ = try parser.expect(UInt8(ascii: "}"), "'}'")
                    break
                }
                try parser.expect(UInt8(ascii: ","), "','")
            }
            guard parser.atEnd else { throw DecodingError(reason: "bytes after the envelope") }
            guard keyIndex == keys.count, let payloadRange else {
                throw DecodingError(reason: "missing field \"\(keys[keyIndex])\"")
            }
            guard case .string(let actor)? = fields["actor"] else { throw DecodingError(reason: "actor is not a string") }
            guard case .string(let idText)? = fields["id"], let id = try? EventID(idText) else {
                throw DecodingError(reason: "id is not a valid event id")
            }
            guard case .string(let recordedText)? = fields["recordedAt"], let recordedAt = Timestamp(rfc3339: recordedText) else {
                throw DecodingError(reason: "recordedAt is not an RFC 3339 UTC timestamp")
            }
            guard case .integer(let schemaVersion)? = fields["schemaVersion"], schemaVersion >= 1 else {
                throw DecodingError(reason: "schemaVersion is not a positive integer")
            }
            guard case .integer(let seq)? = fields["seq"], seq >= 1 else { throw DecodingError(reason: "seq is not a positive integer") }
            guard case .string(let streamText)? = fields["stream"], let stream = try? StreamID(streamText) else {
                throw DecodingError(reason: "stream is not a valid stream name")
            }
            guard case .integer(let streamVersion)? = fields["streamVersion"], streamVersion >= 1 else {
                throw DecodingError(reason: "streamVersion is not a positive integer")
            }
            guard case .string(let type)? = fields["type"] else { throw DecodingError(reason: "type is not a string") }
            return LogEntry(
                sequence: UInt64(seq), id: id, stream: stream, streamVersion: UInt64(streamVersion), type: type,
                schemaVersion: Int(schemaVersion), recordedAt: recordedAt, actor: actor,
                payload: Array(UnsafeRawBufferPointer(rebasing: raw[payloadRange])), bytes: Array(raw))
        } catch let error as JSONParseError {
            throw DecodingError(reason: "entry is not valid JSON: \(error)")
        }
    }
}
