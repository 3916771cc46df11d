import Foundation

/// One entry of the log, exactly as stored: its envelope fields and the stored bytes, which are
/// also its Merkle leaf.
///
/// A value, whose fields are held once in an immutable object: replay hands every entry through
/// several stages, and copying its strings and arrays at each would cost more than reading them.
public struct LogEntry: Sendable, Hashable {
    private final class Fields: Sendable {
        let sequence: UInt64
        let id: EventID
        let stream: StreamID
        let streamVersion: UInt64
        let type: String
        let schemaVersion: Int
        let recordedAt: Timestamp
        let actor: String
        /// Where the data object lies in `bytes`: replay reads it there, without a copy.
        let payload: Range<Int>
        let bytes: [UInt8]

        init(
            sequence: UInt64, id: EventID, stream: StreamID, streamVersion: UInt64, type: String, schemaVersion: Int,
            recordedAt: Timestamp, actor: String, payload: Range<Int>, bytes: [UInt8]
        ) {
            self.sequence = sequence
            self.id = id
            self.stream = stream
            self.streamVersion = streamVersion
            self.type = type
            self.schemaVersion = schemaVersion
            self.recordedAt = recordedAt
            self.actor = actor
            self.payload = payload
            self.bytes = bytes
        }
    }

    private let fields: Fields

    /// `payload`: where the data object lies in `bytes`.
    init(
        sequence: UInt64, id: EventID, stream: StreamID, streamVersion: UInt64, type: String, schemaVersion: Int,
        recordedAt: Timestamp, actor: String, payload: Range<Int>, bytes: [UInt8]
    ) {
        fields = Fields(
            sequence: sequence, id: id, stream: stream, streamVersion: streamVersion, type: type, schemaVersion: schemaVersion,
            recordedAt: recordedAt, actor: actor, payload: payload, bytes: bytes)
    }

    /// The entry's position in the log, from 1.
    public var sequence: UInt64 { fields.sequence }
    /// The producer-chosen identity of the event.
    public var id: EventID { fields.id }
    /// The stream the event belongs to.
    public var stream: StreamID { fields.stream }
    /// The event's position in its stream, from 1.
    public var streamVersion: UInt64 { fields.streamVersion }
    /// The event's type name, e.g. `CallReceived`.
    public var type: String { fields.type }
    /// The version of the event type's schema.
    public var schemaVersion: Int { fields.schemaVersion }
    /// When the log recorded the event.
    public var recordedAt: Timestamp { fields.recordedAt }
    /// Who caused the event (an operator, a department, `system`...).
    public var actor: String { fields.actor }
    /// The canonical JSON of the event's data object (a copy of that part of `bytes`).
    public var payload: [UInt8] { Array(fields.bytes[fields.payload]) }
    /// The stored envelope bytes: the Merkle leaf of this entry.
    public var bytes: [UInt8] { fields.bytes }

    /// The event's data, decoded from `payload`.
    public func data() throws -> JSONValue { try JSONParser.parse(payload) }

    /// The event's data object, read member by member where it lies in the stored bytes: how
    /// replay decodes millions of events without copying their data. Offsets in its errors
    /// count from the start of `bytes`.
    public func dataReader() throws(JSONParseError) -> JSONObjectReader {
        try JSONObjectReader(fields.bytes, in: fields.payload)
    }

    /// Entries are equal when their stored bytes are: the envelope holds every field.
    public static func == (a: LogEntry, b: LogEntry) -> Bool {
        a.fields === b.fields || a.bytes == b.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}

extension LogEntry {
    /// Reads an entry from its stored bytes, as an export carries them, and checks that they are
    /// exactly the canonical envelope Defter stores (so that the Merkle leaf is reproduced).
    public init(exported bytes: [UInt8]) throws(EventValidationError) {
        let entry = try LogEntry(envelope: bytes)
        guard let data = try? JSONParser.parse(entry.payload), data.canonicalBytes == entry.payload else {
            throw EventValidationError("entry \(entry.sequence): its data is not canonical JSON")
        }
        self = entry
    }

