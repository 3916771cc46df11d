public import DefterDomain
public import DefterImages
public import DefterLog
public import DefterRouting
public import Foundation
import Synchronization

/// What an operator submits for a call.
public struct CallRequest: Sendable, Codable, Equatable {
    /// The telephony system's call id: retrying with the same id never makes a second ticket.
    public var callId: String
    public var channel: Channel
    public var operatorId: String
    /// When the call came in; now when absent.
    public var at: Date?
    public var district: String
    public var neighbourhood: String?
    /// The caller's personal data and free text.
    public var caller: PersonalData
    /// The category the operator chose, if any (it overrides the router).
    public var category: String?
    /// Set when the caller only needed information: the topic, closed at first contact.
    public var informationTopic: String?
    /// Whether the caller wants to be told about the ticket by SMS or e-mail; `false` opts out.
    /// Absent means yes (when they left a phone or an e-mail).
    public var notify: Bool?

    /// Describes a call.
    public init(
        callId: String, channel: Channel, operatorId: String, at: Date? = nil, district: String, neighbourhood: String? = nil,
        caller: PersonalData, category: String? = nil, informationTopic: String? = nil, notify: Bool? = nil
    ) {
        self.notify = notify
        self.callId = callId
        self.channel = channel
        self.operatorId = operatorId
        self.at = at
        self.district = district
        self.neighbourhood = neighbourhood
        self.caller = caller
        self.category = category
        self.informationTopic = informationTopic
    }
}

/// A photo as a caller sent it at intake: its bytes and the type they were sent as (nil when the
/// sender named none, and the bytes are sniffed).
public struct PhotoUpload: Sendable, Equatable {
    /// The file's bytes, metadata and all.
    public let bytes: [UInt8]
    /// The type the sender claimed.
    public let claimed: ImageType?

    /// Describes an upload.
    public init(bytes: [UInt8], claimed: ImageType?) {
        self.bytes = bytes
        self.claimed = claimed
    }
}

/// What intake did with a call.
public struct IntakeResult: Sendable, Equatable {
    /// The ticket the call made (or had already made).
    public let ticket: TicketID
    /// The ticket's state now.
    public let status: Ticket.Status
    /// Where it went: a department, triage, or nil for information-only calls.
    public let destination: DepartmentID?
    /// The router's decision, when it was consulted.
    public let routing: RoutingDecision?
    /// Whether the call had been recorded before (an idempotent retry).
    public let duplicate: Bool
}

/// Refusals of the application layer that are not ticket rules.
public enum IntakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The event id was already used for a different command.
    case commandIDReused(String)
    /// The ticket numbering kept conflicting with another writer.
    case numberingContention

    public var description: String {
        switch self {
        case .commandIDReused(let id): "command id '\(id)' was already used for a different command; use a new id"
        case .numberingContention: "could not reserve a ticket number after several attempts; retry"
        }
    }
}

