import Foundation

/// The records of a source file in the mapping's format, each with the line it starts on and
/// its values found by field through the mapping's columns.
struct RowReader {
    private enum Source {
        /// The column of each field, by the field's position in `Field.allCases` (-1: not mapped).
        case csv(CSVReader, columns: [Int])
        case json(JSONRecordReader, columns: [ImportMapping.Field: String])
    }

    private let source: Source

    /// Opens `url` as the mapping says; for CSV, checks that the header has every mapped column.
    init(url: URL, mapping: ImportMapping) throws {
        switch mapping.format {
        case .csv:
            let reader = try CSVReader(url: url, delimiter: mapping.delimiter, encoding: mapping.encoding)
            var indices = [Int](repeating: -1, count: ImportMapping.Field.allCases.count)
            var missing: [String] = []
            for (field, column) in mapping.columns {
                if let index = reader.header.firstIndex(of: column) {
                    indices[field.position] = index
                } else {
                    missing.append("\(field.rawValue) = \"\(column)\"")
                }
            }
            guard missing.isEmpty else {
                let delimiterHint =
                    reader.header.count == 1
                    ? " The header has a single column: is the delimiter right (delimiter = \"\(String(UnicodeScalar(mapping.delimiter)))\" under [source])?"
                    : ""
                throw ImportError.badMapping(
                    "[columns] names columns the file's header does not have: \(missing.sorted().joined(separator: ", ")). The header's columns are: \(reader.header.map { "\"\($0)\"" }.joined(separator: ", ")).\(delimiterHint)"
                )
            }
            source = .csv(reader, columns: indices)
        case .ndjson, .open311:
            source = .json(try JSONRecordReader(url: url), columns: mapping.columns)
        }
    }

    /// Bytes read so far.
    var offset: Int {
        switch source {
        case .csv(let reader, _): reader.offset
        case .json(let reader, _): reader.offset
        }
    }

    /// The next record, or nil at the end of the file.
    mutating func next() throws -> (line: Int, row: SourceRow, problem: String?)? {
        switch source {
        case .csv(let reader, let columns):
            guard let record = try reader.next() else { return nil }
            let fields = record.fields
            let row = SourceRow(line: record.line) { field in
                let index = columns[field.position]
                return index >= 0 && index < fields.count ? fields[index] : nil
            }
            return (record.line, row, record.problem)
        case .json(let reader, let columns):
            guard let record = try reader.next() else { return nil }
            let values = record.values
            let row = SourceRow(line: record.line) { field in columns[field].flatMap { values[$0] } }
            return (record.line, row, record.problem)
        }
    }
}