    /// Reads an entry from its stored bytes and checks that its envelope is exactly the canonical
    /// one Defter stores; its data object is checked when it is read, as for the log's own entries
    /// (`defter log verify` checks no more). What a mirror needs, whose entries are already bound
    /// to a signed root by their leaf hashes: cheaper than `init(exported:)`, which also parses the
    /// data and re-encodes it.
    public init(envelope bytes: [UInt8]) throws(EventValidationError) {
        let entry: LogEntry
        do {
            entry = try bytes.withUnsafeBytes { raw in try Envelope.decode(raw) }
        } catch {
            throw EventValidationError("not a log entry: \(error)")
        }
        let again = Envelope.encode(
            sequence: entry.sequence, id: entry.id, stream: entry.stream, streamVersion: entry.streamVersion, type: entry.type,
            schemaVersion: entry.schemaVersion, recordedAt: Array(entry.recordedAt.description.utf8), actor: entry.actor,
            payload: entry.payload)
        guard again == bytes else { throw EventValidationError("entry \(entry.sequence) is not in canonical form") }
        self = entry
    }
}

/// The canonical envelope encoding described in `Schemas/log-format.md`:
/// `{"actor":…,"data":…,"id":…,"recordedAt":…,"schemaVersion":…,"seq":…,"stream":…,"streamVersion":…,"type":…}`.
enum Envelope {
    static let keys = ["actor", "data", "id", "recordedAt", "schemaVersion", "seq", "stream", "streamVersion", "type"]

    /// Encodes an envelope; `payload` must already be canonical JSON of an object.
    static func encode(
        sequence: UInt64, id: EventID, stream: StreamID, streamVersion: UInt64, type: String,
        schemaVersion: Int, recordedAt: [UInt8], actor: String, payload: [UInt8]
    ) -> [UInt8] {
        let template = EnvelopeTemplate(
            actor: actor, id: id, stream: stream, type: type, schemaVersion: schemaVersion,
            data: { out in out.append(contentsOf: payload) })
        var out: [UInt8] = []
        recordedAt.withUnsafeBytes { template.write(sequence: sequence, streamVersion: streamVersion, recordedAt: $0, into: &out) }
        return out
    }

    /// Why stored bytes are not a valid envelope.
    struct DecodingError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Decodes stored bytes into an entry, checking that they are an envelope with exactly the
    /// nine fields in canonical order and with the right types. The data object's content is
    /// checked when it is read (`data()`, `dataReader()`).
    static func decode(_ raw: UnsafeRawBufferPointer) throws -> LogEntry {
        let fields = try scan(raw, dataEnd: .foundFromTheEnd)
        func text(_ range: Range<Int>, _ name: String) throws -> String {
            let body = UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound + 1)..<(range.upperBound - 1)])
            if !body.contains(UInt8(ascii: "\\")) {
                guard let value = JSONParser.string(validating: body) else {
                    throw DecodingError(reason: "\(name) is not valid UTF-8")
                }
                return value
            }
            var parser = JSONParser(raw)
            parser.position = range.lowerBound
            do { return try parser.parseString() } catch { throw DecodingError(reason: "\(name) is not a valid string: \(error)") }
        }
        let id: EventID
        let stream: StreamID
        do {
            id = try EventID(try text(fields.id, "id"))
            stream = try StreamID(try text(fields.stream, "stream"))
        } catch let error as InvalidIdentifier {
            throw DecodingError(reason: error.reason)
        }
        return LogEntry(
            sequence: fields.sequence, id: id, stream: stream, streamVersion: fields.streamVersion,
            type: try text(fields.type, "type"), schemaVersion: Int(fields.schemaVersion), recordedAt: fields.recordedAt,
            actor: try text(fields.actor, "actor"), payload: fields.data,
            bytes: Array(raw))
    }
}

