public import Foundation

/// How a request reached the line.
public enum Channel: String, Codable, Sendable, CaseIterable {
    case phone
    case web
    case mobileApp = "mobile-app"
    case whatsapp
    case email
    case walkIn = "walk-in"
}

/// Where the request is about: the public part (district, neighbourhood). The exact address and
/// coordinates are personal data and travel sealed.
public struct Location: Codable, Sendable, Equatable {
    /// One of the city's districts (ilçe), e.g. `Onikişubat`.
    public let district: String
    /// The neighbourhood (mahalle), when known.
    public let neighbourhood: String?

    /// Creates a public location.
    public init(district: String, neighbourhood: String?) {
        self.district = district
        self.neighbourhood = neighbourhood
    }
}

/// A citizen's personal data sealed with AES-256-GCM under the citizen's own key, which lives in
/// a separate key store. Erasing the key makes the ciphertext unreadable forever, while the log's
/// bytes, and so its proofs, stay unchanged.
public struct SealedPersonalData: Codable, Sendable, Equatable {
    /// The citizen, which is also the id of the key.
    public let citizen: CitizenRef
    /// Always `AES-256-GCM`.
    public let algorithm: String
    /// Base64 of nonce (12 bytes) || ciphertext || tag (16 bytes).
    public let sealed: String
    /// Which fields the sealed object holds (names only, never values).
    public let fields: [String]

    /// Wraps sealed bytes.
    public init(citizen: CitizenRef, sealed: String, fields: [String]) {
        self.citizen = citizen
        self.algorithm = "AES-256-GCM"
        self.sealed = sealed
        self.fields = fields
    }
}

/// One of the router's alternatives.
public struct RoutingAlternative: Codable, Sendable, Equatable {
    /// The department proposed.
    public let department: DepartmentID
    /// The category proposed.
    public let category: CategoryID
    /// The router's confidence in it, 0 to 1.
    public let confidence: Double

    /// Creates an alternative.
    public init(department: DepartmentID, category: CategoryID, confidence: Double) {
        self.department = department
        self.category = category
        self.confidence = confidence
    }
}

/// What the router decided and why, recorded so that replay never runs the router again.
public struct RoutingDecision: Codable, Sendable, Equatable {
    /// The department proposed.
    public let department: DepartmentID
    /// The category proposed.
    public let category: CategoryID
    /// The confidence in the proposal, 0 to 1.
    public let confidence: Double
    /// Whether the proposal was confident enough to route without a human.
    public let auto: Bool
    /// The router's version (its lexicon and model).
    public let routerVersion: String
    /// The confidence threshold in force.
    public let threshold: Double
    /// The next best proposals.
    public let alternatives: [RoutingAlternative]
    /// The terms that decided it (lexicon stems and the model's strongest features).
    public let terms: [String]

    /// Creates a routing decision.
    public init(
        department: DepartmentID, category: CategoryID, confidence: Double, auto: Bool, routerVersion: String,
        threshold: Double, alternatives: [RoutingAlternative], terms: [String]
    ) {
        self.department = department
        self.category = category
        self.confidence = confidence
        self.auto = auto
        self.routerVersion = routerVersion
        self.threshold = threshold
        self.alternatives = alternatives
        self.terms = terms
    }
}

/// Why a ticket was cancelled.
public enum CancellationReason: String, Codable, Sendable, CaseIterable {
    case invalid
    case abusive
    case test
    case withdrawn
}

// MARK: - Event payloads

/// A call (or message) reached the line.
public struct CallReceived: Codable, Sendable, Equatable {
    public let ticket: TicketID
    /// The telephony system's call id (the intake's idempotency key).
    public let callId: String
    public let channel: Channel
    public let operatorId: ActorID
    public let at: Date
    public let location: Location
    /// The caller's personal data and the free text, sealed.
    public let personalData: SealedPersonalData
    /// The free text's length in characters (the text itself is sealed).
    public let textLength: Int
    /// The category the operator chose, if any.
    public let operatorCategory: CategoryID?
    /// Whether the caller only needed information.
    public let informationOnly: Bool
    /// True when the caller asked at intake not to be told about the ticket by SMS or e-mail;
    /// absent (nil) otherwise, and in logs written before intake asked.
    public let notificationsOptOut: Bool?
}

/// A call that only needed information was answered and closed at first contact.
public struct InformationProvided: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let topic: String
}

/// The call became a ticket.
public struct TicketOpened: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    /// The catalog version in force when the ticket opened.
    public let catalogVersion: Int
}

/// The ticket was sent to a department (or to triage) with the router's decision.
public struct TicketRouted: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    /// Where the ticket went: a department, or `triage` when the router was not sure.
    public let destination: DepartmentID
    /// The category of the destination (the router's proposal).
    public let category: CategoryID
    /// The service standard in force for that category, in hours.
    public let standardHours: Int
    public let priority: Int
    /// When the service standard expires; nil for triage.
    public let dueAt: Date?
    public let decision: RoutingDecision
}

