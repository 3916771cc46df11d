public import Foundation

/// The ticket lifecycle as two pure functions: `decide` turns a command into events or refuses
/// it, `evolve` applies an event to the state. Replay is `evolve` over the stream.
public enum TicketRules {
    /// The statuses in which each command is allowed.
    static let allowedStatuses: [String: Set<Ticket.Status>] = [
        "override routing": [.triage, .routed],
        "refer": [.routed, .acknowledged, .inProgress],
        "assign": [.routed, .acknowledged, .inProgress],
        "acknowledge": [.routed],
        "start work": [.acknowledged],
        "resolve": [.acknowledged, .inProgress],
        "close": [.resolved],
        "reopen": [.resolved, .closed],
        "merge as duplicate": [.triage, .routed, .acknowledged],
        "cancel": [.triage, .routed, .acknowledged, .inProgress],
        "notify the citizen": Set(Ticket.Status.allCases),
        "add a note": Set(Ticket.Status.allCases),
        "record feedback": [.resolved, .closed, .closedAtFirstContact],
        "escalate": [.routed, .acknowledged, .inProgress],
        // Per role (see `photoStatuses`); not listed in `allowedCommands`, as the console offers
        // photos on their own.
        "attach a photo": [.triage, .routed, .acknowledged, .inProgress, .resolved, .closed],
    ]

    /// Where each kind of photo may be attached: a citizen's while the request is open, the
    /// crew's "after" photo once it is resolved.
    static let photoStatuses: [PhotoRole: Set<Ticket.Status>] = [
        .citizen: [.triage, .routed, .acknowledged, .inProgress],
        .after: [.resolved, .closed],
    ]

    static let photoMediaTypes: Set<String> = ["image/jpeg", "image/png", "image/webp"]

    /// The order commands are listed in error messages.
    static let commandOrder = [
        "override routing", "refer", "assign", "acknowledge", "start work", "resolve", "close", "reopen",
        "merge as duplicate", "cancel", "notify the citizen", "add a note", "record feedback", "escalate",
    ]

    /// What may be done to a ticket in `status`.
    public static func allowedCommands(in status: Ticket.Status) -> [String] {
        commandOrder.filter { allowedStatuses[$0]?.contains(status) == true && $0 != "escalate" }
    }

