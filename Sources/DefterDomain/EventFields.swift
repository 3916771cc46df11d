import Foundation

/// The members of an event's JSON data object, read by name. The log's `JSONObjectReader`
/// provides them; `TicketEventCodec.decode(type:fields:)` reads every ticket event from them by
/// hand, several times faster than `Decodable` (replay reads millions), and to the same result:
/// the same members, types and validation as the events' `Codable` conformance.
public protocol EventFields {
    /// The string under `key`; nil when absent or null; throws when it is of another type.
    func string(_ key: String) throws -> String?
    /// The integer under `key`; nil when absent or null; throws when it is not an integer.
    func integer(_ key: String) throws -> Int64?
    /// The number under `key`, integers included; nil when absent or null.
    func number(_ key: String) throws -> Double?
    /// The boolean under `key`; nil when absent or null.
    func bool(_ key: String) throws -> Bool?
    /// The object under `key`; nil when absent or null.
    func object(_ key: String) throws -> Self?
    /// The array of objects under `key`; nil when absent or null.
    func objects(_ key: String) throws -> [Self]?
    /// The array of strings under `key`; nil when absent or null.
    func strings(_ key: String) throws -> [String]?
}

/// An event's data lacks a member it needs, or holds one it cannot accept.
public struct EventFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member, with the path of objects that hold it (`decision.category`).
    public let member: String
    /// What is wrong with it.
    public let reason: String

    public var description: String { "\(member): \(reason)" }
}

/// An event's data as the hand-written decoders read it: required and optional members, with
/// the domain's types and validation.
struct EventData {
    let fields: any EventFields

    private func missing(_ key: String) -> EventFieldError { EventFieldError(member: key, reason: "is missing") }

    func string(_ key: String) throws -> String? { try fields.string(key) }

    func text(_ key: String) throws -> String {
        guard let value = try fields.string(key) else { throw missing(key) }
        return value
    }

    func int(_ key: String) throws -> Int {
        guard let value = try fields.integer(key) else { throw missing(key) }
        guard let int = Int(exactly: value) else { throw EventFieldError(member: key, reason: "\(value) is out of range") }
        return int
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let value = try fields.integer(key) else { return nil }
        guard let int = Int(exactly: value) else { throw EventFieldError(member: key, reason: "\(value) is out of range") }
        return int
    }

    func optionalFlag(_ key: String) throws -> Bool? { try fields.bool(key) }

    func double(_ key: String) throws -> Double {
        guard let value = try fields.number(key) else { throw missing(key) }
        return value
    }

    func flag(_ key: String) throws -> Bool {
        guard let value = try fields.bool(key) else { throw missing(key) }
        return value
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = try fields.strings(key) else { throw missing(key) }
        return value
    }

    func optionalDate(_ key: String) throws -> Date? {
        guard let text = try fields.string(key) else { return nil }
        guard let date = TicketEventCodec.parseTime(text) else {
            throw EventFieldError(member: key, reason: "'\(text)' is not an RFC 3339 UTC time")
        }
        return date
    }

    func date(_ key: String) throws -> Date {
        guard let date = try optionalDate(key) else { throw missing(key) }
        return date
    }

    func optionalID<ID: StringIdentifier>(_ key: String) throws -> ID? {
        guard let text = try fields.string(key) else { return nil }
        do { return try ID(text) } catch { throw EventFieldError(member: key, reason: error.reason) }
    }

    func id<ID: StringIdentifier>(_ key: String) throws -> ID {
        guard let id: ID = try optionalID(key) else { throw missing(key) }
        return id
    }

    func ticket(_ key: String) throws -> TicketID {
        let text = try text(key)
        do { return try TicketID(text) } catch { throw EventFieldError(member: key, reason: error.reason) }
    }

    func value<Value: RawRepresentable<String>>(_ key: String) throws -> Value {
        let text = try text(key)
        guard let value = Value(rawValue: text) else { throw EventFieldError(member: key, reason: "'\(text)' is not a known value") }
        return value
    }

    /// The object under `key`, read by `body`; errors inside it name their path from here.
    func nested<T>(_ key: String, _ body: (EventData) throws -> T) throws -> T {
        guard let object = try fields.object(key) else { throw missing(key) }
        do { return try body(EventData(fields: object)) } catch let error as EventFieldError {
            throw EventFieldError(member: "\(key).\(error.member)", reason: error.reason)
        } catch {
            throw EventFieldError(member: key, reason: "\(error)")
        }
    }

