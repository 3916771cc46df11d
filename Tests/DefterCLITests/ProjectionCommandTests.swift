import DefterLogTestSupport
import Foundation
import Testing

/// Upgrading to a release that bumps a projection's version, as an operator would; tuning how
/// many entries the projections catch up at a time.
@Suite struct ProjectionCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func contents(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".mdb") && name != "lock.mdb" {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }

    @Test("prepare builds the new version's store beside the old one, which stays untouched until prune removes it")
    func prepareThenPrune() async throws {
        try await withSeededFolder(calls: 150) { data, _ in
            let status = try runDefter(["projections", "status", "--data", data, "--json"])
            try #require(status.status == 0, "\(status.stderr)")
            let digests = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            let queues = try #require(digests.first { $0["name"] as? String == "queues" })
            let version = try #require(queues["version"] as? Int)

            // As if the release before this one had run the queues at an older version.
            let projections = URL(fileURLWithPath: data).appendingPathComponent("projections")
            let current = projections.appendingPathComponent("queues-v\(version)")
            let old = projections.appendingPathComponent("queues-v\(version - 1)")
            try FileManager.default.moveItem(at: current, to: old)
            let oldContents = try contents(old)

            let prepared = try runDefter(["projections", "prepare", "--data", data, "--json"])
            #expect(prepared.status == 0, "\(prepared.stderr)")
            let report = try json(prepared.stdout)
            let rows = try #require(report["projections"] as? [[String: Any]])
            #expect(rows.count == 3)
            #expect(rows.allSatisfy { $0["lag"] as? Int == 0 }, "\(rows)")
            #expect(report["obsolete"] as? [String] == [old.path])
            #expect(FileManager.default.fileExists(atPath: current.path))
            #expect(try contents(old) == oldContents, "the old release's store is left as it was")
            let rebuilt = try runDefter(["projections", "status", "--data", data, "--json"])
            #expect(rebuilt.stdout == status.stdout, "the new store equals the one built before, digest for digest")

            let dryRun = try runDefter(["projections", "prune", "--data", data, "--dry-run", "--json"])
            #expect(try json(dryRun.stdout)["wouldRemove"] as? [String] == [old.path])
            #expect(FileManager.default.fileExists(atPath: old.path))
            let pruned = try runDefter(["projections", "prune", "--data", data, "--json"])
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(try json(pruned.stdout)["removed"] as? [String] == [old.path])
            #expect(!FileManager.default.fileExists(atPath: old.path))
            #expect(FileManager.default.fileExists(atPath: current.path))
            let again = try runDefter(["projections", "prune", "--data", data])
            #expect(again.stdout.contains("nothing to remove"), "\(again.stdout)")
        }
    }

    @Test("DEFTER_PROJECTION_BATCH sets the entries per catch-up batch: the same digests; a bad value exits 2 and builds nothing")
    func batchSizeFromTheEnvironment() async throws {
        try await withSeededFolder(calls: 150) { path, _ in
            let data = URL(fileURLWithPath: path)
            let projections = data.appendingPathComponent("projections")
            try? FileManager.default.removeItem(at: projections)

            let refused = try runDefter(["projections", "status", "--data", data.path], environment: ["DEFTER_PROJECTION_BATCH": "lots"])
            #expect(refused.status == 2)
            #expect(
                refused.stderr.contains("DEFTER_PROJECTION_BATCH must be a whole number of entries from 1 to 1000000, not 'lots'"),
                "\(refused.stderr)")
            #expect(
                try runDefter(["projections", "status", "--data", data.path], environment: ["DEFTER_PROJECTION_BATCH": "0"]).status == 2)
            let built = (try? FileManager.default.contentsOfDirectory(atPath: projections.path)) ?? []
            #expect(built.isEmpty, "nothing is built when the batch size is refused: \(built)")

            let small = try runDefter(
                ["projections", "status", "--data", data.path, "--json"], environment: ["DEFTER_PROJECTION_BATCH": "7"])
            #expect(small.status == 0, "\(small.stderr)")
            try FileManager.default.removeItem(at: projections)
            let standard = try runDefter(["projections", "status", "--data", data.path, "--json"])
            #expect(standard.status == 0, "\(standard.stderr)")
            #expect(small.stdout == standard.stdout, "batches of 7 entries and the default batch build the same stores")
        }
    }
}
