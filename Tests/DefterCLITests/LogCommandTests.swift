import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

/// Runs the real `defter` executable, as a user would.
@Suite struct LogCommandTests {
    func lines(_ events: [String]) -> Data { Data((events.joined(separator: "\n") + "\n").utf8) }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("append prints what it wrote; read prints the stored entries")
    func appendAndRead() async throws {
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data").path
            let append = try runDefter(
                ["log", "append", "--data", data],
                input: lines([
                    #"{"stream":"ticket-1","type":"CallReceived","data":{"text":"Yol çökmüş"},"id":"call-1"}"#,
                    #"{"stream":"ticket-1","type":"TicketOpened","data":{},"expectedVersion":1}"#,
                ]))
            #expect(append.status == 0, "\(append.stderr)")
            #expect(append.stdout == #"{"appended":2,"first":1,"last":2}"# + "\n")
            let read = try runDefter(["log", "read", "--data", data, "--stream", "ticket-1", "--limit", "1"])
            #expect(read.status == 0)
            let entry = try json(read.stdout)
            #expect(entry["seq"] as? Int == 1)
            #expect(entry["id"] as? String == "call-1")
            // DEFTER_DATA is honoured when --data is absent.
            let viaEnvironment = try runDefter(["log", "read", "--from", "2"], environment: ["DEFTER_DATA": data])
            #expect(try json(viaEnvironment.stdout)["type"] as? String == "TicketOpened")
        }
    }

    @Test("a malformed line exits 2 naming the line, and nothing of its batch is written")
    func malformedLine() async throws {
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data").path
            let result = try runDefter(
                ["log", "append", "--data", data],
                input: lines([
                    #"{"stream":"s","type":"T","data":{}}"#,
                    #"{"stream":"s","type":"T","data":{},"colour":"red"}"#,
                ]))
            #expect(result.status == 2)
            #expect(result.stderr.contains("line 2: unknown field \"colour\""))
            let verify = try runDefter(["log", "verify", "--data", data, "--json"])
            #expect(try json(verify.stdout)["size"] as? Int == 0)
        }
    }

    @Test("verify, checkpoint, prove and consistency print the documented JSON")
    func proofsAsJSON() async throws {
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data").path
            let events = (1...9).map { #"{"stream":"s\#($0 % 3)","type":"T","data":{"n":\#($0)}}"# }
            #expect(try runDefter(["log", "append", "--data", data, "--batch", "4"], input: lines(events)).status == 0)
            let checkpoint = try json(try runDefter(["log", "checkpoint", "--data", data, "--json"]).stdout)
            #expect(checkpoint["treeSize"] as? Int == 9)
            let verify = try json(try runDefter(["log", "verify", "--data", data, "--json"]).stdout)
            #expect(verify["ok"] as? Bool == true)
            #expect(verify["root"] as? String == checkpoint["root"] as? String)
            let prove = try json(try runDefter(["log", "prove", "--data", data, "--seq", "4", "--json"]).stdout)
            #expect(prove["leafIndex"] as? Int == 3)
            #expect(prove["treeSize"] as? Int == 9)
            #expect((prove["proof"] as? [String])?.count == 4)
            let consistency = try json(try runDefter(["log", "consistency", "--data", data, "--from", "3", "--to", "9", "--json"]).stdout)
            #expect(consistency["toRoot"] as? String == checkpoint["root"] as? String)
            let outOfRange = try runDefter(["log", "prove", "--data", data, "--seq", "10", "--json"])
            #expect(outOfRange.status == 2)
            #expect(outOfRange.stderr.contains("not in a tree of 9 entries"))
        }
    }

    @Test("bad usage and a folder that is not a log exit 2")
    func badUsage() async throws {
        try await withTemporaryDirectory { root in
            #expect(try runDefter(["log", "prove", "--data", root.path]).status == 2)
            try Data("x".utf8).write(to: root.appendingPathComponent("notes.txt"))
            let notALog = try runDefter(["log", "verify", "--data", root.path])
            #expect(notALog.status == 2)
            #expect(notALog.stderr.contains("not a Defter log"))
            #expect(try runDefter(["log", "verify", "--data", root.appendingPathComponent("none").path]).status == 2)
        }
    }

    @Test("backup writes a compacted copy that verifies to the same root")
    func backup() async throws {
        try await withTemporaryDirectory { root in
            let data = root.appendingPathComponent("data").path
            #expect(try runDefter(["log", "append", "--data", data], input: lines([#"{"stream":"b","type":"T","data":{}}"#])).status == 0)
            let backup = try json(try runDefter(["log", "backup", "--data", data, root.appendingPathComponent("copy").path]).stdout)
            #expect(backup["ok"] as? Bool == true)
            let copy = try json(try runDefter(["log", "verify", "--data", root.appendingPathComponent("copy").path, "--json"]).stdout)
            #expect(copy["root"] as? String == backup["root"] as? String)
            let again = try runDefter(["log", "backup", "--data", data, root.appendingPathComponent("copy").path])
            #expect(again.status != 0)
            #expect(again.stderr.contains("not an empty folder"))
        }
    }
}
