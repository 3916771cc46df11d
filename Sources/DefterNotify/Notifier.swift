public import DefterDomain
public import DefterLog
public import DefterTickets
public import Foundation
public import Logging
public import ServiceLifecycle

/// Tells citizens about their tickets: reads the log from its checkpoint, finds the steps a
/// citizen is told about (`NotificationTemplate.triggered(by:)`), decides whether and how
/// (`NotificationPolicy`), unseals the contact only in memory for the send, sends, and appends
/// `CitizenNotified` with the command id `notify:<ticket>:<sequence of the step>`.
///
/// Exactly once, as far as it can be: a step whose command id is in the log is never sent again,
/// so a restart resends at most the messages that were in flight when the process died (sent,
/// but not yet recorded). Those go out again with the same `Message-ID` / `Idempotency-Key`, so
/// a receiver that keeps keys drops them; see docs/operations.md for the window that remains.
public actor Notifier {
    let service: TicketService
    let log: EventLog
    let configuration: NotifyConfiguration
    let publicURL: String
    let store: KeyValueStore
    let smtp: SMTPClient?
    let webhook: WebhookSender?
    let now: @Sendable () -> Date
    let logger: Logger
    private var scanned: UInt64
    private var pending: [UInt64: Pending] = [:]

    /// A step the citizen is to be told about, not yet recorded as told.
    struct Pending {
        let ticket: TicketID
        let template: NotificationTemplate
        let triggerType: String
        var attempts = 0
        var nextAttempt: Date
        /// Set once the message went out but its record could not be appended yet: only the
        /// record is retried, the message is never sent again.
        var sent: (NotificationChannel, NotificationDelivery)?
    }

    /// What a sweep did, for tests and logs.
    public struct SweepReport: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public var skipped = 0
        public var retrying = 0
    }

    static let triggerTypes: Set<String> = ["TicketOpened", "TicketResolved", "TicketReferred", "TicketReopened", "SLAEscalated"]

    /// Opens the notifier's checkpoint in `folder` (created when missing). On a first start it
    /// begins at the log's head: steps recorded before notifications were configured are not
    /// announced afterwards.
    public init(
        service: TicketService, log: EventLog, configuration: NotifyConfiguration, publicURL: String, folder: URL,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "defter.notify")
    ) throws {
        self.service = service
        self.log = log
        self.configuration = configuration
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.store = try KeyValueStore.open(at: folder, databases: ["state"])
        self.smtp = configuration.smtp.map { SMTPClient(settings: $0) }
        self.webhook = configuration.webhook.map { WebhookSender(settings: $0) }
        self.now = now
        self.logger = logger
        if let stored = try store.read({ try $0.get("state", Self.checkpointKey) }),
            let value = UInt64(String(decoding: stored, as: UTF8.self))
        {
            scanned = value
        } else {
            let head = try log.size()
            try store.write { try $0.put("state", Self.checkpointKey, Array(String(head).utf8)) }
            scanned = head
            logger.notice("the notifier starts at the log's head; earlier steps are not announced", metadata: ["sequence": "\(head)"])
        }
    }

    static let checkpointKey = Array("checkpoint".utf8)

    /// Closes the checkpoint store (after the service stopped).
    public nonisolated func close() { store.close() }

    /// The tracking page of `ticket`.
    public nonisolated func trackingLink(_ ticket: TicketID) -> String { "\(publicURL)/takip?no=\(ticket)" }

    /// Reads new entries, then makes every attempt that is due; returns what it did.
    @discardableResult
    public func sweep() async throws -> SweepReport {
        try scan()
        var report = SweepReport()
        let moment = now()
        for sequence in pending.keys.sorted() {
            guard let item = pending[sequence], item.nextAttempt <= moment else { continue }
            try await attempt(sequence, item, &report)
        }
        report.retrying = pending.count
        try saveCheckpoint()
        return report
    }

    /// When the next attempt is due, if any is waiting.
    public func nextDue() -> Date? { pending.values.map(\.nextAttempt).min() }

    private func scan() throws {
        while true {
            let entries = try log.entries(from: scanned + 1, limit: 500)
            guard let last = entries.last else { return }
            for entry in entries where Self.triggerTypes.contains(entry.type) {
                guard let ticket = TicketID(streamName: entry.stream.rawValue), let event = try TicketService.ticketEvent(entry),
                    let template = NotificationTemplate.triggered(by: event)
                else { continue }
                pending[entry.sequence] = Pending(ticket: ticket, template: template, triggerType: entry.type, nextAttempt: .distantPast)
            }
            scanned = last.sequence
        }
    }

    /// Everything before the oldest waiting step is done; a restart reads again from there.
    private func saveCheckpoint() throws {
        let done = (pending.keys.min().map { $0 - 1 }) ?? scanned
        try store.write { try $0.put("state", Self.checkpointKey, Array(String(done).utf8)) }
    }

    private func attempt(_ sequence: UInt64, _ item: Pending, _ report: inout SweepReport) async throws {
        let commandID = "notify:\(item.ticket):\(sequence)"
        if try log.entry(id: EventID("cmd:\(commandID)")) != nil {
            pending[sequence] = nil
            return
        }
        if let (channel, delivery) = item.sent {
            try await record(item, channel: channel, delivery: delivery, commandID: commandID)
            pending[sequence] = nil
            report.sent += 1
            return
        }
        let events = try await service.events(of: item.ticket)
        guard case .callReceived(let call)? = events.first else {
            pending[sequence] = nil
            return
        }
        // The erasure is in the log, which every process sees at once; the vault's key is gone too.
        let erasedInLog = try log.version(of: StreamID("citizen-\(call.personalData.citizen)")) > 0
        let contact = erasedInLog ? nil : try await service.personalData(of: item.ticket)
        let decision = NotificationPolicy.decide(
            optedOut: call.notificationsOptOut == true, erased: contact == nil, hasPhone: contact?.phone != nil,
            hasEmail: contact?.email != nil, preference: configuration.preference)
        guard case .send(let channel) = decision, let contact else {
            if case .skip(let reason) = decision {
                logger.debug("not telling the citizen", metadata: ["ticket": "\(item.ticket)", "reason": "\(reason.rawValue)"])
            }
            pending[sequence] = nil
            report.skipped += 1
            return
        }
        let feedbackLink =
            item.template == .resolved
            ? "\(publicURL)/geri-bildirim/\(item.ticket)?t=\(try service.feedbackTokens.token(ticket: item.ticket, resolution: sequence))"
            : nil
        let message = NotificationMessage.render(
            item.template, ticket: item.ticket, trackingLink: trackingLink(item.ticket), feedbackLink: feedbackLink)
        var next = item
        next.attempts += 1
        if let error = await deliver(message, by: channel, to: contact, commandID: commandID, ticket: item.ticket, template: item.template)
        {
            let policy = configuration.retry ?? .standard
            if error.permanent || next.attempts >= policy.attempts {
                let delivery = NotificationDelivery(
                    outcome: "failed", attempts: next.attempts, triggerSequence: Int(sequence), triggerType: item.triggerType,
                    failure: String(error.reason.prefix(200)))
                try await record(item, channel: channel, delivery: delivery, commandID: commandID)
                logger.warning(
                    "could not tell the citizen; recorded as failed",
                    metadata: ["ticket": "\(item.ticket)", "template": "\(item.template.rawValue)", "attempts": "\(next.attempts)"])
                pending[sequence] = nil
                report.failed += 1
            } else {
                next.nextAttempt = now().addingTimeInterval(policy.delay(after: next.attempts))
                pending[sequence] = next
                logger.info(
                    "sending failed; will retry",
                    metadata: ["ticket": "\(item.ticket)", "attempt": "\(next.attempts)", "error": "\(error.reason)"])
            }
            return
        }
        let delivery = NotificationDelivery(
            outcome: "sent", attempts: next.attempts, triggerSequence: Int(sequence), triggerType: item.triggerType)
        next.sent = (channel, delivery)
        pending[sequence] = next
        try await record(item, channel: channel, delivery: delivery, commandID: commandID)
        pending[sequence] = nil
        report.sent += 1
    }

    /// Sends `message`; nil when the receiver accepted it, else why not. The contact details
    /// live only in this call's arguments.
    private func deliver(
        _ message: NotificationMessage, by channel: NotificationChannel, to contact: PersonalData, commandID: String, ticket: TicketID,
        template: NotificationTemplate
    ) async -> DeliveryError? {
        do {
            switch channel {
            case .email:
                guard let smtp, let settings = configuration.smtp, let address = contact.email else {
                    return DeliveryError(permanent: true, reason: "email: not configured")
                }
                try await smtp.send(
                    MailMessage(
                        from: settings.from, fromName: settings.fromName, to: address, subject: message.subject, text: message.text,
                        id: commandID, date: now()))
            case .sms:
                guard let webhook, let phone = contact.phone else { return DeliveryError(permanent: true, reason: "sms: not configured") }
                try await webhook.send(
                    [
                        "to": phone, "text": message.text, "ticket": ticket.rawValue, "link": trackingLink(ticket),
                        "template": template.rawValue, "id": commandID,
                    ], idempotencyKey: commandID)
            }
            return nil
        } catch let error as DeliveryError {
            return error
        } catch {
            return DeliveryError(permanent: false, reason: "\(channel.rawValue): \(type(of: error))")
        }
    }

    private func record(_ item: Pending, channel: NotificationChannel, delivery: NotificationDelivery, commandID: String) async throws {
        for remaining in (0..<3).reversed() {
            do {
                try await service.handle(
                    .notifyCitizen(
                        channel: channel.rawValue, template: item.template.rawValue, by: .notifier, at: now(), delivery: delivery),
                    on: item.ticket, commandId: commandID, actor: .notifier)
                return
            } catch AppendError.versionConflict where remaining > 0 {
                // Staff changed the ticket at the same moment: decide again on its new version.
                continue
            }
        }
    }

    /// Sweeps, then sleeps until the next poll or the next retry, until shut down. A sweep that
    /// fails (the disk is full, the log is closed) is logged once for as long as the cause lasts
    /// and tried again: it never stops the service.
    public func run() async throws {
        let poll = configuration.pollSeconds ?? 2
        do {
            try await cancelWhenGracefulShutdown {
                var failing: String?
                while !Task.isCancelled {
                    do {
                        try await self.sweep()
                        if failing != nil { self.logger.notice("notifications work again") }
                        failing = nil
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        if failing != "\(error)" {
                            self.logger.error("cannot send notifications; trying again", metadata: ["error": "\(error)"])
                        }
                        failing = "\(error)"
                    }
                    var wait = poll
                    if let due = await self.nextDue() { wait = max(0.01, min(wait, due.timeIntervalSince(self.now()))) }
                    try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                }
            }
        } catch is CancellationError {
            // Shut down while sleeping: a normal end.
        }
    }
}

/// The notifier as a long-running service of `defter serve`, stopping at graceful shutdown.
extension Notifier: Service {}
