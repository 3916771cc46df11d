import DefterDemo
import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterRouting
import DefterTickets
import Foundation
import Testing

@testable import DefterProjections

/// A ticket service, its log and projections over real stores in a temporary folder.
func withProjections<T>(_ body: (TicketService, EventLog, KeyVault, Projections, URL) async throws -> T) async throws -> T {
    try await withTemporaryLog { log, folder in
        let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
        defer { vault.close() }
        let catalog = try BundledCatalog.load()
        let service = TicketService(log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog)
        let projections = try Projections(log: log)
        defer { projections.close() }
        return try await body(service, log, vault, projections, folder)
    }
}

let t0 = Date(timeIntervalSince1970: 1_740_816_900)  // 2025-03-01T08:15:00Z
func hours(_ h: Double) -> Date { t0.addingTimeInterval(h * 3600) }
let crew = ActorID(unchecked: "ekip-1")
let operatorID = ActorID(unchecked: "op-7")
let cleaning = DepartmentID(unchecked: "temizlik")
let roads = DepartmentID(unchecked: "fen-isleri")

func call(
    _ n: Int, text: String = "Sokağımızdaki çöp konteyneri taştı, çöpler toplanmadı", district: String = "Onikişubat",
    information: String? = nil
) -> CallRequest {
    CallRequest(
        callId: "c-\(n)", channel: .phone, operatorId: "op-7", at: hours(Double(n) * 0.1), district: district, neighbourhood: "Hayrullah",
        caller: PersonalData(phone: "0532 000 00 \(String(format: "%02d", n % 100))", text: text), informationTopic: information)
}

@Suite struct QueueProjectionTests {
    @Test("a ticket moves through its department's queue: counts change, resolution removes it, reopening brings it back")
    func lifecycle() async throws {
        try await withProjections { service, _, _, projections, _ in
            let ticket = try await service.receiveCall(call(1)).ticket
            try projections.catchUp()
            var page = try projections.queues.queue(cleaning)
            #expect(page.items.map(\.ticket) == [ticket])
            #expect(page.counts == [.routed: 1])
            try await service.handle(.acknowledge(actingDepartment: cleaning, by: crew, at: hours(1)), on: ticket, actor: crew)
            try projections.catchUp()
            #expect(try projections.queues.queue(cleaning).counts == [.acknowledged: 1])
            try await service.handle(
                .resolve(code: "done", note: "", actingDepartment: cleaning, by: crew, at: hours(2)), on: ticket, actor: crew)
            try await service.handle(.close(reason: "confirmed", by: operatorID, at: hours(3)), on: ticket, actor: operatorID)
            try projections.catchUp()
            page = try projections.queues.queue(cleaning)
            #expect(page.items.isEmpty && page.counts.isEmpty && page.matching == 0)
            try await service.handle(.reopen(reason: "Yine doldu", by: operatorID, at: hours(30)), on: ticket, actor: operatorID)
            try projections.catchUp()
            page = try projections.queues.queue(cleaning)
            #expect(page.items.map(\.ticket) == [ticket])
            #expect(page.items.first?.reopenCount == 1)
        }
    }

