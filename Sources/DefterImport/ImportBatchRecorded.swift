/// One batch of an import was appended, on stream `imports`, in the same atomic append as the
/// batch's records: what was imported, from which file, and the imported ticket numbers used so
/// far. The entry's `recordedAt` is when the import ran.
public struct ImportBatchRecorded: Codable, Sendable, Equatable {
    /// The source system, as the mapping names it.
    public let system: String
    /// The source file's name (without its folder) and the SHA-256 of its bytes.
    public let file: String
    public let fileSHA256: String
    /// The SHA-256 of the mapping file the batch was imported with.
    public let mappingSHA256: String
    /// The lines of the source file the batch's records start on, first and last.
    public let firstLine: Int
    public let lastLine: Int
    /// Records imported as new tickets, and records changed since an earlier import.
    public let imported: Int
    public let changed: Int
    /// Per year (`"2024"`), the last imported ticket number used so far, by every import: the
    /// next record of that year gets the next number.
    public let lastNumbers: [String: Int]

    /// Describes a batch.
    public init(
        system: String, file: String, fileSHA256: String, mappingSHA256: String, firstLine: Int, lastLine: Int, imported: Int,
        changed: Int, lastNumbers: [String: Int]
    ) {
        self.system = system
        self.file = file
        self.fileSHA256 = fileSHA256
        self.mappingSHA256 = mappingSHA256
        self.firstLine = firstLine
        self.lastLine = lastLine
        self.imported = imported
        self.changed = changed
        self.lastNumbers = lastNumbers
    }

    /// The stream import batches are recorded on.
    public static let stream = "imports"
}
