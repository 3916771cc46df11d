public import DefterDomain
public import DefterLog
public import DefterProjections
import DefterWitness
import Foundation

/// A period's accountability report: what the log says of the calls received in it, at one
/// signed checkpoint, free of personal data. A pure value: the same facts, period and checkpoint
/// always give the same report, and every renderer writes the same bytes for it.
///
/// Its figures are defined in `Schemas/report-format.md`, precisely enough to be recomputed from
/// the log by `tools/verify_report.py`.
public struct AccountabilityReport: Sendable {
    /// The period covered.
    public let period: ReportPeriod
    /// The checkpoint the facts were computed at: the report covers entries 1...treeSize.
    public let checkpoint: SignedCheckpoint
    /// The catalog in force, for department and category names.
    public let catalog: Catalog?
    /// Every call of the period.
    public let total: StatisticsRow
    /// Groupings of the same calls.
    public let byDepartment: [StatisticsRow]
    public let byCategory: [StatisticsRow]
    public let byDistrict: [StatisticsRow]
    public let byChannel: [StatisticsRow]
    public let byMonth: [StatisticsRow]
    public let byHour: [StatisticsRow]
    /// Why the report has no figures, when the period holds no call.
    public let emptyReason: EmptyReason?
    /// The period's tickets imported from the systems used before, per system: their times are
    /// what that system recorded, not what this log witnessed.
    public let imported: [ImportedShare]

    /// The witnesses' cosignature lines kept for the checkpoint (`— name base64`, C2SP
    /// tlog-cosignature): who vouched that this checkpoint is the history everyone was shown.
    public let cosignatures: [String]

    /// The names of the witnesses that cosigned the checkpoint.
    public var witnesses: [String] { cosignatures.compactMap(CosignerVerifierKey.signer(of:)) }

    /// The checkpoint as a note with the witnesses' cosignatures after the log's own signature.
    public var cosignedNote: String { checkpoint.text + cosignatures.map { $0 + "\n" }.joined() }

    /// How many of the period's calls one source system's import gave, and when it ran.
    public struct ImportedShare: Sendable, Equatable {
        public let system: String
        public let calls: Int
        /// The first and last day (Europe/Istanbul) that system's records were imported on.
        public let importedFrom: String?
        public let importedTo: String?
    }

    /// Why a period holds no call.
    public enum EmptyReason: Sendable, Equatable {
        /// The log has calls before and after, just none in the period.
        case noCalls
        /// The period starts after the last call the log holds (on `lastCallDay`, if any).
        case beyondLog(lastCallDay: String?)
    }

    /// Computes the report from the statistics projection's facts, all caught up to `checkpoint`;
    /// `importDays` gives, per source system, the days its imports ran (`ImportDays.read`);
    /// `cosignatures`, the witnesses' lines kept for the checkpoint.
    public init(
        facts: [TicketFact], period: ReportPeriod, checkpoint: SignedCheckpoint, catalog: Catalog?,
        importDays: [String: (first: String, last: String)] = [:], cosignatures: [String] = []
    ) {
        self.init(
            factsInPeriod: facts.filter { period.contains(day: $0.day) }, lastCallDay: facts.map(\.day).max(), period: period,
            checkpoint: checkpoint, catalog: catalog, importDays: importDays, cosignatures: cosignatures)
    }

    /// The same report from only the facts of calls in `period` and the day of the log's last
    /// call (`lastCallDay`, nil when it holds none), which says why an empty period is empty:
    /// what a reader of a `FactSnapshot` has without holding every fact at once.
    public init(
        factsInPeriod inPeriod: [TicketFact], lastCallDay: String?, period: ReportPeriod, checkpoint: SignedCheckpoint,
        catalog: Catalog?, importDays: [String: (first: String, last: String)] = [:], cosignatures: [String] = []
    ) {
        self.cosignatures = cosignatures.sorted()
        self.period = period
        self.checkpoint = checkpoint
        self.catalog = catalog
        func rows(_ dimension: StatisticsDimension) -> [StatisticsRow] { StatisticsReport.rows(of: inPeriod, by: dimension).rows }
        total = StatisticsReport.rows(of: inPeriod, by: nil).total
        byDepartment = rows(.department)
        byCategory = rows(.category)
        byDistrict = rows(.district)
        byChannel = rows(.channel)
        byMonth = rows(.month)
        byHour = rows(.hour)
        var importedCalls: [String: Int] = [:]
        for fact in inPeriod { if let system = fact.importedFrom { importedCalls[system, default: 0] += 1 } }
        imported = importedCalls.sorted { $0.key < $1.key }.map {
            ImportedShare(system: $0.key, calls: $0.value, importedFrom: importDays[$0.key]?.first, importedTo: importDays[$0.key]?.last)
        }
        if !inPeriod.isEmpty {
            emptyReason = nil
        } else {
            emptyReason = lastCallDay.map { $0 < period.from } ?? true ? .beyondLog(lastCallDay: lastCallDay) : .noCalls
        }
    }

