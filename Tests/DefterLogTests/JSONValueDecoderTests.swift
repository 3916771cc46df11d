import DefterLog
import Foundation
import Testing

@Suite struct JSONValueDecoderTests {
    struct Sample: Codable, Equatable {
        struct Inner: Codable, Equatable {
            let flag: Bool
            let tags: [String]
        }
        let name: String
        let count: Int
        let small: UInt8
        let ratio: Double
        let when: Date
        let maybe: String?
        let inner: Inner
        let list: [Inner]
    }

    let decoder = JSONValueDecoder(parseDate: { $0 == "yesterday" ? Date(timeIntervalSince1970: 86_400) : nil })

    func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    @Test("decodes what Foundation's JSONDecoder decodes from the same text")
    func matchesFoundation() throws {
        let text =
            #"{"count":-12,"inner":{"flag":true,"tags":["a","ç"]},"list":[{"flag":false,"tags":[]}],"name":"Dulkadiroğlu","ratio":0.25,"small":255,"when":"yesterday"}"#
        let foundation = JSONDecoder()
        foundation.dateDecodingStrategy = .custom { decoder in
            _ = try decoder.singleValueContainer().decode(String.self)
            return Date(timeIntervalSince1970: 86_400)
        }
        let expected = try foundation.decode(Sample.self, from: Data(text.utf8))
        #expect(try decoder.decode(Sample.self, from: parse(text)) == expected)
        #expect(expected.maybe == nil)
    }

    @Test("refuses wrong types, missing members, numbers that do not fit and unreadable dates, naming the path")
    func strict() throws {
        let good = #"{"count":1,"inner":{"flag":true,"tags":[]},"list":[],"name":"x","ratio":1,"small":1,"when":"yesterday"}"#
        #expect(throws: Never.self) { try decoder.decode(Sample.self, from: parse(good)) }
        for (bad, path) in [
            (good.replacingOccurrences(of: #""small":1"#, with: #""small":256"#), "small"),
            (good.replacingOccurrences(of: #""count":1"#, with: #""count":1.5"#), "count"),
            (good.replacingOccurrences(of: #""name":"x""#, with: #""name":7"#), "name"),
            (good.replacingOccurrences(of: #""when":"yesterday""#, with: #""when":"today""#), "when"),
            (good.replacingOccurrences(of: #""flag":true"#, with: #""flag":"yes""#), "flag"),
            (good.replacingOccurrences(of: #""name":"x","#, with: ""), "name"),
        ] {
            do {
                _ = try decoder.decode(Sample.self, from: parse(bad))
                Issue.record("accepted \(bad)")
            } catch let error as DecodingError {
                #expect("\(error)".contains(path), "\(error)")
            }
        }
    }
}
