import DefterLogTestSupport
import Foundation
import Testing

/// Runs `body` with the path of a temporary data folder holding a generated year of `calls`
/// calls, seeded by `defter demo seed` as a user would, and the temporary folder around it.
func withSeededFolder(calls: Int = 400, _ body: (String, URL) async throws -> Void) async throws {
    try await withTemporaryDirectory { root in
        let data = root.appendingPathComponent("data").path
        let seed = try runDefter(["demo", "seed", "--calls", "\(calls)", "--year", "2025", "--data", data])
        try #require(seed.status == 0, "\(seed.stderr)")
        try await body(data, root)
    }
}