/// An operator replaced the router's choice.
public struct RoutingOverridden: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let operatorId: ActorID
    public let reason: String
    public let fromDepartment: DepartmentID
    public let department: DepartmentID
    public let category: CategoryID
    public let standardHours: Int
    public let priority: Int
    public let dueAt: Date
}

/// A department passed the ticket to another (the petition law requires forwarding a
/// misdirected request and telling the citizen).
public struct TicketReferred: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let fromDepartment: DepartmentID
    public let toDepartment: DepartmentID
    public let category: CategoryID
    public let reason: String
    public let standardHours: Int
    public let priority: Int
    public let dueAt: Date
}

/// A team or staff member took the ticket.
public struct TicketAssigned: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let assignee: String
}

/// The department saw the ticket.
public struct TicketAcknowledged: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
}

/// Work began on site.
public struct WorkStarted: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
}

/// The department says the request is done.
public struct TicketResolved: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let resolutionCode: String
    public let note: String
}

/// The ticket was closed after resolution.
public struct TicketClosed: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let reason: String
}

/// The citizen says it is not fixed.
public struct TicketReopened: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let reason: String
    /// The new deadline, counted again from the reopening.
    public let dueAt: Date
}

/// The ticket repeats another and follows it from now on.
public struct TicketMergedAsDuplicate: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let duplicateOf: TicketID
}

/// The call was invalid or abusive.
public struct TicketCancelled: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let reason: CancellationReason
    public let note: String
}

/// The citizen was told something (by SMS, call, e-mail), or the notifier tried and gave up.
/// Never holds the message or a contact detail, only what was sent, how, and with what outcome.
public struct CitizenNotified: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let channel: String
    /// The message template's code (never the message with personal data).
    public let template: String
    /// `sent`, or `failed` when the notifier gave up (nil in events recorded by staff, and in
    /// logs written before the notifier: those mean sent).
    public let outcome: String?
    /// How many times the notifier tried (nil when recorded by staff).
    public let attempts: Int?
    /// The log sequence of the event the notification is about (nil when recorded by staff).
    public let triggerSequence: Int?
    /// That event's type, e.g. `TicketResolved`.
    public let triggerType: String?
    /// Why it failed, without personal data (e.g. `smtp 550 after RCPT`); only when failed.
    public let failure: String?

    /// Creates a notification record.
    public init(
        ticket: TicketID, at: Date, by: ActorID, channel: String, template: String, outcome: String? = nil, attempts: Int? = nil,
        triggerSequence: Int? = nil, triggerType: String? = nil, failure: String? = nil
    ) {
        self.ticket = ticket
        self.at = at
        self.by = by
        self.channel = channel
        self.template = template
        self.outcome = outcome
        self.attempts = attempts
        self.triggerSequence = triggerSequence
        self.triggerType = triggerType
        self.failure = failure
    }

    /// Whether the message went out (staff records and old events without an outcome did).
    public var delivered: Bool { outcome == nil || outcome == "sent" }
}

/// Who may read a note on a ticket.
public enum NoteVisibility: String, Codable, Sendable, Equatable, CaseIterable {
    /// Staff only.
    case `internal`
    /// Also the citizen: on the request's public page and as Open311 `status_notes`.
    case `public`
}

/// Staff wrote a note on the ticket, for staff only or for the citizen too.
public struct NoteAdded: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    /// The note, as written (shown as text, never as markup).
    public let text: String
    public let visibility: NoteVisibility
}

/// The citizen rated the service.
public struct FeedbackReceived: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let satisfaction: Int
    /// The answer to "was it really fixed?"; nil when not asked or not answered (and in logs
    /// written before the question existed).
    public let fixed: Bool?

    /// Creates a feedback record.
    public init(ticket: TicketID, at: Date, satisfaction: Int, fixed: Bool? = nil) {
        self.ticket = ticket
        self.at = at
        self.satisfaction = satisfaction
        self.fixed = fixed
    }
}

/// The ticket passed its service standard unresolved.
public struct SLAEscalated: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    /// The deadline that passed.
    public let dueAt: Date
    public let department: DepartmentID
}

/// Who took a photo attached to a ticket, which decides who may see it.
public enum PhotoRole: String, Codable, Sendable, Equatable, CaseIterable {
    /// Sent by the citizen with the request: only staff see it.
    case citizen
    /// Taken by the crew at resolution, showing the site: also shown on the public pages.
    case after
}

/// A photo was attached to the ticket. The bytes live sealed in the photo store, not in the log;
/// the event proves which photo it was (the SHA-256 of the stripped image, before sealing).
public struct PhotoAttached: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let at: Date
    public let by: ActorID
    public let role: PhotoRole
    /// Lowercase hex SHA-256 of the image as stored (metadata stripped), before sealing.
    public let sha256: String
    /// `image/jpeg`, `image/png` or `image/webp`.
    public let mediaType: String
    /// The stored image's size in bytes.
    public let bytes: Int
    public let width: Int?
    public let height: Int?
}