    /// The objects of the array under `key`, each read by `body`.
    func each<T>(_ key: String, _ body: (EventData) throws -> T) throws -> [T] {
        guard let objects = try fields.objects(key) else { throw missing(key) }
        return try objects.enumerated().map { index, object in
            do { return try body(EventData(fields: object)) } catch let error as EventFieldError {
                throw EventFieldError(member: "\(key)[\(index)].\(error.member)", reason: error.reason)
            } catch {
                throw EventFieldError(member: "\(key)[\(index)]", reason: "\(error)")
            }
        }
    }
}

extension Location {
    init(fields: EventData) throws {
        district = try fields.text("district")
        neighbourhood = try fields.string("neighbourhood")
    }
}

extension SealedPersonalData {
    init(fields: EventData) throws {
        citizen = try fields.id("citizen")
        algorithm = try fields.text("algorithm")
        sealed = try fields.text("sealed")
        self.fields = try fields.strings("fields")
    }
}

extension RoutingAlternative {
    init(fields: EventData) throws {
        department = try fields.id("department")
        category = try fields.id("category")
        confidence = try fields.double("confidence")
    }
}

extension RoutingDecision {
    init(fields: EventData) throws {
        department = try fields.id("department")
        category = try fields.id("category")
        confidence = try fields.double("confidence")
        auto = try fields.flag("auto")
        routerVersion = try fields.text("routerVersion")
        threshold = try fields.double("threshold")
        alternatives = try fields.each("alternatives") { try RoutingAlternative(fields: $0) }
        terms = try fields.strings("terms")
    }
}

extension CallReceived {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        callId = try fields.text("callId")
        channel = try fields.value("channel")
        operatorId = try fields.id("operatorId")
        at = try fields.date("at")
        location = try fields.nested("location") { try Location(fields: $0) }
        personalData = try fields.nested("personalData") { try SealedPersonalData(fields: $0) }
        textLength = try fields.int("textLength")
        operatorCategory = try fields.optionalID("operatorCategory")
        informationOnly = try fields.flag("informationOnly")
        notificationsOptOut = try fields.optionalFlag("notificationsOptOut")
    }
}

extension InformationProvided {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        topic = try fields.text("topic")
    }
}

extension TicketOpened {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        catalogVersion = try fields.int("catalogVersion")
    }
}

extension TicketRouted {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        destination = try fields.id("destination")
        category = try fields.id("category")
        standardHours = try fields.int("standardHours")
        priority = try fields.int("priority")
        dueAt = try fields.optionalDate("dueAt")
        decision = try fields.nested("decision") { try RoutingDecision(fields: $0) }
    }
}

extension RoutingOverridden {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        operatorId = try fields.id("operatorId")
        reason = try fields.text("reason")
        fromDepartment = try fields.id("fromDepartment")
        department = try fields.id("department")
        category = try fields.id("category")
        standardHours = try fields.int("standardHours")
        priority = try fields.int("priority")
        dueAt = try fields.date("dueAt")
    }
}

extension TicketReferred {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        fromDepartment = try fields.id("fromDepartment")
        toDepartment = try fields.id("toDepartment")
        category = try fields.id("category")
        reason = try fields.text("reason")
        standardHours = try fields.int("standardHours")
        priority = try fields.int("priority")
        dueAt = try fields.date("dueAt")
    }
}

extension TicketAssigned {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        assignee = try fields.text("assignee")
    }
}

extension TicketAcknowledged {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
    }
}

extension WorkStarted {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
    }
}

extension TicketResolved {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        resolutionCode = try fields.text("resolutionCode")
        note = try fields.text("note")
    }
}

extension TicketClosed {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        reason = try fields.text("reason")
    }
}

extension TicketReopened {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        reason = try fields.text("reason")
        dueAt = try fields.date("dueAt")
    }
}

extension TicketMergedAsDuplicate {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        duplicateOf = try fields.ticket("duplicateOf")
    }
}

extension TicketCancelled {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        reason = try fields.value("reason")
        note = try fields.text("note")
    }
}

extension CitizenNotified {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        channel = try fields.text("channel")
        template = try fields.text("template")
        outcome = try fields.string("outcome")
        attempts = try fields.optionalInt("attempts")
        triggerSequence = try fields.optionalInt("triggerSequence")
        triggerType = try fields.string("triggerType")
        failure = try fields.string("failure")
    }
}

extension NoteAdded {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        text = try fields.text("text")
        visibility = try fields.value("visibility")
    }
}

extension FeedbackReceived {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        satisfaction = try fields.int("satisfaction")
        fixed = try fields.optionalFlag("fixed")
    }
}

