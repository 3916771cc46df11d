import DefterDomain
import DefterLog
public import DefterRouting
public import DefterTickets
import Foundation

/// SplitMix64: a small, fast generator; the same seed gives the same year.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A log-normal draw with the given median and spread (sigma of the underlying normal).
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return median * exp(sigma * normal)
    }

    mutating func pick<T>(_ weighted: [(T, Double)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var target = unit() * total
        for (value, weight) in weighted {
            target -= weight
            if target <= 0 { return value }
        }
        return weighted.last!.0
    }
}

/// What a seeding run did.
public struct SeedSummary: Sendable {
    public let calls: Int
    public let tickets: Int
    public let informationOnly: Int
    public let events: Int
    public let seconds: Double
}

/// Generates a city's year of calls through the real intake path: the caller's text (drawn from
/// the labelled corpus) goes through the router, every step through the ticket rules. Calls are
/// spread over hours, weekdays and seasons (snow in winter, spraying and parks in summer) and
/// districts by population; tickets get acknowledged, worked and resolved with realistic delays
/// and a tail of late ones, with reopenings, referrals, duplicates, cancellations and
/// information-only calls. The same seed gives the same log.
public struct DemoSeeder {
    let batch: TicketBatch
    let corpus: [DepartmentID: [String]]
    var random: SeededRandom
    let year: Int

    static let districts: [(String, Double)] = [
        ("Onikişubat", 26), ("Dulkadiroğlu", 24), ("Elbistan", 14), ("Afşin", 8), ("Türkoğlu", 5), ("Pazarcık", 5),
        ("Göksun", 5), ("Andırın", 3.5), ("Çağlayancerit", 3.5), ("Ekinözü", 2.5), ("Nurhak", 2),
    ]
    static let neighbourhoods = [
        "Hayrullah", "Yörükselim", "Bağlarbaşı", "Şeyhadil", "Doğukent", "Şazibey", "Yenişehir", "Kurtuluş", "Cumhuriyet",
        "Mimar Sinan", "Karacasu", "Haydarbey",
    ]
    static let channels: [(Channel, Double)] = [(.phone, 70), (.whatsapp, 10), (.web, 8), (.mobileApp, 7), (.email, 3), (.walkIn, 2)]
    static let informationTopics = ["vergi-odeme", "su-faturasi", "otobus-saatleri", "nobetci-eczane", "imar-durumu", "cenaze-hizmeti"]
    static let operators = (1...40).map { "op-\($0)" }

    /// A department's weight in a month (1-12): seasonal work follows the seasons.
    static func weight(_ department: String, month: Int) -> Double {
        let winter = [12, 1, 2, 3].contains(month)
        let summer = [5, 6, 7, 8, 9].contains(month)
        switch department {
        case "temizlik": return 20
        case "fen-isleri": return summer ? 16 : 12
        case "su-kanalizasyon": return summer ? 15 : 13
        case "ulasim": return 10
        case "park-bahceler": return summer ? 11 : 4
        case "zabita": return 7
        case "cevre-koruma": return summer ? 12 : 4
        case "veteriner": return 6
        case "sosyal-hizmetler": return winter ? 8 : 5
        case "kar-mucadelesi": return winter ? 16 : 0.1
        case "itfaiye": return summer ? 5 : 3
        default: return 1
        }
    }

    /// Prepares a seeder over a batch; `seed` fixes everything.
    public init(batch: TicketBatch, corpus: RoutingCorpus, year: Int, seed: UInt64) {
        self.batch = batch
        var texts: [DepartmentID: [String]] = [:]
        for example in corpus.examples { texts[example.department, default: []].append(example.text) }
        self.corpus = texts
        self.random = SeededRandom(state: seed)
        self.year = year
    }

    /// A follow-up step scheduled for a ticket.
    struct Step {
        let at: Date
        let ticket: TicketID
        let order: Int
        let command: (Date) -> TicketCommand?
    }

