import DefterDomain
import DefterLog
import DefterTickets
import Foundation
import Testing

@testable import DefterHTTP

/// Intake reads a call from the body it already parsed; these say it reads exactly what
/// `JSONDecoder` reads, and leaves everything `JSONDecoder` refuses to `JSONDecoder`, whose
/// refusals the API words for the clerk.
@Suite struct CallRequestReadingTests {
    static let valid = [
        #"{"callId":"c1","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"Yol çöktü"}}"#,
        #"{"callId":"c2","channel":"walk-in","operatorId":"op-1","district":"Onikişubat","neighbourhood":"Hayrullah","#
            + #""at":"2025-03-01T08:15:00.123Z","category":"fen-isleri.yol","informationTopic":null,"notify":false,"#
            + #""caller":{"name":"Ayşe Yılmaz","phone":"0532 123 45 67","nationalId":"10000000146","address":"Kışla Cd. 4","#
            + #""email":"a@example.org","coordinates":{"latitude":37.58,"longitude":36},"mediaURL":"https://example.org/p.jpg","#
            + #""text":"  🚧 çukur \n"}}"#,
        #"{"callId":"c3","channel":"mobile-app","operatorId":"op-1","district":"Elbistan","at":"2025-03-01T08:15:00Z","#
            + #""notify":true,"neighbourhood":null,"caller":{"text":"x","name":null,"coordinates":null,"extra":1}}"#,
    ]
    /// Integers at the edge of Int64 and beyond a Double's exact integers.
    static let edges = [
        #"{"callId":"c4","channel":"phone","operatorId":"op-1","district":"Elbistan","#
            + #""caller":{"text":"x","coordinates":{"latitude":-9223372036854775808,"longitude":9007199254740993}}}"#,
        #"{"callId":"c5","channel":"phone","operatorId":"op-1","district":"Elbistan","#
            + #""caller":{"text":"x","coordinates":{"latitude":9007199254740991,"longitude":-9007199254740991}}}"#,
    ]
    static let refused = [
        #"{"channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x"}}"#,
        #"{"callId":"c","channel":"fax","operatorId":"op-1","district":"Elbistan","caller":{"text":"x"}}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":null}}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x"},"notify":"yes"}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x"},"at":"yesterday"}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x","coordinates":{"latitude":1}}}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x","phone":5321234567}}"#,
        #"{"callId":7,"channel":"phone","operatorId":"op-1","district":"Elbistan","caller":{"text":"x"}}"#,
        #"{"callId":"c","channel":"phone","operatorId":"op-1","district":"Elbistan","caller":"x"}"#,
    ]

    static func fields(_ body: String) throws -> [String: JSONValue] {
        guard case .object(let fields) = try JSONValue(parsing: Array(body.utf8)) else { throw CancellationError() }
        return fields
    }

    @Test(arguments: valid)
    func readsWhatJSONDecoderReads(body: String) throws {
        let decoded = try TicketEventCodec.makeDecoder().decode(CallRequest.self, from: Data(body.utf8))
        #expect(CallRequestReading.call(try Self.fields(body)) == decoded)
    }

    @Test(arguments: refused)
    func leavesWhatJSONDecoderRefusesToIt(body: String) throws {
        #expect(CallRequestReading.call(try Self.fields(body)) == nil)
        #expect(throws: DecodingError.self) { try TicketEventCodec.makeDecoder().decode(CallRequest.self, from: Data(body.utf8)) }
    }

    @Test(arguments: edges)
    func edgeNumbersAreReadAsJSONDecoderReadsThemOrLeftToIt(body: String) throws {
        let decoded = try TicketEventCodec.makeDecoder().decode(CallRequest.self, from: Data(body.utf8))
        let read = CallRequestReading.call(try Self.fields(body))
        #expect(read == nil || read == decoded)
    }
}