    /// The report as the canonical JSON object `defter-report/1`.
    public func json(language: ReportLanguage) -> JSONValue {
        let cp = checkpoint.checkpoint
        var object: [String: JSONValue] = [
            "format": "defter-report/1",
            "lang": .string(language.rawValue),
            "period": ["label": .string(period.label), "from": .string(period.from), "to": .string(period.to)],
            "checkpoint": [
                "origin": .string(cp.origin), "treeSize": .integer(Int64(cp.treeSize)), "root": .string(cp.root.base64),
                "note": .string(cosignedNote), "witnesses": .array(witnesses.map { .string($0) }),
            ],
            "headline": headlineJSON,
            "total": Self.rowJSON(total),
            "byDepartment": .array(byDepartment.map(Self.rowJSON)),
            "byCategory": .array(byCategory.map(Self.rowJSON)),
            "byDistrict": .array(byDistrict.map(Self.rowJSON)),
            "byChannel": .array(byChannel.map(Self.rowJSON)),
            "byMonth": .array(byMonth.map(Self.rowJSON)),
            "byHour": .array(byHour.map(Self.rowJSON)),
            "empty": .bool(emptyReason != nil),
            "imported": .array(
                imported.map {
                    [
                        "system": .string($0.system), "calls": .integer(Int64($0.calls)),
                        "importedFrom": $0.importedFrom.map { .string($0) } ?? .null,
                        "importedTo": $0.importedTo.map { .string($0) } ?? .null,
                    ]
                }),
        ]
        if let emptyReason { object["emptyReason"] = .string(ReportText(language).emptyReason(emptyReason, period: period)) }
        return .object(object)
    }

    /// The headline figures, as `tools/verify_report.py` recomputes them.
    var headlineJSON: JSONValue {
        [
            "calls": .integer(Int64(total.calls)), "imported": .integer(Int64(total.imported)),
            "ticketsOpened": .integer(Int64(total.opened)),
            "closedAtFirstContact": .integer(Int64(total.closedAtFirstContact)), "resolved": .integer(Int64(total.resolved)),
            "withStandard": .integer(Int64(total.withStandard)), "resolvedWithinStandard": .integer(Int64(total.resolvedWithinStandard)),
            "resolveMedianMs": Self.optional(total.resolveMedianMilliseconds), "resolveP90Ms": Self.optional(total.resolveP90Milliseconds),
        ]
    }

    static func rowJSON(_ row: StatisticsRow) -> JSONValue {
        [
            "key": .string(row.key), "calls": .integer(Int64(row.calls)), "imported": .integer(Int64(row.imported)),
            "ticketsOpened": .integer(Int64(row.opened)),
            "closedAtFirstContact": .integer(Int64(row.closedAtFirstContact)), "resolved": .integer(Int64(row.resolved)),
            "withStandard": .integer(Int64(row.withStandard)), "resolvedWithinStandard": .integer(Int64(row.resolvedWithinStandard)),
            "cancelled": .integer(Int64(row.cancelled)), "merged": .integer(Int64(row.merged)), "triaged": .integer(Int64(row.triaged)),
            "reopened": .integer(Int64(row.reopened)), "referrals": .integer(Int64(row.referrals)),
            "overrides": .integer(Int64(row.overrides)), "escalated": .integer(Int64(row.escalated)),
            "resolveMedianMs": optional(row.resolveMedianMilliseconds), "resolveP90Ms": optional(row.resolveP90Milliseconds),
            "acknowledgeMedianMs": optional(row.acknowledgeMedianMilliseconds),
            "acknowledgeP90Ms": optional(row.acknowledgeP90Milliseconds),
            "satisfactionCount": .integer(Int64(row.satisfactionCount)), "satisfactionSum": .integer(Int64(row.satisfactionSum)),
        ]
    }

    private static func optional(_ value: Int64?) -> JSONValue { value.map { .integer($0) } ?? .null }
}

/// When each source system's records were imported: the days of its `ImportBatchRecorded`
/// entries, as the log recorded them.
public enum ImportDays {
    /// Per source system, the first and last day (Europe/Istanbul) of its import batches among
    /// the log's first `treeSize` entries.
    public static func read(_ log: EventLog, upTo treeSize: UInt64) throws -> [String: (first: String, last: String)] {
        var days: [String: (first: String, last: String)] = [:]
        let stream = try StreamID("imports")
        var from: UInt64 = 1
        while true {
            let entries = try log.entries(inStream: stream, fromVersion: from, limit: 1000)
            guard let last = entries.last else { break }
            for entry in entries where entry.sequence <= treeSize {
                guard case .string(let system)? = try entry.data()["system"] else { continue }
                let day = IstanbulDate(entry.recordedAt.date).dayText
                let known = days[system]
                days[system] = (min(known?.first ?? day, day), max(known?.last ?? day, day))
            }
            from = last.streamVersion + 1
        }
        return days
    }
}