    @Test("order is priority, then deadline, then age; referral moves a ticket; merge and cancel remove it")
    func orderingReferralMerge() async throws {
        try await withProjections { service, _, _, projections, _ in
            let garbage = try await service.receiveCall(call(1)).ticket
            let pothole = try await service.receiveCall(call(2, text: "Caddede kocaman çukur var, asfalt çökmüş, lastiğim patladı")).ticket
            let second = try await service.receiveCall(call(3)).ticket
            try projections.catchUp()
            #expect(try projections.queues.queue(cleaning).items.map(\.ticket) == [garbage, second])
            try await service.handle(
                .refer(to: roads, category: nil, reason: "Yol işi", actingDepartment: cleaning, by: crew, at: hours(1)), on: second,
                actor: crew)
            try await service.handle(.mergeAsDuplicate(of: pothole, by: operatorID, at: hours(1)), on: garbage, actor: operatorID)
            try projections.catchUp()
            #expect(try projections.queues.queue(cleaning).items.isEmpty)
            let roadsQueue = try projections.queues.queue(roads).items
            #expect(Set(roadsQueue.map(\.ticket)) == [pothole, second])
            // Priority first: ordering follows (priority, deadline, age).
            let keys = roadsQueue.map { ($0.priority ?? 9, $0.dueAt ?? .distantFuture, $0.receivedAt) }
            #expect(
                zip(keys, keys.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && ($0.1 < $1.1 || ($0.1 == $1.1 && $0.2 <= $1.2))) })
            let filtered = try projections.queues.queue(roads, filter: QueueFilter(district: "Elbistan"))
            #expect(filtered.items.isEmpty && filtered.matching == 0)
        }
    }

    @Test("filtered reads (by status, category, district, together, paged) return exactly the matching part of the queue, in order")
    func filtersMatchTheWholeQueue() async throws {
        try await withProjections { service, _, _, projections, _ in
            // 90 open road tickets across three categories and three districts, in three statuses.
            let roadCategories = ["fen-isleri.yol-cukuru", "fen-isleri.yol-cokmesi", "fen-isleri.kaldirim"]
            let roadDistricts = ["Elbistan", "Onikişubat", "Afşin"]
            for n in 0..<90 {
                var request = call(n, text: "Yolda bozulma var", district: roadDistricts[n % 3])
                request.category = roadCategories[n / 3 % 3]
                let ticket = try await service.receiveCall(request).ticket
                let at = hours(Double(n) * 0.1 + 0.05)
                if n % 5 == 1 {
                    _ = try await service.handle(.acknowledge(actingDepartment: roads, by: crew, at: at), on: ticket, actor: crew)
                }
                if n % 5 == 2 {
                    _ = try await service.handle(.acknowledge(actingDepartment: roads, by: crew, at: at), on: ticket, actor: crew)
                    _ = try await service.handle(.startWork(actingDepartment: roads, by: crew, at: at), on: ticket, actor: crew)
                }
            }
            try projections.catchUp()
            let all = try projections.queues.queue(roads, filter: QueueFilter(limit: 100_000)).items
            #expect(all.count == 90)
            let statuses: [Ticket.Status?] = [nil, .routed, .acknowledged, .inProgress]
            let categories: [CategoryID?] = [nil] + Set(all.compactMap(\.category)).sorted().prefix(2).map { $0 }
            let districts: [String?] = [nil] + Set(all.map(\.district)).sorted().prefix(2).map { $0 }
            for status in statuses {
                for category in categories {
                    for district in districts {
                        let expected = all.filter { item in
                            (status.map { item.status == $0 } ?? true) && (category.map { item.category == $0 } ?? true)
                                && (district.map { item.district == $0 } ?? true)
                        }
                        for (offset, limit) in [(0, 50), (2, 3)] {
                            let page = try projections.queues.queue(
                                roads,
                                filter: QueueFilter(status: status, category: category, district: district, offset: offset, limit: limit))
                            let label =
                                "\(String(describing: status)) \(String(describing: category)) \(String(describing: district)) \(offset)"
                            #expect(page.matching == expected.count, "\(label)")
                            #expect(page.items == Array(expected.dropFirst(offset).prefix(limit)), "\(label)")
                        }
                    }
                }
            }
        }
    }

    @Test("an unsure ticket waits in the triage queue until an operator routes it")
    func triage() async throws {
        try await withProjections { service, _, _, projections, _ in
            let ticket = try await service.receiveCall(call(1, text: "alo merhaba bir şey soracaktım")).ticket
            try projections.catchUp()
            #expect(try projections.queues.queue(.triage).items.map(\.ticket) == [ticket])
            try await service.handle(
                .overrideRouting(department: roads, category: nil, reason: "Yol", by: operatorID, at: hours(1)), on: ticket,
                actor: operatorID)
            try projections.catchUp()
            #expect(try projections.queues.queue(.triage).items.isEmpty)
            #expect(try projections.queues.queue(roads).items.map(\.ticket) == [ticket])
        }
    }
}

