import ArgumentParser
import DefterDemo
import DefterDomain
import DefterLog
import DefterProjections
import DefterRouting
import DefterTickets
import Foundation
import Logging

/// Opens the projections of `log`. `DEFTER_PROJECTION_BATCH`, when set, is the number of entries
/// they catch up at a time (default `Projections.defaultBatchSize`): fewer take less memory, more
/// a little less CPU.
func openProjections(log: EventLog, logger: Logger = Logger(label: "defter.projections")) throws -> Projections {
    try Projections(log: log, batchSize: projectionBatchSize(), logger: logger)
}

/// The batch size `DEFTER_PROJECTION_BATCH` asks for, else the default.
private func projectionBatchSize() throws -> Int {
    let variable = "DEFTER_PROJECTION_BATCH"
    guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return Projections.defaultBatchSize }
    guard let batchSize = Int(text), (1...1_000_000).contains(batchSize) else {
        throw CLIFailure(
            "\(variable) must be a whole number of entries from 1 to 1000000, not '\(text)'; unset it for the default (\(Projections.defaultBatchSize))",
            exitCode: CLIFailure.badInput)
    }
    return batchSize
}

/// Opens the log (read-write, so projections can follow it) and the projections.
struct ProjectionContext {
    let log: EventLog
    let projections: Projections

    static func open(_ dataFolder: DataFolderOptions, catchUp: Bool = true) throws -> ProjectionContext {
        let log = try dataFolder.open()
        do {
            let projections = try openProjections(log: log)
            if catchUp {
                let largestLag = try projections.all.map { try $0.lag() }.max() ?? 0
                let bar = Terminal.stderrIsTerminal && largestLag > 50_000 ? ProgressBar(label: "projecting") : nil
                try projections.catchUp { done, total in bar?.update(done: done, total: total) }
                bar?.finish()
            }
            return ProjectionContext(log: log, projections: projections)
        } catch {
            log.close()
            throw error
        }
    }

    func close() {
        projections.close()
        log.close()
    }

    /// Each projection's name, version, checkpoint and lag, and with `digests` its state digest.
    func statusRows(digests: Bool) throws -> [JSONValue] {
        try projections.all.map { worker in
            var row: [String: JSONValue] = [
                "name": .string(worker.projection.name), "version": .integer(Int64(worker.projection.version)),
                "checkpoint": .integer(Int64(try worker.checkpoint())), "lag": .integer(Int64(try worker.lag())),
            ]
            if digests { row["digest"] = .string(try worker.digest()) }
            return .object(row)
        }
    }
}

struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Inspect the projections (read models) built from the log.",
        discussion: """
            Upgrading to a release that bumps a projection's version: run `defter projections prepare`
            with the new release while the old service keeps serving from its own stores; when it is
            done, restart the service on the new release (it finds the new stores caught up), then
            `defter projections prune` removes the old stores.
            """,
        subcommands: [ProjectionStatusCommand.self, ProjectionPrepareCommand.self, ProjectionPruneCommand.self]
    )
}

