import Foundation
import Testing

@testable import DefterLog

@Suite struct CanonicalJSONTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test("keys are sorted by code point and whitespace is dropped")
    func sortsKeys() throws {
        let value = try parse(#" { "b" : 1, "a" : [true, null, {"é": 2, "z": 3}], "İ": "x" } "#)
        #expect(value.canonicalString == #"{"a":[true,null,{"z":3,"é":2}],"b":1,"İ":"x"}"#)
    }

    @Test("strings escape quotes, backslashes and control characters, and keep Turkish letters raw")
    func escapes() throws {
        let value = try parse(#"{"t":"\"Çöp\"\\ \n\t\u0001 \u00e7 \/ \ud83d\ude00"}"#)
        #expect(value.canonicalString == "{\"t\":\"\\\"Çöp\\\"\\\\ \\n\\t\\u0001 ç / 😀\"}")
    }

    @Test("numbers keep their kind: integers exact, fractions shortest, integral doubles with .0")
    func numbers() throws {
        #expect(try parse("[0,-7,9007199254740993,1.5,1e2,-0.0,0.1]").canonicalString == "[0,-7,9007199254740993,1.5,100.0,-0.0,0.1]")
        // Integers are exact up to the ends of 64 bits, on both sides of the 18-character fast path.
        let limits =
            "[-0,99999999999999999,-99999999999999999,999999999999999999,-999999999999999999,9223372036854775807,-9223372036854775808]"
        #expect(
            try parse(limits)
                == .array([
                    .integer(0), .integer(99_999_999_999_999_999), .integer(-99_999_999_999_999_999), .integer(999_999_999_999_999_999),
                    .integer(-999_999_999_999_999_999), .integer(.max), .integer(.min),
                ]))
        #expect(throws: JSONParseError.self) { try parse("[9223372036854775808]") }
    }

    @Test("encoding is stable: parse(canonical) gives the same bytes again")
    func roundTrip() throws {
        let value = try parse(#"{"x":{"y":[1,2.25,"s",{"b":false,"a":null}]},"n":-12}"#)
        #expect(try JSONParser.parse(value.canonicalBytes).canonicalBytes == value.canonicalBytes)
    }

    @Test(
        "malformed JSON is refused with a reason",
        arguments: [
            (#"{"a":1,"a":2}"#, "duplicate key"),
            (#"{"a":"\ud800"}"#, "lone high surrogate"),
            (#"{"a":1} x"#, "unexpected text"),
            ("[01]", "leading zeros"),
            ("[99999999999999999999]", "does not fit in 64 bits"),
            ("{\"a\":\"\u{1}\"}", "unescaped control character"),
            (#"{"a":tru}"#, "invalid literal"),
            (#"{"a":1"#, "unexpected end of input"),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nesting deeper"),
        ])
    func refusesMalformed(input: String, reason: String) {
        #expect {
            try parse(input)
        } throws: { error in
            (error as? JSONParseError)?.reason.contains(reason) == true
        }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xff, 0x22]) }
    }

    @Test("timestamps print and parse as RFC 3339 UTC with milliseconds")
    func timestamps() {
        let t = Timestamp(millisecondsSinceEpoch: 1_740_816_900_123)
        #expect(t.description == "2025-03-01T08:15:00.123Z")
        #expect(Timestamp(rfc3339: "2025-03-01T08:15:00.123Z") == t)
        #expect(Timestamp(rfc3339: "2025-02-30T08:15:00.123Z") == nil)
        #expect(Timestamp(millisecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999Z")
    }
}

@Suite struct AppendLineTests {
    @Test("a full line decodes into an event")
    func decodesFullLine() throws {
        let line =
            #"{"stream":"ticket-1","type":"CallReceived","data":{"a":1},"id":"call-9","expectedVersion":0,"actor":"op","schemaVersion":2}"#
        let event = try AppendLine.decode(Array(line.utf8), line: 1, defaultActor: "cli")
        #expect(event.stream.rawValue == "ticket-1")
        #expect(event.id.rawValue == "call-9")
        #expect(event.expectedVersion == 0)
        #expect(event.actor == "op")
        #expect(event.schemaVersion == 2)
    }

    @Test(
        "bad lines are refused naming the line and the problem",
        arguments: [
            (#"{"stream":"s","type":"T","data":{},"extra":1}"#, "unknown field \"extra\""),
            (#"{"type":"T","data":{}}"#, "\"stream\" is required"),
            (#"{"stream":"s","type":"T","data":[1]}"#, "\"data\" must be a JSON object"),
            (#"{"stream":"s","type":"T","data":{},"expectedVersion":-1}"#, "expectedVersion"),
            (#"{"stream":"","type":"T","data":{}}"#, "stream is empty"),
            (#"[1,2]"#, "expected a JSON object"),
            (#"{"stream":"s","#, "not valid JSON"),
        ])
    func refusesBadLines(line: String, reason: String) {
        #expect {
            try AppendLine.decode(Array(line.utf8), line: 7, defaultActor: "cli")
        } throws: { error in
            guard let failure = error as? AppendLine.Failure else { return false }
            return failure.line == 7 && failure.reason.contains(reason) && failure.description.hasPrefix("line 7: ")
        }
    }

    @Test("a line that is not UTF-8 is refused")
    func refusesNonUTF8() {
        #expect(throws: AppendLine.Failure(line: 3, reason: "the line is not valid UTF-8")) {
            try AppendLine.decode([0x7b, 0xc3, 0x28, 0x7d], line: 3, defaultActor: "cli")
        }
    }
}