@Suite struct TicketViewAndStatisticsTests {
    @Test("the ticket view shows state, duplicates and erasure, never personal data")
    func ticketView() async throws {
        try await withProjections { service, _, _, projections, folder in
            let original = try await service.receiveCall(call(1)).ticket
            let duplicate = try await service.receiveCall(call(2)).ticket
            try await service.handle(.mergeAsDuplicate(of: original, by: operatorID, at: hours(1)), on: duplicate, actor: operatorID)
            guard case .callReceived(let first)? = try await service.events(of: original).first else { throw CancellationError() }
            _ = try await service.eraseCitizen(first.personalData.citizen, by: operatorID, reason: "KVKK")
            try projections.catchUp()
            let view = try #require(try projections.tickets.ticketView(original))
            #expect(view.ticket.status == .routed)
            #expect(view.duplicates == [duplicate])
            #expect(view.personalDataErasedAt != nil)
            #expect(try projections.tickets.ticketView(duplicate)?.ticket.duplicateOf == original)
            #expect(try projections.tickets.ticketView(duplicate)?.personalDataErasedAt == nil)
            let projectionFiles = try FileManager.default.contentsOfDirectory(
                at: folder.appendingPathComponent("projections"), includingPropertiesForKeys: nil)
            for store in projectionFiles {
                let bytes = try Data(contentsOf: store.appendingPathComponent("data.mdb"))
                #expect(bytes.range(of: Data("0532".utf8)) == nil && bytes.range(of: Data("konteyneri".utf8)) == nil)
            }
        }
    }

    @Test("statistics count calls, tickets, first-contact closures, cancellations and the standard met")
    func statistics() async throws {
        try await withProjections { service, _, _, projections, _ in
            let fast = try await service.receiveCall(call(1)).ticket
            let slow = try await service.receiveCall(call(2)).ticket
            let cancelled = try await service.receiveCall(call(3)).ticket
            _ = try await service.receiveCall(call(4, information: "vergi-odeme"))
            for (ticket, resolvedAt) in [(fast, hours(5)), (slow, hours(40))] {
                try await service.handle(.acknowledge(actingDepartment: nil, by: crew, at: hours(1)), on: ticket, actor: crew)
                try await service.handle(
                    .resolve(code: "done", note: "", actingDepartment: nil, by: crew, at: resolvedAt), on: ticket, actor: crew)
            }
            try await service.handle(.cancel(reason: .abusive, note: "", by: operatorID, at: hours(1)), on: cancelled, actor: operatorID)
            try projections.catchUp()
            let report = StatisticsReport(facts: try projections.stats.facts(), from: "2025-03-01", to: "2025-03-01", by: .department)
            #expect(report.total.calls == 4)
            #expect(report.total.opened == 3)
            #expect(report.total.closedAtFirstContact == 1)
            #expect(report.total.cancelled == 1)
            #expect(report.total.resolved == 2)
            #expect(report.total.withStandard == 2)
            #expect(report.total.resolvedWithinStandard == 1, "the garbage standard is 24 hours")
            #expect(report.rows.map(\.key) == ["(information)", "temizlik"])
            #expect(report.backlog.map(\.open) == [1])
            #expect(StatisticsReport(facts: try projections.stats.facts(), from: "2026-01-01", to: nil, by: nil).total.calls == 0)
        }
    }
}

/// Seeds a small generated year.
func seed(_ log: EventLog, _ vault: KeyVault, service: TicketService, calls: Int) async throws {
    let catalog = try await service.catalogInForce()
    var seeder = DemoSeeder(
        batch: TicketBatch(log: log, vault: vault, router: try Router.bundled(catalog: catalog), catalog: catalog),
        corpus: try Router.bundledCorpus(), year: 2025, seed: 7)
    _ = try await seeder.seed(calls: calls)
}