struct ProjectionPrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Build or catch up this release's projection stores, beside the ones a running service uses.",
        discussion: """
            Safe while an older release's service is serving from the same data folder: it reads the log and
            writes only the stores of this release's versions (a store of the same version is shared safely:
            each batch commits with its checkpoint). Prints each projection's status and the folders this
            release no longer uses.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let started = Date()
        let context = try ProjectionContext.open(dataFolder)
        defer { context.close() }
        let rows = try context.statusRows(digests: false)
        let obsolete = try context.projections.obsoleteFolders()
        let seconds = (Date().timeIntervalSince(started) * 100).rounded() / 100
        if json {
            Terminal.json([
                "projections": .array(rows), "obsolete": .array(obsolete.map { .string($0.path) }), "seconds": .number(seconds),
            ])
            return
        }
        for row in rows {
            Terminal.line(
                "\(row["name"]!.stringValue!) v\(row["version"]!.integerValue!)  ready at checkpoint \(row["checkpoint"]!.integerValue!)  lag \(row["lag"]!.integerValue!)"
            )
        }
        Terminal.line("prepared in \(seconds) s")
        if !obsolete.isEmpty {
            Terminal.line("no longer used by this release (remove with `defter projections prune` once no older service runs):")
            for folder in obsolete { Terminal.line("    \(folder.path)") }
        }
    }
}

struct ProjectionPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove projection stores this release does not use (other versions, interrupted rebuilds).",
        discussion: "Run it only when no older release's service is still serving from those stores."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "List what would be removed, and remove nothing.")
    var dryRun = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let context = try ProjectionContext.open(dataFolder, catchUp: false)
        defer { context.close() }
        let obsolete = try context.projections.obsoleteFolders()
        if !dryRun {
            for folder in obsolete {
                do { try FileManager.default.removeItem(at: folder) } catch {
                    throw CLIFailure("could not remove \(folder.path): \(error.localizedDescription)", exitCode: 1)
                }
            }
        }
        if json {
            Terminal.json([(dryRun ? "wouldRemove" : "removed"): .array(obsolete.map { .string($0.path) })])
        } else if obsolete.isEmpty {
            Terminal.line("nothing to remove: every projection store is this release's")
        } else {
            for folder in obsolete { Terminal.line("\(dryRun ? "would remove" : "removed")  \(folder.path)") }
        }
    }
}

struct ProjectionStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Name, version, checkpoint, lag and state digest of every projection.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Do not catch up first: show the projections as they are.")
    var noCatchUp = false

    func run() async throws {
        let context = try ProjectionContext.open(dataFolder, catchUp: !noCatchUp)
        defer { context.close() }
        let rows = try context.statusRows(digests: true)
        if json {
            Terminal.json(.array(rows))
        } else {
            for row in rows {
                Terminal.line(
                    "\(row["name"]!.stringValue!) v\(row["version"]!.integerValue!)  checkpoint \(row["checkpoint"]!.integerValue!)  lag \(row["lag"]!.integerValue!)  digest \(row["digest"]!.stringValue!)"
                )
            }
            for folder in try context.projections.obsoleteFolders() {
                Terminal.line("not used by this release: \(folder.path) (see `defter projections prune`)")
            }
        }
    }
}

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild projections from zero by replaying the log; with --as-of, the state at a moment.",
        discussion: """
            Without --as-of, each projection is rebuilt beside the current one and swapped in when done.
            With --as-of (RFC 3339, e.g. 2025-02-14T09:00:00+03:00), the state as it stood then is built
            in a temporary folder (or --into DIR); --queue DEPT prints that department's queue as it stood.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "Only this projection (tickets, queues, stats).")
    var projection: String?

    @Option(help: "Build the state as it stood at this time (RFC 3339).")
    var asOf: String?

    @Option(help: "With --as-of: the folder to build into (default: a new temporary folder).")
    var into: String?

    @Option(help: "With --as-of: print this department's queue as it stood.")
    var queue: String?

    func run() async throws {
        let context = try ProjectionContext.open(dataFolder, catchUp: false)
        defer { context.close() }
        let chosen = context.projections.all.filter { worker in
            guard let projection else { return true }
            return worker.projection.name == projection
        }
        guard !chosen.isEmpty else {
            throw CLIFailure("there is no projection '\(projection ?? "")'; known: tickets, queues, stats", exitCode: CLIFailure.badInput)
        }
        if let asOf {
            guard let moment = Self.parseTime(asOf) else {
                throw CLIFailure("--as-of '\(asOf)' is not an RFC 3339 time like 2025-02-14T09:00:00+03:00", exitCode: CLIFailure.badInput)
            }
            let root =
                into.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("defter-as-of-\(UUID().uuidString)")
            for worker in chosen {
                let temporary = try ProjectionWorker(projection: worker.projection, log: context.log, root: root)
                defer { temporary.close() }
                try temporary.catchUp(asOf: moment)
                Terminal.json([
                    "projection": .string(worker.projection.name), "asOf": .string(TicketEventCodec.format(moment)),
                    "folder": .string(ProjectionWorker.folder(for: worker.projection, under: root).path),
                    "digest": .string(try temporary.digest()),
                ])
                if let queue, worker.projection.name == "queues" {
                    let page = try temporary.queue(try DepartmentID(queue), filter: QueueFilter(limit: 20))
                    QueueCommand.print(page, now: moment)
                }
            }
            return
        }
        for worker in chosen {
            let started = Date()
            let rebuilt = try worker.rebuilt(root: context.projections.root)
            defer { rebuilt.close() }
            Terminal.json([
                "projection": .string(worker.projection.name), "checkpoint": .integer(Int64(try rebuilt.checkpoint())),
                "digest": .string(try rebuilt.digest()), "seconds": .number((Date().timeIntervalSince(started) * 100).rounded() / 100),
            ])
        }
    }

    static func parseTime(_ text: String) -> Date? {
        if let date = TicketEventCodec.parseTime(text) { return date }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "A department's open tickets: by priority, then deadline, then age; overdue flagged.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: "The department id (e.g. fen-isleri), or triage.")
    var department: String

    @Option(help: "Only tickets in this status (triage, routed, acknowledged, in-progress).")
    var status: String?

    @Option(help: "Only this category.")
    var category: String?

    @Option(help: "Only this district.")
    var district: String?

    @Option(help: "How many tickets to show.")
    var limit: Int = 20

    @Option(help: "How many to skip.")
    var offset: Int = 0

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let departmentID: DepartmentID
        var filter = QueueFilter(offset: max(0, offset), limit: max(0, limit))
        do {
            departmentID = try DepartmentID(department)
            if let category { filter.category = try CategoryID(category) }
        } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        if let status {
            guard let parsed = Ticket.Status(rawValue: status), parsed.isOpen else {
                throw CLIFailure("--status must be one of triage, routed, acknowledged, in-progress", exitCode: CLIFailure.badInput)
            }
            filter.status = parsed
        }
        filter.district = district
        let context = try ProjectionContext.open(dataFolder)
        defer { context.close() }
        let catalog = try BundledCatalog.load()
        guard departmentID == .triage || catalog.department(departmentID) != nil else {
            throw CLIFailure(
                TicketError.unknownDepartment(departmentID, known: catalog.departments.map(\.id)).description, exitCode: CLIFailure.badInput
            )
        }
        let page = try context.projections.queues.queue(departmentID, filter: filter)
        if json {
            Terminal.json(page.json(now: Date()))
        } else {
            Self.print(page, now: Date())
        }
    }

    static func print(_ page: QueuePage, now: Date) {
        let counts = page.counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(
            separator: ", ")
        Terminal.line("\(page.department): \(page.matching) matching; open by status: \(counts.isEmpty ? "none" : counts)")
        for item in page.items {
            let due = item.dueAt.map(TicketEventCodec.format) ?? "-"
            let flag = item.isOverdue(at: now) ? " OVERDUE" : ""
            Terminal.line(
                "\(item.ticket)  p\(item.priority ?? 0)  due \(due)\(flag)  \(item.status.rawValue)  \(item.category?.rawValue ?? "-")  \(item.district)"
            )
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Accountability figures of calls received in a period, grouped by a dimension.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "First day (YYYY-MM-DD, Europe/Istanbul), inclusive.")
    var from: String?

    @Option(help: "Last day (YYYY-MM-DD), inclusive.")
    var to: String?

    @Option(help: "Group by department, category, district, channel, day, month or hour.")
    var by: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print CSV.")
    var csv = false

    func validate() throws {
        for day in [from, to].compactMap({ $0 }) where !StatisticsReport.isDay(day) {
            throw ValidationError("'\(day)' is not a day like 2025-03-01")
        }
        if let by, StatisticsDimension(rawValue: by) == nil {
            throw ValidationError("--by must be one of \(StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if json && csv { throw ValidationError("choose --json or --csv") }
    }

    func run() async throws {
        let context = try ProjectionContext.open(dataFolder)
        defer { context.close() }
        let report = StatisticsReport(
            facts: try context.projections.stats.facts(), from: from, to: to, by: by.flatMap(StatisticsDimension.init))
        let rows = [report.total] + report.rows
        if json {
            Terminal.json([
                "from": from.map { .string($0) } ?? .null, "to": to.map { .string($0) } ?? .null, "by": by.map { .string($0) } ?? .null,
                "total": report.total.json, "rows": .array(report.rows.map(\.json)),
                "backlog": .array(report.backlog.map { ["day": .string($0.day), "open": .integer(Int64($0.open))] }),
            ])
            return
        }
        let columns = StatisticsRow.columns
        if csv {
            Terminal.line(columns.joined(separator: ","))
            for row in rows {
                let values = row.json
                Terminal.line(
                    columns.map { values[$0].map { $0.stringValue.map { "\"\($0)\"" } ?? ($0 == .null ? "" : $0.canonicalString) } ?? "" }
                        .joined(separator: ","))
            }
            return
        }
        if report.total.calls == 0 {
            Terminal.line("no calls recorded between \(from ?? "the beginning") and \(to ?? "the end of the log")")
            return
        }
        for row in rows {
            func hours(_ value: Double?) -> String { value.map { String(format: "%.1fh", $0) } ?? "-" }
            func share(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
            Terminal.line(
                "\(row.key.padding(toLength: 28, withPad: " ", startingAt: 0)) calls \(row.calls)  opened \(row.opened)  resolved \(row.resolved)  first-contact \(row.closedAtFirstContact)  resolve median \(hours(row.resolveMedianHours)) p90 \(hours(row.resolveP90Hours))  within standard \(share(row.slaMetShare))  reopened \(share(row.reopenRate))"
            )
        }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Demo data.", subcommands: [SeedCommand.self])
}

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Generate a city's year of calls through the real intake path (router, rules, sealing).",
        discussion: "Deterministic for a given seed. The log must be empty.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "How many calls.")
    var calls: Int = 148_910

    @Option(help: "Which year.")
    var year: Int = 2025

    @Option(help: "The random seed.")
    var seed: UInt64 = 153

    func validate() throws {
        guard calls >= 1, calls <= 5_000_000 else { throw ValidationError("--calls must be between 1 and 5000000") }
        guard (2000...2100).contains(year) else { throw ValidationError("--year must be between 2000 and 2100") }
    }

    func run() async throws {
        let context = try ServiceContext.open(dataFolder, create: true)
        defer { context.close() }
        guard try context.log.size() == 0 else {
            throw CLIFailure(
                "the log at \(context.log.folder.path) already holds \(try context.log.size()) entries; seed into an empty data folder",
                exitCode: CLIFailure.badInput)
        }
        let catalog = try await context.service.catalogInForce()
        let router = try Router.bundled(catalog: catalog)
        var seeder = DemoSeeder(
            batch: TicketBatch(log: context.log, vault: context.vault, router: router, catalog: catalog),
            corpus: try Router.bundledCorpus(),
            year: year, seed: seed)
        let bar = Terminal.stderrIsTerminal ? ProgressBar(label: "seeding") : nil
        let summary = try await seeder.seed(calls: calls) { done, total in
            if let bar {
                bar.update(done: UInt64(done), total: UInt64(total))
            } else if done % 50_000 == 0 || done == total {
                FileHandle.standardError.write(Data("seeding: \(done)/\(total) calls\n".utf8))
            }
        }
        bar?.finish()
        Terminal.json([
            "calls": .integer(Int64(summary.calls)), "tickets": .integer(Int64(summary.tickets)),
            "informationOnly": .integer(Int64(summary.informationOnly)), "events": .integer(Int64(summary.events)),
            "seconds": .number((summary.seconds * 10).rounded() / 10),
        ])
    }
}
