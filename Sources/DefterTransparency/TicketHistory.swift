public import DefterDomain
public import DefterLog
import DefterTickets
public import Foundation

/// The full timeline of one ticket, for an auditor: every event of its stream and every recorded
/// read of its personal data, in log order, with what each changed. Personal data appears only as
/// `sealed` or `erased`. With a checkpoint, each step carries its inclusion proof against it.
public struct TicketHistory: Sendable {
    /// One event of the timeline.
    public struct Step: Sendable {
        /// The entry's sequence in the log.
        public let sequence: UInt64
        /// The stream it belongs to (`ticket-…`, or `access-…` for reads of personal data).
        public let stream: String
        /// Its version in that stream.
        public let streamVersion: UInt64
        /// The event type.
        public let type: String
        /// When it happened (the event's own time), when it says.
        public let at: Date?
        /// When the log recorded it.
        public let recordedAt: Timestamp
        /// Who caused it.
        public let actor: String
        /// Fields of the ticket it changed: (field, before, after), as JSON text.
        public let changes: [(field: String, before: String, after: String)]
        /// The event's data, personal data replaced by `sealed` or `erased`.
        public let data: JSONValue
        /// Its proof of inclusion in the checkpoint's tree, when asked for and covered.
        public let proof: InclusionProof?
        /// The entry exactly as stored: its Merkle leaf's data, so that a reader can hash it
        /// itself (personal data in it is sealed, as in the log).
        public let bytes: [UInt8]
    }

    /// The ticket.
    public let ticket: TicketID
    /// Its events, oldest first.
    public let steps: [Step]
    /// Whether the citizen's personal data is still sealed or was erased.
    public let personalData: String
    /// The checkpoint the proofs are against.
    public let checkpoint: SignedCheckpoint?

    /// Reads the ticket's history from `log`; with `checkpoint`, proves every step it covers
    /// against it (and checks each proof before returning it).
    public static func load(_ ticket: TicketID, from log: EventLog, provingAgainst checkpoint: SignedCheckpoint? = nil) throws
        -> TicketHistory
    {
        let entries = try allEntries(of: StreamID(ticket.streamName), in: log) + allEntries(of: StreamID("access-\(ticket)"), in: log)
        guard !entries.isEmpty else { throw TicketError.notFound(ticket) }
        var erased = false
        var state: Ticket?
        var steps: [Step] = []
        for entry in entries.sorted(by: { $0.sequence < $1.sequence }) {
            var changes: [(String, String, String)] = []
            var at: Date?
            if let event = try TicketService.ticketEvent(entry) {
                let after = try TicketRules.evolve(state, event)
                changes = try Self.changes(from: state, to: after)
                state = after
                at = event.at
                if let sealed = event.openingPersonalData {
                    erased = try log.version(of: StreamID("citizen-\(sealed.citizen)")) > 0
                }
            } else if let text = try entry.data()["at"]?.stringValue {
                at = TicketEventCodec.parseTime(text)
            }
            var proof: InclusionProof?
            if let checkpoint, entry.sequence <= checkpoint.checkpoint.treeSize {
                let found = try log.inclusionProof(sequence: entry.sequence, treeSize: checkpoint.checkpoint.treeSize)
                try found.verify()
                guard found.root == checkpoint.checkpoint.root, found.leafHash == MerkleHash.leaf(entry.bytes) else {
                    throw ProofError("entry \(entry.sequence) is not in the tree checkpoint \(checkpoint.checkpoint.treeSize) signed")
                }
                proof = found
            }
            steps.append(
                Step(
                    sequence: entry.sequence, stream: entry.stream.rawValue, streamVersion: entry.streamVersion, type: entry.type, at: at,
                    recordedAt: entry.recordedAt, actor: entry.actor, changes: changes, data: try entry.data(), proof: proof,
                    bytes: Array(entry.bytes)))
        }
        let status = erased ? "erased" : "sealed"
        return TicketHistory(
            ticket: ticket, steps: steps.map { $0.withPersonalData(status) }, personalData: status, checkpoint: checkpoint)
    }

