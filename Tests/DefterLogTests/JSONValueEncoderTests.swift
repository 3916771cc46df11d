import DefterLog
import Foundation
import Testing

@Suite struct JSONValueEncoderTests {
    struct Sample: Encodable {
        struct Inner: Encodable {
            let tags: [String]
            let weights: [Double]
        }
        let name: String
        let missing: String?
        let count: Int
        let big: UInt64
        let whole: Double
        let fraction: Double
        let at: Date
        let flag: Bool
        let inner: Inner
        let nested: [[Int]]
    }

    static let sample = Sample(
        name: "Çöp \"toplanmadı\"\n", missing: nil, count: -3, big: 9_000_000_000, whole: 2.0, fraction: 0.8765,
        at: Date(timeIntervalSince1970: 1_735_700_000.123),
        flag: true, inner: .init(tags: ["a", "ş"], weights: [1, 0.5, -1e-7]), nested: [[1, 2], []])

    @Test func givesWhatJSONEncoderWritesParsedBack() throws {
        let foundation = JSONEncoder()
        foundation.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode("t\(date.timeIntervalSince1970)")
        }
        let expected = try JSONValue(parsing: Array(foundation.encode(Self.sample)))
        let direct = try JSONValueEncoder(dates: { .string("t\($0.timeIntervalSince1970)") }).encode(Self.sample)
        #expect(direct == expected)
        #expect(direct.canonicalString == expected.canonicalString)
        #expect(direct["missing"] == nil && direct["whole"] == .integer(2) && direct["fraction"] == .number(0.8765))
    }

    @Test func refusesWhatJSONCannotHold() {
        struct Bad: Encodable { let value: Double }
        struct Huge: Encodable { let value: UInt64 }
        let encoder = JSONValueEncoder(dates: { .string("\($0)") })
        #expect(throws: EncodingError.self) { try encoder.encode(Bad(value: .nan)) }
        #expect(throws: EncodingError.self) { try encoder.encode(Huge(value: .max)) }
    }
}