/// Appends a `TicketResolved` for a ticket that was never received: an entry no projection can
/// apply. Returns its sequence.
@discardableResult
func appendUnapplicableEntry(to log: EventLog) async throws -> UInt64 {
    let data = try JSONValue(
        parsing: Array(#"{"ticket":"2025-000777","at":"2025-03-01T10:00:00.000Z","by":"x","resolutionCode":"done","note":""}"#.utf8))
    return try await log.append(NewEvent(stream: StreamID("ticket-2025-000777"), type: "TicketResolved", data: data))
}

@Suite struct ReplayTests {
    @Test("projections built live while events arrive equal a rebuild from zero (same digests)")
    func liveEqualsRebuild() async throws {
        try await withProjections { service, log, vault, projections, folder in
            let live = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in projections.all { group.addTask { try await worker.run() } }
                    try await group.waitForAll()
                }
            }
            try await seed(log, vault, service: service, calls: 1200)
            let head = try log.size()
            while try projections.all.map({ try $0.checkpoint() }).min()! < head { try await Task.sleep(for: .milliseconds(20)) }
            live.cancel()
            _ = try? await live.value
            let rebuilt = try Projections(log: log, root: folder.appendingPathComponent("rebuilt"))
            defer { rebuilt.close() }
            try rebuilt.catchUp()
            for (a, b) in zip(projections.all, rebuilt.all) {
                #expect(try a.digest() == b.digest(), "\(a.projection.name)")
                #expect(try a.checkpoint() == head)
            }
        }
    }

    @Test("catching up together in small batches, with one projection ahead, equals each projection rebuilt on its own")
    func sharedCatchUpEqualsOwnReplay() async throws {
        try await withProjections { service, log, vault, _, folder in
            try await seed(log, vault, service: service, calls: 300)
            let head = try log.size()
            // Small batches, so that ticket states carry over from batch to batch.
            let together = try Projections(log: log, root: folder.appendingPathComponent("together"), batchSize: 97)
            defer { together.close() }
            try together.tickets.catchUp(upTo: head / 2)
            try together.catchUp()
            for worker in together.all {
                let alone = try ProjectionWorker(projection: worker.projection, log: log, root: folder.appendingPathComponent("alone"))
                defer { alone.close() }
                try alone.catchUp()
                #expect(try worker.checkpoint() == head)
                #expect(try worker.digest() == alone.digest(), "\(worker.projection.name)")
            }
        }
    }

    @Test("catching up together while readers catch single projections up (as the API does) still equals a clean rebuild")
    func sharedCatchUpWithConcurrentReaders() async throws {
        try await withProjections { service, log, vault, _, folder in
            let together = try Projections(log: log, root: folder.appendingPathComponent("together"), batchSize: 41)
            defer { together.close() }
            let following = Task { try await together.run() }
            let readers = Task {
                while !Task.isCancelled {
                    for worker in together.all { try worker.catchUp() }
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            try await seed(log, vault, service: service, calls: 400)
            let head = try log.size()
            for _ in 0..<1000 where try together.all.map({ try $0.checkpoint() }).min()! < head {
                try await Task.sleep(for: .milliseconds(10))
            }
            readers.cancel()
            following.cancel()
            _ = try? await readers.value
            try await following.value
            let rebuilt = try Projections(log: log, root: folder.appendingPathComponent("rebuilt"))
            defer { rebuilt.close() }
            try rebuilt.catchUp()
            for (a, b) in zip(together.all, rebuilt.all) {
                #expect(try a.checkpoint() == head)
                #expect(try a.digest() == b.digest(), "\(a.projection.name)")
            }
        }
    }

    @Test("the ticket view lists what the citizen was told, and flags a notification that failed")
    func viewShowsNotificationOutcomes() async throws {
        try await withProjections { service, _, _, projections, _ in
            let ticket = try await service.receiveCall(call(1)).ticket
            try await service.handle(
                .notifyCitizen(channel: "sms", template: "received", by: operatorID, at: hours(1)), on: ticket, actor: operatorID)
            try projections.tickets.catchUp()
            let sent = try #require(try projections.tickets.ticketView(ticket))
            #expect(sent.notifications.map(\.outcome) == ["sent"])
            #expect(sent.json["lastNotificationFailed"] == .bool(false))
            let failure = NotificationDelivery(
                outcome: "failed", attempts: 5, triggerSequence: 3, triggerType: "TicketOpened", failure: "smtp 451 after RCPT TO")
            try await service.handle(
                .notifyCitizen(channel: "email", template: "opened", by: .notifier, at: hours(2), delivery: failure), on: ticket,
                actor: .notifier)
            try projections.tickets.catchUp()
            let failed = try #require(try projections.tickets.ticketView(ticket))
            #expect(failed.notifications.map(\.outcome) == ["sent", "failed"])
            #expect(failed.notifications.last?.attempts == 5 && failed.notifications.last?.failure == "smtp 451 after RCPT TO")
            #expect(failed.json["lastNotificationFailed"] == .bool(true))
        }
    }

    @Test("a batch is planned for all projections from the ticket view as it stood at the batch's start, else from the log")
    func planReadsTheViewAtTheBatchStart() async throws {
        try await withProjections { service, log, _, projections, _ in
            let ticket = try await service.receiveCall(call(1)).ticket
            let start = try log.size()
            for hour in [1.0, 2.0] {
                try await service.handle(
                    .notifyCitizen(channel: "sms", template: "received", by: operatorID, at: hours(hour)), on: ticket, actor: operatorID)
            }
            let batch = DecodedEntry.decode(try log.entries(from: start + 1, limit: 10))
            try projections.tickets.catchUp(upTo: start)
            let before = try #require(try projections.tickets.ticketView(ticket)).ticket.version
            let plan = try #require(projections.plan(batch, known: KnownStates()))
            #expect(plan.states[ticket]?.ticket.version == before + 2)
            // Another caller moves the ticket view on: its state of the ticket is no longer the
            // one before the batch (planning from it would count the notifications twice), so the
            // plan replays the ticket's stream up to the batch's start instead.
            try projections.tickets.catchUp()
            let replayed = try #require(projections.plan(batch, known: KnownStates()))
            #expect(replayed.states[ticket]?.ticket.version == before + 2)
        }
    }

    @Test("a plan passes over entries no projection acts on (ticket numbers), and keeps an erasure in its place")
    func planKeepsOnlyEntriesProjectionsActOn() async throws {
        try await withProjections { service, log, _, projections, _ in
            let first = try await service.receiveCall(call(1)).ticket
            guard case .callReceived(let received)? = try await service.events(of: first).first else {
                Issue.record("the ticket has no call")
                return
            }
            #expect(try await service.eraseCitizen(received.personalData.citizen, by: operatorID, reason: "KVKK"))
            _ = try await service.receiveCall(call(2))
            let batch = DecodedEntry.decode(try log.entries(from: 1, limit: 1000))
            #expect(batch.contains { $0.entry.type == "TicketNumberAssigned" })
            let erasure = try #require(batch.firstIndex { $0.entry.type == "PersonalDataErased" })
            let before = batch[..<erasure].filter { $0.event != nil }.count
            let after = batch[erasure...].filter { $0.event != nil }.count
            let plan = try #require(projections.plan(batch, known: KnownStates()))
            let shape = plan.steps.map { step in
                switch step {
                case .changes(let changes): "\(changes.count) ticket events"
                case .other(let entry): entry.type
                }
            }
            #expect(shape == ["\(before) ticket events", "PersonalDataErased", "\(after) ticket events"])
        }
    }

    @Test("a projection that keeps no ticket states resumes alone mid-log, replaying the states it needs from the log")
    func resumesWithoutTicketStates() async throws {
        try await withProjections { service, log, vault, projections, folder in
            try await seed(log, vault, service: service, calls: 300)
            let head = try log.size()
            for projection in [QueueProjection(), StatisticsProjection()] as [any TicketProjection] {
                #expect(!projection.storesTicketStates)
                let root = folder.appendingPathComponent("alone-\(projection.name)")
                let first = try ProjectionWorker(projection: projection, log: log, root: root)
                try first.catchUp(upTo: head / 2)
                first.close()
                // A new worker knows no ticket's state: those of the tickets the rest of the log
                // touches come from their streams.
                let resumed = try ProjectionWorker(projection: projection, log: log, root: root)
                defer { resumed.close() }
                try resumed.catchUp()
                let clean = try ProjectionWorker(
                    projection: projection, log: log, root: folder.appendingPathComponent("clean-\(projection.name)"))
                defer { clean.close() }
                try clean.catchUp()
                #expect(try resumed.checkpoint() == head)
                #expect(try resumed.digest() == clean.digest(), "\(projection.name)")
            }
            // What the log replays is what the ticket view stores, at any checkpoint.
            try projections.tickets.catchUp(upTo: head / 2)
            let tickets = try projections.tickets.ticketViews(numberedIn: 2025...2025) { _ in true }.map(\.ticket)
            #expect(tickets.count > 100)
            for ticket in tickets {
                #expect(try projections.queues.replayedState(ticket.id, through: head / 2, asOf: nil) == ticket)
            }
        }
    }

    @Test("a worker that dies mid-batch resumes from its checkpoint and ends equal to a clean rebuild")
    func crashMidBatch() async throws {
        try await withProjections { service, log, vault, projections, folder in
            try await seed(log, vault, service: service, calls: 400)
            // A projection that fails half-way through its first batch, as a killed worker would.
            let root = folder.appendingPathComponent("crashing")
            let crashing = try ProjectionWorker(
                projection: CrashingProjection(inner: QueueProjection(), failAfter: 700), log: log, root: root, batchSize: 500)
            #expect(throws: ProjectionError.self) { try crashing.catchUp() }
            #expect(try crashing.checkpoint() == 500, "the failed batch left nothing behind; the first one is kept")
            crashing.close()
            let resumed = try ProjectionWorker(projection: QueueProjection(), log: log, root: root, batchSize: 500)
            defer { resumed.close() }
            try resumed.catchUp()
            try projections.queues.catchUp()
            #expect(try resumed.digest() == projections.queues.digest())
        }
    }

    @Test("an entry a projection cannot apply stops it at that entry, naming it")
    func unapplicableEntryStops() async throws {
        try await withProjections { service, log, _, projections, _ in
            _ = try await service.receiveCall(call(1))
            let bad = try await appendUnapplicableEntry(to: log)
            _ = try await service.receiveCall(call(2))
            #expect {
                try projections.queues.catchUp()
            } throws: { error in
                guard let error = error as? ProjectionError else { return false }
                return error.sequence == bad && error.type == "TicketResolved" && error.reason.contains("before CallReceived")
            }
            #expect(try projections.queues.checkpoint() < bad)
            #expect(projections.queues.error != nil)
            // Caught up together, the projections stop at the same entry.
            #expect {
                try projections.catchUp()
            } throws: { error in
                (error as? ProjectionError)?.sequence == bad
            }
            #expect(try projections.tickets.checkpoint() < bad)
        }
    }

    @Test("a batch that outgrows the store's map grows it and applies: the store's trouble stops no projection")
    func batchOutgrowingTheMap() async throws {
        try await withProjections { service, log, _, _, folder in
            for n in 1...3 { _ = try await service.receiveCall(call(n)) }
            // Each ticket event writes 6 MiB: the first batch needs more than the store's
            // initial 16 MiB map, and the store must grow it in the middle of the projection's apply.
            let worker = try ProjectionWorker(projection: BulkyProjection(), log: log, root: folder.appendingPathComponent("bulky"))
            defer { worker.close() }
            try worker.catchUp()
            #expect(worker.error == nil)
            #expect(try worker.checkpoint() == log.size())
            let rows = try worker.store.read { try $0.count("bulk") }
            #expect(rows > 3)
        }
    }

    @Test("an entry whose data does not decode as its ticket event stops every projection there, and the service goes on")
    func undecodableEntryStopsAll() async throws {
        try await withProjections { service, log, _, projections, _ in
            let ticket = try await service.receiveCall(call(1)).ticket
            // A TicketResolved without its time, appended past the ticket service.
            let data = try JSONValue(parsing: Array(#"{"ticket":"\#(ticket)","by":"x","resolutionCode":"done","note":""}"#.utf8))
            let bad = try await log.append(NewEvent(stream: StreamID(ticket.streamName), type: "TicketResolved", data: data))
            _ = try await service.receiveCall(call(2))
            let running = Task { try await projections.run() }
            for _ in 0..<500 where projections.all.contains(where: { $0.error == nil }) { try await Task.sleep(for: .milliseconds(10)) }
            for worker in projections.all {
                let error = try #require(worker.error, "\(worker.projection.name)")
                #expect(error.sequence == bad && error.type == "TicketResolved" && error.reason.contains("at: is missing"), "\(error)")
                #expect(try worker.checkpoint() < bad)
            }
            #expect {
                try projections.catchUp()
            } throws: { error in
                (error as? ProjectionError)?.sequence == bad
            }
            // The projections service did not end with the projections: it waits for a rebuild.
            running.cancel()
            try await running.value
        }
    }

    @Test("a projection that cannot apply an entry stops there while the others go on to the head, caught up or running")
    func oneStopsOthersGoOn() async throws {
        try await withProjections { service, log, _, projections, _ in
            let ticket = try await service.receiveCall(call(1)).ticket
            try projections.catchUp()
            // Damage the statistics' fact of the ticket: its next event cannot be applied there.
            try projections.stats.store.write { try $0.put("facts", Array(ticket.rawValue.utf8), [0xFF]) }
            try await service.handle(.acknowledge(actingDepartment: nil, by: crew, at: hours(1)), on: ticket, actor: crew)
            _ = try await service.receiveCall(call(2))
            #expect {
                try projections.catchUp()
            } throws: { error in
                (error as? ProjectionError)?.projection == "stats"
            }
            let head = try log.size()
            #expect(try projections.tickets.checkpoint() == head)
            #expect(try projections.queues.checkpoint() == head)
            #expect(try projections.stats.checkpoint() < head)
            #expect(projections.tickets.error == nil && projections.queues.error == nil)

            // Running as a service, the others keep following the log.
            let running = Task { try await projections.run() }
            _ = try await service.receiveCall(call(3))
            let newHead = try log.size()
            for _ in 0..<500 where try projections.queues.checkpoint() < newHead { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try projections.tickets.checkpoint() == newHead)
            #expect(try projections.queues.checkpoint() == newHead)
            running.cancel()
            try await running.value
        }
    }

    @Test("following the log, commits within the live interval wait for the next catch-up, and a read does not wait for it")
    func liveCatchUpsAreSpaced() async throws {
        try await withTemporaryLog { log, folder in
            let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
            defer { vault.close() }
            let catalog = try BundledCatalog.load()
            let service = TicketService(log: log, vault: vault, router: try Router.bundled(catalog: catalog), bundledCatalog: catalog)
            // An interval no test outlives: what happens after the first catch-up is what it holds back.
            let projections = try Projections(log: log, liveInterval: .seconds(3600))
            defer { projections.close() }
            _ = try await service.receiveCall(call(1))
            let running = Task { try await projections.run() }
            // The first catch-up starts at once.
            let first = try log.size()
            for _ in 0..<3000 where try projections.all.map({ try $0.checkpoint() }).min()! < first {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try projections.all.map { try $0.checkpoint() } == [first, first, first])

            // Commits right after it wait for the next one.
            let ticket = try await service.receiveCall(call(2)).ticket
            _ = try await service.receiveCall(call(3))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try projections.all.map { try $0.checkpoint() } == [first, first, first])

            // A read catches its projection up itself.
            try projections.tickets.catchUp()
            #expect(try projections.tickets.checkpoint() == log.size())
            #expect(try projections.tickets.ticketView(ticket) != nil)

            // Shutting down does not wait for the interval.
            running.cancel()
            try await running.value
        }
    }

    @Test("as-of replay gives the state as it stood at that moment")
    func asOf() async throws {
        try await withProjections { service, log, _, _, folder in
            let ticket = try await service.receiveCall(call(1)).ticket
            try await service.handle(.acknowledge(actingDepartment: nil, by: crew, at: hours(1)), on: ticket, actor: crew)
            try await service.handle(
                .resolve(code: "done", note: "", actingDepartment: nil, by: crew, at: hours(5)), on: ticket, actor: crew)
            let before = try ProjectionWorker(projection: QueueProjection(), log: log, root: folder.appendingPathComponent("asof1"))
            defer { before.close() }
            try before.catchUp(asOf: hours(2))
            #expect(try before.queue(cleaning).counts == [.acknowledged: 1])
            let after = try ProjectionWorker(projection: QueueProjection(), log: log, root: folder.appendingPathComponent("asof2"))
            defer { after.close() }
            try after.catchUp(asOf: hours(6))
            #expect(try after.queue(cleaning).items.isEmpty)
        }
    }
}

