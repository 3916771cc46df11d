/// Random (version 4) UUIDs as lowercase text, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`: what
/// `UUID().uuidString.lowercased()` gives, from two draws of the system's generator (two
/// `getrandom` calls) instead of Foundation's opening, reading and closing `/dev/urandom` for
/// every one; intake makes one per request.
public enum RandomUUID {
    private static let digits = Array("0123456789abcdef".utf8)

    /// A fresh random UUID.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(high: generator.next(), low: generator.next())
    }

    /// The UUID text of these 128 bits, with the version (4) and variant (10) bits set.
    static func make(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
