import Foundation

/// Why some bytes are not acceptable JSON, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset at which the problem was found.
    public let offset: Int
    /// What is wrong there.
    public let reason: String
    public var description: String { "\(reason) at byte \(offset + 1)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes: it rejects invalid UTF-8, duplicate keys, lone
/// surrogates, integers beyond 64 bits, nesting deeper than 64 and trailing garbage.
struct JSONParser: ~Copyable {
    private let bytes: UnsafeRawBufferPointer
    var position = 0
    private var depth = 0
    static let maximumDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses one complete JSON document.
    static func parse(_ input: some ContiguousBytes) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = input.withUnsafeBytes { raw in
            var parser = JSONParser(raw)
            do {
                parser.skipWhitespace()
                let value = try parser.parseValue()
                parser.skipWhitespace()
                guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
                return .success(value)
            } catch let error as JSONParseError {
                return .failure(error)
            } catch {
                preconditionFailure("the parser throws only JSONParseError")
            }
        }
        return try result.get()
    }

    var atEnd: Bool { position >= bytes.count }

    func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: position, reason: reason)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard peek() == byte else { throw error("expected \(what)") }
        position += 1
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(printable(byte))', expected a value")
        }
    }

    private func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7f ? String(UnicodeScalar(byte)) : "\\x" + Hex.encode([byte])
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input in '\(word)'") }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] {
            throw error("invalid literal, expected '\(word)'")
        }
        position += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted object key") }
            let keyStart = position
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipWhitespace()
            let value = try parseValue()
            if members.updateValue(value, forKey: key) != nil {
                throw JSONParseError(offset: keyStart, reason: "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard let next = peek() else { throw error("unexpected end of input in an object") }
            position += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else {
                position -= 1
                throw error("expected ',' or '}' in an object")
            }
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard let next = peek() else { throw error("unexpected end of input in an array") }
            position += 1
            if next == UInt8(ascii: "]") { return .array(items) }
            guard next == UInt8(ascii: ",") else {
                position -= 1
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// The string of UTF-8 `bytes`, or nil when they are not valid UTF-8. ASCII, by far the most
    /// common case in the log, is checked with a plain scan instead of a full decoder.
    /// Whether `bytes` are UTF-8, without building a string when they are ASCII.
    static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        return high < 0x80 || String(validating: bytes, as: UTF8.self) != nil
    }

    static func string(validating bytes: UnsafeRawBufferPointer) -> String? {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Parses a string starting at its opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard let text = Self.string(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<position])) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            position += 1
        }
        var buffer = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return text
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            if byte != UInt8(ascii: "\\") {
                buffer.append(byte)
                position += 1
                continue
            }
            position += 1
            guard let escape = peek() else { throw error("unterminated escape") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5c)
            case UInt8(ascii: "/"): buffer.append(0x2f)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0c)
            case UInt8(ascii: "n"): buffer.append(0x0a)
            case UInt8(ascii: "r"): buffer.append(0x0d)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count,
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("lone high surrogate in a \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("lone low surrogate in a \\u escape")
                }
                buffer.append(contentsOf: Array(String(Character(UnicodeScalar(scalar)!)).utf8))
            default:
                position -= 1
                throw error("invalid escape '\\\(printable(escape))'")
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var integral = true
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a digit") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek(), isDigit(next) { throw error("leading zeros are not allowed in numbers") }
        } else {
            while let c = peek(), isDigit(c) { position += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard let c = peek(), isDigit(c) else { throw error("expected a digit after the decimal point") }
            while let c = peek(), isDigit(c) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            integral = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let c = peek(), isDigit(c) else { throw error("expected a digit in the exponent") }
            while let c = peek(), isDigit(c) { position += 1 }
        }
        if integral, position - start <= 18 {
            // Up to 18 characters (17 digits and a sign) always fit in 64 bits: no text needed.
            var value: Int64 = 0
            for index in start..<position where bytes[index] != UInt8(ascii: "-") {
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            }
            return .integer(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral {
            guard let value = Int64(text) else {
                throw JSONParseError(offset: start, reason: "integer \(text) does not fit in 64 bits")
            }
            return .integer(value)
        }
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(offset: start, reason: "number \(text) is out of range")
        }
        return .number(value)
    }

    /// Parses a non-negative integer without building a value.
    mutating func parseUnsigned() throws(JSONParseError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        while let c = peek(), isDigit(c) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { throw error("integer out of range") }
            value = sum
            position += 1
        }
        guard position > start else { throw error("expected a non-negative integer") }
        guard position - start == 1 || bytes[start] != UInt8(ascii: "0") else { throw error("leading zeros are not allowed in numbers") }
        return value
    }

    /// Skips one value without building it (used where only its byte range matters).
    mutating func skipValue() throws(JSONParseError) {
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Structural skim: strings are skipped with escapes honoured; content is validated by
            // the full parser whenever the value itself is decoded.
            var level = 0
            while position < bytes.count {
                let c = bytes[position]
                if c == UInt8(ascii: "\"") {
                    try skipString()
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { level += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    level -= 1
                    if level == 0 {
                        position += 1
                        return
                    }
                }
                position += 1
            }
            throw error("unexpected end of input inside a value")
        case UInt8(ascii: "\""): try skipString()
        default: _ = try parseValue()
        }
    }

    private mutating func skipString() throws(JSONParseError) {
        // Jump from quote to quote with memchr; a quote ends the string unless an odd number of
        // backslashes precede it (the opening quote bounds that count).
        let start = position
        var from = position + 1
        while from < bytes.count, let base = bytes.baseAddress {
            guard let found = memchr(base + from, Int32(UInt8(ascii: "\"")), bytes.count - from) else { break }
            let quote = base.distance(to: UnsafeRawPointer(found))
            var backslashes = 0
            while quote - backslashes - 1 > start && bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 {
                position = quote + 1
                return
            }
            from = quote + 1
        }
        position = bytes.count
        throw error("unterminated string")
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