/// Wraps a projection and fails after a number of ticket events, to simulate a crash mid-batch.
final class CrashingProjection: TicketProjection, @unchecked Sendable {
    // Safe: used by one worker on one thread in the test.
    let inner: QueueProjection
    let failAfter: Int
    var applied = 0
    var name: String { inner.name }
    var version: Int { inner.version }
    var databases: [String] { inner.databases }

    init(inner: QueueProjection, failAfter: Int) {
        self.inner = inner
        self.failAfter = failAfter
    }

    func apply(_ change: TicketChange, to store: StoreWriter) throws {
        applied += 1
        if applied > failAfter { throw CancellationError() }
        try inner.apply(change, to: store)
    }
}

/// Writes a 6 MiB row for every ticket event, so that a batch outgrows a store's initial map.
struct BulkyProjection: TicketProjection {
    let name = "bulky"
    let version = 1
    let databases = ["bulk"]

    func apply(_ change: TicketChange, to store: StoreWriter) throws {
        try store.put("bulk", ProjectionCodec.bigEndian(change.entry.sequence), [UInt8](repeating: 0x42, count: 6 << 20))
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(hours: Double) { lock.withLock { current = current.addingTimeInterval(hours * 3600) } }
}

@Suite struct DeadlineWorkerTests {
    @Test("a ticket past its deadline is escalated once per deadline; a resolved one never")
    func escalation() async throws {
        try await withProjections { service, log, _, projections, _ in
            let clock = ManualClock(t0)
            let worker = DeadlineWorker(service: service, queues: projections.queues, now: { clock.now })
            let late = try await service.receiveCall(call(1)).ticket
            let onTime = try await service.receiveCall(call(2)).ticket
            try await service.handle(.acknowledge(actingDepartment: nil, by: crew, at: hours(1)), on: onTime, actor: crew)
            try await service.handle(
                .resolve(code: "done", note: "", actingDepartment: nil, by: crew, at: hours(2)), on: onTime, actor: crew)
            clock.advance(hours: 23)
            #expect(try await worker.sweep().isEmpty, "nothing is due yet")
            clock.advance(hours: 2)
            #expect(try await worker.sweep() == [late])
            clock.advance(hours: 5)
            #expect(try await worker.sweep().isEmpty, "escalated once for this deadline")
            let escalations = try log.entries(inStream: StreamID(late.streamName)).filter { $0.type == "SLAEscalated" }
            #expect(escalations.count == 1)
            // Reopening sets a new deadline, which can be escalated in turn.
            try await service.handle(.acknowledge(actingDepartment: nil, by: crew, at: clock.now), on: late, actor: crew)
            try await service.handle(
                .resolve(code: "done", note: "", actingDepartment: nil, by: crew, at: clock.now), on: late, actor: crew)
            try await service.handle(.reopen(reason: "Hâlâ dolu", by: operatorID, at: clock.now), on: late, actor: operatorID)
            clock.advance(hours: 25)
            #expect(try await worker.sweep() == [late])
        }
    }

    @Test("a stopped queues projection stops no service: the deadline worker logs it and tries again")
    func stoppedQueuesDoNotStopTheWorker() async throws {
        try await withProjections { service, log, _, projections, _ in
            _ = try await service.receiveCall(call(1))
            try await appendUnapplicableEntry(to: log)
            let worker = DeadlineWorker(service: service, queues: projections.queues, now: { hours(100) }, interval: .milliseconds(10))
            await #expect(throws: ProjectionError.self) { try await worker.sweep() }
            let running = Task { try await worker.run() }
            try await Task.sleep(for: .milliseconds(100))
            running.cancel()
            try await running.value
            #expect(projections.queues.error != nil)
        }
    }
}
