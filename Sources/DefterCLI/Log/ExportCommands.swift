import ArgumentParser
import DefterLog
import Foundation

/// `defter log export`: the whole log as NDJSON (`Schemas/export-format.md`).
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the whole log as NDJSON for auditors' own tools (personal data stays sealed).",
        discussion: """
            Line 1 is a header (format, origin, treeSize, root, vkey, checkpoints); each further line is one
            entry exactly as stored, so the Merkle root can be recomputed from the file alone.
            See Schemas/export-format.md.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The export format (only ndjson).")
    var format: String = "ndjson"

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var out: String?

    func validate() throws {
        guard format == "ndjson" else { throw ValidationError("--format must be ndjson") }
    }

    func run() async throws {
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        let size = try log.size()
        let header: JSONValue = [
            "format": "defter-export/1", "origin": .string(log.origin), "treeSize": .integer(Int64(size)),
            "root": .string(try log.root(size: size).root.base64), "vkey": .string(log.verifierKey.vkey),
            "checkpoints": .array(try log.checkpoints().filter { $0.checkpoint.treeSize <= size }.map { .string($0.text) }),
        ]
        try OutputFile.write(to: out) { sink in
            try sink.write(header.canonicalBytes + [0x0a])
            try log.forEachEntryBytes(through: size) { _, bytes in
                try sink.write(bytes)
                try sink.write([0x0a])
                return true
            }
        }
    }
}

/// `defter log import`: a log rebuilt from an export, checked to give the same root.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Rebuild a log from an NDJSON export and check that it gives the same root.",
        discussion: """
            The destination (--data) must not exist or be empty. The export's entries are written byte for
            byte; the rebuilt root must equal the header's, and every checkpoint in the header must verify
            with the header's key against the rebuilt tree. A refused import leaves nothing behind.
            The rebuilt log gets its own signing key: the source's checkpoints are checked, not copied.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: ArgumentHelp("The export file (- for standard input).", valueName: "file"))
    var file: String

    func run() async throws {
        let destination = dataFolder.folder
        let files = FileManager.default
        if files.fileExists(atPath: destination.path) {
            guard (try? files.contentsOfDirectory(atPath: destination.path))?.isEmpty == true else {
                throw CLIFailure("\(destination.path) is not empty; import into a new folder", exitCode: CLIFailure.badInput)
            }
        }
        let descriptor = file == "-" ? 0 : open(file, O_RDONLY)
        guard descriptor >= 0 else {
            throw CLIFailure("cannot open \(file): \(String(cString: strerror(errno)))", exitCode: CLIFailure.badInput)
        }
        defer { if descriptor != 0 { close(descriptor) } }
        let staging = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).importing-\(UUID().uuidString)")
        do {
            let summary = try await importExport(from: descriptor, into: staging)
            try? files.removeItem(at: destination)
            try files.moveItem(at: staging, to: destination)
            Terminal.json(summary)
        } catch {
            try? files.removeItem(at: staging)
            throw error
        }
    }

    private func importExport(from descriptor: Int32, into staging: URL) async throws -> JSONValue {
        func refuse(_ message: String) -> CLIFailure {
            CLIFailure("\(file): \(message); nothing was imported", exitCode: CLIFailure.badInput)
        }
        var reader = LineReader(descriptor: descriptor)
        guard let headerLine = try reader.next(), let header = try? JSONValue(parsing: headerLine) else {
            throw refuse("line 1 is not a JSON header")
        }
        guard header["format"]?.stringValue == "defter-export/1" else { throw refuse("line 1 does not say format defter-export/1") }
        guard let treeSize = header["treeSize"]?.integerValue, treeSize >= 0, let rootText = header["root"]?.stringValue,
            let vkeyText = header["vkey"]?.stringValue, case .array(let checkpointTexts)? = header["checkpoints"]
        else { throw refuse("the header needs treeSize, root, vkey and checkpoints") }
        let key: CheckpointVerifierKey
        do { key = try CheckpointVerifierKey(vkey: vkeyText) } catch { throw refuse("the header's vkey is unusable: \(error)") }
        var configuration = LogConfiguration()
        configuration.logger.logLevel = .warning
        let log = try EventLog.open(at: staging, configuration: configuration)
        defer { log.close() }
        var batch: [LogEntry] = []
        var count: Int64 = 0
        while let line = try reader.next() {
            if line.isEmpty { continue }
            do {
                batch.append(try LogEntry(exported: line))
            } catch {
                throw refuse("line \(count + 2): \(error)")
            }
            count += 1
            if batch.count == 5000 {
                try await restore(batch, into: log, refuse: refuse)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try await restore(batch, into: log, refuse: refuse) }
        guard count == treeSize else { throw refuse("the header announces \(treeSize) entries but the file holds \(count)") }
        let root = try log.root().root
        guard root.base64 == rootText else {
            throw refuse("the rebuilt root \(root.base64) differs from the header's \(rootText): the file was altered")
        }
        var verified = 0
        for (index, value) in checkpointTexts.enumerated() {
            guard let text = value.stringValue, let signed = try? SignedCheckpoint(parsing: text) else {
                throw refuse("checkpoint \(index + 1) of the header is not a signed note")
            }
            do { try signed.verify(with: key) } catch { throw refuse("checkpoint \(index + 1): \(error)") }
            guard signed.checkpoint.treeSize <= UInt64(count),
                try log.root(size: signed.checkpoint.treeSize).root == signed.checkpoint.root
            else { throw refuse("checkpoint \(index + 1) (size \(signed.checkpoint.treeSize)) does not match the rebuilt tree") }
            verified += 1
        }
        return [
            "imported": .integer(count), "root": .string(root.base64), "checkpointsVerified": .integer(Int64(verified)),
            "data": .string(dataFolder.folder.path),
        ]
    }

    private func restore(_ batch: [LogEntry], into log: EventLog, refuse: (String) -> CLIFailure) async throws {
        do {
            try await log.restore(batch)
        } catch let error as AppendError {
            throw refuse("\(error)")
        }
    }
}

/// Writing a command's output to a file (atomically: a temporary file renamed at the end) or to
/// standard output.
enum OutputFile {
    final class Sink {
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        init(_ handle: FileHandle) { self.handle = handle }

        func write(_ bytes: some Sequence<UInt8>) throws {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { try flush() }
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { try flush() }
        }

        func flush() throws {
            guard !buffer.isEmpty else { return }
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    static func write(to path: String?, _ body: (Sink) throws -> Void) throws {
        guard let path, path != "-" else {
            let sink = Sink(FileHandle.standardOutput)
            try body(sink)
            try sink.flush()
            return
        }
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CLIFailure("cannot write \(path): check that its folder exists and is writable", exitCode: CLIFailure.badInput)
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            let sink = Sink(handle)
            try body(sink)
            try sink.flush()
            try handle.synchronize()
            guard rename(temporary.path, target.path) == 0 else {
                throw CLIFailure("cannot write \(path): \(String(cString: strerror(errno)))", exitCode: CLIFailure.problemFound)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let failure = error as? CLIFailure { throw failure }
            if CLIFailure(classifying: error) != nil { throw error }
            throw CLIFailure("cannot write \(path): \(error.localizedDescription)", exitCode: CLIFailure.problemFound)
        }
    }
}
