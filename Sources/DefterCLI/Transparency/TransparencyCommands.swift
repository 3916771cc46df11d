import ArgumentParser
import DefterDomain
import DefterLog
import DefterProjections
import DefterTickets
import DefterTransparency
import DefterWitness
import Foundation

/// `defter audit`: checks everything a data folder holds and prints the findings.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the log, its checkpoints, the projections and the ticket rules; list what an auditor looks for.",
        discussion: """
            Checks: the log verifies (every leaf, root and index); every checkpoint is validly signed, matches
            the tree at its size and is consistent with the one before it; every projection equals a fresh
            replay of the log; every ticket's events obey the ticket rules, in time order. Also lists open
            tickets past their standard time, tickets referred more than twice, routing overrides per
            operator, cancellations per reason and the number of erasures. With --witness VKEY (repeated), every
            cosignature kept in data/witnesses by those witnesses must verify over the log's own checkpoint of
            its size, and with --witness-quorum N the newest cosigned checkpoint must carry N of them.
            Works on a data folder or a backup of one (a backup has no projections to compare).
            Exit 0 when clean, 1 with findings.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "Print the findings as JSON.")
    var json = false

    @Flag(help: "Skip the comparison of the projections with a fresh replay (the slowest check).")
    var noReplay = false

    @Option(help: "How many overdue tickets to list in the text output (all are in --json).")
    var list: Int = 10

    @Option(
        name: .customLong("witness"),
        help: ArgumentHelp(
            "A witness the auditor trusts, by its verifier key (the text, or a file holding it); repeat for each. Its cosignatures kept in data/witnesses are verified over the log's checkpoints.",
            valueName: "vkey"))
    var witnesses: [String] = []

    @Option(help: ArgumentHelp("With --witness: how many of them must have cosigned the newest cosigned checkpoint.", valueName: "n"))
    var witnessQuorum: Int?

    func validate() throws {
        if let witnessQuorum {
            guard !witnesses.isEmpty else { throw ValidationError("--witness-quorum needs the witnesses' keys (--witness VKEY)") }
            guard (1...witnesses.count).contains(witnessQuorum) else {
                throw ValidationError("--witness-quorum must be 1 to the number of --witness keys (\(witnesses.count))")
            }
        }
    }

    func run() async throws {
        let projectionsFolder = dataFolder.folder.appendingPathComponent("projections")
        let hasProjections = !noReplay && FileManager.default.fileExists(atPath: projectionsFolder.path)
        let context: ProjectionContext?
        let log: EventLog
        if hasProjections {
            let opened = try ProjectionContext.open(dataFolder, catchUp: false)
            do {
                try opened.projections.catchUp()
            } catch is ProjectionError {
                // A projection that cannot apply the log is a finding, reported by the audit.
            }
            context = opened
            log = opened.log
        } else {
            context = nil
            log = try dataFolder.open(readOnly: true)
        }
        defer {
            if let context { context.close() } else { log.close() }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("defter-audit-\(UUID().uuidString)")
        var progress: (@Sendable (String) -> Void)?
        if Terminal.stderrIsTerminal && !json {
            progress = { step in FileHandle.standardError.write(Data("audit: \(step)…\n".utf8)) }
        }
        var witnessAudit: WitnessAudit?
        if !witnesses.isEmpty || FileManager.default.fileExists(atPath: dataFolder.folder.appendingPathComponent("witnesses").path) {
            let keys = try cosignerKeys(witnesses)
            witnessAudit = WitnessAudit(
                keys: keys, quorum: witnessQuorum,
                cosignatures: try WitnessClient.keptCosignatures(at: dataFolder.folder.appendingPathComponent("witnesses")))
        }
        let report = try await Auditor.audit(
            log, projections: context?.projections, scratch: scratch, witnesses: witnessAudit, progress: progress)
        if json {
            Terminal.json(report.json)
        } else {
            print(
                report, folder: dataFolder.folder.path,
                projectionsSkipped: noReplay ? "skipped (--no-replay)" : hasProjections ? nil : "none in this folder")
        }
        if !report.isClean { throw ExitCode(CLIFailure.problemFound) }
    }

    private func print(_ report: AuditReport, folder: String, projectionsSkipped: String?) {
        func status(_ check: AuditFinding.Check) -> String {
            let count = report.findings.filter { $0.check == check }.count
            return count == 0 ? "ok" : "\(count) finding\(count == 1 ? "" : "s")"
        }
        Terminal.line("Audit of \(folder): \(report.logSize) entries, root \(report.root?.base64 ?? "(not computed)")")
        Terminal.line("  log           \(status(.log))")
        Terminal.line("  checkpoints   \(report.checkpoints) checked, \(status(.checkpoints))")
        if let projectionsSkipped {
            Terminal.line("  projections   \(projectionsSkipped)")
        } else {
            Terminal.line(
                "  projections   \(report.projectionsCompared.joined(separator: ", ")) against a fresh replay, \(status(.projections))")
        }
        Terminal.line("  ticket rules  \(report.observations.tickets) tickets replayed, \(status(.rules))")
        if let witnesses = report.witnesses {
            let verified = witnesses.verifiedByWitness.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let unverified = witnesses.unverifiedByName.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            Terminal.line(
                "  witnesses     "
                    + (verified.isEmpty
                        ? "no key given (--witness VKEY)" : "checkpoints cosigned, verified: " + verified.joined(separator: ", "))
                    + (unverified.isEmpty ? "" : "; kept but not verified (no key given): " + unverified.joined(separator: ", "))
                    + (witnesses.newestCosigned.map {
                        "; newest cosigned: size \($0) by \(witnesses.newestCosigners.isEmpty ? "none verified" : witnesses.newestCosigners.joined(separator: ", "))"
                    } ?? "")
                    + ", \(status(.witnesses))")
        }
        if report.findings.isEmpty {
            Terminal.line("Findings: none.")
        } else {
            Terminal.line("Findings (\(report.findings.count)):")
            for finding in report.findings { Terminal.line("  [\(finding.check.rawValue)] \(finding.subject): \(finding.message)") }
        }
        let o = report.observations
        Terminal.line("")
        Terminal.line("For the auditor's attention\(o.asOf.map { " (as of \(IstanbulTime.format($0)), the newest event)" } ?? ""):")
        Terminal.line("  open past their standard time: \(o.overdue.count)")
        for item in o.overdue.prefix(list) {
            Terminal.line("    \(item.ticket)  \(item.department?.rawValue ?? "-")  due \(IstanbulTime.format(item.dueAt))")
        }
        if o.overdue.count > list { Terminal.line("    … \(o.overdue.count - list) more (see --json)") }
        Terminal.line(
            "  referred more than twice: \(o.referredMoreThanTwice.count)"
                + (o.referredMoreThanTwice.isEmpty
                    ? ""
                    : " (" + o.referredMoreThanTwice.prefix(list).map { "\($0.ticket) x\($0.referrals)" }.joined(separator: ", ") + ")"))
        Terminal.line("  routing overrides by operator: " + Self.counts(o.overridesByOperator))
        Terminal.line("  cancellations by reason: " + Self.counts(o.cancellationsByReason))
        Terminal.line("  personal-data erasures: \(o.erasures)")
        if !o.importedBySystem.isEmpty {
            Terminal.line("")
            Terminal.line("Imported history (what earlier systems recorded, not witnessed by this log):")
            Terminal.line("  imported tickets by source: " + Self.counts(o.importedBySystem))
            Terminal.line("  findings of the import (the source's errors, not the log's): \(o.importFindings.count)")
            for item in o.importFindings.prefix(list) {
                Terminal.line("    \(item.ticket)  \(item.source.system) \(item.source.id): \(item.finding)")
            }
            if o.importFindings.count > list { Terminal.line("    … \(o.importFindings.count - list) more (see --json)") }
        }
    }

    private static func counts(_ counts: [String: Int]) -> String {
        counts.isEmpty
            ? "none" : counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

extension AuditReport {
    /// The audit as JSON.
    var json: JSONValue {
        let o = observations
        return [
            "clean": .bool(isClean), "logSize": .integer(Int64(logSize)), "root": root.map { .string($0.base64) } ?? .null,
            "checkpoints": .integer(Int64(checkpoints)), "projectionsCompared": .array(projectionsCompared.map { .string($0) }),
            "findings": .array(
                findings.map { ["check": .string($0.check.rawValue), "subject": .string($0.subject), "message": .string($0.message)] }),
            "witnesses": witnesses.map { w in
                [
                    "verifiedByWitness": .object(w.verifiedByWitness.mapValues { .integer(Int64($0)) }),
                    "unverifiedByName": .object(w.unverifiedByName.mapValues { .integer(Int64($0)) }),
                    "newestCosigned": w.newestCosigned.map { .integer(Int64($0)) } ?? .null,
                    "newestCosigners": .array(w.newestCosigners.map { .string($0) }),
                ]
            } ?? .null,
            "observations": [
                "asOf": o.asOf.map { .string(TicketEventCodec.format($0)) } ?? .null,
                "tickets": .integer(Int64(o.tickets)),
                "overdue": .array(
                    o.overdue.map {
                        [
                            "ticket": .string($0.ticket.rawValue), "department": $0.department.map { .string($0.rawValue) } ?? .null,
                            "dueAt": .string(TicketEventCodec.format($0.dueAt)),
                        ]
                    }),
                "referredMoreThanTwice": .array(
                    o.referredMoreThanTwice.map { ["ticket": .string($0.ticket.rawValue), "referrals": .integer(Int64($0.referrals))] }),
                "overridesByOperator": .object(o.overridesByOperator.mapValues { .integer(Int64($0)) }),
                "cancellationsByReason": .object(o.cancellationsByReason.mapValues { .integer(Int64($0)) }),
                "erasures": .integer(Int64(o.erasures)),
                "importedBySystem": .object(o.importedBySystem.mapValues { .integer(Int64($0)) }),
                "importFindings": .array(
                    o.importFindings.map {
                        [
                            "ticket": .string($0.ticket.rawValue), "system": .string($0.source.system), "sourceId": .string($0.source.id),
                            "finding": .string($0.finding),
                        ]
                    }),
            ],
        ]
    }
}

/// `defter history TICKET`: one ticket's full timeline for an auditor.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show every event of a ticket, with what it changed, and optionally its inclusion proofs.",
        discussion: """
            Times are Europe/Istanbul. Personal data is shown only as sealed or erased. With --with-proofs every
            event carries its inclusion proof against a signed checkpoint (the newest, or --checkpoint N), each
            checked before it is printed; --json gives everything needed to check them independently.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: "The ticket, e.g. 2025-000123.")
    var ticket: String

    @Flag(help: "Add each event's inclusion proof against a checkpoint.")
    var withProofs = false

    @Option(help: "The checkpoint to prove against: its number as `defter log checkpoints` counts (default: the newest).")
    var checkpoint: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let id: TicketID
        do { id = try TicketID(ticket) } catch { throw CLIFailure("\(error)", exitCode: CLIFailure.badInput) }
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        var against: SignedCheckpoint?
        if withProofs || checkpoint != nil {
            let all = try log.checkpoints()
            guard !all.isEmpty else {
                throw CLIFailure(
                    "the log has no checkpoint to prove against yet; sign one with `defter log checkpoint`", exitCode: CLIFailure.badInput)
            }
            let number = checkpoint ?? all.count
            guard (1...all.count).contains(number) else {
                throw CLIFailure(
                    "there is no checkpoint #\(number); the log has \(all.count) (numbered from 1)", exitCode: CLIFailure.badInput)
            }
            against = all[number - 1]
            try against!.verify(with: log.verifierKey)
        }
        let history = try TicketHistory.load(id, from: log, provingAgainst: against)
        if json {
            Terminal.json(history.json)
            return
        }
        Terminal.line("Ticket \(id): \(history.steps.count) events; personal data \(history.personalData)")
        if let against {
            Terminal.line("Proofs against checkpoint at size \(against.checkpoint.treeSize), root \(against.checkpoint.root.base64)")
        }
        for step in history.steps {
            let time = step.at.map(IstanbulTime.format) ?? step.recordedAt.description
            Terminal.line("#\(step.sequence)  \(time)  \(step.type)  by \(step.actor)")
            for change in step.changes { Terminal.line("    \(change.field): \(change.before) -> \(change.after)") }
            if let proof = step.proof {
                Terminal.line("    proof: \(proof.path.count) hashes lead to the checkpoint's root (verified)")
            } else if against != nil {
                Terminal.line("    proof: none, recorded after the checkpoint")
            }
        }
    }
}

