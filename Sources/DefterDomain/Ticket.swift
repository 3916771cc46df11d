public import Foundation

/// A ticket as its events leave it: the state commands are decided against.
public struct Ticket: Sendable, Equatable, Codable {
    /// Where a ticket is in its lifecycle.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// The call is recorded; nothing else happened yet.
        case received
        /// An information-only call, answered and closed at first contact.
        case closedAtFirstContact = "closed-at-first-contact"
        /// A ticket exists but is not routed yet.
        case open
        /// Waiting in the human triage queue.
        case triage
        /// In a department's queue, not yet acknowledged.
        case routed
        /// The department has seen it.
        case acknowledged
        /// Work is under way.
        case inProgress = "in-progress"
        /// The department says it is done.
        case resolved
        /// Closed after resolution.
        case closed
        /// Merged into another ticket.
        case merged
        /// Cancelled as invalid or abusive.
        case cancelled

        /// Whether the ticket waits on a department or on triage.
        public var isOpen: Bool {
            switch self {
            case .open, .triage, .routed, .acknowledged, .inProgress: true
            case .received, .closedAtFirstContact, .resolved, .closed, .merged, .cancelled: false
            }
        }
    }

    public let id: TicketID
    public internal(set) var status: Status
    /// Events applied so far: the stream version, used as the expected version of the next append.
    public internal(set) var version: Int
    public internal(set) var callId: String
    public internal(set) var channel: Channel
    public internal(set) var location: Location
    public internal(set) var citizen: CitizenRef
    public internal(set) var receivedAt: Date
    public internal(set) var catalogVersion: Int?
    public internal(set) var department: DepartmentID?
    public internal(set) var category: CategoryID?
    public internal(set) var priority: Int?
    public internal(set) var standardHours: Int?
    public internal(set) var dueAt: Date?
    public internal(set) var openedAt: Date?
    public internal(set) var routedAt: Date?
    public internal(set) var acknowledgedAt: Date?
    public internal(set) var startedAt: Date?
    public internal(set) var resolvedAt: Date?
    public internal(set) var closedAt: Date?
    public internal(set) var assignee: String?
    public internal(set) var reopenCount = 0
    public internal(set) var referralCount = 0
    public internal(set) var overrideCount = 0
    public internal(set) var duplicateOf: TicketID?
    public internal(set) var escalatedDeadlines: [Date] = []
    public internal(set) var satisfaction: Int?
    /// Whether feedback was given since the last resolution.
    public internal(set) var feedbackSinceResolution = false
    /// The record this ticket was imported from, for tickets made by an import.
    public internal(set) var source: ImportSource?
    /// The digest of the source record as last imported.
    public internal(set) var sourceDigest: String?
    /// The ticket's version after its last import event: while `version` equals it, Defter has not
    /// worked the ticket itself, and a changed source record may still replace its state.
    public internal(set) var importedVersion: Int?

    /// Whether the ticket was imported from the system the city used before.
    public var isImported: Bool { source != nil }
}

/// What someone asks to happen to a ticket.
public enum TicketCommand: Sendable, Equatable {
    /// Record a call; open, and route, a ticket unless it only needed information.
    case receiveCall(CallIntake)
    /// An operator sends the ticket somewhere else than the router did.
    case overrideRouting(department: DepartmentID, category: CategoryID?, reason: String, by: ActorID, at: Date)
    /// The owning department passes the ticket to another.
    case refer(to: DepartmentID, category: CategoryID?, reason: String, actingDepartment: DepartmentID?, by: ActorID, at: Date)
    case assign(assignee: String, actingDepartment: DepartmentID?, by: ActorID, at: Date)
    case acknowledge(actingDepartment: DepartmentID?, by: ActorID, at: Date)
    case startWork(actingDepartment: DepartmentID?, by: ActorID, at: Date)
    case resolve(code: String, note: String, actingDepartment: DepartmentID?, by: ActorID, at: Date)
    case close(reason: String, by: ActorID, at: Date)
    case reopen(reason: String, by: ActorID, at: Date)
    case mergeAsDuplicate(of: TicketID, by: ActorID, at: Date)
    case cancel(reason: CancellationReason, note: String, by: ActorID, at: Date)
    /// The citizen was told (or, with `delivery.outcome` `failed`, could not be told) something.
    case notifyCitizen(channel: String, template: String, by: ActorID, at: Date, delivery: NotificationDelivery? = nil)
    /// Staff write a note: for staff only, or for the citizen too.
    case addNote(text: String, visibility: NoteVisibility, by: ActorID, at: Date)
    /// The citizen's rating after a resolution; `fixed: false` within the reopening window also
    /// reopens the ticket.
    case recordFeedback(satisfaction: Int, at: Date, fixed: Bool? = nil)
    /// The deadline worker: the service standard passed while the ticket was unresolved.
    case escalate(at: Date)
    /// A photo, already checked, stripped and stored, is attached: a citizen's while the ticket is
    /// open, a crew's "after" photo by the owning department once it is resolved.
    case attachPhoto(PhotoFacts, actingDepartment: DepartmentID?, by: ActorID, at: Date)

