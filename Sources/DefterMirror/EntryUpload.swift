public import DefterLog

/// The body of a C2SP `tlog-mirror` `add-entries` request: a header naming the log, the entries
/// `[start, end)` (counted from 0) and a ticket, then a prefix of the *canonical sequence* of
/// entry packages. Each package holds the entries of one entry bundle's span (aligned at multiples
/// of 256), each after its big-endian `UInt16` length, then up to 63 hashes: the subtree
/// consistency proof of its subtree against the checkpoint of size `end`.
public enum EntryUpload {
    /// Entries a package spans at most: one entry bundle.
    public static let packageWidth = UInt64(TileAddress.width)
    /// Packages a client sends in one request at most (the spec's advice: 8,192 entries).
    public static let packagesPerRequest = 32

    /// The header of an upload.
    public struct Header: Sendable, Equatable {
        /// The log's origin.
        public let origin: String
        /// The first entry uploaded, counted from 0 (`upload_start`).
        public let start: UInt64
        /// One past the last (`upload_end`): the size of the checkpoint the packages are proven against.
        public let end: UInt64
        /// The mirror's opaque ticket, or empty.
        public let ticket: [UInt8]

        public init(origin: String, start: UInt64, end: UInt64, ticket: [UInt8] = []) {
            self.origin = origin
            self.start = start
            self.end = end
            self.ticket = ticket
        }

        /// The header's bytes.
        public var bytes: [UInt8] {
            let origin = Array(self.origin.utf8)
            return EntryUpload.bigEndian(UInt16(origin.count)) + origin + EntryUpload.bigEndian(start) + EntryUpload.bigEndian(end)
                + EntryUpload.bigEndian(UInt16(ticket.count)) + ticket
        }

        /// The packages of the canonical sequence of `[start, end)`, in order.
        public var packages: [Span] {
            guard start < end else { return [] }
            let width = EntryUpload.packageWidth
            let roundedStart = start / width * width
            return stride(from: roundedStart, to: end, by: Int(width)).map { subtreeStart in
                Span(subtreeStart: subtreeStart, start: max(start, subtreeStart), end: min(end, subtreeStart + width))
            }
        }
    }

    /// Where one package lies: its entries `[start, end)`, and the subtree `[subtreeStart, end)`
    /// its proof is about (which begins earlier only for a first package starting mid-bundle).
    public struct Span: Sendable, Equatable {
        public let subtreeStart: UInt64
        public let start: UInt64
        public let end: UInt64
    }

    /// One package as read: its span, its entries' bytes as on the wire (each after its length),
    /// and its proof.
    public struct Package: Sendable {
        public let span: Span
        public let entryBytes: [UInt8]
        public let proof: [[UInt8]]
    }

    /// The body of an `add-entries` request for `header`: the header, then the first `packages`
    /// packages of its canonical sequence, read from `log` and proven against its tree of size
    /// `header.end`.
    public static func body(_ header: Header, from log: EventLog, packages: Int = packagesPerRequest) throws -> [UInt8] {
        var body = header.bytes
        for span in header.packages.prefix(packages) {
            body += try log.bundledEntries(span.start..<span.end)
            let proof = try log.subtreeConsistencyProof(start: span.subtreeStart, end: span.end, treeSize: header.end)
            body.append(UInt8(proof.count))
            for hash in proof { body += hash.bytes }
        }
        return body
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}

/// Reads an `add-entries` body as it arrives, in pieces of any size: first its header, then its
/// packages one by one, each as soon as all its bytes are there. Bytes after the last whole
/// package are left unread, as the spec asks.
public struct EntryUploadReader: Sendable {
    /// Why the bytes are not an upload.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    private var buffer: [UInt8] = []
    private var offset = 0
    /// The header, once read.
    public private(set) var header: EntryUpload.Header?
    private var spans: ArraySlice<EntryUpload.Span> = []

    public init() {}

    /// Adds the next bytes of the body.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        // Forget what was read once it is most of the buffer, so that a long body keeps memory flat.
        if offset > 0, offset * 2 >= buffer.count {
            buffer.removeSubrange(0..<offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Whether every package of the canonical sequence has been read.
    public var readAllPackages: Bool { header != nil && spans.isEmpty }

    /// Bytes received and not yet read.
    public var unreadCount: Int { buffer.count - offset }

    /// The header, once enough bytes are there; nil before.
    public mutating func readHeader() throws(Malformed) -> EntryUpload.Header? {
        if let header { return header }
        var cursor = offset
        guard let originCount = read16(&cursor), let origin = take(Int(originCount), &cursor) else { return nil }
        guard let originText = String(validating: origin, as: UTF8.self) else {
            throw Malformed(description: "the log origin is not UTF-8")
        }
        guard let start = read64(&cursor), let end = read64(&cursor) else { return nil }
        guard start <= end else {
            throw Malformed(description: "upload_start \(start) is greater than upload_end \(end)")
        }
        guard let ticketCount = read16(&cursor), let ticket = take(Int(ticketCount), &cursor) else { return nil }
        offset = cursor
        let header = EntryUpload.Header(origin: originText, start: start, end: end, ticket: Array(ticket))
        self.header = header
        spans = header.packages[...]
        return header
    }

    /// The next package, once all its bytes are there; nil before, and after the last.
    public mutating func readPackage() throws(Malformed) -> EntryUpload.Package? {
        guard header != nil, let span = spans.first else { return nil }
        var cursor = offset
        let entriesStart = cursor
        for _ in span.start..<span.end {
            guard let length = read16(&cursor), take(Int(length), &cursor) != nil else { return nil }
        }
        let entryBytes = Array(buffer[entriesStart..<cursor])
        guard let count = take(1, &cursor)?.first else { return nil }
        guard count <= 63 else {
            throw Malformed(description: "the package of entries [\(span.start), \(span.end)) has \(count) proof hashes; at most 63")
        }
        guard let hashes = take(Int(count) * 32, &cursor) else { return nil }
        offset = cursor
        spans.removeFirst()
        let proof = stride(from: hashes.startIndex, to: hashes.endIndex, by: 32).map { Array(hashes[$0..<($0 + 32)]) }
        return EntryUpload.Package(span: span, entryBytes: entryBytes, proof: proof)
    }

    private func take(_ count: Int, _ cursor: inout Int) -> ArraySlice<UInt8>? {
        guard buffer.count - cursor >= count else { return nil }
        defer { cursor += count }
        return buffer[cursor..<(cursor + count)]
    }

    private func read16(_ cursor: inout Int) -> UInt16? {
        take(2, &cursor).map { $0.reduce(UInt16(0)) { $0 << 8 | UInt16($1) } }
    }

    private func read64(_ cursor: inout Int) -> UInt64? {
        take(8, &cursor).map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }
}
