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
            let key = try vault.key("c-1") { [7, 7, 7] }
            #expect(key == [7, 7, 7])
            #expect(try vault.key("c-1") { [9] } == [7, 7, 7], "an existing key is never replaced")
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

    /// Intake looks a citizen's key up on the cooperative pool while the log's writer stores new
    /// keys; a lookup that waited for that commit's fsync blocked a pool thread, and with two such
    /// waits on two cores the whole service stood still.
    @Test func aLookupDoesNotWaitForKeysBeingCreated() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            _ = try vault.key("c-known") { [1] }
            let insideWrite = DispatchSemaphore(value: 0)
            let releaseWrite = DispatchSemaphore(value: 0)
            let writeDone = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = try? vault.key("c-new") {
                    insideWrite.signal()
                    releaseWrite.wait()
                    return [2]
                }
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

/// Keys handed out for sealing before they are stored (`provisionalKey`), and stored by
/// `makeDurable` just before the events that name them are committed.
@Suite struct ProvisionalKeyTests {
    @Test("a provisional key is the same for every caller, is stored only by makeDurable, and then outlives a reopening")
    func storedByMakeDurable() async throws {
        try await withTemporaryDirectory { root in
            let folder = root.appendingPathComponent("vault")
            var vault = try KeyVault.open(at: folder)
            let key = try vault.provisionalKey("c-1") { [1, 1] }
            #expect(try vault.provisionalKey("c-1") { [2, 2] } == [1, 1])
            #expect(try vault.key("c-1") == nil, "not stored yet")
            try vault.makeDurable("c-1", key)
            #expect(try vault.key("c-1") == [1, 1])
            #expect(try vault.provisionalKey("c-1") { [3, 3] } == [1, 1], "a stored key is handed out as it is")
            vault.close()
            vault = try KeyVault.open(at: folder)
            defer { vault.close() }
            #expect(try vault.key("c-1") == [1, 1])
        }
    }

    @Test("one store keeps every provisional key, and a vault closed without it keeps none")
    func oneStoreKeepsAll() async throws {
        try await withTemporaryDirectory { root in
            let folder = root.appendingPathComponent("vault")
            var vault = try KeyVault.open(at: folder)
            let a = try vault.provisionalKey("c-a") { [0xA] }
            _ = try vault.provisionalKey("c-b") { [0xB] }
            try vault.makeDurable("c-a", a)
            #expect(try vault.key("c-b") == [0xB], "stored with c-a, in the same transaction")
            _ = try vault.provisionalKey("c-c") { [0xC] }
            vault.close()
            vault = try KeyVault.open(at: folder)
            defer { vault.close() }
            #expect(try vault.key("c-c") == nil, "a crash before the store loses the key, and the events were never committed")
        }
    }

    @Test("creating a key durably for an id with a provisional key stores that key, not a new one")
    func durableCreationTakesTheProvisionalKey() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            let key = try vault.provisionalKey("c-1") { [5] }
            #expect(try vault.key("c-1") { [6] } == [5])
            #expect(try vault.keys(["c-1", "c-2"]) { [7] } == ["c-1": [5], "c-2": [7]])
            try vault.makeDurable("c-1", key)
            #expect(try vault.key("c-1") == [5])
        }
    }

    @Test("a key handed out for sealing while another thread creates the same id durably is the key stored")
    func durableCreationMeetsIntake() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            let making = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let created = DispatchSemaphore(value: 0)
            let durable = LockedBox<[UInt8]?>(nil)
            Thread.detachNewThread {
                durable.value = try? vault.key("c-new") {
                    making.signal()
                    release.wait()
                    return [2]
                }
                created.signal()
            }
            making.wait()
            // Intake seals under a key of its own while the durable creation is inside its transaction.
            let sealedUnder = try vault.provisionalKey("c-new") { [1] }
            release.signal()
            created.wait()
            #expect(durable.value == sealedUnder, "the durable creation stored the key intake was handed")
            try vault.makeDurable("c-new", sealedUnder)
            #expect(try vault.key("c-new") == sealedUnder)
        }
    }

    @Test("an erased provisional key is never stored, so what was sealed under it stays unreadable")
    func erasedBeforeStored() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            let key = try vault.provisionalKey("c-1") { [9] }
            #expect(try vault.erase("c-1"))
            try vault.makeDurable("c-1", key)
            #expect(try vault.key("c-1") == nil)
            #expect(try vault.provisionalKey("c-1") { [8] } == [8], "a later call gets a new key")
        }
    }

    @Test("makeDurable refuses a key when another was stored under its id meanwhile (by another process)")
    func anotherKeyStoredMeanwhile() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            let mine = try vault.provisionalKey("c-1") { [1] }
            // Another process has provisional keys of its own: its key for c-1 is stored first.
            _ = vault.provisional.drop("c-1")
            _ = try vault.key("c-1") { [2] }
            #expect(throws: StorageError.self) { try vault.makeDurable("c-1", mine) }
            #expect(try vault.key("c-1") == [2])
        }
    }

    @Test("callers on many threads, with stores in between, are all handed the key that is stored")
    func concurrentCallersShareOneKey() async throws {
        try await withTemporaryDirectory { root in
            let vault = try KeyVault.open(at: root.appendingPathComponent("vault"))
            defer { vault.close() }
            let ids = (0..<50).map { "c-\($0)" }
            let handedOut = try await withThrowingTaskGroup(of: [(String, [UInt8])].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var got: [(String, [UInt8])] = []
                        for (n, id) in ids.enumerated() {
                            var random = SystemRandomNumberGenerator()
                            let key = try vault.provisionalKey(id) { (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) } }
                            got.append((id, key))
                            if (n + worker) % 3 == 0 { try vault.makeDurable(id, key) }
                        }
                        return got
                    }
                }
                var all: [(String, [UInt8])] = []
                for try await got in group { all += got }
                return all
            }
            try vault.storeProvisionalKeys()
            for (id, key) in handedOut { #expect(try vault.key(id) == key, "\(id)") }
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