    private static func allEntries(of stream: StreamID, in log: EventLog) throws -> [LogEntry] {
        var out: [LogEntry] = []
        while true {
            let page = try log.entries(inStream: stream, fromVersion: UInt64(out.count) + 1, limit: 1000)
            out += page
            if page.count < 1000 { return out }
        }
    }

    /// The ticket fields an event changed, personal data and bookkeeping left out.
    static func changes(from before: Ticket?, to after: Ticket) throws -> [(String, String, String)] {
        let encoder = TicketEventCodec.makeEncoder()
        let old = try before.map { try JSONValue(parsing: Array(encoder.encode($0))) } ?? .object([:])
        let new = try JSONValue(parsing: Array(encoder.encode(after)))
        guard case .object(let oldFields) = old, case .object(let newFields) = new else { return [] }
        let hidden: Set<String> = ["citizen", "version", "callId"]
        return Set(oldFields.keys).union(newFields.keys).subtracting(hidden).sorted().compactMap { key in
            let was = oldFields[key] ?? .null
            let now = newFields[key] ?? .null
            // A new ticket's empty counters and lists are not news.
            if before == nil && [JSONValue.array([]), .integer(0), .bool(false)].contains(now) { return nil }
            return was == now ? nil : (key, was.canonicalString, now.canonicalString)
        }
    }
}

extension TicketHistory.Step {
    fileprivate func withPersonalData(_ status: String) -> Self {
        guard case .object(var fields) = data, fields["personalData"] != nil else { return self }
        fields["personalData"] = .string(status)
        return Self(
            sequence: sequence, stream: stream, streamVersion: streamVersion, type: type, at: at, recordedAt: recordedAt, actor: actor,
            changes: changes, data: .object(fields), proof: proof, bytes: bytes)
    }
}

extension TicketHistory {
    /// The history as JSON, every proof with the data needed to check it independently.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "ticket": .string(ticket.rawValue), "personalData": .string(personalData),
            "events": .array(
                steps.map { step in
                    var event: [String: JSONValue] = [
                        "seq": .integer(Int64(step.sequence)), "stream": .string(step.stream),
                        "streamVersion": .integer(Int64(step.streamVersion)), "type": .string(step.type),
                        "recordedAt": .string(step.recordedAt.description), "actor": .string(step.actor), "data": step.data,
                        "entry": .string(Data(step.bytes).base64EncodedString()),
                        "changes": .array(
                            step.changes.map { change in
                                ["field": .string(change.field), "before": .string(change.before), "after": .string(change.after)]
                            }),
                    ]
                    event["at"] = step.at.map { .string(TicketEventCodec.format($0)) } ?? .null
                    event["atIstanbul"] = step.at.map { .string(IstanbulTime.format($0)) } ?? .null
                    if let proof = step.proof {
                        event["proof"] = [
                            "treeSize": .integer(Int64(proof.treeSize)), "leafHash": .string(proof.leafHash.base64),
                            "path": .array(proof.path.map { .string($0.base64) }),
                        ]
                    }
                    return .object(event)
                }),
        ]
        if let checkpoint {
            object["checkpoint"] = [
                "treeSize": .integer(Int64(checkpoint.checkpoint.treeSize)), "root": .string(checkpoint.checkpoint.root.base64),
                "note": .string(checkpoint.text),
            ]
        }
        return .object(object)
    }
}

/// Times as an auditor in Kahramanmaraş reads them.
public enum IstanbulTime {
    /// `2025-03-01 11:15:00.123 +03:00`.
    public static func format(_ date: Date) -> String {
        let parts = Calendar.istanbul.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let offset = Calendar.istanbul.timeZone.secondsFromGMT(for: date)
        let milliseconds = Int((Double(parts.nanosecond ?? 0) / 1_000_000).rounded()) % 1000
        let sign = offset < 0 ? "-" : "+"
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%03d %@%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
            parts.second!, milliseconds, sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
    }
}
