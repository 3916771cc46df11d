import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

/// A child process appending one event per durable batch is killed with SIGKILL at random
/// moments; after each kill the log must verify and hold every event whose append was
/// acknowledged.
@Suite struct CrashTests {
    @Test("SIGKILL during appends never loses an acknowledged event nor breaks the log")
    func killedAppender() async throws {
        ignoreBrokenPipes()
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data")
            var acknowledged: [String: UInt64] = [:]
            var generator = SystemRandomNumberGenerator()
            for round in 0..<6 {
                let process = Process()
                process.executableURL = defterExecutable()
                process.arguments = ["log", "append", "--data", data.path, "--batch", "1", "--echo-commits"]
                let stdin = Pipe()
                let stdout = Pipe()
                process.standardInput = stdin
                process.standardOutput = stdout
                process.standardError = FileHandle.nullDevice
                try process.run()
                // Feed events on a thread; the child acknowledges each committed batch with its
                // sequence, one line each, in order.
                let ids = (0..<2000).map { "round\(round)-event\($0)" }
                let feeder = Thread {
                    for id in ids {
                        let line = #"{"stream":"crash-\#(id.hashValue & 7)","type":"T","data":{"id":"\#(id)"},"id":"\#(id)"}"# + "\n"
                        do { try stdin.fileHandleForWriting.write(contentsOf: Data(line.utf8)) } catch { return }
                    }
                }
                feeder.start()
                let delay = Double.random(in: 0.15...0.6, using: &generator)
                try await Task.sleep(for: .seconds(delay))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? stdin.fileHandleForWriting.close()
                let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                var acked = 0
                for line in output.split(separator: "\n") {
                    // Only whole lines count: a line cut by the kill was never fully acknowledged.
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                        let committed = object["committed"] as? Int, let lines = object["lines"] as? Int
                    else { continue }
                    acknowledged[ids[lines - 1]] = UInt64(committed)
                    acked += 1
                }
                #expect(process.terminationReason == .uncaughtSignal)

                let log = try openReadOnly(data)
                defer { log.close() }
                let report = try log.verify()
                #expect(report.ok, "round \(round): \(report.reason ?? "")")
                for (id, sequence) in acknowledged {
                    #expect(try log.entry(id: EventID(id))?.sequence == sequence, "acknowledged \(id) at \(sequence) is missing")
                }
                #expect(report.size >= UInt64(acknowledged.count))
            }
            #expect(acknowledged.count > 0, "the child never acknowledged anything; the test proved nothing")
        }
    }

    @Test("SIGKILL while projections catch up: the restarted workers resume from their checkpoints and equal a clean rebuild")
    func killedProjections() async throws {
        try await withSeededFolder(calls: 3000) { path, root in
            let data = URL(fileURLWithPath: path)
            // A clean copy of the log, without projections, to rebuild from zero afterwards.
            let clean = root.appendingPathComponent("clean")
            try FileManager.default.copyItem(at: data, to: clean)
            try? FileManager.default.removeItem(at: clean.appendingPathComponent("projections"))
            try? FileManager.default.removeItem(at: data.appendingPathComponent("projections"))

            func checkpoints(_ folder: URL) throws -> [String: (checkpoint: Int, digest: String)] {
                let status = try runDefter(["projections", "status", "--data", folder.path, "--json", "--no-catch-up"])
                let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
                return Dictionary(
                    uniqueKeysWithValues: rows.map { ($0["name"] as! String, ($0["checkpoint"] as! Int, $0["digest"] as! String)) })
            }
            let verified = try runDefter(["log", "verify", "--data", data.path, "--json"])
            let head = try #require((try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])?["size"] as? Int)

            // Kill the catch-up at growing delays until one kill lands mid-way (how long a catch-up
            // takes depends on the machine and what else runs, hence the wide range). Batches of
            // 2,048 entries, so that the log's ~24,000 take a dozen commits to each store.
            var killedMidway = false
            var attempts: [String] = []
            for delay in [0.3, 0.5, 0.8, 1.2, 1.8, 2.5, 3.5, 5, 7, 10] where !killedMidway {
                let process = Process()
                process.executableURL = defterExecutable()
                process.arguments = ["projections", "status", "--data", data.path]
                process.environment = ProcessInfo.processInfo.environment.merging(["DEFTER_PROJECTION_BATCH": "2048"]) { $1 }
                process.standardOutput = FileHandle.nullDevice
                let stderr = Pipe()
                process.standardError = stderr
                try process.run()
                // A blocking sleep: Task.sleep may wake much later when other suites keep every
                // cooperative thread busy, and then the catch-up has long finished.
                usleep(UInt32(delay * 1_000_000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let reached = try checkpoints(data).values.map(\.checkpoint)
                killedMidway = process.terminationReason == .uncaughtSignal && reached.contains { $0 > 0 && $0 < head }
                let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                attempts.append(
                    "after \(delay) s: \(process.terminationReason == .uncaughtSignal ? "killed" : "exited \(process.terminationStatus)") at \(reached.sorted()) \(said)"
                )
            }
            #expect(killedMidway, "no kill landed in the middle of the catch-up of \(head) entries: \(attempts)")

            // Restart: the workers resume and end where a rebuild from zero ends.
            #expect(try runDefter(["projections", "status", "--data", data.path]).status == 0)
            #expect(try runDefter(["projections", "status", "--data", clean.path]).status == 0)
            let resumed = try checkpoints(data)
            let rebuilt = try checkpoints(clean)
            #expect(resumed.count == 3)
            for (name, state) in rebuilt {
                #expect(resumed[name]?.checkpoint == head, "\(name)")
                #expect(resumed[name]?.digest == state.digest, "\(name)")
            }
        }
    }
}