/// An envelope with everything but its sequence, stream version and recording time already
/// encoded, so that the writer thread only copies bytes and writes three numbers.
///
/// `bytes` holds, back to back: `{"actor":…,"data":…,"id":…,"recordedAt":"`, then
/// `","schemaVersion":…,"seq":`, then `,"stream":…,"streamVersion":`, then `,"type":…}`; after the
/// envelope's parts, the event id's bytes (its `ids` key) and the stream's bytes followed by 0x00
/// (the prefix of its `streams` key).
struct EnvelopeTemplate: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Where the recording time, the sequence and the stream version go.
    private var recordedAtAt = 0
    private var sequenceAt = 0
    private var streamVersionAt = 0
    private var end = 0
    /// The canonical JSON of the event's data.
    private(set) var payload = 0..<0
    /// The stream and type as JSON strings, quotes included.
    private(set) var streamField = 0..<0
    private(set) var typeField = 0..<0
    /// The `ids` key and the `streams` key prefix.
    private(set) var idKey = 0..<0
    private(set) var streamKeyPrefix = 0..<0

    /// Encodes the fixed parts; `data` appends the canonical JSON of the event's data object.
    init(
        actor: String, id: EventID, stream: StreamID, type: String, schemaVersion: Int, capacity: Int = 256,
        data: (inout [UInt8]) -> Void
    ) {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(contentsOf: #"{"actor":"#.utf8)
        CanonicalJSON.writeString(actor, into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        let dataStart = out.count
        data(&out)
        payload = dataStart..<out.count
        out.append(contentsOf: #","id":"#.utf8)
        CanonicalJSON.writeString(id.rawValue, into: &out)
        out.append(contentsOf: #","recordedAt":""#.utf8)
        recordedAtAt = out.count
        out.append(contentsOf: #"","schemaVersion":"#.utf8)
        Self.appendDecimal(UInt64(schemaVersion), to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        sequenceAt = out.count
        out.append(contentsOf: #","stream":"#.utf8)
        let streamStart = out.count
        CanonicalJSON.writeString(stream.rawValue, into: &out)
        streamField = streamStart..<out.count
        out.append(contentsOf: #","streamVersion":"#.utf8)
        streamVersionAt = out.count
        out.append(contentsOf: #","type":"#.utf8)
        let typeStart = out.count
        CanonicalJSON.writeString(type, into: &out)
        typeField = typeStart..<out.count
        out.append(UInt8(ascii: "}"))
        end = out.count
        out.append(contentsOf: id.rawValue.utf8)
        idKey = end..<out.count
        out.append(contentsOf: stream.rawValue.utf8)
        out.append(0)
        streamKeyPrefix = idKey.upperBound..<out.count
        bytes = out
    }

    /// The size of the envelope without its three numbers and recording time.
    var fixedCount: Int { end }

    /// Replaces `out` with the complete envelope.
    func write(sequence: UInt64, streamVersion: UInt64, recordedAt: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(end + recordedAt.count + 60)
        bytes.withUnsafeBufferPointer { parts in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: parts[0..<recordedAtAt]))
            out.append(contentsOf: recordedAt)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: parts[recordedAtAt..<sequenceAt]))
            Self.appendDecimal(sequence, to: &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: parts[sequenceAt..<streamVersionAt]))
            Self.appendDecimal(streamVersion, to: &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: parts[streamVersionAt..<end]))
        }
    }

    /// The decimal digits of `value`, as `String(value)` writes them.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = value
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// Calls `body` with the event id's bytes: its key in the `ids` index.
    func withIDKey<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[idKey])) }
    }

    /// Calls `body` with the prefix of the event's `streams` keys (the stream's bytes and 0x00).
    func withStreamKeyPrefix<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[streamKeyPrefix])) }
    }

    /// Replaces `key` with the event's `streams` key at `version`.
    func streamKey(version: UInt64, into key: inout [UInt8]) {
        key.removeAll(keepingCapacity: true)
        bytes.withUnsafeBufferPointer { key.append(contentsOf: UnsafeBufferPointer(rebasing: $0[streamKeyPrefix])) }
        withUnsafeBytes(of: version.bigEndian) { key.append(contentsOf: $0) }
    }

    /// Whether `other` has the same stream, type and data: the test of an idempotent retry.
    func sameEvent(as other: EnvelopeTemplate) -> Bool {
        bytes[streamField] == other.bytes[other.streamField] && bytes[typeField] == other.bytes[other.typeField]
            && bytes[payload] == other.bytes[other.payload]
    }

    /// Whether the stored envelope `raw` has the same stream, type and data.
    func sameEvent(asStored raw: UnsafeRawBufferPointer) throws -> Bool {
        let fields = try Envelope.scan(raw, dataEnd: .foundFromTheEnd)
        return bytes.withUnsafeBytes { mine in
            func equal(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
                a.count == b.count && memcmp(mine.baseAddress! + a.lowerBound, raw.baseAddress! + b.lowerBound, a.count) == 0
            }
            return equal(streamField, fields.stream) && equal(typeField, fields.type) && equal(payload, fields.data)
        }
    }
}

