public import DefterLog
public import Foundation

/// Runs `body` with a fresh temporary folder that is removed afterwards.
public func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defter-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}

/// Runs `body` with a new log in a temporary folder (a real LMDB environment), closing the log
/// and removing the folder afterwards. The origin is `test.defter/log` unless `configuration`
/// names one.
public func withTemporaryLog<T>(
    _ configuration: LogConfiguration = LogConfiguration(),
    _ body: (EventLog, URL) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { root in
        let folder = root.appendingPathComponent("data")
        var configuration = configuration
        configuration.origin = configuration.origin ?? "test.defter/log"
        let log = try EventLog.open(at: folder, configuration: configuration)
        defer { log.close() }
        return try await body(log, folder)
    }
}

/// Opens the log in `folder` read-only.
public func openReadOnly(_ folder: URL) throws -> EventLog {
    var configuration = LogConfiguration()
    configuration.readOnly = true
    return try EventLog.open(at: folder, configuration: configuration)
}

/// Small, named events for tests.
public enum SampleEvents {
    /// A call on `stream` whose data carries a marker unique to (`stream`, `number`), so tests can
    /// find its bytes in the data file.
    public static func call(_ stream: String, _ number: Int, id: String? = nil, expectedVersion: UInt64? = nil) -> NewEvent {
        NewEvent(
            stream: try! StreamID(stream), type: "CallReceived",
            data: ["marker": .string(marker(stream, number)), "text": .string("Çöp konteyneri taştı, İstiklal Cd. No:\(number)")],
            id: id.map { try! EventID($0) } ?? .random(), expectedVersion: expectedVersion, actor: "operator-7")
    }

    /// The marker string of `call(stream, number)`.
    public static func marker(_ stream: String, _ number: Int) -> String {
        "marker-\(stream)-\(String(format: "%06d", number))"
    }
}
