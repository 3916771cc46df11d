import Foundation

/// Reads CSV as RFC 4180 writes it, one record at a time, from a file of any size: quoted
/// fields, doubled quotes, delimiters and line breaks inside quotes, CRLF or LF, a header row,
/// a UTF-8 byte-order mark. Blank lines between records are skipped. Each record knows the line
/// it starts on, counting the line breaks inside quoted fields.
final class CSVReader {
    private let file: ChunkedFile
    private let delimiter: UInt8
    private let encoding: SourceEncoding
    private var line = 1
    private var field: [UInt8] = []
    /// The header's column names, trimmed.
    private(set) var header: [String] = []

    /// Opens `url` and reads its header row.
    init(url: URL, delimiter: UInt8, encoding: SourceEncoding) throws {
        self.file = try ChunkedFile(url: url)
        self.delimiter = delimiter
        self.encoding = encoding
        // A UTF-8 byte-order mark, which Excel writes, is not part of the first column's name.
        if encoding == .utf8, try file.peek() == 0xEF {
            _ = try file.next()
            guard try file.next() == 0xBB, try file.next() == 0xBF else {
                throw ImportError.malformedSource(line: 1, "the file starts with bytes that are neither text nor a byte-order mark")
            }
        }
        guard let first = try next() else { throw ImportError.malformedSource(line: 1, "the file is empty: it has no header row") }
        if let problem = first.problem { throw ImportError.malformedSource(line: 1, "the header row: \(problem)") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Bytes read so far.
    var offset: Int { file.offset }

    /// The next record and the line it starts on, or what makes it unreadable; nil at the end of
    /// the file. An unreadable record never stops the reading, except a quote never closed,
    /// which swallows the rest of the file.
    func next() throws -> (line: Int, fields: [String], problem: String?)? {
        // Skip blank lines.
        while let byte = try file.peek(), byte == 0x0A || byte == 0x0D {
            _ = try file.next()
            if byte == 0x0A { line += 1 } else if try file.peek() != 0x0A { line += 1 }
        }
        guard try file.peek() != nil else { return nil }
        let start = line
        var fields: [String] = []
        var problem: String?
        while true {
            let ended: Bool
            do { ended = try readField() } catch let error as UnclosedQuote {
                _ = error
                return (
                    start, fields,
                    "a quoted field that starts in this record is never closed (a \" is missing); the rest of the file was not read"
                )
            }
            if let text = encoding.decode(field[...]) {
                fields.append(text)
            } else {
                fields.append("")
                problem =
                    problem
                    ?? (encoding == .utf8
                        ? "column \(fields.count) is not valid UTF-8; if the file comes from an old Windows program, set encoding = \"windows-1254\" under [source]"
                        : "column \(fields.count) holds a byte that Windows-1254 does not define")
            }
            if ended { return (start, fields, problem) }
        }
    }

    private struct UnclosedQuote: Error {}

    /// Reads one field's bytes into `field`; true when it was the record's last.
    private func readField() throws -> Bool {
        field.removeAll(keepingCapacity: true)
        var ended = false
        if try file.peek() == 0x22 {
            _ = try file.next()
            quoted: while true {
                guard let byte = try file.next() else { throw UnclosedQuote() }
                switch byte {
                case 0x22:
                    if try file.peek() == 0x22 {
                        _ = try file.next()
                        field.append(0x22)
                    } else {
                        break quoted
                    }
                case 0x0A:
                    line += 1
                    field.append(byte)
                case 0x0D:
                    if try file.peek() != 0x0A { line += 1 }
                    field.append(byte)
                default:
                    field.append(byte)
                }
            }
            // After the closing quote: the delimiter, the end of the line, or (leniently) more text.
        }
        while let byte = try file.next() {
            if byte == delimiter { break }
            if byte == 0x0A {
                line += 1
                ended = true
                break
            }
            if byte == 0x0D {
                if try file.peek() == 0x0A { _ = try file.next() }
                line += 1
                ended = true
                break
            }
            field.append(byte)
        }
        if try file.peek() == nil { ended = true }
        return ended
    }
}
