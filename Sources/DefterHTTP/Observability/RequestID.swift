import DefterLog
import Foundation

/// The id of the request being served, carried in `x-request-id`: echoed when the client sent a
/// valid one, made up otherwise, and attached to every log line of the request.
public enum RequestID {
    /// The id of the request the current task serves, if any.
    @TaskLocal public static var current: String?

    /// 1 to 128 ASCII letters, digits, `-`, `_`, `.` or `:` (so it cannot smuggle text into logs).
    static func isValid(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || "-_.:".utf8.contains(byte)
            }
    }

    /// A fresh id.
    static func make() -> String { RandomUUID.make() }
}