    /// Decides what `command` does to ticket `id`, whose state is `state` (nil: it does not exist
    /// yet), under `catalog`.
    public static func decide(
        _ id: TicketID, _ state: Ticket?, _ command: TicketCommand, catalog: Catalog
    ) throws(TicketError) -> [TicketEvent] {
        if case .receiveCall(let intake) = command {
            if state != nil { throw .alreadyExists(id) }
            guard intake.ticket == id else {
                throw .invalid(DomainInputError(field: "ticket", reason: "the intake names \(intake.ticket), not \(id)"))
            }
            return try receive(intake, catalog: catalog)
        }
        guard let ticket = state else { throw .notFound(id) }
        try require(ticket, allows: command)
        switch command {
        case .receiveCall:
            preconditionFailure("handled above")
        case .overrideRouting(let department, let category, let reason, let by, let at):
            let (dept, cat) = try catalog.resolve(department: department, category: category)
            if dept.id == ticket.department && cat.id == ticket.category { throw .sameDepartment(id, dept.id) }
            return [
                .routingOverridden(
                    RoutingOverridden(
                        ticket: id, at: at, operatorId: by, reason: try text(reason, "reason", max: 500),
                        fromDepartment: ticket.department ?? .triage, department: dept.id, category: cat.id,
                        standardHours: cat.standardHours, priority: cat.priority, dueAt: due(at, cat.standardHours)))
            ]
        case .refer(let to, let category, let reason, let acting, let by, let at):
            try requireOwner(ticket, acting)
            let (dept, cat) = try catalog.resolve(department: to, category: category)
            guard dept.id != ticket.department else { throw .sameDepartment(id, dept.id) }
            return [
                .ticketReferred(
                    TicketReferred(
                        ticket: id, at: at, by: by, fromDepartment: ticket.department ?? .triage, toDepartment: dept.id,
                        category: cat.id, reason: try text(reason, "reason", max: 500), standardHours: cat.standardHours,
                        priority: cat.priority, dueAt: due(at, cat.standardHours)))
            ]
        case .assign(let assignee, let acting, let by, let at):
            try requireOwner(ticket, acting)
            return [.ticketAssigned(TicketAssigned(ticket: id, at: at, by: by, assignee: try text(assignee, "assignee", max: 100)))]
        case .acknowledge(let acting, let by, let at):
            try requireOwner(ticket, acting)
            return [.ticketAcknowledged(TicketAcknowledged(ticket: id, at: at, by: by))]
        case .startWork(let acting, let by, let at):
            try requireOwner(ticket, acting)
            return [.workStarted(WorkStarted(ticket: id, at: at, by: by))]
        case .resolve(let code, let note, let acting, let by, let at):
            try requireOwner(ticket, acting)
            return [
                .ticketResolved(
                    TicketResolved(
                        ticket: id, at: at, by: by, resolutionCode: try slug(code, "resolution code"),
                        note: try text(note, "note", max: 2000, allowEmpty: true)))
            ]
        case .close(let reason, let by, let at):
            return [.ticketClosed(TicketClosed(ticket: id, at: at, by: by, reason: try slug(reason, "reason")))]
        case .reopen(let reason, let by, let at):
            return [
                .ticketReopened(
                    TicketReopened(
                        ticket: id, at: at, by: by, reason: try text(reason, "reason", max: 500),
                        dueAt: due(at, ticket.standardHours ?? 72)))
            ]
        case .mergeAsDuplicate(let original, let by, let at):
            guard original != id else { throw .mergeIntoItself(id) }
            return [.ticketMergedAsDuplicate(TicketMergedAsDuplicate(ticket: id, at: at, by: by, duplicateOf: original))]
        case .cancel(let reason, let note, let by, let at):
            return [
                .ticketCancelled(
                    TicketCancelled(ticket: id, at: at, by: by, reason: reason, note: try text(note, "note", max: 500, allowEmpty: true)))
            ]
        case .notifyCitizen(let channel, let template, let by, let at, let delivery):
            if let outcome = delivery?.outcome, !["sent", "failed"].contains(outcome) {
                throw .invalid(DomainInputError(field: "outcome", reason: "must be sent or failed, not '\(outcome)'"))
            }
            var failure: String?
            if let given = delivery?.failure { failure = try text(given, "failure", max: 200) }
            return [
                .citizenNotified(
                    CitizenNotified(
                        ticket: id, at: at, by: by, channel: try slug(channel, "channel"), template: try slug(template, "template"),
                        outcome: delivery?.outcome, attempts: delivery?.attempts, triggerSequence: delivery?.triggerSequence,
                        triggerType: delivery?.triggerType,
                        failure: failure))
            ]
        case .addNote(let note, let visibility, let by, let at):
            return [.noteAdded(NoteAdded(ticket: id, at: at, by: by, text: try text(note, "text", max: 2000), visibility: visibility))]
        case .recordFeedback(let satisfaction, let at, let fixed):
            guard (1...5).contains(satisfaction) else {
                throw .invalid(DomainInputError(field: "satisfaction", reason: "must be 1 to 5, got \(satisfaction)"))
            }
            guard !ticket.feedbackSinceResolution else {
                throw .illegalTransition(
                    id, status: ticket.status, command: "record feedback twice",
                    allowed: allowedCommands(in: ticket.status).filter { $0 != "record feedback" })
            }
            let feedback = TicketEvent.feedbackReceived(FeedbackReceived(ticket: id, at: at, satisfaction: satisfaction, fixed: fixed))
            guard fixed == false, feedbackReopens(ticket, at: at) else { return [feedback] }
            return [
                feedback,
                .ticketReopened(
                    TicketReopened(
                        ticket: id, at: at, by: .citizen, reason: "Vatandaş geri bildirimi: sorun çözülmedi",
                        dueAt: due(at, ticket.standardHours ?? 72))),
            ]
        case .attachPhoto(let photo, let acting, let by, let at):
            guard photoStatuses[photo.role]!.contains(ticket.status) else {
                throw .illegalTransition(
                    id, status: ticket.status, command: "attach a \(photo.role.rawValue) photo",
                    allowed: allowedCommands(in: ticket.status))
            }
            if photo.role == .after { try requireOwner(ticket, acting) }
            guard photo.sha256.utf8.count == 64, photo.sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            else { throw .invalid(DomainInputError(field: "sha256", reason: "must be 64 lowercase hex digits")) }
            guard photoMediaTypes.contains(photo.mediaType) else {
                throw .invalid(
                    DomainInputError(field: "mediaType", reason: "'\(photo.mediaType)' is not image/jpeg, image/png or image/webp"))
            }
            guard (1...(10 * 1024 * 1024)).contains(photo.bytes) else {
                throw .invalid(DomainInputError(field: "bytes", reason: "a photo is 1 byte to 10 MiB, not \(photo.bytes)"))
            }
            return [
                .photoAttached(
                    PhotoAttached(
                        ticket: id, at: at, by: by, role: photo.role, sha256: photo.sha256, mediaType: photo.mediaType,
                        bytes: photo.bytes, width: photo.width, height: photo.height))
            ]
        case .escalate(let at):
            guard let dueAt = ticket.dueAt, let department = ticket.department else { throw .notYetDue(id, dueAt: .distantFuture) }
            guard at >= dueAt else { throw .notYetDue(id, dueAt: dueAt) }
            guard !ticket.escalatedDeadlines.contains(dueAt) else { throw .alreadyEscalated(id, dueAt: dueAt) }
            return [.slaEscalated(SLAEscalated(ticket: id, at: at, dueAt: dueAt, department: department))]
        }
    }

