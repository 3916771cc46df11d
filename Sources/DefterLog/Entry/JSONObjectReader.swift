import Foundation

/// The members of one JSON object, read by name straight from the object's bytes, without
/// building a `JSONValue` tree: replay reads millions of small objects of known shape (the data
/// of stored events) this way.
///
/// Opening a reader finds where each member lies; a member's value is parsed, and checked as
/// strictly as `JSONParser` does, only when it is read. It is meant for bytes the log has already
/// validated (a stored entry's payload): when a key repeats, the first one is read.
public struct JSONObjectReader: Sendable {
    private let bytes: [UInt8]
    private let members: [Member]

    private struct Member {
        /// The key's bytes between its quotes, escapes undone when it had any.
        let key: Range<Int>
        let unescapedKey: [UInt8]?
        let value: Range<Int>
    }

    /// Opens the object that `bytes` hold (optionally surrounded by whitespace).
    public init(_ bytes: [UInt8]) throws(JSONParseError) {
        var end = 0
        try self.init(bytes, at: 0, end: &end)
        var rest = end
        while rest < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[rest]) { rest += 1 }
        guard rest == bytes.count else { throw JSONParseError(offset: rest, reason: "unexpected text after the JSON object") }
    }

    /// Opens the object that `bytes` hold exactly in `range`, reading it there (nothing copied).
    public init(_ bytes: [UInt8], in range: Range<Int>) throws(JSONParseError) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "the range lies outside the bytes")
        var end = 0
        try self.init(bytes, at: range.lowerBound, end: &end)
        guard end == range.upperBound else {
            throw JSONParseError(offset: end, reason: "the JSON object ends before or after the range it was read in")
        }
    }

    /// Opens the object that starts at or after `position` (whitespace skipped); `end` is set
    /// just past it.
    private init(_ bytes: [UInt8], at position: Int, end: inout Int) throws(JSONParseError) {
        self.bytes = bytes
        let scanned: Result<(members: [Member], end: Int), JSONParseError> = bytes.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            parser.position = position
            do throws(JSONParseError) {
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: "{") else { throw parser.error("expected an object") }
                parser.position += 1
                var members: [Member] = []
                members.reserveCapacity(12)
                parser.skipWhitespace()
                if parser.peek() == UInt8(ascii: "}") { return .success((members, parser.position + 1)) }
                while true {
                    parser.skipWhitespace()
                    guard parser.peek() == UInt8(ascii: "\"") else { throw parser.error("expected a quoted object key") }
                    let keyStart = parser.position
                    try parser.skipValue()
                    let key = (keyStart + 1)..<(parser.position - 1)
                    var unescaped: [UInt8]?
                    if memchr(raw.baseAddress! + key.lowerBound, 0x5C, key.count) != nil {
                        var keyParser = JSONParser(raw)
                        keyParser.position = keyStart
                        unescaped = Array(try keyParser.parseString().utf8)
                    }
                    parser.skipWhitespace()
                    try parser.expect(UInt8(ascii: ":"), "':' after an object key")
                    parser.skipWhitespace()
                    let valueStart = parser.position
                    try parser.skipValue()
                    members.append(Member(key: key, unescapedKey: unescaped, value: valueStart..<parser.position))
                    parser.skipWhitespace()
                    guard let next = parser.peek() else { throw parser.error("unexpected end of input in an object") }
                    parser.position += 1
                    if next == UInt8(ascii: "}") { return .success((members, parser.position)) }
                    guard next == UInt8(ascii: ",") else {
                        parser.position -= 1
                        throw parser.error("expected ',' or '}' in an object")
                    }
                }
            } catch {
                return .failure(error)
            }
        }
        let object = try scanned.get()
        members = object.members
        end = object.end
    }

    /// The keys of the object, in the order they appear.
    public var keys: [String] {
        members.map { String(decoding: $0.unescapedKey ?? Array(bytes[$0.key]), as: UTF8.self) }
    }

    /// Where the value of `key` lies, if the object has it.
    private func value(_ key: String) -> Range<Int>? {
        var key = key
        return key.withUTF8 { wanted in
            bytes.withUnsafeBytes { raw in
                for member in members {
                    if let unescaped = member.unescapedKey {
                        if unescaped.elementsEqual(wanted) { return member.value }
                    } else if member.key.count == wanted.count,
                        wanted.isEmpty || memcmp(raw.baseAddress! + member.key.lowerBound, wanted.baseAddress!, wanted.count) == 0
                    {
                        return member.value
                    }
                }
                return nil
            }
        }
    }

    /// Runs `body` with a parser at the value of `key`; nil when the key is absent or its value is
    /// `null`.
    private func read<T>(
        _ key: String, _ body: (inout JSONParser) throws(JSONParseError) -> T
    ) throws(JSONParseError) -> T? {
        guard let range = value(key) else { return nil }
        let result: Result<T?, JSONParseError> = bytes.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            parser.position = range.lowerBound
            if parser.peek() == UInt8(ascii: "n") { return .success(nil) }
            do throws(JSONParseError) { return .success(try body(&parser)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func mismatch(_ key: String, _ expected: String, _ parser: borrowing JSONParser) -> JSONParseError {
        parser.error("member \"\(key)\" is not \(expected)")
    }

    /// The string under `key`; nil when absent or null.
    public func string(_ key: String) throws(JSONParseError) -> String? {
        try read(key) { (parser: inout JSONParser) throws(JSONParseError) in
            guard parser.peek() == UInt8(ascii: "\"") else { throw Self.mismatch(key, "a string", parser) }
            return try parser.parseString()
        }
    }

    /// The integer under `key` (no fraction or exponent); nil when absent or null.
    public func integer(_ key: String) throws(JSONParseError) -> Int64? {
        try read(key) { (parser: inout JSONParser) throws(JSONParseError) in
            guard case .integer(let value) = try Self.number(&parser, key) else { throw Self.mismatch(key, "an integer", parser) }
            return value
        }
    }

    /// The number under `key`, integers included; nil when absent or null.
    public func number(_ key: String) throws(JSONParseError) -> Double? {
        try read(key) { (parser: inout JSONParser) throws(JSONParseError) in
            switch try Self.number(&parser, key) {
            case .integer(let value): return Double(value)
            case .number(let value): return value
            default: throw Self.mismatch(key, "a number", parser)
            }
        }
    }

    private static func number(_ parser: inout JSONParser, _ key: String) throws(JSONParseError) -> JSONValue {
        guard let first = parser.peek(), first == UInt8(ascii: "-") || (0x30...0x39).contains(first) else {
            throw mismatch(key, "a number", parser)
        }
        return try parser.parseNumber()
    }

    /// The boolean under `key`; nil when absent or null.
    public func bool(_ key: String) throws(JSONParseError) -> Bool? {
        try read(key) { (parser: inout JSONParser) throws(JSONParseError) in
            switch parser.peek() {
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                guard case .bool(let value) = try parser.parseValue() else { throw Self.mismatch(key, "a boolean", parser) }
                return value
            default: throw Self.mismatch(key, "a boolean", parser)
            }
        }
    }

    /// The object under `key`; nil when absent or null.
    public func object(_ key: String) throws(JSONParseError) -> JSONObjectReader? {
        guard let range = value(key) else { return nil }
        if bytes[range.lowerBound] == UInt8(ascii: "n") { return nil }
        var end = 0
        return try JSONObjectReader(bytes, at: range.lowerBound, end: &end)
    }

    /// The array of objects under `key`; nil when absent or null.
    public func objects(_ key: String) throws(JSONParseError) -> [JSONObjectReader]? {
        guard let starts = try elements(key, "an array of objects", first: UInt8(ascii: "{")) else { return nil }
        var objects: [JSONObjectReader] = []
        objects.reserveCapacity(starts.count)
        for start in starts {
            var end = 0
            objects.append(try JSONObjectReader(bytes, at: start, end: &end))
        }
        return objects
    }

    /// The array of strings under `key`; nil when absent or null.
    public func strings(_ key: String) throws(JSONParseError) -> [String]? {
        guard let starts = try elements(key, "an array of strings", first: UInt8(ascii: "\"")) else { return nil }
        let result: Result<[String], JSONParseError> = bytes.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            var strings: [String] = []
            strings.reserveCapacity(starts.count)
            do throws(JSONParseError) {
                for start in starts {
                    parser.position = start
                    strings.append(try parser.parseString())
                }
                return .success(strings)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Where each element of the array under `key` starts, each checked to begin with `first`.
    private func elements(_ key: String, _ expected: String, first: UInt8) throws(JSONParseError) -> [Int]? {
        try read(key) { (parser: inout JSONParser) throws(JSONParseError) in
            guard parser.peek() == UInt8(ascii: "[") else { throw Self.mismatch(key, expected, parser) }
            parser.position += 1
            var starts: [Int] = []
            parser.skipWhitespace()
            if parser.peek() == UInt8(ascii: "]") { return starts }
            while true {
                parser.skipWhitespace()
                guard parser.peek() == first else { throw Self.mismatch(key, expected, parser) }
                starts.append(parser.position)
                try parser.skipValue()
                parser.skipWhitespace()
                guard let next = parser.peek() else { throw parser.error("unexpected end of input in an array") }
                parser.position += 1
                if next == UInt8(ascii: "]") { return starts }
                guard next == UInt8(ascii: ",") else {
                    parser.position -= 1
                    throw parser.error("expected ',' or ']' in an array")
                }
            }
        }
    }
}