    /// The command's name as people say it, for error messages.
    public var name: String {
        switch self {
        case .receiveCall: "receive a call"
        case .overrideRouting: "override routing"
        case .refer: "refer"
        case .assign: "assign"
        case .acknowledge: "acknowledge"
        case .startWork: "start work"
        case .resolve: "resolve"
        case .close: "close"
        case .reopen: "reopen"
        case .mergeAsDuplicate: "merge as duplicate"
        case .cancel: "cancel"
        case .notifyCitizen: "notify the citizen"
        case .addNote: "add a note"
        case .recordFeedback: "record feedback"
        case .escalate: "escalate"
        case .attachPhoto: "attach a photo"
        }
    }
}

/// What the photo store says about a photo it holds: its role, hash, type, size and dimensions.
public struct PhotoFacts: Sendable, Equatable {
    public let role: PhotoRole
    /// Lowercase hex SHA-256 of the stored (stripped) image.
    public let sha256: String
    public let mediaType: String
    public let bytes: Int
    public let width: Int?
    public let height: Int?

    /// Describes a stored photo.
    public init(role: PhotoRole, sha256: String, mediaType: String, bytes: Int, width: Int?, height: Int?) {
        self.role = role
        self.sha256 = sha256
        self.mediaType = mediaType
        self.bytes = bytes
        self.width = width
        self.height = height
    }
}

/// Everything intake knows about a call once personal data is sealed and the router has spoken.
public struct CallIntake: Sendable, Equatable {
    public let ticket: TicketID
    public let callId: String
    public let channel: Channel
    public let operatorId: ActorID
    public let at: Date
    public let location: Location
    public let personalData: SealedPersonalData
    public let textLength: Int
    public let operatorCategory: CategoryID?
    /// Set for calls that only needed information; `topic` says which.
    public let informationTopic: String?
    /// Whether the caller asked not to be told about the ticket by SMS or e-mail.
    public let notificationsOptOut: Bool
    /// The router's decision (ignored for information-only calls).
    public let routing: RoutingDecision?

    /// Describes an intake.
    public init(
        ticket: TicketID, callId: String, channel: Channel, operatorId: ActorID, at: Date, location: Location,
        personalData: SealedPersonalData, textLength: Int, operatorCategory: CategoryID?, informationTopic: String?,
        routing: RoutingDecision?, notificationsOptOut: Bool = false
    ) {
        self.notificationsOptOut = notificationsOptOut
        self.ticket = ticket
        self.callId = callId
        self.channel = channel
        self.operatorId = operatorId
        self.at = at
        self.location = location
        self.personalData = personalData
        self.textLength = textLength
        self.operatorCategory = operatorCategory
        self.informationTopic = informationTopic
        self.routing = routing
    }
}

/// Why a command was refused; each says what was wrong and what is allowed instead.
public enum TicketError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(TicketID)
    case alreadyExists(TicketID)
    case illegalTransition(TicketID, status: Ticket.Status, command: String, allowed: [String])
    case wrongDepartment(TicketID, owner: DepartmentID?, acting: DepartmentID)
    case unknownDepartment(DepartmentID, known: [DepartmentID])
    case unknownCategory(CategoryID, department: DepartmentID, known: [CategoryID])
    case invalid(DomainInputError)
    case notYetDue(TicketID, dueAt: Date)
    case alreadyEscalated(TicketID, dueAt: Date)
    case mergeIntoItself(TicketID)
    case sameDepartment(TicketID, DepartmentID)
    case inconsistentHistory(TicketID, String)

    public var description: String {
        switch self {
        case .notFound(let id): "ticket \(id) does not exist"
        case .alreadyExists(let id): "ticket \(id) already exists"
        case .illegalTransition(let id, let status, let command, let allowed):
            "ticket \(id) is \(status.rawValue), so it cannot \(command)"
                + (allowed.isEmpty ? "; nothing more can happen to it" : "; allowed now: \(allowed.joined(separator: ", "))")
        case .wrongDepartment(let id, let owner, let acting):
            "ticket \(id) belongs to \(owner?.rawValue ?? "no department"), not to \(acting)"
        case .unknownDepartment(let id, let known):
            "there is no department '\(id)'; known: \(known.map(\.rawValue).joined(separator: ", "))"
        case .unknownCategory(let id, let department, let known):
            "department '\(department)' has no category '\(id)'; its categories: \(known.map(\.rawValue).joined(separator: ", "))"
        case .invalid(let error): error.description
        case .notYetDue(let id, let dueAt): "ticket \(id) is not overdue until \(TicketEventCodec.format(dueAt))"
        case .alreadyEscalated(let id, let dueAt): "ticket \(id) was already escalated for its deadline \(TicketEventCodec.format(dueAt))"
        case .mergeIntoItself(let id): "ticket \(id) cannot be a duplicate of itself"
        case .sameDepartment(let id, let department): "ticket \(id) is already with \(department)"
        case .inconsistentHistory(let id, let reason): "the history of ticket \(id) is inconsistent: \(reason)"
        }
    }
}