/// A ticket's event: one step of its lifecycle. Indirect: its cases are large values, and replay
/// hands each event through several hands; a boxed case is copied as one reference.
public indirect enum TicketEvent: Sendable, Equatable {
    case callReceived(CallReceived)
    case informationProvided(InformationProvided)
    case ticketOpened(TicketOpened)
    case ticketRouted(TicketRouted)
    case routingOverridden(RoutingOverridden)
    case ticketReferred(TicketReferred)
    case ticketAssigned(TicketAssigned)
    case ticketAcknowledged(TicketAcknowledged)
    case workStarted(WorkStarted)
    case ticketResolved(TicketResolved)
    case ticketClosed(TicketClosed)
    case ticketReopened(TicketReopened)
    case ticketMergedAsDuplicate(TicketMergedAsDuplicate)
    case ticketCancelled(TicketCancelled)
    case citizenNotified(CitizenNotified)
    case noteAdded(NoteAdded)
    case feedbackReceived(FeedbackReceived)
    case slaEscalated(SLAEscalated)
    case photoAttached(PhotoAttached)
    case ticketImported(TicketImported)
    case importedRecordChanged(ImportedRecordChanged)

    /// The event's own value, which encodes as its data object.
    public var payload: any Encodable & Sendable {
        switch self {
        case .callReceived(let e): e
        case .informationProvided(let e): e
        case .ticketOpened(let e): e
        case .ticketRouted(let e): e
        case .routingOverridden(let e): e
        case .ticketReferred(let e): e
        case .ticketAssigned(let e): e
        case .ticketAcknowledged(let e): e
        case .workStarted(let e): e
        case .ticketResolved(let e): e
        case .ticketClosed(let e): e
        case .ticketReopened(let e): e
        case .ticketMergedAsDuplicate(let e): e
        case .ticketCancelled(let e): e
        case .citizenNotified(let e): e
        case .noteAdded(let e): e
        case .feedbackReceived(let e): e
        case .slaEscalated(let e): e
        case .photoAttached(let e): e
        case .ticketImported(let e): e
        case .importedRecordChanged(let e): e
        }
    }

    /// The event's stable type name, as stored in the log.
    public var typeName: String {
        switch self {
        case .callReceived: "CallReceived"
        case .informationProvided: "InformationProvided"
        case .ticketOpened: "TicketOpened"
        case .ticketRouted: "TicketRouted"
        case .routingOverridden: "RoutingOverridden"
        case .ticketReferred: "TicketReferred"
        case .ticketAssigned: "TicketAssigned"
        case .ticketAcknowledged: "TicketAcknowledged"
        case .workStarted: "WorkStarted"
        case .ticketResolved: "TicketResolved"
        case .ticketClosed: "TicketClosed"
        case .ticketReopened: "TicketReopened"
        case .ticketMergedAsDuplicate: "TicketMergedAsDuplicate"
        case .ticketCancelled: "TicketCancelled"
        case .citizenNotified: "CitizenNotified"
        case .noteAdded: "NoteAdded"
        case .feedbackReceived: "FeedbackReceived"
        case .slaEscalated: "SLAEscalated"
        case .photoAttached: "PhotoAttached"
        case .ticketImported: "TicketImported"
        case .importedRecordChanged: "ImportedRecordChanged"
        }
    }

    /// Every ticket event type name.
    public static let typeNames = [
        "CallReceived", "InformationProvided", "TicketOpened", "TicketRouted", "RoutingOverridden", "TicketReferred",
        "TicketAssigned", "TicketAcknowledged", "WorkStarted", "TicketResolved", "TicketClosed", "TicketReopened",
        "TicketMergedAsDuplicate", "TicketCancelled", "CitizenNotified", "FeedbackReceived", "SLAEscalated",
        "NoteAdded", "PhotoAttached", "TicketImported", "ImportedRecordChanged",
    ]

    /// The schema version of every ticket event type today.
    public static let schemaVersion = 1

    /// The caller's sealed personal data, carried by the event that begins a ticket (a call, or a
    /// record imported from the system used before); nil for every other event.
    public var openingPersonalData: SealedPersonalData? {
        switch self {
        case .callReceived(let e): e.personalData
        case .ticketImported(let e): e.personalData
        default: nil
        }
    }

    /// When the step happened (domain time; the log's `recordedAt` is when it was recorded).
    public var at: Date {
        switch self {
        case .callReceived(let e): e.at
        case .informationProvided(let e): e.at
        case .ticketOpened(let e): e.at
        case .ticketRouted(let e): e.at
        case .routingOverridden(let e): e.at
        case .ticketReferred(let e): e.at
        case .ticketAssigned(let e): e.at
        case .ticketAcknowledged(let e): e.at
        case .workStarted(let e): e.at
        case .ticketResolved(let e): e.at
        case .ticketClosed(let e): e.at
        case .ticketReopened(let e): e.at
        case .ticketMergedAsDuplicate(let e): e.at
        case .ticketCancelled(let e): e.at
        case .citizenNotified(let e): e.at
        case .noteAdded(let e): e.at
        case .feedbackReceived(let e): e.at
        case .slaEscalated(let e): e.at
        case .photoAttached(let e): e.at
        case .ticketImported(let e): e.at
        case .importedRecordChanged(let e): e.at
        }
    }
}
