import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

/// `defter report`, `audit`, `history` and `log export/import`, run as a user would.
@Suite struct TransparencyCommandTests {
    @Test("the same log and period give a byte-identical report, in every format, from separate runs")
    func byteIdenticalReports() async throws {
        try await withSeededFolder { data, root in
            for format in ["html", "md", "csv", "json"] {
                var outputs: [Data] = []
                for run in 1...2 {
                    let out = root.appendingPathComponent("report-\(run).\(format)").path
                    let result = try runDefter([
                        "report", "--data", data, "--period", "2025-01-01..2025-06-30", "--format", format, "--lang", "tr", "--out", out,
                    ])
                    #expect(result.status == 0, "\(result.stderr)")
                    outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
                }
                #expect(outputs[0] == outputs[1], "\(format)")
                #expect(outputs[0].count > 500, "\(format)")
            }
            // Only the first run signed a checkpoint; the second reused it.
            let checkpoints = try runDefter(["log", "verify", "--data", data])
            #expect(checkpoints.stdout.contains("1 checkpoint(s) verified"), "\(checkpoints.stdout)")
        }
    }

    @Test("a report once the log has grown names a newer checkpoint; bad periods and formats exit 2")
    func newerCheckpointAndBadInput() async throws {
        try await withSeededFolder(calls: 100) { data, _ in
            let first = try runDefter(["report", "--data", data, "--period", "2025", "--format", "json"])
            let intake = try runDefter(
                ["intake", "--data", data],
                input: Data(
                    #"{"callId":"late-1","channel":"phone","operatorId":"op-1","at":"2025-12-31T10:00:00.000Z","district":"Elbistan","caller":{"text":"Çöp toplanmadı"}}"#
                        .utf8))
            #expect(intake.status == 0, "\(intake.stderr)")
            let second = try runDefter(["report", "--data", data, "--period", "2025", "--format", "json"])
            let size = { (text: String) throws -> Int in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                return try #require((object["checkpoint"] as? [String: Any])?["treeSize"] as? Int)
            }
            #expect(try size(second.stdout) > size(first.stdout))
            for arguments in [["--period", "2025-13"], ["--period", "2025", "--format", "pdf"], ["--period", "2025", "--lang", "de"]] {
                let refused = try runDefter(["report", "--data", data] + arguments)
                #expect(refused.status == 2, "\(arguments)")
                #expect(refused.stderr.hasPrefix("defter: error: "))
            }
        }
    }

    @Test("audit exits 0 on a clean folder and 1 with findings; --json lists them")
    func auditExitCodes() async throws {
        try await withSeededFolder(calls: 150) { data, _ in
            // Projections exist, so the audit also compares them with a fresh replay.
            #expect(try runDefter(["projections", "status", "--data", data]).status == 0)
            let clean = try runDefter(["audit", "--data", data])
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            #expect(clean.stdout.contains("Findings: none."))
            // A ticket event the rules forbid: a resolution of a ticket that does not exist.
            let planted = try runDefter(
                ["log", "append", "--data", data],
                input: Data(
                    #"{"stream":"ticket-2025-999999","type":"TicketResolved","data":{"ticket":"2025-999999","at":"2025-06-01T10:00:00.000Z","by":"x","resolutionCode":"done","note":""}}"#
                        .utf8 + [0x0a]))
            #expect(planted.status == 0, "\(planted.stderr)")
            let dirty = try runDefter(["audit", "--data", data, "--json"])
            #expect(dirty.status == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(dirty.stdout.utf8)) as? [String: Any])
            #expect(object["clean"] as? Bool == false)
            let findings = try #require(object["findings"] as? [[String: Any]])
            // The rules name the event; the projections cannot apply it either.
            #expect(Set(findings.compactMap { $0["check"] as? String }) == ["rules", "projections"], "\(findings)")
            #expect(findings.contains { ($0["message"] as? String)?.contains("TicketResolved before CallReceived") == true })
            // Other commands stop on the stopped projection with a clear error and exit 1.
            let queue = try runDefter(["queue", "fen-isleri", "--data", data])
            #expect(queue.status == 1)
            #expect(queue.stderr.hasPrefix("defter: error: projection") && queue.stderr.contains("defter audit"), "\(queue.stderr)")
        }
    }

    @Test("export then import rebuilds the same root; an altered export is refused and leaves nothing")
    func exportImport() async throws {
        try await withSeededFolder(calls: 150) { data, root in
            #expect(try runDefter(["log", "checkpoint", "--data", data]).status == 0)
            let export = root.appendingPathComponent("log.ndjson").path
            let exported = try runDefter(["log", "export", "--data", data, "--format", "ndjson", "--out", export])
            #expect(exported.status == 0, "\(exported.stderr)")
            let copy = root.appendingPathComponent("copy").path
            let imported = try runDefter(["log", "import", export, "--data", copy])
            #expect(imported.status == 0, "\(imported.stderr)")
            let original = try openReadOnly(URL(fileURLWithPath: data))
            let rebuilt = try openReadOnly(URL(fileURLWithPath: copy))
            #expect(try original.root() == rebuilt.root())
            #expect(try original.entries(from: 1, limit: 100_000) == rebuilt.entries(from: 1, limit: 100_000))
            original.close()
            rebuilt.close()
            #expect(imported.stdout.contains(#""checkpointsVerified":1"#))

            var lines = try String(contentsOfFile: export, encoding: .utf8).components(separatedBy: "\n")
            lines[7] = lines[7].replacingOccurrences(of: "\"actor\":\"", with: "\"actor\":\"z")
            let altered = root.appendingPathComponent("altered.ndjson").path
            try lines.joined(separator: "\n").write(toFile: altered, atomically: true, encoding: .utf8)
            let target = root.appendingPathComponent("refused").path
            let refused = try runDefter(["log", "import", altered, "--data", target])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("differs from the header's"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).allSatisfy { !$0.contains("importing") })
            let occupied = try runDefter(["log", "import", export, "--data", data])
            #expect(occupied.status == 2 && occupied.stderr.contains("not empty"))
        }
    }

    @Test("history shows a ticket's events in Istanbul time and proves them against the newest checkpoint")
    func history() async throws {
        try await withSeededFolder(calls: 30) { data, _ in
            let none = try runDefter(["history", "2025-000001", "--data", data, "--with-proofs"])
            #expect(none.status == 2 && none.stderr.contains("no checkpoint"))
            #expect(try runDefter(["log", "checkpoint", "--data", data]).status == 0)
            let text = try runDefter(["history", "2025-000001", "--data", data, "--with-proofs"])
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.contains("CallReceived") && text.stdout.contains("+03:00"))
            #expect(text.stdout.contains("(verified)"))
            let json = try runDefter(["history", "2025-000001", "--data", data, "--with-proofs", "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let events = try #require(object["events"] as? [[String: Any]])
            #expect(events.allSatisfy { $0["proof"] != nil })
            #expect(try runDefter(["history", "2025-123456", "--data", data]).status == 2)
            #expect(try runDefter(["history", "not-a-ticket", "--data", data]).status == 2)
        }
    }
}
