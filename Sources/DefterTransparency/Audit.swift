public import DefterDomain
public import DefterLog
public import DefterProjections
import DefterTickets
public import Foundation

/// One thing an audit found wrong.
public struct AuditFinding: Sendable, Equatable {
    /// Which check found it.
    public enum Check: String, Sendable, CaseIterable {
        /// The log's bytes, tree and indexes (`defter log verify`).
        case log
        /// The signed checkpoints: signatures, roots, consistency between successive ones.
        case checkpoints
        /// A projection's state against a fresh replay of the log.
        case projections
        /// The ticket rules, replayed over every ticket's events.
        case rules
        /// The witnesses' cosignatures kept beside the log, against the keys the auditor trusts.
        case witnesses
    }

    /// The check that found it.
    public let check: Check
    /// What it is about: a sequence, a checkpoint number, a projection, a ticket.
    public let subject: String
    /// What is wrong, in words.
    public let message: String
}

/// What an auditor looks for besides faults: counts and lists that are not errors in themselves.
public struct AuditObservations: Sendable, Equatable {
    /// An open ticket past its service-standard deadline.
    public struct Overdue: Sendable, Equatable {
        public let ticket: TicketID
        public let department: DepartmentID?
        public let dueAt: Date
    }

    /// The moment "overdue" is judged at: the newest event time in the log.
    public var asOf: Date?
    /// Open tickets past their deadline at `asOf`, oldest deadline first.
    public var overdue: [Overdue] = []
    /// Tickets referred more than twice, with their referral count.
    public var referredMoreThanTwice: [(ticket: TicketID, referrals: Int)] = []
    /// Routing overrides per operator.
    public var overridesByOperator: [String: Int] = [:]
    /// Cancellations per reason.
    public var cancellationsByReason: [String: Int] = [:]
    /// How many citizens' personal data was erased (the count only).
    public var erasures = 0
    /// How many tickets were replayed.
    public var tickets = 0
    /// Imported tickets per source system: their histories are what that system recorded, not
    /// what this log witnessed.
    public var importedBySystem: [String: Int] = [:]
    /// What the import sources got wrong, record by record: findings of the import, not of the log.
    public var importFindings: [ImportSourceFinding] = []

    /// Something a source system got wrong in a record imported from it.
    public struct ImportSourceFinding: Sendable, Equatable {
        public let ticket: TicketID
        public let source: ImportSource
        public let finding: String
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.asOf == b.asOf && a.overdue == b.overdue && a.importedBySystem == b.importedBySystem
            && a.importFindings == b.importFindings && a.referredMoreThanTwice.map(\.ticket) == b.referredMoreThanTwice.map(\.ticket)
            && a.overridesByOperator == b.overridesByOperator && a.cancellationsByReason == b.cancellationsByReason
            && a.erasures == b.erasures && a.tickets == b.tickets
    }
}

/// The outcome of `Auditor.audit`.
public struct AuditReport: Sendable {
    /// How many entries the log held when audited.
    public let logSize: UInt64
    /// The root of those entries.
    public let root: MerkleHash?
    /// How many checkpoints were checked.
    public let checkpoints: Int
    /// The projections compared with a fresh replay (empty when that check was skipped).
    public let projectionsCompared: [String]
    /// Everything found wrong; empty when the audit is clean.
    public let findings: [AuditFinding]
    /// Counts and lists for the auditor's attention.
    public let observations: AuditObservations
    /// The witnesses' cosignatures, when the audit was asked to check them.
    public let witnesses: WitnessAudit.Outcome?

    /// Whether nothing was found wrong.
    public var isClean: Bool { findings.isEmpty }
}

