import CJemalloc
import Crypto
import DefterLog
import Foundation

/// `defter-bench`: measures the log against raw LMDB and SQLite doing the same work in the same
/// run, and prints ratios (these machines are shared and noisy; absolute numbers drift, ratios
/// much less). Run it through `tools/bench`, which builds it in release mode.

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct Measurement {
    let name: String
    let value: Double
    let unit: String
    let baselineName: String?
    let baseline: Double?
    /// Higher is better for rates; for latencies the ratio is baseline / value.
    let lowerIsBetter: Bool

    var ratio: Double? {
        guard let baseline, baseline > 0, value > 0 else { return nil }
        return lowerIsBetter ? baseline / value : value / baseline
    }
}

struct Options {
    var events = 200_000
    var batch = 1000
    var singles = 300
    var concurrentAppenders = 64
    var json = false
    var projectionCalls = 0
    /// Skip the log measurements and run only the projection ones.
    var onlyProjections = false
    /// Where the projection benchmark keeps its seeded log between runs (seeded when missing).
    var seededFolder: String?
    /// With `onlyProjections`: measure the rebuild alone (to profile it).
    var rebuildOnly = false
    /// Entries per batch when the projections catch up; nil: `Projections`' default.
    var projectionBatch: Int?

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--events": events = Int(iterator.next() ?? "") ?? events
            case "--batch": batch = Int(iterator.next() ?? "") ?? batch
            case "--singles": singles = Int(iterator.next() ?? "") ?? singles
            case "--json": json = true
            case "--projections": projectionCalls = Int(iterator.next() ?? "") ?? 20_000
            case "--only-projections": onlyProjections = true
            case "--seeded": seededFolder = iterator.next()
            case "--projection-batch": projectionBatch = Int(iterator.next() ?? "")
            case "--rebuild-only":
                onlyProjections = true
                rebuildOnly = true
            case "--help", "-h":
                print(
                    "usage: defter-bench [--events N] [--batch N] [--singles N] [--projections CALLS [--only-projections | --rebuild-only] [--seeded DIR] [--projection-batch N]] [--json]"
                )
                exit(0)
            default: throw BenchError("unknown argument \(argument); see --help")
            }
        }
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func secondsAsync(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func bigEndian(_ value: UInt64) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// A realistic event: a citizen's call with Turkish free text, about 300 bytes once enveloped.
func sampleEvent(_ n: Int) -> NewEvent {
    NewEvent(
        stream: try! StreamID("ticket-2025-\(String(format: "%06d", n / 4))"), type: "CallReceived",
        data: [
            "channel": "phone", "district": "Onikişubat", "operator": "op-\(n % 40)",
            "text": .string("Mahallemizdeki çöp konteynerleri üç gündür boşaltılmadı, kokudan durulmuyor. No:\(n)"),
            "category": "temizlik.cop-toplama",
        ], id: try! EventID("bench-\(n)"), actor: "operator-\(n % 40)")
}

@main
struct DefterBench {
    static func main() async {
        do {
            try await run(Options(Array(CommandLine.arguments.dropFirst())))
        } catch {
            FileHandle.standardError.write(Data("defter-bench: error: \(error)\n".utf8))
            exit(2)
        }
    }

    static func run(_ options: Options) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("defter-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        if options.onlyProjections {
            let calls = max(options.projectionCalls, 1)
            printReport(
                try await ProjectionBench.run(
                    calls: calls, root: root, seeded: options.seededFolder, rebuildOnly: options.rebuildOnly,
                    batchSize: options.projectionBatch),
                options: options)
            return
        }
        var results: [Measurement] = []
        let n = options.events

        // The exact entry bytes the log writes, so the baselines store the same payloads.
        let events = (0..<n).map(sampleEvent)
        let fixedTime = Timestamp(millisecondsSinceEpoch: 1_735_689_600_000)
        var configuration = LogConfiguration()
        configuration.clock = { fixedTime.date }
        configuration.logger.logLevel = .warning
        let commits = CommitCounter()
        configuration.groupCommitObserver = { events, _ in commits.record(events: events) }

        // 1. Batched durable append. The four writers take turns, a round of ten batches each, so
        // that the disk's and the machine's drift (fsync times here change several-fold within
        // seconds) falls on all of them alike; each baseline writes the bytes the log just wrote.
        let log = try EventLog.open(at: root.appendingPathComponent("defter"), configuration: configuration)
        let raw = try RawLMDB(path: root.appendingPathComponent("raw").path)
        let sqlite = try RawSQLite(path: root.appendingPathComponent("sqlite.db").path)
        var defterAppend = 0.0
        var rawAppend = 0.0
        var sqliteAppend = 0.0
        var rawRowsAppend = 0.0
        var entryBytes: [[UInt8]] = []
        var leafIndex: UInt64 = 0
        var frontier: [(level: Int, hash: MerkleHash)] = []
        let round = options.batch * 10
        for roundStart in stride(from: 0, to: n, by: round) {
            let batches = Array(stride(from: roundStart, to: min(n, roundStart + round), by: options.batch))
            defterAppend += try await secondsAsync {
                for start in batches { try await log.append(Array(events[start..<min(n, start + options.batch)])) }
            }
            let stored = try log.entries(from: UInt64(roundStart + 1), limit: min(n, roundStart + round) - roundStart)
            entryBytes += stored.map(\.bytes)
            rawAppend += try seconds {
                for start in batches {
                    try raw.appendBatch(first: UInt64(start + 1), values: entryBytes[start..<min(n, start + options.batch)])
                }
            }
            sqliteAppend += try seconds {
                for start in batches {
                    try sqlite.appendBatch(first: UInt64(start + 1), values: entryBytes[start..<min(n, start + options.batch)])
                }
            }
            // The same rows the log writes (entry, stream index, id index, tree nodes), precomputed,
            // put through the C API: the storage floor under the log's own work.
            var rowBatches: [[RawLMDB.Row]] = []
            for start in batches {
                var rows: [RawLMDB.Row] = []
                for entry in stored[(start - roundStart)..<(min(n, start + options.batch) - roundStart)] {
                    let seqKey = bigEndian(entry.sequence)
                    rows.append(.init(table: 0, key: seqKey, value: entry.bytes, append: true))
                    rows.append(
                        .init(
                            table: 1, key: Array(entry.stream.rawValue.utf8) + [0] + bigEndian(entry.streamVersion), value: seqKey,
                            append: false))
                    rows.append(.init(table: 2, key: Array(entry.id.rawValue.utf8), value: seqKey, append: false))
                    var node = (level: 0, hash: MerkleHash.leaf(entry.bytes))
                    rows.append(.init(table: 3, key: bigEndian(leafIndex) + [0], value: node.hash.bytes, append: true))
                    while let last = frontier.last, last.level == node.level {
                        frontier.removeLast()
                        node = (node.level + 1, MerkleHash.node(last.hash, node.hash))
                        rows.append(
                            .init(table: 3, key: bigEndian(leafIndex) + [UInt8(node.level)], value: node.hash.bytes, append: true))
                    }
                    frontier.append(node)
                    leafIndex += 1
                }
                rowBatches.append(rows)
            }
            rawRowsAppend += try seconds {
                for rows in rowBatches { try raw.putRows(rows[...]) }
            }
        }
        let appendRate = Double(n) / defterAppend
        results.append(
            Measurement(
                name: "batched append (\(options.batch)/txn)", value: appendRate, unit: "events/s", baselineName: "raw LMDB, entries only",
                baseline: Double(n) / rawAppend, lowerIsBetter: false))
        results.append(
            Measurement(
                name: "batched append (\(options.batch)/txn)", value: appendRate, unit: "events/s", baselineName: "raw LMDB, same rows",
                baseline: Double(n) / rawRowsAppend, lowerIsBetter: false))
        results.append(
            Measurement(
                name: "batched append (\(options.batch)/txn)", value: appendRate, unit: "events/s", baselineName: "SQLite WAL FULL",
                baseline: Double(n) / sqliteAppend, lowerIsBetter: false))

        // 2. Single-event durable append latency: one event, one transaction, one fsync.
        var defterLatencies: [Double] = []
        for i in 0..<options.singles {
            let event = sampleEvent(n + i)
            defterLatencies.append(try await secondsAsync { try await log.append(event) })
        }
        var rawLatencies: [Double] = []
        var sqliteLatencies: [Double] = []
        for i in 0..<options.singles {
            let value = entryBytes[i % entryBytes.count]
            rawLatencies.append(try seconds { try raw.appendBatch(first: UInt64(n + i + 1), values: [value][...]) })
            sqliteLatencies.append(try seconds { try sqlite.appendBatch(first: UInt64(n + i + 1), values: [value][...]) })
        }
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            results.append(
                Measurement(
                    name: "single append latency \(label)", value: percentile(defterLatencies, p) * 1000, unit: "ms",
                    baselineName: "raw LMDB", baseline: percentile(rawLatencies, p) * 1000, lowerIsBetter: true))
            results.append(
                Measurement(
                    name: "single append latency \(label)", value: percentile(defterLatencies, p) * 1000, unit: "ms",
                    baselineName: "SQLite WAL FULL", baseline: percentile(sqliteLatencies, p) * 1000, lowerIsBetter: true))
        }
        let oneFsyncPerEventRate = Double(options.singles) / defterLatencies.reduce(0, +)

        // 3. Group commit: 64 appenders, each appending one event at a time.
        let perAppender = max(10, options.singles / 4)
        let appenders = options.concurrentAppenders
        // Built before the clock starts, as the single appends' events are: the baseline rate does
        // not include making events, so neither does this one.
        let appenderEvents = (0..<appenders).map { a in
            (0..<perAppender).map { i in sampleEvent(n + options.singles + a * perAppender + i) }
        }
        commits.reset()
        let groupSeconds = try await secondsAsync {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for events in appenderEvents {
                    group.addTask {
                        for event in events { try await log.append(event) }
                    }
                }
                try await group.waitForAll()
            }
        }
        results.append(
            Measurement(
                name: "group commit, \(appenders) concurrent appenders", value: Double(appenders * perAppender) / groupSeconds,
                unit: "events/s", baselineName: "one fsync per event", baseline: oneFsyncPerEventRate, lowerIsBetter: false))
        results.append(
            Measurement(
                name: "group commit, events per commit", value: commits.eventsPerCommit, unit: "events", baselineName: nil,
                baseline: nil, lowerIsBetter: false))

        // 4. Full verify versus a raw scan + SHA-256 over the same entries.
        let total = try log.size()
        var report: VerificationReport?
        let verifySeconds = try seconds { report = try log.verify() }
        guard report?.ok == true else { throw BenchError("verify failed: \(report?.reason ?? "")") }
        var checksum: UInt8 = 0
        let rawVerifySeconds = try seconds {
            try raw.scan { value in
                var hasher = SHA256()
                hasher.update(data: [0])
                hasher.update(bufferPointer: value)
                checksum ^= hasher.finalize().withUnsafeBytes { $0[0] }
            }
        }
        let rawCount = Double(n + options.singles)
        results.append(
            Measurement(
                name: "full verify", value: Double(total) / verifySeconds, unit: "entries/s", baselineName: "raw scan + SHA-256",
                baseline: rawCount / rawVerifySeconds, lowerIsBetter: false))

        // 5. Full scan: decoded entries versus raw cursors.
        var scanned = 0
        let scanSeconds = try seconds {
            var next: UInt64 = 1
            while true {
                let batch = try log.entries(from: next, limit: 4096)
                guard let last = batch.last else { break }
                scanned += batch.count
                next = last.sequence + 1
            }
        }
        var rawBytes = 0
        let rawScanSeconds = try seconds { try raw.scan { rawBytes &+= $0.count } }
        var sqliteBytes = 0
        let sqliteScanSeconds = try seconds { try sqlite.scan { sqliteBytes &+= $0.count } }
        results.append(
            Measurement(
                name: "full scan (decoded entries)", value: Double(scanned) / scanSeconds, unit: "entries/s",
                baselineName: "raw LMDB cursor", baseline: rawCount / rawScanSeconds, lowerIsBetter: false))
        results.append(
            Measurement(
                name: "full scan (decoded entries)", value: Double(scanned) / scanSeconds, unit: "entries/s", baselineName: "SQLite scan",
                baseline: rawCount / sqliteScanSeconds, lowerIsBetter: false))
        log.close()
        if options.projectionCalls > 0 {
            results += try await ProjectionBench.run(
                calls: options.projectionCalls, root: root.appendingPathComponent("projections"), seeded: options.seededFolder,
                batchSize: options.projectionBatch)
        }
        if !options.json {
            print(
                "defter-bench: \(n) events (~\(entryBytes.first?.count ?? 0) bytes each), batches of \(options.batch), \(options.singles) single appends, checksum \(checksum)"
            )
        }
        printReport(results, options: options)
    }

    /// Prints the measurements as a table, or with `--json` as one object a line.
    static func printReport(_ results: [Measurement], options: Options) {
        if options.json {
            for m in results {
                var object: [String: JSONValue] = [
                    "name": .string(m.name), "value": .number(m.value.rounded(toPlaces: 3)), "unit": .string(m.unit),
                ]
                object["baseline"] = m.baseline.map { .number($0.rounded(toPlaces: 3)) } ?? .null
                object["baselineName"] = m.baselineName.map { .string($0) } ?? .null
                object["ratio"] = m.ratio.map { .number($0.rounded(toPlaces: 3)) } ?? .null
                print(JSONValue.object(object).canonicalString)
            }
        } else {
            let header = ["measurement", "defter", "unit", "baseline", "baseline value", "ratio"]
            var rows = [header]
            for m in results {
                rows.append([
                    m.name, format(m.value), m.unit, m.baselineName ?? "-", m.baseline.map(format) ?? "-",
                    m.ratio.map { String(format: "%.2fx", $0) } ?? "-",
                ])
            }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
            for (index, row) in rows.enumerated() {
                print(row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
                if index == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
            }
            print("ratios: defter / baseline for rates, baseline / defter for latencies (higher is better)")
            print("allocator: \(allocator) (defter and both baselines, in this one process)")
        }
    }

    /// The malloc this process runs on: jemalloc when it is linked as it should be.
    static var allocator: String {
        guard let version = defter_jemalloc_version(), defter_jemalloc_serves_malloc() != 0 else { return "the C library's malloc" }
        return "jemalloc \(String(cString: version))"
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.3f", value)
    }
}

/// Counts the log's group commits (through `LogConfiguration.groupCommitObserver`).
final class CommitCounter: @unchecked Sendable {
    // Safe to share: every field is read and written under `lock`.
    private let lock = NSLock()
    private var events = 0
    private var commits = 0

    func record(events: Int) {
        lock.withLock {
            self.events += events
            commits += 1
        }
    }

    func reset() { lock.withLock { (events, commits) = (0, 0) } }

    var eventsPerCommit: Double { lock.withLock { commits == 0 ? 0 : Double(events) / Double(commits) } }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
