public import Foundation

/// Where an imported ticket came from: the system that recorded it before Defter, and its id
/// there. Together they are the record's identity: importing the same pair again adds nothing.
public struct ImportSource: Codable, Sendable, Hashable {
    /// The source system's name, as the mapping gives it (`kahramanmaras-crm`).
    public let system: String
    /// The record's id in that system, as it was written there.
    public let id: String

    /// Names a source record.
    public init(system: String, id: String) {
        self.system = system
        self.id = id
    }
}

/// The lifecycle state a source record was in, as the mapping translates the source's status.
public enum ImportedState: String, Codable, Sendable, CaseIterable {
    /// Waiting in the department's queue.
    case open
    case acknowledged
    case inProgress = "in-progress"
    case resolved
    case closed
    case cancelled

    /// The ticket status an imported record in this state has.
    public var status: Ticket.Status {
        switch self {
        case .open: .routed
        case .acknowledged: .acknowledged
        case .inProgress: .inProgress
        case .resolved: .resolved
        case .closed: .closed
        case .cancelled: .cancelled
        }
    }

    /// Whether the source says the request was done (resolved or closed), which needs a closing time.
    public var isDone: Bool { self == .resolved || self == .closed }

    /// Whether the ticket still waits on its department.
    public var isOpen: Bool { status.isOpen }
}

/// Something the source system got wrong in a record, found when it was imported. These are
/// findings about the import's source, never about this log.
public enum ImportFinding: String, Codable, Sendable, CaseIterable {
    /// The record was closed before it was opened.
    case closedBeforeOpened = "closed-before-opened"
    /// The record has a closing time, yet its status says it is still open.
    case closedTimeOnOpenRecord = "closed-time-on-open-record"
    /// The record was last updated before it was opened.
    case updatedBeforeOpened = "updated-before-opened"
    /// The record's due date is before it was opened.
    case dueBeforeOpened = "due-before-opened"
    /// A later import found the record changed after it was closed.
    case changedAfterClosure = "changed-after-closure"

    /// The finding in words, for audits and import reports.
    public var explanation: String {
        switch self {
        case .closedBeforeOpened: "closed before it was opened"
        case .closedTimeOnOpenRecord: "has a closing time but its status is open"
        case .updatedBeforeOpened: "updated before it was opened"
        case .dueBeforeOpened: "due before it was opened"
        case .changedAfterClosure: "changed after it was closed"
        }
    }

    /// What is wrong with a record's times, as the source gives them.
    public static func of(
        openedAt: Date, state: ImportedState, closedAt: Date?, updatedAt: Date?, dueAt: Date?
    ) -> [ImportFinding] {
        var findings: [ImportFinding] = []
        if let closedAt, closedAt < openedAt { findings.append(.closedBeforeOpened) }
        if closedAt != nil, !state.isDone, state != .cancelled { findings.append(.closedTimeOnOpenRecord) }
        if let updatedAt, updatedAt < openedAt { findings.append(.updatedBeforeOpened) }
        if let dueAt, dueAt < openedAt { findings.append(.dueBeforeOpened) }
        return findings
    }
}

/// What a source record says of a request, mapped onto Defter's departments, categories and
/// states: the part of an import that can change between two runs over the same source.
public struct ImportedRecordState: Codable, Sendable, Equatable {
    public let state: ImportedState
    /// When the source says the request was closed (resolved, closed or cancelled).
    public let closedAt: Date?
    /// When the source last changed the record.
    public let updatedAt: Date?
    public let department: DepartmentID
    /// The category, when the source's request type maps to one (nil: the department is known, not the category).
    public let category: CategoryID?
    /// The service standard of the category in the catalog in force at opening, in hours.
    public let standardHours: Int?
    public let priority: Int?
    /// The deadline: the source's due date when it has one, else the opening plus the standard.
    public let dueAt: Date?

