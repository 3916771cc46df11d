/// A `multipart/form-data` body (RFC 7578), parsed whole: how a browser or an app sends a form
/// with files. Defter takes photos this way at intake (`POST /v1/calls`, Open311
/// `POST /requests`).
///
/// Only what RFC 7578 allows is accepted: each part has a `Content-Disposition: form-data` header
/// with a `name`, optionally a `filename` and a `Content-Type`; no nested multiparts, no
/// `Content-Transfer-Encoding`. Anything else is refused with what was wrong.
struct MultipartForm {
    /// One field or file of the form.
    struct Part {
        /// The field's name.
        let name: String
        /// The file's name, when the part is a file.
        let filename: String?
        /// The part's `Content-Type`, when it says one.
        let contentType: String?
        /// The part's bytes.
        let body: [UInt8]

        /// The body as UTF-8 text, or nil when it is not valid UTF-8.
        var text: String? { String(validating: body, as: UTF8.self) }
    }

    /// The parts in the order sent.
    let parts: [Part]

    /// The most parts a form may have (a call and a few photos need far fewer).
    static let maximumParts = 32
    /// The most bytes of headers a part may have.
    static let maximumHeaderBytes = 8 * 1024

    /// Whether `contentType` says `multipart/form-data`.
    static func isMultipart(_ contentType: String?) -> Bool {
        contentType?.lowercased().trimmingPrefix(" ").hasPrefix("multipart/form-data") == true
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    static func boundary(of contentType: String) throws(MultipartError) -> String {
        let parameters = contentType.split(separator: ";").dropFirst()
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ (32...126).contains($0) }) else {
                throw MultipartError("the multipart boundary must be 1 to 70 printable ASCII characters")
            }
            return value
        }
        throw MultipartError("the Content-Type multipart/form-data has no boundary parameter")
    }

    /// Parses `body`, delimited by `boundary`.
    init(_ body: [UInt8], boundary: String) throws(MultipartError) {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may follow a preamble; it is at the start or after a CRLF.
        guard var cursor = Self.find(delimiter, in: body, from: 0) else {
            throw MultipartError("the body does not contain the boundary the Content-Type names")
        }
        cursor += delimiter.count
        var parts: [Part] = []
        while true {
            if Self.startsWith(Array("--".utf8), body, at: cursor) { break }
            guard Self.startsWith([13, 10], body, at: cursor) else {
                throw MultipartError("a boundary is not followed by a line break; the body is not multipart/form-data")
            }
            cursor += 2
            guard let headerEnd = Self.find([13, 10, 13, 10], in: body, from: cursor), headerEnd - cursor <= Self.maximumHeaderBytes
            else { throw MultipartError("a part's headers do not end with an empty line, or are longer than 8 KB") }
            let headers = try Self.headers(body[cursor..<headerEnd])
            let start = headerEnd + 4
            guard let end = Self.find(separator, in: body, from: start) else {
                throw MultipartError("the body ends before its closing boundary: the upload was cut short; send it again")
            }
            parts.append(try Self.part(headers, body: Array(body[start..<end])))
            guard parts.count <= Self.maximumParts else {
                throw MultipartError("the form has more than \(Self.maximumParts) parts")
            }
            cursor = end + separator.count
        }
        self.parts = parts
    }

    /// The parts named `name`.
    func parts(named name: String) -> [Part] { parts.filter { $0.name == name } }

    private static func part(_ headers: [String: String], body: [UInt8]) throws(MultipartError) -> Part {
        guard let disposition = headers["content-disposition"] else {
            throw MultipartError("a part has no Content-Disposition header")
        }
        let parameters = Self.parameters(disposition)
        guard parameters.type == "form-data", let name = parameters.values["name"], !name.isEmpty else {
            throw MultipartError("a part's Content-Disposition must be form-data with a name, e.g. form-data; name=\"photo\"")
        }
        if headers["content-transfer-encoding"] != nil {
            throw MultipartError("part '\(name.prefix(100))' has a Content-Transfer-Encoding; send its bytes as they are")
        }
        return Part(name: name, filename: parameters.values["filename"], contentType: headers["content-type"], body: body)
    }

    private static func headers(_ bytes: ArraySlice<UInt8>) throws(MultipartError) -> [String: String] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw MultipartError("a part's headers are not valid UTF-8") }
        var headers: [String: String] = [:]
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw MultipartError("a part has a header line without a colon") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    /// `form-data; name="a"; filename="b.jpg"` as its type and parameters (quoted or not; a
    /// backslash in a quoted value escapes the next character).
    static func parameters(_ header: String) -> (type: String, values: [String: String]) {
        var values: [String: String] = [:]
        var characters = Substring(header)
        func skipSpaces() { while characters.first == " " || characters.first == "\t" { characters.removeFirst() } }
        let type = characters.prefix { $0 != ";" }
        characters.removeFirst(type.count)
        while characters.first == ";" {
            characters.removeFirst()
            skipSpaces()
            let key = characters.prefix { $0 != "=" && $0 != ";" }
            characters.removeFirst(key.count)
            var value = ""
            if characters.first == "=" {
                characters.removeFirst()
                skipSpaces()
                if characters.first == "\"" {
                    characters.removeFirst()
                    while let next = characters.first, next != "\"" {
                        characters.removeFirst()
                        if next == "\\", let escaped = characters.first {
                            characters.removeFirst()
                            value.append(escaped)
                        } else {
                            value.append(next)
                        }
                    }
                    if !characters.isEmpty { characters.removeFirst() }
                    characters = characters.drop { $0 != ";" }
                } else {
                    let raw = characters.prefix { $0 != ";" }
                    characters.removeFirst(raw.count)
                    value = raw.trimmingCharacters(in: .whitespaces)
                }
            }
            values[key.trimmingCharacters(in: .whitespaces).lowercased()] = value
        }
        return (type.trimmingCharacters(in: .whitespaces).lowercased(), values)
    }

    private static func startsWith(_ prefix: [UInt8], _ body: [UInt8], at index: Int) -> Bool {
        guard index + prefix.count <= body.count else { return false }
        for offset in 0..<prefix.count where body[index + offset] != prefix[offset] { return false }
        return true
    }

    /// The index of the first `needle` in `body` at or after `start`.
    private static func find(_ needle: [UInt8], in body: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= body.count else { return nil }
        var index = start
        let last = body.count - needle.count
        while index <= last {
            if body[index] == first, startsWith(needle, body, at: index) { return index }
            index += 1
        }
        return nil
    }
}

/// A body that says it is `multipart/form-data` and is not.
struct MultipartError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
