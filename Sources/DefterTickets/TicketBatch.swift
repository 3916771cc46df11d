public import DefterDomain
public import DefterLog
public import DefterRouting
import Foundation

/// Bulk intake and commands through the same rules as `TicketService`, gathered in memory and
/// appended in large atomic batches: how a year of calls is seeded in minutes instead of hours.
/// Only for a log nobody else writes to meanwhile (it keeps ticket states and numbers itself).
public final class TicketBatch {
    let log: EventLog
    let sealer: PersonalDataSealer
    let router: Router
    public let catalog: Catalog
    private var states: [TicketID: Ticket] = [:]
    private var numbers: [Int: Int] = [:]
    private var pending: [NewEvent] = []
    private var routerPublished = false
    private var keys: [String: [UInt8]] = [:]
    /// How many events have been appended so far.
    public private(set) var appended = 0

    /// Prepares a batch over `log`; the catalog in force must already be published.
    public init(log: EventLog, vault: KeyVault, router: Router, catalog: Catalog) {
        self.log = log
        self.sealer = PersonalDataSealer(vault: vault)
        self.router = router
        self.catalog = catalog
    }

    /// Creates the keys of these citizens in one vault transaction, ahead of their calls.
    public func prepareKeys(for citizens: [CitizenRef]) throws {
        let created = try sealer.vault.keys(citizens.map(\.rawValue)) { PersonalDataSealer.randomBytes(32) }
        keys.merge(created) { _, new in new }
    }

    /// The citizen reference a caller's data gives.
    public func citizen(for data: PersonalData) throws -> CitizenRef {
        try sealer.citizen(for: data)
    }

    /// Records a call (see `TicketService.receiveCall`); its events wait for `commit()`.
    public func receiveCall(_ request: CallRequest) throws -> IntakeResult {
        let caller: PersonalData
        do { caller = try request.caller.validated() } catch { throw TicketError.invalid(error) }
        let operatorId: ActorID
        do { operatorId = try ActorID(request.operatorId) } catch { throw TicketError.invalid(error) }
        let at = request.at ?? Date()
        let citizen = try sealer.citizen(for: caller)
        let sealed = try sealer.seal(caller, for: citizen, key: keys[citizen.rawValue])
        let routing = request.informationTopic == nil ? router.classify(caller.text) : nil
        let year = Calendar.istanbul.component(.year, from: at)
        let number = try numbers[year] ?? Int(log.version(of: StreamID("ticket-numbers-\(year)")))
        numbers[year] = number + 1
        let ticket = TicketID(year: year, sequence: number + 1)
        let intake = CallIntake(
            ticket: ticket, callId: request.callId, channel: request.channel, operatorId: operatorId, at: at,
            location: Location(district: request.district, neighbourhood: request.neighbourhood), personalData: sealed,
            textLength: caller.text.count, operatorCategory: try request.category.map { try CategoryID($0) },
            informationTopic: request.informationTopic, routing: routing,
            notificationsOptOut: request.notify == false)
        let events = try TicketRules.decide(ticket, nil, .receiveCall(intake), catalog: catalog)
        // The router's version is published before its first decision, as the service does.
        if routing != nil, !routerPublished {
            if let publication = try TicketService.routerPublication(router, in: log, at: at) { pending.append(publication) }
            routerPublished = true
        }
        pending.append(
            NewEvent(
                stream: try StreamID("ticket-numbers-\(year)"), type: "TicketNumberAssigned",
                data: TicketNumberAssigned(ticket: ticket, callId: request.callId, at: at).data,
                id: try EventID("number:\(ticket)"), expectedVersion: UInt64(number), actor: operatorId.rawValue))
        pending += try TicketService.newEvents(
            events, ticket: ticket, expectedVersion: 0, idPrefix: "call:\(request.callId)", actor: operatorId)
        let state = try TicketRules.replay(events)!
        states[ticket] = state
        return IntakeResult(ticket: ticket, status: state.status, destination: state.department, routing: routing, duplicate: false)
    }

    /// Decides a command against a ticket of this batch; its events wait for `commit()`.
    @discardableResult
    public func handle(_ command: TicketCommand, on id: TicketID, actor: ActorID) throws -> Ticket {
        let state = states[id]
        let events = try TicketRules.decide(id, state, command, catalog: catalog)
        pending += try TicketService.newEvents(
            events, ticket: id, expectedVersion: UInt64(state?.version ?? 0), idPrefix: nil, actor: actor)
        var next = state
        for event in events { next = try TicketRules.evolve(next, event) }
        states[id] = next
        return next!
    }

    /// The state of a ticket this batch has seen.
    public func ticket(_ id: TicketID) -> Ticket? { states[id] }

    /// Forgets a ticket that will see no more commands (keeps memory bounded).
    public func forget(_ id: TicketID) { states[id] = nil }

    /// How many events wait for `commit()`.
    public var pendingCount: Int { pending.count }

    /// Appends everything gathered, atomically and durably.
    public func commit() async throws {
        guard !pending.isEmpty else { return }
        try await log.append(pending)
        appended += pending.count
        pending.removeAll(keepingCapacity: true)
    }
}