/// `defter report`: a period's accountability report.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a period's accountability report, computed from the log at a signed checkpoint.",
        discussion: """
            Periods: 2025, 2025-03 or 2025-01-01..2025-06-30 (calls received on those days, Europe/Istanbul).
            The report names the checkpoint it was computed at; when no checkpoint covers the log's current
            size, one is signed; with --witness, the witnesses are asked to cosign it, and the report is written only when \
            --witness-quorum of them have. The same log and period always give the same bytes. It holds no personal data.
            Check a published report with tools/verify_report.py (Python, no Swift needed).
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The period: YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD.")
    var period: String

    @Option(help: "html, md, csv or json.")
    var format: String = "html"

    @Option(help: "The language: en or tr.")
    var lang: String = "en"

    @Option(help: ArgumentHelp("Write to this file (default: standard output).", valueName: "file"))
    var out: String?

    @Option(
        name: .customLong("witness"),
        help: ArgumentHelp(
            "A C2SP tlog-witness to ask to cosign the report's checkpoint, as URL=VKEY (its cosigner key text, or a file); repeat for several.",
            valueName: "url=vkey"))
    var witnesses: [String] = []

    @Option(help: ArgumentHelp("With --witness: how many must have cosigned before the report is written (default: all).", valueName: "n"))
    var witnessQuorum: Int?

    func run() async throws {
        let period: ReportPeriod
        do { period = try ReportPeriod(parsing: self.period) } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        guard let format = ReportFormat(rawValue: format) else {
            throw CLIFailure("--format must be one of html, md, csv, json", exitCode: CLIFailure.badInput)
        }
        guard let language = ReportLanguage(rawValue: lang) else {
            throw CLIFailure("--lang must be en or tr", exitCode: CLIFailure.badInput)
        }
        let endpoints = try witnessEndpoints(witnesses)
        let quorum = witnessQuorum ?? endpoints.count
        guard (0...endpoints.count).contains(quorum) else {
            throw CLIFailure(
                "--witness-quorum must be 0 to the number of --witness given (\(endpoints.count))", exitCode: CLIFailure.badInput)
        }
        let context = try ProjectionContext.open(dataFolder)
        defer { context.close() }
        let (checkpoint, facts) = try await Self.factsAtCheckpoint(context)
        let catalog = try TicketService.publishedCatalog(in: context.log) ?? BundledCatalog.load()
        let report = AccountabilityReport(
            facts: facts, period: period, checkpoint: checkpoint, catalog: catalog,
            importDays: try ImportDays.read(context.log, upTo: checkpoint.checkpoint.treeSize),
            cosignatures: try await cosignatures(of: checkpoint, log: context.log, asking: endpoints, quorum: quorum))
        try OutputFile.write(to: out) { sink in try sink.write(report.rendered(as: format, language: language)) }
        if let reason = report.emptyReason, out != nil {
            Terminal.error(
                "note: \(period.label) has no calls: \(reason == .noCalls ? "none was received in it" : "it lies beyond the log's last call")"
            )
        }
    }

    /// The cosignatures kept for `checkpoint`. With witnesses to ask, each is asked first (from the
    /// last checkpoint it cosigned, as the service does), and the report is refused unless `quorum`
    /// of them vouch for the checkpoint: a report that says it is witnessed must be.
    private func cosignatures(
        of checkpoint: SignedCheckpoint, log: EventLog, asking endpoints: [WitnessClient.Endpoint], quorum: Int
    ) async throws -> [String] {
        let folder = dataFolder.folder.appendingPathComponent("witnesses")
        let size = checkpoint.checkpoint.treeSize
        guard !endpoints.isEmpty else { return try WitnessClient.keptCosignatures(at: folder)[size] ?? [] }
        let client = try WitnessClient(endpoints: endpoints, folder: folder, quorum: quorum)
        defer { client.close() }
        let outcomes = await client.cosign(checkpoint, of: log)
        let vouching = try client.vouching(for: checkpoint)
        guard vouching.count >= quorum else {
            let reasons = endpoints.compactMap { endpoint -> String? in
                guard case .failed(let reason) = outcomes[endpoint.key.name] else { return nil }
                return "\(endpoint.key.name): \(reason)"
            }
            throw CLIFailure(
                "the report's checkpoint (size \(size)) is cosigned by \(vouching.count) of the \(quorum) witnesses required; no report was written"
                    + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"),
                exitCode: CLIFailure.problemFound)
        }
        return try client.cosignatures(treeSize: size)
    }

    /// The statistics facts and a signed checkpoint of exactly the entries they cover.
    static func factsAtCheckpoint(_ context: ProjectionContext) async throws -> (SignedCheckpoint, [TicketFact]) {
        do {
            return try await AccountabilityReport.factsAtCheckpoint(projections: context.projections, log: context.log)
        } catch let error as ReportBusyError {
            throw CLIFailure(error.description, exitCode: CLIFailure.problemFound)
        }
    }
}
