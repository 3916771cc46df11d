import ArgumentParser
import DefterDomain
import DefterImport
import DefterLog
import DefterTickets
import Foundation

/// `defter import`: bringing in what the city recorded before Defter.
struct ImportGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a city's past requests from the system it used before.",
        subcommands: [LegacyImportCommand.self]
    )
}

struct LegacyImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "legacy",
        abstract: "Import past requests from a CSV, NDJSON or Open311 requests.json export, as a TOML mapping says.",
        discussion: """
            Each record becomes one TicketImported event, numbered YYYY-9NNNNNNN in the year of its opening; its
            personal data is sealed per citizen as at live intake. Run it again at any time: records imported as
            they are add nothing, records changed in the source add one ImportedRecordChanged, and a run that was
            killed goes on where the log stands. --dry-run writes nothing and lists what the mapping lacks and
            every bad record by line. The mapping's format: docs/migration.md.
            Exit codes: 0 imported (or would import) every record; 1 some records were not imported or
            could not be applied (listed); 2 the file or the mapping cannot be used.
            """
    )

    @Argument(help: ArgumentHelp("The export to import.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The TOML mapping of the export's columns and values.", valueName: "map.toml"))
    var mapping: String

    @Flag(help: "Write nothing: print what the import would do.")
    var dryRun = false

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Records per atomic batch.", valueName: "n"))
    var batchSize = 2000

    @OptionGroup var dataFolder: DataFolderOptions

    func validate() throws {
        guard (1...50_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 50000") }
    }

    func run() async throws {
        let source = URL(fileURLWithPath: file)
        guard FileManager.default.isReadableFile(atPath: source.path) else {
            throw CLIFailure("cannot read '\(file)': no such file, or no permission to read it", exitCode: CLIFailure.badInput)
        }
        let mappingURL = URL(fileURLWithPath: mapping)
        guard let mappingText = try? String(contentsOf: mappingURL, encoding: .utf8) else {
            throw CLIFailure("cannot read the mapping '\(mapping)' as UTF-8 text", exitCode: CLIFailure.badInput)
        }
        let report: ImportReport
        let system: String
        if dryRun {
            (report, system) = try await runDry(source: source, mappingText: mappingText)
        } else {
            let context = try ServiceContext.open(dataFolder, create: true)
            defer { context.close() }
            // The catalog in force is published first, as live intake does.
            _ = try await context.service.catalogInForce()
            let catalogs = try LegacyImporter.publishedCatalogs(in: context.log)
            let parsed = try mappingOrFailure(mappingText, catalog: catalogs.last!)
            system = parsed.system
            var importer = LegacyImporter(
                log: context.log, vault: context.vault, mapping: parsed, mappingText: mappingText, catalogs: catalogs)
            importer.batchSize = batchSize
            report = try await run(importer, source: source, dryRun: false)
        }
        if json {
            Terminal.json(Self.json(report, system: system))
        } else {
            Terminal.line(report.rendered(system: system))
            Terminal.line(
                String(
                    format: "%.1f s, %.0f records/s", report.seconds, report.seconds > 0 ? Double(report.rowsRead) / report.seconds : 0))
        }
        if report.badCount > 0 || report.unmappedRecords > 0 || !report.conflicts.isEmpty { throw ExitCode(CLIFailure.problemFound) }
    }

    /// A dry run reads the log if there is one, and never writes to the data folder: without a
    /// log it checks against an empty one made in a temporary folder.
    private func runDry(source: URL, mappingText: String) async throws -> (ImportReport, String) {
        var scratch: URL?
        let log: EventLog
        if FileManager.default.fileExists(atPath: dataFolder.folder.appendingPathComponent("data.mdb").path)
            || FileManager.default.fileExists(atPath: dataFolder.folder.path)
        {
            log = try dataFolder.open(readOnly: true)
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defter-dry-run-\(UUID().uuidString)")
            scratch = folder
            var configuration = LogConfiguration()
            configuration.createIfMissing = true
            configuration.logger.logLevel = .warning
            log = try EventLog.open(at: folder, configuration: configuration)
        }
        defer {
            log.close()
            if let scratch { try? FileManager.default.removeItem(at: scratch) }
        }
        var catalogs = try LegacyImporter.publishedCatalogs(in: log)
        let bundled = try BundledCatalog.load()
        if catalogs.last.map({ $0.version < bundled.version }) ?? true { catalogs.append(bundled) }
        let parsed = try mappingOrFailure(mappingText, catalog: catalogs.last!)
        var importer = LegacyImporter(log: log, vault: nil, mapping: parsed, mappingText: mappingText, catalogs: catalogs)
        importer.batchSize = batchSize
        return (try await run(importer, source: source, dryRun: true), parsed.system)
    }

    private func mappingOrFailure(_ text: String, catalog: Catalog) throws -> ImportMapping {
        do { return try ImportMapping(toml: text, catalog: catalog) } catch {
            throw CLIFailure("\(mapping): \(error.description)", exitCode: CLIFailure.badInput)
        }
    }

    private func run(_ importer: LegacyImporter, source: URL, dryRun: Bool) async throws -> ImportReport {
        let bar = Terminal.stderrIsTerminal && !json ? ImportProgress(label: dryRun ? "checking" : "importing") : nil
        do {
            let report = try await importer.run(file: source, dryRun: dryRun) { records, bytes, total in
                bar?.update(records: records, bytes: bytes, total: total)
            }
            bar?.finish()
            return report
        } catch let error as ImportError {
            bar?.finish()
            switch error {
            case .conflict: throw CLIFailure(error.description, exitCode: CLIFailure.problemFound)
            default: throw CLIFailure(error.description, exitCode: CLIFailure.badInput)
            }
        }
    }

    static func json(_ report: ImportReport, system: String) -> JSONValue {
        [
            "system": .string(system), "dryRun": .bool(report.dryRun), "rowsRead": .integer(Int64(report.rowsRead)),
            "mapped": .integer(Int64(report.mapped)), "imported": .integer(Int64(report.imported)),
            "changed": .integer(Int64(report.changed)), "unchanged": .integer(Int64(report.unchanged)),
            "unmappedRecords": .integer(Int64(report.unmappedRecords)), "badCount": .integer(Int64(report.badCount)),
            "bad": .array(report.bad.map { ["line": .integer(Int64($0.line)), "reason": .string($0.reason)] }),
            "unmapped": .array(
                report.unmapped.sorted { $0.key < $1.key }.map {
                    [
                        "section": .string($0.key.section), "value": .string($0.key.value), "count": .integer(Int64($0.value.count)),
                        "firstLine": .integer(Int64($0.value.firstLine)),
                    ]
                }),
            "findings": .object(
                Dictionary(
                    uniqueKeysWithValues: report.findings.map {
                        (
                            $0.key.rawValue,
                            ["count": .integer(Int64($0.value.count)), "lines": .array($0.value.lines.map { .integer(Int64($0)) })]
                        )
                    })),
            "conflicts": .array(
                report.conflicts.map {
                    ["line": .integer(Int64($0.line)), "ticket": .string($0.ticket.rawValue), "sourceId": .string($0.sourceId)]
                }),
            "byDepartment": .object(report.byDepartment.mapValues { .integer(Int64($0)) }),
            "byStatus": .object(report.byStatus.mapValues { .integer(Int64($0)) }),
            "batches": .integer(Int64(report.batches)),
            "seconds": .number((report.seconds * 1000).rounded() / 1000),
        ]
    }
}

/// A progress bar with the rate and an estimate of the time left, from the share of the file read.
final class ImportProgress {
    private let label: String
    private let started = Date()
    private var lastDrawn = Date.distantPast

    init(label: String) { self.label = label }

    func update(records: Int, bytes: Int, total: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) > 0.2 || bytes >= total else { return }
        lastDrawn = now
        let fraction = total == 0 ? 1 : min(1, Double(bytes) / Double(total))
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(records) / elapsed : 0
        let left = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : nil
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let eta = left.map { String(format: "%d:%02d left", Int($0) / 60, Int($0) % 60) } ?? "estimating"
        let figures = String(format: "%3.0f%% %d records, %.0f/s", fraction * 100, records, rate)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(figures), \(eta)   ".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
