import DefterDemo
import DefterDomain
import DefterLog
import DefterProjections
import DefterRouting
import DefterTickets
import Foundation

/// Projection benchmarks: rebuilding every projection over a seeded year, against a raw scan of
/// the same log; and reading a department queue that holds 10,000 open tickets.
enum ProjectionBench {
    /// `seeded`: a folder that keeps the seeded year between runs (seeded there when empty), so
    /// that repeated runs measure the rebuild without seeding again.
    /// `rebuildOnly`: stop after the rebuild (to profile it alone). `batchSize`: entries per
    /// catch-up batch (default: `Projections`' own).
    static func run(
        calls: Int, root: URL, seeded: String? = nil, rebuildOnly: Bool = false, batchSize: Int? = nil
    ) async throws -> [Measurement] {
        var results: [Measurement] = []
        var configuration = LogConfiguration()
        configuration.logger.logLevel = .warning
        let year = seeded.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("year")
        let log = try EventLog.open(at: year, configuration: configuration)
        defer { log.close() }
        let vault = try KeyVault.open(at: year.appendingPathComponent("vault"))
        defer { vault.close() }
        let catalog = try BundledCatalog.load()
        let router = try Router.bundled(catalog: catalog)
        var seededCalls = calls
        if try log.size() == 0 {
            let service = TicketService(log: log, vault: vault, router: router, bundledCatalog: catalog)
            _ = try await service.catalogInForce()
            var seeder = DemoSeeder(
                batch: TicketBatch(log: log, vault: vault, router: router, catalog: catalog), corpus: try Router.bundledCorpus(),
                year: 2025, seed: 153)
            seededCalls = try await seeder.seed(calls: calls).calls
        } else {
            // Seeded by an earlier run: count its calls a batch at a time (the year holds over a
            // million entries).
            seededCalls = 0
            try forEachBatch(of: log, size: 8192) { batch in seededCalls += batch.lazy.filter { $0.type == "CallReceived" }.count }
        }
        let events = Double(try log.size())

        // Raw: every entry read and decoded once, nothing applied.
        let scanSeconds = try seconds { try forEachBatch(of: log, size: 2000) { _ in } }
        let projectionsRoot = root.appendingPathComponent("projections")
        let projections =
            try batchSize.map { try Projections(log: log, root: projectionsRoot, batchSize: $0) }
            ?? Projections(log: log, root: projectionsRoot)
        defer { projections.close() }
        let cpuBefore = processCPUSeconds()
        let rebuildSeconds = try seconds { try projections.catchUp() }
        let rebuildCPU = processCPUSeconds() - cpuBefore
        results.append(
            Measurement(
                name: "rebuild all projections (\(seededCalls) calls)", value: events / rebuildSeconds, unit: "events/s",
                baselineName: "scan + decode of the same log", baseline: events / scanSeconds, lowerIsBetter: false))
        // CPU time is steadier than wall time on a shared machine, and shows how much of the
        // second core the rebuild uses.
        results.append(
            Measurement(
                name: "rebuild CPU time per event (both cores)", value: rebuildCPU / events * 1e6, unit: "µs", baselineName: nil,
                baseline: nil, lowerIsBetter: true))
        if rebuildOnly { return results }
        results += try await TransparencyBench.run(log: log, projections: projections, scratch: root.appendingPathComponent("scratch"))

        // A department queue with 10,000 open tickets.
        let queueLog = try EventLog.open(at: root.appendingPathComponent("queue"), configuration: configuration)
        defer { queueLog.close() }
        let queueVault = try KeyVault.open(at: root.appendingPathComponent("queue/vault"))
        defer { queueVault.close() }
        let queueService = TicketService(log: queueLog, vault: queueVault, router: router, bundledCatalog: catalog)
        _ = try await queueService.catalogInForce()
        let batch = TicketBatch(log: queueLog, vault: queueVault, router: router, catalog: catalog)
        let start = Date(timeIntervalSince1970: 1_740_816_900)
        for n in 0..<10_000 {
            _ = try batch.receiveCall(
                CallRequest(
                    callId: "q-\(n)", channel: .phone, operatorId: "op-1", at: start.addingTimeInterval(Double(n) * 60),
                    district: "Onikişubat",
                    caller: PersonalData(text: "Yolda çukur var"), category: n % 3 == 0 ? "fen-isleri.yol-cokmesi" : "fen-isleri.yol-cukuru"
                ))
            if batch.pendingCount >= 5000 { try await batch.commit() }
        }
        try await batch.commit()
        let queueProjections = try Projections(log: queueLog, root: root.appendingPathComponent("queue-projections"))
        defer { queueProjections.close() }
        try queueProjections.catchUp()
        let department = DepartmentID(unchecked: "fen-isleri")
        var latencies: [Double] = []
        for i in 0..<2000 {
            let filter = i % 2 == 0 ? QueueFilter(limit: 50) : QueueFilter(status: .routed, limit: 50)
            latencies.append(try seconds { _ = try queueProjections.queues.queue(department, filter: filter) })
        }
        let unfiltered = stride(from: 0, to: latencies.count, by: 2).map { latencies[$0] }
        let filtered = stride(from: 1, to: latencies.count, by: 2).map { latencies[$0] }
        results.append(
            Measurement(
                name: "queue read, 10,000 open, first 50, p99", value: percentile(unfiltered, 0.99) * 1000, unit: "ms", baselineName: nil,
                baseline: nil, lowerIsBetter: true))
        results.append(
            Measurement(
                name: "queue read, 10,000 open, filtered by status, p99", value: percentile(filtered, 0.99) * 1000, unit: "ms",
                baselineName: nil, baseline: nil, lowerIsBetter: true))
        return results
    }
}

/// Reads the whole log, `size` decoded entries at a time.
private func forEachBatch(of log: EventLog, size: Int, _ body: ([LogEntry]) -> Void) throws {
    var next: UInt64 = 1
    while true {
        let batch = try log.entries(from: next, limit: size)
        guard let last = batch.last else { return }
        body(batch)
        next = last.sequence + 1
    }
}

/// CPU time this process has used, on every thread.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
