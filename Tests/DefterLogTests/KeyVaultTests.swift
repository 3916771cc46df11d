import DefterLogTestSupport
import Dispatch
import Foundation
import Testing

@testable import DefterLog

@Suite struct KeyVaultTests {
    @Test func aKeyCreatedIsThereAfterReopeningAndGoneAfterErasing() async throws {
        try await withTemporaryDirectory { root in
            let folder = root.appendingPathComponent("vault")
            var vault = try KeyVault.open(at: folder)
            let key = try await vault.key("c-1") { [7, 7, 7] }
            #expect(key == [7, 7, 7])
            #expect(try await vault.key("c-1") { [9] } == [7, 7, 7], "an existing key is never replaced")
            vault.close()
            vault = try KeyVault.open(at: folder)
            #expect(try vault.key("c-1") == [7, 7, 7])
            #expect(try vault.erase("c-1"))
            #expect(try vault.key("c-1") == nil)
            #expect(try !vault.erase("c-1"))
            vault.close()
            #expect(throws: StorageError.self) { try vault.key("c-1") }
        }
    }

    /// Intake looks a citizen's key up on the cooperative pool while the vault's writer commits
    /// new keys; a lookup that waited for that commit's fsync blocked a pool thread, and with two
    /// such waits on two cores the whole service stood still.
    @Test func aLookupDoesNotWaitForKeysBeingCreated() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            _ = try await vault.key("c-known") { [1] }
            let insideWrite = DispatchSemaphore(value: 0)
            let releaseWrite = DispatchSemaphore(value: 0)
            let writeDone = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = try? vault.createKeys([
                    (
                        id: "c-new",
                        make: {
                            insideWrite.signal()
                            releaseWrite.wait()
                            return [2]
                        }
                    )
                ])
                writeDone.signal()
            }
            insideWrite.wait()
            let looked = DispatchSemaphore(value: 0)
            let found = LockedBox<[UInt8]?>(nil)
            Thread.detachNewThread {
                found.value = try? vault.key("c-known")
                looked.signal()
            }
            let answered = looked.wait(timeout: .now() + 30) == .success
            releaseWrite.signal()
            writeDone.wait()
            if !answered { looked.wait() }
            #expect(answered, "the lookup waited for the write transaction to end")
            #expect(found.value == [1])
            #expect(try vault.key("c-new") == [2])
        }
    }
}

/// A value handed between threads under a lock.
private final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
