import DefterLog
import Foundation

/// Reads JSON records one at a time from a file of any size: NDJSON (one object a line), or one
/// JSON array of objects, the form of an Open311 GeoReport `requests.json`. Only the current
/// object is held in memory. Nested objects' members are named by their path (`address.city`);
/// numbers and booleans become their JSON text; nulls are absent.
final class JSONRecordReader {
    private let file: ChunkedFile
    private var line = 1
    private var object: [UInt8] = []
    private var inArray = false
    private var finished = false

    init(url: URL) throws {
        file = try ChunkedFile(url: url)
        // A UTF-8 byte-order mark.
        if try file.peek() == 0xEF {
            _ = try file.next()
            _ = try file.next()
            _ = try file.next()
        }
        try skipSpace()
        if try file.peek() == UInt8(ascii: "[") {
            _ = try file.next()
            inArray = true
        }
    }

    var offset: Int { file.offset }

    private func skipSpace(alsoCommas: Bool = false) throws {
        while let byte = try file.peek() {
            switch byte {
            case 0x0A:
                line += 1
            case 0x20, 0x09, 0x0D:
                break
            case UInt8(ascii: ",") where alsoCommas:
                break
            default:
                return
            }
            _ = try file.next()
        }
    }

    /// The next object's members and the line it starts on, or what is wrong with it; nil at the end.
    func next() throws -> (line: Int, values: [String: String], problem: String?)? {
        guard !finished else { return nil }
        try skipSpace(alsoCommas: inArray)
        guard let first = try file.peek() else { return nil }
        let start = line
        if inArray && first == UInt8(ascii: "]") {
            finished = true
            return nil
        }
        guard first == UInt8(ascii: "{") else {
            finished = true
            return (start, [:], "expected a JSON object ({...}) here; the rest of the file was not read")
        }
        // Copy one object's bytes, tracking strings and nesting.
        object.removeAll(keepingCapacity: true)
        var depth = 0
        var inString = false
        var escaped = false
        while let byte = try file.next() {
            object.append(byte)
            if byte == 0x0A { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x22: inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            default: break
            }
            if depth == 0 { break }
        }
        guard depth == 0 else {
            finished = true
            return (start, [:], "a JSON object that starts here is never closed; the rest of the file was not read")
        }
        let parsed: JSONValue
        do { parsed = try JSONValue(parsing: object) } catch {
            return (start, [:], "not valid JSON: \(error)")
        }
        guard case .object(let members) = parsed else { return (start, [:], "not a JSON object") }
        var values: [String: String] = [:]
        Self.flatten(members, prefix: "", into: &values)
        return (start, values, nil)
    }

    static func flatten(_ members: [String: JSONValue], prefix: String, into values: inout [String: String]) {
        for (key, value) in members {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case .string(let text): values[name] = text
            case .object(let nested): flatten(nested, prefix: name, into: &values)
            case .null: break
            case .bool, .integer, .number, .array: values[name] = value.canonicalString
            }
        }
    }
}
