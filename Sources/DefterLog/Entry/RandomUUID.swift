/// Random (version 4) UUIDs as lowercase text, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`: what
/// `UUID().uuidString.lowercased()` gives, from two draws of the system's generator (two
/// `getrandom` calls) instead of Foundation's opening, reading and closing `/dev/urandom` for
/// every one; intake makes one per request.
public enum RandomUUID {
    /// A fresh random UUID.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(high: generator.next(), low: generator.next())
    }

    /// The UUID text of these 128 bits, with the version (4) and variant (10) bits set.
    static func make(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)
        let hex = Array(Hex.encode(withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init)).utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (start, end) in [(0, 8), (8, 12), (12, 16), (16, 20), (20, 32)] {
            if start > 0 { text.append(UInt8(ascii: "-")) }
            text += hex[start..<end]
        }
        return String(decoding: text, as: UTF8.self)
    }
}
