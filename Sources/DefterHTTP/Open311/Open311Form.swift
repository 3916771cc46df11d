/// An `application/x-www-form-urlencoded` body, as GeoReport v2 clients post it: each name once,
/// `+` for space, `%XX` for bytes, and UTF-8 throughout.
struct FormBody {
    /// The fields by name.
    let fields: [String: String]

    /// Parses `bytes`, refusing bad escapes, invalid UTF-8 and repeated names.
    init(_ bytes: [UInt8]) throws(Open311Error) {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
            guard !name.isEmpty else { throw .badRequest("the form has a field without a name") }
            guard fields.updateValue(value, forKey: name) == nil else {
                throw .badRequest("the field '\(name.prefix(100))' appears more than once")
            }
        }
        self.fields = fields
    }

    /// The text fields of a `multipart/form-data` submission, refusing files, invalid UTF-8 and
    /// repeated names.
    init(_ parts: [MultipartForm.Part]) throws(Open311Error) {
        var fields: [String: String] = [:]
        for part in parts {
            guard part.filename == nil, let text = part.text else {
                throw .badRequest("the part '\(part.name.prefix(100))' is a file or not UTF-8 text; only the part 'media' may be a file")
            }
            guard fields.updateValue(text, forKey: part.name) == nil else {
                throw .badRequest("the field '\(part.name.prefix(100))' appears more than once")
            }
        }
        self.fields = fields
    }

    /// The field's value, with an empty value counting as absent (as GeoReport v2 says).
    subscript(_ name: String) -> String? {
        guard let value = fields[name], !value.isEmpty else { return nil }
        return value
    }

    static func decode(_ encoded: ArraySlice<UInt8>) throws(Open311Error) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard encoded.endIndex - index > 2,
                    let high = hex(encoded[index + 1]), let low = hex(encoded[index + 2])
                else { throw .badRequest("the form has a '%' that is not followed by two hexadecimal digits") }
                bytes.append(high << 4 | low)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badRequest("the form is not valid UTF-8") }
        return text
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
