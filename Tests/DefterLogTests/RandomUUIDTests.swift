import Foundation
import Testing

@testable import DefterLog

@Suite struct RandomUUIDTests {
    @Test func theBitsAreLaidOutAsRFC4122Says() {
        #expect(RandomUUID.make(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
        #expect(RandomUUID.make(high: .max, low: .max) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(RandomUUID.make(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210) == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test func aFreshOneIsWhatFoundationCallsAVersion4UUID() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let text = RandomUUID.make()
            let parsed = try #require(UUID(uuidString: text))
            #expect(parsed.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version 4")
            #expect(bytes[8] >> 6 == 0b10, "RFC 4122 variant")
            seen.insert(text)
        }
        #expect(seen.count == 1000)
    }
}
