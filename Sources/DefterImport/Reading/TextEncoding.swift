/// How a source file's bytes are text: UTF-8 (with or without a byte-order mark), or Windows-1254,
/// the Turkish code page that old Windows programs export in.
public enum SourceEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case windows1254 = "windows-1254"

    /// The text of `bytes`, or nil when they are not valid in this encoding (Windows-1254 leaves
    /// five bytes undefined).
    public func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        switch self {
        case .utf8:
            return String(validating: bytes, as: UTF8.self)
        case .windows1254:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            for byte in bytes {
                if byte < 0x80 {
                    scalars.append(Unicode.Scalar(byte))
                    continue
                }
                let value = Self.windows1254High[Int(byte - 0x80)]
                guard value != 0, let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            }
            return String(scalars)
        }
    }

    /// Windows-1254 bytes 0x80 to 0xFF as Unicode scalars (0: undefined), from the Unicode
    /// Consortium's mapping table CP1254.TXT. It is Latin-1 but for 0x80-0x9F and the six Turkish
    /// letters Ğ ğ İ ı Ş ş at 0xD0, 0xF0, 0xDD, 0xFD, 0xDE and 0xFE.
    static let windows1254High: [UInt32] = {
        var table = (0x80...0xFF).map { UInt32($0) }
        let low: [UInt32] = [
            0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0, 0,
            0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0, 0x0178,
        ]
        for (index, value) in low.enumerated() { table[index] = value }
        table[0xD0 - 0x80] = 0x011E  // Ğ
        table[0xDD - 0x80] = 0x0130  // İ
        table[0xDE - 0x80] = 0x015E  // Ş
        table[0xF0 - 0x80] = 0x011F  // ğ
        table[0xFD - 0x80] = 0x0131  // ı
        table[0xFE - 0x80] = 0x015F  // ş
        return table
    }()
}