/// The application service of the request line: records calls, decides commands against the
/// tickets' histories, and appends the resulting events to the log. Personal data is sealed
/// before anything is written; the router runs once, and its decision is stored.
public actor TicketService {
    let log: EventLog
    let sealer: PersonalDataSealer
    /// Where attached photos live, sealed (`<data>/photos`).
    public nonisolated let photoStore: PhotoStore
    /// The router intake consults (also for suggestions while a call is being typed).
    public nonisolated let router: Router
    let clock: @Sendable () -> Date
    private var catalog: Catalog? {
        didSet { catalogSeen.withLock { $0 = catalog } }
    }
    /// The catalog in force once known, readable off the actor: intake reads it for every call.
    private nonisolated let catalogSeen = Mutex<Catalog?>(nil)
    private var routerPublished = false
    private let bundledCatalog: Catalog
    /// The next ticket number per year, reserved ahead of the log while earlier calls are still
    /// being appended; nil until read from the log, and again after a numbering conflict.
    private var nextNumbers: [Int: Int] = [:]
    /// Counts the times `nextNumbers` was read again from the log. A failed append invalidates
    /// every number reserved after it; only the first of those failures since the numbers were
    /// reserved starts over from the log, or its retry would be handed a number another retry
    /// already holds, and a busy start could run out of attempts.
    private var numberingEpoch = 0

    /// Streams the service writes besides tickets.
    public static let catalogStream = "catalog"

    /// Creates the service over a log and a vault; photos go to `photos`, by default the folder
    /// `photos` beside the vault in the data folder.
    public init(
        log: EventLog, vault: KeyVault, router: Router, bundledCatalog: Catalog, photos: URL? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.log = log
        self.sealer = PersonalDataSealer(vault: vault)
        self.photoStore = PhotoStore(
            folder: photos ?? vault.folder.deletingLastPathComponent().appendingPathComponent("photos", isDirectory: true), vault: vault)
        self.router = router
        self.bundledCatalog = bundledCatalog
        self.clock = clock
    }

    // MARK: Catalog

    /// The catalog in force: the newest `CatalogPublished`, publishing the bundled one first
    /// when the log has none or only older versions (a log started under catalog v1 moves to
    /// the bundled v2 on its next use; the tickets opened before keep what they recorded).
    public func catalogInForce() async throws -> Catalog {
        if let catalog { return catalog }
        if let published = try Self.publishedCatalog(in: log), published.version >= bundledCatalog.version {
            catalog = published
            return published
        }
        try await publish(bundledCatalog)
        return bundledCatalog
    }

    /// The newest catalog published in `log`, if any; reads only.
    public static func publishedCatalog(in log: EventLog) throws -> Catalog? {
        let stream = try StreamID(catalogStream)
        guard let latest = try log.entries(inStream: stream, fromVersion: max(1, try log.version(of: stream)), limit: 1).last else {
            return nil
        }
        return try decode(CatalogPublished.self, latest).catalog
    }

    /// Publishes a new catalog version; tickets opened from now on use it.
    public func publish(_ newCatalog: Catalog) async throws {
        let stream = try StreamID(Self.catalogStream)
        let current = try log.version(of: stream)
        let event = CatalogPublished(catalog: newCatalog, at: clock())
        do {
            try await log.append(
                NewEvent(
                    stream: stream, type: "CatalogPublished", data: try Self.json(event), id: try EventID("catalog:v\(newCatalog.version)"),
                    expectedVersion: current, actor: "system"))
        } catch AppendError.idempotencyConflict {
            throw DomainInputError(
                field: "catalog.version", reason: "version \(newCatalog.version) was already published with other content")
        }
        catalog = newCatalog
    }

    // MARK: Router

    /// Streams the service writes besides tickets: router versions.
    public static let routerStream = "routers"

    /// The `RouterPublished` for the router in use, on stream `routers`, while the log has none
    /// for its version (the event id is `router:<version>`): it goes into the same batch as the
    /// version's first decision, so every `routerVersion` a decision names can be traced to a
    /// model digest and its training data, and a refused call writes nothing. A router without a
    /// trained model (naive Bayes, trained at start-up) is not published.
    private func routerPublication() throws -> NewEvent? {
        guard !routerPublished else { return nil }
        guard let event = try Self.routerPublication(router, in: log, at: clock()) else {
            routerPublished = true
            return nil
        }
        return event
    }

    /// Appends `RouterPublished` for `router` to `log` unless it is there already (a model
    /// learned from the log is published this way before any service runs it). True when appended.
    public static func publish(_ router: Router, to log: EventLog, at: Date) async throws -> Bool {
        guard let event = try routerPublication(router, in: log, at: at) else { return false }
        try await log.append(event)
        return true
    }

    /// The `RouterPublished` event for `router`, or nil when `log` has it already or the router
    /// has no trained model.
    static func routerPublication(_ router: Router, in log: EventLog, at: Date) throws -> NewEvent? {
        guard let model = router.linearModel else { return nil }
        let id = try EventID("router:\(router.version)")
        guard try log.entry(id: id) == nil else { return nil }
        let event = RouterPublished(
            version: router.version, modelDigest: model.digest, trainingDataDigest: model.trainingDataDigest, at: at)
        return NewEvent(
            stream: try StreamID(routerStream), type: "RouterPublished", data: try json(event), id: id, actor: "system")
    }

    /// The operators' corrections of routing, for the router to learn from: per ticket, the
    /// department and category of its latest `RoutingOverridden` or `TicketReferred`, with the
    /// reasons given and the caller's text. The text is personal data: it is opened in memory
    /// through the sealer, each read recorded as `PersonalDataAccessed` by `actor` with `reason`,
    /// and is never written anywhere. Erased callers are skipped.
    public func routingCorrections(
        by actor: ActorID, reason: String
    ) async throws -> [(ticket: TicketID, department: DepartmentID, category: CategoryID, reasons: [String], text: String)] {
        var latest: [TicketID: (department: DepartmentID, category: CategoryID, reasons: [String])] = [:]
        var order: [TicketID] = []
        var next: UInt64 = 1
        while true {
            let entries = try log.entries(from: next, limit: 1000)
            guard let last = entries.last else { break }
            for entry in entries where entry.type == "RoutingOverridden" || entry.type == "TicketReferred" {
                guard let event = try Self.ticketEvent(entry) else { continue }
                let (ticket, department, category, why): (TicketID, DepartmentID, CategoryID, String)
                switch event {
                case .routingOverridden(let e): (ticket, department, category, why) = (e.ticket, e.department, e.category, e.reason)
                case .ticketReferred(let e): (ticket, department, category, why) = (e.ticket, e.toDepartment, e.category, e.reason)
                default: continue
                }
                if latest[ticket] == nil { order.append(ticket) }
                latest[ticket] = (department, category, (latest[ticket]?.reasons ?? []) + [why])
            }
            next = last.sequence + 1
        }
        var corrections: [(ticket: TicketID, department: DepartmentID, category: CategoryID, reasons: [String], text: String)] = []
        for ticket in order {
            guard let correction = latest[ticket], let data = try await readPersonalData(of: ticket, by: actor, reason: reason) else {
                continue
            }
            corrections.append((ticket, correction.department, correction.category, correction.reasons, data.text))
        }
        return corrections
    }

    /// The router versions published in `log`, oldest first; reads only.
    public static func publishedRouters(in log: EventLog) throws -> [RouterPublished] {
        let stream = try StreamID(routerStream)
        return try log.entries(inStream: stream, fromVersion: 1, limit: 10_000).map { try decode(RouterPublished.self, $0) }
    }

    // MARK: Intake

    /// Records a call: validates and seals the caller's data, asks the router, and appends the
    /// call, the ticket and its routing in one atomic batch. Retrying the same call id returns
    /// the ticket made the first time.
    ///
    /// Only numbering and the append run on the actor: validation, routing and sealing run on
    /// the caller's task, so concurrent calls overlap. A new citizen key is provisional until the
    /// log's writer stores it, just before it commits the events that name it
    /// (`EventLog.append(_:committingFirst:)`): the new keys of a group commit share one vault
    /// transaction, and a key is durable before any event that names it.
    public nonisolated func receiveCall(_ request: CallRequest) async throws -> IntakeResult {
        if let existing = try existingTicket(forCall: request.callId) { return existing }
        let catalog: Catalog
        if let known = catalogSeen.withLock({ $0 }) { catalog = known } else { catalog = try await catalogInForce() }
        let caller: PersonalData
        do { caller = try request.caller.validated() } catch { throw TicketError.invalid(error) }
        let operatorId: ActorID
        do { operatorId = try ActorID(request.operatorId) } catch { throw TicketError.invalid(error) }
        var category: CategoryID?
        if let chosen = request.category {
            do { category = try CategoryID(chosen) } catch { throw TicketError.invalid(error) }
        }
        let at = request.at ?? clock()
        let citizen = try sealer.citizen(for: caller)
        let (sealed, storeKey) = try sealer.sealProvisionally(caller, for: citizen)
        let routing = request.informationTopic == nil ? router.classify(caller.text) : nil
        return try await record(
            PreparedCall(
                request: request, catalog: catalog, operatorId: operatorId, category: category, at: at, sealed: sealed,
                storeKey: storeKey, textLength: caller.text.count, routing: routing))
    }

    /// A call validated, sealed and routed, waiting for its number.
    struct PreparedCall: Sendable {
        let request: CallRequest
        let catalog: Catalog
        let operatorId: ActorID
        let category: CategoryID?
        let at: Date
        let sealed: SealedPersonalData
        /// Stores the key `sealed` is sealed under; runs before the call's events are committed.
        let storeKey: @Sendable () throws -> Void
        let textLength: Int
        let routing: RoutingDecision?
    }

    /// Numbers a prepared call and appends it with its number, in one batch.
    private func record(_ call: PreparedCall) async throws -> IntakeResult {
        let request = call.request
        let year = Calendar.istanbul.component(.year, from: call.at)
        for _ in 0..<16 {
            let epoch = numberingEpoch
            let number = try reserveNumber(year: year)
            let ticket = TicketID(year: year, sequence: number)
            let intake = CallIntake(
                ticket: ticket, callId: request.callId, channel: request.channel, operatorId: call.operatorId, at: call.at,
                location: Location(district: request.district, neighbourhood: request.neighbourhood), personalData: call.sealed,
                textLength: call.textLength, operatorCategory: call.category, informationTopic: request.informationTopic,
                routing: call.routing, notificationsOptOut: request.notify == false)
            let events = try TicketRules.decide(ticket, nil, .receiveCall(intake), catalog: call.catalog)
            let counter = try StreamID("ticket-numbers-\(year)")
            var batch = [
                NewEvent(
                    stream: counter, type: "TicketNumberAssigned",
                    data: TicketNumberAssigned(ticket: ticket, callId: request.callId, at: call.at).data,
                    id: try EventID("number:\(ticket)"), expectedVersion: UInt64(number - 1), actor: call.operatorId.rawValue)
            ]
            batch += try Self.newEvents(
                events, ticket: ticket, expectedVersion: 0, idPrefix: "call:\(request.callId)", actor: call.operatorId)
            let publication = call.routing == nil ? nil : try routerPublication()
            if let publication { batch.insert(publication, at: 0) }
            do {
                try await log.append(batch, committingFirst: call.storeKey)
                if publication != nil { routerPublished = true }
            } catch AppendError.idempotencyConflict(let id, _) where id.rawValue.hasPrefix("router:") {
                // Another process published this version first: it is recorded, which is what counts.
                routerPublished = true
                renumber(year, reservedIn: epoch)
                continue
            } catch AppendError.versionConflict(let stream, _, _) where stream == counter {
                renumber(year, reservedIn: epoch)
                continue
            } catch AppendError.idempotencyConflict(let id, _) where id.rawValue.hasPrefix("number:") {
                // The number was taken by a call that retried after an earlier conflict: not this
                // call's id, so take a fresh number.
                renumber(year, reservedIn: epoch)
                continue
            } catch AppendError.idempotencyConflict {
                // The same call arrived twice at once; the other one won.
                if let existing = try existingTicket(forCall: request.callId) { return existing }
                throw IntakeError.commandIDReused("call:\(request.callId)")
            } catch {
                renumber(year, reservedIn: epoch)
                throw error
            }
            let state = try TicketRules.replay(events)!
            return IntakeResult(
                ticket: ticket, status: state.status, destination: state.department, routing: call.routing, duplicate: false)
        }
        throw IntakeError.numberingContention
    }

    /// After an append that held a number reserved in `epoch` failed: reads the year's next
    /// number from the log again, unless another failure already did since then.
    private func renumber(_ year: Int, reservedIn epoch: Int) {
        guard epoch == numberingEpoch else { return }
        numberingEpoch += 1
        nextNumbers[year] = nil
    }

    private func reserveNumber(year: Int) throws -> Int {
        let current = try nextNumbers[year] ?? Int(log.version(of: StreamID("ticket-numbers-\(year)")))
        nextNumbers[year] = current + 1
        return current + 1
    }

    /// The ticket a call id already made, read from the log (off the actor: reads need no turn).
    private nonisolated func existingTicket(forCall callId: String) throws -> IntakeResult? {
        guard let eventID = try? EventID("call:\(callId)"), let entry = try log.entry(id: eventID) else { return nil }
        guard let id = TicketID(streamName: entry.stream.rawValue), let state = try TicketRules.replay(try Self.events(of: id, in: log))
        else { return nil }
        let routed = try log.entries(inStream: entry.stream, limit: 3).compactMap { try Self.ticketEvent($0) }
            .compactMap { event -> RoutingDecision? in
                if case .ticketRouted(let routed) = event { return routed.decision }
                return nil
            }.first
        return IntakeResult(ticket: id, status: state.status, destination: state.department, routing: routed, duplicate: true)
    }

    // MARK: Commands

    /// Decides `command` against ticket `id` and appends its events. With a `commandId`, a retry
    /// of the same command returns the ticket as it is without deciding again.
    @discardableResult
    public func handle(_ command: TicketCommand, on id: TicketID, commandId: String? = nil, actor: ActorID) async throws -> Ticket {
        if let commandId, let eventID = try? EventID("cmd:\(commandId)"), let entry = try log.entry(id: eventID) {
            guard entry.stream.rawValue == id.streamName else { throw IntakeError.commandIDReused(commandId) }
            return try ticket(id)!
        }
        let catalog = try await catalogInForce()
        let state = try ticket(id)
        let events = try TicketRules.decide(id, state, command, catalog: catalog)
        let batch = try Self.newEvents(
            events, ticket: id, expectedVersion: UInt64(state?.version ?? 0), idPrefix: commandId.map { "cmd:\($0)" }, actor: actor)
        try await log.append(batch)
        var next = state
        for event in events { next = try TicketRules.evolve(next, event) }
        return next!
    }

    /// The ticket as its events leave it, or nil when it does not exist.
    public func ticket(_ id: TicketID) throws -> Ticket? {
        try TicketRules.replay(try events(of: id))
    }

    /// The ticket's events, in order.
    public func events(of id: TicketID) throws -> [TicketEvent] { try Self.events(of: id, in: log) }

    /// Ticket `id`'s events in `log`, in order.
    public static func events(of id: TicketID, in log: EventLog) throws -> [TicketEvent] {
        let stream = try StreamID(id.streamName)
        var events: [TicketEvent] = []
        var from: UInt64 = 1
        while true {
            let entries = try log.entries(inStream: stream, fromVersion: from, limit: 500)
            guard let last = entries.last else { break }
            events += try entries.compactMap { try Self.ticketEvent($0) }
            from = last.streamVersion + 1
        }
        return events
    }

    // MARK: Personal data

    /// Erases a citizen's personal data for good: destroys their key (so every sealed record of
    /// them becomes unreadable), deletes their photos and records `PersonalDataErased`. The log's
    /// bytes and proofs are untouched (`PhotoAttached` keeps only a photo's hash).
    public func eraseCitizen(_ citizen: CitizenRef, by: ActorID, reason: String) async throws -> Bool {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 500 else {
            throw TicketError.invalid(DomainInputError(field: "reason", reason: "an erasure needs a reason of 1 to 500 characters"))
        }
        let existed = try sealer.erase(citizen)
        try photoStore.erase(citizen)
        try await log.append(
            NewEvent(
                stream: try StreamID("citizen-\(citizen)"), type: "PersonalDataErased",
                data: try Self.json(PersonalDataErased(citizen: citizen, by: by, reason: trimmed, at: clock())), actor: by.rawValue))
        return existed
    }

    /// Opens a ticket's personal data for someone allowed to see it, recording the access first
    /// (who, when, why) as `PersonalDataAccessed` on the stream `access-<ticket>`: no read
    /// happens that the log does not show. Returns nil when the data was erased.
    public func readPersonalData(of id: TicketID, by actor: ActorID, reason: String) async throws -> PersonalData? {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 500 else {
            throw TicketError.invalid(
                DomainInputError(field: "reason", reason: "reading personal data needs a reason of 1 to 500 characters"))
        }
        guard try ticket(id) != nil else { throw TicketError.notFound(id) }
        try await log.append(
            NewEvent(
                stream: try StreamID("access-\(id)"), type: "PersonalDataAccessed",
                data: try Self.json(PersonalDataAccessed(ticket: id, by: actor, reason: trimmed, at: clock())), actor: actor.rawValue))
        return try personalData(of: id)
    }

    /// Opens a ticket's sealed personal data without recording it; nil when it was erased. For
    /// tests and tools that already account for the access.
    public func personalData(of id: TicketID) throws -> PersonalData? {
        guard let sealed = try events(of: id).first?.openingPersonalData else { throw TicketError.notFound(id) }
        return try sealer.open(sealed)
    }

    /// Whether the caller of ticket `id` called from a phone ending in `lastDigits`: how a citizen
    /// proves, without an account, that a request is theirs. The sealed data is opened in memory
    /// for the comparison only, so nothing is recorded (no person reads it). False for an unknown
    /// ticket, a caller without a phone, and an erased citizen, so that none of these can be told
    /// apart from wrong digits.
    public func callerPhone(of id: TicketID, endsWith lastDigits: String) throws -> Bool {
        guard lastDigits.utf8.count == 4, lastDigits.utf8.allSatisfy({ (48...57).contains($0) }) else { return false }
        guard let sealed = try events(of: id).first?.openingPersonalData, sealed.fields.contains("phone"),
            let phone = try sealer.open(sealed)?.phone
        else { return false }
        // Compare every digit, not up to the first difference, so timing tells nothing.
        return zip(phone.utf8.suffix(4), lastDigits.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 && phone.utf8.count >= 4
    }

    // MARK: Photos

    /// Checks `data` is the image it claims, strips its metadata, stores it sealed under the
    /// ticket's citizen's key, then records `PhotoAttached`. Refused files leave nothing behind;
    /// a stored file whose event is then refused is unreadable without the event and goes with
    /// the citizen's erasure.
    public func attachPhoto(
        _ data: [UInt8], claimed: ImageType?, role: PhotoRole, to id: TicketID, actingDepartment: DepartmentID?, by actor: ActorID
    ) async throws -> PhotoAttached {
        try await attach(try PhotoCleaner.clean(data, claimed: claimed), role: role, to: id, actingDepartment: actingDepartment, by: actor)
    }

    /// Stores an already cleaned photo sealed and records `PhotoAttached`; see `attachPhoto`.
    private func attach(_ photo: CleanPhoto, role: PhotoRole, to id: TicketID, actingDepartment: DepartmentID?, by actor: ActorID)
        async throws -> PhotoAttached
    {
        guard let sealed = try events(of: id).first?.openingPersonalData else { throw TicketError.notFound(id) }
        let facts = PhotoFacts(
            role: role, sha256: PhotoStore.sha256(photo.bytes), mediaType: photo.type.mediaType, bytes: photo.bytes.count,
            width: photo.width, height: photo.height)
        if let existing = try photos(of: id).first(where: { $0.sha256 == facts.sha256 && $0.role == role }) { return existing }
        // Decide first (cheap, no write), so a refused command stores nothing.
        _ = try TicketRules.decide(
            id, try ticket(id), .attachPhoto(facts, actingDepartment: actingDepartment, by: actor, at: clock()),
            catalog: try await catalogInForce())
        try photoStore.store(photo, for: sealed.citizen)
        try await handle(.attachPhoto(facts, actingDepartment: actingDepartment, by: actor, at: clock()), on: id, actor: actor)
        return try photos(of: id).last { $0.sha256 == facts.sha256 && $0.role == role }!
    }

    /// Records a call with the photos the caller sent (an app's or Open311's upload). Every photo
    /// is checked and stripped first, so a file that is not the image it claims refuses the whole
    /// call and writes nothing; then the call is recorded and each photo attached as the citizen's,
    /// by the intake's operator. A retried call id attaches only the photos not yet attached, so a
    /// crash between the call and its photos is mended by retrying the same request.
    public nonisolated func receiveCall(_ request: CallRequest, photos uploads: [PhotoUpload]) async throws -> IntakeResult {
        if request.informationTopic != nil && !uploads.isEmpty {
            throw TicketError.invalid(
                DomainInputError(
                    field: "photo", reason: "an information-only call opens no ticket to attach a photo to; send it without photos"))
        }
        var cleaned: [CleanPhoto] = []
        for upload in uploads { cleaned.append(try PhotoCleaner.clean(upload.bytes, claimed: upload.claimed)) }
        let result = try await receiveCall(request)
        guard !cleaned.isEmpty else { return result }
        let actor: ActorID
        do { actor = try ActorID(request.operatorId) } catch { throw TicketError.invalid(error) }
        for photo in cleaned { _ = try await attach(photo, role: .citizen, to: result.ticket, actingDepartment: nil, by: actor) }
        return result
    }

    /// The photos attached to ticket `id`, oldest first (their events, not their bytes).
    public func photos(of id: TicketID) throws -> [PhotoAttached] {
        try events(of: id).compactMap { if case .photoAttached(let photo) = $0 { photo } else { nil } }
    }

    /// The bytes of photo `sha256` of ticket `id`, and its media type; nil when the ticket has no
    /// such photo or it was erased. Records nothing: callers record the access (see `readPersonalData`).
    public func photoBytes(of id: TicketID, sha256: String, roles: Set<PhotoRole> = Set(PhotoRole.allCases)) throws -> (
        bytes: [UInt8], mediaType: String
    )? {
        let events = try events(of: id)
        guard let sealed = events.first?.openingPersonalData else { return nil }
        guard
            let photo = events.lazy.compactMap({ if case .photoAttached(let p) = $0 { p } else { nil } })
                .first(where: { $0.sha256 == sha256 && roles.contains($0.role) }),
            let bytes = try photoStore.read(sha256, of: sealed.citizen)
        else { return nil }
        return (bytes, photo.mediaType)
    }

    /// Opens photo `sha256` of ticket `id` for someone allowed to see it, recording the access
    /// first as `PersonalDataAccessed`, as `readPersonalData` does; nil when there is no such
    /// photo or it was erased.
    public func readPhoto(of id: TicketID, sha256: String, by actor: ActorID, reason: String) async throws -> (
        bytes: [UInt8], mediaType: String
    )? {
        guard try photos(of: id).contains(where: { $0.sha256 == sha256 }) else { return nil }
        let trimmed = String(reason.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))
        try await log.append(
            NewEvent(
                stream: try StreamID("access-\(id)"), type: "PersonalDataAccessed",
                data: try Self.json(PersonalDataAccessed(ticket: id, by: actor, reason: trimmed.isEmpty ? "photo" : trimmed, at: clock())),
                actor: actor.rawValue))
        return try photoBytes(of: id, sha256: sha256)
    }

    // MARK: Encoding

    static func newEvents(_ events: [TicketEvent], ticket: TicketID, expectedVersion: UInt64, idPrefix: String?, actor: ActorID) throws
        -> [NewEvent]
    {
        let stream = try StreamID(ticket.streamName)
        return try events.enumerated().map { index, event in
            NewEvent(
                stream: stream, type: event.typeName, data: try data(of: event),
                id: try idPrefix.map { try EventID(index == 0 ? $0 : "\($0):\(index)") } ?? .random(),
                expectedVersion: index == 0 ? expectedVersion : nil, actor: actor.rawValue, schemaVersion: TicketEvent.schemaVersion)
        }
    }

    /// Events become their data objects directly, as `TicketEventCodec.encode` would write them.
    static let eventEncoder = JSONValueEncoder(dates: { .string(TicketEventCodec.format($0)) })

    private static let ticketEventTypes = Set(TicketEvent.typeNames)

    /// Decodes a log entry into a ticket event; nil for entries that are not ticket events.
    public static func ticketEvent(_ entry: LogEntry) throws -> TicketEvent? {
        do {
            guard ticketEventTypes.contains(entry.type) else { return nil }
            return try TicketEventCodec.decode(type: entry.type, fields: try entry.dataReader())
        } catch {
            throw TicketError.inconsistentHistory(
                TicketID(streamName: entry.stream.rawValue) ?? TicketID(year: 0, sequence: 0),
                "entry \(entry.sequence) (\(entry.type)) does not decode: \(error)")
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValue(parsing: Array(TicketEventCodec.makeEncoder().encode(value)))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ entry: LogEntry) throws -> T {
        try TicketEventCodec.makeDecoder().decode(T.self, from: Data(entry.payload))
    }
}

/// The catalog version that takes effect, on stream `catalog`.
public struct CatalogPublished: Codable, Sendable, Equatable {
    public let catalog: Catalog
    public let at: Date
}

/// A router version came into use, on stream `routers`: the version its decisions name, the
/// SHA-256 of its model's bytes and of the data it was trained on.
public struct RouterPublished: Codable, Sendable, Equatable {
    /// The version recorded in each `RoutingDecision` (`lr-<series>-<12 hex of modelDigest>`).
    public let version: String
    /// SHA-256 (hex) of the model file (`Resources/router-model.bin`).
    public let modelDigest: String
    /// SHA-256 (hex) of the training rows (`LinearModel.trainingDataDigest`).
    public let trainingDataDigest: String
    /// When it was first used.
    public let at: Date
}

/// A ticket number was given to a call, on stream `ticket-numbers-<year>`: the stream's version
/// is the number, so numbers are consecutive and never reused.
public struct TicketNumberAssigned: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let callId: String
    public let at: Date
}

/// Someone read a ticket's personal data, on stream `access-<ticket>`.
public struct PersonalDataAccessed: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let by: ActorID
    public let reason: String
    public let at: Date
}

/// A citizen's personal data was erased, on stream `citizen-<ref>`.
public struct PersonalDataErased: Codable, Sendable, Equatable {
    public let citizen: CitizenRef
    public let by: ActorID
    public let reason: String
    public let at: Date
}

/// A stored entry's data, read member by member: how replay decodes ticket events.
extension JSONObjectReader: EventFields {}
