import Foundation

@testable import DefterLog

/// Published bundle bytes: each entry after its big-endian `UInt16` length.
func bundleBytes(_ entries: [[UInt8]]) -> [UInt8] {
    entries.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xff)] + $0 }
}

/// A canonical envelope of `sequence` with the given id, stream and version.
func envelope(_ sequence: UInt64, id: String, stream: String, version: UInt64, actor: String = "operator-7") -> [UInt8] {
    Envelope.encode(
        sequence: sequence, id: EventID(unchecked: id), stream: StreamID(unchecked: stream), streamVersion: version, type: "CallReceived",
        schemaVersion: 1, recordedAt: Array("2025-03-01T08:15:00.000Z".utf8), actor: actor, payload: Array(#"{"n":1}"#.utf8))
}