extension SLAEscalated {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        dueAt = try fields.date("dueAt")
        department = try fields.id("department")
    }
}

extension PhotoAttached {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        at = try fields.date("at")
        by = try fields.id("by")
        role = try fields.value("role")
        sha256 = try fields.text("sha256")
        mediaType = try fields.text("mediaType")
        bytes = try fields.int("bytes")
        width = try fields.fields.integer("width").map { Int(clamping: $0) }
        height = try fields.fields.integer("height").map { Int(clamping: $0) }
    }
}

extension ImportSource {
    init(fields: EventData) throws {
        system = try fields.text("system")
        id = try fields.text("id")
    }
}

extension ImportedRecordState {
    init(fields: EventData) throws {
        state = try fields.value("state")
        closedAt = try fields.optionalDate("closedAt")
        updatedAt = try fields.optionalDate("updatedAt")
        department = try fields.id("department")
        category = try fields.optionalID("category")
        standardHours = try fields.optionalInt("standardHours")
        priority = try fields.optionalInt("priority")
        dueAt = try fields.optionalDate("dueAt")
    }
}

extension EventData {
    func findings(_ key: String) throws -> [ImportFinding] {
        try strings(key).map { text in
            guard let finding = ImportFinding(rawValue: text) else {
                throw EventFieldError(member: key, reason: "'\(text)' is not a known finding")
            }
            return finding
        }
    }
}

extension TicketImported {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        source = try fields.nested("source") { try ImportSource(fields: $0) }
        at = try fields.date("at")
        record = try fields.nested("record") { try ImportedRecordState(fields: $0) }
        catalogVersion = try fields.int("catalogVersion")
        channel = try fields.value("channel")
        location = try fields.nested("location") { try Location(fields: $0) }
        personalData = try fields.nested("personalData") { try SealedPersonalData(fields: $0) }
        textLength = try fields.int("textLength")
        digest = try fields.text("digest")
        findings = try fields.findings("findings")
    }
}

extension ImportedRecordChanged {
    init(fields: EventData) throws {
        ticket = try fields.ticket("ticket")
        source = try fields.nested("source") { try ImportSource(fields: $0) }
        at = try fields.date("at")
        record = try fields.nested("record") { try ImportedRecordState(fields: $0) }
        previousDigest = try fields.text("previousDigest")
        digest = try fields.text("digest")
        findings = try fields.findings("findings")
    }
}

extension TicketEventCodec {
    /// Decodes a stored event of type `type` from its data's members; nil (without reading
    /// them) for types that are not ticket events. The result equals `decode(type:data:)`'s.
    public static func decode(type: String, fields source: any EventFields) throws -> TicketEvent? {
        let fields = EventData(fields: source)
        return switch type {
        case "CallReceived": .callReceived(try CallReceived(fields: fields))
        case "InformationProvided": .informationProvided(try InformationProvided(fields: fields))
        case "TicketOpened": .ticketOpened(try TicketOpened(fields: fields))
        case "TicketRouted": .ticketRouted(try TicketRouted(fields: fields))
        case "RoutingOverridden": .routingOverridden(try RoutingOverridden(fields: fields))
        case "TicketReferred": .ticketReferred(try TicketReferred(fields: fields))
        case "TicketAssigned": .ticketAssigned(try TicketAssigned(fields: fields))
        case "TicketAcknowledged": .ticketAcknowledged(try TicketAcknowledged(fields: fields))
        case "WorkStarted": .workStarted(try WorkStarted(fields: fields))
        case "TicketResolved": .ticketResolved(try TicketResolved(fields: fields))
        case "TicketClosed": .ticketClosed(try TicketClosed(fields: fields))
        case "TicketReopened": .ticketReopened(try TicketReopened(fields: fields))
        case "TicketMergedAsDuplicate": .ticketMergedAsDuplicate(try TicketMergedAsDuplicate(fields: fields))
        case "TicketCancelled": .ticketCancelled(try TicketCancelled(fields: fields))
        case "CitizenNotified": .citizenNotified(try CitizenNotified(fields: fields))
        case "NoteAdded": .noteAdded(try NoteAdded(fields: fields))
        case "FeedbackReceived": .feedbackReceived(try FeedbackReceived(fields: fields))
        case "SLAEscalated": .slaEscalated(try SLAEscalated(fields: fields))
        case "PhotoAttached": .photoAttached(try PhotoAttached(fields: fields))
        case "TicketImported": .ticketImported(try TicketImported(fields: fields))
        case "ImportedRecordChanged": .importedRecordChanged(try ImportedRecordChanged(fields: fields))
        default: nil
        }
    }
}
