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
}
