import Foundation
import HummingbirdTesting
import Synchronization
import Testing

@testable import DefterHTTP

/// How many times a render ran.
private final class RenderCount: Sendable {
    let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

@Suite struct PublishedFiguresTests {
    @Test("readers missing the same body at once wait for one render; dropped bodies are rendered again")
    func oneRenderForManyReaders() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in _ = try await recordPothole(client, h) }
            let figures = h.api.figures
            try await figures.publish()
            let renders = RenderCount()
            let render: @Sendable (PublishedFigures.Snapshot) throws -> [UInt8] = { snapshot in
                renders.add()
                // Long enough for every reader below to ask while the first render runs.
                Thread.sleep(forTimeInterval: 0.3)
                return Array("\(snapshot.facts.count) facts".utf8)
            }
            let etags = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await figures.body("test", contentType: "text/plain", render: render).etag }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(renders.count == 1)
            #expect(etags.count == 16 && Set(etags).count == 1)
            // Cached now: no render.
            _ = try await figures.body("test", contentType: "text/plain", render: render)
            #expect(renders.count == 1)
            // New cosignatures drop the bodies: the next reader renders again.
            figures.forgetRenderedBodies()
            _ = try await figures.body("test", contentType: "text/plain", render: render)
            #expect(renders.count == 2)
        }
    }

    @Test("a render that fails is not kept: the next reader tries again")
    func failedRenderIsNotKept() async throws {
        try await withAPI { h in
            let figures = h.api.figures
            try await figures.publish()
            struct Broken: Error {}
            await #expect(throws: Broken.self) {
                try await figures.body("test", contentType: "text/plain") { _ in throw Broken() }
            }
            let body = try await figures.body("test", contentType: "text/plain") { _ in Array("ok".utf8) }
            #expect(body.buffer.readableBytes == 2)
        }
    }
}
