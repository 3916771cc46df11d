/// How a notification attempt ended, as the notifier records it in `CitizenNotified`.
public struct NotificationDelivery: Sendable, Equatable {
    /// `sent` or `failed`.
    public let outcome: String
    /// How many times the notifier tried.
    public let attempts: Int
    /// The log sequence of the event the notification is about.
    public let triggerSequence: Int
    /// That event's type.
    public let triggerType: String
    /// Why it failed, without personal data; nil when sent.
    public let failure: String?

    /// Describes an attempt's end.
    public init(outcome: String, attempts: Int, triggerSequence: Int, triggerType: String, failure: String? = nil) {
        self.outcome = outcome
        self.attempts = attempts
        self.triggerSequence = triggerSequence
        self.triggerType = triggerType
        self.failure = failure
    }
}

/// What the citizen is told about: one template per kind of step.
public enum NotificationTemplate: String, Sendable, CaseIterable, Equatable {
    /// The call became a ticket.
    case opened
    /// The department says it is done (with the satisfaction question).
    case resolved
    /// Another department took it over.
    case referred
    /// It is being worked on again.
    case reopened
    /// It passed its service standard unresolved.
    case overdue

    /// The template `event` calls for; nil when the citizen is not told about such a step.
    public static func triggered(by event: TicketEvent) -> NotificationTemplate? {
        switch event {
        case .ticketOpened: .opened
        case .ticketResolved: .resolved
        case .ticketReferred: .referred
        case .ticketReopened: .reopened
        case .slaEscalated: .overdue
        default: nil
        }
    }
}

/// How a citizen can be told.
public enum NotificationChannel: String, Sendable, CaseIterable, Equatable, Codable {
    /// A text message to the caller's phone (sent through an SMS gateway's webhook).
    case sms
    /// An e-mail to the caller's address.
    case email
}

/// Whether, and how, to tell the citizen about a step.
public enum NotificationDecision: Sendable, Equatable {
    /// Tell them by this channel.
    case send(NotificationChannel)
    /// Tell them nothing, for this reason.
    case skip(NotificationSkipReason)
}

/// Why a citizen is not told.
public enum NotificationSkipReason: String, Sendable, Equatable {
    /// They asked at intake not to be told.
    case optedOut = "opted-out"
    /// Their personal data was erased: they are never contacted again.
    case erased
    /// They left neither a phone nor an e-mail.
    case noContact = "no-contact"
    /// They left a contact, but no channel for it is configured.
    case noChannel = "no-channel"
}

/// Who is told what: a pure decision from facts the notifier gathers (never the contact details
/// themselves, only whether there are any).
public enum NotificationPolicy {
    /// Decides whether to tell the citizen, and how. `preference` lists the configured channels,
    /// the first one the citizen can be reached by wins.
    public static func decide(
        optedOut: Bool, erased: Bool, hasPhone: Bool, hasEmail: Bool, preference: [NotificationChannel]
    ) -> NotificationDecision {
        if erased { return .skip(.erased) }
        if optedOut { return .skip(.optedOut) }
        guard hasPhone || hasEmail else { return .skip(.noContact) }
        for channel in preference {
            switch channel {
            case .sms where hasPhone: return .send(.sms)
            case .email where hasEmail: return .send(.email)
            default: continue
            }
        }
        return .skip(.noChannel)
    }
}

/// A message to the citizen, in Turkish, with no personal data besides what the citizen
/// already knows (their ticket number).
public struct NotificationMessage: Sendable, Equatable {
    /// The e-mail subject (SMS messages have none).
    public let subject: String
    /// The text: the whole SMS, or the e-mail's body.
    public let text: String

    /// The message for `template` about `ticket`: `trackingLink` is the ticket's public page;
    /// `feedbackLink` (for `resolved`) the satisfaction form.
    public static func render(
        _ template: NotificationTemplate, ticket: TicketID, trackingLink: String, feedbackLink: String? = nil
    ) -> NotificationMessage {
        let number = ticket.rawValue
        let track = "Başvurunuzu izlemek için: \(trackingLink)"
        switch template {
        case .opened:
            return NotificationMessage(
                subject: "Başvurunuz alındı: \(number)",
                text: "ALO 153: Başvurunuz alındı. Başvuru numaranız \(number). \(track)")
        case .resolved:
            let question =
                feedbackLink.map {
                    " Memnuniyetinizi 1-5 arasında puanlar ve sorunun gerçekten çözülüp çözülmediğini bildirir misiniz? \($0)"
                } ?? ""
            return NotificationMessage(
                subject: "Başvurunuz çözüldü: \(number)",
                text: "ALO 153: \(number) numaralı başvurunuz çözüldü.\(question) \(track)")
        case .referred:
            return NotificationMessage(
                subject: "Başvurunuz ilgili birime yönlendirildi: \(number)",
                text: "ALO 153: \(number) numaralı başvurunuz ilgili birime yönlendirildi. \(track)")
        case .reopened:
            return NotificationMessage(
                subject: "Başvurunuz yeniden açıldı: \(number)",
                text: "ALO 153: \(number) numaralı başvurunuz yeniden açıldı ve yeniden ele alınacak. \(track)")
        case .overdue:
            return NotificationMessage(
                subject: "Başvurunuz gecikti: \(number)",
                text:
                    "ALO 153: \(number) numaralı başvurunuz hizmet standardı süresini aştı. Gecikme için özür dileriz; birim amirleri bilgilendirildi. \(track)"
            )
        }
    }
}