/// Where each field of an envelope lies (string ranges include their quotes), with the numbers
/// already parsed.
struct EnvelopeFields {
    var actor = 0..<0
    var data = 0..<0
    var id = 0..<0
    var stream = 0..<0
    var type = 0..<0
    var recordedAt = Timestamp(millisecondsSinceEpoch: 0)
    var schemaVersion: UInt64 = 0
    var sequence: UInt64 = 0
    var streamVersion: UInt64 = 0
}

/// The fields of an envelope that verification needs: the sequence, and fingerprints of the two
/// index keys that must point at the entry.
struct EnvelopeHeader {
    var sequence: UInt64
    var streamVersion: UInt64
    /// `Fingerprint` of the `streams` index key (stream bytes, 0x00, 8-byte version).
    var streamKeyFingerprint: Int
    /// `Fingerprint` of the `ids` index key (the event id's bytes).
    var idFingerprint: Int
}

/// A 64-bit hash of index keys, consistent within one process, used to match index rows with
/// entries without keeping the keys themselves.
struct Fingerprint {
    private var hasher = Hasher()

    mutating func add(_ bytes: UnsafeRawBufferPointer) { hasher.combine(bytes: bytes) }
    func finalize() -> Int { hasher.finalize() | 1 }

    static func of(_ bytes: UnsafeRawBufferPointer) -> Int {
        var fingerprint = Fingerprint()
        fingerprint.add(bytes)
        return fingerprint.finalize()
    }
}

extension Envelope {
    private static let keyPrefixes: [[UInt8]] = keys.enumerated().map { offset, key in
        Array(((offset == 0 ? "{" : ",") + "\"" + key + "\":").utf8)
    }

    /// How `scan` finds where the data object ends.
    enum DataEnd {
        /// By skimming the object: its strings and nesting are checked on the way.
        case skimmed
        /// As the envelope's last `},"id":"`, found from its end: nothing after the data (the id,
        /// the time, numbers, the stream and the type) can hold one, since every quote inside a
        /// JSON string is escaped. Replay reads each entry this way, without walking its data a
        /// second time before decoding it.
        case foundFromTheEnd
    }