    private static func receive(_ intake: CallIntake, catalog: Catalog) throws(TicketError) -> [TicketEvent] {
        let callId = intake.callId
        guard !callId.isEmpty, callId.utf8.count <= 128, !callId.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw .invalid(DomainInputError(field: "callId", reason: "must be 1 to 128 printable characters"))
        }
        try Geography.validate(intake.location)
        if let chosen = intake.operatorCategory, catalog.category(chosen) == nil {
            throw .invalid(
                DomainInputError(field: "category", reason: "there is no category '\(chosen)' in catalog version \(catalog.version)"))
        }
        let received = TicketEvent.callReceived(
            CallReceived(
                ticket: intake.ticket, callId: callId, channel: intake.channel, operatorId: intake.operatorId, at: intake.at,
                location: intake.location, personalData: intake.personalData, textLength: intake.textLength,
                operatorCategory: intake.operatorCategory, informationOnly: intake.informationTopic != nil,
                notificationsOptOut: intake.notificationsOptOut ? true : nil))
        if let topic = intake.informationTopic {
            return [
                received, .informationProvided(InformationProvided(ticket: intake.ticket, at: intake.at, topic: try slug(topic, "topic"))),
            ]
        }
        guard let decision = intake.routing else {
            throw .invalid(DomainInputError(field: "routing", reason: "a call that opens a ticket needs the router's decision"))
        }
        // The operator's own choice wins over the router; otherwise an unsure router sends the
        // ticket to triage.
        let destination: DepartmentID
        let category: CategoryID
        if let chosen = intake.operatorCategory, var found = catalog.category(chosen) {
            // A retired category's requests go to the category that replaced it.
            if let successor = found.category.replacedBy, let replacement = catalog.category(successor) { found = replacement }
            destination = found.department.id
            category = found.category.id
        } else {
            guard let found = catalog.category(decision.category), found.department.id == decision.department else {
                throw .unknownCategory(
                    decision.category, department: decision.department,
                    known: catalog.department(decision.department)?.categories.map(\.id) ?? [])
            }
            destination = decision.auto ? found.department.id : .triage
            category = decision.category
        }
        let standard = catalog.category(category)!.category
        return [
            received,
            .ticketOpened(TicketOpened(ticket: intake.ticket, at: intake.at, catalogVersion: catalog.version)),
            .ticketRouted(
                TicketRouted(
                    ticket: intake.ticket, at: intake.at, destination: destination, category: category,
                    standardHours: standard.standardHours, priority: standard.priority,
                    dueAt: destination == .triage ? nil : due(intake.at, standard.standardHours), decision: decision)),
        ]
    }

    /// How long after a resolution the citizen's "not fixed" still reopens the ticket: 30 days.
    /// Later, the feedback is recorded and the ticket stays as it is (a new call opens a new one).
    public static let feedbackReopeningWindow: TimeInterval = 30 * 86_400

    /// Whether a "not fixed" answered at `at` reopens `ticket`: it is resolved or closed after a
    /// resolution, and the resolution is at most `feedbackReopeningWindow` old.
    public static func feedbackReopens(_ ticket: Ticket, at: Date) -> Bool {
        guard [.resolved, .closed].contains(ticket.status), let resolvedAt = ticket.resolvedAt else { return false }
        return at.timeIntervalSince(resolvedAt) <= feedbackReopeningWindow
    }

    static func due(_ at: Date, _ hours: Int) -> Date { at.addingTimeInterval(Double(hours) * 3600) }

    private static func require(_ ticket: Ticket, allows command: TicketCommand) throws(TicketError) {
        guard allowedStatuses[command.name]?.contains(ticket.status) == true else {
            throw .illegalTransition(ticket.id, status: ticket.status, command: command.name, allowed: allowedCommands(in: ticket.status))
        }
    }

    private static func requireOwner(_ ticket: Ticket, _ acting: DepartmentID?) throws(TicketError) {
        guard let acting, acting != ticket.department else { return }
        throw .wrongDepartment(ticket.id, owner: ticket.department, acting: acting)
    }

    static func text(_ value: String, _ field: String, max: Int, allowEmpty: Bool = false) throws(TicketError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard allowEmpty || !trimmed.isEmpty else { throw .invalid(DomainInputError(field: field, reason: "is required")) }
        guard trimmed.count <= max else {
            throw .invalid(DomainInputError(field: field, reason: "is \(trimmed.count) characters long; the limit is \(max)"))
        }
        return trimmed
    }

    static func slug(_ value: String, _ field: String) throws(TicketError) -> String {
        guard !value.isEmpty, value.utf8.count <= 64,
            value.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e })
        else {
            throw .invalid(
                DomainInputError(field: field, reason: "'\(value)' must be a code of lowercase letters, digits, '-', '_' or '.'"))
        }
        return value
    }

    /// Applies `event` to `state`. Throws when the event could not have been decided from that
    /// state: replaying a stream this way also checks that the ticket rules held throughout.
    public static func evolve(_ state: Ticket?, _ event: TicketEvent) throws(TicketError) -> Ticket {
        if case .callReceived(let e) = event {
            if let state { throw .inconsistentHistory(state.id, "a second CallReceived") }
            return Ticket(
                id: e.ticket, status: .received, version: 1, callId: e.callId, channel: e.channel, location: e.location,
                citizen: e.personalData.citizen, receivedAt: e.at)
        }
        if case .ticketImported(let e) = event {
            if let state { throw .inconsistentHistory(state.id, "TicketImported on a ticket that exists") }
            var ticket = Ticket(
                id: e.ticket, status: .routed, version: 1, callId: "import:\(e.source.system):\(e.source.id)", channel: e.channel,
                location: e.location, citizen: e.personalData.citizen, receivedAt: e.at)
            ticket.openedAt = e.at
            ticket.catalogVersion = e.catalogVersion
            ticket.adopt(e.record, openedAt: e.at)
            ticket.source = e.source
            ticket.sourceDigest = e.digest
            ticket.importedVersion = 1
            return ticket
        }
        guard let state else {
            throw .inconsistentHistory(eventTicket(event), "\(event.typeName) before CallReceived")
        }
        var ticket = state
        try apply(event, to: &ticket)
        return ticket
    }

    /// Applies `event` to a ticket that exists, in place: what `evolve` does, without copying the
    /// state (replay applies millions of events). On error, `ticket` is left as it was.
    public static func apply(_ event: TicketEvent, to ticket: inout Ticket) throws(TicketError) {
        if case .callReceived = event { throw .inconsistentHistory(ticket.id, "a second CallReceived") }
        if case .ticketImported = event { throw .inconsistentHistory(ticket.id, "TicketImported on a ticket that exists") }
        guard eventTicket(event) == ticket.id else {
            throw .inconsistentHistory(ticket.id, "\(event.typeName) names ticket \(eventTicket(event))")
        }
        func expect(_ statuses: Set<Ticket.Status>) throws(TicketError) {
            guard statuses.contains(ticket.status) else {
                throw .inconsistentHistory(ticket.id, "\(event.typeName) while \(ticket.status.rawValue)")
            }
        }
        switch event {
        case .callReceived: preconditionFailure("handled above")
        case .informationProvided:
            try expect([.received])
            ticket.status = .closedAtFirstContact
            ticket.closedAt = event.at
        case .ticketOpened(let e):
            try expect([.received])
            ticket.status = .open
            ticket.openedAt = e.at
            ticket.catalogVersion = e.catalogVersion
        case .ticketRouted(let e):
            try expect([.open])
            ticket.status = e.destination == .triage ? .triage : .routed
            ticket.department = e.destination
            ticket.category = e.category
            ticket.standardHours = e.standardHours
            ticket.priority = e.priority
            ticket.dueAt = e.dueAt
            ticket.routedAt = e.at
        case .routingOverridden(let e):
            try expect(allowedStatuses["override routing"]!)
            ticket.status = .routed
            ticket.department = e.department
            ticket.category = e.category
            ticket.standardHours = e.standardHours
            ticket.priority = e.priority
            ticket.dueAt = e.dueAt
            ticket.routedAt = e.at
            ticket.overrideCount += 1
        case .ticketReferred(let e):
            try expect(allowedStatuses["refer"]!)
            ticket.status = .routed
            ticket.department = e.toDepartment
            ticket.category = e.category
            ticket.standardHours = e.standardHours
            ticket.priority = e.priority
            ticket.dueAt = e.dueAt
            ticket.acknowledgedAt = nil
            ticket.startedAt = nil
            ticket.assignee = nil
            ticket.referralCount += 1
        case .ticketAssigned(let e):
            try expect(allowedStatuses["assign"]!)
            ticket.assignee = e.assignee
        case .ticketAcknowledged(let e):
            try expect(allowedStatuses["acknowledge"]!)
            ticket.status = .acknowledged
            ticket.acknowledgedAt = e.at
        case .workStarted(let e):
            try expect(allowedStatuses["start work"]!)
            ticket.status = .inProgress
            ticket.startedAt = e.at
        case .ticketResolved(let e):
            try expect(allowedStatuses["resolve"]!)
            ticket.status = .resolved
            ticket.resolvedAt = e.at
            ticket.feedbackSinceResolution = false
        case .ticketClosed(let e):
            try expect(allowedStatuses["close"]!)
            ticket.status = .closed
            ticket.closedAt = e.at
        case .ticketReopened(let e):
            try expect(allowedStatuses["reopen"]!)
            ticket.status = .routed
            ticket.reopenCount += 1
            ticket.dueAt = e.dueAt
            ticket.resolvedAt = nil
            ticket.closedAt = nil
            ticket.acknowledgedAt = nil
            ticket.startedAt = nil
            ticket.feedbackSinceResolution = false
        case .ticketMergedAsDuplicate(let e):
            try expect(allowedStatuses["merge as duplicate"]!)
            ticket.status = .merged
            ticket.duplicateOf = e.duplicateOf
            ticket.closedAt = e.at
        case .ticketCancelled(let e):
            try expect(allowedStatuses["cancel"]!)
            ticket.status = .cancelled
            ticket.closedAt = e.at
        case .citizenNotified, .noteAdded:
            break
        case .feedbackReceived(let e):
            try expect(allowedStatuses["record feedback"]!)
            ticket.satisfaction = e.satisfaction
            ticket.feedbackSinceResolution = true
        case .slaEscalated(let e):
            try expect(allowedStatuses["escalate"]!)
            ticket.escalatedDeadlines.append(e.dueAt)
        case .photoAttached(let e):
            try expect(photoStatuses[e.role]!)
        case .ticketImported:
            preconditionFailure("handled above")
        case .importedRecordChanged(let e):
            guard ticket.source == e.source, ticket.importedVersion == ticket.version, ticket.sourceDigest == e.previousDigest else {
                throw .inconsistentHistory(
                    ticket.id, "ImportedRecordChanged on a ticket that was not imported from \(e.source.system) or was worked since")
            }
            ticket.adopt(e.record, openedAt: ticket.openedAt ?? ticket.receivedAt)
            ticket.sourceDigest = e.digest
            ticket.importedVersion = ticket.version + 1
        }
        ticket.version += 1
    }

    /// Replays a stream of events from nothing.
    public static func replay(_ events: [TicketEvent]) throws(TicketError) -> Ticket? {
        var state: Ticket?
        for event in events { state = try evolve(state, event) }
        return state
    }

    /// The ticket an event is about.
    public static func ticket(of event: TicketEvent) -> TicketID { eventTicket(event) }

    static func eventTicket(_ event: TicketEvent) -> TicketID {
        switch event {
        case .callReceived(let e): e.ticket
        case .informationProvided(let e): e.ticket
        case .ticketOpened(let e): e.ticket
        case .ticketRouted(let e): e.ticket
        case .routingOverridden(let e): e.ticket
        case .ticketReferred(let e): e.ticket
        case .ticketAssigned(let e): e.ticket
        case .ticketAcknowledged(let e): e.ticket
        case .workStarted(let e): e.ticket
        case .ticketResolved(let e): e.ticket
        case .ticketClosed(let e): e.ticket
        case .ticketReopened(let e): e.ticket
        case .ticketMergedAsDuplicate(let e): e.ticket
        case .ticketCancelled(let e): e.ticket
        case .citizenNotified(let e): e.ticket
        case .noteAdded(let e): e.ticket
        case .feedbackReceived(let e): e.ticket
        case .slaEscalated(let e): e.ticket
        case .photoAttached(let e): e.ticket
        case .ticketImported(let e): e.ticket
        case .importedRecordChanged(let e): e.ticket
        }
    }
}
