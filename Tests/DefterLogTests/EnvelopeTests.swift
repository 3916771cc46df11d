import Foundation
import Testing

@testable import DefterLog

@Suite struct EnvelopeTests {
    let sample = Envelope.encode(
        sequence: 42, id: try! EventID("call-\"7\""), stream: try! StreamID("ticket-ş"), streamVersion: 3, type: "CallReceived",
        schemaVersion: 1, recordedAt: Array("2025-03-01T08:15:00.123Z".utf8), actor: "op-1",
        payload: JSONValue.object(["text": "Çöp\n"]).canonicalBytes)

    @Test("an encoded envelope is canonical JSON and decodes back to its fields")
    func roundTrip() throws {
        #expect(try JSONParser.parse(sample).canonicalBytes == sample)
        let entry = try sample.withUnsafeBytes { try Envelope.decode($0) }
        #expect(entry.sequence == 42)
        #expect(entry.id.rawValue == "call-\"7\"")
        #expect(entry.stream.rawValue == "ticket-ş")
        #expect(entry.streamVersion == 3)
        #expect(entry.recordedAt.description == "2025-03-01T08:15:00.123Z")
        #expect(try entry.data()["text"] == "Çöp\n")
        #expect(entry.bytes == sample)
        #expect(entry.payload == JSONValue.object(["text": "Çöp\n"]).canonicalBytes)
        #expect(try entry.dataReader().string("text") == "Çöp\n", "the data is read where it lies in the stored bytes")
        #expect(try entry.dataReader().keys == ["text"])
    }

    @Test("the header's fingerprints equal those of the index keys, even for escaped strings")
    func headerFingerprints() throws {
        let header = try sample.withUnsafeBytes { try Envelope.decodeHeader($0) }
        let streamKey = LogLayout.streamKey(try StreamID("ticket-ş"), version: 3)
        #expect(header.streamKeyFingerprint == streamKey.withUnsafeBytes { Fingerprint.of($0) })
        #expect(header.idFingerprint == Array("call-\"7\"".utf8).withUnsafeBytes { Fingerprint.of($0) })
        #expect(header.sequence == 42)
    }

    @Test(
        "bytes that are not an envelope in canonical field order are refused",
        arguments: [
            #"{"data":{},"actor":"a","id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1,"type":"T"}"#,
            #"{"actor":"a","data":{},"id":"i","recordedAt":"2025-03-01 08:15","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1,"type":"T"}"#,
            #"{"actor":"a","data":{},"id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":0,"stream":"s","streamVersion":1,"type":"T"}"#,
            #"{"actor":"a","data":[],"id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1,"type":"T"}"#,
            #"{"actor":"a","data":{},"id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1,"type":"T"} "#,
            #"{"actor":"a","data":{},"id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1}"#,
        ])
    func refusesNonEnvelopes(text: String) {
        let bytes = Array(text.utf8)
        #expect(throws: Envelope.DecodingError.self) { try bytes.withUnsafeBytes { try Envelope.decode($0) } }
        #expect(throws: Envelope.DecodingError.self) { try bytes.withUnsafeBytes { try Envelope.decodeHeader($0) } }
    }

    @Test("decoding finds where the data ends from the envelope's end, whatever the data and the id hold")
    func dataEndFromTheEnd() throws {
        // Inside the data: a nested object followed by a member named "id", and a string holding
        // the marker with its quotes escaped; the id holds it escaped too.
        let data = Array(#"{"a":{},"id":"inner","q":"},\"id\":\"","z":[{}]}"#.utf8)
        let envelope = Envelope.encode(
            sequence: 7, id: try EventID(#"x},"id":"y"#), stream: try StreamID("s}"), streamVersion: 1, type: "T",
            schemaVersion: 1, recordedAt: Array("2025-03-01T08:15:00.123Z".utf8), actor: "a", payload: data)
        let entry = try envelope.withUnsafeBytes { try Envelope.decode($0) }
        #expect(entry.payload == data)
        #expect(entry.id.rawValue == #"x},"id":"y"#)
        #expect(entry.stream.rawValue == "s}")
        #expect(try entry.dataReader().string("id") == "inner")
        let skimmed = try envelope.withUnsafeBytes { try Envelope.scan($0, dataEnd: .skimmed) }
        let fromTheEnd = try envelope.withUnsafeBytes { try Envelope.scan($0, dataEnd: .foundFromTheEnd) }
        #expect(skimmed.data == fromTheEnd.data && skimmed.id == fromTheEnd.id && skimmed.type == fromTheEnd.type)
    }

    @Test("a data object that is not well formed is refused when it is read, and by verification's walk at once")
    func malformedDataIsRefusedWhenRead() throws {
        let envelope = Array(
            #"{"actor":"a","data":{"a":1}},"id":"i","recordedAt":"2025-03-01T08:15:00.123Z","schemaVersion":1,"seq":1,"stream":"s","streamVersion":1,"type":"T"}"#
                .utf8)
        let entry = try envelope.withUnsafeBytes { try Envelope.decode($0) }
        #expect(throws: JSONParseError.self) { try entry.dataReader() }
        #expect(throws: (any Error).self) { try entry.data() }
        #expect(throws: Envelope.DecodingError.self) { try envelope.withUnsafeBytes { try Envelope.decodeHeader($0) } }
    }
}