    /// Walks an envelope in canonical field order without building strings.
    static func scan(_ raw: UnsafeRawBufferPointer, dataEnd: DataEnd = .skimmed) throws -> EnvelopeFields {
        var fields = EnvelopeFields()
        var parser = JSONParser(raw)
        func fail(_ reason: String) -> DecodingError { DecodingError(reason: reason) }
        for (index, prefix) in keyPrefixes.enumerated() {
            let position = parser.position
            guard position + prefix.count <= raw.count, memcmp(raw.baseAddress! + position, prefix, prefix.count) == 0 else {
                throw fail(
                    "expected field \"\(keys[index])\" at byte \(position + 1) (fields must be exactly \(keys.joined(separator: ", ")) in that order)"
                )
            }
            parser.position += prefix.count
            let start = parser.position
            do {
                switch index {
                case 1:
                    guard parser.peek() == UInt8(ascii: "{") else { throw fail("data is not an object") }
                    switch dataEnd {
                    case .skimmed: try parser.skipValue()
                    case .foundFromTheEnd:
                        guard let end = endOfData(raw, from: start) else { throw fail("no \"id\" field after the data object") }
                        parser.position = end
                    }
                    fields.data = start..<parser.position
                case 0, 2, 3, 6, 8:
                    guard parser.peek() == UInt8(ascii: "\"") else { throw fail("\(keys[index]) is not a string") }
                    try parser.skipValue()
                    let range = start..<parser.position
                    switch index {
                    case 0: fields.actor = range
                    case 2: fields.id = range
                    case 3:
                        guard range.count == 26,
                            let time = Timestamp(rfc3339: UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<(start + 25)]))
                        else { throw fail("recordedAt is not an RFC 3339 UTC timestamp") }
                        fields.recordedAt = time
                    case 6: fields.stream = range
                    default: fields.type = range
                    }
                case 4:
                    fields.schemaVersion = try parser.parseUnsigned()
                    guard fields.schemaVersion >= 1, fields.schemaVersion <= UInt64(Int.max) else {
                        throw fail("schemaVersion is not a positive integer")
                    }
                case 5:
                    fields.sequence = try parser.parseUnsigned()
                    guard fields.sequence >= 1 else { throw fail("seq is not a positive integer") }
                default:
                    fields.streamVersion = try parser.parseUnsigned()
                    guard fields.streamVersion >= 1 else { throw fail("streamVersion is not a positive integer") }
                }
            } catch let error as JSONParseError {
                throw fail("\(keys[index]) is not valid JSON: \(error)")
            }
        }
        guard parser.position == raw.count - 1, raw[parser.position] == UInt8(ascii: "}") else {
            throw fail("bytes after the envelope")
        }
        return fields
    }

    private static let dataEndMarker = Array(#"},"id":""#.utf8)

    /// Just past the data object that starts at `start`: the `}` of the envelope's last
    /// `},"id":"` (see `DataEnd.foundFromTheEnd`), or nil when there is none after `start`.
    private static func endOfData(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let marker = dataEndMarker
        // Each `}` from the end, until one begins the marker.
        var below = raw.count - marker.count + 1
        while let brace = lastClosingBrace(in: raw, after: start, below: below) {
            if memcmp(raw.baseAddress! + brace, marker, marker.count) == 0 { return brace + 1 }
            below = brace
        }
        return nil
    }

    /// The position of the last `}` after `start` and below `end`, looking at eight bytes at a
    /// time: the envelope's tail holds some 200 bytes and rarely another `}`.
    private static func lastClosingBrace(in raw: UnsafeRawBufferPointer, after start: Int, below end: Int) -> Int? {
        var end = end
        let braces: UInt64 = 0x7D7D_7D7D_7D7D_7D7D
        while end - 8 > start {
            // A zero byte in `word` is a `}` in the eight bytes (the classic test for one).
            let word = raw.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) ^ braces
            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 { break }
            end -= 8
        }
        var position = end - 1
        while position > start {
            if raw[position] == UInt8(ascii: "}") { return position }
            position -= 1
        }
        return nil
    }

    /// Checks that `raw` is a canonical-shaped envelope and returns what verification needs.
    static func decodeHeader(_ raw: UnsafeRawBufferPointer) throws -> EnvelopeHeader {
        let fields = try scan(raw)
        var versionKey = (UInt8(0), fields.streamVersion.bigEndian)
        let streamKey = try fingerprint(of: fields.stream, in: raw) { fingerprint in
            withUnsafeBytes(of: &versionKey) { bytes in
                // The tuple is padded: take the 0x00 byte, then the 8 version bytes.
                fingerprint.add(UnsafeRawBufferPointer(rebasing: bytes[0..<1]))
                fingerprint.add(UnsafeRawBufferPointer(rebasing: bytes[8..<16]))
            }
        }
        return EnvelopeHeader(
            sequence: fields.sequence, streamVersion: fields.streamVersion, streamKeyFingerprint: streamKey,
            idFingerprint: try fingerprint(of: fields.id, in: raw) { _ in })
    }

    /// The fingerprint of a string's unescaped UTF-8 bytes, followed by what `suffix` adds.
    private static func fingerprint(
        of range: Range<Int>, in raw: UnsafeRawBufferPointer, suffix: (inout Fingerprint) -> Void
    ) throws -> Int {
        var fingerprint = Fingerprint()
        let body = UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound + 1)..<(range.upperBound - 1)])
        if body.contains(UInt8(ascii: "\\")) {
            var parser = JSONParser(raw)
            parser.position = range.lowerBound
            let unescaped = Array(try parser.parseString().utf8)
            unescaped.withUnsafeBytes { fingerprint.add($0) }
        } else {
            fingerprint.add(body)
        }
        suffix(&fingerprint)
        return fingerprint.finalize()
    }
}