    /// Describes a record's state.
    public init(
        state: ImportedState, closedAt: Date?, updatedAt: Date?, department: DepartmentID, category: CategoryID?, standardHours: Int?,
        priority: Int?, dueAt: Date?
    ) {
        self.state = state
        self.closedAt = closedAt
        self.updatedAt = updatedAt
        self.department = department
        self.category = category
        self.standardHours = standardHours
        self.priority = priority
        self.dueAt = dueAt
    }
}

/// A request recorded by the system the city used before Defter, imported as one event: a
/// snapshot of what that system said, not a history this log witnessed. Its times are the
/// source's (`at` is when the source says it was opened); the log's `recordedAt` is when it was
/// imported.
public struct TicketImported: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let source: ImportSource
    /// When the source says the request was opened.
    public let at: Date
    public let record: ImportedRecordState
    /// The catalog version whose standards the deadline was computed from.
    public let catalogVersion: Int
    public let channel: Channel
    public let location: Location
    /// The caller's personal data and the free text, sealed per citizen like live intake.
    public let personalData: SealedPersonalData
    /// The free text's length in characters (the text itself is sealed).
    public let textLength: Int
    /// Lowercase hex SHA-256 of the mapped record: a later run that computes another digest for
    /// the same source id found the record changed.
    public let digest: String
    /// What the source got wrong in the record (empty when nothing).
    public let findings: [ImportFinding]

    /// Describes an imported record.
    public init(
        ticket: TicketID, source: ImportSource, at: Date, record: ImportedRecordState, catalogVersion: Int, channel: Channel,
        location: Location, personalData: SealedPersonalData, textLength: Int, digest: String, findings: [ImportFinding]
    ) {
        self.ticket = ticket
        self.source = source
        self.at = at
        self.record = record
        self.catalogVersion = catalogVersion
        self.channel = channel
        self.location = location
        self.personalData = personalData
        self.textLength = textLength
        self.digest = digest
        self.findings = findings
    }
}

/// A later import found an imported record changed in its source (closed since, say): the new
/// state, replacing the one imported before. Appended only while Defter has not worked the
/// ticket itself.
public struct ImportedRecordChanged: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let source: ImportSource
    /// When the source says the record changed: its update time, else its closing time, else its opening.
    public let at: Date
    public let record: ImportedRecordState
    /// The digest of the record as imported before, and of the record now.
    public let previousDigest: String
    public let digest: String
    public let findings: [ImportFinding]

    /// Describes a change.
    public init(
        ticket: TicketID, source: ImportSource, at: Date, record: ImportedRecordState, previousDigest: String, digest: String,
        findings: [ImportFinding]
    ) {
        self.ticket = ticket
        self.source = source
        self.at = at
        self.record = record
        self.previousDigest = previousDigest
        self.digest = digest
        self.findings = findings
    }
}

/// The numbers imported tickets get: `YYYY-9NNNNNNN`, from 90,000,001 in the year of their opening
/// (Europe/Istanbul), well clear of the live numbering of the same year.
public enum ImportNumbering {
    /// The first imported number of a year is this plus one.
    public static let base = 90_000_000

    /// The ticket number of the `index`th (1-based) record imported for `year`.
    public static func ticket(year: Int, index: Int) -> TicketID { TicketID(year: year, sequence: base + index) }

    /// Whether `ticket` is in the imported range.
    public static func isImported(_ ticket: TicketID) -> Bool {
        let number = ticket.rawValue.dropFirst(5)
        return number.count == 8 && number.first == "9"
    }
}

extension Ticket {
    /// Applies an imported record's state to a ticket made by an import.
    mutating func adopt(_ record: ImportedRecordState, openedAt: Date) {
        status = record.state.status
        department = record.department
        category = record.category
        standardHours = record.standardHours
        priority = record.priority
        dueAt = record.dueAt
        routedAt = openedAt
        acknowledgedAt = nil
        startedAt = nil
        resolvedAt = record.state.isDone ? record.closedAt : nil
        closedAt = record.state == .closed || record.state == .cancelled ? record.closedAt : nil
    }
}
