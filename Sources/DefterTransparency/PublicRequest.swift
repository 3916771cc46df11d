public import DefterDomain
public import DefterLog
public import Foundation

/// A request as the citizen who made it sees it on the tracking page: its status, department,
/// expected completion and timeline, with no personal data and no staff names, and with what is
/// needed to check every step against the signed log in the browser.
///
/// Steps come from the ticket's history. Reads of personal data and internal notes are left out.
/// A step's log entry is given in full (so its hash can be recomputed) only when every field of it
/// is fit to publish; for events that carry staff-written text or a staff member's name (an
/// assignment, a referral's or reopening's reason, a cancellation note), only the entry's leaf hash
/// is given: the proof then shows that an entry stands at that place in the signed log, not what
/// it says.
public struct PublicRequest: Sendable {
    /// One step of the public timeline.
    public struct Step: Sendable {
        public let sequence: UInt64
        public let type: String
        public let at: Date?
        /// Fields fit to show: department, category, resolution code, a public note's text.
        public let details: [String: JSONValue]
        /// The entry's bytes, when all of it is fit to publish.
        public let entry: [UInt8]?
        /// The entry's Merkle leaf hash.
        public let leafHash: MerkleHash
        /// Its inclusion proof against the checkpoint, when the checkpoint covers it.
        public let proof: InclusionProof?
    }

    public let ticket: Ticket
    public let steps: [Step]
    public let checkpoint: SignedCheckpoint?
    let catalog: Catalog?

    /// Event types whose whole entry may be shown: none holds free text written by staff or a
    /// staff member's name (personal data in them is sealed).
    static let publishableEntries: Set<String> = [
        "CallReceived", "InformationProvided", "TicketOpened", "TicketRouted", "TicketAcknowledged", "WorkStarted",
        "TicketResolved", "TicketMergedAsDuplicate", "CitizenNotified", "FeedbackReceived", "SLAEscalated", "NoteAdded",
    ]

    /// The public view of `history` (loaded with a checkpoint to prove against) of `ticket`.
    public init(ticket: Ticket, history: TicketHistory, catalog: Catalog?) {
        self.ticket = ticket
        self.checkpoint = history.checkpoint
        self.catalog = catalog
        steps = history.steps.compactMap { step -> Step? in
            guard step.stream.hasPrefix("ticket-") else { return nil }
            var fields: [String: JSONValue] = [:]
            if case .object(let members) = step.data { fields = members }
            if step.type == "NoteAdded", fields["visibility"]?.stringValue != NoteVisibility.public.rawValue { return nil }
            let isAfterPhoto = step.type == "PhotoAttached" && fields["role"]?.stringValue == PhotoRole.after.rawValue
            var details: [String: JSONValue] = [:]
            for key in ["destination", "department", "toDepartment", "category", "resolutionCode", "duplicateOf", "channel"] {
                if let value = fields[key] { details[key] = value }
            }
            if step.type == "NoteAdded" { details["text"] = fields["text"] }
            if step.type == "FeedbackReceived" { details["satisfaction"] = fields["satisfaction"] }
            if step.type == "TicketResolved", let note = fields["note"]?.stringValue, !note.isEmpty { details["note"] = .string(note) }
            if step.type == "PhotoAttached" { details["role"] = fields["role"] }
            if isAfterPhoto {
                for key in ["sha256", "mediaType"] { details[key] = fields[key] }
            }
            return Step(
                sequence: step.sequence, type: step.type, at: step.at, details: details,
                entry: Self.publishableEntries.contains(step.type) || isAfterPhoto ? step.bytes : nil,
                leafHash: MerkleHash.leaf(step.bytes),
                proof: step.proof)
        }
    }

    /// The crew's "after" photos, oldest first: the only photos the public sees. A citizen's own
    /// photos show in the timeline as a step, never as an image or a hash. (An erasure deletes the
    /// bytes of both; the steps stay.)
    public var afterPhotos: [(sha256: String, mediaType: String)] {
        steps.compactMap { step in
            guard step.type == "PhotoAttached", step.details["role"]?.stringValue == PhotoRole.after.rawValue,
                let sha = step.details["sha256"]?.stringValue, let type = step.details["mediaType"]?.stringValue
            else { return nil }
            return (sha, type)
        }
    }

    private func departmentName(_ id: DepartmentID?) -> JSONValue {
        guard let id else { return .null }
        if id == .triage { return "Yönlendirme masası / Triage desk" }
        return .string(catalog?.department(id)?.name ?? id.rawValue)
    }

    /// As JSON for the tracking page and for apps (`GET /v1/public/requests/{id}`).
    public var json: JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(TicketEventCodec.format($0)) } ?? .null }
        var object: [String: JSONValue] = [
            "ticket": .string(ticket.id.rawValue), "status": .string(ticket.status.rawValue),
            "department": ticket.department.map { .string($0.rawValue) } ?? .null, "departmentName": departmentName(ticket.department),
            "category": ticket.category.map { .string($0.rawValue) } ?? .null,
            "categoryName": ticket.category.flatMap { catalog?.category($0)?.category.name }.map { .string($0) } ?? .null,
            "district": .string(ticket.location.district), "receivedAt": time(ticket.receivedAt), "expectedBy": time(ticket.dueAt),
            "resolvedAt": time(ticket.resolvedAt), "overdue": .bool(ticket.status.isOpen && (ticket.dueAt.map { $0 < Date() } ?? false)),
            "timeline": .array(
                steps.map { step in
                    var event: [String: JSONValue] = [
                        "seq": .integer(Int64(step.sequence)), "type": .string(step.type), "at": time(step.at),
                        "details": .object(step.details), "leafHash": .string(step.leafHash.base64),
                    ]
                    if let name = step.details["destination"]?.stringValue ?? step.details["toDepartment"]?.stringValue
                        ?? step.details["department"]?.stringValue
                    {
                        event["departmentName"] = departmentName(try? DepartmentID(name))
                    }
                    event["entry"] = step.entry.map { .string(Data($0).base64EncodedString()) } ?? .null
                    if let proof = step.proof {
                        event["proof"] = [
                            "leafIndex": .integer(Int64(proof.sequence - 1)), "treeSize": .integer(Int64(proof.treeSize)),
                            "path": .array(proof.path.map { .string($0.base64) }),
                        ]
                    } else {
                        event["proof"] = .null
                    }
                    return .object(event)
                }),
        ]
        if let checkpoint {
            object["checkpoint"] = [
                "treeSize": .integer(Int64(checkpoint.checkpoint.treeSize)), "root": .string(checkpoint.checkpoint.root.base64),
                "time": .string(checkpoint.checkpoint.timestamp.description), "note": .string(checkpoint.text),
            ]
        } else {
            object["checkpoint"] = .null
        }
        return .object(object)
    }

    /// The C2SP `tlog-proof` of step `sequence`, when it is published whole and the checkpoint
    /// covers it.
    public func tlogProof(sequence: UInt64) -> String? {
        guard let checkpoint, let step = steps.first(where: { $0.sequence == sequence }), let entry = step.entry,
            let proof = step.proof
        else { return nil }
        return TlogProof.text(entry: entry, proof: proof, checkpoint: checkpoint)
    }
}