    /// Seeds `calls` calls; `progress` is told (done, total) now and then.
    public mutating func seed(calls: Int, progress: ((Int, Int) -> Void)? = nil) async throws -> SeedSummary {
        let started = Date()
        let start = Calendar.istanbul.date(from: DateComponents(year: year, month: 1, day: 1))!
        let end = Calendar.istanbul.date(from: DateComponents(year: year + 1, month: 1, day: 1))!
        // Call times: days weighted by weekday, hours by the line's daily rhythm.
        let hourWeights: [Double] = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.5, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 5, 4, 3, 2.5, 2, 1.5]
        var times: [Date] = []
        times.reserveCapacity(calls)
        let days = Int(end.timeIntervalSince(start) / 86400)
        for _ in 0..<calls {
            let day = Int(random.unit() * Double(days))
            let date = start.addingTimeInterval(Double(day) * 86400)
            let weekday = Calendar.istanbul.component(.weekday, from: date)
            if weekday == 1 && random.unit() < 0.35 {
                times.append(date.addingTimeInterval(Double(Int(random.unit() * 86400))))
                continue
            }
            let hour = random.pick(hourWeights.enumerated().map { ($0.offset, $0.element) })
            times.append(date.addingTimeInterval(Double(hour) * 3600 + random.unit() * 3600))
        }
        times.sort()
        // A pool of callers: most call with their phone number; many call more than once.
        let pool = max(50, calls * 2 / 5)
        let phones = (0..<pool).map { String(format: "05%02d%07d", 30 + $0 % 20, ($0 * 7919) % 10_000_000) }
        let citizens = try phones.map { try batch.citizen(for: PersonalData(phone: $0, text: "x").validated()) }
        for start in stride(from: 0, to: citizens.count, by: 20_000) {
            try batch.prepareKeys(for: Array(citizens[start..<min(citizens.count, start + 20_000)]))
        }
        var steps: [Step] = []  // a binary heap by time
        var tickets = 0
        var information = 0
        var recent: [String: TicketID] = [:]  // category+district -> a recent ticket, for duplicates
        for (index, time) in times.enumerated() {
            while let next = steps.first, next.at <= time {
                let step = popMin(&steps)
                try apply(step)
            }
            let month = Calendar.istanbul.component(.month, from: time)
            let isInformation = random.unit() < 0.15
            let department = random.pick(batch.catalog.departments.map { ($0.id, Self.weight($0.id.rawValue, month: month)) })
            let texts = corpus[department] ?? ["Bir sorun var, yardımcı olur musunuz?"]
            var text = texts[Int(random.unit() * Double(texts.count))]
            if random.unit() < 0.2 { text = TurkishText.fold(text) }
            let phone = random.unit() < 0.8 ? phones[Int(random.unit() * Double(pool))] : nil
            let request = CallRequest(
                callId: "demo-\(year)-\(index + 1)", channel: random.pick(Self.channels),
                operatorId: Self.operators[index % Self.operators.count],
                at: time, district: random.pick(Self.districts),
                neighbourhood: Self.neighbourhoods[Int(random.unit() * Double(Self.neighbourhoods.count))],
                caller: PersonalData(phone: phone, text: text), category: nil,
                informationTopic: isInformation ? Self.informationTopics[Int(random.unit() * Double(Self.informationTopics.count))] : nil)
            let result = try batch.receiveCall(request)
            if isInformation {
                information += 1
                batch.forget(result.ticket)
            } else {
                tickets += 1
                schedule(result, at: time, intended: department, recent: &recent, steps: &steps)
            }
            if batch.pendingCount >= 5000 { try await batch.commit() }
            if (index + 1) % 5000 == 0 { progress?(index + 1, calls) }
        }
        // Steps due before the year ends happen; later ones are the backlog at year end.
        while let next = steps.first, next.at < end {
            try apply(popMin(&steps))
        }
        try await batch.commit()
        progress?(calls, calls)
        return SeedSummary(
            calls: calls, tickets: tickets, informationOnly: information, events: batch.appended, seconds: Date().timeIntervalSince(started)
        )
    }

    private mutating func apply(_ step: Step) throws {
        guard let command = step.command(step.at) else { return }
        do {
            try batch.handle(command, on: step.ticket, actor: ActorID(unchecked: "demo-staff"))
        } catch is TicketError {
            // The ticket moved on (merged, cancelled) before this step: the step lapses, as
            // real follow-ups do.
        }
    }

    /// Plans a ticket's life from its intake.
    private mutating func schedule(
        _ result: IntakeResult, at time: Date, intended: DepartmentID, recent: inout [String: TicketID], steps: inout [Step]
    ) {
        let id = result.ticket
        guard let ticket = batch.ticket(id), let category = ticket.category else { return }
        let standard = Double(batch.catalog.category(category)?.category.standardHours ?? 72)
        var t = time
        var order = 0
        func add(_ hours: Double, _ command: @escaping (Date) -> TicketCommand?) {
            t = t.addingTimeInterval(max(60, hours * 3600))
            order += 1
            steps.append(Step(at: t, ticket: id, order: order, command: command))
            siftUp(&steps)
        }
        let crew = ActorID(unchecked: "demo-staff")
        let operatorID = ActorID(unchecked: "op-triage")
        let key = "\(category)|\(ticket.location.district)"
        if let original = recent[key], original != id, random.unit() < 0.02 {
            add(random.logNormal(median: 0.5, sigma: 0.8)) { .mergeAsDuplicate(of: original, by: operatorID, at: $0) }
            return
        }
        recent[key] = id
        if random.unit() < 0.01 {
            add(random.logNormal(median: 1, sigma: 0.8)) { .cancel(reason: .invalid, note: "", by: operatorID, at: $0) }
            return
        }
        if ticket.status == .triage {
            let target = intended
            add(random.logNormal(median: 1.5, sigma: 0.7)) {
                .overrideRouting(department: target, category: nil, reason: "Operatör değerlendirmesi", by: operatorID, at: $0)
            }
        }
        if random.unit() < 0.04, let alternative = result.routing?.alternatives.first?.department {
            add(random.logNormal(median: 3, sigma: 0.8)) {
                .refer(to: alternative, category: nil, reason: "Birimimizin görev alanında değil", actingDepartment: nil, by: crew, at: $0)
            }
        }
        let late = random.unit() < 0.12
        add(random.logNormal(median: min(4, standard * 0.1), sigma: 0.9)) { .acknowledge(actingDepartment: nil, by: crew, at: $0) }
        add(random.logNormal(median: standard * 0.15, sigma: 0.8)) { .startWork(actingDepartment: nil, by: crew, at: $0) }
        let resolveHours = late ? standard * (1.1 + random.unit() * 2) : random.logNormal(median: standard * 0.35, sigma: 0.6)
        if late {
            let escalateAt = time.addingTimeInterval(standard * 3600 + 1800)
            steps.append(Step(at: escalateAt, ticket: id, order: 50, command: { .escalate(at: $0) }))
            siftUp(&steps)
        }
        add(resolveHours) { .resolve(code: "completed", note: "", actingDepartment: nil, by: crew, at: $0) }
        if random.unit() < 0.3 {
            add(random.logNormal(median: 2, sigma: 0.6)) { .notifyCitizen(channel: "sms", template: "resolved", by: crew, at: $0) }
        }
        add(random.logNormal(median: 24, sigma: 0.7)) { .close(reason: "confirmed", by: operatorID, at: $0) }
        if random.unit() < 0.3 {
            let satisfaction = random.pick([(5, 45.0), (4, 25.0), (3, 12.0), (2, 8.0), (1, 10.0)])
            add(random.logNormal(median: 6, sigma: 0.8)) { .recordFeedback(satisfaction: satisfaction, at: $0) }
        }
        if random.unit() < 0.03 {
            add(random.logNormal(median: 48, sigma: 0.7)) {
                .reopen(reason: "Vatandaş sorunun devam ettiğini bildirdi", by: operatorID, at: $0)
            }
            add(random.logNormal(median: 6, sigma: 0.8)) { .acknowledge(actingDepartment: nil, by: crew, at: $0) }
            add(random.logNormal(median: standard * 0.3, sigma: 0.6)) {
                .resolve(code: "completed", note: "", actingDepartment: nil, by: crew, at: $0)
            }
            add(random.logNormal(median: 24, sigma: 0.7)) { .close(reason: "confirmed", by: operatorID, at: $0) }
        }
    }
}

// A binary min-heap on `[Step]` by time, then ticket order, so that runs are deterministic.
private func before(_ a: DemoSeeder.Step, _ b: DemoSeeder.Step) -> Bool {
    a.at != b.at ? a.at < b.at : (a.ticket != b.ticket ? a.ticket < b.ticket : a.order < b.order)
}

private func siftUp(_ heap: inout [DemoSeeder.Step]) {
    var child = heap.count - 1
    while child > 0 {
        let parent = (child - 1) / 2
        guard before(heap[child], heap[parent]) else { return }
        heap.swapAt(child, parent)
        child = parent
    }
}

private func popMin(_ heap: inout [DemoSeeder.Step]) -> DemoSeeder.Step {
    let top = heap[0]
    let last = heap.removeLast()
    if !heap.isEmpty {
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && before(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
    return top
}