/// Checks everything a data folder holds: the log, its checkpoints, the projections and the
/// ticket rules, and gathers what an auditor looks for. Reads only; the projections' fresh
/// replay goes into a temporary folder that is removed afterwards.
public enum Auditor {
    /// Audits `log`. `projections`, when given, are compared with a fresh replay built under
    /// `scratch`; they must be caught up with the log first.
    /// `witnesses`, when given, checks the kept cosignatures against the keys the auditor trusts.
    public static func audit(
        _ log: EventLog, projections: Projections?, scratch: URL, witnesses: WitnessAudit? = nil,
        progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> AuditReport {
        var findings: [AuditFinding] = []
        progress?("verifying the log")
        let verification: VerificationReport?
        do {
            verification = try log.verify()
            if let verification, !verification.ok {
                findings.append(
                    AuditFinding(
                        check: .log, subject: verification.firstBadSequence.map { "entry \($0)" } ?? "log",
                        message: verification.reason ?? "the log does not verify"))
            }
        } catch {
            verification = nil
            findings.append(AuditFinding(check: .log, subject: "log", message: "\(error)"))
        }
        progress?("checking checkpoints")
        let (checkpointCount, checkpointFindings) = checkCheckpoints(log)
        findings += checkpointFindings

        // The rule replay and the projections' replay each take a core.
        let rulesTask = Task.detached { try checkRules(log) }
        var compared: [String] = []
        if let projections {
            progress?("replaying projections from zero")
            let (names, projectionFindings) = try compare(projections, log: log, scratch: scratch)
            compared = names
            findings += projectionFindings
        }
        progress?("replaying the ticket rules")
        let (ruleFindings, observations) = try await rulesTask.value
        findings += ruleFindings
        var witnessOutcome: WitnessAudit.Outcome?
        if let witnesses {
            progress?("checking the witnesses' cosignatures")
            let outcome = try witnesses.check(log)
            findings += outcome.findings
            witnessOutcome = outcome
        }
        let logSize = try verification?.size ?? log.size()
        return AuditReport(
            logSize: logSize, root: verification?.root, checkpoints: checkpointCount,
            projectionsCompared: compared, findings: findings, observations: observations, witnesses: witnessOutcome)
    }

    /// Each checkpoint validly signed, no larger than the log, with the log's root at its size,
    /// and consistent with the one before it.
    static func checkCheckpoints(_ log: EventLog) -> (Int, [AuditFinding]) {
        let checkpoints: [SignedCheckpoint]
        do {
            checkpoints = try log.checkpoints()
        } catch {
            return (0, [AuditFinding(check: .checkpoints, subject: "checkpoints", message: "\(error)")])
        }
        var findings: [AuditFinding] = []
        let size = (try? log.size()) ?? 0
        var previous: (number: Int, checkpoint: Checkpoint)?
        for (offset, signed) in checkpoints.enumerated() {
            let number = offset + 1
            let checkpoint = signed.checkpoint
            func finding(_ message: String) {
                findings.append(AuditFinding(check: .checkpoints, subject: "checkpoint #\(number)", message: message))
            }
            do { try signed.verify(with: log.verifierKey) } catch { finding("\(error)") }
            guard checkpoint.treeSize <= size else {
                finding(
                    "it covers \(checkpoint.treeSize) entries but the log holds only \(size): entries were removed after it was published")
                continue
            }
            do {
                let root = try log.root(size: checkpoint.treeSize).root
                if root != checkpoint.root {
                    finding(
                        "its root differs from the log's root at size \(checkpoint.treeSize): the log was rewritten after it was published")
                }
            } catch {
                finding("\(error)")
            }
            if let previous {
                if checkpoint.treeSize < previous.checkpoint.treeSize {
                    finding(
                        "it covers fewer entries (\(checkpoint.treeSize)) than checkpoint #\(previous.number) (\(previous.checkpoint.treeSize))"
                    )
                } else if previous.checkpoint.treeSize > 0 {
                    do {
                        let proof = try log.consistencyProof(from: previous.checkpoint.treeSize, to: checkpoint.treeSize)
                        try proof.verify()
                        if proof.oldRoot != previous.checkpoint.root || proof.newRoot != checkpoint.root {
                            finding("it is not consistent with checkpoint #\(previous.number): the tree was rewritten between them")
                        }
                    } catch {
                        finding("no consistency with checkpoint #\(previous.number): \(error)")
                    }
                }
            }
            previous = (number, checkpoint)
        }
        return (checkpoints.count, findings)
    }

    /// Every projection's digest against a replay from zero into `scratch`.
    static func compare(_ projections: Projections, log: EventLog, scratch: URL) throws -> ([String], [AuditFinding]) {
        let fresh = try Projections(log: log, root: scratch)
        defer {
            fresh.close()
            try? FileManager.default.removeItem(at: scratch)
        }
        var findings: [AuditFinding] = []
        do {
            try fresh.catchUp()
        } catch {
            let names = projections.all.map { "\($0.projection.name) v\($0.projection.version)" }
            return (names, [AuditFinding(check: .projections, subject: "replay", message: "a fresh replay of the log fails: \(error)")])
        }
        for (live, rebuilt) in zip(projections.all, fresh.all) {
            let name = "\(live.projection.name) v\(live.projection.version)"
            if let error = live.error {
                findings.append(AuditFinding(check: .projections, subject: name, message: "the projection is stopped: \(error)"))
                continue
            }
            let liveCheckpoint = try live.checkpoint()
            let freshCheckpoint = try rebuilt.checkpoint()
            guard liveCheckpoint == freshCheckpoint else {
                findings.append(
                    AuditFinding(
                        check: .projections, subject: name,
                        message: "it stands at entry \(liveCheckpoint), the replay at \(freshCheckpoint); catch it up and audit again"))
                continue
            }
            let (liveDigest, freshDigest) = (try live.digest(), try rebuilt.digest())
            if liveDigest != freshDigest {
                findings.append(
                    AuditFinding(
                        check: .projections, subject: name,
                        message:
                            "its state (digest \(liveDigest)) differs from a fresh replay (\(freshDigest)); rebuild it with `defter replay --projection \(live.projection.name)`"
                    ))
            }
        }
        return (projections.all.map { "\($0.projection.name) v\($0.projection.version)" }, findings)
    }

    /// Replays every ticket's events through the domain rules, in log order, and gathers the
    /// observations on the way.
    static func checkRules(_ log: EventLog) throws -> ([AuditFinding], AuditObservations) {
        var findings: [AuditFinding] = []
        var observations = AuditObservations()
        var states: [TicketID: Ticket] = [:]
        var lastTime: [TicketID: Date] = [:]
        var broken: Set<TicketID> = []
        var newest: Date?
        var next: UInt64 = 1
        while true {
            let entries = try log.entries(from: next, limit: 5000)
            guard let last = entries.last else { break }
            next = last.sequence + 1
            for entry in entries {
                if entry.type == "PersonalDataErased" {
                    observations.erasures += 1
                    continue
                }
                let event: TicketEvent
                do {
                    guard let decoded = try TicketService.ticketEvent(entry) else { continue }
                    event = decoded
                } catch {
                    findings.append(AuditFinding(check: .rules, subject: "entry \(entry.sequence)", message: "\(error)"))
                    continue
                }
                let id = TicketRules.ticket(of: event)
                guard entry.stream.rawValue == id.streamName else {
                    findings.append(
                        AuditFinding(
                            check: .rules, subject: "entry \(entry.sequence)",
                            message: "\(entry.type) of ticket \(id) is on stream '\(entry.stream)', not '\(id.streamName)'"))
                    continue
                }
                guard !broken.contains(id) else { continue }
                let importEvent: Bool
                switch event {
                case .ticketImported(let e):
                    importEvent = true
                    observations.importedBySystem[e.source.system, default: 0] += 1
                    for finding in e.findings {
                        observations.importFindings.append(.init(ticket: id, source: e.source, finding: finding.explanation))
                    }
                case .importedRecordChanged(let e):
                    importEvent = true
                    for finding in e.findings {
                        observations.importFindings.append(.init(ticket: id, source: e.source, finding: finding.explanation))
                    }
                default:
                    importEvent = false
                }
                if importEvent, let previous = lastTime[id], event.at < previous, case .importedRecordChanged(let e) = event {
                    // The source's own times out of order: a finding of the import, not of this log.
                    observations.importFindings.append(
                        .init(
                            ticket: id, source: e.source,
                            finding:
                                "changed at \(TicketEventCodec.format(event.at)), before the record's previous time (\(TicketEventCodec.format(previous)))"
                        ))
                } else if let previous = lastTime[id], event.at < previous, !(states[id]?.isImported ?? false) {
                    findings.append(
                        AuditFinding(
                            check: .rules, subject: "ticket \(id)",
                            message:
                                "entry \(entry.sequence) (\(entry.type)) happened at \(TicketEventCodec.format(event.at)), before the ticket's previous event (\(TicketEventCodec.format(previous)))"
                        ))
                }
                do {
                    states[id] = try TicketRules.evolve(states[id], event)
                } catch {
                    findings.append(AuditFinding(check: .rules, subject: "ticket \(id)", message: "entry \(entry.sequence): \(error)"))
                    broken.insert(id)
                    continue
                }
                lastTime[id] = max(lastTime[id] ?? event.at, event.at)
                // "Now" for overdue judgements is the newest time this log witnessed, not a source's.
                if !importEvent { newest = max(newest ?? event.at, event.at) }
                switch event {
                case .routingOverridden(let e): observations.overridesByOperator[e.operatorId.rawValue, default: 0] += 1
                case .ticketCancelled(let e): observations.cancellationsByReason[e.reason.rawValue, default: 0] += 1
                default: break
                }
            }
        }
        observations.asOf = newest
        observations.tickets = states.count
        for ticket in states.values.sorted(by: { $0.id < $1.id }) {
            if let newest, ticket.status.isOpen, let due = ticket.dueAt, due < newest {
                observations.overdue.append(.init(ticket: ticket.id, department: ticket.department, dueAt: due))
            }
            if ticket.referralCount > 2 { observations.referredMoreThanTwice.append((ticket.id, ticket.referralCount)) }
        }
        observations.overdue.sort { ($0.dueAt, $0.ticket) < ($1.dueAt, $1.ticket) }
        return (findings, observations)
    }
}
